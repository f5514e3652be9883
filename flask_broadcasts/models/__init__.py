"""The extension's tables.

They live on their own :class:`sqlalchemy.MetaData` (not the host's ``db.Model``)
so that the host's Alembic autogenerate never sees them as its own, while the
host's ``db.session`` still queries them: Flask-SQLAlchemy binds any mapper whose
metadata has no ``bind_key`` to the default engine.

Host ids (organization, customer, booking, community) are stored as strings with
no foreign key into host tables, because hosts use ints or UUIDs and own their
schema.

One module per family of tables (:mod:`.base` holds what they share); every name is
importable from here, as before the package was split.
"""

from __future__ import annotations

from .base import Base
from .base import TimestampMixin as TimestampMixin
from .base import UTCDateTime as UTCDateTime
from .base import utcnow as utcnow
from .campaigns import (
    BroadcastAudience,
    BroadcastCampaign,
    BroadcastFile,
    BroadcastFileBlob,
    BroadcastRun,
    BroadcastTemplate,
)
from .campaigns import (
    BroadcastRunContent as BroadcastRunContent,
)
from .consent import BroadcastConsentEvent, BroadcastFeedbackEvent, BroadcastSuppression
from .messages import (
    BroadcastMessage,
    BroadcastReportCount,
    BroadcastSentEmail,
    BroadcastTestSend,
    BroadcastTrackingEvent,
)
from .webhooks import BroadcastWebhook, BroadcastWebhookDelivery

#: The extension's own :class:`~sqlalchemy.MetaData` (its tables only; see :mod:`flask_broadcasts.migrations`).
metadata = Base.metadata

__all__ = [
    "Base",
    "BroadcastAudience",
    "BroadcastCampaign",
    "BroadcastConsentEvent",
    "BroadcastFeedbackEvent",
    "BroadcastFile",
    "BroadcastFileBlob",
    "BroadcastMessage",
    "BroadcastReportCount",
    "BroadcastRun",
    "BroadcastSentEmail",
    "BroadcastSuppression",
    "BroadcastTemplate",
    "BroadcastTestSend",
    "BroadcastTrackingEvent",
    "BroadcastWebhook",
    "BroadcastWebhookDelivery",
    "metadata",
]
