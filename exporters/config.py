"""The one config model: ``chainwatch.yaml`` validated into typed objects.

Every part of chainwatch (exporter, rules, dashboards, Alertmanager config) reads the
objects built here and nothing else, so a threshold means the same thing to the probe
that measures it, the alert that fires on it and the panel that draws it.

Errors name file, line and field (``chainwatch.yaml:14: chains.ethereum.endpoints[2].url:
...``); unknown keys are errors because a typo in a threshold must not pass silently.
``${VAR}`` in URLs, headers and secret file paths is taken from the environment, and every
value that came from there (plus URL paths, queries and credentials) is remembered as a
secret so the redactor can scrub it from anything we print.
"""

from __future__ import annotations

import math
import os
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, Union
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from . import yamlsource

NAME_PATTERN = r"^[a-z0-9]([a-z0-9_.-]{0,62})$"
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def duration_seconds(text: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
    return sum(float(n) * units[u] for n, u in re.findall(r"(\d+)(ms|s|m|h|d|w|y)", text))


class ConfigError(ValueError):
    """A config problem, already formatted as ``file:line: field: message`` lines."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class Role(StrEnum):
    NODE = "node"  # we operate it and alert on it
    REFERENCE = "reference"  # trusted provider used to measure lag
    PROVIDER = "provider"  # a managed provider we depend on (alerted, not a reference)


class Kind(StrEnum):
    EVM = "evm"
    BEACON = "beacon"
    SOLANA = "solana"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- endpoints


class Endpoint(Strict):
    name: Annotated[str, Field(pattern=NAME_PATTERN)]
    url: str
    role: Role = Role.NODE
    headers: dict[str, str] = Field(default_factory=dict)
    timeout_seconds: Annotated[float, Field(gt=0, le=300)] | None = None
    # Methods timed with an individual call besides the batch (EVM/Solana JSON-RPC).
    timed_methods: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,64}$")]] = Field(default_factory=list)

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

    @model_validator(mode="after")
    def _one_authorization(self):
        # aiohttp refuses a request with both (ValueError on every probe, reported as "connect").
        parts = urlsplit(self.url)
        if (parts.username or parts.password) and any(k.lower() == "authorization" for k in self.headers):
            raise ValueError("url has user:password@ credentials and headers set Authorization: use one of them")
        return self

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
    """``for:`` durations of the generated alerts, in Prometheus duration syntax."""

    down: str = "2m"
    sync_lag: str = "5m"
    head_stale: str = "1m"
    peers_low: str = "10m"
    mempool: str = "10m"
    rpc_latency: str = "10m"
    rpc_errors: str = "5m"
    reference_quorum: str = "10m"
    chain_halt: str = "30s"
    finality: str = "5m"
    validator: str = "0m"
    solana: str = "2m"

    @field_validator("*")
    @classmethod
    def _duration(cls, value: str) -> str:
        if not re.fullmatch(r"(\d+(ms|s|m|h|d|w|y))+", value):
            raise ValueError(f"{value!r} is not a Prometheus duration such as 30s, 5m or 1h")
        return value


class Thresholds(Strict):
    """Alert thresholds; unset values get defaults derived from the chain's block time.

    Block times differ by two orders of magnitude (12 s Ethereum, 0.25 s Arbitrum), so
    defaults are stated in seconds and turned into blocks per chain, never copied across.
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
    finality_epochs: int = Field(4, ge=2)  # beacon: epochs since finalized
    attestation_consecutive_misses: int = Field(2, ge=1)
    attestation_miss_ratio: float = Field(0.1, gt=0, le=1)
    solana_skip_ratio: float = Field(0.1, gt=0, le=1)
    solana_vote_lag_slots: int = Field(150, gt=0)
    solana_behind_slots: int = Field(100, gt=0)
    durations: Durations = Field(default_factory=Durations)


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


# --------------------------------------------------------------------------- validators


PUBKEY_PATTERN = r"^0x[0-9a-fA-F]{96}$"
SOLANA_KEY_PATTERN = r"^[1-9A-HJ-NP-Za-km-z]{32,44}$"


class BeaconValidators(Strict):
    """Validators watched per epoch, in user-named groups (operator, client, region...)."""

    endpoint: str  # name of a beacon endpoint of this chain
    fallbacks: list[str] = Field(default_factory=list)
    groups: dict[Annotated[str, Field(pattern=NAME_PATTERN)], list[Annotated[int, Field(ge=0)] | Annotated[str, Field(pattern=PUBKEY_PATTERN)]]]
    per_validator_metrics: bool = False
    per_validator_cap: int = Field(64, ge=0, le=10000)
    state_file: str | None = None  # default: <state_dir>/<chain>-validators.json

    @field_validator("groups", mode="before")
    @classmethod
    def _unquoted_pubkeys(cls, groups):
        """YAML reads an unquoted ``0x…`` pubkey as a huge integer; no validator index is that
        large (indices are uint64), so turn it back into the 48-byte pubkey it was."""
        if not isinstance(groups, dict):
            return groups
        fixed = {}
        for name, members in groups.items():
            if isinstance(members, list):
                members = [f"0x{m:096x}" if isinstance(m, int) and not isinstance(m, bool) and 2**64 <= m < 2**384 else m for m in members]
            fixed[name] = members
        return fixed


class SolanaValidator(Strict):
    name: Annotated[str, Field(pattern=NAME_PATTERN)] | None = None
    vote_account: Annotated[str, Field(pattern=SOLANA_KEY_PATTERN)]
    identity: Annotated[str, Field(pattern=SOLANA_KEY_PATTERN)]


class SolanaValidators(Strict):
    endpoint: str | None = None  # default: the first reference, else the first node
    fallbacks: list[str] = Field(default_factory=list)  # tried in order when `endpoint` fails a cycle
    interval_seconds: float = Field(15, ge=0.1, le=600)  # getVoteAccounts/getBlockProduction cadence
    groups: dict[Annotated[str, Field(pattern=NAME_PATTERN)], list[SolanaValidator]]
    per_validator_cap: int = Field(16, ge=0, le=10000)


# --------------------------------------------------------------------------- per-chain routing


class ChainRouting(Strict):
    """Where this chain's alerts go, overriding its team's routes (unset keys keep the team's). `critical_to`: `pagerduty` (PagerDuty only), `opsgenie` (Opsgenie P1 only), `warnings` (never page: critical alerts go where the chain's warnings go, as a P3/ticket with warning timings) or `none`; unset: the team's pager (PagerDuty, plus Opsgenie P1 per `page_critical`). `warnings_to`: as the team's `warnings_to`, for this chain only. `business_hours_only`: `true` holds warnings (and criticals sent to `warnings`) back outside the team's `business_hours`, `false` sends them at any hour; unset: as the team does. A testnet that must never page: `routing: {critical_to: warnings}`."""

    critical_to: Literal["pagerduty", "opsgenie", "warnings", "none"] | None = None
    warnings_to: Literal["opsgenie", "slack", "webhook", "none"] | None = None
    business_hours_only: bool | None = None


# --------------------------------------------------------------------------- chains

# Expected block (or slot) time in seconds by EVM chain id; unknown chains must set it.
EVM_BLOCK_TIMES = {1: 12.0, 11155111: 12.0, 17000: 12.0, 137: 2.0, 42161: 0.25, 10: 2.0, 8453: 2.0, 56: 3.0, 43114: 2.0, 31337: 1.0}


class ChainBase(Strict):
    network: Annotated[str, Field(pattern=NAME_PATTERN)]
    team: str = "default"
    block_time_seconds: Annotated[float, Field(gt=0)] | None = None
    thresholds: Thresholds = Field(default_factory=Thresholds)
    slo: SLO = Field(default_factory=SLO)
    endpoints: list[Endpoint] = Field(min_length=1)
    routing: ChainRouting | None = None  # per-chain override of the team's alert routing

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

    # Resolved thresholds, in the units the rules use.
    def lag_seconds(self, level: Literal["warning", "critical"]) -> float:
        t = self.thresholds
        value = t.sync_lag_seconds_warning if level == "warning" else t.sync_lag_seconds_critical
        if value is not None:
            return value
        return max(60.0, 5 * self.block_time) if level == "warning" else max(300.0, 25 * self.block_time)

    def lag_blocks(self, level: Literal["warning", "critical"]) -> float:
        t = self.thresholds
        value = t.sync_lag_blocks_warning if level == "warning" else t.sync_lag_blocks_critical
        if value is not None:
            return value
        return float(math.ceil(self.lag_seconds(level) / self.block_time))

    @property
    def head_stale_seconds(self) -> float:
        t = self.thresholds
        return round(max(t.head_stale_blocks * self.block_time, t.head_stale_min_seconds), 3)

    @property
    def chain_halt_seconds(self) -> float:
        t = self.thresholds
        return round(max(t.chain_halt_blocks * self.block_time, t.chain_halt_min_seconds), 3)

    def halt_pages_before_stale(self) -> bool:
        """A halted chain must page once, before every node's HeadStale would."""
        d = self.thresholds.durations
        return self.chain_halt_seconds + duration_seconds(d.chain_halt) < self.head_stale_seconds + duration_seconds(d.head_stale)

    @property
    def freshness_max_lag_blocks(self) -> float:
        return self.slo.freshness.max_lag_blocks or self.lag_blocks("warning")

    @model_validator(mode="after")
    def _roles(self):
        names = [e.name for e in self.endpoints]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"duplicate endpoint name(s) in this chain: {', '.join(dup)}")
        return self


class EvmChain(ChainBase):
    kind: Literal["evm"]
    chain_id: Annotated[int, Field(gt=0)]

    @property
    def block_time(self) -> float:
        if self.block_time_seconds:
            return self.block_time_seconds
        return EVM_BLOCK_TIMES.get(self.chain_id, 12.0)

    @model_validator(mode="after")
    def _needs_block_time(self):
        if self.block_time_seconds is None and self.chain_id not in EVM_BLOCK_TIMES:
            raise ValueError(f"block_time_seconds is required for chain id {self.chain_id} (no built-in default)")
        return self


# Well-known network identities (checked against client and SDK sources):
# Ethereum mainnet genesis_validators_root (GET /eth/v1/beacon/genesis):
MAINNET_GENESIS_VALIDATORS_ROOT = "0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95"
# Solana mainnet-beta genesis hash (getGenesisHash); devnet is EtWTRABZaYq6iMfeYKouRu166VU2xqa1wcaWoxPkrZBG,
# testnet 4uhcVJyU9pJkvQyS88uRDiswHXSCkY3zQawwpjk2NsNY.
MAINNET_BETA_GENESIS_HASH = "5eykt4UsFv8P8NJdTREpY1vzqKqZKvdpKuc147dw2N9d"


class BeaconChain(ChainBase):
    """A consensus-layer chain. Set `genesis_validators_root` (mainnet:
    `0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95`) and an endpoint
    answering another network's root fails with reason `wrong_chain`."""

    kind: Literal["beacon"]
    # Only used for rule defaults; the probe reads the real values from the node's spec.
    seconds_per_slot: Annotated[float, Field(gt=0)] = 12
    slots_per_epoch: Annotated[int, Field(gt=0)] = 32
    validators: BeaconValidators | None = None
    genesis_validators_root: Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{64}$")] | None = None

    @property
    def block_time(self) -> float:
        return self.block_time_seconds or self.seconds_per_slot

    @property
    def epoch_seconds(self) -> float:
        return self.seconds_per_slot * self.slots_per_epoch

    @field_validator("genesis_validators_root", mode="before")
    @classmethod
    def _root_from_yaml_int(cls, value):
        # YAML 1.1 reads an unquoted 0x... as an integer; 32 bytes written in hex come back as-is.
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**256:
            return f"0x{value:064x}"
        return value

    @model_validator(mode="after")
    def _validator_endpoint(self):
        v = self.validators
        if v is not None:
            names = {e.name for e in self.endpoints}
            for n in [v.endpoint, *v.fallbacks]:
                if n not in names:
                    raise ValueError(f"validators: endpoint {n!r} is not an endpoint of this chain")
        return self


class SolanaChain(ChainBase):
    """A Solana cluster. Set `genesis_hash` (mainnet-beta:
    `5eykt4UsFv8P8NJdTREpY1vzqKqZKvdpKuc147dw2N9d`) and an endpoint answering another
    cluster's `getGenesisHash` (e.g. devnet) fails with reason `wrong_chain`."""

    kind: Literal["solana"]
    validators: SolanaValidators | None = None
    genesis_hash: Annotated[str, Field(pattern=SOLANA_KEY_PATTERN)] | None = None

    @property
    def block_time(self) -> float:
        return self.block_time_seconds or 0.4

    @model_validator(mode="after")
    def _validator_endpoint(self):
        v = self.validators
        names = {e.name for e in self.endpoints}
        for n in ([v.endpoint] if v is not None and v.endpoint is not None else []) + (v.fallbacks if v is not None else []):
            if n not in names:
                raise ValueError(f"validators: endpoint {n!r} is not an endpoint of this chain")
        return self


Chain = Annotated[Union[EvmChain, BeaconChain, SolanaChain], Field(discriminator="kind")]


# --------------------------------------------------------------------------- teams / paging


class Responder(Strict):
    type: Literal["team", "user", "escalation", "schedule"] = "team"
    name: str


class PagerDuty(Strict):
    routing_key_file: str  # Events API v2 integration key, read by Alertmanager from this file
    url: str | None = None  # override the Events API URL (tests/demo point it at a capture server)


class Opsgenie(Strict):
    api_key_file: str
    api_url: str | None = None
    responders: list[Responder] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    page_critical: bool = True  # also open a P1 for critical alerts


class Slack(Strict):
    api_url_file: str
    channel: str


class Webhook(Strict):
    url_file: str


class BusinessHours(Strict):
    timezone: str = "UTC"
    weekdays: list[str] = Field(default_factory=lambda: ["monday:friday"])
    start: str = "09:00"
    end: str = "17:00"


class Team(Strict):
    pagerduty: PagerDuty | None = None
    opsgenie: Opsgenie | None = None
    slack: Slack | None = None
    webhook: Webhook | None = None
    # Where warnings go: opsgenie (P3), slack/webhook (ticket channel) or none.
    warnings_to: Literal["opsgenie", "slack", "webhook", "none"] = "opsgenie"
    business_hours: BusinessHours | None = None  # if set, warnings only notify inside these hours


class SeverityTiming(Strict):
    group_wait: str
    group_interval: str
    repeat_interval: str


def _timing(wait: str, interval: str, repeat: str):
    return Field(default_factory=lambda: SeverityTiming(group_wait=wait, group_interval=interval, repeat_interval=repeat))


class AlertmanagerSettings(Strict):
    critical: SeverityTiming = _timing("30s", "5m", "4h")
    warning: SeverityTiming = _timing("1m", "10m", "12h")
    info: SeverityTiming = _timing("5m", "30m", "24h")
    external_url: str = "http://alertmanager.example.internal:9093"


# --------------------------------------------------------------------------- exporter / generators


class ExporterSettings(Strict):
    default_timeout_seconds: float = Field(10, gt=0, le=300)  # when Prometheus sends no scrape timeout
    timeout_offset_seconds: float = Field(0.5, ge=0, le=10)  # subtracted from the scrape timeout
    min_probe_interval_seconds: float = Field(1.0, ge=0, le=60)  # a result this fresh is reused
    reference_max_age_seconds: float = Field(2.0, ge=0, le=60)  # references shared by every target of a chain
    max_response_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    state_dir: str = "./chainwatch-state"


class GeneratorSettings(Strict):
    runbook_base_url: str = "https://github.com/chainwatch/chainwatch/blob/main/docs/runbooks"
    grafana_url: str = "http://grafana.example.internal:3000"
    exporter_job: str = "chainwatch"


class Config(Strict):
    exporter: ExporterSettings = Field(default_factory=ExporterSettings)
    generate: GeneratorSettings = Field(default_factory=GeneratorSettings)
    alertmanager: AlertmanagerSettings = Field(default_factory=AlertmanagerSettings)
    teams: dict[Annotated[str, Field(pattern=NAME_PATTERN)], Team] = Field(default_factory=lambda: {"default": Team()})
    chains: dict[Annotated[str, Field(pattern=NAME_PATTERN)], Chain] = Field(min_length=1)

    _path: str = PrivateAttr(default="chainwatch.yaml")

    @property
    def path(self) -> str:
        return self._path

    def endpoints(self) -> list[tuple[str, Chain, Endpoint]]:
        return [(cname, chain, e) for cname, chain in sorted(self.chains.items()) for e in chain.endpoints]

    def find_endpoint(self, name: str) -> tuple[str, Chain, Endpoint] | None:
        for item in self.endpoints():
            if item[2].name == name:
                return item
        return None

    @model_validator(mode="after")
    def _cross(self):
        names = [e.name for _, _, e in self.endpoints()]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"endpoint names must be unique across chains (they are the /probe target): {', '.join(dup)}")
        for cname, chain in self.chains.items():
            if chain.team not in self.teams:
                raise ValueError(f"chains.{cname}.team: unknown team {chain.team!r} (teams: {', '.join(sorted(self.teams))})")
            if chain.routing is not None:
                _check_routing(cname, chain.team, self.teams[chain.team], chain.routing)
        return self


def _check_routing(cname: str, tname: str, team: Team, routing: ChainRouting) -> None:
    """A per-chain override that names a channel the team does not have would silently drop pages."""
    where = f"chains.{cname}.routing"
    if routing.critical_to in ("pagerduty", "opsgenie") and getattr(team, routing.critical_to) is None:
        raise ValueError(f"{where}.critical_to: team {tname} has no {routing.critical_to} configured")
    if routing.warnings_to in ("opsgenie", "slack", "webhook") and getattr(team, routing.warnings_to) is None:
        raise ValueError(f"{where}.warnings_to: team {tname} has no {routing.warnings_to} configured")
    if routing.business_hours_only and team.business_hours is None:
        raise ValueError(f"{where}.business_hours_only: team {tname} has no business_hours to restrict to")


# --------------------------------------------------------------------------- loading

_INTERPOLATED = {"url", "headers", "routing_key_file", "api_key_file", "api_url_file", "url_file"}


def _interpolate(data: Any, path: tuple, secrets: dict[tuple, list[str]], errors: list[tuple[tuple, str]], env, active=False):
    if isinstance(data, dict):
        return {k: _interpolate(v, path + (k,), secrets, errors, env, active or k in _INTERPOLATED) for k, v in data.items()}
    if isinstance(data, list):
        return [_interpolate(v, path + (i,), secrets, errors, env, active) for i, v in enumerate(data)]
    if active and isinstance(data, str) and env is None:
        return _ENV.sub("unset", data)  # generators never need the secret, only the shape
    if active and isinstance(data, str):

        def sub(match: re.Match) -> str:
            var = match.group(1)
            if var not in env:
                errors.append((path, f"environment variable {var} is not set"))
                return ""
            value = env[var]
            if value:
                secrets.setdefault(_endpoint_key(path), []).append(value)
            return value

        return _ENV.sub(sub, data)
    return data


def _endpoint_key(path: tuple) -> tuple:
    # ("chains", c, "endpoints", i, ...) -> ("chains", c, "endpoints", i)
    if len(path) >= 4 and path[0] == "chains" and path[2] == "endpoints":
        return tuple(path[:4])
    return ()


def _url_secrets(endpoint: Endpoint) -> list[str]:
    parts = urlsplit(endpoint.url)
    out = []
    if parts.password:
        out.append(parts.password)
    if parts.username:
        out.append(parts.username)
    for segment in parts.path.split("/"):
        if len(segment) >= 8:  # API keys hide in path segments (Infura /v3/<key>, Alchemy /v2/<key>)
            out.append(segment)
    if parts.query:
        out.append(parts.query)
        out.extend(v for kv in parts.query.split("&") for v in kv.split("=")[1:] if len(v) >= 4)
    out.extend(v for v in endpoint.headers.values() if len(v) >= 4)
    return out


def parse(text: str, filename: str = "chainwatch.yaml", env: dict[str, str] | None = None, *, need_secrets: bool = True) -> Config:
    """Validate ``text``. Generators pass ``need_secrets=False``: they never see API keys,
    so a machine that only renders rules does not need them in its environment."""
    env = (dict(os.environ) if env is None else env) if need_secrets else None
    try:
        raw, source = yamlsource.load(text)
    except yamlsource.YamlSourceError as exc:
        raise ConfigError([f"{filename}:{exc.line}: {exc.message}"]) from None
    if not isinstance(raw, dict):
        raise ConfigError([f"{filename}:1: the config must be a mapping with a 'chains' key"])
    secrets: dict[tuple, list[str]] = {}
    env_errors: list[tuple[tuple, str]] = []
    data = _interpolate(raw, (), secrets, env_errors, env)
    if env_errors:
        raise ConfigError([f"{filename}:{source.line_for(p)}: {yamlsource.dotted(p)}: {m}" for p, m in env_errors])
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format(exc, data, source, filename)) from None
    config._path = filename
    for cname, chain in config.chains.items():
        for index, endpoint in enumerate(chain.endpoints):
            found = secrets.get(("chains", cname, "endpoints", index), [])
            endpoint._secrets = tuple(sorted(set(found + _url_secrets(endpoint)), key=len, reverse=True))
    return config


def load(path: str | os.PathLike, env: dict[str, str] | None = None, *, need_secrets: bool = True) -> Config:
    filename = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError([f"{filename}:0: cannot read config: {exc.strerror}"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:  # was a traceback (exit 1), and a 500 / dead SIGHUP task on reload
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError([f"{filename}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"]) from None
    return parse(text, filename, env, need_secrets=need_secrets)


def _format(exc: ValidationError, data: Any, source: yamlsource.SourceMap, filename: str) -> list[str]:
    problems = []
    for err in exc.errors():
        path = _data_path(err["loc"], data)
        where = yamlsource.dotted(path) or "(top level)"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see docs/config.md)"
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        elif err["type"] == "union_tag_invalid":
            msg = f"kind must be one of evm, beacon, solana (got {err.get('input', {}).get('kind')!r})" if isinstance(err.get("input"), dict) else msg
        elif err["type"] == "union_tag_not_found":
            msg = "kind is required (evm, beacon or solana)"
        line = f"{filename}:{source.line_for(path)}: {where}: {msg}"
        if line not in problems:
            problems.append(line)
    return problems


def _data_path(loc: tuple, data: Any) -> tuple:
    """Map a pydantic error location onto the YAML data, dropping union tags and type names."""
    path: list = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and part not in ("evm", "beacon", "solana") and not any(c in part for c in "[]()"):
            path.append(part)  # a missing field: point at its parent's line, name the field
            node = None
        else:
            continue
    return tuple(path)
