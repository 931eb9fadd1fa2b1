"""Faults the demo can inject into its running stack, what each must page, and its budget.

Each fault changes a real piece (an anvil's mining, the RPC proxy, the Solana and graph-node simulators,
a Lodestar validator client, the exporter process) — never the metrics or the alerts — so
what pages is what chainwatch actually detected.

``expect``: alerts that must reach the capture receiver; ``allow``: alerts that may page
too because they describe the same fault (a stalled node also lags); anything else is an
unexpected page. ``budget(stack)``: time to cross the threshold + the rule's ``for:`` +
2 x scrape interval + Alertmanager group wait + a few seconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from chainwatch.devnet.procs import rpc, wait_until
from chainwatch.devnet.stack import (
    BEACON_CHAIN,
    BITCOIN_CHAIN,
    COSMOS_CHAIN,
    ALL_DURATIONS,
    EVM_CHAIN,
    REFERENCES,
    ROLLUP_CHAIN,
    ROLLUP_L1_LAG_BLOCKS,
    ROLLUP_L2_CHAIN,
    ROLLUP_SAFE_LAG_SECONDS,
    SOLANA_CHAIN,
    SUBGRAPH_CHAIN,
    Stack,
    seconds,
)

DEV_ACCOUNT = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
DEFAULT_GAS_LIMIT = 30_000_000
SLACK_SECONDS = 6.0


class FaultUnavailable(RuntimeError):
    """The piece this fault needs is not running (not installed, or not in this build)."""


@dataclass(frozen=True)
class Fault:
    name: str
    help: str
    chain: str
    expect: tuple[str, ...]
    allow: tuple[str, ...]
    target: dict  # labels every expected page carries, e.g. {"endpoint": "node-1"}
    duration: str  # key of thresholds.durations that is the alert's for:
    threshold_seconds: Callable[[Stack], float]
    inject: Callable[[Stack], None]
    heal: Callable[[Stack], None]

    def budget(self, stack: Stack) -> float:
        scrape = stack.options.scrape_interval
        return self.threshold_seconds(stack) + seconds(ALL_DURATIONS[self.duration]) + 2 * scrape + stack.options.evaluation_interval + 1 + SLACK_SECONDS

    def available(self, stack: Stack) -> None:
        if self.chain == SOLANA_CHAIN and not stack.has_solana:
            raise FaultUnavailable(f"{self.name} needs the Solana simulator, which is not running: {stack.skipped.get('solana', 'unknown reason')}")
        if self.chain == SUBGRAPH_CHAIN and not stack.has_subgraph:
            raise FaultUnavailable(f"{self.name} needs the graph-node simulator, which is not running: {stack.skipped.get('subgraph', 'unknown reason')}")
        if self.chain == COSMOS_CHAIN and not stack.has_cosmos:
            raise FaultUnavailable(f"{self.name} needs the CometBFT simulator, which is not running: {stack.skipped.get('cosmos', 'unknown reason')}")
        if self.chain == BITCOIN_CHAIN and not stack.has_bitcoin:
            raise FaultUnavailable(f"{self.name} needs the litecoind regtest pair, which is not running: {stack.skipped.get('bitcoin', 'unknown reason')}")
        if self.chain in (ROLLUP_CHAIN, ROLLUP_L2_CHAIN) and not stack.has_rollup:
            raise FaultUnavailable(
                f"{self.name} needs the rollup (L2 anvil and simulated op-node), which is not running: {stack.skipped.get('rollup', 'unknown reason')}"
            )
        if self.chain == BEACON_CHAIN and not stack.has_beacon:
            raise FaultUnavailable(f"{self.name} needs the Lodestar dev chain, which is not running: {stack.skipped.get('beacon', 'unknown reason')}")


# --------------------------------------------------------------------------- anvil helpers


def _head(url: str) -> int:
    return int(rpc(url, "eth_blockNumber"), 16)


def _freeze(url: str) -> None:
    rpc(url, "evm_setAutomine", [False])
    rpc(url, "evm_setIntervalMining", [0])


def _mine_every(url: str, interval: int) -> None:
    rpc(url, "evm_setIntervalMining", [interval])


def _resync(stack: Stack, name: str) -> None:
    """Mine the node up to the references' head (timestamps now, not in the future), then 1 block/s."""
    url = stack.anvils[name]
    target = max(_head(stack.anvils[r]) for r in REFERENCES)
    missing = target - _head(url)
    if missing > 0:
        rpc(url, "anvil_mine", [hex(missing), "0x0"])
    _mine_every(url, 1)


def _since_start(stack: Stack) -> float:
    return time.time() - (stack.ready_at or stack.started_at)


def _window_fill(fraction: float) -> Callable[[Stack], float]:
    """Seconds until a fault that affects ``fraction`` of requests passes 5% of the 5m rate window."""

    def threshold(stack: Stack) -> float:
        window = min(300.0, _since_start(stack) + 30)
        return 0.05 * window / fraction + 3

    return threshold


# --------------------------------------------------------------------------- EVM faults


def stall_inject(stack: Stack) -> None:
    _freeze(stack.anvils["node-1"])


def stall_heal(stack: Stack) -> None:
    _resync(stack, "node-1")


def lag_inject(stack: Stack) -> None:
    _mine_every(stack.anvils["node-1"], 3)  # one block every 3 s while the chain makes one a second


def flood_inject(stack: Stack) -> None:
    url = stack.anvils["node-1"]
    rpc(url, "evm_setBlockGasLimit", [hex(21000)])  # one transfer per block: the pool cannot drain
    # anvil may already be building the next block with the old limit, which would take most of
    # the flood at once: send only once a block carries the new one.
    wait_until(lambda: int(rpc(url, "eth_getBlockByNumber", ["latest", False])["gasLimit"], 16) == 21000, 15, "node-1 mining with the one-transfer gas limit")
    for _ in range(100):
        rpc(url, "eth_sendTransaction", [{"from": DEV_ACCOUNT, "to": DEV_ACCOUNT, "value": "0x1"}])


def flood_heal(stack: Stack) -> None:
    url = stack.anvils["node-1"]
    rpc(url, "evm_setBlockGasLimit", [hex(DEFAULT_GAS_LIMIT)])
    rpc(url, "anvil_dropAllTransactions")


def halt_inject(stack: Stack) -> None:
    for url in stack.anvils.values():
        _freeze(url)


def halt_heal(stack: Stack) -> None:
    # Nodes first, references a moment later: the per-node "head stale" symptoms must be gone
    # before the chain-wide alert that inhibits them resolves, or they would page on the way out.
    for name in ("node-1", "node-2"):
        _mine_every(stack.anvils[name], 1)
    time.sleep(stack.options.scrape_interval + 1.5)
    for name in REFERENCES:
        _mine_every(stack.anvils[name], 1)
    time.sleep(1.2)
    for name in ("node-1", "node-2"):
        _resync(stack, name)


def _proxy(stack: Stack, node: str, fault: str | None, **kw) -> None:
    assert stack.proxy is not None
    if fault is None:
        stack.call_soon(stack.proxy.clear, node)
    else:
        stack.call_soon(lambda: stack.proxy.set_fault(node, fault, **kw))


def kill_exporter(stack: Stack) -> None:
    proc = stack.components["exporter"].proc
    import signal

    proc.signal(signal.SIGKILL)
    proc.proc.wait(5)
    stack.components["exporter"].status = "failed"
    stack.components["exporter"].detail = "killed by the kill-exporter fault"


def restart_exporter(stack: Stack) -> None:
    if stack.components["exporter"].proc.alive():
        return
    stack.start_exporter()


# --------------------------------------------------------------------------- Solana and beacon


def _solana(stack: Stack, body: dict) -> None:
    from chainwatch.devnet.procs import http_json

    http_json(stack.solana_url + "/-/control", body)


def _subgraph(stack: Stack, *bodies: dict) -> None:
    from chainwatch.devnet.procs import http_json

    for body in bodies:
        http_json(stack.subgraph_url + "/-/control", body)


SUBGRAPH_BEHIND = 110  # blocks: past the demo's critical lag of 100 (the article's indexer threshold)


def subgraph_behind_inject(stack: Stack) -> None:
    """graph-node's own chain head freezes and the subgraph drops SUBGRAPH_BEHIND blocks behind the
    chain: graph-node itself sees no lag (it never indexes past its own stale head)."""
    _subgraph(stack, {"action": "node_head_stale"}, {"action": "behind", "blocks": SUBGRAPH_BEHIND})


def _subgraph_behind_threshold(stack: Stack) -> float:
    # Lag is SUBGRAPH_BEHIND at once when the chain is that long; on a younger chain it is the whole head and grows 1/s.
    return max(3.0, 101.0 - _head(stack.anvils[REFERENCES[0]]))


def _cosmos(stack: Stack, body: dict) -> None:
    from chainwatch.devnet.procs import http_json

    http_json(stack.cosmos_url + "/-/control", body)


def _cosmos_heal_jail(stack: Stack) -> None:
    _cosmos(stack, {"action": "unjail", "validator": "val-2"})


def spare_validator(stack: Stack, stop: bool) -> None:
    import signal

    comp = stack.components.get("lodestar-validator-spare")
    if comp is None or comp.proc is None:
        raise FaultUnavailable("the spare validator client is not running")
    comp.proc.signal(signal.SIGSTOP if stop else signal.SIGCONT)
    comp.status = "stopped" if stop else "up"
    comp.detail = f"pid {comp.proc.pid}, index 6" + (" (SIGSTOPped by miss-attestations)" if stop else "")


def _opnode(stack: Stack, action: str) -> None:
    from chainwatch.devnet.procs import http_json

    http_json(stack.opnode_url.rstrip("/") + "/-/control", {"action": action})


def _epochs(stack: Stack, n: float) -> float:
    return n * 8 * stack.options.seconds_per_slot


LAG_ALERTS = ("ChainwatchSyncLagHigh", "ChainwatchSyncLagSecondsHigh")


# --------------------------------------------------------------------------- litecoind regtest pair


def ltc_network(stack: Stack, active: bool) -> None:
    """``setnetworkactive`` on ltc-node: false cuts it off (peers 0) while ltc-ref keeps mining."""
    stack.ltc_rpc("ltc-node", "setnetworkactive", active)
    comp = stack.components["litecoind-ltc-node"]
    comp.detail = f"pid {comp.proc.pid}, REAL regtest node" + ("" if active else " (network off: isolate-ltc-node)")


def ltc_stop(stack: Stack) -> None:
    comp = stack.components["litecoind-ltc-node"]
    comp.proc.stop()
    comp.status, comp.detail = "stopped", "stopped by the stop-ltc-node fault"


def ltc_start(stack: Stack) -> None:
    comp = stack.components["litecoind-ltc-node"]
    if comp.proc is None or not comp.proc.alive():
        stack.start_litecoind("ltc-node")


def _ltc_blocks(stack: Stack, n: float) -> float:
    return n * stack.options.ltc_block_seconds


FAULTS: dict[str, Fault] = {
    f.name: f
    for f in (
        Fault(
            "stall-node",
            "node-1 stops producing blocks (anvil mining frozen)",
            EVM_CHAIN,
            ("ChainwatchHeadStale",),
            LAG_ALERTS,
            {"endpoint": "node-1"},
            "head_stale",
            lambda s: 6,
            stall_inject,
            stall_heal,
        ),
        Fault(
            "lag-node",
            "node-1 imports a block every 3 s while the chain makes one a second",
            EVM_CHAIN,
            ("ChainwatchSyncLagHigh",),
            ("ChainwatchSyncLagSecondsHigh",),
            {"endpoint": "node-1"},
            "sync_lag",
            lambda s: 9,
            lag_inject,
            stall_heal,
        ),
        Fault(
            "flood-mempool",
            "100 transactions sent to node-1 while its block gas limit fits one per block",
            EVM_CHAIN,
            ("ChainwatchMempoolHigh",),
            ("ChainwatchMempoolNotMined",),
            {"endpoint": "node-1"},
            "mempool",
            lambda s: 3,
            flood_inject,
            flood_heal,
        ),
        Fault(
            "slow-rpc",
            "the proxy delays every request to node-2 by 0.6 s",
            EVM_CHAIN,
            ("ChainwatchRpcLatencyHigh",),
            (),
            {"endpoint": "node-2"},
            "rpc_latency",
            _window_fill(1.0),
            lambda s: _proxy(s, "node-2", "slow", delay=0.6),
            lambda s: _proxy(s, "node-2", None),
        ),
        Fault(
            "rpc-errors",
            "the proxy answers every second request to node-3 with HTTP 503",
            EVM_CHAIN,
            ("ChainwatchRpcErrorRatioHigh",),
            ("ChainwatchProbeFailing",),
            {"endpoint": "node-3"},
            "rpc_errors",
            _window_fill(0.5),
            lambda s: _proxy(s, "node-3", "errors", every=2),
            lambda s: _proxy(s, "node-3", None),
        ),
        Fault(
            "wrong-chain",
            "node-4 answers eth_chainId 1 (mainnet) on the 31337 devnet",
            EVM_CHAIN,
            ("ChainwatchWrongChain",),
            ("ChainwatchEndpointDown", "ChainwatchProbeFailing"),
            {"endpoint": "node-4"},
            "down",
            lambda s: 3,
            lambda s: _proxy(s, "node-4", "wrong_chain", chain_id=1),
            lambda s: _proxy(s, "node-4", None),
        ),
        Fault(
            "halt-chain",
            "every anvil stops (references and nodes): one page for the chain, not one per node",
            EVM_CHAIN,
            ("ChainwatchChainHalted",),
            (),
            {"chain": EVM_CHAIN},
            "chain_halt",
            lambda s: 7,
            halt_inject,
            halt_heal,
        ),
        Fault(
            "kill-exporter",
            "the chainwatch exporter process is killed (SIGKILL)",
            EVM_CHAIN,
            ("ChainwatchExporterAbsent",),
            (),
            {},
            "down",
            lambda s: s.options.scrape_interval + 1,
            kill_exporter,
            restart_exporter,
        ),
        Fault(
            "solana-delinquent",
            "validator val-1 of the simulated Solana cluster stops voting",
            SOLANA_CHAIN,
            ("ChainwatchSolanaVoteDelinquent",),
            (),
            {"chain": SOLANA_CHAIN},
            "solana",
            lambda s: 13 + 15,
            lambda s: _solana(s, {"action": "stop_voting", "validator": "val-1"}),
            lambda s: _solana(s, {"action": "resume_voting", "validator": "val-1"}),
        ),
        Fault(
            "solana-halt",
            "the simulated Solana cluster stops producing slots",
            SOLANA_CHAIN,
            ("ChainwatchSolanaClusterHalted",),
            (),
            {"chain": SOLANA_CHAIN},
            "chain_halt",
            lambda s: 7,
            lambda s: _solana(s, {"action": "halt"}),
            lambda s: _solana(s, {"action": "resume"}),
        ),
        Fault(
            "subgraph-behind",
            f"the simulated subgraph drops {SUBGRAPH_BEHIND} blocks behind devnet while graph-node's own chain head goes stale",
            SUBGRAPH_CHAIN,
            ("ChainwatchSyncLagHigh",),
            ("ChainwatchSyncLagSecondsHigh", "ChainwatchSubgraphStalled"),
            {"endpoint": "graph-sim"},
            "sync_lag",
            _subgraph_behind_threshold,
            subgraph_behind_inject,
            lambda s: _subgraph(s, {"action": "heal"}),
        ),
        Fault(
            "subgraph-stalled",
            "the simulated subgraph stops indexing while devnet goes on",
            SUBGRAPH_CHAIN,
            ("ChainwatchSubgraphStalled",),
            LAG_ALERTS,
            {"endpoint": "graph-sim"},
            "head_stale",
            lambda s: 10,
            lambda s: _subgraph(s, {"action": "stall"}),
            lambda s: _subgraph(s, {"action": "heal"}),
        ),
        Fault(
            "subgraph-failed",
            "the simulated subgraph hits a fatal error (health failed, indexing stops)",
            SUBGRAPH_CHAIN,
            ("ChainwatchSubgraphFailed",),
            LAG_ALERTS,
            {"endpoint": "graph-sim"},
            "validator",
            lambda s: 2,
            lambda s: _subgraph(s, {"action": "fatal"}),
            lambda s: _subgraph(s, {"action": "heal"}),
        ),
        Fault(
            "subgraph-fork",
            "the simulated subgraph reports block hashes devnet does not have (it indexed a fork)",
            SUBGRAPH_CHAIN,
            ("ChainwatchSubgraphOnFork",),
            (),
            {"endpoint": "graph-sim"},
            "down",
            lambda s: 2,
            lambda s: _subgraph(s, {"action": "fork"}),
            lambda s: _subgraph(s, {"action": "heal"}),
        ),
        Fault(
            "cosmos-miss-blocks",
            "validator val-1 of the simulated CometBFT chain stops signing",
            COSMOS_CHAIN,
            ("ChainwatchCosmosValidatorMissingBlocks",),
            ("ChainwatchCosmosValidatorSoloMissRatioHigh", "ChainwatchCosmosValidatorCloseToJail", "ChainwatchCosmosValidatorJailed"),
            {"chain": COSMOS_CHAIN},
            "cosmos_signing",
            lambda s: 5 + 2,
            lambda s: _cosmos(s, {"action": "stop_signing", "validator": "val-1"}),
            lambda s: _cosmos(s, {"action": "unjail", "validator": "val-1"}),
        ),  # signs again (and leaves jail if it got there)
        Fault(
            "cosmos-halt",
            "the simulated CometBFT chain stops making blocks: one halt page, no validator page",
            COSMOS_CHAIN,
            ("ChainwatchChainHalted",),
            (),
            {"chain": COSMOS_CHAIN},
            "chain_halt",
            lambda s: 7,
            lambda s: _cosmos(s, {"action": "halt"}),
            lambda s: _cosmos(s, {"action": "resume"}),
        ),
        Fault(
            "cosmos-jailed",
            "validator val-2 of the simulated CometBFT chain is jailed",
            COSMOS_CHAIN,
            ("ChainwatchCosmosValidatorJailed",),
            (),
            {"chain": COSMOS_CHAIN},
            "cosmos_signing",
            lambda s: 4,
            lambda s: _cosmos(s, {"action": "jail", "validator": "val-2"}),
            _cosmos_heal_jail,
        ),
        Fault(
            "cosmos-catching-up",
            "cos-rpc-1 reports catching_up and stops at its height",
            COSMOS_CHAIN,
            ("ChainwatchSyncLagHigh",),
            ("ChainwatchSyncLagSecondsHigh", "ChainwatchHeadStale"),
            {"endpoint": "cos-rpc-1"},
            "sync_lag",
            lambda s: 9,
            lambda s: _cosmos(s, {"action": "catch_up", "node": "cos-rpc-1"}),
            lambda s: _cosmos(s, {"action": "caught_up", "node": "cos-rpc-1"}),
        ),
        Fault(
            "cosmos-wrong-network",
            "cos-rpc-1 answers another chain id in node_info.network",
            COSMOS_CHAIN,
            ("ChainwatchWrongChain",),
            ("ChainwatchEndpointDown", "ChainwatchProbeFailing"),
            {"endpoint": "cos-rpc-1"},
            "down",
            lambda s: 3,
            lambda s: _cosmos(s, {"action": "set_network", "node": "cos-rpc-1"}),
            lambda s: _cosmos(s, {"action": "reset_network", "node": "cos-rpc-1"}),
        ),
        Fault(
            "isolate-ltc-node",
            "ltc-node (real litecoind) is cut off the network (setnetworkactive false) while ltc-ref keeps mining",
            BITCOIN_CHAIN,
            ("ChainwatchSyncLagHigh",),
            ("ChainwatchSyncLagSecondsHigh", "ChainwatchPeersLow"),
            {"endpoint": "ltc-node"},
            "sync_lag",
            lambda s: _ltc_blocks(s, 4) + 2,
            lambda s: ltc_network(s, False),
            lambda s: ltc_network(s, True),
        ),
        Fault(
            "stop-ltc-node",
            "the litecoind of ltc-node is stopped",
            BITCOIN_CHAIN,
            ("ChainwatchEndpointDown",),
            ("ChainwatchProbeFailing",),
            {"endpoint": "ltc-node"},
            "down",
            lambda s: 3,
            ltc_stop,
            ltc_start,
        ),
        Fault(
            "batcher-stall",
            "the rollup's batcher stops: the op-node's safe head freezes while the sequencer goes on",
            ROLLUP_CHAIN,
            ("ChainwatchRollupSafeHeadLagging",),
            (),
            {"endpoint": "op-node-1"},
            "sync_lag",
            lambda s: ROLLUP_SAFE_LAG_SECONDS,
            lambda s: _opnode(s, "stall_batcher"),
            lambda s: _opnode(s, "heal"),
        ),
        Fault(
            "lag-l1-view",
            "the op-node's L1 node stops following L1 (its L1 view freezes while L1 goes on)",
            ROLLUP_CHAIN,
            ("ChainwatchRollupL1ViewBehind",),
            ("ChainwatchRollupSafeHeadLagging",),
            {"endpoint": "op-node-1"},
            "sync_lag",
            lambda s: ROLLUP_L1_LAG_BLOCKS + 1,
            lambda s: _opnode(s, "lag_l1"),
            lambda s: _opnode(s, "heal"),
        ),
        Fault(
            "halt-sequencer",
            "the rollup's sequencer stops (L2 anvil mining frozen) while L1 goes on: one page for rollup-l2",
            ROLLUP_L2_CHAIN,
            ("ChainwatchSequencerDown",),
            (),
            {"chain": ROLLUP_L2_CHAIN},
            "chain_halt",
            lambda s: 6,
            lambda s: _opnode(s, "halt_sequencer"),
            lambda s: _opnode(s, "heal"),
        ),
        Fault(
            "miss-attestations",
            "the validator client of group spare (index 6) is frozen with SIGSTOP",
            BEACON_CHAIN,
            ("ChainwatchAttestationsMissed",),
            ("ChainwatchAttestationMissRatioHigh", "ChainwatchProposalMissed"),
            {"chain": BEACON_CHAIN},
            "validator",
            lambda s: _epochs(s, 4.5),
            lambda s: spare_validator(s, True),
            lambda s: spare_validator(s, False),
        ),
    )
}


def inject(stack: Stack, name: str) -> Fault:
    fault = FAULTS.get(name)
    if fault is None:
        raise KeyError(f"unknown fault {name!r}; faults: {', '.join(FAULTS)}")
    fault.available(stack)
    if name in stack.active_faults:
        raise ValueError(f"{name} is already injected; run `chainwatch demo heal` first")
    fault.inject(stack)
    stack.active_faults[name] = time.time()
    stack.progress(stack)
    return fault


def heal(stack: Stack, names: list[str] | None = None) -> list[str]:
    """Undo the given (default: every active) fault, most recent first."""
    todo = sorted(stack.active_faults.copy().items(), key=lambda kv: -kv[1])  # a copy: the e2e suite injects from several threads
    healed = []
    for name, _ in todo:
        if names and name not in names:
            continue
        FAULTS[name].heal(stack)
        stack.active_faults.pop(name, None)
        healed.append(name)
    stack.progress(stack)
    return healed


def wait_healthy_node(stack: Stack, name: str = "node-1", timeout: float = 20) -> None:
    """After a heal: wait until the exporter sees the node close to the references again."""

    def ok():
        rows = stack.prom_query(f'chainwatch_sync_lag_blocks{{chain="{EVM_CHAIN}",endpoint="{name}"}} <= 2')
        return bool(rows)

    wait_until(ok, timeout, f"{name} did not catch up after heal", interval=0.5)
