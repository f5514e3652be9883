"""Tests of flask_broadcasts.services.templates.

Validation (every error at once, with pointers), tenancy, listing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from flask_broadcasts.errors import ConflictError, InvalidInputError, NotFoundError
from flask_broadcasts.models import BroadcastAudience, BroadcastCampaign, BroadcastTemplate
from flask_broadcasts.services import templates as svc
from flask_broadcasts.state import get_state
from tests.support import host_fixtures
from tests.support.host_fixtures import ORG, OTHER_ORG

# The plain small host (no Redis, no SMTP), not this folder's sending one.
app = host_fixtures.app

MAIL = {"name": "March", "channels": ["mail"], "subject": "Hello {first_name}!", "body": "<p>Hi</p>"}


def errors_of(excinfo: pytest.ExceptionInfo[InvalidInputError]) -> dict[str, str]:
    """pointer → code of every error an exception stands for."""
    return {e.pointer: e.error_code for e in excinfo.value.errors}


def test_create_stores_every_attribute(app):
    values = {
        "name": "March Newsletter",
        "subject": "Hello {first_name}!",
        "body": "<p>Hi {first_name}</p>",
        "body_short": "Hi {first_name}",
        "action_label": "View",
        "action_url": "https://example.com/u?n={first_name}",
        "channels": ["sms", "mail"],
        "is_template": True,
        "binding_type": "booking",
        "subject_i18n": {"fr_ca": "Bonjour {first_name}", "de": "Hallo"},
        "body_i18n": {"fr": "<p>Salut {booking_date}</p>"},
        "body_short_i18n": {"fr": "Salut"},
        "action_label_i18n": {"fr": "Voir"},
    }
    template = svc.create_template(ORG, values)
    stored = get_state().session.get(BroadcastTemplate, template.id)
    assert stored.organization_id == ORG
    for name, value in values.items():
        if name != "subject_i18n":
            assert getattr(stored, name) == value, name
    assert stored.subject_i18n == {"fr-CA": "Bonjour {first_name}", "de": "Hallo"}


def test_defaults(app):
    template = svc.create_template(ORG, MAIL)
    assert template.binding_type == "customer"
    assert template.is_template is False
    assert template.body_i18n == {} and template.body_short is None


def test_every_error_reported_at_once(app):
    with pytest.raises(InvalidInputError) as excinfo:
        svc.create_template(
            ORG,
            {
                "name": " ",
                "channels": ["mail", "sms"],
                "subject": "Hi\r\nBcc: x@evil.example",
                "action_url": "javascript:alert(1)",
                "body_i18n": {"xx-nope": "a", "fr": "Salut {nope}"},
                "binding_type": "customer",
            },
        )
    assert excinfo.value.code == 422
    assert errors_of(excinfo) == {
        "/data/attributes/name": "required",
        "/data/attributes/subject": "line_break",
        "/data/attributes/action_url": "invalid_url",
        "/data/attributes/body_i18n/xx-nope": "invalid_locale",
        "/data/attributes/body": "required",
        "/data/attributes/body_short": "required",
        "/data/attributes/body_i18n/fr": "unknown_variable",
    }


@pytest.mark.parametrize(
    ("changes", "pointer", "code"),
    [
        ({"name": None}, "name", "required"),
        ({"name": "x" * 201}, "name", "too_long"),
        ({"channels": []}, "channels", "required"),
        ({"channels": ["mail", "fax"]}, "channels", "invalid_channel"),
        ({"channels": ["mail", "mail"]}, "channels", "duplicate_channel"),
        ({"channels": "mail"}, "channels", "invalid_type"),
        ({"subject": ""}, "subject", "required"),
        ({"subject": "a\nb"}, "subject", "line_break"),
        ({"subject": "x" * 999}, "subject", "too_long"),
        ({"body": None}, "body", "required"),
        ({"body": "a\x00b"}, "body", "invalid_character"),
        ({"action_label": "a\rb"}, "action_label", "line_break"),
        ({"action_url": "ftp://example.com/"}, "action_url", "invalid_url"),
        ({"action_url": "https://{first_name}.example.com/"}, "action_url", "invalid_url"),
        ({"is_template": "yes"}, "is_template", "invalid_type"),
        ({"binding_type": "robot"}, "binding_type", "invalid_binding_type"),
        ({"subject": "Hi {unknown}"}, "subject", "unknown_variable"),
        ({"subject": "Hi {booking_date}"}, "subject", "unknown_variable"),  # customers have no bookings
        ({"action_url": "https://e.example/{nope}"}, "action_url", "unknown_variable"),
        ({"subject_i18n": ["fr"]}, "subject_i18n", "invalid_type"),
        ({"subject_i18n": {"fr": "a\nb"}}, "subject_i18n/fr", "line_break"),
        ({"subject_i18n": {"fr": 3}}, "subject_i18n/fr", "invalid_type"),
        ({"subject_i18n": {"fr": ""}}, "subject_i18n/fr", "blank"),
        ({"subject_i18n": {"fr": "Salut {nope}"}}, "subject_i18n/fr", "unknown_variable"),
        ({"body_short_i18n": {"en_US": "a", "en-us": "b"}}, "body_short_i18n/en-us", "duplicate_locale"),
        ({"action_label_i18n": {"de_DE.UTF-8": "a"}}, "action_label_i18n/de_DE.UTF-8", "invalid_locale"),
        ({"body_i18n": {"a/b": "x"}}, "body_i18n/a~1b", "invalid_locale"),
        ({"colour": "red"}, "colour", "unknown_attribute"),
    ],
)
def test_single_validation_error(app, changes, pointer, code):
    with pytest.raises(InvalidInputError) as excinfo:
        svc.create_template(ORG, {**MAIL, **changes})
    assert errors_of(excinfo) == {f"/data/attributes/{pointer}": code}


def test_sms_only_template_needs_no_subject(app):
    template = svc.create_template(ORG, {"name": "s", "channels": ["sms"], "body_short": "Hi {first_name}"})
    assert template.subject is None


def test_booking_binding_offers_customer_and_booking_variables(app):
    template = svc.create_template(ORG, {**MAIL, "binding_type": "booking", "subject": "{first_name}, {booking_date}"})
    assert template.binding_type == "booking"


def test_unknown_variables_listed_once_per_text(app):
    with pytest.raises(InvalidInputError) as excinfo:
        svc.create_template(ORG, {**MAIL, "subject": "{a} {b} {a}"})
    (error,) = excinfo.value.errors
    assert "{a}, {b}" in error.detail and "first_name" in error.detail


def test_other_organization_is_not_found(app):
    template = svc.create_template(ORG, MAIL)
    for call in (
        lambda: svc.get_template(OTHER_ORG, template.id),
        lambda: svc.update_template(OTHER_ORG, template.id, {"name": "stolen"}),
        lambda: svc.delete_template(OTHER_ORG, template.id),
    ):
        with pytest.raises(NotFoundError):
            call()
    assert svc.get_template(ORG, str(template.id)).name == "March"


@pytest.mark.parametrize("bad_id", ["abc", "-1", "1.0", "", None, "99999", "١"])
def test_malformed_or_unknown_id_is_not_found(app, bad_id):
    svc.create_template(ORG, MAIL)
    with pytest.raises(NotFoundError):
        svc.get_template(ORG, bad_id)


def test_update_is_partial_and_validated_as_a_whole(app):
    template = svc.create_template(ORG, MAIL)
    with pytest.raises(InvalidInputError) as excinfo:
        svc.update_template(ORG, template.id, {"channels": ["mail", "sms"]})
    assert errors_of(excinfo) == {"/data/attributes/body_short": "required"}
    updated = svc.update_template(ORG, template.id, {"channels": ["mail", "sms"], "body_short": "Hi"})
    assert updated.channels == ["mail", "sms"] and updated.subject == "Hello {first_name}!"
    cleared = svc.update_template(ORG, template.id, {"action_label": None, "body_i18n": None})
    assert cleared.action_label is None and cleared.body_i18n == {}


def test_failed_update_changes_nothing(app):
    template = svc.create_template(ORG, MAIL)
    with pytest.raises(InvalidInputError):
        svc.update_template(ORG, template.id, {"name": "new", "subject": "{nope}"})
    get_state().session.expire_all()
    assert svc.get_template(ORG, template.id).name == "March"


def test_list_filters(app):
    svc.create_template(ORG, {**MAIL, "name": "March Newsletter", "is_template": True})
    svc.create_template(ORG, {**MAIL, "name": "april 100% off", "binding_type": "booking"})
    svc.create_template(OTHER_ORG, {**MAIL, "name": "March elsewhere"})
    session = get_state().session

    def names(**filters):
        return sorted(t.name for t in session.scalars(svc.list_templates(ORG, **filters)))

    assert names() == ["March Newsletter", "april 100% off"]
    assert names(search="MARCH") == ["March Newsletter"]
    assert names(search="100%") == ["april 100% off"]
    assert names(search="1_0") == []
    assert names(binding_type="booking") == ["april 100% off"]
    assert names(is_template=True) == ["March Newsletter"]
    assert names(is_template=False) == ["april 100% off"]


def test_delete(app):
    template = svc.create_template(ORG, MAIL)
    svc.delete_template(ORG, template.id)
    with pytest.raises(NotFoundError):
        svc.get_template(ORG, template.id)


def test_delete_refused_while_a_campaign_uses_it(app):
    template = svc.create_template(ORG, MAIL)
    session = get_state().session
    audience = BroadcastAudience(organization_id=ORG, name="a", audience_type="customers", filters={})
    session.add(audience)
    session.flush()
    session.add(BroadcastCampaign(organization_id=ORG, name="c", template_id=template.id, audience_id=audience.id))
    session.commit()
    with pytest.raises(ConflictError):
        svc.delete_template(ORG, template.id)
    assert session.scalar(select(BroadcastTemplate.id)) == template.id


def test_template_content_for_rendering(app):
    template = svc.create_template(ORG, {**MAIL, "subject_i18n": {"fr": "Salut"}})
    content = svc.template_content(template)
    assert content.subject == "Hello {first_name}!" and content.channels == ("mail",)
    assert content.subject_i18n == {"fr": "Salut"} and content.body_short == ""
