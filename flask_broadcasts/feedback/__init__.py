"""Feedback loops: what the providers say after the hand-over (deliveries, bounces, complaints).

One module per source translates what it receives into :class:`FeedbackEvent` values
(:mod:`.ses`, :mod:`.sendgrid`, :mod:`.postmark`, :mod:`.mailgun` for the webhooks of
:mod:`flask_broadcasts.feedback_callbacks`; :mod:`.bounce_mail` for bounce mail, which
:func:`apply_bounce` reads from raw bytes), and
:func:`apply_event` (:mod:`.service`) is the one place they change messages, the
suppression list and the counters. Needs the ``flask-broadcasts[feedback]`` extra
(cryptography, flufl.bounce).
"""

from __future__ import annotations

from .bounce_mail import BounceResult, apply_bounce
from .events import FeedbackEvent, FeedbackKind, Outcome
from .service import apply_event, apply_events

__all__ = ["BounceResult", "FeedbackEvent", "FeedbackKind", "Outcome", "apply_bounce", "apply_event", "apply_events"]
