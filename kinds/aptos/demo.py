"""The demo's SIMULATED Aptos network (``chainwatch.kinds.aptos.simulator``) as ``aptos-sim``.

No aptos-node runs here: one simulator process serves four nodes (``apt-1`` and three
references) of a chain with 1 s blocks and 4 validators; val-1 and val-2 are watched (group
``main``). Faults go through the simulator's ``POST /-/control``.
"""

from __future__ import annotations

from chainwatch.devnet.part import DURATIONS, Fault, SimulatedPart, TEAM, THRESHOLDS

CHAIN = "aptos-sim"
NODES = ("apt-1", "apt-ref-1", "apt-ref-2", "apt-ref-3")
BLOCK_SECONDS = 1.0
EPOCH_BLOCKS = 600  # 10 minutes: a fault's window does not straddle many epochs
SIMULATOR = "chainwatch.kinds.aptos.simulator"
MIN_FAILED = 3


class AptosDemo(SimulatedPart):
    simulator = SIMULATOR
    component = "aptos-sim"
    serves = "SIMULATED Aptos network"
    simulated = "Aptos simulator"
    name = "aptos"
    what = "the Aptos simulator"
    flag_help = "Do not start the simulated Aptos network."
    order = 35
    chains = (CHAIN,)
    durations = {"aptos_proposals": "10s", "aptos_history": "10s"}

    def arguments(self) -> list[str]:
        return ["--nodes", ",".join(NODES), "--validators", "4", "--block-ms", str(int(BLOCK_SECONDS * 1000)), "--epoch-blocks", str(EPOCH_BLOCKS)]

    def chain_blocks(self, slo: dict) -> dict[str, dict]:
        pools = {v["name"]: v["pool_address"] for v in self.state["validators"]}
        return {
            CHAIN: {
                "kind": "aptos",
                "network": "simulated",
                "team": TEAM,
                "chain_id": self.state["chain_id"],
                "block_time_seconds": BLOCK_SECONDS,
                "thresholds": {
                    **THRESHOLDS,
                    "aptos_failed_proposal_ratio": 0.1,
                    "aptos_failed_proposals_min": MIN_FAILED,
                    "aptos_proposal_window": "1m",
                    "durations": {**DURATIONS, **self.durations},
                },
                "slo": slo,
                "endpoints": [{"name": n, "url": f"{self.url}/{n}/v1", "role": "reference" if "ref" in n else "node"} for n in NODES],
                "validators": {
                    "endpoint": "apt-ref-1",
                    "fallbacks": ["apt-ref-2"],
                    "interval_seconds": 1,
                    "groups": {"main": [{"name": "val-1", "pool_address": pools["val-1"]}, {"name": "val-2", "pool_address": pools["val-2"]}]},
                },
            }
        }


AptosDemo.faults = (
    Fault(
        "aptos-node-behind",
        "apt-1 of the simulated Aptos network stops at its height while the chain goes on",
        CHAIN,
        ("ChainwatchSyncLagHigh",),
        ("ChainwatchSyncLagSecondsHigh", "ChainwatchHeadStale"),
        {"endpoint": "apt-1"},
        "sync_lag",
        lambda s: 9,
        lambda s: AptosDemo.send(s, {"action": "lag", "node": "apt-1"}),
        lambda s: AptosDemo.send(s, {"action": "follow", "node": "apt-1"}),
    ),
    Fault(
        "aptos-proposals-failing",
        "validator val-1 of the simulated Aptos network fails every proposal",
        CHAIN,
        ("ChainwatchAptosProposalsFailing",),
        (),
        {"chain": CHAIN},
        "aptos_proposals",
        # val-1 fails one round in three (1 s blocks) while val-2 keeps proposing: the 1m window's failed
        # share passes 10 % after ~10 s, when MIN_FAILED (3) have failed; plus a monitor cycle.
        lambda s: 12,
        lambda s: AptosDemo.send(s, {"action": "fail_proposals", "validator": "val-1"}),
        lambda s: AptosDemo.send(s, {"action": "propose", "validator": "val-1"}),
    ),
    Fault(
        "aptos-validator-leaves",
        "validator val-2 of the simulated Aptos network leaves the validator set (pending_inactive)",
        CHAIN,
        ("ChainwatchAptosValidatorInactive",),
        (),
        {"chain": CHAIN},
        "validator",
        lambda s: 3,
        lambda s: AptosDemo.send(s, {"action": "leave", "validator": "val-2"}),
        lambda s: AptosDemo.send(s, {"action": "rejoin", "validator": "val-2"}),
    ),
)

DEMO = AptosDemo
