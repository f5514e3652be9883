"""flask_broadcasts.feedback.mailboxes: reading a bounce mailbox (what ``flask broadcasts bounces`` calls).

What a user relies on: every message of an mbox file or a Maildir is applied, and the summary
says how many came to each result; reading the same mailbox again (cron before it is emptied,
after a crash) changes nothing more and leaves the mailbox as it was; a mailbox that is not
there is an error that names it."""

from __future__ import annotations

import pytest

from flask_broadcasts.feedback.bounce_mail import BounceResult
from flask_broadcasts.feedback.mailboxes import MailboxSummary, read_mailbox
from flask_broadcasts.signing import verp_address
from tests.support import bounces
from tests.support.feedback import message_row, seed_mail, suppressions

BOUNCES = "bounces@acme.test"


def _files(path) -> dict[str, bytes]:
    if path.is_file():
        return {path.name: path.read_bytes()}
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("maildir", [False, True], ids=["mbox", "maildir"])
def test_every_message_is_applied_once_and_read_again_changes_nothing(make_app, tmp_path, maildir) -> None:
    app = make_app(BROADCASTS_BOUNCE_ADDRESS=BOUNCES)
    ann, bob, cy = ("ann@example.test", "bob@example.test", "cy@example.test")
    seeded = seed_mail(app, ann, bob, cy)
    with app.app_context():
        to = [verp_address(BOUNCES, message_id) for message_id in seeded.message_ids]
        purged = verp_address(BOUNCES, max(seeded.message_ids) + 1000)
    mail = [
        bounces.rfc3464(to[0], ann),  # hard
        bounces.qmail(to[1], bob),  # hard, in qmail's own shape
        bounces.rfc3464(to[2], cy, status="4.4.1", action="delayed"),  # still being tried: no bounce
        bounces.auto_reply(to[2]),
        bounces.rfc3464(purged, "gone@example.test"),  # a message of ours no more
        bounces.qmail(BOUNCES, cy),  # to the bare address: no token
    ]
    path = bounces.write_mailbox(tmp_path / ("Maildir" if maildir else "bounces.mbox"), mail, maildir=maildir)
    before = _files(path)

    with app.app_context():
        first = read_mailbox(path, maildir=maildir)
        again = read_mailbox(path, maildir=maildir)

    assert str(first) == "6 read: 2 applied, 0 duplicate, 1 unknown, 1 no token, 2 not a bounce"
    assert first.read == 6 and first.counts[BounceResult.APPLIED] == 2
    assert str(again) == "6 read: 0 applied, 2 duplicate, 1 unknown, 1 no token, 2 not a bounce"
    assert [message_row(app, i).mail_status for i in seeded.message_ids] == ["bounced", "bounced", "sent"]
    # A Maildir is read in no particular order: which one was applied first says nothing.
    assert sorted(suppressions(app)) == [("org-a", ann, "bounced"), ("org-a", bob, "bounced")]
    assert _files(path) == before  # only read: nothing moved, flagged or removed


@pytest.mark.parametrize(
    ("maildir", "message"),
    [(False, "no mbox at"), (True, "no Maildir at")],
    ids=["mbox", "maildir"],
)
def test_a_mailbox_that_is_not_there_is_named_in_the_error(make_app, tmp_path, maildir, message) -> None:
    app = make_app(BROADCASTS_BOUNCE_ADDRESS=BOUNCES)
    mbox = bounces.write_mailbox(tmp_path / "bounces.mbox", [bounces.auto_reply(BOUNCES)], maildir=False)
    maildir_path = bounces.write_mailbox(tmp_path / "Maildir", [bounces.auto_reply(BOUNCES)], maildir=True)
    wrong_kind = mbox if maildir else maildir_path  # an mbox file is no Maildir, and the other way round
    with app.app_context():
        for path in (tmp_path / "missing", wrong_kind):
            with pytest.raises(FileNotFoundError, match=f"{message} {path}"):
                read_mailbox(path, maildir=maildir)


def test_an_empty_mailbox_reads_as_nothing() -> None:
    assert str(MailboxSummary()) == "0 read: 0 applied, 0 duplicate, 0 unknown, 0 no token, 0 not a bounce"
