"""The throwaway kind's part of ``chainwatch demo``: its simulator as chain ``throwaway-sim``.

A :class:`~chainwatch.devnet.part.SimulatedPart` like the product kinds' simulated parts: its
simulator's flags, its chain block and one fault, nothing else.
"""

from __future__ import annotations

from chainwatch.devnet.part import DURATIONS, TEAM, Fault, SimulatedPart

CHAIN = "throwaway-sim"
NODES = ("thr-1", "thr-ref-1")


class ThrowawayDemo(SimulatedPart):
    simulator = "tests.support.throwaway_kind.simulator"
    component = "throwaway-sim"
    simulated = "throwaway simulator"
    serves = "SIMULATED throwaway chain (tests)"
    name = "throwaway"
    what = "the throwaway simulator"
    flag_help = "Do not start the throwaway chain of the tests."
    order = 90
    chains = (CHAIN,)

    def arguments(self) -> list[str]:
        return ["--nodes", ",".join(NODES), "--block-ms", "1000"]

    def chain_blocks(self, slo: dict) -> dict[str, dict]:
        return {
            CHAIN: {
                "kind": "throwaway",
                "network": "simulated",
                "team": TEAM,
                "block_time_seconds": 1,
                "thresholds": {"peers_min": 0, "durations": DURATIONS},
                "slo": slo,
                "endpoints": [{"name": n, "url": f"{self.url}/{n}", "role": "reference" if "ref" in n else "node"} for n in NODES],
            }
        }


ThrowawayDemo.faults = (
    Fault(
        "throwaway-answer-low",
        "the throwaway chain's nodes answer 41",
        CHAIN,
        ("ChainwatchThrowawayAnswerLow",),
        (),
        {"chain": CHAIN},
        "down",
        lambda s: 1,
        lambda s: ThrowawayDemo.send(s, {"action": "answer", "value": 41}),
        lambda s: ThrowawayDemo.send(s, {"action": "answer", "value": 42}),
    ),
)

DEMO = ThrowawayDemo
