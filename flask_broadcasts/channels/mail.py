"""The mail channel: one run's e-mails built by a :class:`~.mime.MimeBuilder`, DKIM-signed
when a :class:`~.dkim.DkimSigner` is configured, handed over on one SMTP connection
(:mod:`.smtp`), in the outcome vocabulary of :mod:`.base`.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..rendering.placeholders import UNSUBSCRIBE_URL
from ..statuses import ErrorCode
from .base import Deferred, Outcome, Refused, Sent
from .dkim import DkimSigner
from .headers import InvalidAddress, ascii_address
from .mime import MimeBuilder, Unsubscribe
from .replies import is_hard_bounce
from .smtp import Envelope, MailSettings, RecipientDeferred, RecipientRefused, SmtpTransport
from .tracking import Tracking

__all__ = ["MailChannel", "SuppressedTransport", "UnsubscribeLinks", "fill_unsubscribe_url", "transport_for"]

#: What rendering left in a text for the link (it needs the stored message's id).
UNSUBSCRIBE_PLACEHOLDER = "{" + UNSUBSCRIBE_URL + "}"


def fill_unsubscribe_url(text: str | None, url: str) -> str | None:
    """``text`` with its ``{unsubscribe_url}`` placeholders replaced by ``url`` (already escaped as needed)."""
    return text.replace(UNSUBSCRIBE_PLACEHOLDER, url) if text else text


@dataclass(frozen=True)
class UnsubscribeLinks:
    """How a batch's e-mails get their unsubscribe link (made by the engine, which signs them).

    :param url_for: a message → its one-click URL.
    :param mailto: the ``mailto:`` address of ``List-Unsubscribe``, if any.
    :param footer_for: a message → the text of the footer link, for e-mails whose
        template does not place ``{unsubscribe_url}`` itself; ``None``: never a footer.
    """

    url_for: Callable[[Any], str]
    mailto: str | None = None
    footer_for: Callable[[Any], str] | None = None

    def of(self, message: Any) -> Unsubscribe:
        """The link of ``message``; its footer only when the body does not place the link."""
        placed = UNSUBSCRIBE_PLACEHOLDER in (message.body or "")
        footer = self.footer_for(message) if self.footer_for is not None and not placed else None
        return Unsubscribe(self.url_for(message), mailto=self.mailto, footer=footer)


class MailChannel:
    """:class:`~.base.Channel` for e-mail over one connection of ``MAIL_*`` settings.

    The connection opens at the first message and is reused for every message of the
    batch; with PIPELINING the next message's envelope goes out behind this one.
    """

    name = "mail"

    def __init__(
        self,
        builder: MimeBuilder,
        settings: MailSettings,
        *,
        timeout: float,
        unsubscribe: UnsubscribeLinks | None = None,
        signer: DkimSigner | None = None,
        envelope_for: Callable[[Any], str] | None = None,
        tracking_for: Callable[[Any], Tracking] | None = None,
    ) -> None:
        self.builder = builder
        #: A message → its click URLs and open pixel (the campaign tracks opens or clicks).
        self.tracking_for = tracking_for
        self.unsubscribe = unsubscribe
        self.signer = signer
        #: A message → its envelope sender (the engine's VERP address); else the From address.
        self.envelope_for = envelope_for
        self.transport: SmtpTransport | SuppressedTransport = transport_for(settings, timeout=timeout)

    def _envelope_of(self, following: Any | None) -> Envelope | None:
        """The envelope of ``following`` when it goes by e-mail, for the transport to pipeline.

        Only the envelope goes ahead: that message is accepted by its own final ``.``,
        sent after this one is recorded, so an early envelope changes nothing about what
        a dead worker can leave in doubt.
        """
        if following is None or "mail" not in (following.channels or []) or following.mail_status is not None:
            return None
        try:
            return self._sender_of(following), ascii_address(following.email)
        except InvalidAddress:
            return None

    def _sender_of(self, message: Any) -> str:
        """``message``'s envelope sender (SMTP ``MAIL FROM``): one per message with VERP."""
        return self.envelope_for(message) if self.envelope_for is not None else self.builder.envelope_from

    def deliver(self, message: Any, *, before_handover: Callable[[], None], following: Any | None) -> Outcome:
        """Build and send one e-mail (see :meth:`.base.Channel.deliver`)."""
        subject, body, link = message.subject, message.body, None
        if self.unsubscribe is not None:
            link = self.unsubscribe.of(message)
            subject = fill_unsubscribe_url(subject, link.url)
            body = fill_unsubscribe_url(body, html.escape(link.url, quote=True))
        # A message read from its run's content brings its text alternative converted
        # ahead (services.message_texts.PendingPlainText); else the builder converts the body.
        plain_text = getattr(message, "plain_text", None)
        text_body = plain_text.render(link.url if link is not None else None) if plain_text is not None else None
        try:
            email = self.builder.build(
                to=message.email,
                subject=subject,
                body=body,
                action_label=message.action_label,
                action_url=message.action_url,
                recipient_type=message.recipient_type,
                recipient_id=message.recipient_id,
                unsubscribe=link,
                text_body=text_body,
                eight_bit=self.transport.offers_8bitmime(),
                tracking=self.tracking_for(message) if self.tracking_for is not None else None,
            )
            # Signed last: the signature covers the headers exactly as they go out.
            data = self.signer.sign(email.data) if self.signer is not None else email.data
            sender = self._sender_of(message)
            answer = self.transport.send(
                sender,
                email.recipient,
                data,
                before_data=before_handover,
                then=self._envelope_of(following),
            )
        except RecipientRefused as exc:
            # A refusal of the address itself (no such mailbox) is a hard bounce, told at once.
            code = ErrorCode.BOUNCED if is_hard_bounce(exc.stage, exc.code, exc.detail) else ErrorCode.REFUSED
            return Refused(code.value, str(exc))
        except InvalidAddress as exc:
            return Refused(ErrorCode.REFUSED.value, str(exc))
        except RecipientDeferred as exc:
            return Deferred(str(exc))
        return Sent(answer, message_id=email.message_id, sender=sender, recipient=email.recipient)

    def close(self) -> None:
        """QUIT the connection (or drop it, with an envelope sent ahead and never used)."""
        self.transport.__exit__(None, None, None)


class SuppressedTransport:
    """``MAIL_SUPPRESS_SEND`` (Flask-Mail's testing switch): accepts everything, sends nothing."""

    def __enter__(self) -> SuppressedTransport:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        pass

    def offers_8bitmime(self) -> bool:
        """Nothing goes out: the e-mail is built as a 7-bit server would get it."""
        return False

    def send(
        self,
        envelope_from: str,
        recipient: str,
        data: bytes,
        *,
        before_data: Callable[[], None] | None = None,
        then: Envelope | None = None,
    ) -> str:
        """Accept the message without sending it (``before_data`` is still called)."""
        if before_data is not None:
            before_data()
        return "250 suppressed (MAIL_SUPPRESS_SEND)"


def transport_for(settings: MailSettings, *, timeout: float) -> SmtpTransport | SuppressedTransport:
    """An SMTP transport, or a :class:`SuppressedTransport` when ``MAIL_SUPPRESS_SEND`` is on."""
    return SuppressedTransport() if settings.suppress else SmtpTransport(settings, timeout=timeout)
