"""``{name}`` placeholders in template text.

Template text is user input, so it is never given to :meth:`str.format` or to a
template engine: both can reach attributes (``{0.__class__}``) or run
expressions (``{{7*7}}``). Instead one precompiled regular expression finds
``{name}`` where *name* matches ``[A-Za-z_][A-Za-z0-9_]*`` and nothing else.
Everything the expression does not match is literal text and comes out
unchanged, which makes these inert:

- ``{0.__class__}``, ``{first_name.__init__}``,
  ``{first_name.__init__.__globals__}`` (a dot or a leading digit is not a
  name, so the braces are not a placeholder);
- ``{{7*7}}``, ``${7*7}``, ``<%= 7*7 %>`` (no name between braces).

There is no escape syntax for a literal brace. ``{{first_name}}`` therefore
renders as ``{`` + the value of ``first_name`` + ``}``: the inner
``{first_name}`` is a placeholder and the outer braces are literal text.

A name is looked up only as a key of the bindings mapping (no attribute or
item access); a name without a binding renders as the empty string, so one
recipient with a missing value does not stop a campaign. Templates are checked
for unknown names when they are saved (see
:func:`flask_broadcasts.rendering.validation.validate_placeholders`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

__all__ = [
    "EXTENSION_VARIABLES",
    "PLACEHOLDER_PATTERN",
    "UNSUBSCRIBE_URL",
    "CompiledText",
    "coerce_value",
    "find_placeholders",
]

#: The placeholder of a message's one-click unsubscribe link. Its value needs the stored
#: message's id, so rendering leaves the placeholder itself in the text and the mail channel
#: fills it in when it builds the e-mail.
UNSUBSCRIBE_URL = "unsubscribe_url"
#: Placeholders the extension offers in templates of every binding type.
EXTENSION_VARIABLES: frozenset[str] = frozenset({UNSUBSCRIBE_URL})

#: The one expression that recognises a placeholder. The capturing group makes
#: :meth:`re.Pattern.split` return literals and names alternately.
PLACEHOLDER_PATTERN: re.Pattern[str] = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def find_placeholders(text: str) -> set[str]:
    """Return the set of placeholder names used in *text*.

    :param text: template text.
    :return: the names, without braces; empty if there are none.
    """
    return set(PLACEHOLDER_PATTERN.findall(text))


def coerce_value(value: object) -> str:
    """Turn a binding value into text: ``None`` becomes ``""``, anything else
    goes through :class:`str`.

    :param value: the value a host bound to a name.
    """
    return "" if value is None else str(value)


def _identity(value: str) -> str:
    return value


@dataclass(frozen=True)
class CompiledText:
    """Template text split once into literal text and placeholder names.

    ``literals`` has exactly one more item than ``names``; the rendered text
    is ``literals[0] + value(names[0]) + literals[1] + ...``. Rendering a
    recipient is therefore a join over stored pieces, never a new parse.

    Build it with :meth:`compile`.
    """

    #: The text it was compiled from.
    source: str
    #: Literal pieces, in order, ``len(names) + 1`` of them (some may be empty).
    literals: tuple[str, ...]
    #: Placeholder names in order of appearance (a name may repeat).
    names: tuple[str, ...]

    @classmethod
    def compile(cls, text: str) -> CompiledText:
        """Split *text* into literals and placeholder names.

        :param text: template text.
        """
        parts = PLACEHOLDER_PATTERN.split(text)
        # split() with one group alternates literal, name, literal, ..., literal.
        return cls(source=text, literals=tuple(parts[0::2]), names=tuple(parts[1::2]))

    @property
    def placeholders(self) -> frozenset[str]:
        """The distinct placeholder names of this text."""
        return frozenset(self.names)

    @property
    def is_static(self) -> bool:
        """``True`` when the text has no placeholder at all."""
        return not self.names

    def render(
        self,
        bindings: Mapping[str, object],
        transform: Callable[[str], str] = _identity,
    ) -> str:
        """Substitute the placeholders from *bindings*.

        :param bindings: values by placeholder name. Only exact keys are used;
            a missing key renders as ``""``. Values are coerced with
            ``coerce_value``.
        :param transform: applied to every substituted value (never to the
            literal text), e.g. HTML escaping for a mail body.
        :return: the rendered text.
        """
        if not self.names:
            return self.literals[0]
        literals = self.literals
        out = [literals[0]]
        for index, name in enumerate(self.names):
            out.append(transform(coerce_value(bindings.get(name))))
            out.append(literals[index + 1])
        return "".join(out)
