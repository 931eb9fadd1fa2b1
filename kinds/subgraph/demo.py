"""The demo's SIMULATED graph-node (``chainwatch.kinds.subgraph.simulator``) as chain ``subgraph-sim``.

graph-node needs PostgreSQL and IPFS, which do not run here: the simulator serves one subgraph
(endpoint ``graph-sim``) that follows the head of the demo's base chain (its first reference)
and indexes that chain. Faults go through the simulator's ``POST /-/control``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chainwatch.devnet.part import DURATIONS, LAG_ALERTS, TEAM, Fault, SimulatedPart
from chainwatch.devnet.procs import rpc

if TYPE_CHECKING:
    from chainwatch.devnet.stack import Stack

CHAIN = "subgraph-sim"
SIMULATOR = "chainwatch.kinds.subgraph.simulator"
BEHIND = 110  # blocks: past the demo's critical lag of 100 (the article's indexer threshold)


class SubgraphDemo(SimulatedPart):
    simulator = SIMULATOR
    component = "subgraph-sim"
    simulated = "graph-node simulator"
    name = "subgraph"
    what = "the graph-node simulator"
    flag_help = "Do not start the simulated graph-node (a subgraph indexing the anvil devnet)."
    order = 20
    chains = (CHAIN,)

    def arguments(self) -> list[str]:
        return ["--chain-url", self.stack.base.reference_url, "--name", "sim", "--poll-ms", "250"]

    def detail(self) -> str:
        return f"SIMULATED graph-node following {self.stack.base.reference_component}"

    def chain_blocks(self, slo: dict) -> dict[str, dict]:
        from chainwatch.kinds.subgraph.simulator import SIM_DEPLOYMENT

        return {
            CHAIN: {
                "kind": "subgraph",
                "network": "anvil",
                "indexes": self.stack.base.chain,
                "team": TEAM,
                "deployment": SIM_DEPLOYMENT,
                "stall_seconds": 10,
                "thresholds": {
                    # The article's indexer alert: 100 blocks (here 1 s blocks, so also 100 s); warning at half.
                    "sync_lag_blocks_warning": 50,
                    "sync_lag_blocks_critical": 100,
                    "sync_lag_seconds_warning": 50,
                    "sync_lag_seconds_critical": 100,
                    "rpc_latency_p95_seconds": 0.25,
                    "durations": DURATIONS,
                },
                "slo": slo,
                "endpoints": [{"name": "graph-sim", "url": f"{self.url}/subgraphs/name/sim", "index_node_url": f"{self.url}/graphql"}],
            }
        }


def behind_inject(stack: "Stack") -> None:
    """graph-node's own chain head freezes and the subgraph drops BEHIND blocks behind the
    chain: graph-node itself sees no lag (it never indexes past its own stale head)."""
    SubgraphDemo.send(stack, {"action": "node_head_stale"}, {"action": "behind", "blocks": BEHIND})


def _behind_threshold(stack: "Stack") -> float:
    # Lag is BEHIND at once when the chain is that long; on a younger chain it is the whole head and grows 1/s.
    return max(3.0, 101.0 - int(rpc(stack.base.reference_url, "eth_blockNumber"), 16))


def _heal(stack: "Stack") -> None:
    SubgraphDemo.send(stack, {"action": "heal"})


SubgraphDemo.faults = (
    Fault(
        "subgraph-behind",
        f"the simulated subgraph drops {BEHIND} blocks behind devnet while graph-node's own chain head goes stale",
        CHAIN,
        ("ChainwatchSyncLagHigh",),
        ("ChainwatchSyncLagSecondsHigh", "ChainwatchSubgraphStalled"),
        {"endpoint": "graph-sim"},
        "sync_lag",
        _behind_threshold,
        behind_inject,
        _heal,
    ),
    Fault(
        "subgraph-stalled",
        "the simulated subgraph stops indexing while devnet goes on",
        CHAIN,
        ("ChainwatchSubgraphStalled",),
        LAG_ALERTS,
        {"endpoint": "graph-sim"},
        "head_stale",
        lambda s: 10,
        lambda s: SubgraphDemo.send(s, {"action": "stall"}),
        _heal,
    ),
    Fault(
        "subgraph-failed",
        "the simulated subgraph hits a fatal error (health failed, indexing stops)",
        CHAIN,
        ("ChainwatchSubgraphFailed",),
        LAG_ALERTS,
        {"endpoint": "graph-sim"},
        "validator",
        lambda s: 2,
        lambda s: SubgraphDemo.send(s, {"action": "fatal"}),
        _heal,
    ),
    Fault(
        "subgraph-fork",
        "the simulated subgraph reports block hashes devnet does not have (it indexed a fork)",
        CHAIN,
        ("ChainwatchSubgraphOnFork",),
        (),
        {"endpoint": "graph-sim"},
        "down",
        lambda s: 2,
        lambda s: SubgraphDemo.send(s, {"action": "fork"}),
        _heal,
    ),
)

DEMO = SubgraphDemo
