"""Shared helpers of the aptos tests: a config for the simulated network, a monitor on it.

Talks to: the SIMULATED Aptos network (kinds/aptos/simulator.py) on loopback; no aptos-node
runs here (its shapes are checked by the official SDK in test_ts_sdk.py).
"""

from __future__ import annotations

import types

from chainwatch.kinds.aptos.config import AptosChain
from chainwatch.kinds.aptos.monitor import AptosMonitor
from chainwatch.kinds.aptos.simulator import Chain, Simulator


def chain_model(chain: Chain, sim: Simulator, groups: dict | None = None, **fields) -> AptosChain:
    return AptosChain.model_validate(
        {
            "kind": "aptos",
            "network": "simnet",
            "chain_id": chain.chain_id,
            "endpoints": [{"name": n, "url": sim.url(f"{n}/v1"), "role": "reference" if "ref" in n else "node"} for n in chain.nodes],
            **({"validators": {"groups": groups}} if groups else {}),
            **fields,
        }
    )


def monitor(chain: Chain, sim: Simulator, groups: dict, transport) -> AptosMonitor:
    return AptosMonitor("sim", chain_model(chain, sim, groups), transport, types.SimpleNamespace(default_timeout_seconds=5), interval=1)


def sample(m: AptosMonitor, name: str, **labels) -> float | None:
    for metric, got, value in m.samples():
        if metric == name and all(got.get(k) == v for k, v in labels.items()):
            return value
    return None
