"""eRPC's credit counter (issue #31): the credits eRPC spends at a provider for the traffic it
proxies add to the provider's period count, so the quota and budget alerts (which read
``chainwatch_provider_period_credits``) cover traffic chainwatch does not send itself. eRPC is a
loopback fake serving ``erpc_upstream_credit_units_total`` with the labels of erpc/erpc
``telemetry/metrics.go`` (project, network, upstream, vendor, category, finality)."""

from __future__ import annotations

import json
import logging

import pytest
from aiohttp import web

from chainwatch.assembly.config import parse
from chainwatch.exporters.credits import CreditMeter
from chainwatch.exporters.erpc import ERPCWatch, credit_units
from tests.exporter.test_evm_probe import geth
from tests.support.configs import IMMEDIATE, config_text, mainnet, node_at
from tests.support.fakeserver import FakeServer
from tests.support.served import ServedExporter

KEY = "k3y-0f-the-provider-9f8e7d"
ERPC_TOKEN = "erpc-metrics-t0ken-77aa"


def exposition(counts: dict[tuple[str, str, str], float]) -> str:
    """eRPC's exposition: (project, upstream, vendor) -> credit units, two methods each."""
    lines = [
        "# HELP erpc_upstream_credit_units_total Total vendor credit units accrued by upstream attempts.",
        "# TYPE erpc_upstream_credit_units_total counter",
    ]
    for (project, upstream, vendor), n in sorted(counts.items()):
        for category, share in (("eth_call", 0.75), ("eth_getLogs", 0.25)):
            lines.append(
                f'erpc_upstream_credit_units_total{{project="{project}",network="evm:1",upstream="{upstream}",vendor="{vendor}",category="{category}",finality="unfinalized"}} {n * share}'
            )
    lines += ["# TYPE erpc_network_successful_request_total counter", 'erpc_network_successful_request_total{project="main"} 9']
    return "\n".join(lines) + "\n"


def erpc_config(srv: FakeServer, metrics, state_dir) -> str:
    """One alchemy endpoint (a geth fake on ``srv``) and eRPC's metrics at ``metrics`` behind a
    token path, read every second; the exporter's state in ``state_dir``: the config text."""
    srv.jsonrpc(f"/v2/{KEY}", geth())
    srv.route("GET", f"/{ERPC_TOKEN}/metrics", metrics)
    chains = {"ethereum": mainnet("evm", node_at(srv.url(f"/v2/{KEY}"), provider="alchemy"))}
    table = {"monthly_quota_credits": 1e9, "erpc": {"metrics_url": srv.url(f"/{ERPC_TOKEN}/metrics"), "interval_seconds": 1}}
    return config_text(chains, exporter={**IMMEDIATE, "state_dir": str(state_dir)}, pricing={"alchemy": table})


def test_the_counter_is_summed_over_the_vendors_series_only():
    text = exposition(
        {
            ("main", "alchemy-a", "alchemy"): 1000,
            ("main", "alchemy-b", "alchemy"): 400,
            ("main", "qn-1", "quicknode"): 5000,
            ("staging", "alchemy-c", "alchemy"): 8,
        }
    )
    assert credit_units(text, "alchemy", [], None) == 1408
    assert credit_units(text, "alchemy", ["alchemy-b"], None) == 400
    assert credit_units(text, "alchemy", [], "main") == 1400
    assert credit_units(text, "infura", [], None) == 0
    with pytest.raises(ValueError):
        credit_units('erpc_upstream_credit_units_total{vendor="alchemy"} NaN\n', "alchemy", [], None)
    with pytest.raises(ValueError):
        credit_units("<html>not metrics</html>", "alchemy", [], None)


async def test_erpcs_spend_adds_to_the_period_count_across_an_erpc_restart(tmp_path, caplog):
    counts = {("main", "alchemy-a", "alchemy"): 10_000.0, ("main", "qn-1", "quicknode"): 99_999.0}
    status = [200]

    async def metrics(request, raw):
        return web.Response(status=status[0], text=exposition(counts), content_type="text/plain")

    with FakeServer() as srv:
        text = erpc_config(srv, metrics, tmp_path)
        caplog.set_level(logging.WARNING)
        async with ServedExporter(text) as ex:
            s = await ex.until(lambda s: s.value("chainwatch_provider_erpc_read_success", provider="alchemy") == 1, what="an eRPC read")
            own = sum(v for _, v in s.find("chainwatch_provider_credits_total", provider="alchemy"))
            base = s.value("chainwatch_provider_period_credits", provider="alchemy")
            assert base >= own  # the first read is the baseline: eRPC's spend before chainwatch started is not this run's
            counts[("main", "alchemy-a", "alchemy")] += 5_000  # eRPC proxies traffic: 5000 CU more
            s = await ex.until(lambda s: s.value("chainwatch_provider_period_credits", provider="alchemy") >= base + 5_000, what="eRPC's growth counted")
            assert s.value("chainwatch_provider_period_credits", provider="alchemy") < base + 5_000 + 1_000  # the other vendor's 99999 are not alchemy's
            grown = s.value("chainwatch_provider_period_credits", provider="alchemy")
            counts[("main", "alchemy-a", "alchemy")] = 300.0  # eRPC restarted: its counter starts again; its 300 are new spend
            s = await ex.until(lambda s: s.value("chainwatch_provider_period_credits", provider="alchemy") >= grown + 300, what="the restart's spend counted")
            status[0] = 503
            s = await ex.until(lambda s: s.value("chainwatch_provider_erpc_read_success", provider="alchemy") == 0, what="a failed eRPC read")
            _, body = await ex.get("/metrics")
    assert ERPC_TOKEN not in body and KEY not in body
    logged = " ".join(r.getMessage() + str(getattr(r, "detail", "")) for r in caplog.records)
    assert ERPC_TOKEN not in logged
    assert any("eRPC credit counter read failed" in r.getMessage() for r in caplog.records)


async def test_erpcs_spend_while_chainwatch_was_down_is_counted_after_its_restart(tmp_path):
    """chainwatch restarts with the same ``state_dir``: what eRPC spent meanwhile adds to the
    period's count; an eRPC that restarted meanwhile (its counter below the saved value) counts
    its whole new value; the saved file names no eRPC URL (it carries a token)."""
    counts = {("main", "alchemy-a", "alchemy"): 10_000.0}

    async def metrics(request, raw):
        return web.Response(text=exposition(counts), content_type="text/plain")

    def erpcs(s, restored: float) -> float:
        """eRPC's share of the period count: less the count restored at start and chainwatch's own requests of this run."""
        own = sum(v for _, v in s.find("chainwatch_provider_credits_total", provider="alchemy"))
        return s.value("chainwatch_provider_period_credits", provider="alchemy") - restored - own

    with FakeServer() as srv:
        text = erpc_config(srv, metrics, tmp_path)
        restored = 0.0
        for down_meanwhile, spent in (
            (lambda: None, 0),  # the first start: eRPC's 10000 are from before, a baseline
            (lambda: counts.__setitem__(("main", "alchemy-a", "alchemy"), 14_000.0), 4_000),
            (lambda: counts.__setitem__(("main", "alchemy-a", "alchemy"), 250.0), 250),  # eRPC restarted too: 250 new
        ):
            down_meanwhile()  # what eRPC does while chainwatch is stopped
            async with ServedExporter(text) as ex:
                await ex.until(lambda s: s.value("chainwatch_provider_erpc_read_success", provider="alchemy") == 1, what="an eRPC read")
                s = await ex.until(lambda s, r=restored, n=spent: erpcs(s, r) >= n, 10, what=f"eRPC's {spent} CU spent while chainwatch was down counted")
                assert erpcs(s, restored) == pytest.approx(spent)
            saved = json.loads((tmp_path / "provider-credits.json").read_text())["providers"]["alchemy"]
            assert saved["erpc"]["upstreams"] == {"alchemy-a": counts[("main", "alchemy-a", "alchemy")]}
            restored = saved["credits"]
        assert ERPC_TOKEN not in (tmp_path / "provider-credits.json").read_text()


def _meter(tmp_path, table):
    meter = CreditMeter()
    meter.configure({"alchemy": table})
    meter.attach(tmp_path / "provider-credits.json")
    return meter


def test_saved_counters_of_another_erpc_url_or_vendor_are_not_used(tmp_path):
    def table(url: str, vendor: str | None = None):
        erpc = {"metrics_url": url, **({"vendor": vendor} if vendor else {})}
        return parse(
            config_text({"ethereum": mainnet("evm", node_at("http://127.0.0.1:1/", provider="alchemy"))}, pricing={"alchemy": {"erpc": erpc}}), env={}
        ).providers()["alchemy"]

    first = table("http://127.0.0.1:9/erpc-a/metrics")
    meter = _meter(tmp_path, first)
    ERPCWatch("alchemy", first, None, meter).add({"alchemy-a": 10_000.0})
    meter.save()
    # The same eRPC after a restart: its growth counts.
    same = _meter(tmp_path, first)
    ERPCWatch("alchemy", first, None, same).add({"alchemy-a": 10_600.0})
    assert same.period_credits["alchemy"] == 600
    # Another eRPC (another URL), or another vendor's series: 10600 says nothing of them: a baseline.
    for other in (table("http://127.0.0.1:9/erpc-b/metrics"), table("http://127.0.0.1:9/erpc-a/metrics", vendor="quicknode")):
        fresh = _meter(tmp_path, other)
        watch = ERPCWatch("alchemy", other, None, fresh)
        watch.add({"alchemy-a": 50_000.0})
        assert fresh.period_credits["alchemy"] == 600  # the saved period count, nothing of eRPC's 50000
        watch.add({"alchemy-a": 50_070.0})
        assert fresh.period_credits["alchemy"] == 670
