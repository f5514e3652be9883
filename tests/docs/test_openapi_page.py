"""The OpenAPI page (``docs/openapi.rst``) renders the document the example app serves.

``docs/conf.py`` writes that document at each build (``write_openapi_document``); here it
is written to a temporary file and compared with what the running app answers, then put
through the page's renderer (sphinxcontrib-openapi) without a Sphinx build: every
operation of the app is on the page. The settings of ``configuration.rst``'s "OpenAPI and
its UIs" section are checked on the example app.
"""

from __future__ import annotations

import configparser
import copy
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from flask import Flask
from packaging.requirements import Requirement

from flask_broadcasts.api import resource_blueprints
from tests.support.docs import DOCS
from tests.support.example_host import make_app

PAGE = (DOCS / "openapi.rst").read_text()
DOCUMENT_URL = "/api/broadcasts-docs/openapi.json"
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def directive_argument(name: str) -> str:
    match = re.search(rf"^\.\. {name}:: (\S+)$", PAGE, re.M)
    assert match, f"no {name} directive on openapi.rst"
    return match.group(1)


def rendered(document: dict[str, Any]) -> list[str]:
    """The reStructuredText the page's ``openapi`` directive produces for ``document``."""
    from sphinxcontrib.openapi import renderers

    block = re.search(r"^\.\. openapi:: \S+\n((?:   :[\w-]+:.*\n)*)", PAGE, re.M).group(1)
    options = dict(re.findall(r"^   :([\w-]+):[ ]?(.*)$", block, re.M))
    renderer = renderers.HttpdomainRenderer(None, options)
    return list(renderer.render_restructuredtext_markup(copy.deepcopy(document)))


def test_the_page_renders_the_file_conf_writes(conf: ModuleType) -> None:
    written = Path(conf.OPENAPI_DOCUMENT)
    assert written == DOCS / directive_argument("openapi")
    assert written == DOCS / directive_argument("literalinclude")  # the whole document, after the operations
    assert "sphinxcontrib.openapi" in conf.extensions and conf.openapi_default_renderer == "httpdomain"
    # `make install` (pip install -e ".[dev,docs]") brings the renderer.
    setup = configparser.ConfigParser()
    setup.read(DOCS.parent / "setup.cfg")
    docs_extra = [
        line
        for line in setup["options.extras_require"]["docs"].splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    assert "sphinxcontrib-openapi" in {Requirement(line).name for line in docs_extra}
    assert DOCUMENT_URL in PAGE


def test_the_written_document_is_what_the_app_serves(conf: ModuleType, example_app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "openapi.json"

    returned = conf.write_openapi_document(str(path))

    served = example_app.test_client().get(DOCUMENT_URL)
    assert served.status_code == 200
    assert json.loads(path.read_text()) == returned == served.get_json()


def test_the_document_refers_only_to_components_it_defines(example_app: Flask, conf: ModuleType) -> None:
    # The build stops on a dangling $ref (sphinxcontrib-openapi resolves every one).
    document = example_app.test_client().get(DOCUMENT_URL).get_json()
    assert conf.dangling_refs(document) == []


# sphinxcontrib-openapi still resolves $refs with jsonschema's RefResolver.
@pytest.mark.filterwarnings("ignore:jsonschema.RefResolver is deprecated:DeprecationWarning")
def test_every_operation_of_the_app_is_on_the_page(example_app: Flask) -> None:
    document = example_app.test_client().get(DOCUMENT_URL).get_json()
    lines = set(rendered(document))

    operations = {
        (method, path) for path, item in document["paths"].items() for method in item if method in HTTP_METHODS
    }
    assert operations
    assert {f".. http:{method}:: {path}" for method, path in operations} <= lines
    # ... and every route of the extension's JSON:API blueprints is one of them.
    blueprints = {blueprint.name for blueprint in resource_blueprints()}
    for rule in example_app.url_map.iter_rules():
        if rule.endpoint.split(".", 1)[0] in blueprints:
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert f".. http:{method.lower()}:: {path}" in lines, (method, path)


def test_the_configuration_page_settings(tmp_path: Path) -> None:
    """ "OpenAPI and its UIs": the defaults, a UI page under the prefix, the spec options, ``None``."""
    page = (DOCS / "configuration.rst").read_text()
    section = page.split("OpenAPI and its UIs\n", 1)[1]
    assert "GET /api/broadcasts-docs/openapi.json" in " ".join(section.split())
    assert '``"swagger-ui"`` serves ``/api/broadcasts-docs/swagger-ui``' in " ".join(section.split())
    uri = f"sqlite:///{tmp_path / 'settings.db'}"

    app = make_app(
        uri,
        BROADCASTS_OPENAPI_SWAGGER_UI_PATH="swagger-ui",
        BROADCASTS_OPENAPI_SWAGGER_UI_URL="https://cdn.jsdelivr.net/npm/swagger-ui-dist/",
        BROADCASTS_API_SPEC_OPTIONS={"servers": [{"url": "https://app.example.com"}]},
    )
    client = app.test_client()
    document = client.get(DOCUMENT_URL)
    assert document.status_code == 200  # no Authorization header
    assert document.get_json()["servers"] == [{"url": "https://app.example.com"}]
    assert (document.get_json()["info"], document.get_json()["openapi"]) == (
        {"title": app.config["BROADCASTS_API_TITLE"], "version": app.config["BROADCASTS_API_VERSION"]},
        "3.0.3",
    )
    ui = client.get("/api/broadcasts-docs/swagger-ui")
    assert ui.status_code == 200 and ui.mimetype == "text/html"
    # Off by default; no prefix, no document.
    assert make_app(uri).test_client().get("/api/broadcasts-docs/swagger-ui").status_code == 404
    assert make_app(uri, BROADCASTS_OPENAPI_URL_PREFIX=None).test_client().get(DOCUMENT_URL).status_code == 404
