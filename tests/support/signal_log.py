"""Receivers of every flask-broadcasts signal that append what they hear to a JSON-lines file,
and one that raises on every message: connected by the test host app in its worker
processes when ``TEST_SIGNAL_LOG`` names the file."""

from __future__ import annotations

import json
import os
from typing import Any

from flask_broadcasts import signals
from flask_broadcasts.statuses import EventType

_connected: list[Any] = []


def connect(path: str) -> None:
    def record(name: str):  # noqa: ANN202
        def receiver(sender: Any, **data: Any) -> None:
            with open(path, "a") as out:
                out.write(json.dumps({"signal": name, "pid": os.getpid(), "app": sender.name, **data}) + "\n")

        return receiver

    for event in EventType:
        receiver = record(event.value)
        _connected.append(receiver)  # blinker holds receivers weakly
        signals.signal_for(event).connect(receiver)

    def broken(sender: Any, **data: Any) -> None:
        raise RuntimeError("a host receiver with a bug")

    _connected.append(broken)
    signals.message_sent.connect(broken)
