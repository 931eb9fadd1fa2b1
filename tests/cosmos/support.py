"""Shared helpers of the cosmos tests: a config for the simulated chain, a monitor on it.

Talks to: the SIMULATED CometBFT + LCD chain (kinds/cosmos/simulator.py) on loopback; no
real CometBFT node can be installed here.
"""

from __future__ import annotations

import types
from pathlib import Path

from chainwatch.kinds.cosmos.config import CosmosChain
from chainwatch.kinds.cosmos.monitor import CosmosMonitor, create
from chainwatch.kinds.cosmos.simulator import Chain, Simulator


def chain_model(chain: Chain, sim: Simulator, groups: dict, state_file: Path, **validators) -> CosmosChain:
    return CosmosChain.model_validate(
        {
            "kind": "cosmos",
            "network": "simnet",
            "chain_id": chain.chain_id,
            "block_time_seconds": 6,
            "endpoints": [
                {"name": n, "url": sim.url(n), "lcd_url": sim.lcd_url(n), "role": "reference" if n.startswith("ref") else "node"} for n in chain.nodes
            ],
            "validators": {"groups": groups, "state_file": str(state_file), "lcd_interval_seconds": 0.1, **validators},
        }
    )


def monitor(chain: Chain, sim: Simulator, groups: dict, state_file: Path, transport, **validators) -> CosmosMonitor:
    return create("sim", chain_model(chain, sim, groups, state_file, **validators), transport, types.SimpleNamespace(state_dir=str(state_file.parent)))


def sample(m: CosmosMonitor, name: str, **labels) -> float | None:
    for n, got, value in m.samples():
        if n == name and all(got.get(k) == v for k, v in labels.items()):
            return value
    return None


async def lcd_round(m: CosmosMonitor) -> None:
    """A round that refreshes the LCD facts too (the LCD cadence is per wall clock)."""
    m.last_lcd = float("-inf")
    await m.round()
