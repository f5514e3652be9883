"""Ask the mail server what it offers, the way a send job connects (``flask broadcasts doctor``).

Connects with the same ``MAIL_*`` settings as :class:`~.smtp.SmtpTransport` (SSL, or
STARTTLS, then login), says EHLO and QUIT, and sends no mail.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass

from .smtp import MailSettings

__all__ = ["CAPABILITIES", "ServerOffer", "probe_smtp"]

#: The EHLO extensions the doctor reports: what each changes for a send.
CAPABILITIES: dict[str, str] = {
    "PIPELINING": "a message costs one round trip instead of four",
    "8BITMIME": "not needed: every body and header is sent base64 or encoded-word",
    "STARTTLS": "the connection can be encrypted (MAIL_USE_TLS)",
    "SIZE": "the largest message the server accepts",
}


@dataclass(frozen=True)
class ServerOffer:
    """What the server said."""

    #: The greeting (``220 ...``) without its code.
    banner: str
    #: EHLO extensions in upper case, with their parameters (``{"SIZE": "33554432"}``).
    extensions: dict[str, str]
    #: Extensions offered on the plain connection, before STARTTLS (only STARTTLS matters there).
    before_tls: dict[str, str]
    #: Whether the connection was encrypted (MAIL_USE_SSL, or MAIL_USE_TLS and STARTTLS).
    encrypted: bool
    #: Whether it logged in (MAIL_USERNAME and MAIL_PASSWORD set).
    logged_in: bool

    @property
    def size_limit(self) -> int | None:
        """The server's SIZE limit in bytes (``None``: not announced or unlimited, ``SIZE 0``)."""
        value = self.extensions.get("SIZE", "")
        return int(value) if value.isdigit() and int(value) > 0 else None


def probe_smtp(settings: MailSettings, *, timeout: float = 10.0) -> ServerOffer:
    """Connect, EHLO (again after STARTTLS), log in when configured, QUIT.

    :raises OSError: the server cannot be reached.
    :raises smtplib.SMTPException: it refused EHLO, STARTTLS or the login.
    """
    smtp = (smtplib.SMTP_SSL if settings.use_ssl else smtplib.SMTP)(timeout=timeout)
    code, greeting = smtp.connect(settings.server, settings.port)
    try:
        code, message = smtp.ehlo()
        if code != 250:
            raise smtplib.SMTPHeloError(code, message)
        before_tls = {name.upper(): value for name, value in smtp.esmtp_features.items()}
        encrypted = settings.use_ssl
        if settings.use_tls:
            smtp.starttls()
            smtp.ehlo()
            encrypted = True
        extensions = {name.upper(): value for name, value in smtp.esmtp_features.items()}
        logged_in = False
        if settings.username and settings.password:
            smtp.login(settings.username, settings.password)
            logged_in = True
        return ServerOffer(greeting.decode("utf-8", "replace"), extensions, before_tls, encrypted, logged_in)
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
