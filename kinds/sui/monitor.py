"""Sui validator monitor: active-set membership and peer reports of the configured validators.

Every ``validators.interval_seconds`` (60 s by default) it asks one endpoint of the chain
(``validators.endpoint``, default the first reference, else the first node; then the
``fallbacks``) ``LedgerService/GetEpoch`` for the current epoch with a read mask, over the
endpoint's ``transport`` (gRPC-web through the shared transport, or native gRPC) with its
bearer token. Fields read and why: :mod:`chainwatch.kinds.sui.epoch`.

Group series::

    chainwatch_sui_validators{chain="sui",group="ops",network="mainnet",state="active"} 1
    chainwatch_sui_validators{...,group="ops",state="not_active"} 0
    chainwatch_sui_validators_reported{...,group="ops"} 1
    chainwatch_sui_validator_reported_voting_power_ratio{...,group="ops"} 0.25
    chainwatch_sui_epoch_remaining_seconds{chain="sui",network="mainnet"} 41200

``reported_voting_power_ratio`` is the highest, over the group's validators, share of the
active set's voting power whose validators report it (``validator_report_records``); at 2/3
when the epoch ends that validator loses the epoch's rewards. ``epoch_remaining_seconds`` is
``epoch_start_timestamp_ms + epoch_duration_ms`` minus now (0 once past: the epoch change is
due). A monitor whose endpoint is in an older epoch than the one it last read passes it over
for the next fallback. When a cycle fails, the previous values stay exported for
``STALE_INTERVALS`` intervals, then disappear; the round loop, failure count, freshness and
the once-a-minute warning come from
:class:`~chainwatch.exporters.monitorbase.ValidatorMonitor`.
"""

from __future__ import annotations

import asyncio
import logging
import time

from chainwatch.core.chain import Endpoint
from chainwatch.core.declarations import UNRESOLVED_REASONS
from chainwatch.exporters.failures import ProbeFailure, invalid
from chainwatch.exporters.monitorbase import FallbackMonitor
from chainwatch.exporters.redact import clip
from chainwatch.exporters.transport import Transport
from chainwatch.kinds.sui import native
from chainwatch.kinds.sui.epoch import REQUEST, Duties, duties
from chainwatch.kinds.sui.grpcweb import CONTENT_TYPE, GET_EPOCH_PATH, frame, status_of, unframe
from chainwatch.kinds.sui.probe import AUTH_CODES, bearer

log = logging.getLogger("chainwatch.validators.sui")

STALE_INTERVALS = 4
STATES = ("active", "not_active")


async def get_epoch(transport: Transport, endpoint: Endpoint, deadline: float) -> Duties:
    """``GetEpoch`` (current epoch, :data:`~chainwatch.kinds.sui.epoch.READ_MASK`) over the endpoint's transport."""
    auth, secrets = bearer(endpoint)
    if getattr(endpoint, "transport", "grpc-web") == "grpc":
        try:
            message, _ = await native.unary(
                endpoint,
                GET_EPOCH_PATH,
                REQUEST,
                timeout=deadline - asyncio.get_running_loop().time(),
                metadata=native.metadata(endpoint, auth),
                secrets=secrets,
            )
        except native.NotGrpc as exc:
            raise exc.failure from None
        return duties(message)
    headers = {"Content-Type": CONTENT_TYPE, "Accept": CONTENT_TYPE, "X-Grpc-Web": "1", **auth}
    reply = await transport.request(endpoint, method="POST", path=GET_EPOCH_PATH, body=frame(REQUEST), headers=headers, secrets=secrets, deadline=deadline)
    messages, trailers = unframe(reply.body)
    code, text = status_of(trailers)
    if code:
        raise ProbeFailure("auth" if code in AUTH_CODES else "rpc_error", f"GetEpoch: gRPC status {code}: {clip(text, 80)}")
    if not messages:
        raise invalid("GetEpoch: gRPC status 0 without a message")
    return duties(messages[0])


class _Behind(Exception):
    """An endpoint in an older epoch than the one last read (a fallback is tried next)."""


class SuiMonitor(FallbackMonitor):
    what = "sui validator monitor"

    def __init__(self, chain_name: str, chain, transport: Transport, settings, interval: float | None = None):
        super().__init__(chain_name, chain, log, interval)
        self.transport, self.settings = transport, settings
        self.groups = {g: list({v.address: v for v in members}.values()) for g, members in sorted(chain.validators.groups.items())}
        self.epoch: int | None = None
        self.duties: Duties | None = None

    async def cycle(self) -> None:
        failure: Exception | None = None
        for endpoint in self.candidates:
            self.endpoint = endpoint
            deadline = asyncio.get_running_loop().time() + self.settings.default_timeout_seconds
            try:
                got = await get_epoch(self.transport, endpoint, deadline)
                if self.epoch is not None and got.epoch < self.epoch:
                    raise _Behind(f"{endpoint.name} is in epoch {got.epoch}, {self.epoch} was read before")
            except (ProbeFailure, _Behind) as exc:
                failure = exc
                continue
            self.duties, self.epoch = got, got.epoch
            self.succeeded()
            return
        if isinstance(failure, _Behind):
            raise ProbeFailure("rpc_error", str(failure))
        assert failure is not None
        raise failure

    def build(self, d: Duties) -> list[tuple[str, dict, float]]:
        base = {"chain": self.chain_name, "network": self.chain.network}
        end = d.end_ms()
        out: list[tuple[str, dict, float]] = []
        if end is not None:
            out.append(("chainwatch_sui_epoch_remaining_seconds", base, round(max(0.0, end / 1000 - time.time()), 3)))
        for group, members in self.groups.items():
            labels = {**base, "group": group}
            active = sum(1 for v in members if v.address in d.active)
            out += [("chainwatch_sui_validators", {**labels, "state": "active"}, active)]
            out += [("chainwatch_sui_validators", {**labels, "state": "not_active"}, len(members) - active)]
            out += [("chainwatch_sui_validators_reported", labels, sum(1 for v in members if d.reporters.get(v.address)))]
            out += [
                ("chainwatch_sui_validator_reported_voting_power_ratio", labels, round(max((d.reported_ratio(v.address) for v in members), default=0.0), 6))
            ]
            out += [("chainwatch_validator_monitor_unresolved_validators", {**labels, "reason": why}, 0) for why in UNRESOLVED_REASONS]
        return out

    def samples(self) -> list[tuple[str, dict, float]]:
        base = {"chain": self.chain_name, "network": self.chain.network}
        fresh = self.last_success is not None and time.time() - self.last_success <= STALE_INTERVALS * self.interval
        out = self.build(self.duties) if fresh and self.duties is not None else []
        return out + self.health_samples(base)


def create(chain_name: str, chain, transport: Transport, settings) -> SuiMonitor:
    return SuiMonitor(chain_name, chain, transport, settings)
