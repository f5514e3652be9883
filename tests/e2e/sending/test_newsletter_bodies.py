"""Newsletter bodies: what a real SMTP server receives is the layout of what the API answers.

A run stores its content once and each message only its bindings; the API renders the
texts again on read. So the proof that nothing is lost between the two is end to end:
every received e-mail, decoded, must be the e-mail layout applied to the API's ``body``,
``action_label`` and ``action_url`` of the same message — in every locale, with an
attachment, a call to action, a line starting with a dot and a 2,000-character line, in
whichever transfer encoding each part went.
"""

from __future__ import annotations

import email
import email.policy
import re

import sqlalchemy as sa

from flask_broadcasts.channels.mail_layout import layout
from flask_broadcasts.channels.mime import Unsubscribe
from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.engine.unsubscribe import locale_chain
from flask_broadcasts.models import BroadcastMessage, BroadcastRunContent, BroadcastTemplate
from flask_broadcasts.rendering.plain_text import html_to_text
from flask_broadcasts.rendering.unsubscribe_texts import texts_for
from flask_broadcasts.services.files import attach_file
from tests.support.fixtures import ORG, campaign_row, make_campaign, seed_customers
from tests.support.processes import run_workers

LONG_LINE = "<p>" + " ".join(f"word{i}" for i in range(330)) + "</p>"  # about 2,300 characters
ENGLISH = (
    '<table style="width:100%"><tr><td style="padding:12px">Hello {first_name} {last_name},</td></tr>\n'
    "<tr><td>Our winter collection is here &amp; waiting.</td></tr></table>\n"
    ".a line that starts with a dot\n" + LONG_LINE + "\n<p>See you soon</p>"
)
FRENCH = (
    "<p>Bonjour {first_name}, voici les nouveautés de décembre à Zürich.</p>\n"
    ".une ligne qui commence par un point\n" + LONG_LINE + "\n<p>À bientôt — l'équipe</p>"
)


def _api_messages(app, campaign_id: int) -> dict[str, dict]:
    response = app.test_client().get(
        f"/api/broadcast-campaigns/{campaign_id}/messages",
        query_string={"o": ORG, "page[size]": 100},
        headers={"Authorization": "Bearer token-org-1", "Accept": "application/vnd.api+json"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return {item["attributes"]["email"]: item["attributes"] for item in response.get_json()["data"]}


def _parts(message: email.message.Message) -> dict[str, email.message.Message]:
    return {p.get_content_type(): p for p in message.walk() if not p.is_multipart()}


def test_each_received_email_is_the_layout_of_the_message_the_api_answers(app, env, smtp):
    from tests.support.hostapp import Customer, db

    seed_customers(6)
    db.session.execute(sa.update(Customer).where(Customer.id % 2 == 0).values(locale="fr"))
    db.session.commit()
    campaign_id = make_campaign()
    template = db.session.get(BroadcastTemplate, campaign_row(campaign_id).template_id)
    template.body, template.body_i18n = ENGLISH, {"fr": FRENCH}
    template.action_label, template.action_label_i18n = "Shop {first_name}", {"fr": "Voir la boutique"}
    template.action_url = "https://shop.example.test/winter?who={first_name}"
    db.session.commit()
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 4
    attach_file(ORG, template.id, filename="catalogue.pdf", content_type="application/pdf", data=pdf)

    start_campaign(ORG, campaign_id)
    outputs = run_workers(env)
    assert campaign_row(campaign_id).status == "completed", outputs

    # Stored compact: the run's content once, each message only its bindings.
    stored = db.session.execute(
        sa.select(BroadcastMessage).where(BroadcastMessage.campaign_id == campaign_id)
    ).scalars()
    for message in stored:
        assert (message.body, message.subject) == (None, None)
        assert message.bindings == {"first_name": f"Ann{message.recipient_id}", "last_name": "Lee"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BroadcastRunContent)) == 1

    answered = _api_messages(app, campaign_id)
    assert len(answered) == smtp.count() == 6
    encodings = set()
    for received in smtp.received:
        message = email.message_from_bytes(received.data)
        attributes = answered[received.rcpt_tos[0]]
        assert message["Subject"] == attributes["subject"]
        link = re.search(r"<(https://[^>]+)>", message["List-Unsubscribe"]).group(1)
        footer = texts_for(locale_chain(attributes["locale"]))["footer"]
        body = attributes["body"].replace("{unsubscribe_url}", link)
        html_document, text_suffix = layout(
            body, attributes["action_label"], attributes["action_url"], Unsubscribe(link, footer=footer)
        )
        parts = _parts(message)
        html_part, text_part = parts["text/html"], parts["text/plain"]
        encodings.update({html_part["Content-Transfer-Encoding"], text_part["Content-Transfer-Encoding"]})
        decoded_html = html_part.get_payload(decode=True).decode("utf-8").replace("\r\n", "\n")
        assert decoded_html == html_document
        decoded_text = text_part.get_payload(decode=True).decode("utf-8").replace("\r\n", "\n")
        assert decoded_text == html_to_text(body) + text_suffix
        assert parts["application/pdf"].get_payload(decode=True) == pdf
        if attributes["locale"] == "fr":
            assert "nouveautés" in decoded_html and "Voir la boutique" in decoded_html
            assert ".une ligne qui commence par un point" in decoded_text
        else:
            first_name = "Ann" + attributes["email"].split("@")[0].removeprefix("c")
            assert f"Hello {first_name} Lee," in decoded_text
            assert ".a line that starts with a dot" in decoded_text
    # The 2,000-character line cannot go as it is: quoted-printable (soft line breaks), never
    # base64's third more for Latin text.
    assert encodings == {"quoted-printable"}
