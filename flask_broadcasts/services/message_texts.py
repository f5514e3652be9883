"""A run's content stored once; each message's texts rendered from it and the message's bindings.

A newsletter's body is the same for every recipient but for a few values, so a run
stores the template's content once (``broadcast_run_contents``) and each message only
the values it was rendered with (``broadcast_messages.bindings``, the placeholders the
template uses, empty ones left out). Its texts are rendered again wherever they are
read — the API, the sending worker, the recovery sweep — with the same compiled
template and the same rules (:meth:`~flask_broadcasts.rendering.CompiledTemplate.texts`),
so they are exactly what the run rendered when it stored the message. A message's stored
size no longer grows with the body: that is the point.

Messages stored before revision ``broadcasts_0010`` (and previews) have no bindings and
keep their stored texts; every reader goes through :func:`texts_of`, which answers
either.

The compiled content of the last runs read is kept per process, keyed by the content
row's id and creation time: the row is never changed, so the cache cannot go stale.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ..models import BroadcastMessage, BroadcastRunContent, utcnow
from ..rendering import CompiledTemplate, CompiledText, TemplateContent
from ..rendering.engine import MessageTexts
from ..rendering.placeholders import UNSUBSCRIBE_URL, coerce_value
from ..rendering.plain_text import PlainTextAlternative
from ._common import dialect_insert

__all__ = [
    "TEXT_COLUMNS",
    "PendingPlainText",
    "RunContent",
    "RunContents",
    "fill_texts",
    "run_content",
    "store_run_content",
    "texts_of",
    "with_texts",
]

#: The message columns a compact message leaves empty: its texts.
TEXT_COLUMNS = ("subject", "body", "body_short", "action_label", "action_url")
_UNSUBSCRIBE_PLACEHOLDER = "{" + UNSUBSCRIBE_URL + "}"
# Rendering leaves the unsubscribe placeholder in the texts: the link needs the stored
# message's id, and the mail channel fills it in (engine.recipients.recipient_data).
_LINK_LEFT_IN = {UNSUBSCRIBE_URL: _UNSUBSCRIBE_PLACEHOLDER}


@dataclass(frozen=True)
class PendingPlainText:
    """A message's text alternative, converted ahead, waiting only for the unsubscribe link."""

    alternative: PlainTextAlternative
    bindings: Mapping[str, str]

    def render(self, unsubscribe_url: str | None) -> str | None:
        """The text alternative with ``unsubscribe_url`` in place (``None``: the link stays a
        placeholder, as in the HTML body), or ``None`` when it must be converted in full."""
        if any(_UNSUBSCRIBE_PLACEHOLDER in value for value in self.bindings.values()):
            return None  # the mail channel replaces the placeholder inside values too
        return self.alternative.render({**self.bindings, UNSUBSCRIBE_URL: unsubscribe_url or _UNSUBSCRIBE_PLACEHOLDER})


@dataclass
class RunContent:
    """A run's compiled content, with each body variant's text alternative converted once."""

    compiled: CompiledTemplate
    #: The placeholders any of its texts uses (what a message's bindings keep).
    names: frozenset[str]
    _alternatives: dict[CompiledText, PlainTextAlternative | None] = field(default_factory=dict)

    @classmethod
    def of(cls, content: TemplateContent) -> RunContent:
        compiled = CompiledTemplate.compile(content)
        return cls(compiled=compiled, names=_placeholders(compiled) - {UNSUBSCRIBE_URL})

    def bindings(self, values: Mapping[str, object]) -> dict[str, str]:
        """What a message stores of a recipient's bindings: the values its texts use, as text
        (an empty one is left out: a missing binding renders as the empty string)."""
        kept = {name: coerce_value(values.get(name)) for name in self.names}
        return {name: value for name, value in sorted(kept.items()) if value}

    def texts(self, bindings: Mapping[str, str], locale: str | None) -> MessageTexts:
        """The texts of a message stored with ``bindings`` for a recipient in ``locale``."""
        return self.compiled.texts({**bindings, **_LINK_LEFT_IN}, locale)

    def plain_text(self, texts: MessageTexts, bindings: Mapping[str, str]) -> PendingPlainText | None:
        """The text alternative of ``texts``' body, converted once per variant (``None``: it cannot be)."""
        source = texts.body_source
        if source not in self._alternatives:
            self._alternatives[source] = PlainTextAlternative.compile(source)
        alternative = self._alternatives[source]
        return PendingPlainText(alternative, bindings) if alternative is not None else None


def _placeholders(compiled: CompiledTemplate) -> frozenset[str]:
    names: set[str] = set(compiled.action_url.names)
    for localized in (compiled.subject, compiled.body, compiled.body_short, compiled.action_label):
        for text in (localized.default, *localized.variants.values()):
            names.update(text.names)
    return frozenset(names)


def _snapshot(content: TemplateContent) -> dict[str, Any]:
    # Field by field, not dataclasses.asdict: that deep-copies, and the unset translations
    # are one shared read-only mapping, which cannot be copied (a host's own TemplateContent
    # with a default failed with "cannot pickle 'mappingproxy' object").
    data = {f.name: getattr(content, f.name) for f in dataclasses.fields(content)}
    for name, value in data.items():
        if isinstance(value, Mapping):
            data[name] = dict(value)
    data["channels"] = list(content.channels)
    return data


def _restore(data: Mapping[str, Any]) -> TemplateContent:
    known = {f.name for f in dataclasses.fields(TemplateContent)}
    values = {key: value for key, value in data.items() if key in known}
    values["channels"] = tuple(values.get("channels") or ())
    return TemplateContent(**values)


_CACHE_SIZE = 16
_cache: OrderedDict[tuple[int, Any], RunContent] = OrderedDict()
_cache_lock = threading.Lock()  # the lanes of a send job are threads


def _cached(content_id: tuple[int, Any], load: Any) -> RunContent:
    with _cache_lock:
        found = _cache.get(content_id)
        if found is not None:
            _cache.move_to_end(content_id)
            return found
    made = RunContent.of(_restore(load()))
    with _cache_lock:
        _cache[content_id] = made
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return made


def store_run_content(
    session: Session, organization_id: str, campaign_id: int, run_key: str, content: TemplateContent
) -> RunContent:
    """The run's stored content: ``content`` when the run has none yet, else what it stored first.

    A materialization taken over from a dead worker gets the first one's content, so every
    message of a run renders from the same texts. Commits.
    """
    row_id = session.scalar(
        sa.select(BroadcastRunContent.id).where(
            BroadcastRunContent.campaign_id == campaign_id, BroadcastRunContent.run_key == run_key
        )
    )
    if row_id is None:
        session.execute(
            dialect_insert(session)(BroadcastRunContent.__table__)
            .values(
                organization_id=organization_id,
                campaign_id=campaign_id,
                run_key=run_key,
                content=_snapshot(content),
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["campaign_id", "run_key"])
        )
        session.commit()
    found = run_content(session, campaign_id, run_key)
    assert found is not None  # stored just now, or by the worker that won the race
    return found


def run_content(session: Session, campaign_id: int, run_key: str) -> RunContent | None:
    """The stored content of a run (``None``: the run was stored with full texts)."""
    found = session.execute(
        sa.select(BroadcastRunContent.id, BroadcastRunContent.created_at).where(
            BroadcastRunContent.campaign_id == campaign_id, BroadcastRunContent.run_key == run_key
        )
    ).first()
    if found is None:
        return None
    row_id = found.id

    def load() -> Mapping[str, Any]:
        return session.scalar(sa.select(BroadcastRunContent.content).where(BroadcastRunContent.id == row_id)) or {}

    # With its creation time: SQLite may give a deleted campaign's ids to new rows.
    return _cached((row_id, found.created_at), load)


def texts_of(content: RunContent | None, message: Any) -> dict[str, str | None]:
    """A message's five texts: rendered from its run's content and its bindings, or as stored."""
    if message.bindings is None or content is None:
        return {name: getattr(message, name) for name in TEXT_COLUMNS}
    texts = content.texts(message.bindings, message.locale)
    return {name: getattr(texts, name) for name in TEXT_COLUMNS}


def with_texts(session: Session, campaign_id: int, run_key: str, rows: Sequence[Any]) -> list[Any]:
    """Claimed rows of one run with their texts, and for e-mail a text alternative converted ahead
    (``plain_text``, see :class:`PendingPlainText`). Rows stored with full texts come back as they are.

    Leaves the session's transaction open: the caller ends it (the rows are plain values).
    """
    if not any(row.bindings is not None for row in rows):
        return list(rows)
    content = run_content(session, campaign_id, run_key)
    if content is None:
        return list(rows)
    out: list[Any] = []
    for row in rows:
        bindings = row.bindings
        if bindings is None:
            out.append(row)
            continue
        texts = content.texts(bindings, row.locale)
        # A copy: the caller's row stays as it was. A claim's rows are plain objects
        # (engine.claims), copied far more cheaply than a result row's mapping.
        item = dict(row._mapping) if isinstance(row, Row) else vars(row).copy()
        item.update({name: getattr(texts, name) for name in TEXT_COLUMNS})
        item["plain_text"] = content.plain_text(texts, bindings)
        out.append(SimpleNamespace(**item))
    return out


class RunContents:
    """The contents of the runs of many messages, each read once (for a caller with messages of any run)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._found: dict[tuple[int, str], RunContent | None] = {}

    def content_of(self, message: Any) -> RunContent | None:
        """The content ``message`` is rendered from (``None``: it was stored with its texts)."""
        if message.bindings is None:
            return None
        key = (message.campaign_id, message.run_key)
        if key not in self._found:
            self._found[key] = run_content(self.session, *key)
        return self._found[key]

    def text_of(self, message: Any, name: str) -> str | None:
        """One of ``message``'s texts (a name of :data:`TEXT_COLUMNS`): of a message stored
        with its texts, only that column need be loaded."""
        content = self.content_of(message)
        if content is None:
            return cast("str | None", getattr(message, name))
        return cast("str | None", getattr(content.texts(message.bindings, message.locale), name))


def fill_texts(session: Session, messages: Iterable[BroadcastMessage]) -> None:
    """Give loaded compact messages their texts (as loaded values: nothing is written back)."""
    contents = RunContents(session)
    for message in messages:
        if message.bindings is None:
            continue
        for name, value in texts_of(contents.content_of(message), message).items():
            set_committed_value(message, name, value)
