"""AvalancheGo's JSON-RPC over HTTP and its value encodings, for the probe and the validator monitor.

AvalancheGo serves gorilla ``json2`` JSON-RPC 2.0 per API (``POST /ext/info``, ``/ext/bc/P``,
``/ext/health``), one call per request (no batches). Its ``avajson`` types encode integers
(``json.Uint64``/``Uint32``: heights, times, weights, balances, the network id) as decimal
strings and floats (``json.Float64``/``Float32``: uptime percentages) as strings with 4 decimals
(``utils/json`` in ava-labs/avalanchego). An error answers HTTP 200 with
``{"error": {"code": -32000, "message": "...", "data": null}}``.
"""

from __future__ import annotations

import math
from typing import Any

from chainwatch.core.chain import Endpoint
from chainwatch.exporters import jsonrpc
from chainwatch.exporters.failures import ProbeFailure, invalid
from chainwatch.exporters.numbers import U64_MAX
from chainwatch.exporters.numbers import uint as _uint

PATHS = {"info": "/ext/info", "platform": "/ext/bc/P", "health": "/ext/health"}


def _clip(text: object, n: int = 60) -> str:
    s = str(text)
    return s if len(s) <= n else s[: n - 1] + "…"


def result(reply_json: Any, method: str) -> Any:
    """The ``result`` of one JSON-RPC answer; ``rpc_error`` (or ``rate_limited``) for an ``error``."""
    if not isinstance(reply_json, dict):
        raise invalid(f"{method}: expected a JSON-RPC object")
    error = reply_json.get("error")
    if error is not None:
        error = error if isinstance(error, dict) else {"message": str(error)}
        if jsonrpc.rate_limited(error):
            raise jsonrpc.rate_limit_failure(method, error)
        raise ProbeFailure("rpc_error", f"{method}: {error.get('code')} {_clip(error.get('message', ''))}")
    if "result" not in reply_json:
        raise invalid(f"{method}: neither result nor error")
    return reply_json["result"]


def body(method: str, params: dict | None = None) -> dict:
    return {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}}


def path_of(method: str) -> str:
    return PATHS[method.split(".", 1)[0]]


def obj(value: Any, what: str) -> dict:
    if not isinstance(value, dict):
        raise invalid(f"{what}: expected an object")
    return value


def u64(value: Any, what: str) -> int:
    """An avajson Uint64/Uint32: a decimal string (a JSON integer is taken too)."""
    return _uint(value, what, decimal=True, limit=U64_MAX)


def percent(value: Any, what: str) -> float:
    """An avajson Float64/Float32 percentage ("99.9000") as a fraction in [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise invalid(f"{what}: expected a percentage string, got {_clip(repr(value), 32)}")
    try:
        x = float(value)
    except ValueError:
        raise invalid(f"{what}: expected a percentage string, got {_clip(repr(value), 32)}") from None
    if not math.isfinite(x) or not 0 <= x <= 100.0001:
        raise invalid(f"{what}: {x!r} is not a percentage")
    return min(1.0, x / 100)


async def call(request, endpoint: Endpoint, method: str, params: dict | None = None, **kwargs) -> Any:
    """One JSON-RPC call through ``request`` (``ProbeContext.request`` or the monitor's), its result."""
    reply = await request(endpoint, method, method="POST", path=path_of(method), body=body(method, params), **kwargs)
    return result(reply.json(), method)
