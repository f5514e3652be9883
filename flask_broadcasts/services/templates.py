"""Broadcast templates: create, read, list, update and delete, scoped to an organization.

Every function takes the organization id first; a template of another organization
is reported as missing (:class:`~flask_broadcasts.errors.NotFoundError`), never as
forbidden. Values are the JSON:API attributes as plain Python values (the HTTP layer
has already checked their JSON types); validation reports **every** problem at once,
each as an :class:`~flask_broadcasts.errors.InvalidInputError` pointing at the
attribute (``/data/attributes/subject``) or at the localized variant
(``/data/attributes/subject_i18n/fr``).

``is_template`` only classifies: ``true`` marks a reusable template that
``filter[is_template]=true`` lists. It changes nothing else — campaigns reference a
template by id either way, and sending a campaign never consumes or alters it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, func, select

from ..errors import ConflictError
from ..models import BroadcastCampaign, BroadcastTemplate
from ..rendering import TemplateContent, is_safe_action_url, normalize_locale_tag, validate_placeholders
from ..rendering.engine import CHANNELS, TEXT_FIELDS
from ..state import get_state
from ..storage import forget_stored_files
from ._common import Problems, contains, get_scoped, pointer

__all__ = [
    "ATTRIBUTES",
    "DEFAULT_BINDING_TYPE",
    "I18N_FIELDS",
    "MAX_LENGTHS",
    "create_template",
    "delete_template",
    "get_template",
    "list_templates",
    "template_content",
    "update_template",
    "validate_template",
]

DEFAULT_BINDING_TYPE = "customer"
#: The localized maps, ``<text field>_i18n``.
I18N_FIELDS: tuple[str, ...] = tuple(f"{name}_i18n" for name in TEXT_FIELDS)
#: Every writable attribute.
ATTRIBUTES: tuple[str, ...] = (
    "name",
    *TEXT_FIELDS,
    "action_url",
    "channels",
    "is_template",
    "binding_type",
    *I18N_FIELDS,
)
#: Longest accepted value per attribute (characters). A subject is one header line
#: (RFC 5322 caps a line at 998); ten concatenated SMS segments hold 1,530 GSM-7 characters.
MAX_LENGTHS: Mapping[str, int] = {
    "name": 200,
    "subject": 998,
    "body": 200_000,
    "body_short": 1600,
    "action_label": 200,
    "action_url": 2000,
}
#: Most locales one ``*_i18n`` map may hold.
MAX_LOCALES = 100
# Texts that end up in a header or on a button: one line only.
_ONE_LINE = frozenset({"subject", "action_label"})
_DEFAULTS: Mapping[str, Any] = {
    "subject": None,
    "body": None,
    "body_short": None,
    "action_label": None,
    "action_url": None,
    "is_template": False,
    "binding_type": None,  # the host's default_binding_type()
    **{name: {} for name in I18N_FIELDS},
}


# -- validation ---------------------------------------------------------------------------


def default_binding_type(offered: Mapping[str, Any]) -> str:
    """A template's binding type when it names none: ``customer`` when the host offers it,
    else the host's first (a clinic whose only recipients are ``patient`` bindings)."""
    if DEFAULT_BINDING_TYPE in offered or not offered:
        return DEFAULT_BINDING_TYPE
    return next(iter(offered))


def _check_text(problems: Problems, field: str, value: Any, where: str) -> str | None:
    """Type, length and line rules of one text; returns the value to store."""
    if value is None:
        return None
    if not isinstance(value, str):
        problems.add("Must be a string.", where, "invalid_type")
        return None
    if len(value) > MAX_LENGTHS[field]:
        problems.add(f"Must be at most {MAX_LENGTHS[field]} characters.", where, "too_long")
    if "\x00" in value:
        problems.add("Must not contain NUL characters.", where, "invalid_character")
    if field in _ONE_LINE and ("\r" in value or "\n" in value):
        problems.add("Must be a single line (no CR or LF).", where, "line_break")
    return value


def _check_i18n(problems: Problems, attribute: str, value: Any) -> tuple[dict[str, str], dict[str, str]]:
    """Validate a localized map; returns (canonical tag → text, original key → text)."""
    canonical: dict[str, str] = {}
    original: dict[str, str] = {}
    if value is None:
        return canonical, original
    if not isinstance(value, Mapping):
        problems.add("Must be an object keyed by locale tags.", pointer(attribute), "invalid_type")
        return canonical, original
    if len(value) > MAX_LOCALES:
        problems.add(f"At most {MAX_LOCALES} locales.", pointer(attribute), "too_many_locales")
    field = attribute.removesuffix("_i18n")
    for key, text in value.items():
        where = pointer(attribute, str(key))
        try:
            tag = normalize_locale_tag(key)
        except ValueError:
            problems.add(f"{key!r} is not a known locale tag (e.g. 'fr', 'fr-CA').", where, "invalid_locale")
            continue
        if tag in canonical:
            problems.add(f"{key!r} is the same locale as another key ({tag}).", where, "duplicate_locale")
            continue
        if text is None or (isinstance(text, str) and not text.strip()):
            problems.add("A localized text must not be empty; leave the locale out instead.", where, "blank")
            continue
        checked = _check_text(problems, field, text, where)
        if checked is not None:
            canonical[tag] = checked
            original[key] = checked
    return canonical, original


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def validate_template(values: Mapping[str, Any]) -> dict[str, Any]:
    """Check a template's complete set of attributes; return the values to store.

    ``*_i18n`` keys come back in their canonical form (``fr_ca`` → ``fr-CA``) and
    ``name`` stripped. Raises one :class:`~flask_broadcasts.errors.InvalidInputError`
    standing for every problem found.
    """
    problems = Problems()
    data: dict[str, Any] = {}
    for key in values:
        if key not in ATTRIBUTES:
            problems.add(f"Unknown attribute {key!r}.", pointer(str(key)), "unknown_attribute")

    name = values.get("name")
    if _blank(name):
        problems.add("A name is required.", pointer("name"), "required")
    elif not isinstance(name, str):
        problems.add("Must be a string.", pointer("name"), "invalid_type")
    else:
        data["name"] = name.strip()
        if len(data["name"]) > MAX_LENGTHS["name"]:
            problems.add(f"Must be at most {MAX_LENGTHS['name']} characters.", pointer("name"), "too_long")

    channels = values.get("channels")
    valid_channels: list[str] = []
    if channels is None or channels == []:
        problems.add("At least one channel is required: 'mail', 'sms' or both.", pointer("channels"), "required")
    elif not isinstance(channels, list | tuple) or not all(isinstance(c, str) for c in channels):
        problems.add("Must be a list of channel names.", pointer("channels"), "invalid_type")
    else:
        unknown = [c for c in channels if c not in CHANNELS]
        if unknown:
            problems.add(
                f"Unknown channel(s) {', '.join(map(repr, unknown))}; use 'mail' and/or 'sms'.",
                pointer("channels"),
                "invalid_channel",
            )
        elif len(set(channels)) != len(channels):
            problems.add("A channel is listed twice.", pointer("channels"), "duplicate_channel")
        else:
            valid_channels = list(channels)
    data["channels"] = valid_channels

    is_template = values.get("is_template")
    if is_template is None:
        is_template = False
    if not isinstance(is_template, bool):
        problems.add("Must be true or false.", pointer("is_template"), "invalid_type")
    data["is_template"] = is_template is True

    offered = get_state().extension.binding_variables
    binding_type = values.get("binding_type") or default_binding_type(offered)
    allowed: frozenset[str] | None = None
    if not isinstance(binding_type, str) or binding_type not in offered:
        available = ", ".join(sorted(offered)) or "none registered"
        problems.add(
            f"Unknown binding type {binding_type!r}; available: {available}.",
            pointer("binding_type"),
            "invalid_binding_type",
        )
    else:
        allowed = offered[binding_type]
    data["binding_type"] = binding_type

    for field in (*TEXT_FIELDS, "action_url"):
        data[field] = _check_text(problems, field, values.get(field), pointer(field))
    url = data["action_url"]
    if isinstance(url, str) and url and not is_safe_action_url(url):
        problems.add(
            "Must be an http(s) URL with a host (placeholders only after the host).",
            pointer("action_url"),
            "invalid_url",
        )

    originals: dict[str, dict[str, str]] = {}
    for attribute in I18N_FIELDS:
        data[attribute], originals[attribute] = _check_i18n(problems, attribute, values.get(attribute))

    required = {"mail": ("subject", "body"), "sms": ("body_short",)}
    for channel in valid_channels:
        for field in required[channel]:
            if _blank(data[field]):
                problems.add(f"Required when {channel!r} is a channel.", pointer(field), "required")

    if allowed is not None:
        texts: dict[str, Any] = {field: data[field] or "" for field in (*TEXT_FIELDS, "action_url")}
        i18n: dict[str, Any] = originals  # the client's own keys, so pointers name what they sent
        content = TemplateContent(**texts, **i18n)
        unknown_by_text: dict[tuple[str, str | None], list[str]] = {}
        for problem in validate_placeholders(content, allowed):
            unknown_by_text.setdefault((problem.field, problem.locale), []).append(problem.name)
        available = ", ".join(sorted(allowed)) or "none"
        for (attribute, locale), names in unknown_by_text.items():
            listed = ", ".join(f"{{{name}}}" for name in names)
            where = pointer(attribute, locale) if locale is not None else pointer(attribute)
            problems.add(
                f"Unknown variable(s) {listed} for binding type {binding_type!r}; available: {available}.",
                where,
                "unknown_variable",
            )

    problems.raise_if_any()
    return data


# -- persistence --------------------------------------------------------------------------


def create_template(organization_id: str, values: Mapping[str, Any]) -> BroadcastTemplate:
    """Validate ``values`` (the attributes) and store a new template of the organization."""
    data = validate_template({**_DEFAULTS, **values})
    template = BroadcastTemplate(organization_id=str(organization_id), **data)
    session = get_state().session
    session.add(template)
    session.commit()
    return template


def get_template(organization_id: str, template_id: Any) -> BroadcastTemplate:
    """The template ``template_id`` of the organization, else :class:`NotFoundError`."""
    return get_scoped(BroadcastTemplate, organization_id, template_id, "broadcast template")


def list_templates(
    organization_id: str,
    *,
    search: str | None = None,
    binding_type: str | None = None,
    is_template: bool | None = None,
) -> Select:
    """The ``Select`` of the organization's templates, filtered; the caller sorts and pages.

    :param search: case-insensitive substring of the name.
    """
    stmt = select(BroadcastTemplate).where(BroadcastTemplate.organization_id == str(organization_id))
    if search and search.strip():
        stmt = stmt.where(contains(BroadcastTemplate.name, search.strip()))
    if binding_type is not None:
        stmt = stmt.where(BroadcastTemplate.binding_type == binding_type)
    if is_template is not None:
        stmt = stmt.where(BroadcastTemplate.is_template.is_(is_template))
    return stmt


def update_template(organization_id: str, template_id: Any, changes: Mapping[str, Any]) -> BroadcastTemplate:
    """Apply a partial update; the resulting template is validated as a whole
    (adding ``sms`` to ``channels`` requires a ``body_short`` that exists or is sent)."""
    template = get_template(organization_id, template_id)
    current = {name: getattr(template, name) for name in ATTRIBUTES}
    data = validate_template({**current, **changes})
    for name, value in data.items():
        setattr(template, name, value)
    get_state().session.commit()
    return template


def delete_template(organization_id: str, template_id: Any) -> None:
    """Delete a template and its attachments; 409 while a campaign uses it."""
    template = get_template(organization_id, template_id)
    session = get_state().session
    used = session.scalar(select(func.count()).where(BroadcastCampaign.template_id == template.id))
    if used:
        raise ConflictError(
            f"The template is used by {used} campaign(s); delete or change them first.", code="template_in_use"
        )
    keys = [file.storage_key for file in template.files]
    session.delete(template)
    session.commit()
    forget_stored_files(keys)


def template_content(template: BroadcastTemplate) -> TemplateContent:
    """What rendering needs of a stored template (for previews and sending)."""
    return TemplateContent(
        subject=template.subject or "",
        body=template.body or "",
        body_short=template.body_short or "",
        action_label=template.action_label or "",
        action_url=template.action_url or "",
        channels=tuple(template.channels or ()),
        subject_i18n=dict(template.subject_i18n or {}),
        body_i18n=dict(template.body_i18n or {}),
        body_short_i18n=dict(template.body_short_i18n or {}),
        action_label_i18n=dict(template.action_label_i18n or {}),
    )
