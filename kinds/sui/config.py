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
in the config, a label or a log).

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
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from chainwatch.core.chain import ChainBase, Durations, Endpoint, Thresholds

DIGEST_PATTERN = r"^[1-9A-HJ-NP-Za-km-z]{32,44}$"  # a 32-byte digest in base58
# Sui mainnet certifies a checkpoint every ~0.25 s; head-stale and halt still wait their 30 s minimums.
DEFAULT_CHECKPOINT_SECONDS = 0.25


class SuiEndpoint(Endpoint):
    """A Sui gRPC endpoint; ``token_file`` holds a bearer token some providers require (sent on both transports)."""

    token_file: Annotated[str, Field(min_length=1)] | None = None
    transport: Literal["grpc-web", "grpc"] = "grpc-web"

    @model_validator(mode="after")
    def _token_from_file(self):
        if any(k.lower() == "authorization" for k in self.headers):
            raise ValueError("headers set Authorization: put the bearer token in token_file (read at probe time)")
        return self


class SuiDurations(Durations):
    sui_history: str = "15m"


class SuiThresholds(Thresholds):
    # Checkpoints of history a node must serve (checkpoint_height - lowest_available_checkpoint); unset: not alerted.
    sui_history_min_checkpoints: Annotated[int, Field(ge=1)] | None = None
    durations: SuiDurations = Field(default_factory=SuiDurations)


class SuiChain(ChainBase):
    """A Sui network. `chain_id` is the genesis checkpoint digest (base58) GetServiceInfo reports:
    an endpoint of another network fails with reason `wrong_chain`. One "block" is a checkpoint."""

    kind: Literal["sui"]
    chain_id: Annotated[str, Field(pattern=DIGEST_PATTERN)]
    endpoints: list[SuiEndpoint] = Field(min_length=1)
    thresholds: SuiThresholds = Field(default_factory=SuiThresholds)

    @property
    def block_time(self) -> float:
        return self.block_time_seconds or DEFAULT_CHECKPOINT_SECONDS
