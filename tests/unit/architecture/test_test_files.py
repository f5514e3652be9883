"""The suite mirrors the code: every module of the package with behaviour of its own has a
test file named after it (``test_<module>.py``, in the folder of the kind of test it needs)
that imports it or names it (``flask_broadcasts.api.messages`` or
``flask_broadcasts/api/messages.py``: an HTTP module is tested through its routes, a
migration revision through Alembic).

So a reader of ``engine/retry.py`` finds its tests without a search, and a new module
without one fails here rather than in review. The modules with no behaviour of their own
are listed below, each with why.
"""

from __future__ import annotations

import ast
from pathlib import Path

import flask_broadcasts

PACKAGE = Path(flask_broadcasts.__file__).resolve().parent
TESTS = Path(__file__).resolve().parents[2]

#: module (dotted, without ``flask_broadcasts.``) -> why it has no test file of its own.
#: Besides these, the deprecated aliases of 0.1's paths (a docstring starting "Deprecated
#: alias"): tests/unit/architecture/test_deprecated_aliases.py checks each of them.
NO_BEHAVIOUR_OF_THEIR_OWN = {
    "webhooks.queue": "a Protocol only",
    "engine.dispatch": "a Protocol only",
    "engine.tables": "the engine's names for the tables (declarations)",
    "models.consent": "table declarations (their rules: tests of services.suppressions and services.consent)",
    "models.webhooks": "table declarations (their rules: tests of webhooks.service and webhooks.delivery)",
}


def _modules() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).with_suffix("")
        if relative.name == "__init__" or path.read_text(encoding="utf-8").startswith('"""Deprecated alias'):
            continue
        found.append(".".join(relative.parts))
    return found


def _tests_module(test_file: Path, module: str) -> bool:
    """Whether ``test_file`` imports or names ``flask_broadcasts.<module>``."""
    text = test_file.read_text(encoding="utf-8")
    dotted = f"flask_broadcasts.{module}"
    return dotted in _imports_of(text) or dotted in text or f"flask_broadcasts/{module.replace('.', '/')}.py" in text


def _imports_of(source: str) -> set[str]:
    """The package modules a test file imports (``from flask_broadcasts.x import y`` counts x and x.y)."""
    tree = ast.parse(source)
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("flask_broadcasts"):
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names if alias.name.startswith("flask_broadcasts"))
    return names


def test_every_module_with_behaviour_has_a_test_file_named_after_it_that_imports_it() -> None:
    test_files: dict[str, list[Path]] = {}
    for path in TESTS.rglob("test_*.py"):
        test_files.setdefault(path.stem.removeprefix("test_"), []).append(path)

    missing = []
    for module in _modules():
        if module in NO_BEHAVIOUR_OF_THEIR_OWN:
            continue
        candidates = test_files.get(module.rsplit(".", 1)[-1], [])
        if not any(_tests_module(path, module) for path in candidates):
            missing.append(module)
    assert not missing, f"no test_<module>.py importing: {missing}"


def test_the_modules_listed_without_behaviour_exist() -> None:
    """A module removed or given behaviour leaves the list, so it cannot hide a new one."""
    modules = set(_modules())
    assert set(NO_BEHAVIOUR_OF_THEIR_OWN) <= modules
