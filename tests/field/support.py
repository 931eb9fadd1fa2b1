"""What the field-case tests share: one probe round through the real scheduler and exposition,
fixtures of recorded answers, and the simulated answers per chain kind.

The servers here are tests/support/fakeserver.py loopback servers answering in the shapes the
public API docs (and, where named, recorded answers of real clients) show: simulated, not nodes.
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
from pathlib import Path
from typing import Any

from chainwatch.assembly.config import parse
from chainwatch.exporters.exposition import render, round_samples
from chainwatch.exporters.scheduler import Scheduler
from chainwatch.exporters.transport import Transport
from tests.support.answers import beacon_table, evm_results, solana_results
from tests.support.configs import mainnet, node_at
from tests.support.stack import Samples

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "field"
NODE = {"endpoint": "node-1"}


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def chain_config(kind: str, url: str, **endpoint) -> dict:
    return mainnet(kind, node_at(url, **endpoint))


async def probe_rounds(chain: dict, rounds: int = 1, *, extra: dict | None = None):
    """``rounds`` probe rounds of one chain (min_probe_interval 0): the last round's snapshot and exposition."""
    text = json.dumps({"exporter": {"min_probe_interval_seconds": 0, "reference_max_age_seconds": 0, **(extra or {})}, "chains": {"c": chain}})
    config = parse(text, env={})
    transport = Transport(config.exporter.max_response_bytes)
    try:
        scheduler = Scheduler(config, transport)
        for _ in range(rounds):
            deadline = asyncio.get_running_loop().time() + 5
            snap = await scheduler.round(list(scheduler.states.values()), sorted(config.chains), deadline)
        return snap, Samples.parse(render(round_samples(snap)).decode()), scheduler
    finally:
        await transport.close()


def evm_answers(**override):
    return evm_results(head=16, chain_id=1, **override)


def solana_answers(**override):
    return solana_results(slot=16, **override)


def beacon_routes(head: int = 16, **override) -> dict[str, Any]:
    """Route -> JSON body (None: status-only answer) of a healthy beacon node, with overrides."""
    table = copy.deepcopy(beacon_table(head, int(time.time()) - head * 12 - 1))
    table.update(override)
    return table


def install_beacon(srv, prefix: str, table: dict[str, Any], statuses: dict[str, int] | None = None) -> None:
    statuses = statuses or {}
    for route, body in table.items():
        path = prefix + route.split("?")[0]
        status = statuses.get(route, 200)
        srv.route("GET", path, json_body=body if body is not None else {}, status=status)
