"""gRPC-web framing and the protobuf wire format of the few Sui messages the probe reads.

Why no gRPC library for gRPC-web: the probe makes one unary call per round (``GetServiceInfo``,
empty request); gRPC-web is plain HTTP/1.1 POST with length-prefixed frames, so it rides the
shared aiohttp transport (timeouts, TLS, secrets scrubbing, latency accounting) with no new
dependency, and the answer is eight scalar fields. Native gRPC (HTTP/2) goes through grpclib
(:mod:`chainwatch.kinds.sui.native`) with the same message bytes.

Sources: the gRPC-web protocol (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-WEB.md):
a message is a frame ``flags(1) length(4, big-endian) payload``; flags ``0x00`` data, ``0x80``
trailers (``grpc-status: 0\\r\\ngrpc-message: …\\r\\n``); a call that fails before any message
may carry ``grpc-status`` in the HTTP headers instead ("trailers-only"). The protobuf encoding
(https://protobuf.dev/programming-guides/encoding/); the message (sui-rpc ``sui/rpc/v2/ledger_service.proto``)::

    message GetServiceInfoResponse {
      optional string chain_id = 1;            // genesis checkpoint digest, base58
      optional string chain = 2;               // "mainnet", "testnet", ...
      optional uint64 epoch = 3;
      optional uint64 checkpoint_height = 4;
      optional google.protobuf.Timestamp timestamp = 5;   // of that checkpoint
      optional uint64 lowest_available_checkpoint = 6;
      optional uint64 lowest_available_checkpoint_objects = 7;
      optional string server = 8;              // e.g. "sui-node/1.52.0"
    }
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from urllib.parse import unquote

from chainwatch.exporters.failures import invalid

CONTENT_TYPE = "application/grpc-web+proto"
SERVICE_INFO_PATH = "sui.rpc.v2.LedgerService/GetServiceInfo"
SUBSCRIBE_PATH = "sui.rpc.v2.SubscriptionService/SubscribeCheckpoints"
GET_EPOCH_PATH = "sui.rpc.v2.LedgerService/GetEpoch"
DATA, TRAILERS = 0x00, 0x80
MAX_VARINT_BYTES = 10


def frame(message: bytes, flags: int = DATA) -> bytes:
    return struct.pack(">BI", flags, len(message)) + message


def unframe(body: bytes) -> tuple[list[bytes], dict[str, str]]:
    """The data frames and the trailers of a gRPC-web answer; raises ``invalid_response`` on a
    truncated frame."""
    messages, trailers, pos = [], {}, 0
    while pos < len(body):
        if len(body) - pos < 5:
            raise invalid("gRPC-web: truncated frame header")
        flags, length = struct.unpack_from(">BI", body, pos)
        pos += 5
        if len(body) - pos < length:
            raise invalid(f"gRPC-web: frame of {length} bytes, {len(body) - pos} left")
        payload = body[pos : pos + length]
        pos += length
        if flags & TRAILERS:
            for line in payload.decode("ascii", "replace").split("\r\n"):
                key, sep, value = line.partition(":")
                if sep:
                    trailers[key.strip().lower()] = value.strip()
        else:
            messages.append(payload)
    return messages, trailers


def status_of(trailers: dict[str, str]) -> tuple[int, str]:
    raw = trailers.get("grpc-status", "")
    code = int(raw) if raw.isdigit() else 2  # UNKNOWN when absent or malformed
    return code, unquote(trailers.get("grpc-message", ""))[:120]


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = 0
    for i in range(MAX_VARINT_BYTES):
        if pos >= len(data):
            raise invalid("protobuf: truncated varint")
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << (7 * i)
        if b < 0x80:
            return value, pos
    raise invalid("protobuf: varint longer than 10 bytes")


def entries(data: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) in wire order, repeated fields repeated (varint as int,
    length-delimited as bytes); fixed32/64 fields are skipped; a group or truncation is invalid."""
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            out.append((number, value))
        elif wire == 2:
            length, pos = _varint(data, pos)
            if len(data) - pos < length:
                raise invalid("protobuf: truncated length-delimited field")
            out.append((number, data[pos : pos + length]))
            pos += length
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
            if pos > len(data):
                raise invalid("protobuf: truncated fixed field")
        else:
            raise invalid(f"protobuf: unsupported wire type {wire}")
    return out


def fields(data: bytes) -> dict[int, int | bytes]:
    """Field number -> value, the last one winning (as protobuf merges scalars): :func:`entries`."""
    return dict(entries(data))


def repeated(data: bytes, number: int) -> list[bytes]:
    """Every length-delimited value of field ``number`` (a repeated message or string)."""
    return [v for n, v in entries(data) if n == number and isinstance(v, bytes)]


@dataclass(frozen=True)
class ServiceInfo:
    chain_id: str | None
    chain: str | None
    epoch: int | None
    checkpoint_height: int | None
    timestamp: float | None  # unix seconds
    lowest_available_checkpoint: int | None
    server: str | None


def _text(value) -> str | None:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else None


def _uint(value) -> int | None:
    return value if isinstance(value, int) else None


def service_info(message: bytes) -> ServiceInfo:
    f = fields(message)
    stamp = None
    if isinstance(f.get(5), bytes):
        ts = fields(f[5])
        seconds, nanos = ts.get(1, 0), ts.get(2, 0)
        if isinstance(seconds, int) and isinstance(nanos, int):
            stamp = seconds + nanos / 1e9
    return ServiceInfo(_text(f.get(1)), _text(f.get(2)), _uint(f.get(3)), _uint(f.get(4)), stamp, _uint(f.get(6)), _text(f.get(8)))


# --------------------------------------------------------------------------- encoding (the simulator)


def _put_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def encode(pairs: list[tuple[int, int | bytes | str]]) -> bytes:
    """A protobuf message from (field number, value): ints as varints, str/bytes length-delimited."""
    out = bytearray()
    for number, value in pairs:
        if isinstance(value, int):
            out += _put_varint(number << 3) + _put_varint(value)
        else:
            raw = value.encode() if isinstance(value, str) else value
            out += _put_varint(number << 3 | 2) + _put_varint(len(raw)) + raw
    return bytes(out)
