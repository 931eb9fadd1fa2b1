"""The demo's OP Stack rollup: an L2 execution chain ``rollup-l2`` (chain id 901, another chain
of the base part's kind: an anvil playing the sequencer) and the SIMULATED op-node
(``chainwatch.kinds.opnode.simulator``; no op-node runs here) deriving it from the base chain
as its L1, watched as chain ``rollup``. Faults go through the simulator's ``POST /-/control``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chainwatch.devnet.part import DURATIONS, TEAM, Fault, SimulatedPart

if TYPE_CHECKING:
    from chainwatch.devnet.stack import Stack

CHAIN = "rollup"  # the op-node
L2_CHAIN = "rollup-l2"  # its L2 execution chain, of the base chain's kind
L2_CHAIN_ID = 901
# The simulated op-node keeps its safe head 2 blocks (2 s) behind; the L1 view lags 0-1 blocks.
SAFE_LAG_SECONDS = 10
L1_LAG_BLOCKS = 3
SIMULATOR = "chainwatch.kinds.opnode.simulator"


class RollupDemo(SimulatedPart):
    simulator = SIMULATOR
    component = "opnode-sim"
    simulated = "op-node simulator"
    name = "rollup"
    what = "the rollup (L2 anvil and simulated op-node)"
    flag_help = "Do not start the OP Stack rollup (L2 anvil and simulated op-node)."
    order = 50
    chains = (L2_CHAIN, CHAIN)

    def __init__(self, stack: "Stack"):
        super().__init__(stack)
        self.l2_url = ""  # not one of the base chain's nodes: its halt leaves the L2 running

    def components(self) -> tuple[tuple[str, str], ...]:
        return (("anvil-rollup-l2", "process"), *super().components())

    def arguments(self) -> list[str]:
        return ["--l1", self.stack.base.reference_url, "--l2", self.l2_url]

    def detail(self) -> str:
        return f"SIMULATED op-node (L1 {self.stack.base.reference_name}, L2 anvil-rollup-l2)"

    def start(self) -> None:
        self.l2_url = self.stack.base.start_chain("anvil-rollup-l2", L2_CHAIN_ID, "the sequencer's L2 chain")
        super().start()

    def chain_blocks(self, slo: dict) -> dict[str, dict]:
        fast = {
            "head_stale_blocks": 5,
            "head_stale_min_seconds": 5,
            "chain_halt_blocks": 5,
            "chain_halt_min_seconds": 5,
            "rpc_latency_p95_seconds": 0.25,
            "peers_min": 0,
            "durations": DURATIONS,
        }
        return {
            L2_CHAIN: {
                "kind": self.stack.base.kind,
                "network": "anvil",
                "chain_id": L2_CHAIN_ID,
                "team": TEAM,
                "block_time_seconds": 1,
                "thresholds": fast,
                "slo": slo,
                "endpoints": [
                    {"name": "l2-seq", "url": self.l2_url, "role": "reference"},
                    {"name": "l2-node-1", "url": self.l2_url, "role": "node"},
                ],
            },
            CHAIN: {
                "kind": "opnode",
                "network": "anvil",
                "team": TEAM,
                "block_time_seconds": 1,
                "l1_chain": self.stack.base.chain,
                "l2_chain": L2_CHAIN,
                "l2_chain_id": L2_CHAIN_ID,
                "thresholds": fast,
                "slo": slo,
                "rollup": {
                    "safe_lag_seconds": SAFE_LAG_SECONDS,
                    "safe_lag_for": DURATIONS["sync_lag"],
                    "l1_lag_blocks": L1_LAG_BLOCKS,
                    "l1_lag_for": DURATIONS["sync_lag"],
                    "finality_lag_seconds": 600,
                    "finality_lag_for": "1m",
                },
                "endpoints": [{"name": "op-node-1", "url": self.url, "role": "node"}],
            },
        }


def _control(stack: "Stack", action: str) -> None:
    RollupDemo.send(stack, {"action": action})


RollupDemo.faults = (
    Fault(
        "batcher-stall",
        "the rollup's batcher stops: the op-node's safe head freezes while the sequencer goes on",
        CHAIN,
        ("ChainwatchRollupSafeHeadLagging",),
        (),
        {"endpoint": "op-node-1"},
        "sync_lag",
        lambda s: SAFE_LAG_SECONDS,
        lambda s: _control(s, "stall_batcher"),
        lambda s: _control(s, "heal"),
    ),
    Fault(
        "lag-l1-view",
        "the op-node's L1 node stops following L1 (its L1 view freezes while L1 goes on)",
        CHAIN,
        ("ChainwatchRollupL1ViewBehind",),
        ("ChainwatchRollupSafeHeadLagging",),
        {"endpoint": "op-node-1"},
        "sync_lag",
        lambda s: L1_LAG_BLOCKS + 1,
        lambda s: _control(s, "lag_l1"),
        lambda s: _control(s, "heal"),
    ),
    Fault(
        "halt-sequencer",
        "the rollup's sequencer stops (L2 anvil mining frozen) while L1 goes on: one page for rollup-l2",
        L2_CHAIN,
        ("ChainwatchSequencerDown",),
        (),
        {"chain": L2_CHAIN},
        "chain_halt",
        lambda s: 6,
        lambda s: _control(s, "halt_sequencer"),
        lambda s: _control(s, "heal"),
    ),
)

DEMO = RollupDemo
