"""Render a broadcast template for one recipient.

A template (:class:`TemplateContent`) is compiled once per campaign with
:meth:`CompiledTemplate.compile`; every text and every localized variant is
split into literals and placeholders at that point, and
:meth:`CompiledTemplate.render` only joins pieces for each recipient.

Rules applied by :meth:`CompiledTemplate.render`:

- **Locale**, per field: the variant chosen by
  :func:`~flask_broadcasts.rendering.locale.choose_locale` for the recipient's
  locale, else the field's default text. Fields are chosen independently (a
  template may translate the body but not the subject).
  :attr:`RenderedMessage.locale` is the canonical tag of the variant used for
  the *main text* — ``body``, or ``body_short`` when the template has no
  ``mail`` channel — and ``None`` when the default text was used. It says what
  language was sent; :attr:`RenderedMessage.recipient_locale` says what the
  recipient asked for (their locale, canonical; ``None`` when missing or unknown).
- **Values by context**: HTML-escaped in ``body``; plain in ``body_short``;
  line breaks (CR, LF, VT, FF, NEL, U+2028, U+2029, ...) and tabs collapsed
  into one space and other control characters dropped in ``subject`` and
  ``action_label`` — for the template's own text too, so a header can never
  gain a line; percent-encoded (:func:`urllib.parse.quote` with ``safe=""``)
  in ``action_url``, so a value can add to the path or query but not change
  the scheme or host.
- **Channels**: the template's channels in template order, without ``mail``
  when the recipient has no e-mail address and without ``sms`` when they have
  no mobile number an SMS can reach (not E.164, not valid, fixed-line:
  :func:`~flask_broadcasts.rendering.numbers.e164`, the check sending makes).
  SMS encoding and segments are filled in only when ``sms`` remains.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import quote

from markupsafe import escape

from .locale import lookup_chain, normalize_locale_tag
from .numbers import UnusableNumber, e164
from .placeholders import CompiledText
from .sms import sms_info

__all__ = [
    "CHANNELS",
    "TEXT_FIELDS",
    "CompiledTemplate",
    "MessageTexts",
    "RecipientData",
    "RenderedMessage",
    "TemplateContent",
]

#: Channels a template may use, in the order the spec lists them.
CHANNELS: tuple[str, ...] = ("mail", "sms")

#: Text fields that have a localized ``<field>_i18n`` mapping.
TEXT_FIELDS: tuple[str, ...] = ("subject", "body", "body_short", "action_label")

_EMPTY: Mapping[str, str] = MappingProxyType({})


def _no_mapping() -> Mapping[str, str]:
    # A shared read-only empty mapping; dataclasses refuse it as a plain default.
    return _EMPTY


@dataclass(frozen=True)
class TemplateContent:
    """The content of a broadcast template, as stored.

    ``*_i18n`` map a locale tag (``fr``, ``fr-CA``, ``fr_CA``...) to the text
    for that locale; the plain field is the default text.
    """

    subject: str = ""
    body: str = ""
    body_short: str = ""
    action_label: str = ""
    action_url: str = ""
    channels: tuple[str, ...] = ("mail",)
    subject_i18n: Mapping[str, str] = field(default_factory=_no_mapping)
    body_i18n: Mapping[str, str] = field(default_factory=_no_mapping)
    body_short_i18n: Mapping[str, str] = field(default_factory=_no_mapping)
    action_label_i18n: Mapping[str, str] = field(default_factory=_no_mapping)


@dataclass(frozen=True)
class RecipientData:
    """What rendering needs to know about one recipient."""

    #: Values by placeholder name (the host's variable bindings).
    bindings: Mapping[str, object] = field(default_factory=_no_mapping)
    email: str | None = None
    mobile: str | None = None
    #: Preferred locale, any case, ``-`` or ``_``; invalid means "none".
    locale: str | None = None


@dataclass(frozen=True)
class RenderedMessage:
    """A template rendered for one recipient."""

    subject: str
    body: str
    body_short: str
    action_label: str
    action_url: str
    channels: tuple[str, ...]
    #: Canonical tag of the variant used for the main text, ``None`` for default.
    locale: str | None
    email: str | None
    mobile: str | None
    #: ``"GSM-7"`` / ``"UCS-2"`` when ``sms`` is among ``channels``, else ``None``.
    sms_encoding: str | None = None
    #: SMS segments of ``body_short`` when ``sms`` is among ``channels``.
    sms_segments: int | None = None
    #: Canonical tag of the recipient's locale (``fr_CA`` → ``fr-CA``), ``None`` when it
    #: has none or it is not a known locale.
    recipient_locale: str | None = None
    #: Why the recipient's mobile number cannot get the template's SMS (it has one, but
    #: :func:`~flask_broadcasts.rendering.numbers.e164` refuses it), else ``None``.
    mobile_problem: str | None = None


@dataclass(frozen=True)
class MessageTexts:
    """A template's texts rendered with one set of bindings in one locale."""

    subject: str
    body: str
    body_short: str
    action_label: str
    action_url: str
    #: The compiled variant ``body`` came from (for its text alternative, converted once).
    body_source: CompiledText


# Everything str.splitlines() treats as a line boundary, plus tab: any of them
# in a mail header would start a new header line or look like one.
_LINE_BREAKS = re.compile(r"[\t\n\v\f\r\x1c\x1d\x1e\x85\u2028\u2029]+")
# Remaining C0 controls and DEL have no business in a one-line text.
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f]")


def _single_line(text: str) -> str:
    return _CONTROLS.sub("", _LINE_BREAKS.sub(" ", text))


def _html(value: str) -> str:
    return str(escape(value))


def _url_component(value: str) -> str:
    # safe="" also encodes "/", ":", "@", "?" and "#", so a value can never
    # end the path early or introduce a new authority.
    return quote(value, safe="")


@dataclass(frozen=True)
class _LocalizedText:
    """A field's default text and its variants, compiled, keyed by canonical tag."""

    default: CompiledText
    variants: Mapping[str, CompiledText]

    def pick(self, chain: tuple[str, ...]) -> tuple[CompiledText, str | None]:
        for tag in chain:
            variant = self.variants.get(tag)
            if variant is not None:
                return variant, tag
        return self.default, None


def _compile_field(name: str, default: str, i18n: Mapping[str, str], prepare: Callable[[str], str]) -> _LocalizedText:
    variants: dict[str, CompiledText] = {}
    for key, text in i18n.items():
        try:
            tag = normalize_locale_tag(key)
        except ValueError:
            raise ValueError(f"{name}_i18n: {key!r} is not a known locale") from None
        if tag in variants:
            raise ValueError(f"{name}_i18n: {key!r} duplicates another key ({tag})")
        variants[tag] = CompiledText.compile(prepare(text))
    return _LocalizedText(CompiledText.compile(prepare(default)), MappingProxyType(variants))


def _unchanged(text: str) -> str:
    return text


def _present(value: str | None) -> bool:
    return bool(value and value.strip())


@dataclass(frozen=True)
class CompiledTemplate:
    """A :class:`TemplateContent` with every text compiled once.

    Build it with :meth:`compile`, then call :meth:`render` per recipient.
    """

    content: TemplateContent
    subject: _LocalizedText
    body: _LocalizedText
    body_short: _LocalizedText
    action_label: _LocalizedText
    action_url: CompiledText

    @classmethod
    def compile(cls, content: TemplateContent) -> CompiledTemplate:
        """Compile every text and localized variant of *content*.

        :raises ValueError: for an unknown or repeated channel, or an
            ``*_i18n`` key that is not a known locale or that duplicates
            another key once normalized (``fr_CA`` and ``fr-ca``).
        """
        unknown = [channel for channel in content.channels if channel not in CHANNELS]
        if unknown:
            raise ValueError(f"unknown channel(s): {', '.join(map(repr, unknown))}")
        if len(set(content.channels)) != len(content.channels):
            raise ValueError("channels must not repeat")
        return cls(
            content=content,
            # Line breaks are removed from the one-line fields' own text here,
            # once, so render() only has to clean the values.
            subject=_compile_field("subject", content.subject, content.subject_i18n, _single_line),
            body=_compile_field("body", content.body, content.body_i18n, _unchanged),
            body_short=_compile_field("body_short", content.body_short, content.body_short_i18n, _unchanged),
            action_label=_compile_field("action_label", content.action_label, content.action_label_i18n, _single_line),
            action_url=CompiledText.compile(content.action_url),
        )

    def texts(self, bindings: Mapping[str, object], locale: str | None) -> MessageTexts:
        """The texts alone for ``bindings`` in ``locale`` (a canonical tag, as
        :attr:`RenderedMessage.recipient_locale` gives it): what :meth:`render` gives them.

        A stored message is read back through this — its bindings and locale are what
        it keeps instead of its texts.
        """
        chain = lookup_chain(locale) if locale else ()
        subject, _ = self.subject.pick(chain)
        body, _ = self.body.pick(chain)
        body_short, _ = self.body_short.pick(chain)
        action_label, _ = self.action_label.pick(chain)
        return MessageTexts(
            subject=subject.render(bindings, _single_line),
            body=body.render(bindings, _html),
            body_short=body_short.render(bindings),
            action_label=action_label.render(bindings, _single_line),
            action_url=self.action_url.render(bindings, _url_component),
            body_source=body,
        )

    def render(self, recipient: RecipientData) -> RenderedMessage:
        """Render the template for *recipient* (rules in the module docstring)."""
        chain: tuple[str, ...] = ()
        wanted: str | None = None
        if recipient.locale:
            try:
                wanted = normalize_locale_tag(recipient.locale)
            except ValueError:
                wanted = None  # a junk locale means "no preference", not a failure
            else:
                chain = lookup_chain(wanted)
        bindings = recipient.bindings

        subject, _ = self.subject.pick(chain)
        body, body_tag = self.body.pick(chain)
        body_short, short_tag = self.body_short.pick(chain)
        action_label, _ = self.action_label.pick(chain)

        mobile_problem = None
        sms_ok = False
        if "sms" in self.content.channels and _present(recipient.mobile):
            try:
                e164(recipient.mobile)
                sms_ok = True
            except UnusableNumber as problem:  # a number, but none an SMS can reach: like no number
                mobile_problem = problem.detail
        channels = tuple(
            channel
            for channel in self.content.channels
            if (channel == "mail" and _present(recipient.email)) or (channel == "sms" and sms_ok)
        )
        short_text = body_short.render(bindings)
        encoding: str | None = None
        segments: int | None = None
        if "sms" in channels:
            info = sms_info(short_text)
            encoding, segments = info.encoding, info.segments

        return RenderedMessage(
            subject=subject.render(bindings, _single_line),
            body=body.render(bindings, _html),
            body_short=short_text,
            action_label=action_label.render(bindings, _single_line),
            action_url=self.action_url.render(bindings, _url_component),
            channels=channels,
            locale=body_tag if "mail" in self.content.channels else short_tag,
            email=recipient.email,
            mobile=recipient.mobile,
            sms_encoding=encoding,
            sms_segments=segments,
            recipient_locale=wanted,
            mobile_problem=mobile_problem,
        )
