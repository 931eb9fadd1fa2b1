"""Sui checkpoint stream: ``sui.rpc.v2.SubscriptionService/SubscribeCheckpoints`` on the endpoint's ``ws_url``.

The stream capability of the kind (``exporters.streams``): the subscription indexers and
applications keep, whose lag behind the polled head (``chainwatch_stream_lag_blocks``, in
checkpoints) and silence (``chainwatch_stream_last_message_age_seconds``) page through the
shared ``ChainwatchStreamBehind`` / ``ChainwatchStreamQuiet``, as EVM WebSockets do.

Source: sui-rpc ``sui/rpc/v2/subscription_service.proto``::

    message SubscribeCheckpointsRequest { optional google.protobuf.FieldMask read_mask = 1; ... }
    message SubscribeCheckpointsResponse {
      optional uint64 cursor = 1;              // the checkpoint's sequence number
      optional Checkpoint checkpoint = 2;      // sequence_number = 1, summary = 3
    }

A server stream: one response per checkpoint the node executes, from its current one on.
The request's read mask asks only ``sequence_number`` (the message stays ~10 bytes; a full
checkpoint carries its transactions). It is spoken with the endpoint's ``transport``:
gRPC-web (a chunked HTTP/1.1 POST of 5-byte-header frames, over the watch's aiohttp session)
or native gRPC (grpclib, a channel of its own); the bearer token of ``token_file`` on both.
A trailers frame with a non-zero ``grpc-status`` ends the connection (UNAUTHENTICATED:
``auth``), and the watch reconnects with back-off.
"""

from __future__ import annotations

import asyncio

from chainwatch.exporters.failures import ProbeFailure
from chainwatch.exporters.redact import clip
from chainwatch.exporters.streams import StreamError
from chainwatch.exporters.transport import join_url, tls_options
from chainwatch.kinds.sui import native
from chainwatch.kinds.sui.grpcweb import CONTENT_TYPE, SUBSCRIBE_PATH, TRAILERS, encode, fields, frame, status_of, unframe
from chainwatch.kinds.sui.probe import bearer

MAX_FRAME_BYTES = 1024 * 1024  # a masked checkpoint message is ~10 bytes; a full one is far below this too
REQUEST = encode([(1, encode([(1, "sequence_number")]))])  # read_mask {paths: ["sequence_number"]}


class CheckpointStream:
    protocol = "kind"

    def head(self, message) -> float | None:
        """The checkpoint of one ``SubscribeCheckpointsResponse`` (``cursor``, else
        ``checkpoint.sequence_number``); raises StreamError for an undecodable message."""
        if not isinstance(message, bytes):
            raise StreamError("not a protobuf message")
        try:
            top = fields(message)
            cursor = top.get(1)
            if not isinstance(cursor, int) and isinstance(top.get(2), bytes):
                cursor = fields(top[2]).get(1)
        except ProbeFailure as exc:
            raise StreamError(exc.detail) from None
        if not isinstance(cursor, int):
            raise StreamError("SubscribeCheckpointsResponse without cursor or sequence_number")
        return cursor

    async def follow(self, watch) -> None:
        endpoint = watch.endpoint
        auth, secrets = bearer(endpoint)
        if getattr(endpoint, "transport", "grpc-web") == "grpc":
            stream = native.server_stream(
                endpoint,
                endpoint.ws_url,
                SUBSCRIBE_PATH,
                REQUEST,
                metadata=native.metadata(endpoint, auth),
                connect_timeout=watch.handshake_seconds,
                secrets=secrets,
            )
            watch.connected = True
            async for message in stream:
                watch.heard(message)
            return
        await self._grpc_web(watch, auth, secrets)

    async def _grpc_web(self, watch, auth: dict, secrets: tuple[str, ...]) -> None:
        endpoint = watch.endpoint
        headers = {**endpoint.headers, "Content-Type": CONTENT_TYPE, "Accept": CONTENT_TYPE, "X-Grpc-Web": "1", **auth}
        url = join_url(endpoint.ws_url, SUBSCRIBE_PATH)
        async with asyncio.timeout(watch.handshake_seconds):
            resp = await watch.session.post(url, data=frame(REQUEST), headers=headers, allow_redirects=False, **tls_options(endpoint))
        async with resp:
            if resp.status == 401:
                raise ProbeFailure("auth", "HTTP 401 for the checkpoint stream")
            if resp.status != 200 or not resp.headers.get("Content-Type", "").startswith("application/grpc-web"):
                raise StreamError(f"HTTP {resp.status} ({clip(resp.headers.get('Content-Type', ''), 40)}) for the checkpoint stream")
            code, message = status_of({k.lower(): v for k, v in resp.headers.items()}) if "grpc-status" in resp.headers else (0, "")
            if code:
                raise ProbeFailure("auth" if code in (7, 16) else "rpc_error", f"gRPC status {code}: {clip(message, 80)}")
            watch.connected = True
            while True:
                try:
                    header = await resp.content.readexactly(5)
                except asyncio.IncompleteReadError as exc:
                    if exc.partial:
                        raise StreamError("truncated gRPC-web frame header") from None
                    return
                flags, length = header[0], int.from_bytes(header[1:], "big")
                if length > MAX_FRAME_BYTES:
                    raise StreamError(f"gRPC-web frame of {length} bytes")
                payload = await resp.content.readexactly(length)
                if flags & TRAILERS:
                    _, trailers = unframe(header + payload)
                    code, message = status_of(trailers)
                    if code:
                        raise ProbeFailure("auth" if code in (7, 16) else "rpc_error", f"gRPC status {code}: {clip(message, 80)}")
                    return
                watch.heard(payload)


STREAM = CheckpointStream()
