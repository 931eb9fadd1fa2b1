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

from chainwatch.exporters.catalog import LATENCY_BUCKETS
from chainwatch.exporters.config import Config
from chainwatch.dashboards.uids import chain_uid
from chainwatch.exporters.generated import number

from . import names
from .common import (
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
# Skip rate is noise until the epoch has given the group a few leader rotations (4 slots each).
SOLANA_MIN_LEADER_SLOTS = 16
# The validator monitor processes each epoch after it ends; it is stuck after this many epochs.
MONITOR_STUCK_EPOCHS = 3
# Slashings and exits are events: they alert for this long after the status changed.
VALIDATOR_EVENT_WINDOW = "1h"


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
        assert self.kind in spec.kinds and severity in spec.severities, (name, self.kind, severity)
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


# What identifies the network of a beacon / Solana endpoint (the probe compares it when configured).
GENESIS_IDENTITY = {"beacon": ("genesis_validators_root", "/eth/v1/beacon/genesis"), "solana": ("genesis_hash", "getGenesisHash")}


def wrong_chain(c: Ctx) -> list[Alert]:
    if c.kind in GENESIS_IDENTITY:
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
    field_, source = GENESIS_IDENTITY[c.kind]
    expected = getattr(c.chain, field_, None) or f"the configured {field_} (none is: set it to enable this check)"
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
    unit = "slots" if c.kind in ("beacon", "solana") else "blocks"
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


def solana_cluster_halted(c: Ctx) -> list[Alert]:
    limit = c.chain.chain_halt_seconds
    a = c.alert(
        "ChainwatchSolanaClusterHalted", "critical", _halt_expr(c, limit), c.d.chain_halt,
        "Solana cluster {chain} has confirmed no slot for {value:%.0f}s",
        "No reference of {chain}/{network} has confirmed a new slot for {value:%.0f}s (threshold " + fmt(limit)
        + "s): the cluster is halted. Per-node lag alerts are symptoms.",
    )
    a.recipes = [_halt_recipe(c, limit)]
    return [a]


def finality_stalled(c: Ctx) -> list[Alert]:
    limit = c.t.finality_epochs
    a = c.alert(
        "ChainwatchFinalityStalled", "critical",
        f"min by ({by(CHAIN_LABELS)}) ({c.csel('chainwatch_beacon_epochs_since_finalized')}) > {limit}", c.d.finality,
        "{chain} has not finalized for {value:%.0f} epochs",
        "Every beacon node of {chain}/{network} reports the last finalized checkpoint {value:%.0f} epochs ago (normal: 2, threshold "
        + str(limit) + "): the chain is not finalizing.",
    )
    stalled = limit + 3
    a.recipes = [Recipe([Series("chainwatch_beacon_epochs_since_finalized", c.endpoint_labels, 2, stalled)], stalled, c.chain_labels, note="finality stopped")]
    return [a]


def monitor_stuck(c: Ctx) -> list[Alert]:
    if not c.groups:
        return []
    limit = number(MONITOR_STUCK_EPOCHS * c.chain.epoch_seconds)
    a = c.alert(
        "ChainwatchValidatorMonitorStuck", "warning",
        f"time() - max by ({by(CHAIN_LABELS)}) ({c.csel('chainwatch_validator_monitor_last_success_timestamp_seconds')}) > {fmt(limit)}", c.d.validator,
        "Validator monitor of {chain} has processed no epoch for {value:%.0f}s",
        "The validator monitor of {chain}/{network} last processed an epoch {value:%.0f}s ago (threshold " + fmt(limit)
        + "s = " + str(MONITOR_STUCK_EPOCHS) + " epochs): attestation and proposal misses are not being counted.",
    )
    a.recipes = [Recipe(
        [Series("chainwatch_validator_monitor_last_success_timestamp_seconds", c.chain_labels, 0, 0, "clock")],
        None, c.chain_labels, window=limit, note="monitor stopped", value_at=lambda steps, step: steps * step,
    )]
    return [a]


# --------------------------------------------------------------------------- validator groups


def attestations_missed(c: Ctx) -> list[Alert]:
    if not c.groups:
        return []
    n = c.t.attestation_consecutive_misses
    a = c.alert(
        "ChainwatchAttestationsMissed", "critical",
        f"max by ({by(GROUP_LABELS)}) ({c.csel('chainwatch_validator_consecutive_missed_attestations')}) >= {n}", c.d.validator,
        "Validators of group {group} on {chain} missed {value:%.0f} attestations in a row",
        "At least one validator of group {group} on {chain}/{network} has missed its last {value:%.0f} attestations (threshold "
        + str(n) + "): it is offline or cannot reach its beacon node.",
    )
    a.recipes = [Recipe([Series("chainwatch_validator_consecutive_missed_attestations", c.group_labels, n - 1, n + 1)], n + 1, c.group_labels, note="validator offline")]
    return [a]


def attestation_ratio(c: Ctx) -> list[Alert]:
    if not c.groups:
        return []
    limit = c.t.attestation_miss_ratio
    a = c.alert(
        "ChainwatchAttestationMissRatioHigh", "warning",
        f'group:chainwatch_validator_attestations_missed:ratio_rate1h{{chain="{c.name}"}} > {fmt(limit)}', c.d.validator,
        "Group {group} on {chain} missed {value:pct} of attestations",
        "Validators of group {group} on {chain}/{network} missed {value:pct} of their attestations over the last hour (threshold "
        + f"{limit:.0%}" + ").",
    )
    g = c.group_labels
    checked = 100
    a.recipes = [Recipe([
        Series("chainwatch_validator_attestations_checked_total", g, checked, checked, "counter"),
        Series("chainwatch_validator_attestations_missed_total", g, 0, 50, "counter"),
    ], 0.5, g, window=3600, note="half the attestations missed")]
    return [a]


def proposal_missed(c: Ctx) -> list[Alert]:
    if not c.groups:
        return []
    w = duration(max(2 * c.chain.epoch_seconds, 300))
    w = duration(math.ceil(seconds(w) / 60) * 60)
    a = c.alert(
        "ChainwatchProposalMissed", "warning",
        f"max by ({by(GROUP_LABELS)}) (increase({c.csel('chainwatch_validator_proposals_missed_total')}[{w}])) > 0", c.d.validator,
        "Group {group} on {chain} missed a block proposal",
        "A validator of group {group} on {chain}/{network} missed an assigned block proposal in the last " + w
        + " (about {value:%.0f} missed).",
    )
    a.recipes = [Recipe(
        [
            Series("chainwatch_validator_proposals_total", c.group_labels, 0, 1, "counter"),
            Series("chainwatch_validator_proposals_missed_total", c.group_labels, 0, 1, "counter"),
        ],
        None, c.group_labels, window=seconds(w), note="proposals missed", blip=False, value_at=lambda steps, step: seconds(w) / step,
    )]
    return [a]


def _status_change(c: Ctx, name: str, severity: str, statuses: str, summary: str, description: str) -> Alert:
    w = VALIDATOR_EVENT_WINDOW
    a = c.alert(
        name, severity,
        f"max by ({by(GROUP_LABELS)}) (sum without (status) (delta({c.csel('chainwatch_validators', status='~' + statuses)}[{w}]))) > 0.5", c.d.validator,
        summary, description,
    )
    return a


def validator_slashed(c: Ctx) -> list[Alert]:
    if not c.groups:
        return []
    a = _status_change(
        c, "ChainwatchValidatorSlashed", "critical", "active_slashed|exited_slashed",
        "A validator of group {group} on {chain} was slashed",
        "The number of slashed validators in group {group} on {chain}/{network} grew in the last " + VALIDATOR_EVENT_WINDOW
        + ". Stop its signer everywhere before anything else: a second signer with the same key is the usual cause.",
    )
    g = c.group_labels
    a.recipes = [Recipe([
        Series("chainwatch_validators", {**g, "status": "active_ongoing"}, 3, 2),
        Series("chainwatch_validators", {**g, "status": "active_slashed"}, 0, 1),
        Series("chainwatch_validators", {**g, "status": "exited_slashed"}, 0, 0),
    ], None, g, window=seconds(VALIDATOR_EVENT_WINDOW), note="validator slashed", event=True)]
    return [a]


def validator_exited(c: Ctx) -> list[Alert]:
    if not c.groups:
        return []
    a = _status_change(
        c, "ChainwatchValidatorExited", "warning", "active_exiting|exited_unslashed",
        "A validator of group {group} on {chain} is exiting",
        "The number of exiting or exited (unslashed) validators in group {group} on {chain}/{network} grew in the last "
        + VALIDATOR_EVENT_WINDOW + ". If nobody submitted a voluntary exit, treat the withdrawal/signing keys as compromised.",
    )
    g = c.group_labels
    a.recipes = [Recipe([
        Series("chainwatch_validators", {**g, "status": "active_ongoing"}, 3, 2),
        Series("chainwatch_validators", {**g, "status": "active_exiting"}, 0, 1),
        Series("chainwatch_validators", {**g, "status": "exited_unslashed"}, 0, 0),
    ], None, g, window=seconds(VALIDATOR_EVENT_WINDOW), note="validator exiting", event=True)]
    return [a]


# --------------------------------------------------------------------------- solana


def solana_behind(c: Ctx) -> list[Alert]:
    limit = c.t.solana_behind_slots
    a = c.alert(
        "ChainwatchSolanaNodeBehind", "warning",
        f"{c.sel('chainwatch_solana_health_behind_slots')} > {limit}", c.d.solana,
        "{endpoint} on {chain} reports itself {value:%.0f} slots behind",
        "getHealth of {endpoint} ({role}) on {chain}/{network} says it is {value:%.0f} slots behind the cluster (threshold "
        + str(limit) + ").",
    )
    e = c.endpoint_labels
    a.recipes = [Recipe([Series("chainwatch_solana_health_behind_slots", e, limit, limit * 3)], limit * 3, e, note="node behind")]
    return [a]


def solana_delinquent(c: Ctx) -> list[Alert]:
    if not c.groups:
        return []
    lag = c.t.solana_vote_lag_slots
    vote_lag = f"max by ({by(GROUP_LABELS)}) ({c.csel('chainwatch_solana_vote_lag_slots')})"
    a = c.alert(
        "ChainwatchSolanaVoteDelinquent", "critical",
        f"{vote_lag} and on ({by(GROUP_LABELS)}) (max by ({by(GROUP_LABELS)}) ({c.csel('chainwatch_solana_validators_delinquent')}) > 0"
        f" or on ({by(GROUP_LABELS)}) {vote_lag} > {lag})",
        c.d.solana,
        "Vote account(s) of group {group} on {chain} are delinquent",
        "A watched vote account of group {group} on {chain}/{network} is delinquent or its last vote is more than " + str(lag)
        + " slots behind the cluster (worst vote lag now {value:%.0f} slots): it earns no rewards.",
    )
    g = c.group_labels
    a.recipes = [Recipe([
        Series("chainwatch_solana_vote_lag_slots", g, 2, lag * 2),
        Series("chainwatch_solana_validators_delinquent", g, 0, 1),
    ], lag * 2, g, note="validator stopped voting")]
    return [a]


def solana_skip(c: Ctx) -> list[Alert]:
    if not c.groups:
        return []
    limit = c.t.solana_skip_ratio
    a = c.alert(
        "ChainwatchSolanaSkipRateHigh", "warning",
        f"max by ({by(GROUP_LABELS)}) ({c.csel('chainwatch_solana_skip_ratio')}) > {fmt(limit)}"
        f" and on ({by(GROUP_LABELS)}) max by ({by(GROUP_LABELS)}) ({c.csel('chainwatch_solana_leader_slots')}) >= {SOLANA_MIN_LEADER_SLOTS}",
        c.d.solana,
        "Group {group} on {chain} skips {value:pct} of its leader slots",
        "Validators of group {group} on {chain}/{network} skipped {value:pct} of their leader slots this epoch (threshold "
        + f"{limit:.0%}" + ").",
    )
    g = c.group_labels
    a.recipes = [Recipe([
        Series("chainwatch_solana_skip_ratio", g, limit, 0.5),
        Series("chainwatch_solana_leader_slots", g, 40, 40),
    ], 0.5, g, note="half the leader slots skipped")]
    return [a]


BUILDERS = {
    "evm": (endpoint_down, probe_failing, wrong_chain, sync_lag, sync_lag_seconds, head_stale, peers_low, mempool_high,
            mempool_not_mined, rpc_latency, rpc_errors, reference_quorum, chain_halted),
    "beacon": (endpoint_down, probe_failing, wrong_chain, sync_lag, sync_lag_seconds, head_stale, peers_low, rpc_latency, rpc_errors,
               reference_quorum, chain_halted, finality_stalled, attestations_missed, attestation_ratio, proposal_missed,
               validator_slashed, validator_exited, monitor_stuck),
    "solana": (endpoint_down, probe_failing, wrong_chain, sync_lag, sync_lag_seconds, head_stale, rpc_latency, rpc_errors,
               reference_quorum, solana_cluster_halted, solana_behind, solana_delinquent, solana_skip),
}


def chain_alerts(config: Config, name: str) -> list[Alert]:
    c = Ctx(config, name)
    out: list[Alert] = []
    for build in BUILDERS[c.kind]:
        out.extend(build(c))
    return out

