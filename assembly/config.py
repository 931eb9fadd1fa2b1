"""The one config model: ``chainwatch.yaml`` validated into typed objects.

Every part of chainwatch (exporter, rules, dashboards, Alertmanager config) reads the
objects built here and nothing else, so a threshold means the same thing to the probe
that measures it, the alert that fires on it and the panel that draws it.

What all chains share is in :mod:`chainwatch.core.chain`; each chain kind's own model
lives in its package (``chainwatch.kinds.<kind>.config``) and the ``chains`` map accepts
exactly the kinds of the registry (:mod:`chainwatch.kinds`).

Errors name file, line and field (``chainwatch.yaml:14: chains.ethereum.endpoints[2].url:
...``); unknown keys are errors because a typo in a threshold must not pass silently.
``${VAR}`` in URLs, headers and secret file paths is taken from the environment, and every
value that came from there (plus URL paths, queries and credentials) is remembered as a
secret so the redactor can scrub it from anything we print.
"""

from __future__ import annotations

import os
import re
import typing
from pathlib import Path
from typing import Annotated, Any, Literal, Union
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, PrivateAttr, ValidationError, model_validator

from chainwatch import kinds
from chainwatch.core import secretfile, yamlsource
from chainwatch.core.accounts import Account  # noqa: F401 - re-exported: the config model is one import
from chainwatch.core import pricing
from chainwatch.core.pricing import ERPCSource, Pricing, UsageAPI  # noqa: F401 - UsageAPI, ERPCSource: re-exported for the config doc
from chainwatch.core.chain import (  # noqa: F401 - re-exported: the config model is one import
    NAME_PATTERN,
    SLO,
    ChainBase,
    ChainRouting,
    ConfigError,
    Durations,
    FieldError,
    Endpoint,
    FreshnessSLO,
    LatencySLO,
    Role,
    Strict,
    TLSConfig,
    Thresholds,
    duration_seconds,
)

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

# A chain of any registered kind, told apart by its `kind` key.
Chain = Annotated[Union[tuple(kinds.chain_models())], Field(discriminator="kind")]


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


class OpsgenieHeartbeat(Strict):
    """An Opsgenie heartbeat (Settings -> Heartbeats): pinged at ``<api_url>v2/heartbeats/<name>/ping``
    with ``Authorization: GenieKey <key>`` (https://docs.opsgenie.com/docs/heartbeat-api#ping-heartbeat-request)."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")  # the heartbeat's name in Opsgenie
    api_key_file: str  # an API key of an integration allowed to ping heartbeats, read by Alertmanager
    api_url: str = "https://api.opsgenie.com/"  # EU accounts: https://api.eu.opsgenie.com/


class Heartbeat(Strict):
    """Where the always-firing ChainwatchWatchdog goes, every ``interval``: a dead-man's switch
    outside this Prometheus/Alertmanager pair pages when the pings stop."""

    interval: str = Field("1m", pattern=r"^[0-9]+(ms|s|m|h)$")
    opsgenie: OpsgenieHeartbeat | None = None
    webhook: Webhook | None = None  # a healthchecks-style ping URL, read from url_file

    @model_validator(mode="after")
    def _one(self):
        if (self.opsgenie is None) == (self.webhook is None):
            raise ValueError("set exactly one of opsgenie or webhook")
        if duration_seconds(self.interval) < 1:
            raise FieldError(("interval",), "must be at least 1s")
        return self


class Team(Strict):
    heartbeat: Heartbeat | None = None  # where this team's ChainwatchWatchdog goes (docs/alert-path.md)
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


class PrometheusOperatorSettings(Strict):
    """What `generate --format prometheus-operator` writes into the PrometheusRule, Probe and ServiceMonitor objects."""

    # Added to every PrometheusRule, Probe and ServiceMonitor: kube-prometheus-stack selects them
    # by its Helm release (`release: <release name>`) and ignores objects without that label.
    labels: dict[str, str] = Field(default_factory=dict)
    namespace: str = "monitoring"  # the namespace of the exporter's Service (named generate.exporter_job)
    port: int = Field(9877, gt=0, lt=65536)  # the Service's port
    probe_interval: str = "15s"
    probe_timeout: str = "10s"


class GeneratorSettings(Strict):
    # Where you publish the runbooks generate writes (OUT/runbooks/<Alert>.md): a wiki, a Git
    # host, a web server. Unset: runbook_url is runbooks/<Alert>.md, their path in the output, and
    # generate warns (an alert's link must not be a 404 nobody notices).
    runbook_base_url: str | None = None
    grafana_url: str = "http://grafana.example.internal:3000"
    exporter_job: str = "chainwatch"
    prometheus_operator: PrometheusOperatorSettings = Field(default_factory=PrometheusOperatorSettings)


class StatusSettings(Strict):
    """The public status page (`chainwatch status`, docs/status-page.md): what it may say. It shows
    chain, network and SLO names from this file and fixed phrases, nothing else."""

    title: str = Field("Service status", min_length=1, max_length=80)


# A chain's generated rule files beside chainwatch-<chain>.rules.yml (rules/files.py names them):
# chainwatch-<chain>-<suffix>.rules.yml, so no chain may be named <another chain>-<suffix>.
CHAIN_FILE_SUFFIXES = ("recording", "slo", "accounts")


class Config(Strict):
    status: StatusSettings = Field(default_factory=StatusSettings)
    exporter: ExporterSettings = Field(default_factory=ExporterSettings)
    generate: GeneratorSettings = Field(default_factory=GeneratorSettings)
    alertmanager: AlertmanagerSettings = Field(default_factory=AlertmanagerSettings)
    teams: dict[Annotated[str, Field(pattern=NAME_PATTERN)], Team] = Field(default_factory=lambda: {"default": Team()})
    chains: dict[Annotated[str, Field(pattern=NAME_PATTERN)], Chain] = Field(min_length=1)
    # Paid RPC providers' price tables by name, over the built-in ones (core/pricing.py, docs/cost.md).
    pricing: dict[Annotated[str, Field(pattern=NAME_PATTERN)], Pricing] = Field(default_factory=dict)

    _path: str = PrivateAttr(default="chainwatch.yaml")
    _source: Any = PrivateAttr(default=None)  # yamlsource.SourceMap of the text it was parsed from

    @property
    def path(self) -> str:
        return self._path

    def line_of(self, path: tuple) -> int:
        """The line of ``path`` (``("teams", "ops", "pagerduty", "routing_key_file")``) in the config file (0: unknown)."""
        return self._source.line_for(path) if self._source is not None else 0

    def warnings(self) -> list[str]:
        """Config warnings: thresholds the chains' own parameters make impossible, and what the
        generated rules use instead (:class:`chainwatch.core.chain.Adjusted`)."""
        return [f"chains.{name}.{a}" for name, chain in sorted(self.chains.items()) for a in chain.adjustments()]

    def endpoints(self) -> list[tuple[str, Chain, Endpoint]]:
        return [(cname, chain, e) for cname, chain in sorted(self.chains.items()) for e in chain.endpoints]

    def find_endpoint(self, name: str) -> tuple[str, Chain, Endpoint] | None:
        for item in self.endpoints():
            if item[2].name == name:
                return item
        return None

    @model_validator(mode="after")
    def _cross(self):
        # Each refusal names the field at fault (FieldError), so the error is at its line.
        for cname in self.chains:
            for suffix in CHAIN_FILE_SUFFIXES:
                base = cname.removesuffix(f"-{suffix}")
                if base != cname and base in self.chains:
                    raise FieldError(
                        ("chains", cname),
                        f"chain {cname!r} would write the same rule file as the {suffix} rules of chain {base!r} (chainwatch-{cname}.rules.yml): rename one of them",
                    )
        seen: dict[str, str] = {}
        for cname, chain in self.chains.items():
            for i, e in enumerate(chain.endpoints):
                if e.name in seen and seen[e.name] != cname:
                    raise FieldError(
                        ("chains", cname, "endpoints", i, "name"),
                        f"endpoint name {e.name!r} is also used by chain {seen[e.name]}: endpoint names must be unique across chains (they are the /probe target)",
                    )
                seen.setdefault(e.name, cname)
        for cname, chain in self.chains.items():
            streamed = [i for i, e in enumerate(chain.endpoints) if e.ws_url]
            if streamed and "stream" not in kinds.get(chain.kind).capabilities:
                names = ", ".join(chain.endpoints[i].name for i in streamed)
                raise FieldError(
                    ("chains", cname, "endpoints", streamed[0], "ws_url"), f"ws_url is set on {names} but {chain.kind} chains have no subscription to watch"
                )
            _check_accounts(cname, chain, self.teams)
            if chain.team not in self.teams:
                raise FieldError(("chains", cname, "team"), f"unknown team {chain.team!r} (teams: {', '.join(sorted(self.teams))})")
            if chain.routing is not None:
                _check_routing(cname, chain.team, self.teams[chain.team], chain.routing)
            for other in chain.linked_chains():
                if other not in self.chains or other == cname:
                    field = next((f for f in reversed(type(chain).model_fields) if getattr(chain, f) == other), None)
                    path = ("chains", cname) + ((field,) if field else ())
                    raise FieldError(path, f"refers to chain {other!r}, which is not another chain of this config (chains: {', '.join(sorted(self.chains))})")
            try:
                chain.link(self.chains)
            except FieldError:
                raise
            except ValueError as exc:
                field, _, message = str(exc).partition(": ")
                path = ("chains", cname, field) if message and field.isidentifier() else ("chains", cname)
                raise FieldError(path, message if len(path) == 3 else str(exc)) from None
            _check_ordered(cname, chain)
        _check_pricing(self)
        return self

    def providers(self) -> dict[str, Pricing]:
        """Every provider an endpoint names, with its resolved table (core/pricing.py)."""
        named = sorted({e.provider for _, _, e in self.endpoints() if e.provider})
        return {name: pricing.resolve(name, self.pricing) for name in named}

    def provider_team(self, name: str) -> str:
        """Who a provider's cost alerts page: its table's ``team``, else the first chain's that uses it."""
        table = self.providers().get(name)
        if table is not None and table.team:
            return table.team
        return next(chain.team for _, chain, e in self.endpoints() if e.provider == name)


def _check_pricing(config) -> None:
    for name, table in config.pricing.items():
        if table.base is not None and table.base not in pricing.BUILTIN:
            raise FieldError(("pricing", name, "base"), f"unknown built-in table {table.base!r} (built-in: {', '.join(sorted(pricing.BUILTIN))})")
        if table.team is not None and table.team not in config.teams:
            raise FieldError(("pricing", name, "team"), f"unknown team {table.team!r} (teams: {', '.join(sorted(config.teams))})")
    known = sorted({*config.pricing, *pricing.BUILTIN})
    for cname, chain in config.chains.items():
        for i, e in enumerate(chain.endpoints):
            if e.provider is not None and e.provider not in known:
                raise FieldError(
                    ("chains", cname, "endpoints", i, "provider"), f"unknown provider {e.provider!r}: add a pricing: table for it (tables: {', '.join(known)})"
                )


def _check_accounts(cname: str, chain, teams: dict) -> None:
    """Accounts only on kinds that read balances, in the kind's address notation, owned by a known team."""
    if not chain.accounts:
        return
    kind = kinds.get(chain.kind)
    if "accounts" not in kind.capabilities:
        raise FieldError(
            ("chains", cname, "accounts"), f"{chain.kind} chains cannot read account balances (kinds that can: {', '.join(kinds.with_capability('accounts'))})"
        )
    reader = kind.module("accounts").READER
    canonical = getattr(reader, "canonical", lambda address: address)
    seen: dict[str, str] = {}
    for i, account in enumerate(chain.accounts):
        problem = reader.check_address(account.address)
        if problem:
            raise FieldError(("chains", cname, "accounts", i, "address"), problem)
        # One balance watched twice under two names would count its spending twice on the dashboards.
        first = seen.setdefault(canonical(account.address), account.name)
        if first != account.name:
            raise FieldError(("chains", cname, "accounts", i, "address"), f"address {account.address} is already watched as account {first!r}")
        if account.team is not None and account.team not in teams:
            raise FieldError(("chains", cname, "accounts", i, "team"), f"unknown team {account.team!r} (teams: {', '.join(sorted(teams))})")


def _check_ordered(cname: str, chain) -> None:
    """A warning threshold above its critical twin never warns before the page (resolved values:
    an unset one is the chain's default, which the message says)."""
    for unit, resolve, fmt in (("seconds", chain.lag_seconds, "{:g}s"), ("blocks", chain.lag_blocks, "{:g} blocks")):
        warning, critical = resolve("warning"), resolve("critical")
        if warning <= critical:
            continue
        set_w = getattr(chain.thresholds, f"sync_lag_{unit}_warning") is not None
        set_c = getattr(chain.thresholds, f"sync_lag_{unit}_critical") is not None
        field = f"sync_lag_{unit}_warning" if set_w else f"sync_lag_{unit}_critical"
        w = fmt.format(warning) + ("" if set_w else ", the chain's default")
        c = fmt.format(critical) + ("" if set_c else ", the chain's default")
        raise FieldError(
            ("chains", cname, "thresholds", field),
            f"sync_lag_{unit}_warning ({w}) is above sync_lag_{unit}_critical ({c}): the warning must fire before the page",
        )
    t = chain.thresholds
    if t.account_runway_days_critical >= t.account_runway_days_warning:
        raise FieldError(
            ("chains", cname, "thresholds", "account_runway_days_critical"),
            f"account_runway_days_critical ({t.account_runway_days_critical:g} days) is not below account_runway_days_warning ({t.account_runway_days_warning:g} days): the warning must come before the page",
        )
    if t.tls_cert_expiry_days_critical >= t.tls_cert_expiry_days_warning:
        set_w, set_c = ("tls_cert_expiry_days_warning" in t.model_fields_set), ("tls_cert_expiry_days_critical" in t.model_fields_set)
        field = "tls_cert_expiry_days_critical" if set_c else "tls_cert_expiry_days_warning"
        w = f"{t.tls_cert_expiry_days_warning:g} days" + ("" if set_w else ", the default")
        c = f"{t.tls_cert_expiry_days_critical:g} days" + ("" if set_c else ", the default")
        raise FieldError(
            ("chains", cname, "thresholds", field),
            f"tls_cert_expiry_days_critical ({c}) is not below tls_cert_expiry_days_warning ({w}): the warning must come before the page",
        )


def _check_routing(cname: str, tname: str, team: Team, routing: ChainRouting) -> None:
    """A per-chain override that names a channel the team does not have would silently drop pages."""
    where = ("chains", cname, "routing")
    if routing.critical_to in ("pagerduty", "opsgenie") and getattr(team, routing.critical_to) is None:
        raise FieldError(where + ("critical_to",), f"team {tname} has no {routing.critical_to} configured")
    if routing.warnings_to in ("opsgenie", "slack", "webhook") and getattr(team, routing.warnings_to) is None:
        raise FieldError(where + ("warnings_to",), f"team {tname} has no {routing.warnings_to} configured")
    if routing.business_hours_only and team.business_hours is None:
        raise FieldError(where + ("business_hours_only",), f"team {tname} has no business_hours to restrict to")


# --------------------------------------------------------------------------- loading

_INTERPOLATED = {
    "url",
    "ws_url",
    "index_node_url",
    "lcd_url",
    "headers",
    "routing_key_file",
    "api_key_file",
    "api_url_file",
    "url_file",
    "password_file",
    "token_file",
    "cookie_file",
}


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
    out = []
    for url in (*endpoint.urls, *([endpoint.ws_url] if endpoint.ws_url else []), *endpoint.extra_urls()):
        out.extend(_one_url_secrets(url))
    out.extend(v for v in endpoint.headers.values() if len(v) >= 4)
    return out


def _one_url_secrets(url: str) -> list[str]:
    parts = urlsplit(url)
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
    config._source = source
    if need_secrets:  # the exporter's host: the files it reads at every probe must be there now
        unreadable = [(("chains", name, *path), file, reason) for name, chain in config.chains.items() for path, file, reason in secretfile.problems(chain)]
        if unreadable:
            raise ConfigError([f"{filename}:{source.line_for(p)}: {yamlsource.dotted(p)}: {file}: {reason}" for p, file, reason in unreadable])
    for cname, chain in config.chains.items():
        for index, endpoint in enumerate(chain.endpoints):
            found = secrets.get(("chains", cname, "endpoints", index), [])
            endpoint._secrets = tuple(sorted(set(found + _url_secrets(endpoint)), key=len, reverse=True))
    return config


def load(path: str | os.PathLike, env: dict[str, str] | None = None, *, need_secrets: bool = True) -> Config:
    filename = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:  # no line to point at: the file itself is the problem
        raise ConfigError([f"config file {filename}: {yamlsource.unopenable(exc)}"]) from None
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
        raised = (err.get("ctx") or {}).get("error")
        if isinstance(raised, FieldError):
            path += raised.path
        where = yamlsource.dotted(path) or "(top level)"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            others = _kinds_with_key(path, data)
            if others:
                which = others[0] if len(others) == 1 else ", ".join(others[:-1]) + " and " + others[-1]
                msg = f"unknown key for a chain of kind {data['chains'][path[1]]['kind']}: only {which} chains have it (see docs/config.md)"
            else:
                msg = "unknown key (check the spelling; see docs/config.md)"
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        elif err["type"] == "union_tag_invalid":
            msg = f"kind must be one of {', '.join(kinds.NAMES)} (got {err.get('input', {}).get('kind')!r})" if isinstance(err.get("input"), dict) else msg
        elif err["type"] == "union_tag_not_found":
            msg = f"kind is required ({', '.join(kinds.NAMES[:-1])} or {kinds.NAMES[-1]})"
        line = f"{filename}:{source.line_for(path)}: {where}: {msg}"
        if line not in problems:
            problems.append(line)
    return problems


def _model_of(annotation) -> type[BaseModel] | None:
    """The pydantic model a field holds (through ``Annotated``, ``X | None``, ``list[X]``, ``dict[str, X]``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in reversed(typing.get_args(annotation)):
        model = _model_of(arg)
        if model is not None:
            return model
    return None


def _kinds_with_key(path: tuple, data: Any) -> list[str]:
    """Other chain kinds whose config has the unknown key at this place of a chain (a kind's own
    threshold on a chain of another kind), for an error that says so instead of "check the spelling"."""
    if len(path) < 3 or path[0] != "chains" or not isinstance(data.get("chains"), dict):
        return []
    chain = data["chains"].get(path[1])
    own = chain.get("kind") if isinstance(chain, dict) else None
    if own not in kinds.NAMES:
        return []
    found = []
    for kind in kinds.all_kinds():
        model: type[BaseModel] | None = kind.config
        for part in path[2:]:
            if isinstance(part, int):
                continue
            field = model.model_fields.get(part) if model is not None else None
            if field is None:
                model = None
                break
            model = _model_of(field.annotation)
            if model is None and part != path[-1]:
                break
        else:
            if kind.name != own:
                found.append(kind.name)
    return found


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
        elif isinstance(node, dict) and isinstance(part, str) and part not in kinds.NAMES and not any(c in part for c in "[]()"):
            path.append(part)  # a missing field: point at its parent's line, name the field
            node = None
        else:
            continue
    return tuple(path)
