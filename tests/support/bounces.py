"""Bounce mail in the shapes mail systems send, to a VERP address (``to``) about ``recipient``.

An RFC 3464 DSN (Postfix's current shape, as Gmail and Microsoft 365 also send them), and
non-standard ones modelled on what the systems write: qmail's QSBMF, Exim's old-style
bounce (``X-Failed-Recipients``), Postfix's pre-DSN "Notification" report, Microsoft
SMTPSVC's transcript; plus a delay warning and an auto-reply, which are not bounces.
Each names the bounce address in another header (``To``, ``Delivered-To``,
``X-Original-To``, ``Envelope-To``), as each system does.
"""

from __future__ import annotations

import mailbox
import uuid
from pathlib import Path

ORIGINAL = (
    "From: Acme News <news@acme.test>\r\n"
    "To: {recipient}\r\n"
    "Subject: Hello Ann!\r\n"
    "Message-ID: <broadcast.1.once.customer.1@acme.test>\r\n"
    "\r\n"
)


def _id() -> str:
    return f"<{uuid.uuid4().hex}@mx.example.net>"


def rfc3464(
    to: str,
    recipient: str,
    *,
    status: str = "5.1.1",
    action: str = "failed",
    diagnostic: str = "smtp; 550 5.1.1 <{recipient}>: Recipient address rejected: User unknown in virtual mailbox table",
    message_id: str | None = None,
) -> bytes:
    diagnostic = diagnostic.format(recipient=recipient)
    return (
        "Return-Path: <>\r\n"
        f"Delivered-To: {to}\r\n"
        "From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\r\n"
        f"To: {to}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: {message_id or _id()}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B1"\r\n'
        "\r\n"
        "--B1\r\n"
        "Content-Description: Notification\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "\r\n"
        "This is the mail system at host mx.example.net.\r\n"
        "\r\n"
        "I'm sorry to have to inform you that your message could not\r\n"
        "be delivered to one or more recipients.\r\n"
        "\r\n"
        f"<{recipient}>: host mail.example.org[192.0.2.7] said: {diagnostic.split('; ', 1)[-1]}\r\n"
        "\r\n"
        "--B1\r\n"
        "Content-Description: Delivery report\r\n"
        "Content-Type: message/delivery-status\r\n"
        "\r\n"
        "Reporting-MTA: dns; mx.example.net\r\n"
        "X-Postfix-Queue-ID: 4Zq9xL1Fz3z9tT\r\n"
        "Arrival-Date: Wed,  2 Dec 2026 10:00:00 +0000 (UTC)\r\n"
        "\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"Original-Recipient: rfc822;{recipient}\r\n"
        f"Action: {action}\r\n"
        f"Status: {status}\r\n"
        "Remote-MTA: dns; mail.example.org\r\n"
        f"Diagnostic-Code: {diagnostic}\r\n"
        "\r\n"
        "--B1\r\n"
        "Content-Description: Undelivered Message Headers\r\n"
        "Content-Type: text/rfc822-headers\r\n"
        "\r\n" + ORIGINAL.format(recipient=recipient) + "--B1--\r\n"
    ).encode()


def qmail(to: str, recipient: str) -> bytes:
    return (
        f"Delivered-To: {to}\r\n"
        "From: MAILER-DAEMON@qmail.example.net\r\n"
        "To: bounces@acme.test\r\n"
        "Subject: failure notice\r\n"
        f"Message-ID: {_id()}\r\n"
        "\r\n"
        "Hi. This is the qmail-send program at qmail.example.net.\r\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\r\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\r\n"
        "\r\n"
        f"<{recipient}>:\r\n"
        "192.0.2.9 does not like recipient.\r\n"
        "Remote host said: 550 5.1.1 Sorry, no mailbox here by that name.\r\n"
        "Giving up on 192.0.2.9.\r\n"
        "\r\n"
        "--- Below this line is a copy of the message.\r\n"
        "\r\n" + ORIGINAL.format(recipient=recipient)
    ).encode()


def exim_old(to: str, recipient: str) -> bytes:
    return (
        f"Envelope-To: {to}\r\n"
        "From: Mail Delivery System <Mailer-Daemon@exim.example.net>\r\n"
        f"To: {to}\r\n"
        f"X-Failed-Recipients: {recipient}\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "Subject: Mail delivery failed: returning message to sender\r\n"
        f"Message-ID: {_id()}\r\n"
        "\r\n"
        "This message was created automatically by mail delivery software.\r\n"
        "\r\n"
        "A message that you sent could not be delivered to one or more of its\r\n"
        "recipients. This is a permanent error. The following address(es) failed:\r\n"
        "\r\n"
        f"  {recipient}\r\n"
        "    SMTP error from remote mail server after RCPT TO:<" + recipient + ">:\r\n"
        "    host mail.example.org [192.0.2.10]: 550 No such user\r\n"
        "\r\n"
        "------ This is a copy of the message, including all the headers. ------\r\n"
        "\r\n" + ORIGINAL.format(recipient=recipient)
    ).encode()


def postfix_old(to: str, recipient: str) -> bytes:
    return (
        f"X-Original-To: {to}\r\n"
        "From: MAILER-DAEMON@old-postfix.example.net (Mail Delivery System)\r\n"
        "To: bounces@acme.test\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: {_id()}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="P1"\r\n'
        "\r\n"
        "--P1\r\n"
        "Content-Description: Notification\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "This is the Postfix program at host old-postfix.example.net.\r\n"
        "\r\n"
        "I'm sorry to have to inform you that the message returned\r\n"
        "below could not be delivered to one or more destinations.\r\n"
        "\r\n"
        "\tThe Postfix program\r\n"
        "\r\n"
        f"<{recipient}>: host mail.example.org said: 553 sorry, that domain isn't in my list of allowed rcpthosts\r\n"
        "\r\n"
        "--P1\r\n"
        "Content-Description: Undelivered Message\r\n"
        "Content-Type: message/rfc822\r\n"
        "\r\n" + ORIGINAL.format(recipient=recipient) + "body\r\n"
        "--P1--\r\n"
    ).encode()


def microsoft(to: str, recipient: str) -> bytes:
    return (
        "From: postmaster@exchange.example.net\r\n"
        f"To: {to}\r\n"
        "Subject: Delivery Status Notification (Failure)\r\n"
        f"Message-ID: {_id()}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="M1"\r\n'
        "\r\n"
        "--M1\r\n"
        "Content-Type: text/plain; charset=unicode-1-1-utf-7\r\n"
        "\r\n"
        "Your message did not reach some or all of the intended recipients.\r\n"
        "\r\n"
        "      Subject:\tHello Ann!\r\n"
        "\r\n"
        "The following recipient(s) could not be reached:\r\n"
        "\r\n"
        "An error occurred while trying to deliver this message. A transcript of session follows.\r\n"
        f"{recipient}\r\n"
        "\r\n"
        "--M1\r\n"
        "Content-Type: message/rfc822\r\n"
        "\r\n" + ORIGINAL.format(recipient=recipient) + "body\r\n"
        "--M1--\r\n"
    ).encode()


def auto_reply(to: str) -> bytes:
    return (
        "From: Ann Lee <ann@example.org>\r\n"
        f"To: {to}\r\n"
        "Subject: Out of office: Hello Ann!\r\n"
        "Auto-Submitted: auto-replied\r\n"
        f"Message-ID: {_id()}\r\n"
        "\r\n"
        "I am away until Monday and will read your message when I am back.\r\n"
    ).encode()


#: The non-standard shapes, by name (each a permanent failure of ``recipient``).
NON_STANDARD = {"qmail": qmail, "exim": exim_old, "postfix-notification": postfix_old, "microsoft": microsoft}


def write_mailbox(path: Path, messages: list[bytes], *, maildir: bool) -> Path:
    """An mbox file (or a Maildir) at ``path`` holding ``messages``."""
    box: mailbox.Mailbox = mailbox.Maildir(path, create=True) if maildir else mailbox.mbox(path, create=True)
    try:
        box.lock()
        for raw in messages:
            box.add(raw)
        box.flush()
        box.unlock()
    finally:
        box.close()
    return path
