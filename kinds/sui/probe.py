"""Sui probe: ``sui.rpc.v2.LedgerService/GetServiceInfo`` over gRPC-web or native gRPC (the
endpoint's ``transport``), one call per endpoint per round.

Exposition it contributes (besides probe success/latency added for every probe)::

    chainwatch_head_height{chain="sui",endpoint="sui-1",network="mainnet",role="node"} 1.7e+08
    chainwatch_head_age_seconds{...} 0.6
    chainwatch_node_info{...,client_version="sui-node/1.52.0"} 1
    chainwatch_sui_lowest_available_checkpoint{...} 1.66e+08
    chainwatch_sui_history_checkpoints{...} 4e+06
    chainwatch_sui_epoch{...} 812

The message and its framing: :mod:`chainwatch.kinds.sui.grpcweb`. ``checkpoint_height`` is the
head, ``timestamp`` its time (head age, lag in seconds); lag in checkpoints and seconds against
the median of the references — a reference serving a stale checkpoint (sui#27296) does not move
it while two others are fresh — and the chain halt come from the shared scheduler and rules.
``chain_id`` (the genesis checkpoint digest) other than the configured one is ``wrong_chain``.

Failures: HTTP 401 or gRPC status UNAUTHENTICATED/PERMISSION_DENIED (16/7) is ``auth``; any
other non-zero gRPC status is ``rpc_error``. An endpoint that answers the gRPC-web call with
something that is not gRPC-web (HTTP 404/405/415, or a JSON body), or a native gRPC call with
no HTTP/2 gRPC server (an HTTP/1.1 server that drops the connection preface, HTTP 404 read as
UNIMPLEMENTED; :mod:`chainwatch.kinds.sui.native`), is asked once more with the
retired JSON-RPC (``sui_getLatestCheckpointSequenceNumber``, POST to the URL): a JSON-RPC
answer fails the probe with ``deprecated_api`` ("still on JSON-RPC, needs migrating"), so
operators see which endpoints to move; otherwise the first failure stands.

The bearer token (``token_file``) is read at every probe and scrubbed from every message.
"""

from __future__ import annotations

import asyncio
import time
from typing import NoReturn

from chainwatch.exporters.failures import ProbeFailure, invalid
from chainwatch.exporters.probe import Call, ProbeContext, ProbeResult, client_version_label
from chainwatch.exporters.redact import clip
from chainwatch.kinds.sui import native
from chainwatch.kinds.sui.grpcweb import CONTENT_TYPE, SERVICE_INFO_PATH, frame, service_info, status_of, unframe

NOT_GRPC_STATUSES = (404, 405, 415)
AUTH_CODES = (7, 16)  # PERMISSION_DENIED, UNAUTHENTICATED
MAX_TOKEN_FILE = 4096


def bearer(endpoint) -> tuple[dict[str, str], tuple[str, ...]]:
    """(Authorization header, secrets to scrub) from the endpoint's ``token_file``; none without one."""
    path = getattr(endpoint, "token_file", None)
    if not path:
        return {}, ()
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_TOKEN_FILE + 1)
    except OSError as exc:
        raise ProbeFailure("auth", f"cannot read token_file {path}: {exc.strerror}") from None
    token = raw.decode("utf-8", "replace").strip()
    if not token or len(raw) > MAX_TOKEN_FILE:
        raise ProbeFailure("auth", f"token_file {path} is empty or larger than {MAX_TOKEN_FILE} bytes")
    return {"Authorization": f"Bearer {token}"}, (token, f"Bearer {token}")


async def call_native(endpoint, ctx: ProbeContext, label: str, method: str, request: bytes, auth: dict, secrets: tuple[str, ...]) -> bytes:
    """One native gRPC call recorded like ``ctx.request`` records HTTP calls (latency, errors).
    Raises :class:`native.NotGrpc` for an endpoint with no gRPC server there."""
    try:
        answer, elapsed = await native.unary(
            endpoint, method, request, timeout=ctx.deadline - asyncio.get_running_loop().time(), metadata=native.metadata(endpoint, auth), secrets=secrets
        )
    except (ProbeFailure, native.NotGrpc):
        ctx.calls.append(Call(label, None, False))
        raise
    ctx.calls.append(Call(label, elapsed, True))
    return answer


class SuiProbe:
    async def run(self, endpoint, ctx: ProbeContext, result: ProbeResult) -> None:
        auth, secrets = bearer(endpoint)
        if getattr(endpoint, "transport", "grpc-web") == "grpc":
            try:
                message = await call_native(endpoint, ctx, "GetServiceInfo", SERVICE_INFO_PATH, b"", auth, secrets)
            except native.NotGrpc as exc:
                await self.legacy(endpoint, ctx, auth, secrets, exc.failure)
            self.read(message, ctx, result)
            return
        headers = {"Content-Type": CONTENT_TYPE, "Accept": CONTENT_TYPE, "X-Grpc-Web": "1", **auth}
        reply = await ctx.request(
            endpoint, "GetServiceInfo", method="POST", path=SERVICE_INFO_PATH, body=frame(b""), headers=headers, secrets=secrets,
            ok_statuses=(401, *NOT_GRPC_STATUSES),
        )  # fmt: skip
        if reply.status == 401:
            raise ProbeFailure("auth", "HTTP 401: the endpoint refused the request" + (" (token_file)" if auth else " (no token_file set)"), status=401)
        if reply.status in NOT_GRPC_STATUSES or reply.body[:1] in (b"{", b"["):
            first = (
                ProbeFailure("http_status", f"HTTP {reply.status}", status=reply.status) if reply.status != 200 else invalid("a JSON answer to a gRPC-web call")
            )
            await self.legacy(endpoint, ctx, auth, secrets, first)
        messages, trailers = unframe(reply.body)
        code, message = status_of(trailers)
        if not trailers and not messages:
            raise ProbeFailure("rpc_error", "an empty gRPC-web answer (the status is in HTTP headers: a trailers-only error)")
        if code in AUTH_CODES:
            raise ProbeFailure("auth", f"gRPC status {code}: {clip(message, 80)}")
        if code != 0:
            raise ProbeFailure("rpc_error", f"gRPC status {code}: {clip(message, 80)}")
        if not messages:
            raise invalid("GetServiceInfo: gRPC status 0 without a message")
        self.read(messages[0], ctx, result)

    @staticmethod
    def read(message: bytes, ctx: ProbeContext, result: ProbeResult) -> None:
        """Fill ``result`` from one ``GetServiceInfoResponse``, whichever transport brought it."""
        info = service_info(message)
        expected = ctx.chain.chain_id
        if info.chain_id != expected:
            raise ProbeFailure("wrong_chain", f"GetServiceInfo chain_id {clip(info.chain_id, 48)!r}, expected {expected!r}")
        if info.checkpoint_height is None:
            raise invalid("GetServiceInfo: no checkpoint_height")
        result.head_height = info.checkpoint_height
        result.set("chainwatch_head_height", info.checkpoint_height)
        if info.timestamp:
            result.head_timestamp = info.timestamp
            result.set("chainwatch_head_age_seconds", round(max(0.0, time.time() - info.timestamp), 3))
        else:
            result.unknown("timestamp", "absent or 0")
        result.client_version(client_version_label(info.server))
        result.set("chainwatch_sui_epoch", info.epoch)
        if info.lowest_available_checkpoint is not None:
            result.set("chainwatch_sui_lowest_available_checkpoint", info.lowest_available_checkpoint)
            result.set("chainwatch_sui_history_checkpoints", max(0, info.checkpoint_height - info.lowest_available_checkpoint))

    @staticmethod
    async def legacy(endpoint, ctx: ProbeContext, auth: dict, secrets: tuple[str, ...], first: ProbeFailure) -> NoReturn:
        """Raise ``deprecated_api`` when the endpoint answers the retired JSON-RPC, else ``first``."""
        body = {"jsonrpc": "2.0", "id": 1, "method": "sui_getLatestCheckpointSequenceNumber", "params": []}
        try:
            reply = await ctx.request(endpoint, "jsonrpc", method="POST", body=body, headers=auth or None, secrets=secrets)
            answer = reply.json()
        except ProbeFailure:
            raise first from None
        if isinstance(answer, dict) and answer.get("jsonrpc") == "2.0" and ("result" in answer or "error" in answer):
            raise ProbeFailure("deprecated_api", "answers only the retired JSON-RPC, not gRPC (sui.rpc.v2): migrate this endpoint")
        raise first


PROBE = SuiProbe()
