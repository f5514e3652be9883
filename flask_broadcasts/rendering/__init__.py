"""Rendering of broadcast templates: placeholders, locales, SMS cost.

Pure domain code: standard library, Babel and MarkupSafe only.
"""

from __future__ import annotations

from .engine import CompiledTemplate, RecipientData, RenderedMessage, TemplateContent
from .locale import choose_locale, normalize_locale_tag
from .placeholders import CompiledText, find_placeholders
from .sms import SmsInfo, sms_info
from .validation import PlaceholderProblem, is_safe_action_url, validate_i18n_keys, validate_placeholders

__all__ = [
    "CompiledTemplate",
    "CompiledText",
    "PlaceholderProblem",
    "RecipientData",
    "RenderedMessage",
    "SmsInfo",
    "TemplateContent",
    "choose_locale",
    "find_placeholders",
    "is_safe_action_url",
    "normalize_locale_tag",
    "sms_info",
    "validate_i18n_keys",
    "validate_placeholders",
]
