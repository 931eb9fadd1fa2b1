"""The per-endpoint rendering cache: rendered once per probe result, byte-identical, never stale.

``/metrics`` assembles the per-endpoint families from each endpoint's cached lines
(``exposition.endpoint_fragments``) instead of rendering every sample on every scrape. What
a scraper receives must be exactly what the reference renderer (prometheus_client, through
``render_with_client``) writes for the same samples, and every change a user could see —
a new result, a counter moved by a timed-out scrape, a new lag, a value a kind's
``finish`` added after the round, a reloaded ``network`` label — must re-render.

No network: endpoint states are built from a parsed config and fed hand-made probe
results through the scheduler's own bookkeeping (``Scheduler._record``).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from chainwatch.assembly.config import parse
from chainwatch.exporters.exposition import endpoint_block, endpoint_fragments, render, render_with_client, round_samples
from chainwatch.exporters.probe import Call, ProbeResult
from chainwatch.exporters.scheduler import Scheduler, Snapshot

CONFIG = """
chains:
  eth:
    kind: evm
    network: {network}
    chain_id: 1
    endpoints:
      - {{name: geth-1, url: "http://127.0.0.1:9/a", role: node}}
      - {{name: ref-1, url: "http://127.0.0.1:9/b", role: reference}}
      - {{name: erigon-2, url: "http://127.0.0.1:9/c", role: node}}
"""

TRICKY = 'Geth/"v1.14"\\back\nslash-ünïcode'


def scheduler(network: str = "mainnet") -> Scheduler:
    return Scheduler(parse(CONFIG.format(network=network), env={}), transport=None)


def good(height: float, seconds: float = 0.0123) -> ProbeResult:
    result = ProbeResult(True, duration=seconds + 0.0004)
    result.head_height = height
    result.set("chainwatch_head_height", height)
    result.set("chainwatch_peers", 50)
    result.set("chainwatch_gas_price_wei", 20_000_000_000)
    result.set("chainwatch_mempool_transactions", 7, state="pending")
    result.set("chainwatch_mempool_transactions", 2, state="queued")
    result.set("chainwatch_node_info", 1, client_version=TRICKY)
    result.set("chainwatch_head_age_seconds", 1e-7)
    result.calls = [Call("batch", seconds, True), Call("web3_clientVersion", 0.2, True)]
    result.drop("txpool_status", "rpc_error: method not found")
    return result


def bad(reason: str) -> ProbeResult:
    result = ProbeResult(False, duration=1.5, reason=reason, detail="no")
    result.calls = [Call("batch", None, False)]
    return result


def fed(sched: Scheduler) -> Snapshot:
    states = list(sched.states.values())
    for i, state in enumerate(states):
        sched._record(state, good(100 + i) if i != 2 else bad("timeout"))
    states[1].requests["batch"] += 12_345_678  # a long-lived exporter's counter: Go's exponent form ("1.2345679e+07")
    snap = Snapshot(states=states, config=sched.config)
    snap.results = {s.endpoint.name: s.last for s in states}
    snap.lag = {"geth-1": (3.0, 36.0), "ref-1": (0.0, 0.0)}
    return snap


def reference(snap: Snapshot) -> bytes:
    samples = list(round_samples(replace(snap, chains={})))
    body = render(samples)
    assert body == render_with_client(samples)  # render is itself checked against prometheus_client
    return body


def block_bytes(snap: Snapshot, size: int = 256 * 1024) -> bytes:
    block = endpoint_block(snap)
    body = b"".join(block.pieces(size))
    assert len(body) == block.length  # the Content-Length sent before the body
    return body


@pytest.mark.parametrize("size", [1, 700, 256 * 1024])
def test_the_assembled_block_is_byte_identical_to_prometheus_client(size):
    snap = fed(scheduler())
    assert block_bytes(snap, size) == reference(snap)
    assert block_bytes(snap, size) == reference(snap)  # from the cache this time
    escaped = TRICKY.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
    assert f'client_version="{escaped}"' in block_bytes(snap).decode()  # label values escaped as the text format says


def test_one_render_per_result_and_a_new_render_for_everything_a_scrape_shows():
    sched = scheduler()
    snap = fed(sched)
    state = sched.states["geth-1"]
    first = endpoint_fragments(state, snap.results["geth-1"], snap.lag["geth-1"])
    assert endpoint_fragments(state, snap.results["geth-1"], snap.lag["geth-1"]) is first  # same result, same counters: no render

    def changed(step):
        before = endpoint_fragments(state, snap.results["geth-1"], snap.lag.get("geth-1"))
        step()
        assert block_bytes(snap) == reference(snap)
        assert endpoint_fragments(state, snap.results["geth-1"], snap.lag.get("geth-1")) is not before

    def new_result():
        sched._record(state, good(200, seconds=0.3))
        snap.results["geth-1"] = state.last

    def a_labelled_series_goes_away():  # the same family at the same place, other labels: the label strings must not be reused
        result = good(201)
        del result.values[("chainwatch_mempool_transactions", (("state", "pending"),))]
        sched._record(state, result)
        snap.results["geth-1"] = state.last

    def finish_adds_a_value():  # what subgraph/opnode finish() do to a result after the round
        snap.results["geth-1"].set("chainwatch_evm_l1_block_number", 99)

    def finish_changes_a_value():
        snap.results["geth-1"].set("chainwatch_evm_l1_block_number", 98)

    def scrape_timed_out():  # Scheduler.probe: a synthetic result and a counter, no new probe
        state.deadline_exceeded += 1
        snap.results["geth-1"] = ProbeResult(False, duration=9.5, reason="timeout")

    def back_to_the_last_result_with_the_counter_moved():
        snap.results["geth-1"] = state.last

    def another_scrape_timed_out():  # a concurrent scrape with a shorter deadline gave up on this endpoint
        state.deadline_exceeded += 1

    def lag_moved():
        snap.lag["geth-1"] = (5.0, 60.0)

    def lag_gone():
        del snap.lag["geth-1"]

    for step in (
        new_result,
        a_labelled_series_goes_away,
        new_result,
        finish_adds_a_value,
        finish_changes_a_value,
        scrape_timed_out,
        back_to_the_last_result_with_the_counter_moved,
        another_scrape_timed_out,
        lag_moved,
        lag_gone,
    ):
        changed(step)


def test_a_reload_that_changes_a_label_re_renders_the_carried_endpoint():
    old = scheduler("mainnet")
    snap = fed(old)
    assert b'network="mainnet"' in block_bytes(snap)
    new = Scheduler(parse(CONFIG.format(network="sepolia"), env={}), transport=None, previous=old)
    assert new.states["geth-1"] is old.states["geth-1"]  # counters carried over...
    snap = replace(snap, states=list(new.states.values()), config=new.config)
    body = block_bytes(snap)
    assert b'network="mainnet"' not in body and b'network="sepolia"' in body  # ...labels not
    assert body == reference(snap)


def test_a_catalog_violation_still_fails_loudly():
    sched = scheduler()
    snap = fed(sched)
    snap.results["geth-1"].set("chainwatch_not_in_the_catalog", 1)
    with pytest.raises(KeyError):
        endpoint_block(snap)
    snap.results["ref-1"].set("chainwatch_peers", 3, region="eu")
    with pytest.raises(KeyError, match="unexpected labels"):
        endpoint_fragments(sched.states["ref-1"], snap.results["ref-1"], None)


def test_a_block_merging_endpoint_lines_with_other_families_is_one_exposition():
    """Worker mode merges the endpoints' cached lines with the parent's chain-wide and
    exporter families in one :class:`Block`: the same bytes as rendering everything at once."""
    from chainwatch.exporters.exposition import Block, family_lines
    from chainwatch.exporters.scheduler import ChainSummary

    sched = scheduler()
    snap = fed(sched)
    snap.chains = {"eth": ChainSummary(configured=1, reachable=1, agreeing=1, head=101.0, stall_seconds=0.5)}
    extra = [
        ("chainwatch_build_info", {"version": "1.2.3"}, 1),
        ("chainwatch_probe_deadline_exceeded_total", {**sched.states["geth-1"].labels, "endpoint": "x-9"}, 4),
    ]
    everything = [*round_samples(snap), *extra]
    fragments = [endpoint_fragments(s, snap.results[s.endpoint.name], snap.lag.get(s.endpoint.name)) for s in snap.states]
    block = Block([*fragments, family_lines([*round_samples(replace(snap, states=[])), *extra])])
    body = b"".join(block.pieces(100))
    assert body == render(everything) == render_with_client(everything) and len(body) == block.length
    assert body.count(b"# TYPE chainwatch_probe_deadline_exceeded_total ") == 1  # an endpoint family with lines from both sources, once
