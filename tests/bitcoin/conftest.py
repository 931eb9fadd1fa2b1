from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import pytest

from chainwatch.assembly.config import parse
from chainwatch.exporters.exposition import render, round_samples
from chainwatch.exporters.scheduler import Scheduler
from chainwatch.exporters.transport import Transport

from tests.support.poll import wait_until

from .litecoind import Litecoind, rpcauth_line

PASSWORD = "pw-" + "f00dfacecafe" * 3  # the secret the tests look for in every output
USER = "chainwatch"


@dataclass
class Pair:
    """Node ``ref`` (cookie auth, the chain's reference) and ``node`` (rpcauth user, connects to ref)."""

    ref: Litecoind
    node: Litecoind
    password_file: Path
    tmp: Path

    def chain_config(self, *, chain: str = "regtest", password_file: Path | None = None, node_cookie: bool = False) -> dict:
        node = {"name": "ltc-node", "url": self.node.url, "role": "node"}
        if node_cookie:
            node["cookie_file"] = str(self.node.cookie)
        else:
            node["auth"] = {"username": USER, "password_file": str(password_file or self.password_file)}
        return {
            "kind": "bitcoin",
            "network": "regtest",
            "chain": chain,
            "block_time_seconds": 150,
            "endpoints": [{"name": "ltc-ref", "url": self.ref.url, "role": "reference", "cookie_file": str(self.ref.cookie)}, node],
        }


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("litecoind")
    password_file = tmp / "node.password"
    password_file.write_text(PASSWORD + "\n")
    ref = Litecoind(tmp / "ref", name="ref")
    node = None
    try:
        node = Litecoind(tmp / "node", name="node", connect=ref, rpcauth=rpcauth_line(USER, PASSWORD))
        wait_until(lambda: node.peers() == 1 and ref.peers() == 1, 30, "the pair connected")
        ref.mine(5)
        wait_until(lambda: node.height() == ref.height() == 5, 30, "node synced 5 blocks")
        yield Pair(ref, node, password_file, tmp)
    finally:
        if node is not None:
            node.stop()
        ref.stop()


class Rig:
    """Endpoints of one chain probed through the real scheduler (lag, caches, failure mapping)."""

    def __init__(self, chain: dict, name: str = "ltc"):
        import yaml

        text = yaml.safe_dump({"exporter": {"min_probe_interval_seconds": 0, "reference_max_age_seconds": 0}, "chains": {name: chain}})
        self.config = parse(text, env={})
        self.name = name

    async def round(self):
        transport = Transport()
        try:
            scheduler = Scheduler(self.config, transport)
            deadline = asyncio.get_running_loop().time() + 10
            snap = await scheduler.round(list(scheduler.states.values()), [self.name], deadline)
            return snap, render(round_samples(snap)).decode()
        finally:
            await transport.close()


class LiveRig(Rig):
    """Like Rig, but one scheduler (and so the per-endpoint caches) across rounds."""

    def __init__(self, chain: dict, name: str = "ltc"):
        super().__init__(chain, name)
        self.transport = Transport()
        self.scheduler = Scheduler(self.config, self.transport)

    async def round(self):
        deadline = asyncio.get_running_loop().time() + 10
        snap = await self.scheduler.round(list(self.scheduler.states.values()), [self.name], deadline)
        return snap, render(round_samples(snap)).decode()

    async def close(self):
        await self.transport.close()
