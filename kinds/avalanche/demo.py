"""The demo's SIMULATED AvalancheGo nodes (``chainwatch.kinds.avalanche.simulator``) as ``avalanche-sim``.

No AvalancheGo runs here: one simulator process serves four nodes (``avax-1``, ours, and three
references). Validator ``val-1`` has already used most of its allowed downtime: its reward runway
is ``RUNWAY_SECONDS`` now and stays there while it is up; the demo's threshold sits 10 s below
(warning and critical both at 90 s: the critical page mutes the warning, so the fault pages once,
at the critical line), so once disconnected it pages within seconds — the demo's clock for a
runway that is hours on a real network. L1 validator ``l1-1`` has 30 days of fee balance.
Faults go through the simulator's ``POST /-/control``.
"""

from __future__ import annotations

from chainwatch.devnet.part import DURATIONS, Fault, SimulatedPart, TEAM, THRESHOLDS

CHAIN = "avalanche-sim"
NODES = ("avax-1", "avax-ref-1", "avax-ref-2", "avax-ref-3")
BLOCK_SECONDS = 1.0
RUNWAY_SECONDS = 100.0
RUNWAY_CRITICAL_HOURS = 0.025  # 90 s
RUNWAY_WARNING_HOURS = RUNWAY_CRITICAL_HOURS  # one page, the critical one (a real network keeps 24 h / 4 h)
FEE_PRICE = 512  # nAVAX per second
L1_BALANCE = FEE_PRICE * 86400 * 30  # 30 days of fees
SIMULATOR = "chainwatch.kinds.avalanche.simulator"


class AvalancheDemo(SimulatedPart):
    simulator = SIMULATOR
    component = "avalanche-sim"
    serves = "SIMULATED AvalancheGo nodes"
    simulated = "AvalancheGo simulator"
    name = "avalanche"
    what = "the AvalancheGo simulator"
    flag_help = "Do not start the simulated AvalancheGo nodes."
    order = 35
    chains = (CHAIN,)
    durations = {"avalanche_runway": "0m", "avalanche_health": "5s"}

    def arguments(self) -> list[str]:
        return [
            "--nodes",
            ",".join(NODES),
            "--validators",
            f"val-1:{RUNWAY_SECONDS:g}",
            "--l1",
            f"l1-1:{L1_BALANCE}",
            "--fee-price",
            str(FEE_PRICE),
            "--block-ms",
            str(int(BLOCK_SECONDS * 1000)),
        ]

    def chain_blocks(self, slo: dict) -> dict[str, dict]:
        validators = {v["name"]: v for v in self.state["validators"]}
        l1 = {v["name"]: v for v in self.state["l1_validators"]}
        return {
            CHAIN: {
                "kind": "avalanche",
                "network": "simulated",
                "team": TEAM,
                "network_id": self.state["network_id"],
                "block_time_seconds": BLOCK_SECONDS,
                "thresholds": {
                    **THRESHOLDS,
                    "peers_min": 0,
                    "avalanche_reward_runway_warning_hours": RUNWAY_WARNING_HOURS,
                    "avalanche_reward_runway_critical_hours": RUNWAY_CRITICAL_HOURS,
                    "durations": {**DURATIONS, **self.durations},
                },
                "slo": slo,
                "endpoints": [{"name": n, "url": f"{self.url}/{n}", "role": "reference" if "ref" in n else "node"} for n in NODES],
                "validators": {
                    "interval_seconds": 1,
                    "groups": {
                        "main": [
                            {"name": "val-1", "node_id": validators["val-1"]["node_id"]},
                            {"name": "l1-1", "validation_id": l1["l1-1"]["validation_id"]},
                        ]
                    },
                },
            }
        }


AvalancheDemo.faults = (
    Fault(
        "avalanche-bootstrapping",
        "avax-1 restarts into bootstrapping its P-chain: isBootstrapped false, health checks P and bootstrapped failing, no head",
        CHAIN,
        ("ChainwatchAvalancheChainNotBootstrapped",),
        ("ChainwatchSyncLagHigh", "ChainwatchSyncLagSecondsHigh"),
        {"endpoint": "avax-1"},
        "avalanche_health",
        lambda s: 2,
        lambda s: AvalancheDemo.send(s, {"action": "bootstrap", "node": "avax-1", "chain": "P"}),
        lambda s: AvalancheDemo.send(s, {"action": "bootstrapped", "node": "avax-1", "chain": "P"}),
    ),
    Fault(
        "avalanche-validator-disconnected",
        "validator val-1 disconnects: every view sees it down and its reward runway burns one second per second past the critical line",
        CHAIN,
        ("ChainwatchAvalancheRewardRunwayLow",),
        (),
        {"chain": CHAIN},
        "avalanche_runway",
        lambda s: RUNWAY_SECONDS - RUNWAY_CRITICAL_HOURS * 3600 + 2,  # the monitor reads every second
        lambda s: AvalancheDemo.send(s, {"action": "disconnect", "validator": "val-1"}),
        lambda s: AvalancheDemo.send(s, {"action": "forgive", "validator": "val-1"}),  # the demo's undo: the runway back where it was
    ),
)

DEMO = AvalancheDemo
