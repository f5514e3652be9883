"""``flask broadcasts bounces`` on an mbox and on a Maildir of real-world bounce shapes: an RFC 3464
DSN (hard, and soft), qmail, Exim's old style, Postfix's pre-DSN notification and Microsoft's
SMTPSVC, beside what is no bounce (a delay warning, an auto-reply) and what is forged (a token
whose MAC does not check, a bounce to the bare address). Read twice, the mailbox changes nothing
more; a hard bounce suppresses the address and the next campaign skips it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from flask_broadcasts.feedback import BounceResult, apply_bounce
from flask_broadcasts.models import BroadcastFeedbackEvent, BroadcastSuppression
from flask_broadcasts.signing import verp_address
from tests.support import bounces
from tests.support.bounce_runs import BOUNCES, messages_of, run_campaign
from tests.support.fixtures import campaign_row, seed_customers, set_config


def _forged(address: str) -> str:
    local, _, domain = address.rpartition("@")
    mac = local[-16:]
    return f"{local[:-16]}{'a' if mac[0] != 'a' else 'b'}{mac[1:]}@{domain}"


def _cli(app, *args: str):
    return app.test_cli_runner().invoke(args=["broadcasts", "bounces", *args])


@pytest.mark.parametrize("maildir", [False, True], ids=["mbox", "maildir"])
def test_bounce_mail_through_the_cli(app, env, smtp, tmp_path, maildir):
    from tests.support.hostapp import db

    set_config(env, app, BROADCASTS_BOUNCE_ADDRESS=BOUNCES, BROADCASTS_SOFT_BOUNCE_LIMIT=3)
    seed_customers(9)
    first = run_campaign()
    by_email = messages_of(first)
    email = [f"c{i}@example.test" for i in range(1, 10)]
    to = {address: verp_address(BOUNCES, message.id) for address, message in by_email.items()}

    mail = [
        bounces.rfc3464(to[email[0]], email[0]),  # 5.1.1: hard
        bounces.qmail(to[email[1]], email[1]),
        bounces.exim_old(to[email[2]], email[2]),
        bounces.postfix_old(to[email[3]], email[3]),
        bounces.microsoft(to[email[4]], email[4]),
        # Action failed with a 4.x.x status: the MTA gave up on a temporary failure (soft).
        bounces.rfc3464(to[email[5]], email[5], status="4.2.2", diagnostic="smtp; 452 4.2.2 Mailbox full"),
        # Not bounces: a delay warning (still being tried) and an auto-reply.
        bounces.rfc3464(to[email[6]], email[6], status="4.4.1", action="delayed"),
        bounces.auto_reply(to[email[7]]),
        # Forged: an altered MAC, and a token-less bounce to the bare address.
        bounces.rfc3464(_forged(to[email[8]]), email[8]),
        bounces.qmail(BOUNCES, email[8]),
    ]
    path = bounces.write_mailbox(tmp_path / ("Maildir" if maildir else "bounces.mbox"), mail, maildir=maildir)
    option = "--maildir" if maildir else "--mbox"

    result = _cli(app, option, str(path))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == ("10 read: 6 applied, 0 duplicate, 0 unknown, 2 no token, 2 not a bounce")
    after = messages_of(first)
    for address in email[:5]:
        message = after[address]
        assert (message.status, message.mail_status, message.error_code) == ("failed", "bounced", "bounced"), address
    assert "5.1.1" in after[email[0]].error and "550 5.1.1 Sorry, no mailbox" in after[email[1]].error
    for address in email[5:]:  # the soft bounce, the non-bounces and the forged ones change nothing
        message = after[address]
        assert (message.status, message.mail_status, message.error_code) == ("completed", "sent", None), address
    row = campaign_row(first)
    assert (row.total_count, row.sent_count, row.failed_count, row.bounced_count) == (9, 4, 5, 5)
    suppressed = sorted(db.session.execute(sa.select(BroadcastSuppression.address, BroadcastSuppression.reason)).all())
    assert suppressed == [(address, "bounced") for address in email[:5]]
    kinds = sorted(db.session.execute(sa.select(BroadcastFeedbackEvent.kind)).scalars())
    assert kinds == ["hard_bounce"] * 5 + ["soft_bounce"]

    # Read again (cron before the mailbox is emptied): nothing more changes.
    again = _cli(app, option, str(path))
    assert again.output.strip() == "10 read: 0 applied, 6 duplicate, 0 unknown, 2 no token, 2 not a bounce"
    assert db.session.execute(sa.select(sa.func.count()).select_from(BroadcastFeedbackEvent)).scalar() == 6
    assert campaign_row(first).bounced_count == 5

    # The next campaign skips the hard-bounced addresses and mails the rest.
    tries = dict(smtp.rcpt_tries)
    run_campaign()
    for address in email[:5]:
        assert smtp.rcpt_tries[address] == tries[address], address
    for address in email[5:]:
        assert smtp.rcpt_tries[address] == tries[address] + 1, address


def test_the_cli_wants_one_mailbox_that_exists(app, env, tmp_path):
    set_config(env, app, BROADCASTS_BOUNCE_ADDRESS=BOUNCES)
    assert _cli(app).exit_code == 2
    assert _cli(app, "--mbox", "a", "--maildir", "b").exit_code == 2
    missing = _cli(app, "--mbox", str(tmp_path / "none.mbox"))
    assert missing.exit_code == 1 and "no mbox at" in missing.output


def test_without_a_bounce_address_nothing_is_read(app, env, tmp_path):
    path = bounces.write_mailbox(tmp_path / "b.mbox", [bounces.auto_reply("bounces@acme.test")], maildir=False)
    result = _cli(app, "--mbox", str(path))
    assert result.exit_code == 1 and "BROADCASTS_BOUNCE_ADDRESS" in result.output


def test_a_host_applies_raw_bytes_and_a_token_of_another_key_changes_nothing(app, env, smtp):
    set_config(env, app, BROADCASTS_BOUNCE_ADDRESS=BOUNCES)
    seed_customers(2)
    first = run_campaign()
    ann, bob = messages_of(first)["c1@example.test"], messages_of(first)["c2@example.test"]
    good = bounces.rfc3464(verp_address(BOUNCES, ann.id), ann.email)
    # A token made with another key (another app's, a guess): no message of ours.
    app.config["SECRET_KEY"], secret = "another-apps-secret", app.config["SECRET_KEY"]
    foreign = bounces.rfc3464(verp_address(BOUNCES, bob.id), bob.email)
    app.config["SECRET_KEY"] = secret
    assert apply_bounce(foreign) is BounceResult.NO_TOKEN
    assert apply_bounce(good) is BounceResult.APPLIED
    assert apply_bounce(good) is BounceResult.DUPLICATE
    after = messages_of(first)
    assert (after["c1@example.test"].mail_status, after["c2@example.test"].mail_status) == ("bounced", "sent")
    # The key rotated since bob's e-mail went out: its bounce still counts (SECRET_KEY_FALLBACKS).
    late = bounces.qmail(verp_address(BOUNCES, bob.id), bob.email)
    app.config.update(SECRET_KEY="rotated", SECRET_KEY_FALLBACKS=[secret])
    assert apply_bounce(late) is BounceResult.APPLIED
    assert messages_of(first)["c2@example.test"].mail_status == "bounced"
