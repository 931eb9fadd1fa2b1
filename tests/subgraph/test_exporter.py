"""A subgraph through the real exporter (`chainwatch serve`), its indexed chain a REAL anvil,
graph-node the SIMULATOR (chainwatch.kinds.subgraph.simulator, following that anvil's head),
and the alert expressions evaluated by a real Prometheus scraping the exporter.

Lag is measured against the exporter's references of the indexed chain (anvil), so a
subgraph 100+ blocks behind shows it even while graph-node's own chain head is stale and
graph-node itself sees no lag.
"""

from __future__ import annotations

import json
import sys
import urllib.request

import pytest

from chainwatch.assembly.config import load
from chainwatch.kinds.subgraph.simulator import SIM_DEPLOYMENT
from chainwatch.rules.alerts import chain_alerts
from tests.support.poll import hold, wait_until
from chainwatch.devnet.procs import Proc, free_port, wait_http
from tests.support import require_binary
from tests.support.stack import Anvil, Exporter, Prometheus, write_config

pytestmark = pytest.mark.anvil


class Sim(Proc):
    def __init__(self, tmp_path, chain_url: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__(
            "subgraph-sim",
            [sys.executable, "-m", "chainwatch.kinds.subgraph.simulator", "--chain-url", chain_url, "--port", str(self.port), "--poll-ms", "100"],
            log=tmp_path / "subgraph-sim.log",
        )
        self.start()
        wait_http(self.url + "/-/state", proc=self)

    def control(self, **body) -> dict:
        req = urllib.request.Request(self.url + "/-/control", json.dumps(body).encode(), {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.loads(r.read())


def until(check, what: str, timeout: float = 30.0):
    # 30 s: a few 1 s scrapes and probe rounds, plus the margin of a loaded 2-core machine.
    return wait_until(check, timeout, what, interval=0.3)


@pytest.fixture
def stack(tmp_path):
    require_binary("prometheus")
    anvil = Anvil(tmp_path, name="indexed")
    anvil.call("anvil_mine", ["0xc8"])  # 200 blocks of room for "behind"
    sim = Sim(tmp_path, anvil.url)
    path = write_config(
        tmp_path / "chainwatch.yaml",
        {
            "devnet": {"kind": "evm", "network": "anvil", "chain_id": 31337, "endpoints": [{"name": "anvil-ref", "url": anvil.url, "role": "reference"}]},
            "sim": {
                "kind": "subgraph",
                "network": "anvil",
                "indexes": "devnet",
                "deployment": SIM_DEPLOYMENT,
                "stall_seconds": 5,
                "thresholds": {"sync_lag_blocks_warning": 50, "sync_lag_blocks_critical": 100},
                "endpoints": [{"name": "graph-sim", "url": sim.url + "/subgraphs/name/sim/K3yInPathSecret", "index_node_url": sim.url + "/graphql"}],
            },
        },
        exporter={"min_probe_interval_seconds": 0, "reference_max_age_seconds": 0},
    )
    config = load(path)
    exporter = Exporter(path, tmp_path)
    prom = Prometheus(tmp_path / "prom", [{"job_name": "chainwatch", "static_configs": [{"targets": [f"127.0.0.1:{exporter.port}"]}]}])
    rules = {(a.name, a.severity): a.expr for a in chain_alerts(config, "sim")}
    try:
        yield anvil, sim, exporter, prom, rules
    finally:
        prom.stop()
        exporter.stop()
        sim.stop()
        anvil.stop()


def fires(prom: Prometheus, expr: str) -> list:
    return prom.query(expr)


def test_lag_stall_fatal_fork_and_heal(stack):
    anvil, sim, exporter, prom, rules = stack
    v = lambda name, **l: exporter.metrics().value(name, endpoint="graph-sim", **l)  # noqa: E731

    # Healthy: following the chain, same hashes, graph-node healthy.
    until(lambda: v("chainwatch_probe_success") == 1 and v("chainwatch_sync_lag_blocks") is not None and v("chainwatch_sync_lag_blocks") <= 2, "healthy lag")
    m = exporter.metrics()
    assert m.value("chainwatch_subgraph_block_hash_mismatch", endpoint="graph-sim") == 0
    assert m.value("chainwatch_subgraph_health", endpoint="graph-sim", state="healthy") == 1
    assert m.value("chainwatch_subgraph_fatal_error", endpoint="graph-sim") == 0
    assert m.value("chainwatch_subgraph_indexing_errors", endpoint="graph-sim") == 0
    assert "K3yInPathSecret" not in exporter.get("/metrics")[1]
    # Multi-target scrape of the subgraph alone: the indexed chain's references are read in the same round.
    alone = exporter.metrics("/probe?target=graph-sim")
    assert alone.value("chainwatch_sync_lag_blocks", endpoint="graph-sim") <= 2

    # graph-node's own chain head goes stale, then the chain moves 130 blocks: graph-node sees its
    # subgraph synced at its own head, chainwatch sees it 130 blocks behind the real chain.
    sim.control(action="node_head_stale")
    anvil.call("anvil_mine", ["0x82"])
    lagging = until(lambda: (lambda x: x if x is not None and x >= 100 else None)(v("chainwatch_sync_lag_blocks")), "lag >= 100 blocks")
    m = exporter.metrics()
    assert m.value("chainwatch_subgraph_node_chain_head_lag_blocks", endpoint="graph-sim") >= 100
    assert m.value("chainwatch_subgraph_synced", endpoint="graph-sim") == 1  # graph-node: synced, against its stale head
    state = sim.control(action="behind", blocks=0)
    assert state["block"] == state["node_head"]  # graph-node's view: no lag at all
    assert lagging >= 100
    assert until(lambda: fires(prom, rules[("ChainwatchSyncLagHigh", "critical")]), "lag critical expression")

    # Heal: back to the head, lag gone.
    sim.control(action="heal")
    until(lambda: (lambda x: x is not None and x <= 2)(v("chainwatch_sync_lag_blocks")), "lag back to normal")
    until(lambda: not fires(prom, rules[("ChainwatchSyncLagHigh", "critical")]), "lag expression resolves")

    # Stalled while the chain goes on (anvil mines a block a second).
    sim.control(action="stall")
    assert until(lambda: fires(prom, rules[("ChainwatchSubgraphStalled", "critical")]), "stalled expression", timeout=40)
    sim.control(action="heal")
    until(lambda: not fires(prom, rules[("ChainwatchSubgraphStalled", "critical")]), "stalled expression resolves", timeout=40)

    # Fatal error: failed, and the stall is not paged twice.
    sim.control(action="fatal")
    until(lambda: v("chainwatch_subgraph_fatal_error") == 1, "fatal error")
    assert v("chainwatch_subgraph_health", state="failed") == 1
    assert until(lambda: fires(prom, rules[("ChainwatchSubgraphFailed", "critical")]), "failed expression")
    # For longer than the stall window (5 s) plus a few scrapes: Stalled and IndexingErrors stay silent.
    hold(
        lambda: not fires(prom, rules[("ChainwatchSubgraphStalled", "critical")]) and not fires(prom, rules[("ChainwatchSubgraphIndexingErrors", "warning")]),
        8,
        "a failed subgraph pages once (Failed), not also Stalled or IndexingErrors",
        interval=0.5,
    )
    sim.control(action="heal")

    # On a fork: the hash at the indexed height is not the reference's.
    sim.control(action="fork")
    until(lambda: v("chainwatch_subgraph_block_hash_mismatch") == 1, "fork seen")
    assert until(lambda: fires(prom, rules[("ChainwatchSubgraphOnFork", "warning")]), "fork expression")

    # Everything back to normal after the heal.
    sim.control(action="heal")
    until(
        lambda: (
            v("chainwatch_subgraph_block_hash_mismatch") == 0
            and v("chainwatch_subgraph_fatal_error") == 0
            and v("chainwatch_subgraph_health", state="healthy") == 1
            and (v("chainwatch_sync_lag_blocks") or 0) <= 2
        ),
        "healed",
    )
    for (name, severity), expr in rules.items():
        if name.startswith("ChainwatchSubgraph") or name.startswith("ChainwatchSyncLag"):
            until(lambda expr=expr: not fires(prom, expr), f"{name} {severity} resolves", timeout=40)
