"""What every chain kind's config shares: endpoints, roles, thresholds, SLOs, routing.

A chain kind's own model (``chainwatch.kinds.<kind>.config``) subclasses :class:`ChainBase`
and adds its identity and validator settings; :mod:`chainwatch.assembly.config` assembles the
whole file from the kinds in the registry.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from chainwatch.core import durations
from chainwatch.core.accounts import Account
from chainwatch.core.secretfile import secret_file


NAME_PATTERN = r"^[a-z0-9]([a-z0-9_.-]{0,62})$"


def duration_seconds(text: str) -> float:
    """A Prometheus duration in seconds (:func:`chainwatch.core.durations.seconds`)."""
    return durations.seconds(text)


class ConfigError(ValueError):
    """A config problem, already formatted as ``file:line: field: message`` lines."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class FieldError(ValueError):
    """A model check's refusal that names the field at fault, as a path below the model that
    raised it (``("team",)``, ``("validators", "endpoint")``), so the config error points at
    that field's line instead of the model's."""

    def __init__(self, path: tuple, message: str):
        super().__init__(message)
        self.path = tuple(path)


class Role(StrEnum):
    NODE = "node"  # we operate it and alert on it
    REFERENCE = "reference"  # trusted provider used to measure lag
    PROVIDER = "provider"  # a managed provider we depend on (alerted, not a reference)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- endpoints


class TLSConfig(Strict):
    """How to reach an ``https://`` (or ``wss://``) endpoint; the names of blackbox_exporter's ``tls_config``.

    ``ca_file``: PEM bundle of the CA(s) to trust instead of the system store (a private CA);
    ``cert_file`` + ``key_file``: the client certificate to present (mutual TLS); ``server_name``:
    the name to send (SNI) and to verify the certificate against, when it differs from the URL's
    host; ``insecure_skip_verify``: accept any certificate (the expiry is still reported).
    """

    # Checked when the exporter loads the config (core/secretfile.py): missing, a directory, empty
    # or unreadable is a config error at the field's line; a file that breaks after load is the
    # probe failure reason ``tls`` (exporters/tlsinfo.py).
    ca_file: secret_file("the CA bundle to trust", "to connect over TLS") | None = None
    cert_file: secret_file("its client certificate", "to connect over TLS") | None = None
    key_file: secret_file("its client certificate's key", "to connect over TLS") | None = None
    server_name: Annotated[str, Field(pattern=r"^[A-Za-z0-9.-]{1,253}$")] | None = None
    insecure_skip_verify: bool = False

    @model_validator(mode="after")
    def _pair(self):
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file go together (the client certificate and its key)")
        return self


class Endpoint(Strict):
    name: Annotated[str, Field(pattern=NAME_PATTERN)]
    url: str
    # A streaming URL watched by a persistent subscription (ws:// or wss:// for JSON-RPC
    # WebSockets, http(s):// for a Server-Sent Events stream such as the beacon API's events).
    ws_url: str | None = None
    tls: TLSConfig | None = None
    role: Role = Role.NODE
    headers: dict[str, str] = Field(default_factory=dict)
    timeout_seconds: Annotated[float, Field(gt=0, le=300)] | None = None
    # Methods timed with an individual call besides the batch (EVM/Solana JSON-RPC).
    timed_methods: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,64}$")]] = Field(default_factory=list)
    # JSON-RPC kinds: false sends single calls only (providers that bill or forbid batches).
    # True still falls back to single calls, per endpoint, when a batch is refused.
    batch: bool = True
    # The paid provider behind the URL: a ``pricing:`` table or a built-in one (core/pricing.py).
    # Its requests are counted per method and billed element; the name is the ``provider`` label.
    provider: Annotated[str, Field(pattern=NAME_PATTERN)] | None = None

    _secrets: tuple[str, ...] = PrivateAttr(default=())

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https"):
            raise ValueError("must be an http:// or https:// URL")
        if not parts.hostname:
            raise ValueError("has no host")
        return value

    @field_validator("ws_url")
    @classmethod
    def _ws_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("ws", "wss", "http", "https"):
            raise ValueError("must be a ws://, wss:// (WebSocket) or http(s):// (Server-Sent Events) URL")
        if not parts.hostname:
            raise ValueError("has no host")
        return value

    @model_validator(mode="after")
    def _one_authorization(self):
        # aiohttp refuses a request with both (ValueError on every probe, reported as "connect").
        parts = urlsplit(self.url)
        if (parts.username or parts.password) and any(k.lower() == "authorization" for k in self.headers):
            raise ValueError("url has user:password@ credentials and headers set Authorization: use one of them")
        return self

    def extra_urls(self) -> tuple[str, ...]:
        """Other URLs of this endpoint (a kind's side API), kept as secret as ``url``."""
        return ()

    @property
    def urls(self) -> tuple[str, ...]:
        """Every URL of the endpoint (a kind may add one, e.g. a REST API beside the RPC): all are scrubbed as secrets."""
        return (self.url,)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Substrings that must never be printed: env values, URL path/query/credentials, header values."""
        return self._secrets

    @property
    def display_url(self) -> str:
        """Scheme and host only: safe for a human, never used as a label."""
        parts = urlsplit(self.url)
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{parts.hostname}{port}"


# --------------------------------------------------------------------------- thresholds


class Durations(Strict):
    """``for:`` durations of the generated alerts, in Prometheus duration syntax: those of the
    alerts every kind (or a capability) shares. A kind's own alerts add theirs in a subclass
    (``kinds/<kind>/config.py``), accepted under the same ``durations:`` key of that kind's chains."""

    down: str = "2m"
    sync_lag: str = "5m"
    head_stale: str = "1m"
    peers_low: str = "10m"
    mempool: str = "10m"
    rpc_latency: str = "10m"
    rpc_errors: str = "5m"
    reference_quorum: str = "10m"
    chain_halt: str = "30s"
    validator: str = "0m"
    tls_cert: str = "15m"
    stream: str = "2m"
    diverged: str = "3m"  # a node's (or the references') block hashes disagreeing; outlasts a reorg's few rounds
    account_runway: str = "15m"
    account_minimum: str = "5m"
    account_unreadable: str = "15m"  # an account's balance not read: a ticket, after a few rounds (60 s each by default)
    versions_mixed: str = "12h"  # nodes of one chain on more than one client version: longer than a rolling upgrade takes

    @field_validator("*")
    @classmethod
    def _duration(cls, value: str) -> str:
        if not durations.valid(value):
            raise ValueError(f"{value!r} is not a Prometheus duration such as 30s, 5m or 1h")
        return value


class Thresholds(Strict):
    """Alert thresholds every kind (or a capability) uses; unset values get defaults derived from the chain's block time.

    Block times differ by two orders of magnitude (12 s Ethereum, 0.25 s Arbitrum), so
    defaults are stated in seconds and turned into blocks per chain, never copied across.
    A kind's own thresholds live in its subclass (``kinds/<kind>/config.py``) under the same
    ``thresholds:`` key; on a chain of another kind they are unknown keys.
    """

    sync_lag_seconds_warning: float | None = None
    sync_lag_seconds_critical: float | None = None
    sync_lag_blocks_warning: float | None = None
    sync_lag_blocks_critical: float | None = None
    head_stale_blocks: float = Field(5, gt=0)  # head is stale after N x block time ...
    head_stale_min_seconds: float = Field(30, ge=0)  # ... and never sooner than this
    peers_min: int = Field(10, ge=0)
    mempool_pending_max: int = Field(10000, ge=0)
    rpc_latency_p95_seconds: float = Field(0.5, gt=0)
    rpc_error_ratio: float = Field(0.05, gt=0, le=1)
    references_min: int = Field(2, ge=1)
    # Every reference stalled N x block time. Defaults equal the head-stale threshold and the
    # halt's `for:` is shorter, so a chain halt pages (and inhibits per-node HeadStale) first.
    chain_halt_blocks: float = Field(5, gt=0)
    chain_halt_min_seconds: float = Field(30, ge=0)
    # TLS: days before the earliest certificate of an https:// endpoint's served chain expires.
    tls_cert_expiry_days_warning: float = Field(21, gt=0)
    tls_cert_expiry_days_critical: float = Field(3, gt=0)
    # WebSocket / SSE subscription (endpoints with ws_url): no message for this long while the
    # HTTP head advances (default: the head-stale threshold), or this many blocks behind the
    # HTTP head (default: the warning lag threshold).
    stream_quiet_seconds: float | None = Field(None, gt=0)
    stream_lag_blocks: float | None = Field(None, gt=0)
    # Accounts (``accounts:``): days of runway left at the spend rate over account_spend_window.
    account_runway_days_warning: float = Field(7, gt=0)
    account_runway_days_critical: float = Field(2, gt=0)
    account_spend_window: str = "6h"
    durations: Durations = Field(default_factory=Durations)

    @field_validator("account_spend_window")
    @classmethod
    def _spend_window(cls, value: str) -> str:
        if not durations.valid(value) or durations.seconds(value) < 300:
            raise ValueError(f"{value!r} is not a Prometheus duration of at least 5m (the spend rate needs several balance reads)")
        return value


class LatencySLO(Strict):
    threshold_seconds: float = Field(0.5, gt=0)
    target: float = Field(0.95, gt=0, lt=1)


class FreshnessSLO(Strict):
    max_lag_blocks: float | None = None  # default: the warning lag threshold
    target: float = Field(0.99, gt=0, lt=1)


class SLO(Strict):
    availability: float = Field(0.999, gt=0, lt=1)
    latency: LatencySLO = Field(default_factory=LatencySLO)
    freshness: FreshnessSLO = Field(default_factory=FreshnessSLO)
    window: Literal["30d", "28d", "7d"] = "30d"


# --------------------------------------------------------------------------- per-chain routing


class ChainRouting(Strict):
    """Where this chain's alerts go, overriding its team's routes (unset keys keep the team's). `critical_to`: `pagerduty` (PagerDuty only), `opsgenie` (Opsgenie P1 only), `warnings` (never page: critical alerts go where the chain's warnings go, as a P3/ticket with warning timings) or `none`; unset: the team's pager (PagerDuty, plus Opsgenie P1 per `page_critical`). `warnings_to`: as the team's `warnings_to`, for this chain only. `business_hours_only`: `true` holds warnings (and criticals sent to `warnings`) back outside the team's `business_hours`, `false` sends them at any hour; unset: as the team does. A testnet that must never page: `routing: {critical_to: warnings}`."""

    critical_to: Literal["pagerduty", "opsgenie", "warnings", "none"] | None = None
    warnings_to: Literal["opsgenie", "slack", "webhook", "none"] | None = None
    business_hours_only: bool | None = None


# --------------------------------------------------------------------------- impossible thresholds


class Adjusted(BaseModel):
    """A threshold the chain's own parameters make impossible, and what the rules use instead.

    A lag threshold below one block time fires on a node one block behind (every block on
    its way); a time-to-jail threshold longer than the whole jail headroom fires with zero
    missed blocks. ``chainwatch check`` and ``generate`` print each as a config warning and
    the generated rule uses ``used`` (``None``: the alert is not generated)."""

    model_config = ConfigDict(frozen=True)

    setting: str  # e.g. thresholds.sync_lag_seconds_warning
    configured: float
    used: float | None
    why: str

    def __str__(self) -> str:
        then = "the alert is disabled" if self.used is None else f"the rule uses {self.used:g}"
        return f"{self.setting}: {self.configured:g} {self.why}; {then}"


def at_least_one_block(setting: str, value: float, block_time: float, what: str = "one block time") -> tuple[float, Adjusted | None]:
    """A time threshold below the chain's block time, raised to it (reported)."""
    if value >= block_time:
        return value, None
    return block_time, Adjusted(
        setting=setting, configured=value, used=block_time, why=f"s is below {what} ({block_time:g}s): it fires on a node one block behind"
    )


# --------------------------------------------------------------------------- chains


# Expected block (or slot) time in seconds by EVM chain id; unknown chains must set it.
class ChainBase(Strict):
    network: Annotated[str, Field(pattern=NAME_PATTERN)]
    team: str = "default"
    block_time_seconds: Annotated[float, Field(gt=0)] | None = None
    thresholds: Thresholds = Field(default_factory=Thresholds)
    slo: SLO = Field(default_factory=SLO)
    endpoints: list[Endpoint] = Field(min_length=1)
    routing: ChainRouting | None = None  # per-chain override of the team's alert routing
    # Compare each node's block hash at a common height with the references' (kinds with the
    # divergence capability, chains with references). false where the references are not copies
    # of the same chain as the nodes: a devnet whose nodes each mine their own blocks.
    compare_block_hashes: bool = True
    # Operational accounts whose balance and runway are watched (core/accounts.py), read every
    # accounts_interval_seconds from the first node that answers (then the references).
    accounts: list[Account] = Field(default_factory=list)
    accounts_interval_seconds: Annotated[float, Field(ge=1, le=3600)] = 60.0
    # The coin's ticker in chainwatch_account_info; default the kind's (ETH, or POL/BNB/AVAX by
    # EVM chain id; SOL; BTC, or LTC for a Bitcoin-family chain of 150 s blocks).
    accounts_symbol: Annotated[str, Field(pattern=r"^[A-Za-z0-9]{1,12}$")] | None = None

    @property
    def nodes(self) -> list[Endpoint]:
        return [e for e in self.endpoints if e.role is not Role.REFERENCE]

    @property
    def references(self) -> list[Endpoint]:
        return [e for e in self.endpoints if e.role is Role.REFERENCE]

    def endpoint(self, name: str) -> Endpoint:
        for e in self.endpoints:
            if e.name == name:
                return e
        raise KeyError(name)

    @property
    def block_time(self) -> float:
        raise NotImplementedError

    def linked_chains(self) -> tuple[str, ...]:
        """Other chains of the config whose references every round of this chain also reads
        (the chain a subgraph indexes, a rollup's L1). The config checks that they exist."""
        return ()

    def alerted_chains(self) -> tuple[str, ...]:
        """Other chains of the config some of this chain's own alerts are about (they carry that
        chain's labels): the chains it links, and chains it names otherwise (an avalanche
        chain's ``evm_chains``, served by its nodes)."""
        return self.linked_chains()

    def lag_chain(self) -> str | None:
        """The chain whose references this chain's lag is measured against (None: its own)."""
        return None

    def link(self, chains: dict) -> None:
        """Called once every chain of the config is validated, with all of them by name, for a
        chain that takes values from its ``linked_chains()`` (raise ValueError to refuse)."""

    @property
    def head_tolerance_blocks(self) -> int:
        """Blocks (slots) two heads of the chain may differ by and still agree: answers read a
        moment apart see different heads. A node this close to the references is at the head
        (the references' agreement, /health and the alerts that weigh a node's own sync flag)."""
        return max(2, math.ceil(3.0 / self.block_time))

    # Resolved thresholds, in the units the rules use.
    def lag_seconds(self, level: Literal["warning", "critical"]) -> float:
        return self._lag_seconds(level)[0]

    def _lag_seconds(self, level: Literal["warning", "critical"]) -> tuple[float, Adjusted | None]:
        t = self.thresholds
        value = t.sync_lag_seconds_warning if level == "warning" else t.sync_lag_seconds_critical
        if value is not None:
            return at_least_one_block(f"thresholds.sync_lag_seconds_{level}", value, self.block_time)
        return (max(60.0, 5 * self.block_time) if level == "warning" else max(300.0, 25 * self.block_time)), None

    def adjustments(self) -> list[Adjusted]:
        """Thresholds this chain's own parameters make impossible (:class:`Adjusted`). A kind
        with thresholds of its own adds its findings to these (``super().adjustments()``)."""
        found = [self._lag_seconds("warning")[1], self._lag_seconds("critical")[1]]
        found += [self._head_stale()[1], self._chain_halt()[1]]
        if self.thresholds.stream_quiet_seconds is not None:
            found.append(at_least_one_block("thresholds.stream_quiet_seconds", self.thresholds.stream_quiet_seconds, self.block_time)[1])
        return [a for a in found if a is not None]

    def lag_blocks(self, level: Literal["warning", "critical"]) -> float:
        t = self.thresholds
        value = t.sync_lag_blocks_warning if level == "warning" else t.sync_lag_blocks_critical
        if value is not None:
            return value
        return float(math.ceil(self.lag_seconds(level) / self.block_time))

    @property
    def head_stale_seconds(self) -> float:
        return self._head_stale()[0]

    def _head_stale(self) -> tuple[float, Adjusted | None]:
        t = self.thresholds
        value = round(max(t.head_stale_blocks * self.block_time, t.head_stale_min_seconds), 3)
        return at_least_one_block("thresholds.head_stale_blocks x block time", value, self.block_time)

    @property
    def chain_halt_seconds(self) -> float:
        return self._chain_halt()[0]

    def _chain_halt(self) -> tuple[float, Adjusted | None]:
        t = self.thresholds
        value = round(max(t.chain_halt_blocks * self.block_time, t.chain_halt_min_seconds), 3)
        return at_least_one_block("thresholds.chain_halt_blocks x block time", value, self.block_time)

    def halt_pages_before_stale(self) -> bool:
        """A halted chain must page once, before every node's HeadStale would."""
        d = self.thresholds.durations
        return self.chain_halt_seconds + duration_seconds(d.chain_halt) < self.head_stale_seconds + duration_seconds(d.head_stale)

    def random_gaps(self) -> list[float] | None:
        """Block gaps (seconds, longest last) a healthy chain shows when its blocks arrive at random
        (proof of work); the head-stale and halt alerts get a promtool case proving they stay silent
        on them. None for chains whose blocks come on a slot clock."""
        return None

    @property
    def stream_quiet_seconds(self) -> float:
        if self.thresholds.stream_quiet_seconds is None:
            return self.head_stale_seconds
        return at_least_one_block("thresholds.stream_quiet_seconds", self.thresholds.stream_quiet_seconds, self.block_time)[0]

    @property
    def stream_lag_blocks(self) -> float:
        return self.thresholds.stream_lag_blocks or self.lag_blocks("warning")

    @property
    def freshness_max_lag_blocks(self) -> float:
        return self.slo.freshness.max_lag_blocks or self.lag_blocks("warning")

    @model_validator(mode="after")
    def _roles(self):
        first: dict[str, int] = {}
        for i, e in enumerate(self.endpoints):
            if e.name in first:  # at the second one's name: that is the line to change
                raise FieldError(("endpoints", i, "name"), f"duplicate endpoint name {e.name!r} in this chain (endpoints[{first[e.name]}] has it too)")
            first[e.name] = i
        seen: set[str] = set()
        for i, account in enumerate(self.accounts):
            if account.name in seen:
                raise FieldError(("accounts", i, "name"), f"account name {account.name!r} is used twice in this chain")
            seen.add(account.name)
        return self
