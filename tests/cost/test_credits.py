"""Provider cost (issue #31): every billable element chainwatch sends is counted at the
provider's published table, under the provider's name and never its URL.

Upstreams: loopback fakes (tests/support/fakeserver.py) answering as geth does
(tests/support/answers.py); the exporter is the real aiohttp app (tests/support/served.py).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess

import pytest

from chainwatch.assembly.config import ConfigError, parse
from chainwatch.core import pricing
from chainwatch.exporters.credits import CreditMeter
from tests.exporter.test_evm_probe import geth
from tests.support import require_binary
from tests.support.configs import IMMEDIATE, config_text, mainnet, node_at
from tests.support.fakeserver import FakeServer
from tests.support.served import ServedExporter
from tests.support.stack import Samples

KEY = "k3y-0f-the-provider-9f8e7d"
# Alchemy's published compute units (https://www.alchemy.com/docs/reference/compute-unit-costs,
# read 2026-12-07) of the methods of the EVM probe's first round; net_peerCount and
# txpool_status are not in Alchemy's table and cost the built-in table's default (20).
ALCHEMY_PUBLISHED = {
    "eth_chainId": 0,
    "eth_blockNumber": 10,
    "eth_syncing": 0,
    "eth_getBlockByNumber": 20,
    "eth_gasPrice": 20,
    "web3_clientVersion": 20,
}


def total(s: Samples, provider: str) -> float:
    """Credits of every method of ``provider``: what its bill adds up to."""
    return sum(v for _, v in s.find("chainwatch_provider_credits_total", provider=provider))


def exporter_settings(state_dir) -> dict:
    return {**IMMEDIATE, "state_dir": str(state_dir)}


def alchemy_config(srv: FakeServer, state_dir, **pricing_table) -> str:
    chains = {"ethereum": mainnet("evm", node_at(srv.url(f"/v2/{KEY}"), provider="alchemy"))}
    return config_text(chains, exporter=exporter_settings(state_dir), **({"pricing": {"alchemy": pricing_table}} if pricing_table else {}))


async def test_a_batch_is_billed_per_element_at_the_published_compute_units(tmp_path):
    with FakeServer() as srv:
        srv.jsonrpc(f"/v2/{KEY}", geth())
        async with ServedExporter(alchemy_config(srv, tmp_path)) as ex:
            _, body = await ex.get("/metrics")
    s = Samples.parse(body)
    sent = [json.loads(r[3]) for r in srv.requests if r[1] == f"/v2/{KEY}"]
    assert len(sent) == 1 and len(sent[0]) == 8  # one HTTP request: a batch of eight elements
    for method in ALCHEMY_PUBLISHED:
        assert s.value("chainwatch_provider_requests_total", provider="alchemy", method=method) == 1, method
    others = ("net_peerCount", "txpool_status")
    assert all(s.value("chainwatch_provider_requests_total", provider="alchemy", method=m) == 1 for m in others)
    expected = sum(ALCHEMY_PUBLISHED.values()) + 20 * len(others)
    assert total(s, "alchemy") == expected
    assert s.value("chainwatch_provider_credits_total", provider="alchemy", method="eth_getBlockByNumber") == 20  # the bill by method
    assert s.value("chainwatch_provider_period_credits", provider="alchemy") == expected
    assert s.value("chainwatch_provider_period_end_timestamp_seconds", provider="alchemy") > dt.datetime.now(dt.timezone.utc).timestamp()
    assert KEY not in body and "127.0.0.1" not in body.split("chainwatch_provider", 1)[1]
    lint = subprocess.run([require_binary("promtool"), "check", "metrics"], input=body, capture_output=True, text=True)
    assert "chainwatch_provider" not in lint.stdout + lint.stderr, lint.stdout + lint.stderr


async def test_a_configured_table_overrides_the_built_in_one_and_unconfigured_endpoints_are_not_counted(tmp_path):
    with FakeServer() as srv:
        srv.jsonrpc(f"/v2/{KEY}", geth())
        srv.jsonrpc("/free", geth())
        chains = {
            "ethereum": mainnet("evm", node_at(srv.url(f"/v2/{KEY}"), provider="alchemy"), node_at(srv.url("/free"), name="own-node")),
        }
        text = config_text(chains, exporter=exporter_settings(tmp_path), pricing={"alchemy": {"credits": {"eth_blockNumber": 100}, "default_credits": 0}})
        async with ServedExporter(text) as ex:
            s = await ex.scrape()
    # eth_blockNumber 100 from the config; the listed built-in values stay; unlisted methods now 0
    assert total(s, "alchemy") == 100 + 20 + 20 + 20
    assert s.value("chainwatch_provider_requests_total", provider="alchemy", method="eth_blockNumber") == 1  # own-node's batch is not counted


async def test_rate_limited_answers_are_not_billed(tmp_path):
    with FakeServer() as srv:
        srv.route("POST", f"/v2/{KEY}", status=429, json_body={"error": "too many requests"})
        async with ServedExporter(alchemy_config(srv, tmp_path)) as ex:
            s = await ex.scrape()
    assert s.value("chainwatch_probe_success", endpoint="node-1") == 0
    assert not s.find("chainwatch_provider_credits_total") and not s.find("chainwatch_provider_requests_total")
    assert s.value("chainwatch_provider_period_credits", provider="alchemy") == 0


def test_the_billing_period_starts_on_the_configured_day_and_the_period_count_restarts():
    now = [dt.datetime(2026, 12, 20, 12, tzinfo=dt.timezone.utc).timestamp()]
    meter = CreditMeter(clock=lambda: now[0])
    meter.configure({"quicknode": pricing.Pricing(default_credits=20, period_start_day=21)})
    meter.count("quicknode", [{"method": "eth_blockNumber"}, {"method": "eth_chainId"}])
    meter.count("quicknode", {"method": "eth_blockNumber"})
    meter.count("quicknode", b"grpc frame")  # not JSON-RPC: one REST request
    samples = {(n, tuple(sorted(labels.items()))): v for n, labels, v in meter.samples()}
    assert sum(v for n, labels, v in meter.samples() if n == "chainwatch_provider_credits_total") == 80
    assert samples[("chainwatch_provider_requests_total", (("method", "eth_blockNumber"), ("provider", "quicknode")))] == 2
    assert samples[("chainwatch_provider_requests_total", (("method", "rest"), ("provider", "quicknode")))] == 1
    end = dt.datetime(2026, 12, 21, tzinfo=dt.timezone.utc).timestamp()
    assert samples[("chainwatch_provider_period_end_timestamp_seconds", (("provider", "quicknode"),))] == end
    now[0] = end + 60  # the next period: its count starts again, the counter does not
    meter.count("quicknode", {"method": "eth_blockNumber"})
    samples = {(n, tuple(sorted(labels.items()))): v for n, labels, v in meter.samples()}
    assert samples[("chainwatch_provider_period_credits", (("provider", "quicknode"),))] == 20
    assert sum(v for n, labels, v in meter.samples() if n == "chainwatch_provider_credits_total") == 100
    assert (
        samples[("chainwatch_provider_period_end_timestamp_seconds", (("provider", "quicknode"),))]
        == dt.datetime(2027, 1, 21, tzinfo=dt.timezone.utc).timestamp()
    )


def test_server_chosen_method_names_cannot_grow_the_label_set():
    meter = CreditMeter()
    meter.configure({"infura": pricing.BUILTIN["infura"]})
    meter.count("infura", [{"method": f"m{i}"} for i in range(200)])
    methods = {labels["method"] for n, labels, _ in meter.samples() if n == "chainwatch_provider_requests_total"}
    assert len(methods) == 65 and "other" in methods


@pytest.mark.parametrize(
    "endpoint_extra, top, field, words",
    [
        ({"provider": "alchmey"}, {}, "chains.ethereum.endpoints[0].provider", "unknown provider 'alchmey'"),
        ({"provider": "mine"}, {"pricing": {"mine": {"base": "quiknode"}}}, "pricing.mine.base", "unknown built-in table 'quiknode'"),
        ({"provider": "alchemy"}, {"pricing": {"alchemy": {"period_start_day": 31}}}, "pricing.alchemy.period_start_day", "less than or equal to 28"),
        ({"provider": "alchemy"}, {"pricing": {"alchemy": {"team": "finance"}}}, "pricing.alchemy.team", "unknown team 'finance'"),
    ],
)
def test_a_bad_pricing_config_names_the_file_line_and_field(endpoint_extra, top, field, words):
    text = config_text({"ethereum": mainnet("evm", node_at(f"https://eth-mainnet.example/v2/{KEY}", **endpoint_extra))}, **top)
    with pytest.raises(ConfigError) as info:
        parse(text, env={})
    message = str(info.value)
    assert field in message and words in message and KEY not in message
    assert ":" in message.split(field)[0]  # file:line: before the field


def test_builtin_tables_resolve_with_a_base():
    config = parse(
        config_text(
            {"solana": mainnet("solana", node_at("https://sol.example/k", provider="quicknode-solana"))},
            pricing={"quicknode-solana": {"base": "quicknode", "default_credits": 30, "monthly_quota_credits": 80e6}},
        ),
        env={},
    )
    table = config.providers()["quicknode-solana"]
    assert table.cost("getSlot") == 30 and table.monthly_quota_credits == 80e6
    assert config.provider_team("quicknode-solana") == "default"


def test_the_periods_count_survives_a_restart_within_the_period_only(tmp_path):
    now = [dt.datetime(2026, 12, 20, 12, tzinfo=dt.timezone.utc).timestamp()]
    tables = {"alchemy": pricing.BUILTIN["alchemy"]}
    path = tmp_path / "provider-credits.json"
    before = CreditMeter(clock=lambda: now[0])
    before.configure(tables)
    before.attach(path)
    before.count("alchemy", [{"method": "eth_blockNumber"}, {"method": "eth_call"}])  # 36 CU, saved at once
    after = CreditMeter(clock=lambda: now[0])
    after.configure(tables)
    after.attach(path)
    after.count("alchemy", {"method": "eth_blockNumber"})
    samples = {n: v for n, labels, v in after.samples() if labels.get("provider") == "alchemy" and "method" not in labels}
    assert samples["chainwatch_provider_period_credits"] == 46  # the period goes on from the saved count
    assert sum(v for n, _, v in after.samples() if n == "chainwatch_provider_credits_total") == 10  # the counter is the process's own
    now[0] = dt.datetime(2027, 1, 2, tzinfo=dt.timezone.utc).timestamp()  # restarted in the next period
    later = CreditMeter(clock=lambda: now[0])
    later.configure(tables)
    later.attach(path)
    assert dict(later.period_credits) == {}
    path.write_text('{"version": 1, "providers": {"alchemy": {"period_end": "soon", "credits": 3}}}')
    fresh = CreditMeter(clock=lambda: now[0])
    fresh.configure(tables)
    fresh.attach(path)  # unreadable: kept aside, started fresh
    assert dict(fresh.period_credits) == {} and any(p.name.startswith("provider-credits.json.corrupt-") for p in tmp_path.iterdir())
