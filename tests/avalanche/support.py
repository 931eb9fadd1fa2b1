"""Shared helpers of the avalanche tests: the simulated nodes, a config for them, a monitor on it.

Talks to: the SIMULATED AvalancheGo nodes (kinds/avalanche/simulator.py) on loopback; no
AvalancheGo can be installed here.
"""

from __future__ import annotations

import time
import types

from chainwatch.kinds.avalanche.config import AvalancheChain
from chainwatch.kinds.avalanche.monitor import AvalancheMonitor, create
from chainwatch.kinds.avalanche.simulator import AvalancheSim, L1Validator, Simulator, Validator, demo_validators

NODES = ["avax-1", "ref-1", "ref-2", "ref-3"]
DAY = 86400.0


def sim_with(runway_seconds: float = 2 * DAY, balance_navax: int = 30 * 86400 * 512, **kwargs) -> AvalancheSim:
    """Four nodes (``avax-1`` ours, three references), validator ``val-1`` with the given reward
    runway now and L1 validator ``l1-1`` with the given balance (512 nAVAX/s fee: 30 days by default)."""
    now = time.time()
    start, end, down = demo_validators(now, runway_seconds)
    return AvalancheSim(
        NODES,
        validators=[Validator("val-1", start, end, downtime=down)],
        l1_validators=[L1Validator("l1-1", balance_navax, now)],
        **kwargs,
    )


def chain_model(sim: AvalancheSim, server: Simulator, **validators) -> AvalancheChain:
    return AvalancheChain.model_validate(
        {
            "kind": "avalanche",
            "network": "simnet",
            "network_id": sim.network_id,
            "endpoints": [{"name": n, "url": server.url(n), "role": "reference" if n.startswith("ref") else "node"} for n in sim.nodes],
            "validators": {
                "groups": {
                    "ops": [
                        {"name": "val-1", "node_id": sim.validators["val-1"].node},
                        {"name": "l1-1", "validation_id": sim.l1["l1-1"].validation_id},
                    ]
                },
                **validators,
            },
        }
    )


def monitor(sim: AvalancheSim, server: Simulator, transport, **validators) -> AvalancheMonitor:
    return create("sim", chain_model(sim, server, **validators), transport, types.SimpleNamespace(state_dir="/nonexistent"))


def sample(m: AvalancheMonitor, name: str, **labels) -> float | None:
    for n, got, value in m.samples():
        if n == name and all(got.get(k) == v for k, v in labels.items()):
            return value
    return None
