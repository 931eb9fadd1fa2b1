"""A throwaway chain kind that lives in the tests, not in ``chainwatch.kinds``.

tests/test_throwaway_kind.py registers it (``kinds.register(KIND)``, the pytest plugin
``tests.support.throwaway_kind.plugin``) in a fresh interpreter and runs the conformance and
what a user does over it: generate, promtool, check, serve, the demo. A kind goes through with
no edit to any other file. Its package has what a product kind's has: one metric (here), one
probe, one alert with its runbook, a dashboard of the shared sections, a simulator on
``devnet.simulator.Simulation``, a demo part on ``devnet.part.SimulatedPart``, and the healthy
node the conformance test probes (``upstream.py``).
"""

from __future__ import annotations

from typing import Literal

from chainwatch.core.chain import ChainBase
from chainwatch.core.declarations import G
from chainwatch.core.declarations import metric as _m
from chainwatch.kinds.base import ChainKind

NAME = "throwaway"


class ThrowawayChain(ChainBase):
    """A throwaway chain (tests only): nodes and references, no identity."""

    kind: Literal["throwaway"]

    @property
    def block_time(self) -> float:
        return self.block_time_seconds or 1.0


def example_chain(url: str) -> dict:
    return {"kind": NAME, "network": "mainnet", "endpoints": [{"name": "node-1", "url": url, "role": "node"}]}


KIND = ChainKind(
    name=NAME,
    config=ThrowawayChain,
    unit="blocks",
    primary_method="head",
    metrics=(_m("chainwatch_throwaway_answer", G, "", "The throwaway kind's one reading.", kinds=(NAME,)),),
    block_time_doc="1 s",
    example=example_chain,
    home=__name__,
)
