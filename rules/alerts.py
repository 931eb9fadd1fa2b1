"""Alert rules, generated per configured chain with that chain's resolved thresholds.

Chain and group alerts aggregate to exactly their scope labels (``max by (chain, network)``
etc.): with several exporter replicas each chain-wide series exists once per replica, and the
alert must still be one alert per chain. Every rule selects ``chain="<name>"`` so two chains of the same kind can have different
thresholds (2 s Polygon blocks vs 12 s Ethereum blocks). Endpoint alerts look only at
``role!="reference"``: we do not page for somebody else's provider lagging; broken
references show up as :func:`reference_quorum` instead.

Each builder returns :class:`~chainwatch.rules.common.Alert` objects carrying a
:class:`~chainwatch.rules.common.Recipe`: the series that provoke the alert in a promtool
unit test and the labels and value it must report.
"""

from __future__ import annotations

import math

from prometheus_client.utils import floatToGoString

from chainwatch import kinds
from chainwatch.core.catalog import LATENCY_BUCKETS
from chainwatch.core.config import Config
from chainwatch.core.uids import chain_uid
from chainwatch.core.generated import number

from chainwatch.core import names
from chainwatch.rules.common import (
    ALL_CHAINS,
    CHAIN_LABELS,
    ENDPOINT_LABELS,
    GROUP_LABELS,
    Alert,
    Recipe,
    Series,
    by,
    duration,
    fmt,
    seconds,
    selector,
)

OPERATIONAL = "chainwatch-operational"
EXECUTIVE = "chainwatch-executive"


def chain_dashboard(chain: str) -> str:
    return chain_uid(chain)


# Window of MempoolNotMined: the pending pool must not shrink once in this long.
MEMPOOL_WINDOW = "5m"
# ProbeFailing: share of the last PROBE_WINDOW spent failing with one reason.
PROBE_WINDOW = "15m"
PROBE_FAILING_MIN_RATIO = 0.1


class Ctx:
    """One configured chain, as the builders need it."""

    def __init__(self, config: Config, name: str):
        self.config = config
        self.name = name
        self.chain = config.chains[name]
        self.kind = self.chain.kind
        self.team = self.chain.team
        self.t = self.chain.thresholds
        self.d = self.chain.thresholds.durations
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

    def sel(self, name: str, **matchers: str) -> str:
        return selector(name, self.name, nodes=True, **matchers)

    def csel(self, name: str, **matchers: str) -> str:
        return selector(name, self.name, **matchers)

    def alert(self, name: str, severity: str, expr: str, for_: str, summary: str, description: str, **kw) -> Alert:
        spec = names.ALERT_BY_NAME[name]
        if self.kind not in spec.kinds or severity not in spec.severities:
            raise ValueError(f"{name} is not declared for {self.kind} chains with severity {severity} (core/names.py, kinds/*/__init__.py)")
        dashboard = OPERATIONAL if spec.scope == "endpoint" else chain_dashboard(self.name)
        return Alert(name, severity, self.name, self.team, spec.scope, expr, for_, summary, description, dashboard, **kw)


def _ceil(value: float) -> float:
    return number(math.ceil(value))


# --------------------------------------------------------------------------- exporter


def exporter_absent(config: Config) -> list[Alert]:
    """One rule per team that owns a chain: every team loses its monitoring when the exporter goes."""
    job = config.generate.exporter_job
    out = []
    for team in sorted({c.team for c in config.chains.values()}):
        chains = [c for c in config.chains.values() if c.team == team]
        for_ = min((c.thresholds.durations.down for c in chains), key=seconds)
        up = f'up{{job="{job}"}}'
        alert = Alert(
            "ChainwatchExporterAbsent",
            "critical",
            ALL_CHAINS,
            team,
            "exporter",
            f"{up} == 0 or absent({up})",
            for_,
            "chainwatch exporter is not being scraped",
            "Prometheus has not scraped the chainwatch exporter (job {job}) for " + for_
            + ": every chainwatch alert of team " + team + " is blind until it is back.",
            OPERATIONAL,
        )
        instance = {"job": job, "instance": "chainwatch:9877"}
        alert.recipes = [
            Recipe([Series("up", instance, 1, 0)], 0, instance, note="up == 0"),
            Recipe([Series("up", instance, 1, 0, "presence")], 1, {"job": job}, window=300, note="no up series at all", full=False),
        ]
        out.append(alert)
    # One expression, one rule per team: they all fire together, so one set of tests covers them.
    for alert in out[1:]:
        alert.recipes = []
    for recipe in out[0].recipes:
        recipe.companions = out[1:]
    return out


# --------------------------------------------------------------------------- endpoint


def endpoint_down(c: Ctx) -> list[Alert]:
    a = c.alert(
        "ChainwatchEndpointDown", "critical",
        f"{c.sel('chainwatch_probe_success')} == 0", c.d.down,
        "{endpoint} on {chain} is down",
        "Every probe of {endpoint} ({role}) on {chain}/{network} has failed for " + c.d.down + "; last failure reason: {failure_reason}.",
    )
    e = c.endpoint_labels
    a.recipes = [Recipe(
        [
            Series("chainwatch_probe_success", e, 1, 0),
            Series("chainwatch_probe_failure_reason", {**e, "reason": "timeout"}, 0, 1),
            Series("chainwatch_probe_failure_reason", {**e, "reason": "connect"}, 0, 0),
        ],
        0, e, queried={"failure_reason": "timeout"}, note="every probe times out",
    )]
    return [a]


PROBE_RECENT = "5m"


def probe_failing(c: Ctx) -> list[Alert]:
    ratio = max(c.t.rpc_error_ratio, PROBE_FAILING_MIN_RATIO)
    a = c.alert(
        "ChainwatchProbeFailing", "warning",
        # ... and still failing recently: a recovered endpoint must not open a ticket on its 15m average.
        f"avg_over_time({c.sel('chainwatch_probe_failure_reason')}[{PROBE_WINDOW}]) > {fmt(ratio)}"
        f" and max_over_time({c.sel('chainwatch_probe_failure_reason')}[{PROBE_RECENT}]) == 1", c.d.rpc_errors,
        "Probes of {endpoint} on {chain} fail with {reason}",
        "{value:pct} of the probes of {endpoint} ({role}) on {chain}/{network} failed with reason {reason} over the last "
        + PROBE_WINDOW + " (threshold " + f"{ratio:.0%}" + ").",
    )
    e = c.endpoint_labels
    labels = {**e, "reason": "rate_limited"}
    a.recipes = [Recipe([Series("chainwatch_probe_failure_reason", labels, 0, 1)], 1, labels, window=seconds(PROBE_WINDOW), note="probes rate limited")]
    return [a]


def wrong_chain(c: Ctx) -> list[Alert]:
    if kinds.get(c.kind).identity is not None:
        return _wrong_genesis(c)
    expected = c.chain.chain_id
    wrong = 5 if expected != 5 else 6
    sel_id = c.sel("chainwatch_chain_id")
    sel_reason = c.sel("chainwatch_probe_failure_reason", reason="wrong_chain")
    a = c.alert(
        "ChainwatchWrongChain", "critical",
        f"{sel_id} != {expected} or on ({by(ENDPOINT_LABELS)}) (max without (reason) ({sel_reason}) == 1)", c.d.down,
        "{endpoint} on {chain} serves the wrong chain",
        "{endpoint} ({role}) on {chain}/{network} answers eth_chainId {reported_chain_id} but {chain} is chain id " + str(expected)
        + ": it points at the wrong network, every answer from it is wrong.",
    )
    e = c.endpoint_labels
    a.recipes = [Recipe(
        [
            Series("chainwatch_chain_id", e, expected, wrong),
            Series("chainwatch_probe_failure_reason", {**e, "reason": "wrong_chain"}, 0, 1),
        ],
        wrong, e, queried={"reported_chain_id": str(wrong)}, note="endpoint switched to another network",
    )]
    return [a]


def _wrong_genesis(c: Ctx) -> list[Alert]:
    """Beacon / Solana have no chain id metric: only the probe's ``wrong_chain`` failure says it
    (it needs ``genesis_validators_root`` / ``genesis_hash`` in the config; without, it never fires)."""
    field_, source = kinds.get(c.kind).identity
    pinned = getattr(c.chain, field_, None)  # a hash, or a number (a rollup's l2_chain_id)
    expected = str(pinned) if pinned is not None else f"the configured {field_} (none is: set it to enable this check)"
    sel_reason = c.sel("chainwatch_probe_failure_reason", reason="wrong_chain")
    a = c.alert(
        "ChainwatchWrongChain", "critical",
        f"max without (reason) ({sel_reason}) == 1", c.d.down,
        "{endpoint} on {chain} serves the wrong chain",
        "{endpoint} ({role}) on {chain}/{network} answers " + source + " of another network: its " + field_
        + " is not " + expected + ". It points at the wrong network, every answer from it is wrong.",
    )
    e = c.endpoint_labels
    a.recipes = [Recipe([Series("chainwatch_probe_failure_reason", {**e, "reason": "wrong_chain"}, 0, 1)], 1, e,
                        note="endpoint switched to another network")]
    return [a]


def _levels(c: Ctx, name: str, series: str, resolved, duration_: str, unit: str, what: str) -> list[Alert]:
    warn, crit = resolved("warning"), resolved("critical")
    rules = {}
    for level, threshold in (("warning", warn), ("critical", crit)):
        rules[level] = c.alert(
            name, level,
            f"{c.sel(series)} > {fmt(threshold)}", duration_,
            "{endpoint} on {chain} is {value:%.0f} " + unit + " behind",
            "{endpoint} ({role}) on {chain}/{network} is {value:%.0f} " + unit + " behind " + what
            + f" (threshold {fmt(threshold)} {unit}, for {duration_}).",
        )
    e = c.endpoint_labels
    mid = _ceil((warn + crit) / 2) if crit > warn + 1 else crit + 1
    high = _ceil(crit * 2 + 1)
    # The healthy value sits exactly on the warning threshold: `>` must not fire on it.
    rules["warning"].recipes = [Recipe([Series(series, e, warn, mid)], mid, e, note=f"{mid} {unit} behind")]
    rules["critical"].recipes = [Recipe([Series(series, e, warn, high)], high, e, companions=[rules["warning"]], note=f"{high} {unit} behind")]
    if mid > crit:  # warning and critical too close to separate: only the critical scenario
        rules["warning"].recipes = []
    return [rules["warning"], rules["critical"]]


def sync_lag(c: Ctx) -> list[Alert]:
    unit = kinds.get(c.kind).unit
    return _levels(c, "ChainwatchSyncLagHigh", "chainwatch_sync_lag_blocks", c.chain.lag_blocks, c.d.sync_lag, unit, "the median head of the references")


def sync_lag_seconds(c: Ctx) -> list[Alert]:
    return _levels(c, "ChainwatchSyncLagSecondsHigh", "chainwatch_sync_lag_seconds", c.chain.lag_seconds, c.d.sync_lag, "seconds", "the references' head")


def head_stale(c: Ctx) -> list[Alert]:
    limit = c.chain.head_stale_seconds
    a = c.alert(
        "ChainwatchHeadStale", "critical",
        f"{c.sel('chainwatch_head_age_seconds')} > {fmt(limit)}", c.d.head_stale,
        "{endpoint} on {chain} has no new block for {value:%.0f}s",
        "The head of {endpoint} ({role}) on {chain}/{network} is {value:%.0f}s old; a new block is expected every "
        + fmt(c.chain.block_time) + f"s (threshold {fmt(limit)}s).",
    )
    e = c.endpoint_labels
    stale = _ceil(limit * 3)
    a.recipes = [Recipe([Series("chainwatch_head_age_seconds", e, limit, stale)], stale, e, note="head stopped")]
    return [a]


def peers_low(c: Ctx) -> list[Alert]:
    if c.t.peers_min <= 0:
        return []
    low = max(0, c.t.peers_min // 3)
    a = c.alert(
        "ChainwatchPeersLow", "warning",
        f"{c.sel('chainwatch_peers')} < {c.t.peers_min}", c.d.peers_low,
        "{endpoint} on {chain} has only {value:%.0f} peers",
        "{endpoint} ({role}) on {chain}/{network} has {value:%.0f} peers (minimum " + str(c.t.peers_min)
        + "): it may be isolated from the network and fall behind.",
    )
    e = c.endpoint_labels
    a.recipes = [Recipe([Series("chainwatch_peers", e, c.t.peers_min, low)], low, e, note="peers dropped")]
    return [a]


def mempool_high(c: Ctx) -> list[Alert]:
    limit = c.t.mempool_pending_max
    a = c.alert(
        "ChainwatchMempoolHigh", "warning",
        f"max without (state) ({c.sel('chainwatch_mempool_transactions', state='pending')}) > {limit}", c.d.mempool,
        "{endpoint} on {chain} holds {value:%.0f} pending transactions",
        "The mempool of {endpoint} ({role}) on {chain}/{network} holds {value:%.0f} pending transactions (threshold "
        + str(limit) + ").",
    )
    e = c.endpoint_labels
    high = limit * 2 + 1
    a.recipes = [Recipe([
        Series("chainwatch_mempool_transactions", {**e, "state": "pending"}, limit, high),
        Series("chainwatch_mempool_transactions", {**e, "state": "queued"}, 10, 10),
    ], high, e, note="pending pool full")]
    return [a]


def mempool_not_mined(c: Ctx) -> list[Alert]:
    pending = f"max without (state) ({c.sel('chainwatch_mempool_transactions', state='pending')})"
    w = MEMPOOL_WINDOW
    a = c.alert(
        "ChainwatchMempoolNotMined", "warning",
        f"max without (state) (delta({c.sel('chainwatch_mempool_transactions', state='pending')}[{w}])) > 0"
        f" and on ({by(ENDPOINT_LABELS)}) max without (state) (resets({c.sel('chainwatch_mempool_transactions', state='pending')}[{w}])) == 0"
        f" and on ({by(ENDPOINT_LABELS)}) {pending} > 0",
        c.d.mempool,
        "Transactions pile up unmined on {endpoint} ({chain})",
        "The pending pool of {endpoint} ({role}) on {chain}/{network} has only grown for at least " + w + " plus "
        + c.d.mempool + " (now {value:%.0f} more than " + w + " ago): nothing leaves it, nothing is being mined or propagated.",
    )
    e = c.endpoint_labels
    per_step = 50
    a.recipes = [Recipe([
        Series("chainwatch_mempool_transactions", {**e, "state": "pending"}, 0, per_step, "height", start=200),
    ], None, e, window=seconds(w), note="pending grows and never shrinks", value_at=lambda steps, step: per_step * seconds(w) / step)]
    return [a]


def rpc_latency(c: Ctx) -> list[Alert]:
    limit = c.t.rpc_latency_p95_seconds
    a = c.alert(
        "ChainwatchRpcLatencyHigh", "warning",
        f'endpoint:chainwatch_rpc_request_duration_seconds:p95_5m{{chain="{c.name}",role!="reference"}} > {fmt(limit)}', c.d.rpc_latency,
        "RPC p95 latency of {endpoint} on {chain} is {value:%.3f}s",
        "95% of RPC requests to {endpoint} ({role}) on {chain}/{network} took up to {value:%.3f}s over the last 5m (threshold "
        + fmt(limit) + "s).",
    )
    e = c.endpoint_labels
    # 60 requests a minute: healthy ones all in the first bucket, slow ones all in the bucket
    # just above the threshold, where histogram_quantile interpolates p95 at 95% of its width.
    above = [b for b in LATENCY_BUCKETS if b > limit]
    if not above:
        raise ValueError(f"rpc_latency_p95_seconds {limit} is above the largest latency bucket {LATENCY_BUCKETS[-1]}")
    upper = above[0]
    lower = max([b for b in LATENCY_BUCKETS if b < upper], default=0.0)
    bucket = "chainwatch_rpc_request_duration_seconds_bucket"
    series = [
        Series(bucket, {**e, "method": "batch", "le": floatToGoString(b)}, 60, 60 if b >= upper else 0, "counter")
        for b in LATENCY_BUCKETS
    ]
    series.append(Series(bucket, {**e, "method": "batch", "le": "+Inf"}, 60, 60, "counter"))
    value = lower + (upper - lower) * 0.95
    a.recipes = [Recipe(series, value, e, window=300, note="every request slower than the threshold")]
    return [a]


def rpc_errors(c: Ctx) -> list[Alert]:
    limit = c.t.rpc_error_ratio
    a = c.alert(
        "ChainwatchRpcErrorRatioHigh", "warning",
        f'endpoint:chainwatch_rpc_errors:ratio_rate5m{{chain="{c.name}",role!="reference"}} > {fmt(limit)}', c.d.rpc_errors,
        "{value:pct} of RPC requests to {endpoint} on {chain} fail",
        "{value:pct} of RPC requests to {endpoint} ({role}) on {chain}/{network} failed over the last 5m (threshold "
        + f"{limit:.0%}" + ").",
    )
    e = c.endpoint_labels
    ok = {**e, "method": "batch"}
    a.recipes = [Recipe([
        Series("chainwatch_rpc_requests_total", ok, 60, 60, "counter"),
        Series("chainwatch_rpc_errors_total", ok, 0, 30, "counter"),
    ], 0.5, e, window=300, note="half the requests fail")]
    return [a]


# --------------------------------------------------------------------------- chain-wide


def reference_quorum(c: Ctx) -> list[Alert]:
    refs = len(c.chain.references)
    if refs == 0:
        return []
    need = min(c.t.references_min, refs)
    a = c.alert(
        "ChainwatchReferenceQuorumLost", "warning",
        f"max by ({by(CHAIN_LABELS)}) ({c.csel('chainwatch_references_agreeing')}) < {need}", c.d.reference_quorum,
        "Only {value:%.0f} reference(s) of {chain} reachable and agreeing",
        "Only {value:%.0f} of the " + str(refs) + " reference endpoints of {chain}/{network} are reachable and agree on the head (need "
        + str(need) + "): lag figures of the chain's nodes are unreliable.",
    )
    low = need - 1
    a.recipes = [Recipe([Series("chainwatch_references_agreeing", c.chain_labels, need, low)], low, c.chain_labels, note="references unreachable")]
    return [a]


def _halt_expr(c: Ctx, limit: float) -> str:
    if c.chain.references:
        return f"min by ({by(CHAIN_LABELS)}) ({c.csel('chainwatch_reference_head_stall_seconds')}) > {fmt(limit)}"
    # No references: the chain is halted when every endpoint we watch has a stale head.
    return f"min by ({by(CHAIN_LABELS)}) ({c.csel('chainwatch_head_age_seconds')}) > {fmt(limit)}"


def _halt_recipe(c: Ctx, limit: float) -> Recipe:
    stalled = _ceil(limit * 3)
    if c.chain.references:
        s = [Series("chainwatch_reference_head_stall_seconds", c.chain_labels, 0, stalled)]
    else:
        s = [Series("chainwatch_head_age_seconds", c.endpoint_labels, 1, stalled)]
    return Recipe(s, stalled, c.chain_labels, note="every reference stopped")


def chain_halted(c: Ctx) -> list[Alert]:
    limit = c.chain.chain_halt_seconds
    a = c.alert(
        "ChainwatchChainHalted", "critical", _halt_expr(c, limit), c.d.chain_halt,
        "{chain} has produced no block for {value:%.0f}s",
        "The head of {chain}/{network} has not advanced for {value:%.0f}s on every "
        + ("reference" if c.chain.references else "endpoint (no references configured)") + " (threshold "
        + fmt(limit) + "s): the chain itself is halted, not one node. Per-node lag and head-stale alerts are symptoms.",
    )
    a.recipes = [_halt_recipe(c, limit)]
    return [a]


# Builders every kind shares, each with the capability it needs ("" = every kind); each
# kind's own builders (its ``alerts.py``) follow them.
SHARED_BUILDERS = (
    (endpoint_down, ""), (probe_failing, ""), (wrong_chain, ""), (sync_lag, ""), (sync_lag_seconds, ""), (head_stale, ""),
    (peers_low, "peers"), (mempool_high, "mempool"), (mempool_not_mined, "mempool"), (rpc_latency, ""), (rpc_errors, ""),
    (reference_quorum, ""), (chain_halted, "reference_halt"),
)


def chain_alerts(config: Config, name: str) -> list[Alert]:
    c = Ctx(config, name)
    kind = kinds.get(c.kind)
    builders = [build for build, needs in SHARED_BUILDERS if not needs or needs in kind.capabilities]
    out: list[Alert] = []
    for build in (*builders, *kind.alert_builders()):
        out.extend(build(c))
    return out
