"""The reverse-proxy configuration the live-progress page shows is valid nginx (parsed and
checked by crossplane, nginx's own configuration parser, in the context the page puts it:
a ``location`` of a ``server``), and its location is where the app serves the socket."""

from __future__ import annotations

import re
from pathlib import Path

import crossplane
from flask import Flask

from tests.support.docs import DOCS

SAMPLE = re.compile(r"e\.g\. nginx::\n\n((?: {5}.*\n|\n)+)")


def nginx_sample() -> str:
    found = SAMPLE.search((DOCS / "realtime.rst").read_text())
    assert found, "the nginx sample is gone from realtime.rst"
    return "\n".join(line[5:] for line in found.group(1).splitlines())


def test_nginx_sample_is_valid_in_a_server_block(tmp_path: Path) -> None:
    config = tmp_path / "nginx.conf"
    config.write_text(
        "events {}\nhttp {\n  upstream app { server 127.0.0.1:5000; }\n"
        f"  server {{\n    listen 8080;\n{nginx_sample()}\n  }}\n}}\n"
    )
    parsed = crossplane.parse(str(config), check_ctx=True, check_args=True, strict=True)
    assert parsed["status"] == "ok", parsed["errors"]
    assert parsed["config"][0]["errors"] == []


def test_nginx_location_is_the_websocket_route(example_app: Flask) -> None:
    location = re.search(r"location (\S+) \{", nginx_sample()).group(1)
    rules = {rule.rule for rule in example_app.url_map.iter_rules()}
    assert location in rules
    assert example_app.url_map.bind("localhost").match(location, websocket=True)
