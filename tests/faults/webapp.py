"""The fault suite's web process: :mod:`tests.support.hostapp` with Bearer tokens.

``gunicorn -k gthread 'tests.faults.webapp:create_app()'``. Tokens: ``token-org-1`` is a
member of ``org-1`` only, ``token-org-2`` of ``org-2`` only.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from tests.support.hostapp import broadcasts
from tests.support.hostapp import create_app as create_host_app

TOKENS = {"token-org-1": "org-1", "token-org-2": "org-2"}


@broadcasts.token_loader
def load_principal(token: str) -> str | None:
    return token if token in TOKENS else None


@broadcasts.organization_access
def may_access(principal: str, organization_id: str) -> bool:
    return TOKENS.get(principal) == organization_id


def create_app(config: dict[str, Any] | None = None) -> Flask:
    return create_host_app(config)
