"""``serve --workers N`` and provider credits (issue #31): the workers' requests are counted and
exported once, by the parent, as one process would (not N times, not zero). Real processes
against the loopback fake answering EVM JSON-RPC (tests/support/answers.py)."""

from __future__ import annotations

from pathlib import Path

from chainwatch.core import pricing
from chainwatch.exporters.credits import CreditMeter
from tests.exporter.test_workers import NODES, SCRAPE, children
from tests.support.answers import evm_table
from tests.support.fakeserver import FakeServer
from tests.support.stack import Exporter, Samples, write_config


def paid_fleet(srv: FakeServer, tmp_path: Path, state: str) -> Path:
    """Two references and eight nodes, every one at the provider alchemy."""
    srv.jsonrpc("/ref-1", evm_table(head=0x20))
    srv.jsonrpc("/ref-2", evm_table(head=0x20))
    for name in NODES:
        srv.jsonrpc(f"/{name}", evm_table())
    endpoints = [{"name": f"ref-{i}", "url": srv.url(f"/ref-{i}"), "role": "reference", "provider": "alchemy"} for i in (1, 2)]
    endpoints += [{"name": n, "url": srv.url(f"/{n}"), "role": "node", "provider": "alchemy"} for n in NODES]
    return write_config(
        tmp_path / f"{state}.yaml",
        {"eth": {"kind": "evm", "network": "mainnet", "chain_id": 1, "endpoints": endpoints}},
        exporter={"min_probe_interval_seconds": 0, "reference_max_age_seconds": 0, "state_dir": str(tmp_path / state)},
    )


def bill(text: str) -> dict[str, float]:
    s = Samples.parse(text)
    out = {f"credits {labels['method']}": v for labels, v in s.find("chainwatch_provider_credits_total", provider="alchemy")}
    out |= {f"requests {labels['method']}": v for labels, v in s.find("chainwatch_provider_requests_total", provider="alchemy")}
    out["period"] = s.value("chainwatch_provider_period_credits", provider="alchemy")
    return out


def test_workers_requests_are_billed_once_as_one_process_bills_them(tmp_path):
    with FakeServer() as srv:
        with Exporter(paid_fleet(srv, tmp_path, "two"), tmp_path, extra_args=["--workers", "2"]) as exporter:
            assert len(children(exporter.proc.pid)) == 2
            status, text = exporter.get("/metrics", SCRAPE)
            assert status == 200
            sent = sum(srv.calls("POST", f"/{n}") for n in ["ref-1", "ref-2", *NODES])
    billed = bill(text)
    assert sent == 10  # one round (one batch) per endpoint: the parent's two references, the workers' eight nodes
    assert billed["requests eth_blockNumber"] == 10  # each round counted once: not once per process, not zero
    table = pricing.BUILTIN["alchemy"]
    methods = {key.removeprefix("requests "): n for key, n in billed.items() if key.startswith("requests ")}
    assert all(n == 10 for n in methods.values()) and len(methods) >= 5
    assert {m: billed[f"credits {m}"] for m in methods if table.cost(m)} == {m: 10 * table.cost(m) for m in methods if table.cost(m)}
    assert billed["period"] == sum(10 * table.cost(m) for m in methods)
    assert text.count("# TYPE chainwatch_provider_credits_total counter") == 1


def test_a_restarted_workers_totals_are_new_spend():
    meter = CreditMeter()
    meter.configure({"alchemy": pricing.BUILTIN["alchemy"]})
    worker = CreditMeter()
    worker.configure({"alchemy": pricing.BUILTIN["alchemy"]})
    worker.count("alchemy", [{"method": "eth_call"}, {"method": "eth_blockNumber"}])
    meter.merge("worker-0", worker.totals())
    meter.merge("worker-0", worker.totals())  # the same totals again (a coalesced scrape): nothing new
    restarted = CreditMeter()
    restarted.configure({"alchemy": pricing.BUILTIN["alchemy"]})
    restarted.count("alchemy", {"method": "eth_call"})
    meter.merge("worker-0", restarted.totals())
    credits = {labels["method"]: v for n, labels, v in meter.samples() if n == "chainwatch_provider_credits_total"}
    assert credits == {"eth_call": 52, "eth_blockNumber": 10}
    assert dict(meter.period_credits) == {"alchemy": 62}
