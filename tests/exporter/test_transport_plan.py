"""The transport's per-endpoint request plan (URL, headers, secrets computed once per
endpoint object): what a request carries must still follow the endpoint's config, a new
config's endpoints must be used at once, and the plans of old configs must go.

Talks to the tests' loopback FakeServer (tests/support/fakeserver.py), which records every
request it gets."""

from __future__ import annotations

import asyncio
import gc

from chainwatch.core.chain import Endpoint
from chainwatch.exporters.transport import Transport
from tests.support.fakeserver import FakeServer


def _send(transport: Transport, endpoint: Endpoint, **kwargs):
    async def go():
        loop = asyncio.get_running_loop()
        try:
            return await transport.request(endpoint, deadline=loop.time() + 5, **kwargs)
        finally:
            await transport.close()

    return asyncio.run(go())


def test_headers_follow_the_endpoint_and_the_call():
    with FakeServer() as srv:
        srv.jsonrpc("/a", {"eth_chainId": "0x1"})
        srv.route("GET", "/a/eth/v1/node/health", status=200, body="{}")
        transport = Transport()
        plain = Endpoint(name="plain", url=srv.url("/a"))
        own = Endpoint(name="own", url=srv.url("/a"), headers={"Accept": "application/x-custom", "X-Api-Key": "k1"})
        _send(transport, plain, body={"jsonrpc": "2.0", "id": 0, "method": "eth_chainId", "params": []})
        _send(transport, own, body={"jsonrpc": "2.0", "id": 0, "method": "eth_chainId", "params": []})
        _send(transport, own, method="GET", path="/eth/v1/node/health", headers={"Authorization": "Bearer t"})
        (_, _, h1, _), (_, _, h2, _), (_, path3, h3, _) = srv.requests
    assert h1["Content-Type"] == "application/json" and h1["Accept"] == "application/json"
    assert "X-Api-Key" not in h1, "one endpoint's headers leaked into another's requests"
    assert h2["Accept"] == "application/x-custom" and h2["X-Api-Key"] == "k1", "the endpoint's own header must win over the default"
    assert path3 == "/a/eth/v1/node/health"
    assert h3["Authorization"] == "Bearer t" and h3["X-Api-Key"] == "k1" and "Content-Type" not in h3


def test_a_new_config_is_used_at_once_and_old_plans_go():
    with FakeServer() as srv:
        srv.jsonrpc("/old", {"eth_chainId": "0x1"})
        srv.jsonrpc("/new", {"eth_chainId": "0x1"})
        transport = Transport()
        body = {"jsonrpc": "2.0", "id": 0, "method": "eth_chainId", "params": []}
        for round_ in range(50):  # fifty reloads of the same endpoint name with a new URL each time
            endpoint = Endpoint(name="n", url=srv.url("/old" if round_ % 2 == 0 else "/new"))
            _send(transport, endpoint, body=body)
            del endpoint
        gc.collect()
        paths = [path for _, path, _, _ in srv.requests]
    assert paths == ["/old", "/new"] * 25
    assert len(transport._plans) == 0, "plans of endpoints no config holds any more must not pile up"
