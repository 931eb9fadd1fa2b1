"""Start and stop the real servers tests need, on free loopback ports only.

A binary that is missing fails the test under CI (CI=true), where .ci/run must have
installed it, and skips it on a developer machine that lacks it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .poll import StopWaiting, wait_until

REPO = Path(__file__).resolve().parents[2]
TOOLS = Path(os.environ.get("CHAINWATCH_TOOLS", REPO / ".tools"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_binary(name: str, *candidates: str | Path) -> str:
    for c in candidates:
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return str(c)
    found = shutil.which(name)
    if found:
        return found
    message = f"{name} is not installed (.ci/run installs it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def anvil_binary() -> str:
    return require_binary("anvil", TOOLS / "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")


def wait_http(url: str, timeout: float = 20.0, proc: subprocess.Popen | None = None) -> None:
    """Poll ``url`` until it answers below 500; fail at once if ``proc`` exits meanwhile."""

    def answers() -> bool:
        if proc is not None and proc.poll() is not None:
            raise StopWaiting(f"process exited with {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                return r.status < 500
        except urllib.error.HTTPError as e:
            return e.code < 500

    try:
        wait_until(answers, timeout, f"{url} answering", errors=(OSError,))
    except StopWaiting as exc:
        raise RuntimeError(str(exc)) from None


class Managed:
    """A child process stopped with SIGTERM, then SIGKILL after ``grace`` seconds."""

    def __init__(self, args: list[str], *, cwd=None, env=None, log: Path | None = None, grace: float = 5.0):
        self.args = args
        self.grace = grace
        self.log = log
        out = open(log, "wb") if log else subprocess.DEVNULL
        self.proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGCONT)
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(self.grace)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)

    def signal(self, sig: int) -> None:
        os.killpg(self.proc.pid, sig)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
