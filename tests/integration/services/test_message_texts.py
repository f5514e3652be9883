"""flask_broadcasts.services.message_texts: a run's content stored once, each message's texts
rendered from it and the values it keeps. A user relies on a compact message reading back exactly
the texts its recipient was rendered (locale, escaping, the unsubscribe link left for the mail
channel), on it keeping only the values its texts use, on every message of a run rendering from
the content the run stored first, and on messages stored with their texts reading as stored."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

from flask_broadcasts.models import BroadcastMessage
from flask_broadcasts.rendering import TemplateContent
from flask_broadcasts.services.message_texts import (
    RunContent,
    fill_texts,
    run_content,
    store_run_content,
    texts_of,
)
from flask_broadcasts.state import get_state
from tests.support.fixtures import ORG, make_campaign

CONTENT = TemplateContent(
    subject="Hi {first_name}",
    body="<p>Hello {first_name} {last_name}</p><a href='{unsubscribe_url}'>stop</a>",
    body_short="Hi {first_name}",
    action_label="Book",
    action_url="https://example.com/book/{first_name}",
    channels=("mail", "sms"),
    subject_i18n={"fr": "Salut {first_name}"},
    # The other translations left unset: TemplateContent's shared empty default.
)


def _message(campaign_id: int, **values) -> BroadcastMessage:
    session = get_state().session
    message = BroadcastMessage(
        organization_id=ORG, campaign_id=campaign_id, run_key="once", recipient_type="customers", **values
    )
    session.add(message)
    session.commit()
    return message


def test_a_message_keeps_only_the_values_its_texts_use_and_reads_back_its_texts():
    content = RunContent.of(CONTENT)
    bindings = content.bindings({"first_name": "Zoé & <b>", "last_name": None, "email": "z@example.com", "age": 4})
    # Used and not empty, as text: the e-mail address (used by no text) and the empty last name are left out.
    assert bindings == {"first_name": "Zoé & <b>"}
    texts = content.texts(bindings, "fr-CA")
    assert texts.subject == "Salut Zoé & <b>"
    assert texts.body == "<p>Hello Zoé &amp; &lt;b&gt; </p><a href='{unsubscribe_url}'>stop</a>"
    assert texts.action_url == "https://example.com/book/Zo%C3%A9%20%26%20%3Cb%3E"
    assert content.texts(bindings, None).subject == "Hi Zoé & <b>"


def test_every_message_of_a_run_renders_from_the_content_the_run_stored_first(app):
    campaign_id = make_campaign()
    session = get_state().session
    assert run_content(session, campaign_id, "once") is None  # a run stored with full texts
    first = store_run_content(session, ORG, campaign_id, "once", CONTENT)
    # A materialization taken over from a dead worker, after the template was edited.
    edited = replace(CONTENT, subject="Edited {first_name}", subject_i18n={})
    taken_over = store_run_content(session, ORG, campaign_id, "once", edited)
    assert taken_over.texts({"first_name": "Ann"}, None).subject == "Hi Ann"
    assert run_content(session, campaign_id, "once").texts({"first_name": "Ann"}, None) == first.texts(
        {"first_name": "Ann"}, None
    )
    # Another run of the campaign has its own content.
    assert store_run_content(session, ORG, campaign_id, "2026-05-01", edited).texts({}, None).subject == "Edited "


def test_compact_messages_get_their_texts_and_stored_ones_keep_theirs(app):
    campaign_id = make_campaign()
    session = get_state().session
    content = store_run_content(session, ORG, campaign_id, "once", CONTENT)
    compact = _message(campaign_id, recipient_id="1", bindings={"first_name": "Ann"}, locale="fr")
    stored = _message(campaign_id, recipient_id="2", subject="As sent", body="<p>kept</p>", bindings=None)
    assert texts_of(content, compact)["subject"] == "Salut Ann"
    assert texts_of(content, stored) == {
        "subject": "As sent",
        "body": "<p>kept</p>",
        "body_short": None,
        "action_label": None,
        "action_url": None,
    }
    fill_texts(session, [compact, stored])
    assert (compact.subject, compact.body_short, compact.action_label) == ("Salut Ann", "Hi Ann", "Book")
    assert (stored.subject, stored.body) == ("As sent", "<p>kept</p>")
    # Filled as loaded values: nothing is written back, the row stays compact.
    session.commit()
    session.expire_all()
    assert session.get(BroadcastMessage, compact.id).subject is None


def test_a_batch_gets_the_same_texts_from_result_rows_and_from_a_claims_plain_objects(app):
    """A claim's messages are plain objects (engine.claims); with_texts gives them what it gives
    result rows, and leaves the caller's objects as they were."""
    import sqlalchemy as sa

    from flask_broadcasts.services.message_texts import with_texts

    campaign_id = make_campaign()
    session = get_state().session
    store_run_content(session, ORG, campaign_id, "once", CONTENT)
    _message(campaign_id, recipient_id="1", bindings={"first_name": "Ann"}, locale="fr")
    _message(campaign_id, recipient_id="2", subject="As sent", body="<p>kept</p>", bindings=None)
    table = BroadcastMessage.__table__
    rows = session.execute(sa.select(table).where(table.c.campaign_id == campaign_id).order_by(table.c.id)).all()
    plain = [SimpleNamespace(**dict(row._mapping)) for row in rows]
    before = [dict(vars(message)) for message in plain]

    from_rows = with_texts(session, campaign_id, "once", rows)
    from_plain = with_texts(session, campaign_id, "once", plain)

    assert [vars(message) for message in plain] == before
    assert from_rows[1] is rows[1] and from_plain[1] is plain[1]  # stored with its texts: as it came
    rendered_row, rendered_plain = vars(from_rows[0]), vars(from_plain[0])
    assert rendered_row.pop("plain_text").render("https://x.test/u") == rendered_plain.pop("plain_text").render(
        "https://x.test/u"
    )
    assert rendered_row == rendered_plain
    assert (rendered_plain["subject"], rendered_plain["body_short"]) == ("Salut Ann", "Hi Ann")
