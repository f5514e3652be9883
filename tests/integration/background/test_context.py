"""``flask_broadcasts.background.context``: how a job finds its app in a worker process.

What a deployment relies on: under a plain ``rq worker`` (no app context pushed) a job
loads the app ``FLASK_APP`` names, as the ``flask`` command would, and works on that app's
database; under the extension's worker (a context already pushed) it uses that one and
loads nothing; a warm stop is seen by the job through :func:`warm_stop_requested`.
"""

from __future__ import annotations

import contextvars

import sqlalchemy as sa
from flask import current_app

from flask_broadcasts.background.context import app_context, load_app, warm_stop_event, warm_stop_requested
from flask_broadcasts.models import BroadcastCampaign
from flask_broadcasts.state import get_state
from tests.support.fixtures import make_campaign

HOST_APP = "tests.support.hostapp:create_app"


def _campaign_ids_as_a_job_sees_them() -> tuple[object, list[int]]:
    with app_context():
        ids = list(get_state().session.scalars(sa.select(BroadcastCampaign.id)))
        return current_app._get_current_object(), ids


def test_without_a_pushed_context_the_flask_app_app_is_loaded_on_the_same_database(app, monkeypatch):
    monkeypatch.setenv("FLASK_APP", HOST_APP)  # the environment the fixture's app is built from
    campaign_id = make_campaign()
    loaded, ids = contextvars.Context().run(_campaign_ids_as_a_job_sees_them)  # a bare worker process
    assert loaded is not app and loaded.name == "hostapp"
    assert ids == [campaign_id]


def test_inside_a_pushed_context_that_app_is_used_and_nothing_is_loaded(app, monkeypatch):
    monkeypatch.setenv("FLASK_APP", "no.such.module:create_app")  # loading would fail
    used, _ = _campaign_ids_as_a_job_sees_them()
    assert used is app


def test_load_app_reads_flask_app_from_the_environment(app, monkeypatch):
    monkeypatch.setenv("FLASK_APP", HOST_APP)
    assert load_app().name == "hostapp"


def test_a_job_sees_the_warm_stop_its_worker_was_asked_for():
    try:
        assert not warm_stop_requested()
        warm_stop_event.set()  # what the horse's signal handler does
        assert warm_stop_requested()
    finally:
        warm_stop_event.clear()
