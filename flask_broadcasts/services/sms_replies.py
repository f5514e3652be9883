"""What a recipient's SMS reply does: STOP suppresses the number, START lifts that, HELP is recorded.

:func:`receive_sms` is the public entry point for a host with an SMS provider of its own: it
passes the organization, the recipient's number and the text. The Twilio webhook
(``flask_broadcasts.callbacks``) calls :func:`receive_sms_reply`, which first asks the host
which organization the receiving number belongs to (``@broadcasts.sms_number_organization``).

- **STOP** (and its synonyms, :mod:`.sms_keywords`): an ``sms_stop`` suppression of the number
  and a ``withdrawn`` consent record — also when the number was already suppressed (the
  recipient's own words are worth keeping).
- **START**, **YES**, **UNSTOP**: lift the number's suppression *only* when its reason is
  ``sms_stop`` (a ``manual``, imported or bounced one stays: a person put it there), and a
  ``given`` consent record either way.
- **HELP**: a ``help`` consent record only; the answer is the provider's (Twilio's Advanced
  Opt-Out) or the host's.
- Any other text: nothing at all.

**Without the hook**, or when it answers ``None``, a keyword takes effect in *every*
organization that sent an SMS to the number (a message with a provider id) or holds a
suppression of it: a shared sender number cannot tell whose message the STOP answers, and
the rule is that the opt-out is honoured — so one organization's STOP silences the number
for all of them. That search reads the SMS messages kept (the partial index of provider ids;
the purge bounds it): a host with one number per organization registers the hook.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, union

from ..models import BroadcastMessage, BroadcastSuppression
from ..state import get_state
from ..statuses import ConsentAction, ConsentMethod, SuppressionReason, SuppressionSource
from . import consent
from .addresses import normalize_address
from .sms_keywords import Keyword, keyword_of, normalized
from .suppressions import suppress

__all__ = ["SmsReply", "organizations_for_number", "receive_sms", "receive_sms_reply"]


@dataclass(frozen=True)
class SmsReply:
    """What an inbound SMS came to."""

    #: The keyword it is, or ``None`` (any other text: nothing changed).
    keyword: Keyword | None
    #: The organizations it took effect in (``()`` for a non-keyword or an unusable number).
    organizations: tuple[str, ...] = ()
    #: Of those, where the suppression list changed (a suppression added, or an ``sms_stop`` lifted).
    changed: tuple[str, ...] = ()


def receive_sms(
    organization_id: str, number: str, text: str, *, provider: str = "host", reference: str | None = None
) -> SmsReply:
    """Act on an SMS that ``number`` sent to ``organization_id`` (for hosts with another SMS provider).

    :param number: the sender's mobile number (any spacing of E.164); one that is not a mobile
        number changes nothing.
    :param text: the message body, as received.
    :param provider: named in the consent record's ``reference`` (``"<provider>:<KEYWORD>"``).
    :param reference: the provider's id of the inbound message, kept as the suppression's
        ``source.id``.
    :returns: what it came to (:class:`SmsReply`). Commits.
    """
    return _receive([str(organization_id)], number, text, provider=provider, reference=reference)


def receive_sms_reply(
    receiving_number: str | None, number: str, text: str, *, provider: str, reference: str | None = None
) -> SmsReply:
    """Act on an SMS ``number`` sent to our ``receiving_number``: in the organization the host's
    ``sms_number_organization`` hook names, else in every organization that sent to ``number``."""
    keyword = keyword_of(text)
    if keyword is None:
        return SmsReply(None)
    try:
        normalized_number = normalize_address("sms", number)
    except ValueError:
        return SmsReply(keyword)
    organization_id = get_state().extension.organization_of_sms_number(receiving_number)
    organizations = [organization_id] if organization_id else organizations_for_number(normalized_number)
    return _receive(organizations, normalized_number, text, provider=provider, reference=reference)


def organizations_for_number(number: str) -> list[str]:
    """The organizations that sent an SMS to ``number`` (E.164) or hold a suppression of it."""
    # The stored number is the host's, with its spacing: compare it without what e164 drops.
    bare: Any = BroadcastMessage.mobile
    for character in (" ", "-", ".", "(", ")"):
        bare = func.replace(bare, character, "")
    sent = select(BroadcastMessage.organization_id).where(
        BroadcastMessage.provider_message_id.is_not(None), bare == number
    )
    listed = select(BroadcastSuppression.organization_id).where(
        BroadcastSuppression.channel == "sms", BroadcastSuppression.address == number
    )
    session = get_state().session
    found = session.execute(union(sent, listed)).scalars().all()
    return sorted({str(organization) for organization in found})


def _receive(organizations: Iterable[str], number: str, text: str, *, provider: str, reference: str | None) -> SmsReply:
    keyword = keyword_of(text)
    if keyword is None:
        return SmsReply(None)
    try:
        number = normalize_address("sms", number)
    except ValueError:
        return SmsReply(keyword)
    session = get_state().session
    said = f"{provider[:16]}:{normalized(text).upper()}"
    done, changed = [], []
    try:
        for organization_id in dict.fromkeys(organizations):
            if _APPLY[keyword](organization_id, number, said, reference or provider[:64]):
                changed.append(organization_id)
            done.append(organization_id)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return SmsReply(keyword, tuple(done), tuple(changed))


def _stop(organization_id: str, number: str, said: str, source_id: str) -> bool:
    source = {"kind": SuppressionSource.PROVIDER.value, "id": source_id}
    if suppress(organization_id, "sms", number, SuppressionReason.SMS_STOP, source, commit=False, reference=said):
        return True  # suppress recorded the withdrawal
    consent.record(
        organization_id,
        "sms",
        number,
        ConsentAction.WITHDRAWN,
        ConsentMethod.PROVIDER,
        reason=SuppressionReason.SMS_STOP,
        reference=said,
        commit=False,
    )
    return False


def _start(organization_id: str, number: str, said: str, source_id: str) -> bool:
    lifted = (
        get_state()
        .session.execute(
            delete(BroadcastSuppression)
            .where(
                BroadcastSuppression.organization_id == organization_id,
                BroadcastSuppression.channel == "sms",
                BroadcastSuppression.address == number,
                BroadcastSuppression.reason == SuppressionReason.SMS_STOP.value,
            )
            .returning(BroadcastSuppression.id)
        )
        .first()
    )
    consent.record(
        organization_id, "sms", number, ConsentAction.GIVEN, ConsentMethod.PROVIDER, reference=said, commit=False
    )
    return lifted is not None


def _help(organization_id: str, number: str, said: str, source_id: str) -> bool:
    consent.record(
        organization_id, "sms", number, ConsentAction.HELP, ConsentMethod.PROVIDER, reference=said, commit=False
    )
    return False


_APPLY = {Keyword.STOP: _stop, Keyword.START: _start, Keyword.HELP: _help}
