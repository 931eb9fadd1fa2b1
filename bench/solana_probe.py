"""CPU cost of the Solana probe per endpoint, against the SIMULATED cluster (loopback).

    python bench/solana_probe.py [endpoints] [rounds]

Runs the simulator (400 ms slots) with N nodes on one port, an exporter Scheduler probing
all of them, and reports wall time per round and process CPU per endpoint-probe. The
simulator runs in the same process, so the CPU figure includes serving the answers (an
upper bound for the exporter side).
"""

from __future__ import annotations

import asyncio
import sys
import time

from chainwatch.assembly.config import parse
from chainwatch.exporters.scheduler import Scheduler
from chainwatch.kinds.solana.simulator import Cluster, Simulator
from chainwatch.exporters.transport import Transport


async def main(n: int, rounds: int) -> None:
    nodes = [f"n-{i}" for i in range(n)]
    async with Simulator(Cluster(nodes, slot_seconds=0.4)) as sim:
        eps = "\n".join(f'      - {{name: {x}, url: "{sim.url(x)}", role: {"reference" if i < 3 else "node"}}}' for i, x in enumerate(nodes))
        config = parse(
            f"exporter: {{min_probe_interval_seconds: 0, reference_max_age_seconds: 0}}\nchains:\n  sol:\n    kind: solana\n    network: simnet\n    endpoints:\n{eps}\n",
            env={},
        )
        transport = Transport()
        scheduler = Scheduler(config, transport)
        states = list(scheduler.states.values())
        await scheduler.round(states, ["sol"], asyncio.get_running_loop().time() + 10)  # warm up: connections, getVersion
        walls = []
        cpu0 = time.process_time()
        for _ in range(rounds):
            t = time.perf_counter()
            snap = await scheduler.round(states, ["sol"], asyncio.get_running_loop().time() + 10)
            walls.append(time.perf_counter() - t)
            assert all(r.success for r in snap.results.values())
            await asyncio.sleep(0.45)  # a new slot: getBlockTime is asked again
        cpu = time.process_time() - cpu0
        await transport.close()
    print(
        f"{n} endpoints x {rounds} rounds: median round {sorted(walls)[len(walls) // 2] * 1000:.1f} ms, "
        f"CPU {cpu / (n * rounds) * 1000:.2f} ms per endpoint-probe (exporter + simulator)"
    )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100, int(sys.argv[2]) if len(sys.argv) > 2 else 10))
