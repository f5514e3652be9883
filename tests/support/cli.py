"""``flask broadcasts ...`` as an operator runs it: a subprocess on the test host, with or without a terminal."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from dataclasses import dataclass

from .processes import ROOT, worker_env


@dataclass
class Result:
    """What a command printed and how it exited."""

    returncode: int
    stdout: str
    stderr: str = ""

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def cli_args(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "broadcasts", *args]


def run_cli(env: dict[str, str], *args: str, timeout: float = 60) -> Result:
    """Run ``flask broadcasts <args>`` to its end, stdout and stderr captured (no terminal)."""
    proc = subprocess.run(
        cli_args(*args), cwd=ROOT, env=worker_env(env), capture_output=True, text=True, timeout=timeout
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def start_cli(env: dict[str, str], *args: str) -> subprocess.Popen:
    """Start ``flask broadcasts <args>`` in the background, stdout a pipe (no terminal), stderr into it."""
    return subprocess.Popen(
        cli_args(*args),
        cwd=ROOT,
        env=worker_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


class TerminalCommand:
    """``flask broadcasts <args>`` with a pseudo-terminal as stdout and stderr (``isatty()`` is true)."""

    def __init__(self, env: dict[str, str], *args: str, columns: int = 100) -> None:
        self._master, slave = pty.openpty()
        full = worker_env(env)
        full["COLUMNS"], full["LINES"] = str(columns), "24"
        self.proc = subprocess.Popen(
            cli_args(*args), cwd=ROOT, env=full, stdin=slave, stdout=slave, stderr=slave, start_new_session=True
        )
        os.close(slave)
        self.output = ""

    def read_until(self, text: str, timeout: float) -> str:
        """Read the terminal until ``text`` shows (or the command ends, or ``timeout``); all read so far."""
        deadline = time.monotonic() + timeout
        while text not in self.output and time.monotonic() < deadline:
            ready, _, _ = select.select([self._master], [], [], 0.2)
            if not ready:
                if self.proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(self._master, 65536)
            except OSError:  # the command ended and closed the terminal
                break
            if not chunk:
                break
            self.output += chunk.decode(errors="replace")
        return self.output

    def wait(self, timeout: float) -> int:
        """Read everything until the command ends; its exit status."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self.read_until("\0never\0", 0.5)
        self.read_until("\0never\0", 0.5)
        returncode = self.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        os.close(self._master)
        return returncode
