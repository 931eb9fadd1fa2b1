"""The alert declaration and its toolkit: :class:`AlertSpec`, the rule model, selectors,
durations; the text templates are :mod:`chainwatch.core.alerttext`, the promtool test
recipes :mod:`chainwatch.core.recipes` (both importable from here).

Every alert is declared once, as an :class:`AlertSpec` (shared alerts in
:mod:`chainwatch.core.alerts`, a kind's own in ``kinds/<kind>/alerts.py``): its name,
scope, severities, the capability or kind it applies to, its expression, ``for:``, summary,
description, value text, the inhibitions it takes part in, its promtool test recipe and its
runbook template. The names list (:mod:`chainwatch.assembly.names`), the rules, the value
annotations, the Alertmanager inhibitions, the promtool tests and the runbooks are all
derived from these records.

:func:`build` turns one record into :class:`Alert` objects for one configured chain (one
per severity); each knows its rule (expression, ``for:``, labels, annotations) *and* how to
provoke it in a promtool unit test (a :class:`Recipe`), so a rule can never be generated
without the test that proves it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Union

from chainwatch.core import declarations, durations

# The annotation texts and the promtool recipes live in their own modules; declarations
# import them from here with the rest of the toolkit.
from chainwatch.core.alerttext import QUERIES, go_template, humanize, humanize_duration, render  # noqa: F401
from chainwatch.core.recipes import STALE, Quiet, Recipe, Series, notation  # noqa: F401
from chainwatch.core.generated import number
from chainwatch.core.uids import chain_uid

ENDPOINT_LABELS = declarations.SCOPE_LABELS["endpoint"]
CHAIN_LABELS = declarations.SCOPE_LABELS["chain"]
GROUP_LABELS = declarations.SCOPE_LABELS["group"]
SCOPE_LABELS = {"endpoint": ENDPOINT_LABELS, "chain": CHAIN_LABELS, "group": GROUP_LABELS, "exporter": ()}

# Label value of ``chain`` on alerts about the exporter itself (not a valid chain name).
ALL_CHAINS = "*"


def metric(name: str) -> str:
    """A series name of the metric catalog (histogram suffixes allowed). Checked where the
    catalog is assembled, on every generated expression (:func:`chainwatch.assembly.catalog.check_expr`):
    the core cannot list the kinds' metrics."""
    return name


def by(labels) -> str:
    return ", ".join(labels)


def selector(name: str, chain: str | None = None, *, nodes: bool = False, **matchers: str) -> str:
    """``name{chain="x",role!="reference",k="v"}``; a matcher value starting with ``~`` is a regex."""
    parts = []
    if chain is not None:
        parts.append(f'chain="{chain}"')
    for key, value in sorted(matchers.items()):
        if value.startswith("~"):
            parts.append(f'{key}=~"{value[1:]}"')
        else:
            parts.append(f'{key}="{value}"')
    if nodes:
        parts.append('role!="reference"')
    name = metric(name) if name.startswith("chainwatch_") else name
    return f"{name}{{{','.join(parts)}}}" if parts else name


def fmt(value: float) -> str:
    """A threshold as it appears in PromQL: rounded, no float noise."""
    return str(number(value))


def seconds(duration: str) -> float:
    """A Prometheus duration in seconds (:func:`chainwatch.core.durations.seconds`)."""
    return durations.seconds(duration)


def duration(secs: float) -> str:
    """Seconds as a Prometheus duration (``90`` -> ``1m30s``; :func:`chainwatch.core.durations.text`)."""
    return durations.text(secs)


@dataclass
class Alert:
    name: str
    severity: str
    chain: str  # config chain name, or ALL_CHAINS
    team: str
    scope: str
    expr: str
    for_: str
    summary: str
    description: str
    dashboard: str  # dashboard uid
    extra_labels: dict[str, str] = field(default_factory=dict)
    recipes: list[Recipe] = field(default_factory=list)
    annotations: dict[str, str] = field(default_factory=dict)  # filled by the post-processing pass
    value_text: str = ""  # the `value` annotation, in placeholder syntax (the record's ``value``, set by the post-processing pass)
    resolve_within: float = 120.0  # seconds after the fault ends by which it must have resolved (the record's ``resolves``)
    keep_firing_for: str = ""  # hysteresis (Prometheus >= 2.42): stays firing this long after the expression clears
    quiet: list[Quiet] = field(default_factory=list)  # healthy extremes on which it must stay silent

    @property
    def static_labels(self) -> dict[str, str]:
        return {"severity": self.severity, "team": self.team, "chain": self.chain, **self.extra_labels}

    def rule(self) -> dict:
        rule = {"alert": self.name, "expr": self.expr}
        if seconds(self.for_) > 0:
            rule["for"] = self.for_
        if self.keep_firing_for:
            rule["keep_firing_for"] = self.keep_firing_for
        rule["labels"] = dict(sorted(self.static_labels.items()))
        rule["annotations"] = {
            "summary": go_template(self.summary),
            "description": go_template(self.description),
            **self.annotations,
        }
        if self.value_text:
            rule["annotations"]["value"] = go_template(self.value_text)
        return rule

    def expected(self, recipe: Recipe, value: float | None = None) -> dict:
        labels = {**recipe.labels, **self.static_labels}
        value = recipe.value if value is None else value
        return {
            "exp_labels": dict(sorted(labels.items())),
            "exp_annotations": {
                "summary": render(self.summary, labels, value, recipe.queried),
                "description": render(self.description, labels, value, recipe.queried),
                **self.annotations,
                **({"value": render(self.value_text, labels, value, recipe.queried)} if self.value_text else {}),
            },
        }


@dataclass
class Record:
    record: str
    expr: str
    labels: dict[str, str] = field(default_factory=dict)

    def rule(self) -> dict:
        out = {"record": self.record, "expr": self.expr}
        if self.labels:
            out["labels"] = dict(sorted(self.labels.items()))
        return out


# --------------------------------------------------------------------------- the declaration

OPERATIONAL = "chainwatch-operational"
EXECUTIVE = "chainwatch-executive"


class Ctx:
    """One configured chain, as the declarations need it.

    ``chain_thresholds`` and ``durations`` are the chain's configured thresholds and ``for:``
    durations. While :func:`build` renders a record, ``severity`` is the severity being built,
    ``threshold`` the record's threshold for it, ``thresholds`` the record's threshold by
    severity and ``rules`` the rules built so far (severity -> :class:`Alert`), so one
    callable serves every severity.
    """

    def __init__(self, config, name: str, kind, metrics: tuple = ()):
        """``kind``: the chain's :class:`~chainwatch.kinds.base.ChainKind`; ``metrics``: the
        assembled metric catalog (:class:`~chainwatch.core.declarations.Metric` rows), for
        declarations that select rows by kind."""
        self.config = config
        self.name = name
        self.chain = config.chains[name]
        self.kind = self.chain.kind
        self.chain_kind = kind
        self.metrics = metrics
        self.team = self.chain.team
        self.chain_thresholds = self.chain.thresholds  # the chain's configured thresholds (its kind's Thresholds model)
        self.durations = self.chain.thresholds.durations  # its alerts' for: durations by key
        nodes = self.chain.nodes
        node = nodes[0] if nodes else None
        self.chain_labels = {"chain": name, "network": self.chain.network}
        self.endpoint_labels = {
            **self.chain_labels,
            "endpoint": node.name if node else "node-a",
            "role": node.role.value if node else "node",
        }
        validators = getattr(self.chain, "validators", None)
        self.groups = sorted(validators.groups) if validators else []
        self.group_labels = {**self.chain_labels, "group": self.groups[0]} if self.groups else None
        self.severity = ""
        self.threshold: float = 0.0
        self.rules: dict[str, Alert] = {}
        self.thresholds: dict[str, float] = {}

    # The short names of chain_thresholds and durations, for declarations written before the
    # rename on other branches; new declarations use the long ones.
    t = property(lambda self: self.chain_thresholds)
    d = property(lambda self: self.durations)

    @property
    def unit(self) -> str:
        """What the chain's head heights count (``blocks``/``slots``), from its kind."""
        return self.chain_kind.unit

    @property
    def labels(self) -> dict[str, str]:
        return {"endpoint": self.endpoint_labels, "chain": self.chain_labels, "group": self.group_labels or {}}[self.scope]

    scope = "endpoint"

    def sel(self, name: str, **matchers: str) -> str:
        return selector(name, self.name, nodes=True, **matchers)

    def csel(self, name: str, **matchers: str) -> str:
        return selector(name, self.name, **matchers)


@dataclass(frozen=True)
class Inhibition:
    """Alertmanager silences the alert while ``source`` fires with the same ``equal`` labels.

    ``source`` is an alert name, :data:`CHAIN_WIDE` for every alert declared ``chain_wide``, or
    :data:`EXPLANATION` for the critical variant of every alert that explains an SLO burn
    (:attr:`AlertSpec.explains_burn`). ``severity``: only the targets' variant of that severity
    is silenced ("" every variant).
    """

    source: str
    equal: tuple[str, ...]
    why: str = ""
    severity: str = ""


CHAIN_WIDE = "<chain-wide>"
# A halted chain (or stalled finality) pages once, not once per node.
HALT = Inhibition(CHAIN_WIDE, ("chain",), "A halted chain (or stalled finality) pages once, not once per node.")
# A down endpoint has no lag, peers, mempool or latency worth a second page.
DOWN = Inhibition("ChainwatchEndpointDown", ("chain", "endpoint"), "A down endpoint has no lag, peers, mempool or latency worth a second page.")
# A node on another network fails every probe with ``wrong_chain``: EndpointDown fires beside
# WrongChain, whose page names the cause; the "down" one would be the same incident paged twice.
WRONG_NETWORK = Inhibition(
    "ChainwatchWrongChain",
    ("chain", "endpoint"),
    "An endpoint on the wrong network fails every probe: its WrongChain page says why, a down page would repeat it.",
)
# Per-endpoint symptoms of a chain-wide incident or of the endpoint being down.
SYMPTOM = (HALT, DOWN)
# Every page about one endpoint or the whole chain (EndpointDown, SyncLagHigh critical,
# ChainHalted, ...) explains the chain's SLO burn: the burn is one incident with it (the burn
# alerts also wait longer and stay quiet while their windows remember it, rules/slo.py).
EXPLANATION = "<explanation>"
EXPLAINED = Inhibition(EXPLANATION, ("chain",), "An endpoint- or chain-level page explains the chain's SLO burn: one incident, one page.")
# An endpoint served by a node another chain of the config watches (an AvalancheGo node's
# C-chain RPC) that is down because that node is: the node's own page covers it. Sources: the
# alerts declared ``host_fault``, labelled with the served endpoint's chain and endpoint.
HOST_FAULT = "<host-fault>"
HOSTED = Inhibition(
    HOST_FAULT, ("chain", "endpoint"), "An endpoint served by a node another chain watches is down because that node is: the node's page covers it."
)
# The order of the generated inhibit rules: these first, then alert-to-alert ones as declared.
COMMON_INHIBITIONS = (HALT, DOWN, EXPLAINED)

Text = Union[str, Callable[[Ctx], str]]


def _text(value, c: Ctx):
    return value(c) if callable(value) else value


@dataclass(frozen=True)
class AlertSpec:
    """One alert, everything about it. Callables take a :class:`Ctx`.

    - ``name``, ``scope`` (``endpoint``/``chain``/``group``/``exporter``: the labels that
      identify one firing instance), ``severities`` (one rule per severity);
    - ``needs``: the capability a kind must have (shared alerts; "" = every kind); ``kinds``:
      the kinds it applies to, filled in by :mod:`chainwatch.assembly.names` (a kind's own alerts:
      that kind); ``when``: whether the configured chain gets it (e.g. only with groups);
    - ``threshold`` (per ``c.severity``), ``expr``, ``for_``, ``summary``, ``description``: the
      rule; texts use the placeholders of :func:`go_template`;
    - ``value``: the ``value`` annotation (a text, or ``(kind or None) -> text``);
    - ``chain_wide`` (its firing inhibits the chain's symptoms) and ``inhibited_by``;
    - ``ahead``: an advance warning (a certificate about to expire): its page explains no
      failure happening now, so it is not an explanation of the chain's SLO burn;
    - ``test``: its promtool recipes, ``(c) -> [Recipe]`` for ``c.severity``; ``quiet``:
      ``(c) -> [Quiet]``, healthy extremes the generated tests hold it silent on;
    - ``runbook``: the Markdown template (``runbooks/<runbook>.md`` beside the declaring
      module's package), default the alert's name;
    - ``resolves``: seconds within which it resolves once the fault is over (default 2 min;
      the generated promtool tests hold it to that, and to nothing firing after it);
    - ``keep_firing_for``: hysteresis (Prometheus >= 2.42), counted in ``resolves``;
    - ``build``: a builder ``(spec, config or Ctx) -> [Alert]`` for the irregular ones (the
      exporter's own alert, the SLO burn alerts), which otherwise :func:`build` does.
    """

    name: str
    scope: str
    severities: tuple[str, ...]
    summary: Text = ""
    description: Text = ""
    expr: Callable[[Ctx], str] | None = None
    for_: Text = ""
    threshold: Callable[[Ctx], float] | None = None
    test: Callable[[Ctx], list] | None = None
    quiet: Callable[[Ctx], list] | None = None
    when: Callable[[Ctx], bool] | None = None
    value: Union[str, Callable] = "{value:humanize}"
    needs: str = ""
    kinds: tuple[str, ...] = ()
    chain_wide: bool = False
    host_fault: bool = False  # its firing mutes the labelled endpoint's HOSTED alerts (EndpointDown)
    ahead: bool = False
    inhibited_by: tuple[Inhibition, ...] = ()
    runbook: str = ""
    package: str = "chainwatch.rules"
    resolves: Callable[[Ctx], float] | float = 120.0
    keep_firing_for: str | Callable[[Ctx], str] = ""
    build: Callable | None = None

    @property
    def symptom(self) -> bool:
        """Inhibited by a chain-wide alert of its chain (and by its endpoint being down)."""
        return HALT in self.inhibited_by

    @property
    def explains_burn(self) -> bool:
        """Its critical variant is a page about an endpoint or the whole chain happening now:
        the chain's SLO burn alerts are one incident with it (:data:`EXPLAINED`)."""
        return self.scope in ("endpoint", "chain") and "critical" in self.severities and not self.ahead and EXPLAINED not in self.inhibited_by

    @property
    def template(self) -> str:
        return self.runbook or self.name

    def value_text(self, kind) -> str:
        return self.value(kind) if callable(self.value) else self.value


def dashboard_for(scope: str, chain: str) -> str:
    return OPERATIONAL if scope == "endpoint" else chain_uid(chain)


def build(spec: AlertSpec, c: Ctx) -> list[Alert]:
    """The record's rules for chain ``c``: one :class:`Alert` per severity, with its recipes."""
    if spec.build is not None:
        return spec.build(spec, c)
    c.scope = spec.scope
    if spec.when is not None and not spec.when(c):
        return []
    c.rules = {}
    c.thresholds = thresholds = {}
    for severity in spec.severities:
        c.severity = severity
        c.threshold = thresholds[severity] = spec.threshold(c) if spec.threshold else 0.0
        c.rules[severity] = Alert(
            spec.name,
            severity,
            c.name,
            c.team,
            spec.scope,
            spec.expr(c),
            _text(spec.for_, c),
            _text(spec.summary, c),
            _text(spec.description, c),
            dashboard_for(spec.scope, c.name),
            keep_firing_for=_text(spec.keep_firing_for, c),
        )
    for severity, alert in c.rules.items():
        c.severity, c.threshold = severity, thresholds[severity]
        alert.recipes = list(spec.test(c)) if spec.test else []
        alert.quiet = list(spec.quiet(c)) if spec.quiet else []
        alert.resolve_within = _text(spec.resolves, c)
    return list(c.rules.values())


# --------------------------------------------------------------------------- the common shape


def ceil(value: float) -> float:
    return number(math.ceil(value))


def above(series: str, op: str = ">", **matchers: str) -> Callable[[Ctx], str]:
    """``<series of the chain's nodes> > <threshold>``: the shape most alerts share."""
    return lambda c: f"{c.sel(series, **matchers)} {op} {fmt(c.threshold)}"


def unless_measured_at_head(c: Ctx) -> str:
    """`` unless`` the endpoint's lag measured against the chain's references is within the
    chain's head tolerance (``head_tolerance_blocks``): appended to an alert on a node's own
    sync opinion (Bitcoin's initialblockdownload, Solana's getHealth behind), which then counts
    only where nothing independent measured the node (no references configured, no lag) or the
    node is also behind. Clients leave such flags on at the head (zq2#2227, bnc-tendermint#140;
    Bitcoin Core's IBD on a chain quiet for a day)."""
    return (
        f" unless on ({by(ENDPOINT_LABELS)}) ({c.sel('chainwatch_sync_lag_blocks')} <= {c.chain.head_tolerance_blocks}"
        f" and on ({by(CHAIN_LABELS)}) {c.csel('chainwatch_references_configured')} > 0)"
    )


def step(series: str, healthy, fault, note: str, value=None) -> Callable[[Ctx], list[Recipe]]:
    """The common test: one series of the alert's scope moves from ``healthy`` to ``fault``;
    the alert then reports ``value`` (default: the fault value). Values may be ``(c) -> x``."""

    def recipe(c: Ctx) -> list[Recipe]:
        h, f = _text(healthy, c), _text(fault, c)
        v = f if value is None else _text(value, c)
        return [Recipe([Series(series, c.labels, h, f)], v, c.labels, note=note)]

    return recipe
