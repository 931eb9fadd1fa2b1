"""The alerts every chain kind shares, one :class:`~chainwatch.core.alertkit.AlertSpec` each.

Each kind's own alerts are declared the same way in its package (``kinds/<kind>/alerts.py``,
``ALERTS``); the SLO burn alert is declared here and built by :mod:`chainwatch.rules.slo`.
Runbook prose is in ``rules/runbooks/<AlertName>.md``.

Chain and group alerts aggregate to exactly their scope labels (``max by (chain, network)``
etc.): with several exporter replicas each chain-wide series exists once per replica, and the
alert must still be one alert per chain. Every rule selects ``chain="<name>"`` so two chains
of the same kind can have different thresholds (2 s Polygon blocks vs 12 s Ethereum blocks).
Endpoint alerts look only at ``role!="reference"``: we do not page for somebody else's
provider lagging; broken references show up as ``ChainwatchReferenceQuorumLost`` instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from prometheus_client.utils import floatToGoString

from chainwatch.core.alertkit import (
    ALL_CHAINS,
    CHAIN_LABELS,
    DOWN,
    ENDPOINT_LABELS,
    EXPLAINED,
    HOSTED,
    GROUP_LABELS,
    OPERATIONAL,
    STALE,
    WRONG_NETWORK,
    SYMPTOM,
    Alert,
    AlertSpec,
    Ctx,
    Inhibition,
    Quiet,
    Recipe,
    Series,
    above,
    by,
    ceil,
    duration as duration_text,
    fmt,
    seconds,
    step,
)
from chainwatch.core.accountalerts import ACCOUNT_ALERTS
from chainwatch.core.declarations import LATENCY_BUCKETS, Type
from chainwatch.core.generated import number
from chainwatch.core.versions import UPGRADE_VERSION_BELOW, VERSIONS_MIXED

# Window of MempoolNotMined: the pending pool must not shrink once in this long.
MEMPOOL_WINDOW = "5m"
# ProbeFailing: share of the last PROBE_WINDOW spent failing with one reason ...
PROBE_WINDOW = "15m"
PROBE_FAILING_MIN_RATIO = 0.1
# Every alert on a rate, ratio or quantile over a long window also needs the same over SHORT
# (the SRE workbook's multi-window alerts): once the fault ends it resolves within SHORT plus a
# scrape and an evaluation, instead of when the fault has left the long window, and it cannot
# open after the recovery. SHORT needs two scrapes in it (scrape interval <= 30s).
SHORT = "1m"
# While its endpoint is down, and for DOWN_MEMORY after, an endpoint's error, latency and probe
# failure alerts stay quiet: EndpointDown inhibited them, and their windows still remember the
# failures for SHORT after the recovery; without this they would open a new page then.
DOWN_MEMORY = "2m"
# Tests of the short-window alerts feed a sample every 15s (a scrape interval), so that SHORT
# always holds two of them.
SHORT_STEP = 15.0


def _unless_down(c: Ctx) -> str:
    down = c.csel("ALERTS", alertname="ChainwatchEndpointDown", alertstate="firing")
    return f" unless on ({by(ENDPOINT_LABELS)}) max_over_time({down}[{DOWN_MEMORY}])"


# --------------------------------------------------------------------------- exporter


def _exporter_absent(spec: AlertSpec, config) -> list[Alert]:
    """One rule per team that owns a chain: every team loses its monitoring when the exporter goes."""
    job = config.generate.exporter_job
    out = []
    for team in sorted({c.team for c in config.chains.values()}):
        chains = [c for c in config.chains.values() if c.team == team]
        for_ = min((c.thresholds.durations.down for c in chains), key=seconds)
        up = f'up{{job="{job}"}}'
        alert = Alert(
            spec.name,
            "critical",
            ALL_CHAINS,
            team,
            spec.scope,
            # Any replica scraped is enough: with several exporter replicas (docs/scale-out.md) one
            # dead replica must not fire this, whose inhibition mutes every other alert.
            f"max by (job) ({up}) == 0 or absent({up})",
            for_,
            "chainwatch exporter is not being scraped",
            "Prometheus has not scraped the chainwatch exporter (job {job}) for "
            + for_
            + ": every chainwatch alert of team "
            + team
            + " is blind until it is back.",
            OPERATIONAL,
        )
        instance = {"job": job, "instance": "chainwatch:9877"}
        alert.recipes = [
            Recipe([Series("up", instance, 1, 0)], 0, {"job": job}, note="up == 0"),
            Recipe([Series("up", instance, 1, 0, "presence")], 1, {"job": job}, window=300, note="no up series at all", full=False),
        ]
        out.append(alert)
    # One expression, one rule per team: they all fire together, so one set of tests covers them.
    for alert in out[1:]:
        alert.recipes = []
    for recipe in out[0].recipes:
        recipe.companions = out[1:]
    return out


EXPORTER_ABSENT = AlertSpec("ChainwatchExporterAbsent", "exporter", ("critical",), value="not scraped", build=_exporter_absent)


# --------------------------------------------------------------------------- the alert path itself

# The watchdog's severity: not a page, a ticket or a chat message, so no severity route of a team
# takes it; alertmanager/generate.py routes it (first, before every team route) to the team's
# heartbeat receiver, and nothing else.
WATCHDOG_SEVERITY = "none"


def _watchdog(spec: AlertSpec, config) -> list[Alert]:
    """One always-firing rule per team that owns a chain (kube-prometheus' ``Watchdog``): while
    Prometheus evaluates rules and Alertmanager sends, the team's heartbeat receiver is pinged
    every ``teams.<t>.heartbeat.interval``; an outside dead-man's switch pages when it stops."""
    out = []
    for team in sorted({c.team for c in config.chains.values()}):
        alert = Alert(
            spec.name,
            WATCHDOG_SEVERITY,
            ALL_CHAINS,
            team,
            spec.scope,
            "vector(1)",
            "",
            "chainwatch alert path is alive",
            "Always firing while Prometheus evaluates chainwatch's rules and Alertmanager delivers them: team "
            + team
            + "'s heartbeat receiver is pinged with it. If the heartbeat service reports it missing, the alert path is broken.",
            OPERATIONAL,
        )
        out.append(alert)
    return out


WATCHDOG = AlertSpec("ChainwatchWatchdog", "exporter", (WATCHDOG_SEVERITY,), value="alive", build=_watchdog)


# --------------------------------------------------------------------------- endpoint


def _down_test(c: Ctx) -> list[Recipe]:
    e = c.endpoint_labels
    return [
        Recipe(
            [
                Series("chainwatch_probe_success", e, 1, 0),
                Series("chainwatch_probe_failure_reason", {**e, "reason": "timeout"}, 0, 1, "fault_only"),
            ],
            0,
            e,
            queried={"failure_reason": "timeout"},
            note="every probe times out",
        )
    ]


def _probe_failing_test(c: Ctx) -> list[Recipe]:
    labels = {**c.endpoint_labels, "reason": "rate_limited"}
    # The success gauge only stands for "a probe was reported" here (the ratio's denominator):
    # at 0 it would page EndpointDown, which silences this alert.
    series = [Series("chainwatch_probe_success", c.endpoint_labels, 1, 1), Series("chainwatch_probe_failure_reason", labels, 0, 1, "fault_only")]
    return [Recipe(series, 1, labels, window=seconds(PROBE_WINDOW), note="probes rate limited", step=SHORT_STEP)]


def _probe_failing_share(c: Ctx, window: str) -> str:
    """Share of the endpoint's probes in ``window`` that failed with each reason: the reason's
    gauge is written only while a probe fails with it (issue #34), so its samples over the
    samples of ``chainwatch_probe_success`` (one per probe reported)."""
    reason, probed = c.sel("chainwatch_probe_failure_reason"), c.sel("chainwatch_probe_success")
    return f"count_over_time({reason}[{window}]) / ignoring (reason) group_left count_over_time({probed}[{window}])"


def _by_chain_id(c: Ctx) -> bool:
    """Whether the chain's ``chain_id`` is compared with the ``chainwatch_chain_id`` its probe
    exports (a kind without ``identity`` that has a chain id); any other identity, or none,
    only the probe's ``wrong_chain`` failure says."""
    return c.chain_kind.identity is None and hasattr(c.chain, "chain_id")


def _wrong_chain_expr(c: Ctx) -> str:
    sel_reason = c.sel("chainwatch_probe_failure_reason", reason="wrong_chain")
    if not _by_chain_id(c):
        return f"max without (reason) ({sel_reason}) == 1"
    return f"{c.sel('chainwatch_chain_id')} != {c.chain.chain_id} or on ({by(ENDPOINT_LABELS)}) (max without (reason) ({sel_reason}) == 1)"


def _wrong_chain_description(c: Ctx) -> str:
    identity = c.chain_kind.identity
    if identity is None and not hasattr(c.chain, "chain_id"):
        return "{endpoint} ({role}) on {chain}/{network} answers for another network: every answer from it is wrong."
    if identity is None:
        return (
            "{endpoint} ({role}) on {chain}/{network} answers eth_chainId {reported_chain_id} but {chain} is chain id "
            + str(c.chain.chain_id)
            + ": it points at the wrong network, every answer from it is wrong."
        )
    # Beacon / Solana have no chain id metric: only the probe's ``wrong_chain`` failure says it
    # (it needs the genesis identity in the config; without, it never fires).
    field_, source = identity
    pinned = getattr(c.chain, field_, None)  # a hash, or a number (a rollup's l2_chain_id)
    expected = str(pinned) if pinned is not None else f"the configured {field_} (none is: set it to enable this check)"
    return (
        "{endpoint} ({role}) on {chain}/{network} answers "
        + source
        + " of another network: its "
        + field_
        + " is not "
        + expected
        + ". It points at the wrong network, every answer from it is wrong."
    )


def _wrong_chain_test(c: Ctx) -> list[Recipe]:
    e = c.endpoint_labels
    # As a probe reports it: the wrong_chain failure fails the probe, so EndpointDown fires too
    # (and is inhibited: the audit sees one page).
    reason = [
        Series("chainwatch_probe_success", e, 1, 0),
        Series("chainwatch_probe_failure_reason", {**e, "reason": "wrong_chain"}, 0, 1, "fault_only"),
    ]
    if not _by_chain_id(c):
        return [Recipe(reason, 1, e, note="endpoint switched to another network")]
    expected = c.chain.chain_id
    wrong = 5 if expected != 5 else 6
    return [
        Recipe(
            [Series("chainwatch_chain_id", e, expected, wrong), *reason],
            wrong,
            e,
            queried={"reported_chain_id": str(wrong)},
            note="endpoint switched to another network",
        )
    ]


def _head_stale_test(c: Ctx) -> list[Recipe]:
    """A node whose head stopped while its chain goes on, as the exporter reports it: its head
    ages and it falls behind, past the critical lag in blocks and in seconds (those alerts fire
    too, later, and are inhibited by this one)."""
    e, stale = c.endpoint_labels, ceil(c.threshold * 3)
    series = [
        Series("chainwatch_head_age_seconds", e, c.threshold, stale),
        Series("chainwatch_sync_lag_blocks", e, 0, ceil(c.chain.lag_blocks("critical") * 2 + 1)),
        Series("chainwatch_sync_lag_seconds", e, 0, ceil(c.chain.lag_seconds("critical") * 2 + 1)),
    ]
    return [Recipe(series, stale, e, note="head stopped", lasts=seconds(c.durations.sync_lag) + 60)]


def _lag_test(c: Ctx) -> list[Recipe]:
    """Warning: halfway between the thresholds; critical: far above, the warning firing too.
    The healthy value sits exactly on the warning threshold: ``>`` must not fire on it."""
    series = "chainwatch_sync_lag_blocks" if c.rules[c.severity].name == "ChainwatchSyncLagHigh" else "chainwatch_sync_lag_seconds"
    unit = c.unit if series == "chainwatch_sync_lag_blocks" else "seconds"
    warn, crit = c.thresholds["warning"], c.thresholds["critical"]
    e = c.endpoint_labels
    # Between the thresholds; when they are one apart (bitcoin: > 0 and > 1 block), the critical
    # threshold itself fires only the warning (`>`), so that is the warning scenario.
    mid = ceil((warn + crit) / 2) if crit > warn + 1 else (number(crit) if crit > warn else crit + 1)
    # A node behind in blocks is behind in seconds too, at the same severity: the exporter reports
    # both (ChainwatchSyncLagSecondsHigh fires and is inhibited). Not the other way round: a lag in
    # seconds alone (slow blocks) is the seconds alert's own case.
    secs = []
    if series == "chainwatch_sync_lag_blocks":
        ws, cs = c.chain.lag_seconds("warning"), c.chain.lag_seconds("critical")
        behind = (ceil((ws + cs) / 2) if cs > ws + 1 else cs) if c.severity == "warning" else ceil(cs * 2 + 1)
        secs = [Series("chainwatch_sync_lag_seconds", e, 0, behind)]
    if c.severity == "warning":
        if mid > crit:  # warning and critical too close to separate: only the critical scenario
            return []
        return [Recipe([Series(series, e, warn, mid), *secs], mid, e, note=f"{mid} {unit} behind")]
    high = ceil(crit * 2 + 1)
    return [Recipe([Series(series, e, warn, high), *secs], high, e, companions=[c.rules["warning"]], note=f"{high} {unit} behind")]


def _unless_lag_in_blocks(c: Ctx) -> str:
    """Lag in seconds stays silent while (and 2m after) the same severity's lag in blocks fires
    on the endpoint. Alertmanager's inhibition alone ends the moment the block lag resolves, and
    the seconds lag (from head timestamps, a probe behind) can still be firing for that moment:
    it was paged as a new incident right after the recovery (issue #15)."""
    blocks = c.csel("ALERTS", alertname="ChainwatchSyncLagHigh", alertstate="firing", severity=c.severity)
    return f" unless on ({by(ENDPOINT_LABELS)}) max_over_time({blocks}[{DOWN_MEMORY}])"


def _two_units_quiet(c: Ctx) -> list[Quiet]:
    """Both lags above their thresholds for longer than ``for:``, the seconds one clearing a
    step after the blocks one: one page (the block lag), none for the seconds when it clears."""
    for_steps = math.ceil(seconds(c.durations.sync_lag) / 60)
    fault = for_steps + 4
    blocks = [0.0] * 5 + [ceil(c.chain.lag_blocks(c.severity) * 2 + 1)] * fault + [0.0] * 7
    secs = [0.0] * 5 + [ceil(c.chain.lag_seconds(c.severity) * 2 + 1)] * (fault + 1) + [0.0] * 6
    return [
        Quiet(
            "both lags high, the seconds one clearing a step after the blocks one",
            [("chainwatch_sync_lag_blocks", c.endpoint_labels, blocks), ("chainwatch_sync_lag_seconds", c.endpoint_labels, secs)],
            every=1,
            healthy=False,  # the block lag pages
        )
    ]


def _lag(name: str, series: str, threshold, unit, what: str, value, inhibited_by, unless=None, quiet=None) -> AlertSpec:
    return AlertSpec(
        name,
        "endpoint",
        ("warning", "critical"),
        threshold=threshold,
        expr=above(series) if unless is None else lambda c: above(series)(c) + unless(c),
        for_=lambda c: c.durations.sync_lag,
        summary=lambda c: "{endpoint} on {chain} is {value:%.0f} " + unit(c) + " behind",
        description=lambda c: (
            "{endpoint} ({role}) on {chain}/{network} is {value:%.0f} "
            + unit(c)
            + " behind "
            + what
            + f" (threshold {fmt(c.threshold)} {unit(c)}, for {c.durations.sync_lag})."
        ),
        value=value,
        test=_lag_test,
        quiet=quiet,
        inhibited_by=inhibited_by,
    )


def mempool_window(c: Ctx) -> str:
    """A pool only shrinks when a block comes: never judge it over less than a normal wait for one
    (5m covers slot-clock chains; a random-arrival chain waits up to its head-stale threshold)."""
    return duration_text(max(seconds(MEMPOOL_WINDOW), math.ceil(c.chain.head_stale_seconds / 60) * 60))


def _mempool_not_mined_expr(c: Ctx) -> str:
    pending = c.sel("chainwatch_mempool_transactions", state="pending")
    w = mempool_window(c)
    return (
        f"max without (state) (delta({pending}[{w}])) > 0"
        f" and on ({by(ENDPOINT_LABELS)}) max without (state) (resets({pending}[{w}])) == 0"
        f" and on ({by(ENDPOINT_LABELS)}) max without (state) ({pending}) > 0"
    )


def _mempool_not_mined_test(c: Ctx) -> list[Recipe]:
    per_step = 50  # while healthy, blocks take 5 a step out of the pool
    w = seconds(mempool_window(c))
    return [
        Recipe(
            [
                Series("chainwatch_mempool_transactions", {**c.endpoint_labels, "state": "pending"}, -5, per_step, "height", start=1000),
            ],
            None,
            c.endpoint_labels,
            window=w,
            note="pending grows and never shrinks",
            value_at=lambda steps, step_: per_step * w / step_,
            # A window longer than `for:` (random-arrival chains): a pool that grew once and then sat
            # unmined for the whole window is the fault itself; its blips are the quiet case instead.
            blip=w < seconds(c.durations.mempool),
            recovers=True,  # mined again: the pool shrinks and the alert resolves at once
        )
    ]


def _gap_steps(c: Ctx) -> tuple[list[float], float]:
    gaps = c.chain.random_gaps()
    return gaps or [], (60.0 if gaps and min(gaps) >= 300 else 30.0)


def random_gaps_quiet(series: str, labels) -> Callable[[Ctx], list[Quiet]]:
    """Head age (or reference stall) sawing through the block gaps a healthy random-arrival chain
    shows, the longest last: none of it may page (docs/rules.md, random block arrival)."""

    def quiet(c: Ctx) -> list[Quiet]:
        gaps, step_ = _gap_steps(c)
        if not gaps:
            return []
        values: list[float] = []
        for gap in gaps:
            values += [i * step_ for i in range(int(math.ceil(gap / step_)) + 1)]
        longest = int(math.ceil(gaps[-1] / step_) * step_)
        return [Quiet(f"random block gaps up to {longest}s (mean {fmt(c.chain.block_time)}s)", [(series, labels(c), values)], step_)]

    return quiet


def _mempool_quiet(c: Ctx) -> list[Quiet]:
    """The blips of a random-arrival chain: the pool grows through each gap and drops at each block."""
    gaps, step_ = _gap_steps(c)
    if not gaps:
        return []
    values: list[float] = []
    for gap in gaps:
        values += [200 + 50 * i for i in range(int(math.ceil(gap / step_)) + 1)]
    longest = int(math.ceil(gaps[-1] / step_) * step_)
    return [
        Quiet(
            f"blips: pending grows through random block gaps up to {longest}s and drops at each block",
            [("chainwatch_mempool_transactions", {**c.endpoint_labels, "state": "pending"}, values)],
            step_,
        )
    ]


def _halt_quiet(c: Ctx) -> list[Quiet]:
    if c.chain.references:
        return random_gaps_quiet("chainwatch_reference_head_stall_seconds", lambda c: c.chain_labels)(c)
    return random_gaps_quiet("chainwatch_head_age_seconds", lambda c: c.endpoint_labels)(c)


def _latency_test(c: Ctx) -> list[Recipe]:
    """60 requests a minute: healthy ones all in the first bucket, slow ones all in the bucket
    just above the threshold, where histogram_quantile interpolates p95 at 95% of its width."""
    limit, e = c.threshold, c.endpoint_labels
    above_ = [b for b in LATENCY_BUCKETS if b > limit]
    if not above_:
        raise ValueError(f"rpc_latency_p95_seconds {limit} is above the largest latency bucket {LATENCY_BUCKETS[-1]}")
    upper = above_[0]
    lower = max([b for b in LATENCY_BUCKETS if b < upper], default=0.0)
    bucket = "chainwatch_rpc_request_duration_seconds_bucket"
    series = [Series(bucket, {**e, "method": "batch", "le": floatToGoString(b)}, 60, 60 if b >= upper else 0, "counter") for b in LATENCY_BUCKETS]
    series.append(Series(bucket, {**e, "method": "batch", "le": "+Inf"}, 60, 60, "counter"))
    return [Recipe(series, lower + (upper - lower) * 0.95, e, window=300, note="every request slower than the threshold", step=SHORT_STEP)]


def _rpc_errors_test(c: Ctx) -> list[Recipe]:
    e = c.endpoint_labels
    ok = {**e, "method": "batch"}
    return [
        Recipe(
            [
                Series("chainwatch_rpc_requests_total", ok, 60, 60, "counter"),
                Series("chainwatch_rpc_errors_total", ok, 0, 30, "counter"),
            ],
            0.5,
            e,
            window=300,
            note="half the requests fail",
            step=SHORT_STEP,
        )
    ]


# --------------------------------------------------------------------------- chain-wide


def halt_expr(c: Ctx) -> str:
    """Every reference stalled; without references, every endpoint's head stale."""
    if c.chain.references:
        return f"min by ({by(CHAIN_LABELS)}) ({c.csel('chainwatch_reference_head_stall_seconds')}) > {fmt(c.threshold)}"
    return f"min by ({by(CHAIN_LABELS)}) ({c.csel('chainwatch_head_age_seconds')}) > {fmt(c.threshold)}"


def halt_test(c: Ctx) -> list[Recipe]:
    stalled = ceil(c.threshold * 3)
    if c.chain.references:
        # The chain's nodes stop with the references: their heads age too (ChainwatchHeadStale
        # fires on every node, and is inhibited by the halt).
        s = [
            Series("chainwatch_reference_head_stall_seconds", c.chain_labels, 0, stalled),
            Series("chainwatch_head_age_seconds", c.endpoint_labels, 1, stalled),
        ]
    else:
        s = [Series("chainwatch_head_age_seconds", c.endpoint_labels, 1, stalled)]
    return [Recipe(s, stalled, c.chain_labels, note="every reference stopped", lasts=seconds(c.durations.head_stale) + 60)]


# A validator monitor that processes epochs is stuck after this many epochs without one (the
# beacon monitor stops exporting its gauges at the same age, kinds/beacon/monitor.STALE_EPOCHS).
MONITOR_STUCK_EPOCHS = 3
# A monitor on a fixed interval (Solana vote accounts) is stuck after this many intervals, and never
# sooner than MONITOR_STUCK_MIN_SECONDS (kinds/solana/monitor.STALE_INTERVALS).
MONITOR_STUCK_INTERVALS = 4
MONITOR_STUCK_MIN_SECONDS = 60


def _monitor_interval(c: Ctx) -> tuple[float, str]:
    """How long without success means "stuck", and that in words: N intervals (monitors on a
    configured ``validators.interval_seconds``) or N epochs (monitors that process epochs)."""
    interval = getattr(c.chain.validators, "interval_seconds", None)
    if interval:
        return number(max(MONITOR_STUCK_INTERVALS * interval, MONITOR_STUCK_MIN_SECONDS)), f"{MONITOR_STUCK_INTERVALS} intervals of {fmt(interval)}s"
    return number(MONITOR_STUCK_EPOCHS * c.chain.epoch_seconds), f"{MONITOR_STUCK_EPOCHS} epochs"


def _monitor_presence(c: Ctx) -> list[str]:
    """The monitor's unlabelled counters, which exist from the exporter's start."""
    return [
        m.name
        for m in c.metrics
        if m.scope == "chain" and m.type is Type.COUNTER and not m.labels and m.name.startswith("chainwatch_validator_monitor_") and c.kind in m.kinds
    ]


def _monitor_stuck_expr(c: Ctx) -> str:
    """Every validator monitor: it has not succeeded for N of its intervals — including when it
    never did. Its last-success timestamp starts at the exporter's start; the second branch
    covers an exporter that exports no timestamp before a first success (0.1.0), from the
    monitor's counters that exist from the start."""
    last = c.csel("chainwatch_validator_monitor_last_success_timestamp_seconds")
    existed = " or ".join(f"{c.csel(name)} offset {fmt(c.threshold)}s" for name in _monitor_presence(c))
    # The counters must exist now too: when the exporter itself is gone, the offset view still
    # has them and the timestamp is gone, which is ChainwatchExporterAbsent, not a stuck monitor.
    present = " or ".join(c.csel(name) for name in _monitor_presence(c))
    return (
        f"time() - max by ({by(CHAIN_LABELS)}) ({last}) > {fmt(c.threshold)}"
        f" or (max by ({by(CHAIN_LABELS)}) ({existed}) * 0 + {fmt(c.threshold)}"
        f" and on ({by(CHAIN_LABELS)}) max by ({by(CHAIN_LABELS)}) ({present})"
        f" unless on ({by(CHAIN_LABELS)}) {last})"
    )


def _monitor_gone_quiet(c: Ctx) -> list[Quiet]:
    """The whole exporter is gone (killed, not scraped): every monitor series turns stale at
    once. That is ChainwatchExporterAbsent's page, not a stuck monitor per chain."""
    steps = max(12, int(c.threshold // 60) + 8)
    up = 10
    clock = [float(i * 60) for i in range(up)] + [STALE] * (steps - up)
    counter = [0.0] * up + [STALE] * (steps - up)
    series = [("chainwatch_validator_monitor_last_success_timestamp_seconds", c.chain_labels, clock)]
    series += [(name, c.chain_labels, counter) for name in _monitor_presence(c)]
    return [Quiet("the exporter gone (every series stale at once)", series, healthy=False)]


def _monitor_stuck_test(c: Ctx) -> list[Recipe]:
    return [
        Recipe(
            [Series("chainwatch_validator_monitor_last_success_timestamp_seconds", c.chain_labels, 0, 0, "clock")],
            None,
            c.chain_labels,
            window=c.threshold,
            note="monitor stopped",
            value_at=lambda steps, step_: steps * step_,
        ),
        Recipe(
            [
                Series(_monitor_presence(c)[0], c.chain_labels, 0, 0),
                Series("chainwatch_validator_monitor_last_success_timestamp_seconds", c.chain_labels, 0, 0, "clock_presence"),
            ],
            # past Prometheus' 5m look-back, so the vanished timestamp is really gone
            c.threshold,
            c.chain_labels,
            window=max(c.threshold, 360),
            note="no last-success series at all (never succeeded, older exporter)",
            full=False,
        ),
    ]


def _quorum_need(c: Ctx) -> float:
    return min(c.chain_thresholds.references_min, len(c.chain.references))


# --------------------------------------------------------------------------- TLS and subscriptions

DAY = 86400
TLS_SERIES = "chainwatch_tls_verified_chain_expiry_timestamp_seconds"  # the verified chain, not every certificate served (AddTrust case)


def _tls_days(c: Ctx) -> tuple[float, float]:
    """(fault days of the warning recipe, of the critical one): N.5 days, clear of both thresholds."""
    warn, crit = c.chain_thresholds.tls_cert_expiry_days_warning, c.chain_thresholds.tls_cert_expiry_days_critical
    mid = float(int((warn + crit) / 2)) + 0.5 if warn - crit > 1 else crit + 0.5
    low = float(int(crit / 2)) + 0.5 if crit >= 1 else crit / 2
    if low >= crit:
        low = max(0.0, crit - 0.5)
    return mid, low


def _tls_test(c: Ctx) -> list[Recipe]:
    """The certificate's expiry N.5 days after the epoch, in whole seconds: the value at the check
    is that minus the check's time on promtool's clock (which starts at 0), an exact whole number
    of seconds, so the page's ``humanizeDuration`` (which truncates to whole seconds) is known."""
    e = c.endpoint_labels
    far = round((int(c.chain_thresholds.tls_cert_expiry_days_warning) + 60.5) * DAY)
    mid, low = (round(days * DAY) for days in _tls_days(c))

    def expiring(expiry: int, note: str, companions: list) -> Recipe:
        # value: at promtool's 0; the page is checked later, at expiry - time()
        return Recipe([Series(TLS_SERIES, e, far, expiry)], float(expiry), e, companions=companions, note=note, value_at_check=lambda at: float(expiry - at))

    if c.severity == "warning":
        if mid >= c.chain_thresholds.tls_cert_expiry_days_warning * DAY:
            return []  # warning and critical too close to separate: only the critical scenario
        return [expiring(mid, "certificate not renewed", [])]
    return [expiring(low, "certificate about to expire", [c.rules["warning"]])]


def _streamed(c: Ctx) -> dict[str, str] | None:
    """Endpoint labels of the chain's first node with a ws_url (None: no subscription to watch)."""
    node = next((e for e in c.chain.nodes if e.ws_url), None)
    return None if node is None else {**c.chain_labels, "endpoint": node.name, "role": node.role.value}


def _stream_window(c: Ctx) -> str:
    return duration_text(max(300.0, 2 * c.chain.stream_quiet_seconds))


def _while_http_head_advances(c: Ctx) -> str:
    return f" and on ({by(ENDPOINT_LABELS)}) changes({c.sel('chainwatch_head_height')}[{_stream_window(c)}]) > 0"


def _stream_test(series: str, healthy, fault, note: str):
    def recipe(c: Ctx) -> list[Recipe]:
        e = _streamed(c)
        h, f = healthy(c), fault(c)
        return [
            Recipe(
                [
                    Series(series, e, h, f),
                    Series("chainwatch_head_height", e, 5, 5, "height", start=1000),  # the HTTP head keeps advancing
                ],
                f,
                e,
                window=seconds(_stream_window(c)),
                note=note,
            )
        ]

    return recipe


TLS_AND_STREAMS: tuple[AlertSpec, ...] = (
    AlertSpec(
        "ChainwatchTLSCertExpiringSoon",
        "endpoint",
        ("warning", "critical"),
        threshold=lambda c: c.chain_thresholds.tls_cert_expiry_days_warning if c.severity == "warning" else c.chain_thresholds.tls_cert_expiry_days_critical,
        # seconds left, so the page prints 9h 12m 3s below a day (not "0 days"); thresholds stay days
        expr=lambda c: f"{c.sel(TLS_SERIES)} - time() < {fmt(c.threshold * DAY)}",
        for_=lambda c: c.durations.tls_cert,
        summary="TLS certificate of {endpoint} on {chain} expires in {value:duration}",
        description=lambda c: (
            "The earliest certificate of the TLS chain the probe verified for {endpoint} ({role}) on {chain}/{network} expires in {value:duration}"
            + f" (threshold {fmt(c.threshold)} days): renew it before clients refuse the endpoint."
        ),
        value="{value:duration} left",
        test=_tls_test,
        ahead=True,  # an expiry ahead, no failure now: explains no SLO burn
    ),
    AlertSpec(
        "ChainwatchStreamQuiet",
        "endpoint",
        ("warning",),
        needs="stream",
        when=lambda c: _streamed(c) is not None,
        threshold=lambda c: c.chain.stream_quiet_seconds,
        expr=lambda c: f"{c.sel('chainwatch_stream_last_message_age_seconds')} > {fmt(c.threshold)}" + _while_http_head_advances(c),
        for_=lambda c: c.durations.stream,
        summary="Head subscription of {endpoint} on {chain} quiet for {value:%.0f}s",
        description=lambda c: (
            "The head subscription (ws_url) of {endpoint} ({role}) on {chain}/{network} delivered nothing for {value:%.0f}s "
            + f"(threshold {fmt(c.threshold)}s) while its HTTP head advanced within {_stream_window(c)}: applications subscribed to it see a frozen chain."
        ),
        value="{value:%.0f}s quiet",
        test=_stream_test("chainwatch_stream_last_message_age_seconds", lambda c: 1, lambda c: ceil(c.threshold * 3), "subscription stops delivering"),
    ),
    AlertSpec(
        "ChainwatchStreamBehind",
        "endpoint",
        ("warning",),
        needs="stream",
        when=lambda c: _streamed(c) is not None,
        threshold=lambda c: c.chain.stream_lag_blocks,
        expr=lambda c: f"{c.sel('chainwatch_stream_lag_blocks')} > {fmt(c.threshold)}" + _while_http_head_advances(c),
        for_=lambda c: c.durations.stream,
        summary=lambda c: "Head subscription of {endpoint} on {chain} is {value:%.0f} " + c.unit + " behind",
        description=lambda c: (
            "The head subscription (ws_url) of {endpoint} ({role}) on {chain}/{network} is {value:%.0f} "
            + c.unit
            + f" behind the endpoint's own HTTP head (threshold {fmt(c.threshold)}) while that head advances: subscribers get stale heads."
        ),
        value=lambda kind: "{value:%.0f} " + kind.unit,
        test=_stream_test("chainwatch_stream_lag_blocks", lambda c: c.threshold, lambda c: ceil(c.threshold * 2 + 1), "subscription falls behind"),
    ),
)


HEAD_STALE_INHIBITS_LAG = Inhibition(
    "ChainwatchHeadStale", ("chain", "endpoint"), "A node whose head is old is also behind: the head-stale page (1m) explains the lag (5m)."
)
LAG_IN_TWO_UNITS = Inhibition(
    "ChainwatchSyncLagHigh", ("chain", "endpoint", "severity"), "Lag in blocks and lag in seconds are one symptom in two units: page for it once."
)

# A node on another chain is one page: its lag (a minority fork grows slower) is that fault too.
DIVERGED_INHIBITS_LAG = Inhibition(
    "ChainwatchNodeDiverged", ("chain", "endpoint"), "A node on another chain than the references pages once as ChainwatchNodeDiverged, not again for its lag."
)


# A subgraph whose indexing stopped (failed, or stalled while its chain advances) falls further
# behind every block: its lag page is that incident, already paged (and paged first: the lag
# waits until it is past its threshold for ``sync_lag``). Only the critical variant, the page: a
# subgraph that fell behind before it stopped keeps the lag warning it already had.
SUBGRAPH_FAILED_INHIBITS_LAG = Inhibition(
    "ChainwatchSubgraphFailed",
    ("chain", "endpoint"),
    "A failed subgraph stops indexing: its growing lag is the failure, paged as ChainwatchSubgraphFailed.",
    severity="critical",
)
SUBGRAPH_STALLED_INHIBITS_LAG = Inhibition(
    "ChainwatchSubgraphStalled",
    ("chain", "endpoint"),
    "A stalled subgraph falls behind every block: its lag is the stall, paged as ChainwatchSubgraphStalled.",
    severity="critical",
)
SUBGRAPH_STOPPED = (SUBGRAPH_FAILED_INHIBITS_LAG, SUBGRAPH_STALLED_INHIBITS_LAG)


def _diverged_expr(c: Ctx) -> str:
    """The compared height where the node's hash differs (the alert's value says where)."""
    return f"{c.sel('chainwatch_block_hash_compared_height')} and on ({by(ENDPOINT_LABELS)}) {c.sel('chainwatch_block_hash_diverged')} == 1"


def _diverged_test(c: Ctx) -> list[Recipe]:
    e = c.endpoint_labels
    height = 1000
    return [
        Recipe(
            [Series("chainwatch_block_hash_compared_height", e, height, height), Series("chainwatch_block_hash_diverged", e, 0, 1)],
            height,
            e,
            note="node's block hash differs from the references'",
        )
    ]


def _reference_split_quiet(c: Ctx) -> list[Quiet]:
    """References disagree (one is on another chain): the quorum warning, never a node page."""
    steps = 5 + math.ceil(seconds(c.d.diverged) / 60) + 5
    ref = c.chain.references[0].name if c.chain.references else "ref-a"
    labels = {**c.chain_labels, "endpoint": ref, "role": "reference"}
    return [
        Quiet(
            "a reference's hash differs from the other references' for longer than for:",
            [
                ("chainwatch_block_hash_diverged", labels, [0.0] * 5 + [1.0] * (steps - 5)),
                ("chainwatch_block_hash_compared_height", labels, [1000.0] * steps),
                ("chainwatch_block_hash_diverged", c.endpoint_labels, [0.0] * steps),
                ("chainwatch_block_hash_compared_height", c.endpoint_labels, [1000.0] * steps),
                ("chainwatch_reference_hashes_disagree", c.chain_labels, [0.0] * 5 + [1.0] * (steps - 5)),
            ],
            every=1,
            healthy=False,  # ChainwatchReferenceHashesDisagree (a warning) answers it
        )
    ]


DIVERGENCE: tuple[AlertSpec, ...] = (
    AlertSpec(
        "ChainwatchNodeDiverged",
        "endpoint",
        ("critical",),
        needs="divergence",
        when=lambda c: len(c.chain.references) > 0,
        expr=_diverged_expr,
        for_=lambda c: c.d.diverged,
        summary="{endpoint} on {chain} is on another chain than the references",
        description=lambda c: (
            "{endpoint} ({role}) on {chain}/{network} answers a different block hash at height {value:%.0f} than the references agree on, for "
            + c.d.diverged
            + ": it is on another chain at the same height (a fork, a consensus bug, a reorg it did not follow), and every read from it may be wrong."
        ),
        value="diverged at height {value:%.0f}",
        test=_diverged_test,
        quiet=_reference_split_quiet,
    ),
    AlertSpec(
        "ChainwatchReferenceHashesDisagree",
        "chain",
        ("warning",),
        needs="divergence",
        when=lambda c: len(c.chain.references) > 1,
        expr=lambda c: f"max by ({by(CHAIN_LABELS)}) ({c.csel('chainwatch_reference_hashes_disagree')}) == 1",
        for_=lambda c: c.d.diverged,
        summary="The references of {chain} disagree on a block hash",
        description=lambda c: (
            "The reference endpoints of {chain}/{network} answered different block hashes at the same height for "
            + c.d.diverged
            + ": one of them is on another chain. Nodes are judged against the hash a majority gives; without a majority they are not judged at all."
        ),
        value="references disagree",
        test=step("chainwatch_reference_hashes_disagree", 0, 1, "a reference on another chain"),
    ),
)

SHARED: tuple[AlertSpec, ...] = (
    AlertSpec(
        "ChainwatchEndpointDown",
        "endpoint",
        ("critical",),
        expr=lambda c: f"{c.sel('chainwatch_probe_success')} == 0",
        for_=lambda c: c.durations.down,
        summary="{endpoint} on {chain} is down",
        description=lambda c: (
            "Every probe of {endpoint} ({role}) on {chain}/{network} has failed for " + c.durations.down + "; last failure reason: {failure_reason}."
        ),
        value="down ({failure_reason})",
        test=_down_test,
        inhibited_by=(HOSTED, WRONG_NETWORK),
    ),
    AlertSpec(
        "ChainwatchProbeFailing",
        "endpoint",
        ("warning",),  # labelled by reason
        threshold=lambda c: max(c.chain_thresholds.rpc_error_ratio, PROBE_FAILING_MIN_RATIO),
        expr=lambda c: (
            f"{_probe_failing_share(c, PROBE_WINDOW)} > {fmt(c.threshold)} and {_probe_failing_share(c, SHORT)} > {fmt(c.threshold)}" + _unless_down(c)
        ),
        for_=lambda c: c.durations.rpc_errors,
        summary="Probes of {endpoint} on {chain} fail with {reason}",
        description=lambda c: (
            "{value:pct} of the probes of {endpoint} ({role}) on {chain}/{network} failed with reason {reason} over the last "
            + PROBE_WINDOW
            + " (threshold "
            + f"{c.threshold:.0%}"
            + ")."
        ),
        value="{value:pct} of probes ({reason})",
        test=_probe_failing_test,
        inhibited_by=(DOWN, WRONG_NETWORK),
    ),
    AlertSpec(
        "ChainwatchWrongChain",
        "endpoint",
        ("critical",),
        expr=_wrong_chain_expr,
        for_=lambda c: c.durations.down,
        summary="{endpoint} on {chain} serves the wrong chain",
        description=_wrong_chain_description,
        # A chain id is a number to show; a genesis identity only says the network differs (value 1).
        value=lambda kind: "wrong network" if kind.identity is not None else "chain id {reported_chain_id}",
        test=_wrong_chain_test,
    ),
    *DIVERGENCE,
    _lag(
        "ChainwatchSyncLagHigh",
        "chainwatch_sync_lag_blocks",
        lambda c: c.chain.lag_blocks(c.severity),
        lambda c: c.unit,
        "the median head of the references",
        lambda kind: "{value:%.0f} " + kind.unit,
        SYMPTOM + (HEAD_STALE_INHIBITS_LAG, DIVERGED_INHIBITS_LAG, *SUBGRAPH_STOPPED),
    ),
    _lag(
        "ChainwatchSyncLagSecondsHigh",
        "chainwatch_sync_lag_seconds",
        lambda c: c.chain.lag_seconds(c.severity),
        lambda c: "seconds",
        "the references' head",
        "{value:%.0f}s",
        SYMPTOM + (HEAD_STALE_INHIBITS_LAG, LAG_IN_TWO_UNITS, DIVERGED_INHIBITS_LAG, *SUBGRAPH_STOPPED),
        unless=_unless_lag_in_blocks,
        quiet=_two_units_quiet,
    ),
    AlertSpec(
        "ChainwatchHeadStale",
        "endpoint",
        ("critical",),
        threshold=lambda c: c.chain.head_stale_seconds,
        expr=above("chainwatch_head_age_seconds"),
        for_=lambda c: c.durations.head_stale,
        summary="{endpoint} on {chain} has no new block for {value:%.0f}s",
        description=lambda c: (
            "The head of {endpoint} ({role}) on {chain}/{network} is {value:%.0f}s old; a new block is expected every "
            + fmt(c.chain.block_time)
            + f"s (threshold {fmt(c.threshold)}s)."
        ),
        value="{value:%.0f}s",
        test=_head_stale_test,
        quiet=random_gaps_quiet("chainwatch_head_age_seconds", lambda c: c.endpoint_labels),
        inhibited_by=SYMPTOM,
    ),
    AlertSpec(
        "ChainwatchPeersLow",
        "endpoint",
        ("warning",),
        needs="peers",
        when=lambda c: c.chain_thresholds.peers_min > 0,
        threshold=lambda c: c.chain_thresholds.peers_min,
        expr=lambda c: f"{c.sel('chainwatch_peers')} < {c.chain_thresholds.peers_min}",
        for_=lambda c: c.durations.peers_low,
        summary="{endpoint} on {chain} has only {value:%.0f} peers",
        description=lambda c: (
            "{endpoint} ({role}) on {chain}/{network} has {value:%.0f} peers (minimum "
            + str(c.chain_thresholds.peers_min)
            + "): it may be isolated from the network and fall behind."
        ),
        value="{value:%.0f} peers",
        test=step("chainwatch_peers", lambda c: c.chain_thresholds.peers_min, lambda c: max(0, c.chain_thresholds.peers_min // 3), "peers dropped"),
        inhibited_by=SYMPTOM,
    ),
    AlertSpec(
        "ChainwatchMempoolHigh",
        "endpoint",
        ("warning",),
        needs="mempool",
        threshold=lambda c: c.chain_thresholds.mempool_pending_max,
        expr=lambda c: f"max without (state) ({c.sel('chainwatch_mempool_transactions', state='pending')}) > {c.threshold}",
        for_=lambda c: c.durations.mempool,
        summary="{endpoint} on {chain} holds {value:%.0f} pending transactions",
        description=lambda c: (
            "The mempool of {endpoint} ({role}) on {chain}/{network} holds {value:%.0f} pending transactions (threshold " + str(c.threshold) + ")."
        ),
        value="{value:%.0f} pending",
        test=lambda c: [
            Recipe(
                [
                    Series("chainwatch_mempool_transactions", {**c.endpoint_labels, "state": "pending"}, c.threshold, c.threshold * 2 + 1),
                    Series("chainwatch_mempool_transactions", {**c.endpoint_labels, "state": "queued"}, 10, 10),
                ],
                c.threshold * 2 + 1,
                c.endpoint_labels,
                note="pending pool full",
            )
        ],
        inhibited_by=SYMPTOM,
    ),
    AlertSpec(
        "ChainwatchMempoolNotMined",
        "endpoint",
        ("warning",),
        needs="mempool",
        expr=_mempool_not_mined_expr,
        for_=lambda c: c.durations.mempool,
        summary="Transactions pile up unmined on {endpoint} ({chain})",
        description=lambda c: (
            "The pending pool of {endpoint} ({role}) on {chain}/{network} has only grown for at least "
            + mempool_window(c)
            + " plus "
            + c.durations.mempool
            + " (now {value:%.0f} more than "
            + mempool_window(c)
            + " ago): nothing leaves it, nothing is being mined or propagated."
        ),
        value="+{value:%.0f} pending in {window}",
        test=_mempool_not_mined_test,
        quiet=_mempool_quiet,
        inhibited_by=SYMPTOM,
    ),
    AlertSpec(
        "ChainwatchRpcLatencyHigh",
        "endpoint",
        ("warning",),
        threshold=lambda c: c.chain_thresholds.rpc_latency_p95_seconds,
        expr=lambda c: (
            f'endpoint:chainwatch_rpc_request_duration_seconds:p95_5m{{chain="{c.name}",role!="reference"}} > {fmt(c.threshold)}'
            f' and endpoint:chainwatch_rpc_request_duration_seconds:p95_1m{{chain="{c.name}",role!="reference"}} > {fmt(c.threshold)}' + _unless_down(c)
        ),
        for_=lambda c: c.durations.rpc_latency,
        summary="RPC p95 latency of {endpoint} on {chain} is {value:%.3f}s",
        description=lambda c: (
            "95% of RPC requests to {endpoint} ({role}) on {chain}/{network} took up to {value:%.3f}s over the last 5m (threshold " + fmt(c.threshold) + "s)."
        ),
        value="{value:%.3f}s p95",
        test=_latency_test,
        inhibited_by=(DOWN,),
    ),
    AlertSpec(
        "ChainwatchRpcErrorRatioHigh",
        "endpoint",
        ("warning",),
        threshold=lambda c: c.chain_thresholds.rpc_error_ratio,
        expr=lambda c: (
            f'endpoint:chainwatch_rpc_errors:ratio_rate5m{{chain="{c.name}",role!="reference"}} > {fmt(c.threshold)}'
            f' and endpoint:chainwatch_rpc_errors:ratio_rate1m{{chain="{c.name}",role!="reference"}} > {fmt(c.threshold)}' + _unless_down(c)
        ),
        for_=lambda c: c.durations.rpc_errors,
        summary="{value:pct} of RPC requests to {endpoint} on {chain} fail",
        description=lambda c: (
            "{value:pct} of RPC requests to {endpoint} ({role}) on {chain}/{network} failed over the last 5m (threshold " + f"{c.threshold:.0%}" + ")."
        ),
        value="{value:pct} errors",
        test=_rpc_errors_test,
        inhibited_by=(DOWN,),
    ),
    *TLS_AND_STREAMS,
    *ACCOUNT_ALERTS,
    AlertSpec(
        "ChainwatchReferenceQuorumLost",
        "chain",
        ("warning",),
        when=lambda c: len(c.chain.references) > 0,
        threshold=_quorum_need,
        expr=lambda c: f"max by ({by(CHAIN_LABELS)}) ({c.csel('chainwatch_references_agreeing')}) < {c.threshold}",
        for_=lambda c: c.durations.reference_quorum,
        summary="Only {value:%.0f} reference(s) of {chain} reachable and agreeing",
        description=lambda c: (
            "Only {value:%.0f} of the "
            + str(len(c.chain.references))
            + " reference endpoints of {chain}/{network} are reachable and agree on the head (need "
            + str(c.threshold)
            + "): lag figures of the chain's nodes are unreliable."
        ),
        value="{value:%.0f} agreeing",
        test=step("chainwatch_references_agreeing", lambda c: c.threshold, lambda c: c.threshold - 1, "references unreachable"),
    ),
    AlertSpec(
        "ChainwatchChainHalted",
        "chain",
        ("critical",),
        needs="reference_halt",
        chain_wide=True,
        threshold=lambda c: c.chain.chain_halt_seconds,
        expr=halt_expr,
        for_=lambda c: c.durations.chain_halt,
        summary="{chain} has produced no block for {value:%.0f}s",
        description=lambda c: (
            "The head of {chain}/{network} has not advanced for {value:%.0f}s on every "
            + ("reference" if c.chain.references else "endpoint (no references configured)")
            + " (threshold "
            + fmt(c.threshold)
            + "s): the chain itself is halted, not one node. Per-node lag and head-stale alerts are symptoms."
        ),
        value="{value:%.0f}s",
        test=halt_test,
        quiet=_halt_quiet,
        # A rollup's sequencer down (an opnode chain's alert, labelled with this L2 chain) is the one page.
        inhibited_by=(Inhibition("ChainwatchSequencerDown", ("chain",), "A stopped rollup sequencer pages once as ChainwatchSequencerDown."),),
    ),
    AlertSpec(
        "ChainwatchValidatorMonitorStuck",
        "chain",
        ("warning",),
        needs="validators",
        when=lambda c: bool(c.groups),
        threshold=lambda c: _monitor_interval(c)[0],
        expr=_monitor_stuck_expr,
        for_=lambda c: c.durations.validator,
        summary="Validator monitor of {chain} has not succeeded for {value:%.0f}s",
        description=lambda c: (
            "The validator monitor of {chain}/{network} has not succeeded (processed an epoch / read the vote accounts) for {value:%.0f}s, "
            "or not since the exporter started (threshold " + fmt(c.threshold) + "s = " + _monitor_interval(c)[1] + "): validator misses are not being counted."
        ),
        value="{value:%.0f}s",
        test=_monitor_stuck_test,
        quiet=_monitor_gone_quiet,
    ),
    AlertSpec(
        "ChainwatchValidatorUnresolved",
        "group",
        ("warning",),
        needs="validators",
        when=lambda c: bool(c.groups),
        # max over exporter replicas (each reports the same validators), summed over reasons
        expr=lambda c: (
            f"sum by ({by(GROUP_LABELS)}) (max by ({by((*GROUP_LABELS, 'reason'))}) ({c.csel('chainwatch_validator_monitor_unresolved_validators')})) > 0"
        ),
        for_=lambda c: c.durations.validator,
        summary="{value:%.0f} configured validator(s) of group {group} on {chain} are not watched",
        description=(
            "The validator monitor of {chain}/{network} cannot resolve {value:%.0f} configured validator(s) of group {group} to something it can count "
            "(chainwatch_validator_monitor_unresolved_validators by reason: not_found, no_identity, unreadable): their misses, jailing and "
            "delinquency are not seen, and no other alert about them can fire. Fix the key in the config or the data the monitor needs."
        ),
        value="{value:%.0f} unresolved",
        test=step("chainwatch_validator_monitor_unresolved_validators", 0, 1, "configured validator not resolvable"),
    ),
    VERSIONS_MIXED,
    UPGRADE_VERSION_BELOW,
)

# The SLO burn alerts summarise every chain's endpoints (built by rules/slo.py); they come
# after every kind's own.
SLO_BURN = AlertSpec(
    "ChainwatchSLOErrorBudgetBurn",
    "chain",
    ("critical", "warning"),  # labelled by slo
    value="{value:%.1f}x burn rate",
    inhibited_by=(EXPLAINED,),  # a chain-wide page (ChainHalted, ...) is one of the explanations
    package="chainwatch.rules",
)
