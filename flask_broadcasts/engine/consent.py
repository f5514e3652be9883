"""The host's own opt-in: which channels of a recipient its consent lets a campaign use.

An :class:`~flask_broadcasts.host.AudienceSource` may declare ``consent_criterion(channel)``,
a SQL criterion; :func:`consenting` adds one column per channel to the audience's query
(``CASE WHEN <criterion> THEN 1 ELSE 0 END``: a criterion that is NULL for a row counts as
no), so the preview counts in the same ``COUNT`` and a run reads each recipient's answer
with its chunk. Without a criterion, each recipient's
:meth:`~flask_broadcasts.host.RecipientMixin.broadcast_accepts` decides; when the model
keeps the mixin's default (everyone accepts) nothing is asked at all.

A channel the opt-in says no to leaves the message's ``channels``; a message left with
none is ``failed`` with ``error_code`` ``no_consent`` (:func:`accepted_channels`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..host import AudienceSource, BookingRecipientMixin, RecipientMixin
from ..statuses import ErrorCode

__all__ = ["CHANNELS", "NO_CONSENT", "Consenting", "accepted_channels", "accepts_everyone", "consenting", "refused"]

#: ``error`` and ``error_code`` of a message whose every channel the host's opt-in refuses.
NO_CONSENT = ErrorCode.NO_CONSENT.value
CHANNELS: tuple[str, ...] = ("mail", "sms")
_LABEL = "broadcasts_consent_"


@dataclass(frozen=True)
class Consenting:
    """An audience query with the opt-in's columns, and how to read them back from a row.

    :ivar stmt: the audience's ``Select``; its first column is the recipient, then one
        consent column per channel in :attr:`channels` (none without a criterion).
    :ivar channels: the channels that have a column.
    :ivar by_sql: whether the source declared a criterion (else the objects are asked).
    """

    stmt: sa.Select[Any]
    channels: tuple[str, ...]
    by_sql: bool

    def read(self, row: Any) -> tuple[Any, Mapping[str, bool] | None]:
        """A result row → (the recipient, its answer per channel; ``None``: ask the object)."""
        if not self.by_sql:
            return row[0], None
        return row[0], {channel: bool(row[index + 1]) for index, channel in enumerate(self.channels)}

    def column(self, subquery: sa.Subquery, channel: str) -> Any | None:
        """The consent column of ``channel`` in a subquery of :attr:`stmt` (``None``: no opt-in)."""
        return subquery.c[_LABEL + channel] if channel in self.channels else None


def consenting(source: AudienceSource, stmt: sa.Select[Any]) -> Consenting:
    """``stmt`` with one consent column per channel the source's criterion covers."""
    if source.consent_criterion is None:
        return Consenting(stmt, (), by_sql=False)
    columns = []
    for channel in CHANNELS:
        criterion = source.consent_criterion(channel)
        if criterion is not None:
            columns.append((channel, sa.case((criterion, 1), else_=0).label(_LABEL + channel)))
    return Consenting(stmt.add_columns(*(column for _, column in columns)), tuple(c for c, _ in columns), by_sql=True)


def accepts_everyone(source: AudienceSource) -> bool:
    """The source has no opt-in at all: no criterion, and the model keeps the mixin's default."""
    if source.consent_criterion is not None:
        return False
    model = source.model
    if issubclass(model, BookingRecipientMixin):
        customer_model = getattr(model, "customer_model", None)
        if model.broadcast_accepts is not BookingRecipientMixin.broadcast_accepts or customer_model is None:
            return model.broadcast_accepts is RecipientMixin.broadcast_accepts
        return customer_model.broadcast_accepts is RecipientMixin.broadcast_accepts
    return model.broadcast_accepts is RecipientMixin.broadcast_accepts


def accepted_channels(obj: RecipientMixin, channels: Iterable[str], consent: Mapping[str, bool] | None) -> list[str]:
    """Of ``channels``, those the recipient's opt-in accepts (``consent`` from :meth:`Consenting.read`)."""
    if consent is None:
        return [channel for channel in channels if obj.broadcast_accepts(channel)]
    return [channel for channel in channels if consent.get(channel, True)]


def refused(obj: RecipientMixin, channels: Sequence[str], consent: Mapping[str, bool] | None) -> bool:
    """Whether the opt-in keeps ``obj`` out of at least one of ``channels``."""
    return len(accepted_channels(obj, channels, consent)) < len(channels)
