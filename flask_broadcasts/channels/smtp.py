"""The SMTP transport of the mail channel, configured exactly like Flask-Mail (``MAIL_*``).

Flask-Mail stays the configuration surface: the settings come from the app's
``flask_mail.Mail`` state (``app.extensions["mail"]``) or, without one, from the same
``MAIL_*`` keys with Flask-Mail's defaults. The connection is opened the way Flask-Mail
opens it (SSL, STARTTLS, login), plus a socket timeout, and the SMTP transaction is
driven by hand — MAIL, RCPT and DATA pipelined when the server offers PIPELINING
(RFC 2920), step by step otherwise — so every failure lands in one of three classes:

* :class:`RecipientRefused` — a 5xx answer to RCPT or DATA: this message fails, the batch goes on;
* :class:`RecipientDeferred` — a 4xx answer to RCPT or DATA (greylisting, a full
  mailbox): this message is tried again later, alone; the batch goes on;
* :class:`TemporaryFailure` — server down, connection lost before the message was
  complete, a 421, or a 4xx to connect, EHLO, AUTH or MAIL: nothing was accepted, and
  the provider, not the message, is the problem (:mod:`.replies` is the table);
* :class:`~flask_broadcasts.channels.base.OutcomeUnknown` — the connection broke after the whole message went out
  and before the server's answer: it may have been accepted, so it is never resent.
"""

from __future__ import annotations

import re
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .base import ChannelError, OutcomeUnknown, RetryLater
from .replies import SmtpStage, Verdict, classify_smtp

_LEADING_DOT = re.compile(rb"(?m)^\.")
_PLAIN_ADDRESS = re.compile(r"[^<>()\[\]\\,;:\s\"@]+@[^<>()\[\]\\,;:\s\"@]+")


#: Base of the outcomes of an SMTP exchange that are not an acceptance (the channels' own).
DeliveryError = ChannelError


class RecipientRefused(ChannelError):
    """The server refused this message for good (5xx)."""

    def __init__(self, detail: str, code: int | None = None, *, stage: SmtpStage | None = None) -> None:
        super().__init__(detail, code)
        #: The command the refusal answered (RCPT, DATA or the end of the text).
        self.stage = stage


class RecipientDeferred(ChannelError):
    """The server will not take this message now (4xx to RCPT or DATA): try it again later."""


class TemporaryFailure(RetryLater):
    """Nothing was accepted; the batch should be retried later."""


@dataclass(frozen=True)
class MailSettings:
    """The SMTP settings the extension sends with, taken from Flask-Mail's ``MAIL_*``."""

    server: str = "127.0.0.1"
    port: int = 25
    use_tls: bool = False
    use_ssl: bool = False
    username: str | None = None
    password: str | None = None
    default_sender: Any = None
    max_emails: int | None = None
    suppress: bool = False
    debug: int = 0

    @classmethod
    def from_app(cls, app: Any) -> MailSettings:
        """Read Flask-Mail's state of ``app`` (or its ``MAIL_*`` config with Flask-Mail's defaults)."""
        state = app.extensions.get("mail")
        if state is None:
            from flask_mail import Mail

            state = Mail().init_mail(app.config, app.debug, app.testing)
        return cls(
            server=state.server,
            port=int(state.port or 25),
            use_tls=bool(state.use_tls),
            use_ssl=bool(state.use_ssl),
            username=state.username,
            password=state.password,
            default_sender=state.default_sender,
            max_emails=state.max_emails,
            suppress=bool(state.suppress),
            debug=int(state.debug or 0),
        )


def _answer(code: int, message: bytes | str) -> str:
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return f"{code} {message}".strip()


def _quoted(address: str) -> str:
    """``<address>`` for the envelope; :func:`smtplib.quoteaddr` (a full RFC 5322 parse) only when needed."""
    if _PLAIN_ADDRESS.fullmatch(address):
        return f"<{address}>"
    return smtplib.quoteaddr(address)


def _mail_options(smtp: smtplib.SMTP) -> tuple[str, ...]:
    """MAIL's parameters: ``BODY=8BITMIME`` wherever the server offers it (RFC 6152), so a
    message may carry UTF-8 text unencoded (declaring it for a 7-bit message is allowed)."""
    return ("BODY=8BITMIME",) if smtp.has_extn("8bitmime") else ()


#: An SMTP envelope: (envelope sender, recipient), both as they go into MAIL and RCPT.
Envelope = tuple[str, str]


@dataclass(frozen=True)
class _OpenedEnvelope:
    """An envelope sent ahead, behind the previous message, and the server's three answers."""

    envelope: Envelope
    replies: tuple[tuple[int, bytes], tuple[int, bytes], tuple[int, bytes]]


class SmtpTransport:
    """One SMTP connection, reused for every message of a batch.

    Use as a context manager; :meth:`send` returns the server's acceptance answer.

    With PIPELINING, a caller that knows the next message's envelope passes it as
    ``then``: its MAIL, RCPT and DATA go out in the same write as this message's end, so
    a message costs one round trip instead of two. No message is accepted before its own
    final ``.``, so an envelope sent ahead and never used (the batch stopped, the worker
    died) delivers nothing: :meth:`close` drops such a connection without a QUIT (which
    the server would take for message text) and the server discards the empty message.
    """

    def __init__(self, settings: MailSettings, *, timeout: float = 15.0) -> None:
        self.settings = settings
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None
        self._sent_on_connection = 0
        self._opened: _OpenedEnvelope | None = None

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def open(self) -> None:
        """Connect (SSL or STARTTLS as configured) and log in.

        :raises TemporaryFailure: the server cannot be reached or refused us (retry later).
        """
        s = self.settings
        try:
            if s.use_ssl:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.server, s.port, timeout=self.timeout)
            else:
                smtp = smtplib.SMTP(s.server, s.port, timeout=self.timeout)
            smtp.set_debuglevel(s.debug)
            if s.use_tls:
                smtp.starttls()
            if s.username and s.password:
                smtp.login(s.username, s.password)
            smtp.ehlo_or_helo_if_needed()
        except smtplib.SMTPResponseException as exc:
            raise TemporaryFailure(_answer(exc.smtp_code, exc.smtp_error), exc.smtp_code) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporaryFailure(f"cannot connect to {s.server}:{s.port}: {exc}") from exc
        self._smtp = smtp
        self._sent_on_connection = 0

    def _drop(self) -> None:
        """Close the socket without a QUIT (mid-DATA, a QUIT would be message text)."""
        smtp, self._smtp = self._smtp, None
        self._opened = None
        if smtp is not None:
            smtp.close()

    def close(self) -> None:
        """Say QUIT and close the connection, if any (a failing QUIT just closes it).

        A connection with an envelope sent ahead is waiting for message text: it is
        dropped instead, and the server discards the unfinished message.
        """
        if self._opened is not None:
            self._drop()
            return
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()

    def _full(self, sent: int) -> bool:
        """Whether ``MAIL_MAX_EMAILS`` ends a connection that has carried ``sent`` messages."""
        max_emails = self.settings.max_emails
        if not max_emails:
            return False
        return sent >= max_emails

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None and self._full(self._sent_on_connection):
            self.close()
        if self._smtp is None:
            self.open()
        return self._smtp  # type: ignore[return-value]

    def offers_8bitmime(self) -> bool:
        """Whether the server takes 8-bit text (RFC 6152); connects first if need be.

        :raises TemporaryFailure: the server cannot be reached (as :meth:`send` would).
        """
        return bool(self._connection().has_extn("8bitmime"))

    def _refuse_or_retry(self, smtp: smtplib.SMTP, stage: SmtpStage, code: int, message: bytes) -> DeliveryError:
        # With an envelope sent ahead, the server waits for message text: no RSET then.
        if self._opened is None and self._smtp is not None:
            try:
                smtp.rset()
            except (OSError, smtplib.SMTPException):
                self.close()
        answer = _answer(code, message)
        verdict = classify_smtp(stage, code)
        if verdict is Verdict.DEFERRED:
            return RecipientDeferred(answer, code)
        if verdict is Verdict.REFUSED:
            return RecipientRefused(answer, code, stage=stage)
        return TemporaryFailure(answer, code)

    def send(
        self,
        envelope_from: str,
        recipient: str,
        data: bytes,
        *,
        before_data: Callable[[], None] | None = None,
        then: Envelope | None = None,
    ) -> str:
        """Hand one message over. :raises DeliveryError: see the module docstring.

        :param before_data: called once the server is ready for the message, just before
            the bytes that would let it accept the message go out. The sender finishes
            recording the previous message there, so that wait overlaps other work. If
            it raises, the connection is dropped without ending the message (the server
            discards it) and the exception propagates.
        :param then: the envelope of the message the caller will send next on this
            connection, to be pipelined behind this one (ignored without PIPELINING).
        """
        smtp = self._connection()
        opened, self._opened = self._opened, None
        if opened is not None and opened.envelope != (envelope_from, recipient):
            # The server waits for the text of another message: abandon that one.
            self._drop()
            smtp, opened = self._connection(), None
        pipelining = smtp.has_extn("pipelining")
        ahead = b""
        try:
            if opened is not None:
                self._check_pipelined_envelope(smtp, *opened.replies)
            elif pipelining:
                self._envelope_pipelined(smtp, envelope_from, recipient)
            else:
                self._envelope_step_by_step(smtp, envelope_from, recipient)
            if before_data is not None:
                try:
                    before_data()
                except BaseException:
                    self._drop()
                    raise
            # The search finds nothing in nearly every message; the substitution would copy it.
            needs_stuffing = data.startswith(b".") or b"\n." in data
            payload = _LEADING_DOT.sub(b"..", data) if needs_stuffing else data
            if not payload.endswith(b"\r\n"):
                payload += b"\r\n"
            if then is not None and pipelining and not self._full(self._sent_on_connection + 1):
                ahead = self._envelope_commands(smtp, *then)
            smtp.send(payload + b".\r\n" + ahead)
        except DeliveryError:
            raise
        except (OSError, smtplib.SMTPException) as exc:
            # The final "." was not sent (completely): the server cannot have accepted it.
            self._drop()
            raise TemporaryFailure(f"connection lost: {exc}") from exc
        try:
            code, message = smtp.getreply()
        except (TimeoutError, OSError, smtplib.SMTPException) as exc:
            self._drop()
            raise OutcomeUnknown(f"no answer after the message was sent: {exc}") from exc
        if then is not None and ahead:
            try:
                replies = (smtp.getreply(), smtp.getreply(), smtp.getreply())
            except (TimeoutError, OSError, smtplib.SMTPException):
                self._drop()  # this message's answer is known; the next one reconnects
            else:
                self._opened = _OpenedEnvelope(then, replies)
        if code != 250:
            raise self._refuse_or_retry(smtp, SmtpStage.END_OF_DATA, code, message)
        self._sent_on_connection += 1
        return _answer(code, message)

    def _envelope_step_by_step(self, smtp: smtplib.SMTP, envelope_from: str, recipient: str) -> None:
        code, message = smtp.mail(envelope_from, _mail_options(smtp))
        if code != 250:
            self._refused_sender(smtp, code, message)
        code, message = smtp.rcpt(recipient)
        if code not in (250, 251):
            raise self._refuse_or_retry(smtp, SmtpStage.RCPT, code, message)
        smtp.putcmd("data")
        code, message = smtp.getreply()
        if code != 354:
            raise self._refuse_or_retry(smtp, SmtpStage.DATA, code, message)

    @staticmethod
    def _envelope_commands(smtp: smtplib.SMTP, envelope_from: str, recipient: str) -> bytes:
        options = "".join(f" {option}" for option in _mail_options(smtp))
        commands = f"MAIL FROM:{_quoted(envelope_from)}{options}\r\nRCPT TO:{_quoted(recipient)}\r\nDATA\r\n"
        return commands.encode(smtp.command_encoding)

    def _envelope_pipelined(self, smtp: smtplib.SMTP, envelope_from: str, recipient: str) -> None:
        """MAIL, RCPT and DATA in one write, then their three answers (RFC 2920).

        Half the round trips of the step-by-step exchange: on a reused connection the
        round trips, not the bytes, are what an SMTP send costs.
        """
        smtp.send(self._envelope_commands(smtp, envelope_from, recipient))
        self._check_pipelined_envelope(smtp, smtp.getreply(), smtp.getreply(), smtp.getreply())

    def _check_pipelined_envelope(
        self, smtp: smtplib.SMTP, mail: tuple[int, bytes], rcpt: tuple[int, bytes], data: tuple[int, bytes]
    ) -> None:
        """Act on the three answers to a pipelined MAIL, RCPT and DATA."""
        (mail_code, mail_message), (rcpt_code, rcpt_message), (data_code, data_message) = mail, rcpt, data
        if data_code == 354 and (mail_code != 250 or rcpt_code not in (250, 251)):
            # A server that opened DATA although the envelope failed: end the empty message.
            smtp.send(b".\r\n")
            smtp.getreply()
        if mail_code != 250:
            self._refused_sender(smtp, mail_code, mail_message)
        if rcpt_code not in (250, 251):
            raise self._refuse_or_retry(smtp, SmtpStage.RCPT, rcpt_code, rcpt_message)
        if data_code != 354:
            raise self._refuse_or_retry(smtp, SmtpStage.DATA, data_code, data_message)

    def _refused_sender(self, smtp: smtplib.SMTP, code: int, message: bytes) -> None:
        # A refused sender is our configuration, not this recipient: never fail the whole
        # audience one message at a time; retry (nothing is lost). The table says so.
        raise self._refuse_or_retry(smtp, SmtpStage.MAIL, code, message)
