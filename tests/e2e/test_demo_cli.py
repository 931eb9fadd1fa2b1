"""`chainwatch demo` as a user runs it: starts, tells where things are, takes commands from a
second terminal, and leaves nothing behind on SIGTERM (processes gone, ports free)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from chainwatch.devnet.procs import port_free
from tests.support.poll import StopWaiting, wait_until

from .test_detection import _alive

pytestmark = [pytest.mark.e2e, pytest.mark.anvil, pytest.mark.prometheus, pytest.mark.alertmanager]

CLI = [sys.executable, "-m", "chainwatch.cli"]


def chainwatch(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout)


def test_demo_starts_answers_commands_and_stops_cleanly(tmp_path):
    run_dir = tmp_path / "run"
    log = open(tmp_path / "demo.out", "w+")
    demo = subprocess.Popen([*CLI, "demo", "--run-dir", str(run_dir), "--no-beacon", "--no-solana"], stdout=log, stderr=subprocess.STDOUT)
    try:
        state_file = run_dir / "state.json"

        def ready() -> bool:
            if demo.poll() is not None:
                raise StopWaiting(f"the demo exited with {demo.returncode}:\n{open(tmp_path / 'demo.out').read()}")
            return state_file.exists() and "ready in" in open(tmp_path / "demo.out").read()

        wait_until(ready, 90, "the demo ready", interval=0.5)
        state = json.loads(state_file.read_text())
        out = open(tmp_path / "demo.out").read()
        for what in ("Prometheus UI", "Alertmanager UI", "captured pages", state["prometheus"], state["alertmanager"]):
            assert what in out
        assert "beacon: disabled with --no-beacon" in out
        # Copied into another terminal, the banner's commands find this demo (not the default run dir).
        assert f"chainwatch demo --run-dir {run_dir} fault stall-node" in out

        # A second demo on the same run dir refuses to start instead of clobbering the first.
        second = chainwatch("demo", "--run-dir", str(run_dir), "--no-beacon", "--no-solana")
        assert second.returncode == 1 and "already running" in second.stderr

        status = chainwatch("demo", "--run-dir", str(run_dir), "status")
        assert status.returncode == 0, status.stderr
        assert "anvil-node-1" in status.stdout and "up" in status.stdout

        faults = chainwatch("demo", "--run-dir", str(run_dir), "faults")
        assert "stall-node" in faults.stdout and "UNAVAILABLE" in faults.stdout  # solana/beacon ones, disabled here
        unavailable = chainwatch("demo", "--run-dir", str(run_dir), "fault", "solana-halt")
        assert unavailable.returncode == 1 and "Solana simulator" in unavailable.stderr

        injected = chainwatch("demo", "--run-dir", str(run_dir), "fault", "flood-mempool", "--no-wait")
        assert injected.returncode == 0 and "expecting ChainwatchMempoolHigh" in injected.stdout
        again = chainwatch("demo", "--run-dir", str(run_dir), "fault", "flood-mempool", "--no-wait")
        assert again.returncode == 1 and "already injected" in again.stderr
        healed = chainwatch("demo", "--run-dir", str(run_dir), "heal", "--no-wait")
        assert healed.returncode == 0 and "healed flood-mempool" in healed.stdout

        pids = [c["pid"] for c in state["components"].values() if c["pid"]]
        ports = [urlsplit(c["address"]).port for c in state["components"].values() if c["address"].startswith("http")]
        ports = [p for p in ports if p]
        assert len(pids) >= 7 and len(ports) >= 7
    finally:
        demo.send_signal(signal.SIGTERM)
        code = demo.wait(60)
    out = open(tmp_path / "demo.out").read()
    assert code == 0, out
    assert "no process left behind" in out
    assert not state_file.exists()
    assert [p for p in pids if _alive(p)] == []
    assert [p for p in ports if not port_free(p)] == []
    # Commands now say there is nothing to talk to.
    gone = chainwatch("demo", "--run-dir", str(run_dir), "status")
    assert gone.returncode == 1 and "no demo is running" in gone.stderr


def test_missing_tool_names_the_setup_command(tmp_path):
    env = {**os.environ, "PATH": os.path.dirname(sys.executable), "CHAINWATCH_TOOLS": str(tmp_path / "no-tools")}
    out = subprocess.run([*CLI, "demo", "--run-dir", str(tmp_path / "run"), "--no-beacon"], capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 2
    assert "is not installed" in out.stderr and ".ci/setup" in out.stderr


def test_demo_refuses_to_wipe_a_directory_it_did_not_create(tmp_path):
    precious = tmp_path / "notes"
    precious.mkdir()
    (precious / "keep.txt").write_text("mine")
    out = subprocess.run([*CLI, "demo", "--run-dir", str(precious)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "not a chainwatch demo run directory" in out.stderr
    assert (precious / "keep.txt").read_text() == "mine"
