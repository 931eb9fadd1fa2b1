"""End-to-end detection: real faults in a real stack, pages measured where PagerDuty would get them.

One stack for the module (``chainwatch.devnet.stack.Stack``, the same the demo runs):
anvil devnet behind a fault proxy, the SIMULATED Solana cluster, Lodestar's dev chain when
installed, ``chainwatch serve``, real Prometheus with the generated rules and real
Alertmanager with the generated config paging the capture receiver. Tests run in file
order and heal what they injected; each waits until Prometheus is quiet before the next.

For every fault: the expected alert must reach the capture receiver within its budget
(threshold crossing + ``for:`` + 2 x scrape interval + group wait + a few seconds), nothing
outside the fault's expected/allowed alerts may page, and after the heal every page must
be followed by a resolve. Measured times are printed after the run and written to
build/e2e/time-to-detect.md.
"""

from __future__ import annotations

import os
import time

import pytest

from chainwatch.devnet import faults as F
from chainwatch.devnet.procs import MissingTool
from chainwatch.devnet.stack import EVM_CHAIN, ROLLUP_L2_CHAIN, Options, Stack
from tests.support.poll import hold, wait_until

from .support import (
    CURRENT,
    RESULTS,
    Result,
    assert_only_expected,
    heal,
    inject_and_detect,
    pages_since,
    wait_quiet,
    wait_resolved,
)

pytestmark = [pytest.mark.e2e, pytest.mark.anvil, pytest.mark.prometheus, pytest.mark.alertmanager]

HEALTHY_SECONDS = float(os.environ.get("CHAINWATCH_E2E_HEALTHY_SECONDS", "120"))
# The user-visible resolve contract (issue #15): every endpoint alert resolves within 2 min of
# the recovery. Usually a few seconds; an alert that was inhibited when it resolved can wait
# for Prometheus' next resend of resolved alerts (--rules.alert.resend-delay, 1 min), which the
# former 60 s limit sometimes missed by a second (ChainwatchSyncLagHigh after stall-node).
RESOLVE_SECONDS = 120.0
RECOVERY_SECONDS = 120  # issue #15: after a heal every page resolves within 2 min, and nothing new opens
# Events keep firing for their look-back window after the event, by design (docs/rules.md).
EVENTS = ("ChainwatchProposalMissed",)

# Shared between the tests of this module (they run in file order).
IGNORE: set[tuple[str, str]] = set()  # (alert, endpoint) of windowed alerts still draining


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    # CHAINWATCH_E2E_BEACON=0 leaves Lodestar out (a quicker stack to rerun one EVM case); its cases then skip.
    beacon = None if os.environ.get("CHAINWATCH_E2E_BEACON", "") != "0" else False
    # The litecoind pair is left out: its faults are proven on real litecoind in tests/bitcoin (with
    # Prometheus), and its miner thread on a loaded 2-core box is one more clock that can slip.
    st = Stack(Options(run_dir=tmp_path_factory.mktemp("demo-stack"), beacon=beacon, bitcoin=False))
    try:
        st.start()
    except MissingTool as exc:
        if os.environ.get("CI"):
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    try:
        yield st
    finally:
        pids = st.pids()
        st.stop()
        alive = [p for p in pids if _alive(p)]
        assert not alive, f"processes left behind: {alive}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def assert_recovered(stack: Stack, runs, quiet: float = RECOVERY_SECONDS) -> None:
    """For ``quiet`` seconds after the last heal: no new notification (a firing one for an alert
    that had not paged before its heal), and by then every alert each fault paged has resolved."""
    healed = max(r.healed_at for r in runs)
    first = min(r.injected_at for r in runs)

    # An alert, not a receiver's copy of it: the second receiver's notification of an alert that
    # paged before the heal may arrive a few milliseconds after it, and is no new incident.
    def alert(p) -> tuple[str, str, str, str]:
        return (p.alertname, p.chain, p.endpoint, p.severity)

    before = {alert(p) for r in runs for p in pages_since(stack, first) if p.received_at <= r.healed_at}

    def new() -> list[str]:
        return [p.line() for p in pages_since(stack, healed) if alert(p) not in before]

    names = ", ".join(r.fault.name for r in runs)
    hold(
        lambda: not new(),
        max(0.0, healed + quiet - time.time()),
        f"{names}: no new notification within {quiet:.0f}s after the heal",
        interval=0.5,
        describe=lambda _: str(new()),
    )
    resolved = {(p.service, p.key) for p in stack.pages(first) if p.is_resolve}
    still = sorted({p.alertname for p in pages_since(stack, first) if (p.service, p.key) not in resolved and p.alertname not in EVENTS})
    assert not still, f"{names}: not resolved {quiet:.0f}s after the heal: {still}"


# Faults of one chain run back to back and share one quiet window after the group's last heal
# (the suite holds 2 min once per group, not per fault: ~25 faults x 2 min would not fit CI).
# Between two faults of a group, the next fault's own check flags any unexpected page.
DEFERRED: list = []


def settle(stack: Stack, run, recovery: float = RECOVERY_SECONDS) -> None:
    """The 2-minute recovery contract for ``run`` and every deferred fault before it."""
    runs = [*DEFERRED, run]
    DEFERRED.clear()
    assert_recovered(stack, runs, recovery)


def check_fault(stack: Stack, name: str, resolve_timeout: float = RESOLVE_SECONDS, recovery: float = RECOVERY_SECONDS, group_end: bool = True):
    run = inject_and_detect(stack, name, IGNORE)
    try:
        assert_only_expected(stack, run, IGNORE)
        heal(stack, run)
        wait_resolved(stack, run, resolve_timeout)
        assert_only_expected(stack, run, IGNORE)
        if group_end:
            settle(stack, run, recovery)
        else:
            assert_recovered(stack, [run], 0)
            DEFERRED.append(run)
        wait_quiet(stack)
    except BaseException:
        _leave_clean(stack, run)
        raise
    return run


def _leave_clean(stack: Stack, run) -> None:
    """A failed fault check still heals its fault and lets the stack go quiet, so the next
    fault's test judges its own fault, not this one's leftovers."""
    DEFERRED.clear()
    if run.healed_at is None:
        heal(stack, run)
    try:
        wait_quiet(stack, timeout=120.0)
    except AssertionError:
        pass  # the failure being raised already says what went wrong


def test_healthy_stack_pages_nobody(stack):
    started = time.time()
    # Watched for the whole window, failing at the first page.
    hold(
        lambda: pages_since(stack, 0) == [],
        HEALTHY_SECONDS,
        "a healthy stack pages nobody",
        interval=1.0,
        describe=lambda _: str([p.line() for p in pages_since(stack, 0)]),
    )
    firing = [a["labels"]["alertname"] for a in stack.firing() if a["state"] == "firing"]
    assert firing == []
    # The stack really was watching: every operated EVM node was scraped and near the references.
    lag = stack.prom_query(f'chainwatch_sync_lag_blocks{{chain="{EVM_CHAIN}",role="node"}} <= 2')
    assert {r["metric"]["endpoint"] for r in lag} == {"node-1", "node-2", "node-3", "node-4"}
    RESULTS.append(Result("healthy", "(none)", None, HEALTHY_SECONDS, note=f"{time.time() - started:.0f}s without a page"))


def test_slow_rpc_and_rpc_errors_page_latency_and_error_ratio(stack):
    """Both windowed faults at once (node-2 slow, node-3 failing half its requests): their
    alerts average over 5m and the last minute, so they resolve within 2 min of the heal."""
    names = ("slow-rpc", "rpc-errors")
    runs = {}
    for name in names:
        F.inject(stack, name)
    from .support import Run

    for name in names:
        fault = F.FAULTS[name]
        runs[name] = Run(fault, stack.active_faults[name], fault.budget(stack))
        CURRENT.append(runs[name])
    deadline = max(r.injected_at + r.budget for r in runs.values())

    def both_detected() -> bool:
        for run in runs.values():
            for p in pages_since(stack, run.injected_at):
                if p.alertname in run.fault.expect and p.endpoint == run.fault.target["endpoint"]:
                    if p.alertname not in run.detected:
                        run.detected[p.alertname] = p.received_at - run.injected_at
                        heal(stack, run)  # heal at once: the shorter the fault, the sooner it leaves the window
        return not any(set(r.fault.expect) - set(r.detected) for r in runs.values())

    try:
        wait_until(both_detected, max(0.0, deadline - time.time()), "slow-rpc and rpc-errors paging", interval=0.2)
    except AssertionError:
        pass  # each missing page is reported below
    for name, run in runs.items():
        if run.healed_at is None:
            heal(stack, run)
        for alert in run.fault.expect:
            run.results.append(Result(name, alert, run.detected.get(alert), run.budget))
        RESULTS.extend(run.results)
    both = tuple(a for r in runs.values() for a in (*r.fault.expect, *r.fault.allow))
    for name, run in runs.items():
        assert run.detected, f"{name}: {run.fault.expect} did not page within {run.budget:.0f}s"
        assert_only_expected(stack, run, set(), also=both)
    # Multi-window alerts (issue #15): resolved within 2 min of the heal, nothing new after it.
    for run in runs.values():
        wait_resolved(stack, run, timeout=RECOVERY_SECONDS, alerts=run.fault.expect)
    assert_recovered(stack, list(runs.values()))
    wait_quiet(stack, ignore_windowed=False)


def test_stalled_node_pages_head_stale(stack):
    check_fault(stack, "stall-node")
    F.wait_healthy_node(stack)


def test_lagging_node_pages_sync_lag(stack):
    run = check_fault(stack, "lag-node")
    assert "ChainwatchHeadStale" not in {p.alertname for p in pages_since(stack, run.injected_at)}  # it lags, it is not stuck
    F.wait_healthy_node(stack)


def test_flooded_mempool_pages_mempool_high(stack):
    check_fault(stack, "flood-mempool")


def test_chain_halt_with_every_node_stale_pages_once(stack):
    run = inject_and_detect(stack, "halt-chain", IGNORE)
    # Keep the halt until every operated node is a firing "head stale" symptom in Prometheus ...
    stale = lambda: {a["labels"]["endpoint"] for a in stack.firing() if a["labels"]["alertname"] == "ChainwatchHeadStale" and a["state"] == "firing"}  # noqa: E731
    # head_stale: 5 s threshold + 15 s for: + a scrape, within 30 s.
    wait_until(
        lambda: stale() == {"node-1", "node-2", "node-3", "node-4"}, 30, "every node head-stale during the halt", interval=0.5, describe=lambda _: str(stale())
    )
    # ... and still: one incident, paged once on each service (watched for three 1 s group intervals).
    others = lambda: [
        p.line() for p in pages_since(stack, run.injected_at) if (p.alertname, p.endpoint) not in IGNORE and p.alertname != "ChainwatchChainHalted"
    ]  # noqa: E731
    hold(lambda: not others(), 3, "nothing but the halt pages", describe=lambda _: str(others()))
    pages = [p for p in pages_since(stack, run.injected_at) if (p.alertname, p.endpoint) not in IGNORE]
    assert [(p.service, p.alertname) for p in pages if p.service == "pagerduty"] == [("pagerduty", "ChainwatchChainHalted")]
    assert [(p.service, p.alertname) for p in pages if p.service == "opsgenie"] == [("opsgenie", "ChainwatchChainHalted")]
    run.results[0].note = "4 nodes head-stale, 1 page"
    heal(stack, run)
    wait_resolved(stack, run, RESOLVE_SECONDS)
    assert_only_expected(stack, run, IGNORE)
    wait_quiet(stack)
    F.wait_healthy_node(stack)


def test_rollup_batcher_stall_pages_the_safe_head_alert(stack):
    check_fault(stack, "batcher-stall", group_end=False)


def test_rollup_lagging_l1_view_pages_the_derivation_alert(stack):
    check_fault(stack, "lag-l1-view", group_end=False)


def test_rollup_sequencer_halt_pages_once_for_the_l2_chain(stack):
    run = inject_and_detect(stack, "halt-sequencer", IGNORE)
    # Keep the halt until the L2 node's head-stale and the L2 chain's halt fire in Prometheus: muted, not paged.
    deadline = time.time() + 40
    firing: set[str] = set()
    while time.time() < deadline and not {"ChainwatchHeadStale", "ChainwatchChainHalted"} <= firing:
        firing = {a["labels"]["alertname"] for a in stack.firing() if a["labels"].get("chain") == ROLLUP_L2_CHAIN and a["state"] == "firing"}
        time.sleep(0.5)
    assert {"ChainwatchHeadStale", "ChainwatchChainHalted"} <= firing, firing
    time.sleep(3)
    pages = [p for p in pages_since(stack, run.injected_at) if (p.alertname, p.endpoint) not in IGNORE]
    assert {(p.service, p.alertname) for p in pages} == {("pagerduty", "ChainwatchSequencerDown"), ("opsgenie", "ChainwatchSequencerDown")}
    assert len(pages) == 2
    run.results[0].note = "L2 node head-stale and L2 chain halt muted, 1 page"
    heal(stack, run)
    wait_resolved(stack, run)
    assert_only_expected(stack, run, IGNORE)
    settle(stack, run)
    wait_quiet(stack)


def test_solana_delinquent_vote_account_pages(stack):
    check_fault(stack, "solana-delinquent", group_end=False)


def test_solana_cluster_halt_pages_once(stack):
    run = check_fault(stack, "solana-halt")
    assert len([p for p in pages_since(stack, run.injected_at) if p.service == "pagerduty" and p.is_page]) == 1


def test_subgraph_falling_behind_pages_lag_while_graph_nodes_own_head_is_stale(stack):
    """The issue's case: 100+ blocks behind the anvil chain pages within its budget although graph-node's
    own chain head is stale too (lag against it would read 0); measured against chainwatch's references."""
    run = inject_and_detect(stack, "subgraph-behind", IGNORE)
    stale = stack.prom_query('chainwatch_subgraph_node_chain_head_lag_blocks{endpoint="graph-sim"} > 0')
    assert stale, "graph-node's own chain head should be behind the references during subgraph-behind"
    assert_only_expected(stack, run, IGNORE)
    heal(stack, run)
    wait_resolved(stack, run, RESOLVE_SECONDS)
    assert_only_expected(stack, run, IGNORE)
    assert_recovered(stack, [run], 0)
    DEFERRED.append(run)
    wait_quiet(stack)


def test_subgraph_stalled_pages_once(stack):
    run = check_fault(stack, "subgraph-stalled", group_end=False)
    assert len([p for p in pages_since(stack, run.injected_at) if p.service == "pagerduty" and p.alertname == "ChainwatchSubgraphStalled"]) == 1


def test_subgraph_fatal_error_pages_once(stack):
    run = check_fault(stack, "subgraph-failed", group_end=False)
    assert "ChainwatchSubgraphStalled" not in {p.alertname for p in pages_since(stack, run.injected_at)}  # failed, not also stalled


def test_subgraph_on_a_fork_warns(stack):
    check_fault(stack, "subgraph-fork")


def test_cosmos_validator_that_stops_signing_pages(stack):
    check_fault(stack, "cosmos-miss-blocks", group_end=False)


def test_cosmos_chain_halt_pages_once_and_no_validator(stack):
    run = check_fault(stack, "cosmos-halt", group_end=False)
    pages = pages_since(stack, run.injected_at)
    assert len([p for p in pages if p.service == "pagerduty" and p.is_page]) == 1
    assert not [p.alertname for p in pages if p.alertname.startswith("ChainwatchCosmosValidator")]  # a halt makes no miss


def test_cosmos_jailed_validator_pages(stack):
    check_fault(stack, "cosmos-jailed", group_end=False)


def test_cosmos_node_catching_up_pages_sync_lag(stack):
    check_fault(stack, "cosmos-catching-up", group_end=False)


def test_cosmos_node_of_another_network_pages_wrong_chain(stack):
    check_fault(stack, "cosmos-wrong-network")


def test_missed_attestations_page(stack):
    try:
        # AttestationMissRatioHigh (allowed) resolves 2 epochs (at least 2 min) after the last missed epoch is processed.
        check_fault(stack, "miss-attestations", recovery=RECOVERY_SECONDS + 60)
    finally:
        # A missed proposal of the frozen validator is an event alert (increase over 1h).
        IGNORE.add(("ChainwatchProposalMissed", "*"))


def test_killed_exporter_pages_exporter_absent(stack):
    check_fault(stack, "kill-exporter")
    assert stack.components["exporter"].proc.alive()


def test_wrong_chain_pages_wrong_chain(stack):
    run = check_fault(stack, "wrong-chain")
    assert run.detected
