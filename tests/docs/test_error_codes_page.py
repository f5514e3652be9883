"""Every error ``code`` the package can put in an error document is on ``docs/api.rst``'s
"Error codes" table, and the table lists no code the package never emits.

The codes are read from the source with ``ast``: string constants given as ``code=`` to any
call (the exceptions, ``error_object``), given positionally where a function's parameter is
named ``code`` (the validation collectors' ``add(detail, pointer, code)``), and module-level
constants passed either way (``ILLEGAL_TRANSITION``).
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import flask_broadcasts
from tests.support.docs import DOCS

PACKAGE = Path(flask_broadcasts.__file__).resolve().parent
TABLE_ROW = re.compile(r"^   \* - ``([a-z_]+)``$", re.M)


Names = dict[str, list[ast.expr]]


def _strings(node: ast.expr, names: Names, depth: int = 0) -> set[str]:
    """The string values an argument can take: constants, ``a if x else b``, ``a or "b"``, and
    names assigned one of those (module constants, the function's own variables)."""
    if depth > 5:
        return set()
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _strings(node.body, names, depth + 1) | _strings(node.orelse, names, depth + 1)
    if isinstance(node, ast.BoolOp):
        return set().union(*(_strings(value, names, depth + 1) for value in node.values))
    if isinstance(node, ast.Name):
        return set().union(set(), *(_strings(value, names, depth + 1) for value in names.get(node.id, ())))
    return set()


def _assigned(nodes: list[ast.AST]) -> Names:
    names: Names = {}
    for node in nodes:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    names.setdefault(target.id, []).append(node.value)
    return names


@functools.cache  # both tests read the same source: walk it once (seconds on a loaded machine)
def emitted_codes(package: Path = PACKAGE) -> dict[str, set[str]]:
    """``{code: {"module.py:line", ...}}`` of every error code in the package's source (read only)."""
    trees = {path: ast.parse(path.read_text(), str(path)) for path in package.rglob("*.py")}
    constants: Names = {}
    positions: dict[str, int] = {}  # function name -> index of its positional ``code`` argument
    for tree in trees.values():
        constants.update(_assigned(tree.body))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names = [arg.arg for arg in node.args.posonlyargs + node.args.args]
                if "code" in names:
                    offset = 1 if names[:1] in (["self"], ["cls"]) else 0
                    positions[node.name] = names.index("code") - offset
    found: dict[str, set[str]] = {}
    for path, tree in trees.items():
        scopes = [tree] + [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
        for scope in scopes:
            names = {**constants, **(_assigned(list(ast.walk(scope))) if scope is not tree else {})}
            body = scope.body if scope is tree else [scope]
            for node in (inner for top in body for inner in ast.walk(top)):
                if not isinstance(node, ast.Call):
                    continue
                arguments = [keyword.value for keyword in node.keywords if keyword.arg == "code"]
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
                index = positions.get(name or "")
                if index is not None and len(node.args) > index:
                    arguments.append(node.args[index])
                for argument in arguments:
                    for code in _strings(argument, names):
                        found.setdefault(code, set()).add(f"{path.relative_to(package)}:{node.lineno}")
    return found


def documented_codes() -> list[str]:
    page = (DOCS / "api.rst").read_text()
    start = page.index("\nError codes\n~~~~~~~~~~~")
    end = page.index("\nCaptured from the quickstart's run", start)
    return TABLE_ROW.findall(page[start:end])


def test_every_emitted_code_is_on_the_api_page() -> None:
    emitted, documented = emitted_codes(), documented_codes()
    missing = {code: sorted(where) for code, where in emitted.items() if code not in documented}
    assert not missing, f"codes the API can answer that docs/api.rst does not list: {missing}"
    assert sorted(set(documented) - set(emitted)) == [], "codes the page lists that nothing emits"
    assert len(documented) == len(set(documented)), "a code listed twice"


def test_the_reader_finds_each_kind_of_code() -> None:
    # A guard on the collector: one code of each way of passing it.
    emitted = emitted_codes()
    assert "not_found" in emitted  # NotFoundError(..., code="not_found")
    assert "binding_type_mismatch" in emitted  # problems.add(detail, pointer, "binding_type_mismatch")
    assert "illegal_transition" in emitted  # ConflictError(..., code=ILLEGAL_TRANSITION)
    assert {"unknown_filter", "invalid_filter"} <= set(emitted)  # code = "a" if ... else "b"; add(..., code)
    assert len(emitted) > 30
