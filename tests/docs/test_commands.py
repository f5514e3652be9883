"""Every shell command the documentation shows, in a literal block or inline, is checked
against what it names: ``flask`` and ``rq`` command lines parse with the real CLIs, ``make``
targets exist, ``pip`` names the package and its extras, URLs are served.

Commands whose outcome the page states run for real here: the migration commands on a
fresh project, ``broadcasts recover`` (its output is on the page), the attachment upload
(replayed through the example app). Running workers, schedulers and gunicorn is left to the
suites that do it with real processes (``tests/e2e/sending``, ``tests/e2e/scheduling``,
``tests/e2e/realtime``).
"""

from __future__ import annotations

import argparse
import configparser
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from docutils import nodes
from docutils.core import publish_doctree
from flask import Flask
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from flask_broadcasts.config import SETTINGS
from tests.support.docs import DOCS, FAKE_CURL, SCRIPT, load_example, request
from tests.support.logging_state import logging_kept as kept_logging

ROOT = DOCS.parent
DEFAULTS = {setting.key: setting.default for setting in SETTINGS}
PROGRAMS = ("flask", "rq", "rqscheduler", "gunicorn", "make", "python -m", "pip", "curl", "docker", "npx", "export")
COMMAND = re.compile(rf"^(?:[A-Z_]+=\S*\s+)*({'|'.join(PROGRAMS)})(?=\s|$)")


def page_literals(page: Path) -> Iterator[tuple[str, int, list[str]]]:
    """``(kind, line, lines)`` of each literal of a page, in order: its blocks (``::``,
    ``code-block``) and its inline ``literals``."""
    # Plain docutils: Sphinx's own directives and roles only come out as (silenced) errors.
    tree = publish_doctree(
        page.read_text(),
        source_path=str(page),
        settings_overrides={
            "report_level": 5,
            "halt_level": 5,
            "file_insertion_enabled": False,
            "warning_stream": False,
        },
    )
    for node in tree.findall(lambda n: isinstance(n, (nodes.literal_block, nodes.literal))):
        if isinstance(node.parent, nodes.system_message):  # an unknown directive's source
            continue
        if isinstance(node, nodes.literal):
            yield "inline", 0, [" ".join(node.astext().split())]
        else:
            yield "block", node.line or 0, node.astext().replace("\\\n", " ").splitlines()


def doc_commands() -> list[tuple[str, str]]:
    """``(page, command line)`` of every command the pages and the README show (not a bare program name)."""
    found: dict[tuple[str, str], None] = {}
    for page in sorted(DOCS.glob("*.rst")):
        for _, _, lines in page_literals(page):
            for line in lines:
                line = line.strip()
                if COMMAND.match(line) and len(shlex.split(line, comments=True)) > 1:
                    found[(page.name, line)] = None
    for block in re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), re.S):
        for line in block.splitlines():
            line = line.strip()
            if COMMAND.match(line) and len(shlex.split(line, comments=True)) > 1:
                found[("README.md", line)] = None
    return list(found)


def split(line: str) -> tuple[dict[str, str], list[str]]:
    """The environment assignments before a command, and its words (comments dropped)."""
    words = shlex.split(line, comments=True)
    env = {}
    while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    return env, words


# -- the checks, one per program ---------------------------------------------------------------


@pytest.fixture(scope="module")
def flask_cli(tmp_path_factory: pytest.TempPathFactory) -> Callable[[list[str]], Any]:
    """``flask ARGS`` for ``--app example_app`` (and ``yourapp``, for which it stands): the
    app's commands (the extension's ``broadcasts``, Flask-Migrate's ``db``, its own) and Flask's."""
    from flask.cli import routes_command, run_command, shell_command

    from tests.support.example_host import make_app

    app = make_app(f"sqlite:///{tmp_path_factory.mktemp('cli') / 'cli.db'}")
    builtins = {"run": run_command, "shell": shell_command, "routes": routes_command}
    root = click.Group("flask", commands={**app.cli.commands, **builtins})
    return lambda args: app.test_cli_runner().invoke(root, args)


def check_flask(line: str, fixture: Callable[[str], Any]) -> None:
    _, words = split(line)
    args = words[1:]
    if args[:1] == ["--app"]:
        args = args[2:]
    # --help after the whole line: every command and option must exist, and nothing runs.
    result = fixture("flask_cli")([*args, "--help"])
    assert result.exit_code == 0, result.output


def check_rq(line: str, fixture: Callable[[str], Any]) -> None:
    # Parsed, not run: tests/e2e/sending/test_worker_connection.py runs this worker for real.
    from rq import Worker
    from rq.cli.cli import main
    from rq.utils import import_attribute

    _, words = split(line)
    command = main.get_command(click.Context(main), words[1])
    assert command is not None, words[1]
    params = command.make_context(words[1], words[2:]).params
    if params.get("worker_class"):
        assert issubclass(import_attribute(params["worker_class"]), Worker)
    if words[1] == "worker" and params.get("queues"):  # the extension's queues
        assert list(params["queues"]) in ([DEFAULTS["BROADCASTS_QUEUE"]], [DEFAULTS["BROADCASTS_WEBHOOK_QUEUE"]])


class Parsed(Exception):
    """Raised instead of running a program once its arguments are parsed."""


def check_rqscheduler(line: str, fixture: Callable[[str], Any]) -> None:
    # Parsed, not run: tests/e2e/scheduling/test_scheduler_processes.py runs a plain rqscheduler.
    from rq_scheduler.scripts import rqscheduler

    _, words = split(line)
    monkeypatch = fixture("monkeypatch")
    parse_args = argparse.ArgumentParser.parse_args
    parsed: list[argparse.Namespace] = []

    def parse_only(self: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> argparse.Namespace:
        parsed.append(parse_args(self, *args, **kwargs))
        raise Parsed

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_only)
    monkeypatch.setattr(sys, "argv", words)
    with pytest.raises(Parsed):
        rqscheduler.main()
    if "-i" in words or "--interval" in words:  # the extension's own poll interval
        assert parsed[0].interval == DEFAULTS["BROADCASTS_SCHEDULER_INTERVAL"]


def check_gunicorn(line: str, fixture: Callable[[str], Any]) -> None:
    # Parsed, not run: tests/e2e/realtime/test_processes.py serves the websocket with gunicorn gthread.
    from gunicorn.config import Config

    _, words = split(line)
    args = Config().parser().parse_args(words[1:])
    assert args.worker_class == "gthread"  # the websocket needs the threaded worker
    assert args.args[-1].endswith(":create_app()")


def check_make(line: str, fixture: Callable[[str], Any]) -> None:
    if shutil.which("make") is None:
        pytest.skip("needs make")
    env, words = split(line)
    variables = dict(word.split("=", 1) for word in words[1:] if "=" in word)
    for name, value in {**env, **variables}.items():
        if name == "BENCH_ARGS":
            from benchmarks.run import parse_args

            parse_args(shlex.split(value))
        else:  # read by the Makefile or by the suite it runs
            users = [ROOT / "Makefile", *ROOT.glob("tests/**/*.py")]
            assert any(name in path.read_text() for path in users), name
    # -n: what would run, without running it; an unknown target fails.
    result = subprocess.run(
        ["make", "-n", "-C", str(ROOT), *words[1:]], capture_output=True, text=True, env={**os.environ, **env}
    )
    assert result.returncode == 0, result.stderr


def check_python(line: str, fixture: Callable[[str], Any]) -> None:
    _, words = split(line)
    module = words[2]
    assert importlib.util.find_spec(module) is not None, module
    if module == "benchmarks.run":
        from benchmarks.run import parse_args

        try:
            parse_args(words[3:])
        except SystemExit as stop:  # --help
            assert stop.code == 0


def check_pip(line: str, fixture: Callable[[str], Any]) -> None:
    _, words = split(line)
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    for word in words[2:]:
        if word == "-e":
            continue
        if word.startswith("."):  # a clone of the repository: it must be this installable project
            assert (ROOT / "pyproject.toml").is_file() and setup.has_section("options")
            continue
        requirement = Requirement(word)
        assert canonicalize_name(requirement.name) == canonicalize_name(setup["metadata"]["name"])
        assert requirement.extras <= set(setup["options.extras_require"])


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def check_curl(line: str, fixture: Callable[[str], Any]) -> None:
    """Replay the request through the example app (``make run``'s), as in ``test_quickstart.py``."""
    from example_app.seed import seed

    if shutil.which("bash") is None:
        pytest.skip("needs bash")
    _, words = split(line)
    if "-o" in words:  # saving the OpenAPI document: a plain GET
        return check_urls(line, fixture)
    client = fixture("example_app").test_client()
    organization = seed(3)["organizations"][0]
    token, org = organization["token"], str(organization["id"])
    template = client.post(
        f"/api/broadcast-templates?o={org}",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/vnd.api+json"},
        data=json.dumps(
            {
                "data": {
                    "type": "broadcast-templates",
                    "attributes": {
                        "name": "Brochure",
                        "subject": "Our brochure",
                        "body": "<p>Attached.</p>",
                        "channels": ["mail"],
                    },
                }
            }
        ),
    )
    assert template.status_code == 201, template.get_json()
    # bash expands the line as the reader's shell would, with the variables the quickstart exports.
    variables = {"BASE": "http://localhost/api", "TOKEN": token, "ORG": org}
    script = FAKE_CURL + "".join(f"{name}={value}\n" for name, value in variables.items()) + line
    args = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True).stdout.split("\0")[:-1]
    # The page's template id (12) is the one just created.
    template_id = template.get_json()["data"]["id"]
    args = [re.sub(r"/broadcast-templates/\d+/", f"/broadcast-templates/{template_id}/", arg) for arg in args]
    directory = fixture("tmp_path")
    (directory / "brochure.pdf").write_bytes(PDF)  # the file the upload sample sends

    response = request(client, args, directory=directory)

    assert response.status_code in (200, 201), response.get_data(as_text=True)[:500]
    if "-F" in args:  # what the page says the answer is
        assert response.status_code == 201
        resource = response.get_json()["data"]
        assert resource["type"] == "broadcast-files"
        assert {"filename", "content_type", "size", "created_at"} <= set(resource["attributes"])
        assert (resource["attributes"]["filename"], resource["attributes"]["content_type"]) == (
            "brochure.pdf",
            "application/pdf",
        )
        assert resource["attributes"]["size"] == len(PDF)
        assert "template" in resource["relationships"] and resource["meta"]["download_url"]


def check_urls(line: str, fixture: Callable[[str], Any]) -> None:
    """A command pointed at ``make run``'s app (a container, a viewer): those URLs are served."""
    _, words = split(line)
    urls = [url for word in words for url in re.findall(r"https?://127\.0\.0\.1:5000/\S+", word)]
    assert urls, "no URL of the app"
    client = fixture("example_app").test_client()
    for url in urls:
        assert client.get(urlsplit(url).path).status_code == 200, url


def check_npx(line: str, fixture: Callable[[str], Any]) -> None:
    pytest.skip("a Node tool run on the OpenAPI document; the document itself is checked with the curl above it")


def check_export(line: str, fixture: Callable[[str], Any]) -> None:
    """The quickstart's ``export`` sets what ``quickstart.sh`` reads, pointed at ``make run``;
    configuration.rst's exports set settings the example app reads (and decodes) from the environment."""
    _, words = split(line)
    exported = dict(word.split("=", 1) for word in words[1:])
    if all(name.startswith("BROADCASTS_") for name in exported):
        from example_app.config import settings_from_environ

        assert set(settings_from_environ(exported)) == set(exported) <= set(DEFAULTS)
        return
    used = set(re.findall(r"\$\{?([A-Z_]+)", SCRIPT))
    assigned = set(re.findall(r"^([A-Z_]+)=", SCRIPT, re.M))
    defaulted = set(re.findall(r"\$\{([A-Z_]+):-", SCRIPT))  # WAIT: how long to let the worker send
    assert used - assigned - defaulted <= set(exported)
    assert re.search(rf"^BASE=\$\{{BASE:-{re.escape(exported['BASE'])}\}}$", SCRIPT, re.M)
    base = urlsplit(exported["BASE"])
    assert base.path == DEFAULTS["BROADCASTS_URL_PREFIX"]
    assert re.search(rf"^PORT\s*\?=\s*{base.port}$", (ROOT / "Makefile").read_text(), re.M)


CHECKS = {
    "flask": check_flask,
    "rq": check_rq,
    "rqscheduler": check_rqscheduler,
    "gunicorn": check_gunicorn,
    "make": check_make,
    "python -m": check_python,
    "pip": check_pip,
    "curl": check_curl,
    "docker": check_urls,
    "npx": check_npx,
    "export": check_export,
}
COMMANDS = doc_commands()


@pytest.mark.parametrize(("page", "line"), COMMANDS, ids=[f"{page}: {line}" for page, line in COMMANDS])
def test_documented_command(page: str, line: str, request: pytest.FixtureRequest) -> None:
    program = COMMAND.match(line).group(1)
    CHECKS[program](line, request.getfixturevalue)


def test_the_pages_commands_are_collected() -> None:
    # A guard on the collector: these must be among what it found.
    lines = {line for _, line in COMMANDS}
    assert 'flask db merge heads -m "add flask-broadcasts"' in lines
    assert any(
        line.startswith("FLASK_APP=yourapp rq worker -w flask_broadcasts.background.worker.BroadcastsWorker")
        for line in lines
    )
    assert any(line.startswith('curl -H "Authorization: Bearer $TOKEN"') for line in lines)
    assert len(COMMANDS) > 50
    assert (
        "README.md",
        "make test    # the test suite (SQLite + embedded Redis, or DATABASE_URL / REDIS_URL when set)",
    ) in COMMANDS


# -- what the pages say the commands do --------------------------------------------------------


def block_after(page: str, marker: str) -> str:
    """The first literal block of ``page`` after the line containing ``marker``."""
    text = (DOCS / page).read_text()
    marker_line = text[: text.index(marker)].count("\n") + 1
    for kind, line, lines in page_literals(DOCS / page):
        if kind == "block" and line > marker_line:
            return "\n".join(lines)
    raise AssertionError(marker)


@pytest.fixture
def logging_kept() -> Iterator[None]:
    """The loggers of the rest of the session put back as they were (Flask-Migrate's env.py)."""
    with kept_logging():
        yield


# The env.py `flask db init` writes (Flask-Migrate's template) still calls get_engine().
@pytest.mark.filterwarnings("ignore:'get_engine' is deprecated:DeprecationWarning")
def test_migration_commands_add_the_extension_to_an_existing_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, logging_kept: None
) -> None:
    integration = load_example("integration")
    monkeypatch.chdir(tmp_path)  # `migrations/` of the commands is the project's, here
    uri = f"sqlite:///{tmp_path / 'app.db'}"

    # The project before: its own migrations, its tables, no extension.
    from flask_migrate import Migrate

    before = Flask("project")
    before.config["SQLALCHEMY_DATABASE_URI"] = uri
    integration.db.init_app(before)
    Migrate(before, integration.db)
    for args in (["db", "init"], ["db", "migrate", "-m", "project tables"], ["db", "upgrade"]):
        result = before.test_cli_runner().invoke(args=args)
        assert result.exit_code == 0, (args, result.output)

    # Adding it: Migrate first (create_app), then the page's commands, as written.
    app = integration.create_app({"SQLALCHEMY_DATABASE_URI": uri})
    runner = app.test_cli_runner()
    steps = block_after("migrations.rst", "Its history and the extension's are two heads")
    commands = [split(line)[1] for line in steps.splitlines()]
    assert [words[:3] for words in commands] == [["flask", "db", "merge"], ["flask", "db", "upgrade"]]

    # Before the merge, the extension's branch alone: ``broadcasts@head``.
    result = runner.invoke(args=["db", "upgrade", "broadcasts@head"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        tables = set(sa.inspect(integration.db.engine).get_table_names())
    assert {"broadcast_campaigns", "customer", "user"} <= tables

    for words in commands:
        result = runner.invoke(args=words[1:])
        assert result.exit_code == 0, (words, result.output)
    with app.app_context():  # a single head: the plain `flask db upgrade` from now on
        assert len(ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config()).get_heads()) == 1
    # The extension's tables stay out of the project's autogenerate: nothing to migrate.
    check = runner.invoke(args=["db", "check"])
    assert check.exit_code == 0, check.output
    revisions = list((tmp_path / "migrations" / "versions").glob("*.py"))
    assert not any("broadcast_" in revision.read_text() for revision in revisions)


def test_recover_prints_what_the_page_shows(example_app: Flask) -> None:
    line = next(line for page, line in COMMANDS if page == "operations.rst" and line.endswith("broadcasts recover"))
    words = split(line)[1]
    shown = json.loads(block_after("operations.rst", "It prints what it did as JSON"))

    result = example_app.test_cli_runner().invoke(args=words[3:])

    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == shown  # nothing to do, as after the quickstart's run


def test_security_page_states_the_fuzz_defaults() -> None:
    block = block_after("security.rst", "Running it")
    bounded = re.search(r"make test\s+# bounded: (\d+) generated examples per operation", block)
    default = re.search(
        r'os\.environ\.get\("FUZZ_EXAMPLES", "(\d+)"\)',
        (ROOT / "tests" / "security" / "test_openapi_fuzz.py").read_text(),
    )
    assert bounded and default and bounded.group(1) == default.group(1)
    fuzz = re.search(r"make fuzz\s+# FUZZ_EXAMPLES=(\d+) per operation", block)
    assert fuzz and f"FUZZ_EXAMPLES:-{fuzz.group(1)}}}" in (ROOT / "Makefile").read_text()


def test_bench_commands_run_what_their_comments_say() -> None:
    from benchmarks.run import parse_args

    block = block_after("performance.rst", "Running it")
    assert "# 1,000, 10,000 and 100,000 recipients, 1 and 2 workers" in block
    default = parse_args([])
    assert (default.sizes, default.workers) == ("1000,10000,100000", "1,2")
    assert "# the zero-setup default: SQLite, 1 worker, 10,000" in block
    assert parse_args(["--sqlite"]).sqlite_size == 10_000
