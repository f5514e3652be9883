"""flask_broadcasts.state: the per-app state and ``get_state``.

A host relies on: a clear error when the extension is not registered on the app, a clear
error naming ``REDIS_URL`` when no Redis is configured (at first use, not at ``init_app``),
and the SMS provider chosen as documented: the state's own, else the extension's, else the
configured one. Apps of the small host on an in-memory SQLite URL, never queried.
"""

from __future__ import annotations

import pytest
from flask import Flask

from flask_broadcasts import get_state
from flask_broadcasts.channels.sms import LoggingSmsProvider
from tests.support.host import make_app


def test_get_state_of_an_app_without_the_extension_says_what_to_do():
    with pytest.raises(RuntimeError, match=r"Broadcasts.init_app\(app\)"):
        get_state(Flask(__name__))
    app = make_app()
    with app.app_context():
        assert get_state() is get_state(app) is app.extensions["broadcasts"]


def test_redis_is_asked_for_at_first_use_and_names_the_setting_when_missing():
    state = get_state(make_app())  # init_app itself needs no Redis
    with pytest.raises(RuntimeError, match="REDIS_URL"):
        _ = state.redis
    connection = get_state(make_app(REDIS_URL="redis://127.0.0.1:1/5")).redis
    assert connection.connection_pool.connection_kwargs["db"] == 5


def test_the_sms_provider_is_the_states_else_the_extensions_else_the_configured_one():
    state = get_state(make_app())
    configured = state.sms_provider
    assert isinstance(configured, LoggingSmsProvider)  # BROADCASTS_SMS_PROVIDER's default
    hosts, this_apps = LoggingSmsProvider(), LoggingSmsProvider()
    state.extension.use_sms_provider(hosts)  # set after init_app: still taken
    assert state.sms_provider is hosts
    state.sms_provider = this_apps
    assert state.sms_provider is this_apps
    state.sms_provider = None
    assert state.sms_provider is hosts
