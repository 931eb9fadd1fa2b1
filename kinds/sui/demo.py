"""The demo's SIMULATED Sui network (``chainwatch.kinds.sui.simulator``) as ``sui-sim``.

No sui-node runs here: one simulator process serves four nodes (``sui-1`` and three
references) of a chain with 1 s checkpoints, 1 h epochs and 4 validators; val-1 is watched
(group ``main``). ``sui-1`` is read over native gRPC (HTTP/2, the simulator's second port)
with its checkpoint stream; the references over gRPC-web. Faults go through the simulator's
``POST /-/control``.
"""

from __future__ import annotations

from chainwatch.devnet.part import DURATIONS, Fault, SimulatedPart, TEAM, THRESHOLDS

CHAIN = "sui-sim"
NODES = ("sui-1", "sui-ref-1", "sui-ref-2", "sui-ref-3")
CHECKPOINT_SECONDS = 1.0
EPOCH_CHECKPOINTS = 3600  # an hour: a fault's window does not straddle the epoch change that clears reports
SIMULATOR = "chainwatch.kinds.sui.simulator"


class SuiDemo(SimulatedPart):
    simulator = SIMULATOR
    component = "sui-sim"
    serves = "SIMULATED Sui network (gRPC-web and native gRPC)"
    simulated = "Sui simulator"
    name = "sui"
    what = "the Sui simulator"
    flag_help = "Do not start the simulated Sui network."
    order = 36
    chains = (CHAIN,)
    durations = {"sui_reported": "10s", "sui_history": "10s", "stream": "10s"}

    def arguments(self) -> list[str]:
        # The native gRPC port is the simulator's choice (a free one), read from /-/state.
        return ["--nodes", ",".join(NODES), "--checkpoint-ms", str(int(CHECKPOINT_SECONDS * 1000)), "--epoch-checkpoints", str(EPOCH_CHECKPOINTS)]

    def chain_blocks(self, slo: dict) -> dict[str, dict]:
        native = f"http://127.0.0.1:{self.state['grpc_port']}/sui-1"
        refs = [{"name": n, "url": f"{self.url}/{n}", "role": "reference"} for n in NODES[1:]]
        return {
            CHAIN: {
                "kind": "sui",
                "network": "simulated",
                "team": TEAM,
                "chain_id": self.state["chain_id"],
                "block_time_seconds": CHECKPOINT_SECONDS,
                "thresholds": {
                    **THRESHOLDS,
                    "stream_lag_blocks": 5,
                    "durations": {**DURATIONS, **self.durations},
                },
                "slo": slo,
                "endpoints": [{"name": "sui-1", "url": native, "ws_url": native, "transport": "grpc", "role": "node"}, *refs],
                "validators": {
                    "endpoint": "sui-ref-1",
                    "fallbacks": ["sui-ref-2"],
                    "interval_seconds": 1,
                    "groups": {"main": [{"name": "val-1", "address": self.state["validators"][0]["address"]}]},
                },
            }
        }


SuiDemo.faults = (
    Fault(
        "sui-node-behind",
        "sui-1 of the simulated Sui network (native gRPC) stops at its checkpoint while the chain goes on",
        CHAIN,
        ("ChainwatchSyncLagHigh",),
        # A stopped node's checkpoint stream is quiet too, while its polled head advanced within the 5m window.
        ("ChainwatchSyncLagSecondsHigh", "ChainwatchHeadStale", "ChainwatchStreamQuiet"),
        {"endpoint": "sui-1"},
        "sync_lag",
        lambda s: 9,  # 5 checkpoints of 1 s past the threshold, plus a probe round
        lambda s: SuiDemo.send(s, {"action": "lag", "node": "sui-1"}),
        lambda s: SuiDemo.send(s, {"action": "follow", "node": "sui-1"}),
    ),
    Fault(
        "sui-stream-behind",
        "the checkpoint stream of sui-1 stops delivering while its polled head goes on",
        CHAIN,
        ("ChainwatchStreamBehind",),
        ("ChainwatchStreamQuiet",),
        {"endpoint": "sui-1"},
        "stream",
        lambda s: 9,  # 5 checkpoints behind, plus a probe round for the polled head
        lambda s: SuiDemo.send(s, {"action": "stall_stream", "node": "sui-1"}),
        lambda s: SuiDemo.send(s, {"action": "resume_stream", "node": "sui-1"}),
    ),
    Fault(
        "sui-validator-reported",
        "two peers of the simulated Sui network report validator val-1 (half the voting power)",
        CHAIN,
        ("ChainwatchSuiValidatorReported",),
        (),
        {"chain": CHAIN},
        "sui_reported",
        lambda s: 3,  # the next monitor cycle (1 s) and a scrape
        lambda s: SuiDemo.send(s, {"action": "report", "validator": "val-1", "by": 2}),
        lambda s: SuiDemo.send(s, {"action": "unreport", "validator": "val-1"}),
    ),
)

DEMO = SuiDemo
