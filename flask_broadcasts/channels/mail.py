"""The mail channel: one run's e-mails built by a :class:`~.mime.MimeBuilder`, handed over
on one SMTP connection (:mod:`.smtp`), in the outcome vocabulary of :mod:`.base`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..statuses import ErrorCode
from .base import Deferred, Outcome, Refused, Sent
from .mime import InvalidAddress, MimeBuilder, ascii_address
from .smtp import Envelope, MailSettings, RecipientDeferred, RecipientRefused, SmtpTransport

__all__ = ["MailChannel", "SuppressedTransport", "transport_for"]


class MailChannel:
    """:class:`~.base.Channel` for e-mail over one connection of ``MAIL_*`` settings.

    The connection opens at the first message and is reused for every message of the
    batch; with PIPELINING the next message's envelope goes out behind this one.
    """

    name = "mail"

    def __init__(self, builder: MimeBuilder, settings: MailSettings, *, timeout: float) -> None:
        self.builder = builder
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
            return self.builder.envelope_from, ascii_address(following.email)
        except InvalidAddress:
            return None

    def deliver(self, message: Any, *, before_handover: Callable[[], None], following: Any | None) -> Outcome:
        """Build and send one e-mail (see :meth:`.base.Channel.deliver`)."""
        try:
            email = self.builder.build(
                to=message.email,
                subject=message.subject,
                body=message.body,
                action_label=message.action_label,
                action_url=message.action_url,
                recipient_type=message.recipient_type,
                recipient_id=message.recipient_id,
            )
            answer = self.transport.send(
                email.envelope_from,
                email.recipient,
                email.data,
                before_data=before_handover,
                then=self._envelope_of(following),
            )
        except (RecipientRefused, InvalidAddress) as exc:
            return Refused(ErrorCode.REFUSED.value, str(exc))
        except RecipientDeferred as exc:
            return Deferred(str(exc))
        return Sent(answer, message_id=email.message_id, sender=email.envelope_from, recipient=email.recipient)

    def close(self) -> None:
        """QUIT the connection (or drop it, with an envelope sent ahead and never used)."""
        self.transport.__exit__(None, None, None)


class SuppressedTransport:
    """``MAIL_SUPPRESS_SEND`` (Flask-Mail's testing switch): accepts everything, sends nothing."""

    def __enter__(self) -> SuppressedTransport:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        pass

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
