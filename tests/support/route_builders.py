"""The URL builders werkzeug generates for a route, generated once per route for the whole session.

Werkzeug turns every rule into two builder functions by building a Python AST and
compiling it (``Rule._compile_builder``), again for every app: about 0.5 ms per route. The
suite builds some 750 apps of the same 44 routes, which made ``make_app`` 40 % of an
integration test's time. The generated code depends only on the rule's parsed parts, the
defaults it resolves into constants and ``append_unknown``; the rule itself is passed in
as an argument when the builder runs. So a builder made for one app's rule is the one
werkzeug would make for the same rule of the next app, and the cache hands it back.

Installed by the root ``conftest.py`` for the test session only: a product's app, and the
suite's worker and web processes, build their routes the usual way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing.rules import Rule

_original: Callable[..., Any] | None = None
_builders: dict[tuple[Any, ...], Callable[..., Any]] = {}


def _key(rule: Rule, append_unknown: bool) -> tuple[Any, ...]:
    defaults = rule.defaults or {}
    # A default for a variable of the rule is built into the code through its converter.
    resolved = tuple(
        sorted(
            (name, rule._converters[name].to_url(value)) for name, value in defaults.items() if name in rule._converters
        )
    )
    return (rule.rule, tuple(rule._trace), tuple(sorted(map(str, defaults))), resolved, append_unknown)


def _cached_builder(rule: Rule, append_unknown: bool = True) -> Callable[..., Any]:
    assert _original is not None
    key = _key(rule, append_unknown)
    builder = _builders.get(key)
    if builder is None:
        builder = _builders[key] = _original(rule, append_unknown)
    return builder


def install() -> None:
    """Reuse each generated builder for the rest of the session (idempotent)."""
    global _original
    if _original is None:
        _original = Rule._compile_builder
        Rule._compile_builder = _cached_builder  # type: ignore[method-assign]
