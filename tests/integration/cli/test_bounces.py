"""``flask_broadcasts.cli.bounces``: ``flask broadcasts bounces --mbox PATH | --maildir PATH``.

What an operator (or cron) relies on: the command reads exactly one mailbox, says what
became of each of its messages, leaves the mailbox as it was, and fails with a message
(not a traceback) when the mailbox is not there or no bounce address is configured. What
each bounce does is the feedback package's (tests/integration/bounces).
"""

from __future__ import annotations

import pytest

from tests.support import bounces
from tests.support.fixtures import set_config

BOUNCES = "bounces@acme.test"


def _cli(app, *args: str):
    return app.test_cli_runner().invoke(args=["broadcasts", "bounces", *args])


@pytest.mark.parametrize("maildir", [False, True], ids=["mbox", "maildir"])
def test_the_summary_counts_every_message_read_and_the_mailbox_is_left_as_it_was(app, env, tmp_path, maildir):
    set_config(env, app, BROADCASTS_BOUNCE_ADDRESS=BOUNCES)
    replies = [bounces.auto_reply(BOUNCES), bounces.auto_reply(BOUNCES)]
    path = bounces.write_mailbox(tmp_path / "box", replies, maildir=maildir)
    before = sorted(p.name for p in path.rglob("*")) if maildir else path.read_bytes()

    result = _cli(app, "--maildir" if maildir else "--mbox", str(path))
    assert result.exit_code == 0, result.output
    summary = result.output.strip()
    assert summary.startswith("2 read: ")
    assert "2 no token" in summary  # mail to the bare address carries no message's token
    assert (sorted(p.name for p in path.rglob("*")) if maildir else path.read_bytes()) == before
    assert _cli(app, "--maildir" if maildir else "--mbox", str(path)).output.strip() == summary


def test_exactly_one_mailbox_is_read(app, env, tmp_path):
    set_config(env, app, BROADCASTS_BOUNCE_ADDRESS=BOUNCES)
    path = bounces.write_mailbox(tmp_path / "b.mbox", [bounces.auto_reply(BOUNCES)], maildir=False)
    neither = _cli(app)
    both = _cli(app, "--mbox", str(path), "--maildir", str(tmp_path))
    assert (neither.exit_code, both.exit_code) == (2, 2)
    assert "exactly one of --mbox PATH and --maildir PATH" in both.output


def test_a_missing_mailbox_or_bounce_address_fails_with_a_message(app, env, tmp_path):
    path = bounces.write_mailbox(tmp_path / "b.mbox", [bounces.auto_reply(BOUNCES)], maildir=False)
    unconfigured = _cli(app, "--mbox", str(path))
    assert unconfigured.exit_code == 1 and "BROADCASTS_BOUNCE_ADDRESS" in unconfigured.output
    assert unconfigured.exception is None or isinstance(unconfigured.exception, SystemExit)
    set_config(env, app, BROADCASTS_BOUNCE_ADDRESS=BOUNCES)
    missing = _cli(app, "--maildir", str(tmp_path / "nowhere"))
    assert missing.exit_code == 1 and "no Maildir at" in missing.output
