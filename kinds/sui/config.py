"""Config of a Sui chain (`kind: sui`): full nodes over the gRPC API (``sui.rpc.v2``), as
gRPC-web (HTTP/1.1) or native gRPC (HTTP/2), chosen per endpoint by ``transport``.

An endpoint's ``url`` is the gRPC base (``https://fullnode.mainnet.sui.io``; a node's
``http://10.0.0.5:9000``). ``transport: grpc-web`` (the default: what public providers and
the official TypeScript SDK speak) POSTs ``<url>/sui.rpc.v2.LedgerService/GetServiceInfo``;
``transport: grpc`` calls the same method over HTTP/2 (``http://``: cleartext h2, a
self-hosted node's port 9000; ``https://``: TLS with ALPN h2). ``ws_url`` (optional) opens
the checkpoint stream (``SubscriptionService/SubscribeCheckpoints``) on that base, with the
same transport and token: usually the same URL as ``url``.
A provider that wants a bearer token gets it from ``token_file`` (read at every probe, never
in the config, a label or a log; checked when the exporter loads the config: core/secretfile.py).

Example::

    chains:
      sui:
        kind: sui
        network: mainnet
        chain_id: 4btiuiMPvEENsttpZC7CZ53DruC3MAgfznDbASZ7DR6S   # the genesis checkpoint digest
        endpoints:
          - {name: sui-1, url: "http://10.0.0.5:9000"}
          - {name: sui-ref-1, url: "https://fullnode.mainnet.sui.io", role: reference}
          - {name: sui-ref-2, url: "https://sui.example-provider.com", role: reference, token_file: /etc/chainwatch/sui-ref-2.token}
          - {name: sui-2, url: "http://10.0.0.6:9000", transport: grpc, ws_url: "http://10.0.0.6:9000"}
        thresholds:
          sui_history_min_checkpoints: 1000000
        validators:                  # active set and peer reports, from GetEpoch (monitor.py)
          groups:
            ops:
              - {name: ours, address: "0x4a5b…"}   # the validator's Sui address (0x + 64 hex)
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from chainwatch.core.chain import NAME_PATTERN, ChainBase, Durations, Endpoint, Strict, Thresholds
from chainwatch.core.moveaddress import ADDRESS_PATTERN, long_address
from chainwatch.core.secretfile import secret_file

DIGEST_PATTERN = r"^[1-9A-HJ-NP-Za-km-z]{32,44}$"  # a 32-byte digest in base58
# Sui mainnet certifies a checkpoint every ~0.25 s; head-stale and halt still wait their 30 s minimums.
DEFAULT_CHECKPOINT_SECONDS = 0.25
TokenFile = secret_file("the bearer token")  # checked when the exporter loads the config (core/secretfile.py)


class SuiEndpoint(Endpoint):
    """A Sui gRPC endpoint; ``token_file`` holds a bearer token some providers require (sent on both transports)."""

    token_file: TokenFile | None = None
    transport: Literal["grpc-web", "grpc"] = "grpc-web"

    @model_validator(mode="after")
    def _token_from_file(self):
        if any(k.lower() == "authorization" for k in self.headers):
            raise ValueError("headers set Authorization: put the bearer token in token_file (read at probe time)")
        if self.ws_url is not None and not self.ws_url.startswith(("http://", "https://")):
            raise ValueError("ws_url: the checkpoint stream is gRPC: an http:// or https:// base, usually the same as url")
        return self


class SuiValidator(Strict):
    """One watched validator by its Sui address (``Validator.address`` of the system state)."""

    name: Annotated[str, Field(pattern=NAME_PATTERN)] | None = None
    address: Annotated[str, Field(pattern=ADDRESS_PATTERN)]

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value):
        """A bare string is the address."""
        return {"address": value} if isinstance(value, str) else value

    @field_validator("address")
    @classmethod
    def _long(cls, value: str) -> str:
        return long_address(value)


class SuiValidators(Strict):
    endpoint: str | None = None  # default: the first reference, else the first node
    fallbacks: list[str] = Field(default_factory=list)  # tried in order when `endpoint` fails a cycle
    groups: dict[Annotated[str, Field(pattern=NAME_PATTERN)], list[SuiValidator]]
    interval_seconds: float = Field(60, ge=0.1, le=3600)  # one GetEpoch call per cycle (~100 KB with the read mask)


class SuiDurations(Durations):
    sui_history: str = "15m"
    sui_reported: str = "5m"  # a watched validator reported by peers for this long


class SuiThresholds(Thresholds):
    # Checkpoints of history a node must serve (checkpoint_height - lowest_available_checkpoint); unset: not alerted.
    sui_history_min_checkpoints: Annotated[int, Field(ge=1)] | None = None
    # Share of the voting power reporting a watched validator above which it warns (0: any
    # report). At 2/3 (a quorum) at the epoch's end the validator loses the epoch's rewards.
    sui_reported_voting_power_ratio: float = Field(0, ge=0, lt=0.6667)
    durations: SuiDurations = Field(default_factory=SuiDurations)


class SuiChain(ChainBase):
    """A Sui network. `chain_id` is the genesis checkpoint digest (base58) GetServiceInfo reports:
    an endpoint of another network fails with reason `wrong_chain`. One "block" is a checkpoint."""

    kind: Literal["sui"]
    chain_id: Annotated[str, Field(pattern=DIGEST_PATTERN)]
    endpoints: list[SuiEndpoint] = Field(min_length=1)
    thresholds: SuiThresholds = Field(default_factory=SuiThresholds)
    validators: SuiValidators | None = None

    @model_validator(mode="after")
    def _validators(self):
        v = self.validators
        if v is None:
            return self
        names = {e.name for e in self.endpoints}
        for n in ([v.endpoint] if v.endpoint else []) + v.fallbacks:
            if n not in names:
                raise ValueError(f"validators: endpoint {n!r} is not an endpoint of this chain")
        return self

    @property
    def block_time(self) -> float:
        return self.block_time_seconds or DEFAULT_CHECKPOINT_SECONDS
