"""The package's import graph has no cycle: dependencies point one way.

Every ``import`` counts, the ones inside functions too (that is where most of them ran
when the extension object was both the bottom and the top of the package); only those
under ``if TYPE_CHECKING:`` are left out, since they never run. ``from pkg import mod``
is an edge to ``pkg.mod``, not to ``pkg``. import-linter (``make lint``) checks the
layers; this test checks what import-linter does not: any cycle at all, between any
two modules.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import flask_broadcasts

PACKAGE = Path(flask_broadcasts.__file__).parent


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                yield from _imports(child)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        yield from _imports(node)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def import_graph() -> dict[str, set[str]]:
    known = modules()
    graph: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        is_package = path.name == "__init__.py"
        for node in _imports(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[: len(base) - node.level + 1]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                submodules = [f"{source}.{alias.name}" for alias in node.names if f"{source}.{alias.name}" in known]
                targets = submodules if len(submodules) == len(node.names) else [source, *submodules]
            graph[name].update(t for t in targets if t in known and t != name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_package_has_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


def test_the_check_finds_a_cycle_where_there_is_one() -> None:
    graph = import_graph()
    graph["flask_broadcasts.state"].add("flask_broadcasts.extension")  # the old shape: the state imports the top
    found = cycles(graph)
    assert any({"flask_broadcasts.extension", "flask_broadcasts.state"} <= set(cycle) for cycle in found)


def test_imports_inside_functions_count_and_type_checking_ones_do_not() -> None:
    graph = import_graph()
    # extension.py imports the blueprints inside init_app ...
    assert "flask_broadcasts.blueprints" in graph["flask_broadcasts.extension"]
    # ... and state.py names the extension only under TYPE_CHECKING.
    assert "flask_broadcasts.extension" not in graph["flask_broadcasts.state"]
