"""A rollup on loopback for tests: two REAL anvils (L1 and the sequencer's L2) and the
SIMULATED op-node (``chainwatch.kinds.opnode.simulator``, no real op-node runs here) reading them."""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

from chainwatch.devnet.procs import Proc, free_port, wait_http
from tests.support.stack import Anvil

L2_CHAIN_ID = 901


class OpNodeSimProc(Proc):
    def __init__(self, log_dir: Path, l1_url: str, l2_url: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        args = [sys.executable, "-m", "chainwatch.kinds.opnode.simulator", "--port", str(self.port), "--l1", l1_url, "--l2", l2_url]
        super().__init__("opnode-sim", args, log=log_dir / f"opnode-sim-{self.port}.log")
        self.start()
        wait_http(self.url + "-/state", proc=self)

    def control(self, action: str) -> dict:
        req = urllib.request.Request(self.url + "-/control", json.dumps({"action": action}).encode(), {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())


class Rollup:
    def __init__(self, tmp: Path):
        self.l1 = Anvil(tmp, name="l1")
        self.l2 = Anvil(tmp, name="l2", chain_id=L2_CHAIN_ID)
        self.sim = OpNodeSimProc(tmp, self.l1.url, self.l2.url)

    def stop(self) -> None:
        for p in (self.sim, self.l2, self.l1):
            p.stop()

    def chains(self, **rollup) -> dict:
        """chainwatch.yaml chains: l1 and l2 (evm, anvil references plus an L2 node), and the op-node."""
        fast = {"chain_halt_min_seconds": 3, "head_stale_min_seconds": 3, "durations": {"chain_halt": "5s", "head_stale": "10s"}}
        return {
            "l1": {
                "kind": "evm",
                "network": "devnet",
                "chain_id": 31337,
                "thresholds": fast,
                "endpoints": [{"name": "l1-ref", "url": self.l1.url, "role": "reference"}],
            },
            "l2": {
                "kind": "evm",
                "network": "devnet",
                "chain_id": L2_CHAIN_ID,
                "block_time_seconds": 1,
                "thresholds": fast,
                "endpoints": [{"name": "l2-ref", "url": self.l2.url, "role": "reference"}, {"name": "l2-node", "url": self.l2.url, "role": "node"}],
            },
            "rollup": {
                "kind": "opnode",
                "network": "devnet",
                "l1_chain": "l1",
                "l2_chain": "l2",
                "l2_chain_id": L2_CHAIN_ID,
                "rollup": {"safe_lag_seconds": 4, "safe_lag_for": "0s", "l1_lag_blocks": 3, "l1_lag_for": "0s", "finality_lag_seconds": 3600, **rollup},
                "endpoints": [{"name": "op-node-1", "url": self.sim.url, "role": "node"}],
            },
        }
