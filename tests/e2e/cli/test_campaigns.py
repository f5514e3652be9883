"""Tests of flask_broadcasts.cli.campaigns.

``flask broadcasts campaigns ...`` as subprocesses against a real stack (database, Redis, SMTP, a worker).

Two 300-recipient campaigns are watched to completion — one through plain lines (stdout a
pipe), one through the progress bar (stdout a pseudo-terminal) — each started by the
CLI's own ``start`` while the watcher waits.
"""

from __future__ import annotations

import re

import pytest

from flask_broadcasts.models import BroadcastAudience, BroadcastCampaign, BroadcastTemplate
from tests.support.cli import TerminalCommand, run_cli, start_cli
from tests.support.fixtures import ORG, campaign_row, make_campaign, seed_customers

pytestmark = pytest.mark.usefixtures("stack_worker")

RECIPIENTS = 300
REFUSED = RECIPIENTS // 50  # refuse50@, refuse100@...: the SMTP server answers 550


def _named(campaign_id: int, name: str) -> int:
    from tests.support.hostapp import db

    db.session.get(BroadcastCampaign, campaign_id).name = name
    db.session.commit()
    return campaign_id


@pytest.fixture(scope="module")
def campaigns(stack_app) -> dict[str, int]:
    from tests.support.hostapp import db

    seed_customers(RECIPIENTS, refuse_every=50)
    ids = {name: _named(make_campaign(), f"Newsletter {name}") for name in ("plain", "terminal", "idle")}
    template = BroadcastTemplate(organization_id="org-2", name="T2", subject="Hi", body="<p>Hi</p>", channels=["mail"])
    audience = BroadcastAudience(organization_id="org-2", name="A2", audience_type="customers", filters={})
    db.session.add_all([template, audience])
    db.session.flush()
    other = BroadcastCampaign(
        organization_id="org-2", name="Other tenant", template_id=template.id, audience_id=audience.id
    )
    db.session.add(other)
    db.session.commit()
    ids["other"] = other.id
    return ids


def test_list_shows_each_campaign_and_filters_by_organization_and_status(stack_env, campaigns):
    listed = run_cli(stack_env, "campaigns", "list")
    assert listed.returncode == 0, listed.output
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["ID", "ORGANIZATION", "NAME", "STATUS", "SENT/FAILED/TOTAL", "NEXT", "RUN"]
    rows = {int(line.split()[0]): line for line in lines[1:]}
    assert set(rows) == set(campaigns.values())
    assert re.search(rf"^{campaigns['other']}\s+org-2\s+Other tenant\s+draft\s+0/0/0\s+-$", rows[campaigns["other"]])
    assert re.search(rf"^{campaigns['idle']}\s+{ORG}\s+Newsletter idle\s+draft\s", rows[campaigns["idle"]])

    org2 = run_cli(stack_env, "campaigns", "list", "--organization", "org-2", "--status", "draft")
    assert [int(line.split()[0]) for line in org2.stdout.splitlines()[1:]] == [campaigns["other"]]


def test_an_action_the_status_does_not_allow_is_refused_in_words(stack_env, campaigns):
    refused = run_cli(stack_env, "campaigns", "pause", str(campaigns["idle"]))
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        f"Refused: cannot pause campaign {campaigns['idle']} (illegal_transition):"
        " A draft campaign cannot be paused. Its status is draft."
    )
    assert campaign_row(campaigns["idle"]).status == "draft"

    not_completed = run_cli(stack_env, "campaigns", "retry", str(campaigns["idle"]))
    assert not_completed.returncode == 1
    assert "(illegal_transition)" in not_completed.stderr and "Its status is draft." in not_completed.stderr

    missing = run_cli(stack_env, "campaigns", "resume", "999999")
    assert (missing.returncode, missing.stderr.strip()) == (3, "Campaign 999999 does not exist.")


def _final(campaign_id: int) -> str:
    return f"campaign {campaign_id} completed: {RECIPIENTS - REFUSED} sent, {REFUSED} failed, {RECIPIENTS} total"


def test_watch_without_a_terminal_prints_lines_until_the_run_completes(stack_env, campaigns):
    campaign_id = campaigns["plain"]
    watcher = start_cli(stack_env, "campaigns", "watch", str(campaign_id), "--interval", "0.2")
    assert watcher.stdout.readline().strip() == f"campaign {campaign_id} draft: waiting for it to start"

    started = run_cli(stack_env, "campaigns", "start", str(campaign_id))
    assert (started.returncode, started.stdout.strip()) == (0, f"campaign {campaign_id}: draft -> pending")

    out, _ = watcher.communicate(timeout=120)
    assert watcher.returncode == 0, out
    assert "\r" not in out
    lines = out.splitlines()
    assert lines[-1].startswith(_final(campaign_id) + " (watched ")
    done = [
        int(m.group(1)) for m in re.finditer(r"in-progress (\d+)/300 sent \d+ · failed \d+ · [\d.-]+/s · ETA ", out)
    ]
    assert any(0 < n < RECIPIENTS for n in done), out  # seen while sending, not only at the end
    assert done == sorted(done)

    # The same 409 rule as the API: a completed campaign is not started again.
    again = run_cli(stack_env, "campaigns", "start", str(campaign_id))
    assert again.returncode == 1
    assert "A completed campaign cannot be started. Its status is completed." in again.stderr
    # Its failures are 550s (refused for good): retry has nothing to send again.
    retried = run_cli(stack_env, "campaigns", "retry", str(campaign_id))
    assert retried.returncode == 1
    assert f"Refused: cannot retry campaign {campaign_id} (nothing_to_retry)" in retried.stderr

    shown = run_cli(stack_env, "campaigns", "show", str(campaign_id))
    assert shown.returncode == 0, shown.output
    assert re.search(r"^name\s+Newsletter plain$", shown.stdout, re.M)
    assert re.search(rf"^organization\s+{ORG}$", shown.stdout, re.M)
    assert re.search(r"^status\s+completed$", shown.stdout, re.M)
    assert re.search(rf"^sent\s+{RECIPIENTS - REFUSED}$", shown.stdout, re.M)
    assert "Recent runs:" in shown.stdout
    assert re.search(rf"^  once\s+completed\s+{RECIPIENTS - REFUSED}/{REFUSED}/{RECIPIENTS}\s", shown.stdout, re.M)


def test_watch_on_a_terminal_draws_a_progress_bar(stack_env, campaigns):
    campaign_id = campaigns["terminal"]
    terminal = TerminalCommand(stack_env, "campaigns", "watch", str(campaign_id), columns=120)
    assert "waiting for it to start" in terminal.read_until("waiting for it to start", timeout=120)

    assert run_cli(stack_env, "campaigns", "start", str(campaign_id)).returncode == 0
    assert terminal.wait(timeout=120) == 0, terminal.output

    frames = terminal.output.split("\r")
    bars = [frame for frame in frames if re.match(rf"campaign {campaign_id} \[[#-]+\]\s+\d+% \d+/300 sent", frame)]
    assert any(re.search(r"\[#+-+\]\s+\d+% (\d+)/300", frame) for frame in bars), terminal.output  # part-way
    assert any(re.search(r"/s · ETA \d", frame) for frame in bars)
    assert _final(campaign_id) in terminal.output.splitlines()[-1] or _final(campaign_id) in terminal.output
    assert len(max(frames, key=len).splitlines()[0]) <= 119
