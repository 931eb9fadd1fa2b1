"""The status page over the demo's own faults, not a hand-written exposition: the devnet's EVM
part (real anvils behind the demo's proxy), the real exporter, real Prometheus evaluating the
generated rules and ``chainwatch status`` reading it. Our fault (``wrong-chain``: a node serving
another chain, a page) turns the chain ``partial_outage`` as an incident of ours, started when
its alert became active; the network's (``halt-chain``: every anvil stops) is an upstream
incident; healed, the chain is ``operational`` again.

Only the base part runs (no Lodestar, no litecoind), with a 1 s scrape and the demo's ``for:``
durations at 0 s, so each state comes within a few seconds of its fault.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time

import pytest

from chainwatch import kinds
from chainwatch.devnet import faults
from chainwatch.devnet.procs import MissingTool, Proc, free_port, wait_http
from chainwatch.devnet.stack import Options, Stack

from tests.support.poll import wait_until

from .test_status_page import component, get, wait_state

pytestmark = [pytest.mark.prometheus, pytest.mark.anvil]

GROUP = "devnet (anvil)"


class QuickStack(Stack):
    """The demo with every ``for:`` the faults meet at 0 s: the state, not the patience, is tested."""

    def demo_config(self) -> dict:
        config = super().demo_config()
        for chain in config["chains"].values():
            durations = chain.get("thresholds", {}).get("durations")
            if durations is not None:
                chain["thresholds"]["durations"] = {**durations, "down": "0s", "chain_halt": "0s", "head_stale": "0s", "sync_lag": "0s"}
        return config


def test_demo_faults_move_the_status_page(tmp_path):
    started = time.monotonic()
    others = frozenset(p.name for p in kinds.demo_parts() if not p.base)
    stack = QuickStack(Options(run_dir=tmp_path / "demo", without=others, scrape_interval=1.0))
    try:
        stack.start()
    except MissingTool as exc:
        if os.environ.get("CI"):
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    port = free_port()
    server = Proc(
        "chainwatch-status",
        [
            sys.executable,
            "-m",
            "chainwatch.cli",
            "status",
            f"--config.file={stack.config_path}",
            f"--prometheus.url={stack.prometheus_url}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cache=0",
            "--history=10m",
        ],
        log=tmp_path / "status.log",
    )
    try:
        server.start()
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/-/healthy", proc=server, timeout=30)
        wait_state(base, GROUP, "operational", timeout=30)

        # ours: node-4 serves chain id 1 on the 31337 devnet; it pages, and the page says so
        faults.inject(stack, "wrong-chain")
        injected = dt.datetime.now(dt.timezone.utc)
        own_state = wait_state(base, GROUP, "partial_outage", timeout=20)
        [own] = own_state["incidents"]
        assert own["name"] == "Partial outage of devnet anvil" and own["impact"] == "major"
        assert injected - dt.timedelta(seconds=2) <= dt.datetime.fromisoformat(own["started_at"]) <= dt.datetime.now(dt.timezone.utc)
        faults.heal(stack, ["wrong-chain"])
        wait_state(base, GROUP, "operational", timeout=20)  # the halt below starts from a quiet chain

        # the network's: every anvil stops; an upstream incident on the network component
        faults.inject(stack, "halt-chain")
        halted = wait_state(base, "devnet: Network (upstream)", "degraded_performance", timeout=20)
        upstream = [i for i in halted["incidents"] if i["name"].startswith("Upstream:")]
        assert [i["name"] for i in upstream] == ["Upstream: the devnet anvil network is not advancing"]
        assert component(halted, GROUP)["status"] != "operational"
        assert not [i for i in halted["incidents"] if i["name"].startswith("Partial outage")]  # its lag and stale heads are the halt's

        faults.heal(stack, ["halt-chain"])
        recovered = wait_state(base, GROUP, "operational", timeout=30)
        assert recovered["incidents"] == [] and recovered["status"]["indicator"] == "none"
        # both in the history, resolved, newest first, from the alerts' history in Prometheus
        past = wait_until(
            lambda: (lambda got: got if len(got) >= 2 else None)(json.loads(get(base + "/api/v2/incidents.json")[1])["incidents"]),
            15,
            "two resolved incidents",
            interval=0.5,
        )
        assert [(i["name"].split(" ")[0], i["status"]) for i in past] == [("Upstream:", "resolved"), ("Partial", "resolved")]
        assert past[1]["resolved_at"] <= past[0]["started_at"]
    finally:
        server.stop()
        stack.stop()
    print(f"status over demo faults: {time.monotonic() - started:.1f} s")
