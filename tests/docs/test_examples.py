"""Every Python sample of the documentation (``docs/examples/*.py``) runs here, and the
README's integration example is the ``[readme-*]`` parts of ``integration.py``."""

from __future__ import annotations

import importlib.util
import re
import runpy
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from flask import Flask

from .conftest import DOCS, EXAMPLES

JSONAPI = "application/vnd.api+json"
README = DOCS.parent / "README.md"


def load_example(name: str) -> ModuleType:
    """Import ``docs/examples/<name>.py`` once (its SQLAlchemy models must be declared once)."""
    module_name = f"docs_example_{name}"
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(module_name, EXAMPLES / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    return sys.modules[module_name]


def section(path: Path, name: str) -> str:
    match = re.search(rf"^# \[{name}\]\n(.*?)^# \[/{name}\]$", path.read_text(), re.S | re.M)
    assert match, name
    return match.group(1)


# -- the integration guide ---------------------------------------------------------------


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Flask]:
    from flask_broadcasts.models import metadata as broadcasts_metadata

    integration = load_example("integration")
    app = integration.create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'host.db'}"})
    with app.app_context():
        # The guide uses migrations (flask db upgrade); a test builds the same tables directly.
        integration.db.create_all()
        broadcasts_metadata.create_all(integration.db.engine)
        db, User, Customer = integration.db, integration.User, integration.Customer
        db.session.add_all([
            User(token="t-ada", organization_id=7),
            User(token="t-eve", organization_id=8),
            Customer(organization_id=7, first_name="Ada", last_name="Lovelace", email="ada@example.com", locale="en"),
            Customer(organization_id=7, first_name="Alan", last_name="Turing", email="alan@example.com",
                     status="inactive"),
            Customer(organization_id=7, first_name="Grace", last_name="Hopper", mobile="+33612345678"),
            Customer(organization_id=8, first_name="Eve", last_name="Other", email="eve@example.com"),
        ])
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


def post(client, path: str, data: dict, token: str = "t-ada"):
    return client.post(f"/api/{path}?o=7", json={"data": data},
                       headers={"Authorization": f"Bearer {token}", "Content-Type": JSONAPI})


def test_integration_sample_serves_the_api(host: Flask) -> None:
    client = host.test_client()
    template = post(client, "broadcast-templates", {"type": "broadcast-templates", "attributes": {
        "name": "Hello", "subject": "Hello {first_name}", "body": "<p>Dear {first_name} {last_name}</p>",
        "channels": ["mail"]}})
    assert template.status_code == 201, template.get_json()
    audience = post(client, "broadcast-audiences", {"type": "broadcast-audiences", "attributes": {
        "name": "Active", "audience_type": "customers", "filters": {"status": "active"}}})
    assert audience.status_code == 201, audience.get_json()
    assert audience.get_json()["data"]["meta"]["member_count"] == 2
    campaign = post(client, "broadcast-campaigns", {
        "type": "broadcast-campaigns", "attributes": {"name": "First"},
        "relationships": {
            "template": {"data": {"type": "broadcast-templates", "id": template.get_json()["data"]["id"]}},
            "audience": {"data": {"type": "broadcast-audiences", "id": audience.get_json()["data"]["id"]}}}})
    assert campaign.status_code == 201, campaign.get_json()
    cid = campaign.get_json()["data"]["id"]

    preview = client.get(f"/api/broadcast-campaigns/{cid}/draft-messages?o=7&include=customer",
                         headers={"Authorization": "Bearer t-ada"})
    assert preview.status_code == 200, preview.get_json()
    messages = preview.get_json()["data"]
    assert [m["attributes"]["subject"] for m in messages] == ["Hello Ada", "Hello Grace"]
    assert [m["attributes"]["channels"] for m in messages] == [["mail"], []]  # Grace has no e-mail
    assert {r["type"] for r in preview.get_json()["included"]} == {"customers"}

    # The audience reaches exactly whom the product's own endpoint lists with the same filters.
    own = client.get("/api/customers?o=7&filter[status]=active", headers={"Authorization": "Bearer t-ada"})
    assert [c["id"] for c in own.get_json()["data"]] == [m["relationships"]["customer"]["data"]["id"] for m in messages]


def test_integration_sample_hooks_and_filter_schema(host: Flask) -> None:
    client = host.test_client()
    assert client.get("/api/broadcast-campaigns?o=7").status_code == 401
    assert client.get("/api/broadcast-campaigns?o=7", headers={"Authorization": "Bearer t-eve"}).status_code == 403
    bad = post(client, "broadcast-audiences", {"type": "broadcast-audiences", "attributes": {
        "name": "x", "audience_type": "customers", "filters": {"colour": "red"}}})
    assert bad.status_code == 422
    assert bad.get_json()["errors"][0]["source"]["pointer"] == "/data/attributes/filters/colour"
    unknown_variable = post(client, "broadcast-templates", {"type": "broadcast-templates", "attributes": {
        "name": "x", "subject": "Hi {nickname}", "body": "b", "channels": ["mail"]}})
    assert unknown_variable.status_code == 422


def test_migrate_registered_before_broadcasts_gets_its_revisions(host: Flask) -> None:
    from flask_broadcasts.migrations import configure_alembic, include_object

    migrate_config = host.extensions["migrate"]
    assert configure_alembic in migrate_config.migrate.configure_callbacks
    assert migrate_config.configure_args["include_object"] is include_object


def test_readme_example_is_the_tested_one() -> None:
    integration = EXAMPLES / "integration.py"
    expected = section(integration, "readme-imports") + "\n" + section(integration, "readme-wiring")
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert len(blocks) == 1
    assert blocks[0] == expected


# -- the rendering page --------------------------------------------------------------------


def test_rendering_rules_sample_holds() -> None:
    runpy.run_path(str(EXAMPLES / "rendering.py"))
