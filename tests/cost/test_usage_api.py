"""QuickNode's usage API (issue #31, optional part): ``GET /v0/usage/rpc`` with ``x-api-key`` read
from a file; while it answers, ``chainwatch_provider_period_credits`` (what the quota and budget
projections read) is the provider's own count of the period. The API is a loopback fake
answering in the shape of https://www.quicknode.com/docs/admin-api/usage/v0-usage-rpc."""

from __future__ import annotations

import time

from chainwatch.core import pricing
from tests.exporter.test_evm_probe import geth
from tests.support.configs import IMMEDIATE, config_text, mainnet, node_at
from tests.support.fakeserver import FakeServer
from tests.support.served import ServedExporter

ADMIN_KEY = "qn-admin-k3y-5e6f7a"
ENDPOINT_KEY = "qn-endpoint-tok3n-1a2b"


def text(srv: FakeServer, key_file) -> str:
    chains = {"ethereum": mainnet("evm", node_at(srv.url(f"/{ENDPOINT_KEY}/"), provider="quicknode"))}
    table = {"monthly_quota_credits": 80e6, "usage_api": {"url": srv.url("/v0/usage/rpc"), "api_key_file": str(key_file), "interval_seconds": 1}}
    return config_text(chains, exporter={**IMMEDIATE, "state_dir": str(key_file.parent / "state")}, pricing={"quicknode": table})


async def test_the_providers_own_count_replaces_ours_while_its_api_answers(tmp_path):
    key_file = tmp_path / "qn.key"
    key_file.write_text(ADMIN_KEY + "\n")
    seen = []
    used = {"credits_used": 61_000_000}

    async def usage(request, raw):
        seen.append((request.headers.get("x-api-key"), dict(request.query)))
        if request.headers.get("x-api-key") != ADMIN_KEY:
            return 401, {"data": None, "error": "invalid api key"}
        data = {**used, "credits_remaining": 80_000_000 - used["credits_used"], "limit": 80_000_000, "overages": 0}
        return {"data": {**data, "start_time": int(request.query["start_time"]), "end_time": int(request.query["end_time"])}, "error": None}

    with FakeServer() as srv:
        srv.jsonrpc(f"/{ENDPOINT_KEY}/", geth())
        srv.route("GET", "/v0/usage/rpc", usage)
        async with ServedExporter(text(srv, key_file)) as ex:
            s = await ex.until(lambda s: s.value("chainwatch_provider_usage_read_success", provider="quicknode") == 1, what="a usage read")
            assert s.value("chainwatch_provider_period_credits", provider="quicknode") == 61_000_000
            assert sum(v for _, v in s.find("chainwatch_provider_credits_total", provider="quicknode")) >= 8 * 20  # our own count goes on beside it
            key_file.write_text("revoked")  # the API refuses: back to our own count, and it says so
            s = await ex.until(lambda s: s.value("chainwatch_provider_usage_read_success", provider="quicknode") == 0, what="a refused read")
            _, body = await ex.get("/metrics")
    key, query = seen[0]
    start, _ = pricing.period(time.time(), 1)
    assert key == ADMIN_KEY and int(query["start_time"]) == int(start) and abs(int(query["end_time"]) - time.time()) < 60
    assert ADMIN_KEY not in body and ENDPOINT_KEY not in body
