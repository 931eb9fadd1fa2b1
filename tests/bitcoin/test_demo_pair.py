"""The demo's REAL litecoind regtest pair on its own (no anvil, Prometheus or exporter): it mines,
the isolate-ltc-node and stop-ltc-node faults do what they say and heal, and the demo config's
bitcoin chain is valid. The whole demo (with paging) is the e2e suite's job.
"""

from __future__ import annotations

import time

from chainwatch import kinds
from chainwatch.assembly.config import parse
from chainwatch.devnet import faults
from chainwatch.devnet.stack import Options, Stack
from chainwatch.kinds.bitcoin.demo import CHAIN

from tests.support.poll import wait_until

from .litecoind import litecoind_binary


def test_demo_pair_mines_and_its_faults_inject_and_heal(tmp_path):
    litecoind_binary()  # skip (fail under CI) without litecoind
    others = frozenset(p.name for p in kinds.demo_parts()) - {"bitcoin"}  # the base part runs regardless (not started here)
    stack = Stack(Options(run_dir=tmp_path, without=others, settings={"ltc_block_seconds": 0.5}))
    (tmp_path / "logs").mkdir()
    stack.plan()
    assert stack.runs("bitcoin")
    pair = stack.part("bitcoin")
    try:
        pair.start()
        start = pair.rpc("ltc-ref", "getblockcount")
        wait_until(lambda: pair.rpc("ltc-node", "getblockcount") >= start + 2, 30, "the miner makes blocks the node follows")

        faults.inject(stack, "isolate-ltc-node")
        assert pair.rpc("ltc-node", "getnetworkinfo")["networkactive"] is False
        cut = pair.rpc("ltc-node", "getblockcount")
        wait_until(lambda: pair.rpc("ltc-ref", "getblockcount") >= cut + 3, 30, "the reference mines on")
        assert pair.rpc("ltc-node", "getblockcount") == cut
        faults.heal(stack, ["isolate-ltc-node"])
        wait_until(lambda: pair.rpc("ltc-node", "getblockcount") >= pair.rpc("ltc-ref", "getblockcount") - 1, 60, "caught up")

        faults.inject(stack, "stop-ltc-node")
        assert not stack.components["litecoind-ltc-node"].proc.alive()
        faults.heal(stack, ["stop-ltc-node"])
        assert stack.components["litecoind-ltc-node"].status == "up"
        wait_until(lambda: pair.rpc("ltc-node", "getconnectioncount") >= 1, 60, "restarted node reconnected")

        stack.base.endpoints = {n: "http://127.0.0.1:9/" for n in ("ref-1", "ref-2", "node-1", "node-2", "node-3", "node-4")}  # the base chain's, not started
        chain = parse(__import__("yaml").safe_dump(stack.demo_config()), need_secrets=False).chains[CHAIN]
        assert chain.chain == "regtest" and [e.name for e in chain.references] == ["ltc-ref"]
    finally:
        stopped = time.monotonic()
        stack.stop()
        assert time.monotonic() - stopped < 30
    assert all(not stack.components[f"litecoind-{n}"].proc.alive() for n in ("ltc-ref", "ltc-node"))
