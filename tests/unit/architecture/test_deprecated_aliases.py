"""Every import path the docs named before 0.2 still works, for one release.

RQ stores a job's function by dotted path, so jobs queued before an upgrade name
``flask_broadcasts.jobs.send_batch``; deployments start workers with
``-w flask_broadcasts.worker.BroadcastsWorker``; hosts import ``SmsProvider`` and
``record_delivery_status`` from where the docs said. Those names must resolve to the
objects of their new homes; the ones a deployment cannot change at once (job paths, the
worker class) stay quiet, the others warn.
"""

from __future__ import annotations

import importlib
import sys
import warnings

import pytest

from flask_broadcasts.background import jobs, worker
from flask_broadcasts.background import scheduler as scheduler_runner
from flask_broadcasts.background import timers as rq_timers
from flask_broadcasts.background.queues import RQDispatcher
from flask_broadcasts.channels import sms
from flask_broadcasts.engine import delivery_status, dispatch, recovery, schedule, schedule_recovery
from flask_broadcasts.engine import timers as engine_timers

#: old module -> {name: the object it must be}, and whether importing it warns.
ALIASES = {
    "flask_broadcasts.jobs": (
        {
            "send_batch": jobs.send_batch,
            "materialize_run": jobs.materialize_run,
            "recover": jobs.recover,
            "fire_campaign": jobs.fire_campaign,
        },
        False,
    ),
    "flask_broadcasts.scheduling.jobs": ({"fire_campaign": jobs.fire_campaign}, False),
    "flask_broadcasts.worker": (
        {"BroadcastsWorker": worker.BroadcastsWorker, "build_worker": worker.build_worker},
        False,
    ),
    "flask_broadcasts.queues": ({"RQDispatcher": RQDispatcher}, True),
    "flask_broadcasts.services.delivery_status": (
        {"record_delivery_status": delivery_status.record_delivery_status},
        True,
    ),
    "flask_broadcasts.services.dispatch": ({"Dispatcher": dispatch.Dispatcher}, True),
    "flask_broadcasts.services.recovery": (
        {"recover": recovery.recover, "RecoveryReport": recovery.RecoveryReport},
        True,
    ),
    "flask_broadcasts.scheduling.service": (
        {
            "schedule_start": schedule.schedule_start,
            "fire": schedule.fire,
            "next_run_after": schedule.next_run_after,
            "after_run_completed": schedule.after_run_completed,
            "recent_runs": schedule.recent_runs,
            "recover_schedules": schedule_recovery.recover_schedules,
        },
        True,
    ),
    "flask_broadcasts.scheduling.runner": ({"run_scheduler": scheduler_runner.run_scheduler}, True),
    "flask_broadcasts.scheduling.timers": (
        {"FireTimers": engine_timers.FireTimers, "RQFireTimers": rq_timers.RQFireTimers},
        True,
    ),
    "flask_broadcasts.delivery.sms": (
        {
            "SmsProvider": sms.SmsProvider,
            "SmsResult": sms.SmsResult,
            "SmsPermanentError": sms.SmsPermanentError,
            "SmsTransientError": sms.SmsTransientError,
            "SmsOutcomeUnknown": sms.SmsOutcomeUnknown,
            "TwilioSmsProvider": sms.TwilioSmsProvider,
            "to_e164": sms.to_e164,
        },
        True,
    ),
}


def _fresh_import(name: str) -> object:
    sys.modules.pop(name, None)
    return importlib.import_module(name)


@pytest.mark.parametrize("old", sorted(ALIASES))
def test_old_import_path_still_works(old: str) -> None:
    names, warns = ALIASES[old]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = _fresh_import(old)
    for name, expected in names.items():
        assert getattr(module, name) is expected, f"{old}.{name}"
    deprecations = [w for w in caught if issubclass(w.category, DeprecationWarning) and old in str(w.message)]
    assert bool(deprecations) is warns


def test_the_twilio_callback_keeps_its_csrf_exemption_name() -> None:
    """Flask-WTF's ``csrf.exempt("flask_broadcasts.callbacks.twilio_status_callback")``
    names the view by module and function (docs/channels.rst)."""
    from flask_broadcasts.callbacks import twilio_status_callback

    view = twilio_status_callback
    assert f"{view.__module__}.{view.__name__}" == "flask_broadcasts.callbacks.twilio_status_callback"


def test_queued_jobs_from_before_the_upgrade_resolve() -> None:
    """RQ resolves a stored ``func_name`` with its own import helper."""
    from rq.utils import import_attribute

    assert import_attribute("flask_broadcasts.jobs.send_batch") is jobs.send_batch
    assert import_attribute("flask_broadcasts.scheduling.jobs.fire_campaign") is jobs.fire_campaign
    assert import_attribute("flask_broadcasts.jobs.recover") is jobs.recover
