"""Broadcast campaigns for multi-tenant Flask products.

The public surface: the extension object, the host contract and the statuses.
"""

from __future__ import annotations

from .auth import current_organization_id
from .errors import AccessDenied, BroadcastsError, BroadcastsSetupWarning
from .extension import Broadcasts
from .host import AudienceSource, BookingRecipientMixin, CommunitySource, RecipientMixin
from .services.sms_replies import receive_sms
from .state import get_state
from .statuses import CampaignStatus, MessageStatus

__version__ = "0.2.0.dev0"

__all__ = [
    "AccessDenied",
    "AudienceSource",
    "BookingRecipientMixin",
    "Broadcasts",
    "BroadcastsError",
    "BroadcastsSetupWarning",
    "CampaignStatus",
    "CommunitySource",
    "MessageStatus",
    "RecipientMixin",
    "current_organization_id",
    "get_state",
    "receive_sms",
]
