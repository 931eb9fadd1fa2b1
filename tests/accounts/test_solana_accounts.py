"""Account balances on the SIMULATED Solana cluster (``kinds/solana/simulator``: no real
Solana validator runs here; its ``getBalance`` answers as https://solana.com/docs/rpc/http/getbalance
shows): a fee payer spending lamports shows its balance falling in SOL and a spend counter
that grows by the fall; an idle account spends nothing (no runway series); an RPC key in the
URL never reaches the exposition."""

from __future__ import annotations

import pytest
from aiohttp import ClientSession, web
from prometheus_client.parser import text_string_to_metric_families

from chainwatch.assembly.config import parse
from chainwatch.devnet.procs import free_port
from chainwatch.exporters.server import Exporter, build_app
from chainwatch.kinds.solana.simulator import Cluster, Simulator, pubkey
from tests.support.poll import async_wait_until

SECRET = "SECRETKEY123456"
PAYER = pubkey("fee-payer")
IDLE = pubkey("treasury")
LAMPORTS = 10**9


def config_text(sim: Simulator) -> str:
    return f"""
exporter: {{min_probe_interval_seconds: 0, reference_max_age_seconds: 0, default_timeout_seconds: 5}}
chains:
  solana:
    kind: solana
    network: simnet
    endpoints:
      - {{name: rpc-1, url: "{sim.url("rpc-1")}?api-key={SECRET}", role: node}}
      - {{name: ref-1, url: "{sim.url("ref-1")}", role: reference}}
    accounts_interval_seconds: 1
    accounts:
      - {{name: fee-payer, address: {PAYER}, purpose: fees, minimum: 1}}
      - {{name: treasury, address: {IDLE}, purpose: treasury}}
"""


async def scrape(session: ClientSession, port: int) -> dict:
    async with session.get(f"http://127.0.0.1:{port}/metrics") as resp:
        assert resp.status == 200
        text = await resp.text()
    assert SECRET not in text
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name.startswith("chainwatch_account"):
                out[(s.name, s.labels.get("account"))] = (s.value, s.labels)
    return out


async def test_fee_payer_balance_falls_in_sol_and_idle_account_spends_nothing():
    cluster = Cluster(["rpc-1", "ref-1"], slot_seconds=0.025)
    cluster.set_balance(PAYER, 50 * LAMPORTS, spend_per_second=LAMPORTS // 2)  # 0.5 SOL a second
    cluster.set_balance(IDLE, 7 * LAMPORTS)
    sim = await Simulator(cluster).start()
    exporter = Exporter(parse(config_text(sim), env={}))
    runner = web.AppRunner(build_app(exporter), access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with ClientSession() as session:

            async def spent_some():
                m = await scrape(session, port)
                return m if m.get(("chainwatch_account_spent_total", "fee-payer"), (0,))[0] >= 1 else None

            async def read_once():
                m = await scrape(session, port)
                return m if ("chainwatch_account_balance", "fee-payer") in m else None

            first = await async_wait_until(read_once, 10, "first balance read")
            baseline = first[("chainwatch_account_balance", "fee-payer")][0] + first[("chainwatch_account_spent_total", "fee-payer")][0]
            m = await async_wait_until(spent_some, 15, "fee payer spending at least 1 SOL")
            balance, labels = m[("chainwatch_account_balance", "fee-payer")]
            assert labels == {"chain": "solana", "network": "simnet", "account": "fee-payer", "purpose": "fees", "team": "default"}
            assert 0 < balance < baseline <= 50
            # Every fall since the first read is counted, to the lamport: balance + spent stays the first balance.
            assert balance + m[("chainwatch_account_spent_total", "fee-payer")][0] == pytest.approx(baseline, abs=1e-9)
            assert m[("chainwatch_account_received_total", "fee-payer")][0] == 0
            assert m[("chainwatch_account_balance", "treasury")][0] == 7
            assert m[("chainwatch_account_spent_total", "treasury")][0] == 0  # no spend: no runway series
            assert m[("chainwatch_account_info", "fee-payer")][1]["symbol"] == "SOL"
            assert m[("chainwatch_account_info", "fee-payer")][1]["address"] == PAYER
    finally:
        await runner.cleanup()
        await sim.stop()
