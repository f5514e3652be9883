"""Sphinx configuration of the flask-broadcasts documentation."""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from typing import Any

sys.path.insert(0, os.path.abspath(".."))

project = "flask-broadcasts"
author = "flask-broadcasts developers"
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    # Renders the generated OpenAPI document (openapi.rst) as httpdomain entries.
    "sphinxcontrib.openapi",
]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
intersphinx_mapping = {}
html_theme = "alabaster"
exclude_patterns = ["_build"]
# Every cross-reference must resolve (-W makes a broken one fail the build). Other
# projects' objects are not linked (intersphinx would fetch inventories at build time), so
# references to them are let through by name.
nitpicky = True
nitpick_ignore_regex = [
    (
        r"py:.*",
        r"(collections|datetime|enum|threading|typing|sqlalchemy|flask|werkzeug|redis|rq|marshmallow|"
        r"apispec|flask_smorest|flask_sock|flask_mail|twilio|blinker|ipaddress|http|ssl)(\..*)?",
    ),
    (r"py:.*", r"(Flask|SQLAlchemy|Redis|Session|Client|Select|Mapping|Callable)"),
    # Type variables and private helper types in signatures, and names re-exported by
    # a module whose documented home is another one.
    (r"py:class", r"flask_broadcasts\.(extension\.F|errors\._E|rendering\.engine\._LocalizedText)"),
    (r"py:class", r"flask_broadcasts\.scheduling\.(service\.RecoveryReport|timers\.FireTimers)"),
]
# sphinxcontrib-openapi's newer renderer: request and response bodies of any JSON media type
# (ours is application/vnd.api+json) field by field; the default one only reads application/json.
openapi_default_renderer = "httpdomain"
# sphinxcontrib-httpdomain: an OpenAPI ``default`` response is listed as such, not refused
# for not being a numeric status code.
http_strict_mode = False

GENERATED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_generated")
#: The OpenAPI document openapi.rst renders, written at every build by :func:`write_openapi_document`.
OPENAPI_DOCUMENT = os.path.join(GENERATED, "openapi.json")


#: configuration.rst holds the settings table, committed so that the page reads whole without a build.
SETTINGS_BEGIN = (
    ".. BEGIN settings table: generated from flask_broadcasts.config.SETTINGS by "
    '"python docs/conf.py"; do not edit by hand.'
)
SETTINGS_END = ".. END settings table"


def settings_table() -> str:
    """Every BROADCASTS_* setting from flask_broadcasts.config.SETTINGS (one source of truth), as reST."""
    from flask_broadcasts.config import SETTINGS

    lines = [
        ".. list-table::",
        "   :header-rows: 1",
        "   :widths: 30 20 50",
        "",
        "   * - Key",
        "     - Default",
        "     - Meaning",
    ]
    for setting in SETTINGS:
        lines += [f"   * - ``{setting.key}``", f"     - ``{setting.default!r}``", f"     - {setting.doc}"]
    return "\n".join(lines) + "\n"


def with_settings_table(page: str) -> str:
    """``page`` (configuration.rst's text) with the table between its markers regenerated."""
    begin, end = page.index(SETTINGS_BEGIN), page.index(SETTINGS_END)
    return f"{page[:begin]}{SETTINGS_BEGIN}\n\n{settings_table()}\n{page[end:]}"


#: Pages whose code samples are copies of files (as ``literalinclude`` would show them, but
#: committed: a forge shows ``.rst`` files without running Sphinx). Each copy is a comment
#: naming the file and ``literalinclude``'s options, then the ``code-block`` holding it.
INLINE_COPY_PAGES = ("integration.rst", "channels.rst", "migrations.rst")
INLINE_COPY = re.compile(
    r"^\.\.\n   Copied from (?P<path>\S+) by \"python docs/conf\.py\":\n"
    r"(?P<options>(?:   :[\w-]+:.*\n)*)\n"
    r"\.\. code-block:: (?P<language>\S+)\n\n(?:    .*\n|\n)*",
    re.M,
)


def copied_code(path: str, options: dict[str, str]) -> str:
    """The text ``literalinclude:: path`` (relative to the docs folder) shows with ``options``."""
    from types import SimpleNamespace

    from sphinx.directives.code import LiteralIncludeReader

    parsed: dict[str, Any] = {key: int(value) if key == "dedent" else value for key, value in options.items()}
    docs = os.path.dirname(os.path.abspath(__file__))
    text, _ = LiteralIncludeReader(os.path.join(docs, path), parsed, SimpleNamespace(source_encoding="utf-8")).read()
    return text


def with_inline_copies(page: str) -> str:
    """``page`` with every inline copy refreshed from its file."""

    def refresh(match: re.Match[str]) -> str:
        options = dict(re.findall(r"^   :([\w-]+): ?(.*)$", match.group("options"), re.M))
        code = "".join(
            f"    {line}" if line.strip() else "\n" for line in copied_code(match["path"], options).splitlines(True)
        )
        head = match.group(0)[: match.group(0).index(".. code-block::")]
        return f"{head}.. code-block:: {match['language']}\n\n{code.rstrip()}\n\n"

    return INLINE_COPY.sub(refresh, page)


def update_page(name: str, rewrite: Any) -> bool:
    """Apply ``rewrite`` to the text of ``docs/<name>``; whether it changed."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
    with open(path, encoding="utf-8") as handle:
        page = handle.read()
    updated = rewrite(page)
    if updated != page:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(updated)
    return updated != page


def write_openapi_document(path: str = OPENAPI_DOCUMENT) -> dict[str, Any]:
    """Write the OpenAPI document the example app serves to ``path`` and return it.

    The app is built on a throw-away SQLite database; Redis is named but never contacted
    (the extension connects on first use, and serving the document does not use it).
    """
    from example_app import create_app
    from example_app.extensions import db

    with tempfile.TemporaryDirectory(prefix="broadcasts-docs-") as directory:
        app = create_app(
            {
                "SECRET_KEY": "docs",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{os.path.join(directory, 'docs.db')}",
                "REDIS_URL": "redis://127.0.0.1:6379/0",
            }
        )
        url = f"{app.config['BROADCASTS_OPENAPI_URL_PREFIX'].rstrip('/')}/{app.config['BROADCASTS_OPENAPI_JSON_PATH']}"
        response = app.test_client().get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status}")
        document = response.get_json()
        with app.app_context():
            db.engine.dispose()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
        handle.write("\n")
    return document


def dangling_refs(document: Any) -> list[tuple[str, str]]:
    """``(JSON pointer, $ref)`` of every local ``$ref`` of ``document`` that points at nothing."""
    return _dangling_refs(document, document, "")


def _dangling_refs(document: Any, node: Any, where: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            target = document
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, dict) or part not in target:
                    found.append((f"#{where}", ref))
                    break
                target = target[part]
        for key, value in node.items():
            found += _dangling_refs(document, value, f"{where}/{key.replace('~', '~0').replace('/', '~1')}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _dangling_refs(document, value, f"{where}/{index}")
    return found


def _on_builder_inited(app: Any) -> None:
    dangling = dangling_refs(write_openapi_document())
    if dangling:  # sphinxcontrib-openapi would stop on the first one with a bare traceback
        raise RuntimeError(
            "The example app's OpenAPI document refers to components it does not define: "
            + "; ".join(f"{ref} (at {where})" for where, ref in dangling)
        )


def setup(app: Any) -> dict[str, Any]:
    # At build time, not at import: tests import this file to call write_openapi_document.
    app.connect("builder-inited", _on_builder_inited)
    return {"parallel_read_safe": True}


if __name__ == "__main__":  # python docs/conf.py: after a change to the settings or to a copied file
    for name, rewrite in [("configuration.rst", with_settings_table)] + [
        (name, with_inline_copies) for name in INLINE_COPY_PAGES
    ]:
        print(f"docs/{name}:", "updated" if update_page(name, rewrite) else "up to date")
