"""Bounce mail: a DSN (RFC 3464) or a non-standard bounce, read back into a feedback event.

With ``BROADCASTS_BOUNCE_ADDRESS`` every e-mail's envelope sender is a VERP address naming
its message (:func:`~flask_broadcasts.signing.verp_address`), so a bounce comes back *to*
that address: the token is read from the bounce's ``X-Original-To``, ``Delivered-To``,
``Envelope-To`` or ``To`` (never from its body, which anyone can write), and only a token
whose MAC checks names a message. Whatever the bounce says about addresses, the token is
what finds the message: forwarding and provider rewrites change the address in the
report, never the envelope the bounce was sent to.

Whether it is a bounce, and which kind:

- a DSN's ``message/delivery-status`` part: ``Action: failed`` with a ``5.x.x`` status (or
  none) is a hard bounce, with a ``4.x.x`` status a soft one (the MTA gave up on a
  temporary failure); ``Action: delayed`` is a warning (the MTA still tries), not a bounce;
- otherwise `flufl.bounce <https://fluflbounce.readthedocs.io>`_'s detectors (qmail, Exim,
  Postfix, Microsoft, Yahoo...): their permanent failures are hard bounces, temporary
  ones soft;
- nothing detected (an auto-reply, a vacation notice): not a bounce, nothing changes.

The event goes through :func:`~flask_broadcasts.feedback.service.apply_event` as provider
``mail``, keyed by the bounce's own ``Message-ID`` (its digest without one), so the
same bounce read twice — the same mailbox read again — changes nothing.
"""

from __future__ import annotations

import email
import enum
import hashlib
import logging
import re
from dataclasses import dataclass
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses

from ..signing import verp_message_id
from ..state import get_state
from .events import FeedbackEvent, FeedbackKind, Outcome
from .service import apply_event

__all__ = ["PROVIDER", "BounceResult", "apply_bounce", "parse_bounce"]

log = logging.getLogger(__name__)

#: The ``provider`` of the feedback events read from bounce mail.
PROVIDER = "mail"
#: Where a bounce says whom it was sent to (the VERP address), most specific first.
_RECIPIENT_HEADERS = ("X-Original-To", "Delivered-To", "Envelope-To", "X-Envelope-To", "To")
#: An enhanced status code (RFC 3463) in a DSN field or a bounce's text.
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
#: A line of a non-standard bounce that carries the server's answer (``550 5.1.1 ...``).
_ANSWER_LINE = re.compile(r"^.*\b[45]\d\d\b.*$", re.M)


class BounceResult(str, enum.Enum):
    """What :func:`apply_bounce` made of one piece of mail."""

    APPLIED = "applied"
    #: The same bounce again: nothing changed.
    DUPLICATE = "duplicate"
    #: The token checks but names no message of ours any more (purged).
    UNKNOWN = "unknown"
    #: Sent to no valid VERP address of ours (no token, a forged or altered one).
    NO_TOKEN = "no_token"
    #: To a valid address, but no failure in it (an auto-reply, a delay warning).
    NOT_A_BOUNCE = "not_a_bounce"


_OF_OUTCOME = {
    Outcome.APPLIED: BounceResult.APPLIED,
    Outcome.DUPLICATE: BounceResult.DUPLICATE,
    Outcome.UNKNOWN: BounceResult.UNKNOWN,
}


@dataclass(frozen=True)
class _Verdict:
    kind: FeedbackKind
    detail: str | None


def _message_id_of(msg: Message, bounce_address: str) -> int | None:
    for header in _RECIPIENT_HEADERS:
        values = [str(value) for value in msg.get_all(header, [])]
        for _name, address in getaddresses(values):
            message_id = verp_message_id(address, bounce_address)
            if message_id is not None:
                return message_id
    return None


def _status_parts(msg: Message) -> list[Message]:
    """The ``message/delivery-status`` parts of ``msg``: none unless it is a DSN."""
    return [p for p in msg.walk() if p.get_content_type() == "message/delivery-status" and p.is_multipart()]


def _dsn_verdict(parts: list[Message]) -> _Verdict | None:
    """The verdict of a DSN's per-recipient fields, if any failed (delays are warnings)."""
    verdict: _Verdict | None = None
    for part in parts:
        for block in part.get_payload():
            if not isinstance(block, Message):
                continue
            action = str(block.get("Action", "")).strip().lower()
            if not action.startswith(("fail", "error")):  # delayed, delivered, relayed, expanded
                continue
            status = _STATUS.search(str(block.get("Status", "")))
            diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())
            detail = " ".join(x for x in (status.group(0) if status else "", diagnostic) if x) or None
            hard = status is None or status.group(1) == "5"
            kind = FeedbackKind.HARD_BOUNCE if hard else FeedbackKind.SOFT_BOUNCE
            # One recipient per e-mail (VERP): a hard failure anywhere in it decides.
            if verdict is None or kind is FeedbackKind.HARD_BOUNCE:
                verdict = _Verdict(kind, detail)
            if hard:
                return verdict
    return verdict


def _text_of(msg: Message) -> str:
    texts = []
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                texts.append(payload.decode("utf-8", "replace"))
    return "\n".join(texts)


def _heuristic_verdict(msg: Message) -> _Verdict | None:
    """flufl.bounce's verdict on a bounce in no standard shape."""
    from flufl.bounce import all_failures

    try:
        temporary, permanent = all_failures(msg)
    except Exception:  # a detector choking on a malformed bounce: read it as none
        log.warning("flufl.bounce could not read a bounce", exc_info=True)
        return None
    if not temporary and not permanent:
        return None
    text = _text_of(msg)
    answer = _ANSWER_LINE.search(text)
    status = _STATUS.search(text)
    detail = " ".join(answer.group(0).split())[:300] if answer else (status.group(0) if status else None)
    return _Verdict(FeedbackKind.HARD_BOUNCE if permanent else FeedbackKind.SOFT_BOUNCE, detail)


def _key_of(msg: Message, raw: bytes) -> str:
    header = " ".join(str(msg.get("Message-ID", "")).split())
    return header or "sha256:" + hashlib.sha256(raw).hexdigest()


def parse_bounce(raw: bytes, bounce_address: str) -> FeedbackEvent | BounceResult:
    """The feedback event of bounce mail ``raw`` (its bytes, as received) to a VERP address
    on ``bounce_address``; or why there is none (:attr:`BounceResult.NO_TOKEN`,
    :attr:`BounceResult.NOT_A_BOUNCE`). Reads, changes nothing."""
    msg = email.message_from_bytes(raw, policy=compat32)
    message_id = _message_id_of(msg, bounce_address)
    if message_id is None:
        return BounceResult.NO_TOKEN
    # A DSN says what happened in fields of its own: heuristics would read a delay as a bounce.
    parts = _status_parts(msg)
    verdict = _dsn_verdict(parts) if parts else _heuristic_verdict(msg)
    if verdict is None:
        return BounceResult.NOT_A_BOUNCE
    return FeedbackEvent(
        provider=PROVIDER,
        kind=verdict.kind,
        key=f"{_key_of(msg, raw)}:{message_id}",
        message_id=message_id,
        detail=verdict.detail[:500] if verdict.detail else None,
    )


def apply_bounce(raw: bytes) -> BounceResult:
    """Read bounce mail ``raw`` (the bytes of one message, as the bounce mailbox got it) and
    apply it as a provider's report would be: a hard bounce fails the e-mail and suppresses
    its address, a soft one counts toward ``BROADCASTS_SOFT_BOUNCE_LIMIT``. Idempotent.

    What a host calls from its own mail pipeline (an inbound webhook, a mail server's
    pipe); ``flask broadcasts bounces`` calls it on each message of a mailbox.

    :raises RuntimeError: ``BROADCASTS_BOUNCE_ADDRESS`` is not set (no token can be read).
    """
    bounce_address = get_state().settings.bounce_address
    if not bounce_address:
        raise RuntimeError("Set BROADCASTS_BOUNCE_ADDRESS: bounce mail is read by the VERP address it came back to.")
    parsed = parse_bounce(raw, bounce_address)
    if isinstance(parsed, BounceResult):
        return parsed
    return _OF_OUTCOME[apply_event(parsed)]
