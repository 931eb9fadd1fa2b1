"""The demo's SIMULATED Solana cluster (``chainwatch.kinds.solana.simulator``) as chain ``solana-sim``.

No Solana validator runs here: one simulator process serves four RPC nodes (``sol-rpc-1`` and
three references) and four validators, val-1 and val-2 watched (group ``main``). Faults go
through the simulator's ``POST /-/control``.
"""

from __future__ import annotations

from chainwatch.devnet.part import DURATIONS, TEAM, SimulatedPart, Fault

CHAIN = "solana-sim"
NODES = ("sol-rpc-1", "sol-ref-1", "sol-ref-2", "sol-ref-3")
WATCHED = ("val-1", "val-2")
SIMULATOR = "chainwatch.kinds.solana.simulator"


class SolanaDemo(SimulatedPart):
    simulator = SIMULATOR
    component = "solana-sim"
    serves = "SIMULATED cluster"
    simulated = "Solana simulator"
    name = "solana"
    what = "the Solana simulator"
    flag_help = "Do not start the simulated Solana cluster."
    order = 10
    chains = (CHAIN,)
    durations = {"solana": "10s"}

    def arguments(self) -> list[str]:
        return ["--nodes", ",".join(NODES), "--validators", "4", "--delinquent-slots", "20"]

    def chain_blocks(self, slo: dict) -> dict[str, dict]:
        validators = {v["name"]: v for v in self.state["validators"]}
        return {
            CHAIN: {
                "kind": "solana",
                "network": "simulated",
                "team": TEAM,
                "thresholds": {
                    "sync_lag_blocks_warning": 50,
                    "sync_lag_blocks_critical": 200,
                    "sync_lag_seconds_warning": 20,
                    "sync_lag_seconds_critical": 80,
                    "head_stale_blocks": 10,
                    "head_stale_min_seconds": 5,
                    "chain_halt_blocks": 10,
                    "chain_halt_min_seconds": 5,
                    "solana_vote_lag_slots": 30,
                    "solana_behind_slots": 100,
                    "rpc_latency_p95_seconds": 0.25,
                    "durations": {**DURATIONS, **self.durations},
                },
                "slo": slo,
                "endpoints": [{"name": n, "url": f"{self.url}/{n}", "role": "reference" if "ref" in n else "node"} for n in NODES],
                "validators": {
                    "endpoint": "sol-ref-1",
                    "fallbacks": ["sol-ref-2"],
                    "interval_seconds": 3,
                    "groups": {"main": [{"name": v, "vote_account": validators[v]["vote_account"], "identity": validators[v]["identity"]} for v in WATCHED]},
                },
            }
        }


SolanaDemo.faults = (
    Fault(
        "solana-delinquent",
        "validator val-1 of the simulated Solana cluster stops voting",
        CHAIN,
        ("ChainwatchSolanaVoteDelinquent",),
        (),
        {"chain": CHAIN},
        "solana",
        lambda s: 13 + 15,
        lambda s: SolanaDemo.send(s, {"action": "stop_voting", "validator": "val-1"}),
        lambda s: SolanaDemo.send(s, {"action": "resume_voting", "validator": "val-1"}),
    ),
    Fault(
        "solana-halt",
        "the simulated Solana cluster stops producing slots",
        CHAIN,
        ("ChainwatchSolanaClusterHalted",),
        (),
        {"chain": CHAIN},
        "chain_halt",
        lambda s: 7,
        lambda s: SolanaDemo.send(s, {"action": "halt"}),
        lambda s: SolanaDemo.send(s, {"action": "resume"}),
    ),
)

DEMO = SolanaDemo
