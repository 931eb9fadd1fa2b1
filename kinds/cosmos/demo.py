"""The demo's SIMULATED CometBFT + LCD chain (``chainwatch.kinds.cosmos.simulator``) as ``cosmos-sim``.

No CometBFT node runs here: one simulator process serves four nodes (``cos-rpc-1`` and three
references), 5 validators with a 100-block signing window at 50 % (a validator that stops
signing is 50 blocks, 50 s, from jail); val-1 and val-2 are watched (group ``main``). Faults
go through the simulator's ``POST /-/control``.
"""

from __future__ import annotations

from chainwatch.devnet.part import DURATIONS, Fault, SimulatedPart, TEAM, THRESHOLDS

CHAIN = "cosmos-sim"
NODES = ("cos-rpc-1", "cos-ref-1", "cos-ref-2", "cos-ref-3")
BLOCK_SECONDS = 1.0
SIMULATOR = "chainwatch.kinds.cosmos.simulator"


class CosmosDemo(SimulatedPart):
    simulator = SIMULATOR
    component = "cosmos-sim"
    serves = "SIMULATED CometBFT chain"
    simulated = "CometBFT simulator"
    name = "cosmos"
    what = "the CometBFT simulator"
    flag_help = "Do not start the simulated CometBFT chain."
    order = 30
    chains = (CHAIN,)
    durations = {"cosmos_signing": "0m", "cosmos_miss_ratio": "10s", "cosmos_jail": "5s"}

    def arguments(self) -> list[str]:
        return ["--nodes", ",".join(NODES), "--validators", "5", "--block-ms", str(int(BLOCK_SECONDS * 1000)), "--window", "100"]

    def chain_blocks(self, slo: dict) -> dict[str, dict]:
        validators = {v["name"]: v for v in self.state["validators"]}
        return {
            CHAIN: {
                "kind": "cosmos",
                "network": "simulated",
                "team": TEAM,
                "chain_id": self.state["chain_id"],
                "block_time_seconds": BLOCK_SECONDS,
                "thresholds": {
                    **THRESHOLDS,
                    "peers_min": 0,
                    "cosmos_consecutive_misses": 5,
                    "cosmos_solo_miss_ratio": 0.5,
                    "cosmos_miss_ratio_window": "1m",
                    # 100-block window at 1 s blocks: at most 50 s until jail, so the headrooms are seconds here (14.4 s, 7.2 s).
                    "cosmos_jail_headroom_warning_hours": 0.004,
                    "cosmos_jail_headroom_critical_hours": 0.002,
                    "durations": {**DURATIONS, **self.durations},
                },
                "slo": slo,
                "endpoints": [
                    {"name": n, "url": f"{self.url}/{n}", "lcd_url": f"{self.url}/{n}/lcd", "role": "reference" if "ref" in n else "node"} for n in NODES
                ],
                "validators": {
                    "endpoint": "cos-ref-1",
                    "fallbacks": ["cos-ref-2"],
                    "interval_seconds": 1,
                    "lcd_interval_seconds": 2,
                    "groups": {
                        "main": [
                            {"name": "val-1", "consensus_address": validators["val-1"]["address"]},
                            {"name": "val-2", "operator_address": validators["val-2"]["valoper"]},
                        ]
                    },
                },
            }
        }


CosmosDemo.faults = (
    Fault(
        "cosmos-miss-blocks",
        "validator val-1 of the simulated CometBFT chain stops signing",
        CHAIN,
        ("ChainwatchCosmosValidatorMissingBlocks",),
        ("ChainwatchCosmosValidatorSoloMissRatioHigh", "ChainwatchCosmosValidatorCloseToJail", "ChainwatchCosmosValidatorJailed"),
        {"chain": CHAIN},
        "cosmos_signing",
        lambda s: 5 + 2,
        lambda s: CosmosDemo.send(s, {"action": "stop_signing", "validator": "val-1"}),
        lambda s: CosmosDemo.send(s, {"action": "unjail", "validator": "val-1"}),  # signs again (and leaves jail if it got there)
    ),
    Fault(
        "cosmos-halt",
        "the simulated CometBFT chain stops making blocks: one halt page, no validator page",
        CHAIN,
        ("ChainwatchChainHalted",),
        (),
        {"chain": CHAIN},
        "chain_halt",
        lambda s: 7,
        lambda s: CosmosDemo.send(s, {"action": "halt"}),
        lambda s: CosmosDemo.send(s, {"action": "resume"}),
    ),
    Fault(
        "cosmos-jailed",
        "validator val-2 of the simulated CometBFT chain is jailed",
        CHAIN,
        ("ChainwatchCosmosValidatorJailed",),
        (),
        {"chain": CHAIN},
        "cosmos_signing",
        lambda s: 4,
        lambda s: CosmosDemo.send(s, {"action": "jail", "validator": "val-2"}),
        lambda s: CosmosDemo.send(s, {"action": "unjail", "validator": "val-2"}),
    ),
    Fault(
        "cosmos-catching-up",
        "cos-rpc-1 reports catching_up and stops at its height",
        CHAIN,
        ("ChainwatchSyncLagHigh",),
        ("ChainwatchSyncLagSecondsHigh", "ChainwatchHeadStale"),
        {"endpoint": "cos-rpc-1"},
        "sync_lag",
        lambda s: 9,
        lambda s: CosmosDemo.send(s, {"action": "catch_up", "node": "cos-rpc-1"}),
        lambda s: CosmosDemo.send(s, {"action": "caught_up", "node": "cos-rpc-1"}),
    ),
    Fault(
        "cosmos-wrong-network",
        "cos-rpc-1 answers another chain id in node_info.network",
        CHAIN,
        ("ChainwatchWrongChain",),
        (),  # EndpointDown fires too, inhibited by WrongChain: one page
        {"endpoint": "cos-rpc-1"},
        "down",
        lambda s: 3,
        lambda s: CosmosDemo.send(s, {"action": "set_network", "node": "cos-rpc-1"}),
        lambda s: CosmosDemo.send(s, {"action": "reset_network", "node": "cos-rpc-1"}),
    ),
)

DEMO = CosmosDemo
