"""Every Python sample of the documentation (``docs/examples/*.py``) runs here, and the
README's integration example is the ``[readme-*]`` parts of ``integration.py``."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import runpy
import textwrap
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from twilio.request_validator import RequestValidator

from flask_broadcasts import get_state
from flask_broadcasts.channels.base import OutcomeUnknown, RetryLater
from flask_broadcasts.channels.sms import LoggingSmsProvider, SmsProvider, get_sms_provider, send_sms
from flask_broadcasts.config import SETTINGS
from flask_broadcasts.engine.delivery_status import record_delivery_status
from flask_broadcasts.engine.sending import send_batch
from flask_broadcasts.events import RecordingPublisher
from flask_broadcasts.statuses import ChannelStatus, MessageStatus
from tests.support.database import MigratedDatabase
from tests.support.docs import DOCS, EXAMPLES, load_example
from tests.support.smtp import SmtpServer
from tests.support.twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    TwilioStandIn,
    campaign_row,
    in_progress_run,
    message_row,
    running_campaign,
)

JSONAPI = "application/vnd.api+json"
README = DOCS.parent / "README.md"


def section(path: Path, name: str) -> str:
    """The lines between ``# [name]`` and ``# [/name]``, dedented as the page shows them."""
    match = re.search(rf"^[ \t]*# \[{name}\]\n(.*?)^[ \t]*# \[/{name}\]$", path.read_text(), re.S | re.M)
    assert match, name
    # Trailing blank lines are the formatter's (two before a top-level comment), not the sample's.
    return textwrap.dedent(match.group(1)).rstrip("\n") + "\n"


# -- the integration guide ---------------------------------------------------------------


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Flask]:
    from flask_broadcasts.models import metadata as broadcasts_metadata

    integration = load_example("integration")
    app = integration.create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'host.db'}"})
    with app.app_context():
        # The guide uses migrations (flask db upgrade); a test builds the same tables directly.
        integration.db.create_all()
        broadcasts_metadata.create_all(integration.db.engine)
        db, User, Customer = integration.db, integration.User, integration.Customer
        db.session.add_all(
            [
                User(token="t-ada", organization_id=7),
                User(token="t-eve", organization_id=8),
                Customer(
                    organization_id=7, first_name="Ada", last_name="Lovelace", email="ada@example.com", locale="en"
                ),
                Customer(
                    organization_id=7,
                    first_name="Alan",
                    last_name="Turing",
                    email="alan@example.com",
                    status="inactive",
                ),
                Customer(organization_id=7, first_name="Grace", last_name="Hopper", mobile="+33612345678"),
                Customer(organization_id=8, first_name="Eve", last_name="Other", email="eve@example.com"),
            ]
        )
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


def post(client, path: str, data: dict, token: str = "t-ada"):
    return client.post(
        f"/api/{path}?o=7", json={"data": data}, headers={"Authorization": f"Bearer {token}", "Content-Type": JSONAPI}
    )


def test_integration_sample_serves_the_api(host: Flask) -> None:
    client = host.test_client()
    template = post(
        client,
        "broadcast-templates",
        {
            "type": "broadcast-templates",
            "attributes": {
                "name": "Hello",
                "subject": "Hello {first_name}",
                "body": "<p>Dear {first_name} {last_name}</p>",
                "channels": ["mail"],
            },
        },
    )
    assert template.status_code == 201, template.get_json()
    audience = post(
        client,
        "broadcast-audiences",
        {
            "type": "broadcast-audiences",
            "attributes": {"name": "Active", "audience_type": "customers", "filters": {"status": "active"}},
        },
    )
    assert audience.status_code == 201, audience.get_json()
    assert audience.get_json()["data"]["meta"]["member_count"] == 2
    campaign = post(
        client,
        "broadcast-campaigns",
        {
            "type": "broadcast-campaigns",
            "attributes": {"name": "First"},
            "relationships": {
                "template": {"data": {"type": "broadcast-templates", "id": template.get_json()["data"]["id"]}},
                "audience": {"data": {"type": "broadcast-audiences", "id": audience.get_json()["data"]["id"]}},
            },
        },
    )
    assert campaign.status_code == 201, campaign.get_json()
    cid = campaign.get_json()["data"]["id"]

    preview = client.get(
        f"/api/broadcast-campaigns/{cid}/draft-messages?o=7&include=customer", headers={"Authorization": "Bearer t-ada"}
    )
    assert preview.status_code == 200, preview.get_json()
    messages = preview.get_json()["data"]
    assert [m["attributes"]["subject"] for m in messages] == ["Hello Ada", "Hello Grace"]
    assert [m["attributes"]["channels"] for m in messages] == [["mail"], []]  # Grace has no e-mail
    assert {r["type"] for r in preview.get_json()["included"]} == {"customers"}

    # The audience reaches exactly whom the product's own endpoint lists with the same filters.
    own = client.get("/api/customers?o=7&filter[status]=active", headers={"Authorization": "Bearer t-ada"})
    assert [c["id"] for c in own.get_json()["data"]] == [m["relationships"]["customer"]["data"]["id"] for m in messages]


def test_integration_sample_hooks_and_filter_schema(host: Flask) -> None:
    client = host.test_client()
    assert client.get("/api/broadcast-campaigns?o=7").status_code == 401
    assert client.get("/api/broadcast-campaigns?o=7", headers={"Authorization": "Bearer t-eve"}).status_code == 403
    bad = post(
        client,
        "broadcast-audiences",
        {
            "type": "broadcast-audiences",
            "attributes": {"name": "x", "audience_type": "customers", "filters": {"colour": "red"}},
        },
    )
    assert bad.status_code == 422
    assert bad.get_json()["errors"][0]["source"]["pointer"] == "/data/attributes/filters/colour"
    unknown_variable = post(
        client,
        "broadcast-templates",
        {
            "type": "broadcast-templates",
            "attributes": {"name": "x", "subject": "Hi {nickname}", "body": "b", "channels": ["mail"]},
        },
    )
    assert unknown_variable.status_code == 422


def test_migrate_registered_before_broadcasts_gets_its_revisions(host: Flask) -> None:
    from flask_broadcasts.migrations import configure_alembic, include_object

    migrate_config = host.extensions["migrate"]
    assert configure_alembic in migrate_config.migrate.configure_callbacks
    assert migrate_config.configure_args["include_object"] is include_object


def _bare_host() -> tuple[Flask, Any]:
    """A host with the extension and nothing else: no hooks, no sources."""
    from flask_sqlalchemy import SQLAlchemy

    from flask_broadcasts import Broadcasts

    app, db = Flask("bare"), SQLAlchemy()
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db.init_app(app)
    broadcasts = Broadcasts(db=db)
    broadcasts.init_app(app)
    return app, broadcasts


def test_missing_auth_hooks_are_a_warning_at_the_first_request() -> None:
    from flask_broadcasts import BroadcastsSetupWarning

    app, broadcasts = _bare_host()
    client = app.test_client()
    url, headers = "/api/broadcast-templates/x?o=1", {"Authorization": "Bearer t"}
    with pytest.warns(BroadcastsSetupWarning, match="no token_loader.*no organization_access") as caught:
        assert client.get(url, headers=headers).status_code == 401
        assert client.get(url, headers=headers).status_code == 401
    assert len(caught) == 1  # once per app
    assert "@broadcasts.token_loader and @broadcasts.organization_access" in str(caught[0].message)

    # Hooks registered after init_app, before the first request, are no mistake.
    app, broadcasts = _bare_host()
    broadcasts.token_loader(lambda token: {"token": token})
    broadcasts.organization_access(lambda principal, organization_id: True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert app.test_client().get(url, headers=headers).status_code == 404
    assert not [w for w in caught if issubclass(w.category, BroadcastsSetupWarning)]


def test_migrate_registered_after_broadcasts_is_a_warning_naming_the_fix() -> None:
    from flask_migrate import Migrate

    from flask_broadcasts import BroadcastsSetupWarning, get_state
    from flask_broadcasts.migrations import VERSIONS_DIR

    app, _ = _bare_host()
    Migrate(app, get_state(app).db)  # too late
    fix = r"migrate\.init_app\(app, db\) before broadcasts\.init_app\(app\)"
    # `flask db upgrade` pushes an app context before it runs.
    with pytest.warns(BroadcastsSetupWarning, match=fix), app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
    # ... and `flask db` finds the extension's revisions after all.
    assert str(VERSIONS_DIR) in config.get_version_locations_list()

    app, _ = _bare_host()  # no Flask-Migrate at all: nothing to say
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with app.app_context():
            pass
    assert not [w for w in caught if issubclass(w.category, BroadcastsSetupWarning)]


def test_readme_example_is_the_tested_one() -> None:
    integration = EXAMPLES / "integration.py"
    expected = section(integration, "readme-imports") + "\n" + section(integration, "readme-wiring")
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert len(blocks) == 1
    assert blocks[0] == expected


# -- the rendering page --------------------------------------------------------------------


def test_rendering_rules_sample_holds() -> None:
    runpy.run_path(str(EXAMPLES / "rendering.py"))


# -- the channels page ---------------------------------------------------------------------

CHANNELS = EXAMPLES / "channels.py"
WEBHOOK_SECRET = "mail-webhook-secret"


@pytest.fixture
def gateway() -> Any:
    """The sample's in-memory gateway, emptied: what the custom provider hands SMS to."""
    gateway = load_example("channels").my_gateway
    gateway.sent.clear()
    gateway.failures.clear()
    return gateway


@pytest.fixture
def channels_app(extension_database: MigratedDatabase, tmp_path: Path, smtp: SmtpServer) -> Iterator[Flask]:
    """The sample's ``create_app``, its mail going to ``smtp``."""
    app = load_example("channels").create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": extension_database.for_test(tmp_path, "channels.db"),
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp.port,
            "MAIL_DEFAULT_SENDER": "broadcasts@example.com",
            # TESTING would suppress sending; the webhook test needs the Message-IDs the server received.
            "MAIL_SUPPRESS_SEND": False,
            "MAIL_WEBHOOK_SECRET": WEBHOOK_SECRET,
        }
    )
    # Progress events are recorded instead of published: these tests run without Redis.
    get_state(app).publisher = RecordingPublisher()
    yield app
    with app.app_context():
        get_state(app).db.engine.dispose()


def send_run(app: Flask, campaign_id: int) -> Any:
    """One batch of the run, as a worker's send job does it."""
    with app.app_context():
        return send_batch(campaign_id, "once", "docs-worker")


def test_twilio_settings_sample_sends_through_twilio(make_app: Any, twilio_standin: TwilioStandIn) -> None:
    channels = load_example("channels")
    sample = section(CHANNELS, "twilio-settings")
    # Every line is a setting, the commented-out ones too once uncommented.
    every_line: dict[str, Any] = {}
    exec(re.sub(r"^# ", "", sample, flags=re.M), every_line)  # noqa: S102  (our own sample)
    named = {key for key in every_line if key.startswith("BROADCASTS_")}
    assert len(named) == len(re.findall(r"^#? ?BROADCASTS_", sample, re.M)) == 8
    assert named <= {setting.key for setting in SETTINGS}
    settings = {key: getattr(channels, key) for key in named if hasattr(channels, key)}
    assert settings["BROADCASTS_SMS_PROVIDER"] == "twilio"

    # The placeholders become the stand-in's account, and the stand-in replaces api.twilio.com
    # (the sample's last line).
    stand_in = {
        "BROADCASTS_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "BROADCASTS_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "BROADCASTS_TWILIO_BASE_URL": twilio_standin.url,
    }
    app = make_app(**{**settings, **stand_in})
    get_state(app).publisher = RecordingPublisher()
    seeded = running_campaign(app, "+1 415 555 2671")
    assert send_run(app, seeded.campaign_id).sent == 1

    callback = "https://app.example.com/api/broadcast-callbacks/twilio"
    assert callback in (DOCS / "channels.rst").read_text()  # the URL the page says Twilio is given
    [sent] = twilio_standin.requests
    assert (sent["form"]["To"], sent["form"]["From"], sent["form"]["StatusCallback"]) == (
        "+14155552671",
        channels.BROADCASTS_TWILIO_FROM,
        callback,
    )
    message = message_row(app, seeded.message_ids[0])
    assert (message.status, message.sms_status) == (MessageStatus.COMPLETED, ChannelStatus.SENT)

    # Twilio's report, signed with the auth token for the public URL, is taken.
    form = {"MessageSid": message.provider_message_id, "MessageStatus": "delivered"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(callback, form)
    response = app.test_client().post(
        "/api/broadcast-callbacks/twilio", data=form, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 204
    assert message_row(app, message.id).status == MessageStatus.DELIVERED

    # With the messaging service line uncommented, the service sends instead of FROM.
    service = make_app(
        **{
            **settings,
            **stand_in,
            "BROADCASTS_TWILIO_MESSAGING_SERVICE_SID": every_line["BROADCASTS_TWILIO_MESSAGING_SERVICE_SID"],
        }
    )
    with service.app_context():
        assert send_sms(get_sms_provider(), "+14155552672", "Hi", status_callback=None).accepted
    form = twilio_standin.requests[-1]["form"]
    assert (form.get("From"), form["MessagingServiceSid"]) == (None, "MG...")


def test_custom_sms_provider_sends_a_campaign_and_takes_delivery_reports(channels_app: Flask, gateway: Any) -> None:
    channels = load_example("channels")
    provider = get_sms_provider(channels_app)
    assert isinstance(provider, channels.MyGatewayProvider)
    assert isinstance(provider, SmsProvider)

    gateway.failures["+14155552672"] = channels.InvalidRecipient("unknown subscriber", code=21)
    seeded = running_campaign(channels_app, "+1 (415) 555-2671", "+14155552672", "0612345678")
    result = send_run(channels_app, seeded.campaign_id)

    assert (result.sent, result.failed, result.completed) == (1, 2, True)
    assert gateway.sent == [("+14155552671", "Hi 0")]  # E.164 by then; a national number never gets there
    accepted, refused, national = (message_row(channels_app, i) for i in seeded.message_ids)
    assert (accepted.status, accepted.sms_status, accepted.provider_message_id) == (
        MessageStatus.COMPLETED,
        ChannelStatus.SENT,
        "mg-1",
    )
    assert (refused.status, refused.error) == (MessageStatus.FAILED, "sms: my-gateway 21: unknown subscriber")
    assert national.error.startswith("sms: invalid_mobile:")

    # The gateway's delivery webhook calls record_delivery_status with the id `send` returned.
    with channels_app.app_context():
        assert record_delivery_status("mg-1", "delivered") is True
        assert record_delivery_status("mg-1", "failed", error="late") is False  # never backwards
        assert record_delivery_status("mg-404", "delivered") is False  # unknown id: no error
    delivered = message_row(channels_app, accepted.id)
    assert (delivered.status, delivered.sms_status, delivered.error) == (
        MessageStatus.DELIVERED,
        ChannelStatus.DELIVERED,
        None,
    )
    campaign = campaign_row(channels_app, seeded.campaign_id)
    assert (campaign.sent_count, campaign.failed_count) == (1, 2)


def test_custom_sms_provider_errors_retry_the_batch_or_fail_the_doubtful_message(
    channels_app: Flask, gateway: Any
) -> None:
    channels = load_example("channels")
    gateway.failures["+14155552672"] = channels.Throttled("slow down")
    gateway.failures["+14155552673"] = channels.Timeout("no answer")
    seeded = running_campaign(channels_app, "+14155552671", "+14155552672", "+14155552673")

    with pytest.raises(RetryLater):  # throttled: the batch is retried later
        send_run(channels_app, seeded.campaign_id)
    first, throttled, _ = (message_row(channels_app, i) for i in seeded.message_ids)
    assert (first.status, throttled.status) == (MessageStatus.COMPLETED, MessageStatus.PENDING)

    del gateway.failures["+14155552672"]  # the gateway lets us through again
    with pytest.raises(OutcomeUnknown):  # the timeout fails its message; the batch goes on later
        send_run(channels_app, seeded.campaign_id)
    doubtful = message_row(channels_app, seeded.message_ids[2])
    assert (doubtful.status, doubtful.sms_status, doubtful.error) == (
        MessageStatus.FAILED,
        ChannelStatus.UNKNOWN,
        "outcome_unknown",
    )

    gateway.failures.clear()
    assert send_run(channels_app, seeded.campaign_id).completed
    assert [to for to, _ in gateway.sent] == ["+14155552671", "+14155552672"]  # the doubtful one: never resent
    campaign = campaign_row(channels_app, seeded.campaign_id)
    assert (campaign.status, campaign.sent_count, campaign.failed_count) == ("completed", 2, 1)


def test_custom_sms_provider_per_app(make_app: Any) -> None:
    channels = load_example("channels")
    mine, other = make_app(), make_app()
    get_state(mine).sms_provider = channels.MyGatewayProvider()

    assert isinstance(get_sms_provider(mine), channels.MyGatewayProvider)
    assert isinstance(get_sms_provider(other), LoggingSmsProvider)  # the default


def post_event(client: Any, event: dict[str, str], *, signed: bool = True) -> Any:
    body = json.dumps(event).encode()
    headers = {"Content-Type": "application/json"}
    if signed:
        headers["X-Signature"] = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return client.post("/hooks/mail-provider", data=body, headers=headers)


def test_mail_webhook_sample_records_deliveries_and_bounces(channels_app: Flask, smtp: SmtpServer) -> None:
    seeded = in_progress_run(
        channels_app,
        *(
            {"channels": ["mail"], "email": f"{name}@example.com", "subject": "Hello", "body": "<p>Hello</p>"}
            for name in ("ada", "grace")
        ),
    )
    assert send_run(channels_app, seeded.campaign_id).sent == 2
    # A mail provider reports by the Message-ID header of the e-mail it was handed.
    header = {received.rcpt_tos[0]: received.message["Message-ID"] for received in smtp.received}
    client = channels_app.test_client()

    forged = post_event(
        client, {"type": "bounce", "message_id": header["ada@example.com"], "reason": "x"}, signed=False
    )
    assert forged.status_code == 401
    assert post_event(client, {"type": "delivered", "message_id": header["ada@example.com"]}).status_code == 204
    bounce = {"type": "bounce", "message_id": header["grace@example.com"].strip("<>"), "reason": "550 mailbox full"}
    assert post_event(client, bounce).status_code == 204  # brackets or not
    late = {"type": "bounce", "message_id": header["ada@example.com"], "reason": "late"}
    assert post_event(client, late).status_code == 204  # answered, and changes nothing

    ada, grace = (message_row(channels_app, i) for i in seeded.message_ids)
    assert (ada.status, ada.mail_status, ada.error) == (MessageStatus.DELIVERED, ChannelStatus.DELIVERED, None)
    assert (grace.status, grace.mail_status, grace.error) == (
        MessageStatus.FAILED,
        ChannelStatus.UNDELIVERED,
        "bounce: 550 mailbox full",
    )
    campaign = campaign_row(channels_app, seeded.campaign_id)
    assert (campaign.sent_count, campaign.failed_count, campaign.total_count) == (1, 1, 2)
