"""The demo's SIMULATED Solana cluster (``chainwatch.kinds.solana.simulator``) as chain ``solana-sim``.

No Solana validator runs here: one simulator process serves four RPC nodes (``sol-rpc-1`` and
three references) and four validators, val-1 and val-2 watched (group ``main``). Faults go
through the simulator's ``POST /-/control``.

The operational account ``fee-payer`` holds 1000 SOL at start and pays
:data:`FEE_PAYER_SOL_PER_SECOND` (the simulator's ``set_balance``): its balance falls and its
runway is about a day (``ChainwatchAccountRunwayLow``, issue #31).
"""

from __future__ import annotations

from chainwatch.devnet.part import ACCOUNT_THRESHOLDS, ACCOUNTS_INTERVAL_SECONDS, DRAINED_SHARE, DURATIONS, TEAM, Fault, SimulatedPart
from chainwatch.devnet.procs import rpc

CHAIN = "solana-sim"
NODES = ("sol-rpc-1", "sol-ref-1", "sol-ref-2", "sol-ref-3")
WATCHED = ("val-1", "val-2")
SIMULATOR = "chainwatch.kinds.solana.simulator"
FEE_PAYER = "Cgzu6o4BMjc3BZDpn97q7UBUVUjaCzaSNfFmWG2vTLfe"  # sha256("chainwatch-demo/fee-payer") as a public key
LAMPORTS = 10**9
FEE_PAYER_SOL = 1000
FEE_PAYER_SOL_PER_SECOND = 0.01  # 1000 SOL last about 28 hours: a runway of ~1.2 days


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

    def __init__(self, stack):
        super().__init__(stack)
        self.before_drain = 0  # the fee payer's lamports before the drain

    def arguments(self) -> list[str]:
        return ["--nodes", ",".join(NODES), "--validators", "4", "--delinquent-slots", "20"]

    def start(self) -> None:
        super().start()
        self.fund(FEE_PAYER_SOL * LAMPORTS)

    def fund(self, lamports: int) -> None:
        """The fee payer holds ``lamports`` from now on, paying its steady fees."""
        self.control({"action": "set_balance", "address": FEE_PAYER, "lamports": int(lamports), "spend_per_second": FEE_PAYER_SOL_PER_SECOND * LAMPORTS})

    def lamports(self) -> int:
        return int(rpc(f"{self.url}/{NODES[0]}", "getBalance", [FEE_PAYER])["value"])

    def drain(self) -> None:
        """The fee payer spends all but :data:`DRAINED_SHARE` of its balance at once."""
        self.before_drain = self.lamports()
        self.fund(self.before_drain * DRAINED_SHARE)

    def top_up(self) -> None:
        """Back to the balance before the drain."""
        self.fund(self.before_drain or FEE_PAYER_SOL * LAMPORTS)

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
                    **ACCOUNT_THRESHOLDS,
                    "durations": {**DURATIONS, **self.durations},
                },
                "slo": slo,
                "endpoints": [{"name": n, "url": f"{self.url}/{n}", "role": "reference" if "ref" in n else "node"} for n in NODES],
                "accounts": [{"name": "fee-payer", "address": FEE_PAYER, "purpose": "fee-payer"}],
                "accounts_interval_seconds": ACCOUNTS_INTERVAL_SECONDS,
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
    Fault(
        "solana-drain-fee-payer",
        f"the fee payer of the simulated Solana cluster spends all but {DRAINED_SHARE:.0%} of its balance at once; heal tops it up",
        CHAIN,
        ("ChainwatchAccountRunwayLow",),
        (),
        {"chain": CHAIN},
        "account_runway",
        lambda s: ACCOUNTS_INTERVAL_SECONDS + 1,
        lambda s: s.part(SolanaDemo.name).drain(),
        lambda s: s.part(SolanaDemo.name).top_up(),
    ),
)

DEMO = SolanaDemo
