"""``flask broadcasts doctor``: is this deployment able to send? A readable list, non-zero on a problem.

It checks what a broken setup most often gets wrong — settings that contradict each
other, the mail server, Redis, the migrations, the workers and the scheduler — with the
app's own settings, from wherever it runs (a web host, a worker's machine, a deploy
step). Each check runs even when another failed; a check that crashes is a problem.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import click
from flask import current_app
from flask.cli import with_appcontext

from ..channels.smtp import MailSettings
from ..state import get_state
from . import checks
from .checks import Finding, Level

__all__ = ["EXIT_PROBLEM", "doctor", "report"]

#: Exit status when at least one check found a problem.
EXIT_PROBLEM = 1

_STYLE = {Level.OK: "green", Level.WARNING: "yellow", Level.PROBLEM: "red"}


def report(findings: list[Finding]) -> list[str]:
    """The report's lines: one per finding, then a summary."""
    width = max(len(finding.check) for finding in findings)
    lines = [
        f"{click.style(finding.level.value.ljust(7), fg=_STYLE[finding.level])}  {finding.check.ljust(width)}  {finding.message}"
        for finding in findings
    ]
    problems = sum(finding.level is Level.PROBLEM for finding in findings)
    warnings = sum(finding.level is Level.WARNING for finding in findings)
    if problems:
        summary = f"{problems} problem{'s' * (problems != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    else:
        summary = f"no problem, {warnings} warning{'s' * (warnings != 1)}"
    return [*lines, "", summary]


def _run(check: str, function: Callable[[], list[Finding]]) -> list[Finding]:
    try:
        return function()
    except Exception as exc:  # a check that crashes is itself a finding, never the end of the report
        return [Finding(check, Level.PROBLEM, f"the check itself failed: {exc.__class__.__name__}: {exc}")]


@click.command("doctor")
@with_appcontext
def doctor() -> None:
    """Check the configuration, the mail server, Redis, the migrations, the workers and the scheduler."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    state = get_state(app)
    mail = MailSettings.from_app(app)
    findings = _run("configuration", lambda: checks.configuration(state.settings, mail))
    findings += _run("smtp", lambda: checks.smtp(mail, state.settings))
    redis = _run("redis", lambda: checks.redis(state))
    findings += redis
    findings += _run("migrations", lambda: checks.migrations(app, state))
    if any(finding.level is Level.PROBLEM for finding in redis):
        findings.append(Finding("workers", Level.PROBLEM, "not checked: Redis does not answer"))
    else:
        findings += _run("workers", lambda: checks.workers(state))
        findings += _run("scheduler", lambda: checks.schedulers(state))
    for line in report(findings):
        click.echo(line)
    if any(finding.level is Level.PROBLEM for finding in findings):
        sys.exit(EXIT_PROBLEM)
