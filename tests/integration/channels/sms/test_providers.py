"""flask_broadcasts.channels.sms.providers: which provider an app sends SMS with, and its callback URL.

What a user relies on: ``BROADCASTS_SMS_PROVIDER`` picks the logging provider (the default, any
case) or Twilio built from its ``BROADCASTS_TWILIO_*`` settings; another name stops ``init_app``;
a host's own instance wins over the setting; a gateway is told to call back at the public URL
under the plain blueprint's prefix, and not at all without a public URL."""

from __future__ import annotations

import pytest

from flask_broadcasts import get_state
from flask_broadcasts.channels.sms.logging_provider import LoggingSmsProvider
from flask_broadcasts.channels.sms.providers import build_sms_provider, get_sms_provider, status_callback_url
from flask_broadcasts.channels.sms.twilio_provider import TwilioSmsProvider
from tests.support.twilio import ACCOUNT_SID, SENDER


def test_the_setting_picks_the_provider_in_any_case(make_app, twilio_standin) -> None:
    default = make_app()
    assert isinstance(build_sms_provider(get_state(default).settings), LoggingSmsProvider)
    app = make_app(BROADCASTS_SMS_PROVIDER="Twilio", BROADCASTS_TWILIO_BASE_URL=twilio_standin.url)
    with app.app_context():
        provider = get_sms_provider()
        assert get_sms_provider() is provider  # one provider per app, not one per call
        assert isinstance(provider, TwilioSmsProvider)
        provider.send("+14155552671", "Hi")
    request = twilio_standin.requests[0]
    assert (request["user"], request["form"]["From"]) == (ACCOUNT_SID, SENDER)


def test_an_unknown_provider_stops_init_app_and_a_hosts_instance_wins(make_app) -> None:
    with pytest.raises(ValueError, match="BROADCASTS_SMS_PROVIDER is 'carrier-pigeon'"):
        make_app(BROADCASTS_SMS_PROVIDER="carrier-pigeon")
    app = make_app(BROADCASTS_SMS_PROVIDER="twilio")
    mine = LoggingSmsProvider(sent=[])
    get_state(app).extension.use_sms_provider(mine)
    assert get_sms_provider(app) is mine


@pytest.mark.parametrize(
    ("config", "url"),
    [
        (
            {"BROADCASTS_PUBLIC_URL": "https://app.example.com/"},
            "https://app.example.com/api/broadcast-callbacks/twilio",
        ),
        (
            {"BROADCASTS_PUBLIC_URL": "https://app.example.com", "BROADCASTS_URL_PREFIX": "/v2/"},
            "https://app.example.com/v2/broadcast-callbacks/twilio",
        ),
        (
            {"BROADCASTS_PUBLIC_URL": "https://app.example.com", "BROADCASTS_EVENTS_URL_PREFIX": "/hooks"},
            "https://app.example.com/hooks/broadcast-callbacks/twilio",
        ),
        ({}, None),  # no public URL: a gateway could not reach us
    ],
)
def test_the_callback_url_is_under_the_plain_blueprint_of_the_public_url(make_app, config, url) -> None:
    state = get_state(make_app(BROADCASTS_SMS_PROVIDER="twilio", **config))
    assert status_callback_url(state, state.sms_provider) == url
    assert status_callback_url(state, LoggingSmsProvider()) is None  # no endpoint of ours to call
