"""Rows shared by the operational and per-chain dashboards (probe outcome, RPC, sync).

Each function adds one titled row to a ``Grid``. ``e`` is the endpoint-scope selector
body and ``c`` the chain-scope one (chain-wide series have no endpoint/role labels), so
the operational dashboard passes ``=~"$chain"`` matchers and a per-chain dashboard passes
its fixed chain. ``t`` holds the thresholds to draw, or ``None`` where the operational
dashboard spans chains whose thresholds differ.

Every query aggregates ``by`` the labels it shows (``max``, never ``sum``, over copies of
one series), so it gives one line per endpoint whether Prometheus scrapes ``/metrics``,
``/probe?target=``, or both (the same series under two jobs).
"""

from __future__ import annotations

from dataclasses import dataclass

from chainwatch import kinds
from chainwatch.assembly import catalog
from chainwatch.dashboards.accounts import accounts_row
from chainwatch.dashboards.divergence import divergence_row, judged
from chainwatch.dashboards.providers import chain_providers, providers_row
from chainwatch.dashboards.upgrades import upgrades_row
from chainwatch.dashboards.series import m, r  # noqa: F401 (the kinds' dashboards import m from here)
from chainwatch.dashboards.panels import (
    NOT_WATCHDOG,
    NONE,
    PER_SECOND,
    RATIO,
    SECONDS,
    UP_DOWN,
    Grid,
    higher_is_worse,
    lower_is_worse,
    nan_text,
    or_zero,
    q,
    stat,
    state_timeline,
    steps,
    timeseries,
    value_text,
    heatmap,
    GREEN,
    RED,
)

PRIMARY_METHODS = "|".join(sorted(set(catalog.PRIMARY_METHOD.values())))


# One chain's dashboard (kinds/<kind>/dashboard.py): its endpoints, and the chain-wide series.
E = 'chain="$chain", endpoint=~"$endpoint"'
C = 'chain="$chain"'


def per_endpoint(metric: str, what: str = "", **options):
    """``max by (endpoint) (<metric>{E})``: one line per endpoint, legend ``{{endpoint}} <what>``."""
    return q(f"max by (endpoint) ({m(metric)}{{{E}}})", "{{endpoint}}" + (f" {what}" if what else ""), **options)


def per_group(metric: str, what: str = "", **options):
    """``max by (group) (<metric>{C})``: one line per validator group, legend ``{{group}} <what>``."""
    return q(f"max by (group) ({m(metric)}{{{C}}})", "{{group}}" + (f" {what}" if what else ""), **options)


def chain_line(metric: str, legend: str, **options):
    """``max by (chain) (<metric>{C})``: the one chain-wide line, named ``legend``."""
    return q(f"max by (chain) ({m(metric)}{{{C}}})", legend, **options)


def head_vs_references(title: str, description: str):
    """Each endpoint's head and the median head of the reachable references, on one axis."""
    return timeseries(
        title,
        description,
        per_endpoint("chainwatch_head_height"),
        chain_line("chainwatch_reference_head_height", "reference median"),
        unit=NONE,
        min_zero=False,
    )


def halt_panel(title: str, description: str, legend: str, halt_seconds: float):
    """Seconds since the median reference head last moved, against the chain's halt threshold."""
    return timeseries(
        title,
        description,
        chain_line("chainwatch_reference_head_stall_seconds", legend),
        unit=SECONDS,
        thresholds=higher_is_worse(None, halt_seconds),
    )


@dataclass(frozen=True)
class Limits:
    """Alert thresholds drawn on panels (``None`` draws no line), and the request whose round
    trip stands for the endpoints' latency (their kind's ``primary_method``; ``None`` when the
    chains' kinds differ)."""

    lag_blocks_warning: float | None = None
    lag_blocks_critical: float | None = None
    lag_seconds_warning: float | None = None
    lag_seconds_critical: float | None = None
    head_stale_seconds: float | None = None
    peers_min: float | None = None
    mempool_pending_max: float | None = None
    rpc_latency_p95_seconds: float | None = None
    rpc_error_ratio: float | None = None
    references_min: float | None = None
    primary_method: str | None = None

    @classmethod
    def of(cls, chain) -> Limits:
        t = chain.thresholds
        return cls(
            lag_blocks_warning=chain.lag_blocks("warning"),
            lag_blocks_critical=chain.lag_blocks("critical"),
            lag_seconds_warning=chain.lag_seconds("warning"),
            lag_seconds_critical=chain.lag_seconds("critical"),
            head_stale_seconds=chain.head_stale_seconds,
            peers_min=t.peers_min,
            mempool_pending_max=t.mempool_pending_max,
            rpc_latency_p95_seconds=t.rpc_latency_p95_seconds,
            rpc_error_ratio=t.rpc_error_ratio,
            references_min=t.references_min,
            primary_method=kinds.get(chain.kind).primary_method,
        )

    @classmethod
    def common(cls, chains) -> Limits:
        """Only the thresholds every given chain shares (a line for one chain would mislead on another)."""
        each = [cls.of(c) for c in chains]
        fields = cls.__dataclass_fields__
        return cls(**{f: getattr(each[0], f) if len({getattr(x, f) for x in each}) == 1 else None for f in fields})


def _primary(lim: Limits) -> str:
    """The matcher of the chain's primary request: its kind's own, or any kind's when mixed."""
    return f'method="{lim.primary_method}"' if lim.primary_method else f'method=~"{PRIMARY_METHODS}"'


def _lim(note: str, value) -> str:
    return f" {note}" if value is not None else " Thresholds differ between chains: see the per-chain dashboards."


def probe_row(grid: Grid, e: str, *, title: str = "Probe outcome") -> None:
    grid.row(title)
    grid.add(
        state_timeline(
            "Probe success by endpoint",
            "Whether the last probe of each endpoint succeeded (green up, red down). A red stripe is what ChainwatchEndpointDown pages on once it lasts.",
            q(f"max by (chain, endpoint) ({m('chainwatch_probe_success')}{{{e}}})", "{{chain}} {{endpoint}}"),
            mappings=[UP_DOWN],
            thresholds=steps(RED, (1, GREEN)),
        ),
        w=12,
        h=8,
    )
    grid.add(
        timeseries(
            "Probe success ratio (5m)",
            "Share of probes that succeeded over the last 5 minutes, per endpoint. Below 100% means intermittent failures even when the endpoint is up now.",
            q(f"avg by (chain, endpoint) (avg_over_time({m('chainwatch_probe_success')}{{{e}}}[5m]))", "{{chain}} {{endpoint}}"),
            unit=RATIO,
            thresholds=lower_is_worse(0.9, 0.99),
        ),
        w=12,
        h=8,
    )
    grid.add(
        timeseries(
            "Endpoints failing, by reason",
            "How many endpoints' last probe failed, split by reason (timeout, connect, tls, http_status, rate_limited, rpc_error, wrong_chain, ...). Healthy: one line at 0, reason none.",
            # A reason's series exists only while a probe fails with it (issue #34): 0 when there is none.
            q(
                f"sum by (reason) (max by (chain, endpoint, reason) ({m('chainwatch_probe_failure_reason')}{{{e}}}))"
                ' or on () label_replace(vector(0), "reason", "none", "", "")',
                "{{reason}}",
            ),
            unit=NONE,
            stack=True,
            thresholds=higher_is_worse(1),
        ),
        w=12,
        h=8,
    )
    grid.add(
        timeseries(
            "Client versions (fleet)",
            "Nodes per client version (chainwatch_node_info, references left out). More than one version on one chain for longer than "
            "durations.versions_mixed (default 12h) is ChainwatchClientVersionsMixed: finish the upgrade before the chain's next one.",
            q(f'count by (chain, client_version) ({m("chainwatch_node_info")}{{{e},role!="reference"}})', "{{chain}} {{client_version}}"),
            unit=NONE,
            stack=True,
        ),
        w=12,
        h=8,
    )
    grid.add(
        timeseries(
            "Probe duration",
            "Wall time of the last probe per endpoint: the whole batched request including connection set-up. It cannot exceed the scrape deadline.",
            q(f"max by (chain, endpoint) ({m('chainwatch_probe_duration_seconds')}{{{e}}})", "{{chain}} {{endpoint}}"),
            unit=SECONDS,
        ),
        w=12,
        h=8,
    )


def rpc_row(grid: Grid, e: str, lim: Limits, *, with_heatmap: bool = False) -> None:
    grid.row("RPC latency and errors")
    p95 = lim.rpc_latency_p95_seconds
    bucket = m("chainwatch_rpc_request_duration_seconds_bucket")
    for quantile in ("p50", "p95", "p99"):
        # p95 is recorded (the alert reads it); p50 and p99 read the raw buckets at query time, for
        # the endpoints shown only (issue #34: every endpoint's quantiles each evaluation cost
        # Prometheus more than the panels that read them).
        rule = f"{r('endpoint:chainwatch_rpc_request_duration_seconds:p95_5m')}{{{e}}}"
        if quantile != "p95":
            rule = f"histogram_quantile(0.{quantile[1:]}, sum by (chain, network, endpoint, role, le) (rate({bucket}{{{e}}}[5m])))"
        note = f"The line is the p95 alert threshold ({p95:g} s)." if p95 else ""
        grid.add(
            timeseries(
                f"RPC latency {quantile} (5m)",
                f"{quantile} round trip of RPC requests per endpoint over 5 minutes, every method together (the probe's batch and any timed calls)."
                + (_lim(note, p95) if quantile == "p95" else ""),
                q(f"max by (chain, endpoint) ({rule})", "{{chain}} {{endpoint}}"),
                unit=SECONDS,
                thresholds=higher_is_worse(p95) if quantile == "p95" and p95 else None,
            ),
            w=8,
            h=8,
        )
    grid.add(
        timeseries(
            "RPC latency p95 by method (5m)",
            "p95 round trip per endpoint and method: method=batch is the probe's batched request, others are individually timed calls configured per endpoint.",
            q(f"histogram_quantile(0.95, sum by (chain, endpoint, method, le) (rate({bucket}{{{e}}}[5m])))", "{{chain}} {{endpoint}} {{method}}"),
            unit=SECONDS,
            thresholds=higher_is_worse(p95) if p95 else None,
        ),
        w=24,
        h=8,
    )
    ratio = lim.rpc_error_ratio
    grid.add(
        timeseries(
            "RPC error ratio (5m)",
            "Share of requests that failed (transport, HTTP status or JSON-RPC error) over 5 minutes."
            + _lim(f"The line is the alert threshold ({ratio:g})." if ratio else "", ratio),
            q(f"max by (chain, endpoint) ({r('endpoint:chainwatch_rpc_errors:ratio_rate5m')}{{{e}}})", "{{chain}} {{endpoint}}"),
            unit=RATIO,
            thresholds=higher_is_worse(ratio) if ratio else None,
        ),
        w=12,
        h=8,
    )
    grid.add(
        timeseries(
            "RPC requests per second",
            "Requests sent to each endpoint by the exporter, per method (one batch counts once). Flat is normal: chainwatch must never hammer a node.",
            q(f"max by (chain, endpoint, method) (rate({m('chainwatch_rpc_requests_total')}{{{e}}}[$__rate_interval]))", "{{chain}} {{endpoint}} {{method}}"),
            unit=PER_SECOND,
        ),
        w=12,
        h=8,
    )
    if with_heatmap:
        grid.add(
            heatmap(
                "Probe latency distribution",
                "Distribution of the probe's main request round trip (the JSON-RPC batch; the beacon node's /eth/v1/node/syncing) across the selected endpoints (histogram buckets): a second band appearing is a slow replica or provider.",
                q(
                    f"sum by (le) (max by (chain, endpoint, le) (rate({m('chainwatch_rpc_request_duration_seconds_bucket')}{{{e}, {_primary(lim)}}}[$__rate_interval])))",
                    "{{le}}",
                    heatmap=True,
                ),
                unit=SECONDS,
            ),
            w=24,
            h=8,
        )


def sync_row(grid: Grid, e: str, lim: Limits, *, unit_name: str = "blocks") -> None:
    grid.row("Sync")
    grid.add(
        timeseries(
            f"Sync lag ({unit_name})",
            f"{unit_name.capitalize()} each endpoint is behind the median head of the chain's reachable references (0 when ahead)."
            + _lim(
                f"Lines: warning {lim.lag_blocks_warning:g} and critical {lim.lag_blocks_critical:g} {unit_name}."
                if lim.lag_blocks_warning is not None
                else "",
                lim.lag_blocks_warning,
            ),
            q(f"max by (chain, endpoint) ({m('chainwatch_sync_lag_blocks')}{{{e}}})", "{{chain}} {{endpoint}}"),
            unit=NONE,
            thresholds=higher_is_worse(lim.lag_blocks_warning, lim.lag_blocks_critical) if lim.lag_blocks_warning is not None else None,
        ),
        w=8,
        h=8,
    )
    grid.add(
        timeseries(
            "Sync lag (seconds)",
            "How far behind the references each endpoint's head is, in seconds of block time."
            + _lim(
                f"Lines: warning {lim.lag_seconds_warning:g} s and critical {lim.lag_seconds_critical:g} s." if lim.lag_seconds_warning is not None else "",
                lim.lag_seconds_warning,
            ),
            q(f"max by (chain, endpoint) ({m('chainwatch_sync_lag_seconds')}{{{e}}})", "{{chain}} {{endpoint}}"),
            unit=SECONDS,
            thresholds=higher_is_worse(lim.lag_seconds_warning, lim.lag_seconds_critical) if lim.lag_seconds_warning is not None else None,
        ),
        w=8,
        h=8,
    )
    grid.add(
        timeseries(
            "Head age",
            "Seconds since each endpoint's head block was produced. It saws up to one block time and drops; a steady climb is a stalled node."
            + _lim(
                f"The line is the head-stale alert threshold ({lim.head_stale_seconds:g} s)." if lim.head_stale_seconds is not None else "",
                lim.head_stale_seconds,
            ),
            q(f"max by (chain, endpoint) ({m('chainwatch_head_age_seconds')}{{{e}}})", "{{chain}} {{endpoint}}"),
            unit=SECONDS,
            thresholds=higher_is_worse(None, lim.head_stale_seconds) if lim.head_stale_seconds is not None else None,
        ),
        w=8,
        h=8,
    )
    grid.add(
        state_timeline(
            "Syncing",
            "Whether the endpoint reports itself syncing (eth_syncing, beacon is_syncing, Solana getHealth behind). Red means it knows it is catching up.",
            q(f"max by (chain, endpoint) ({m('chainwatch_syncing')}{{{e}}})", "{{chain}} {{endpoint}}"),
            mappings=[value_text((0, "in sync", GREEN), (1, "syncing", RED))],
            thresholds=steps(GREEN, (1, RED)),
        ),
        w=24,
        h=6,
    )


def or_not_exposed(expr_by: str, metric: str, e: str) -> str:
    """``max by (<expr_by>) (metric)``, or NaN for endpoints that do not expose it — shown as
    "not exposed" through a value mapping instead of "No data"."""
    return f"max by ({expr_by}) ({m(metric)}{{{e}}}) or max by ({expr_by}) ({m('chainwatch_probe_success')}{{{e}}} * 0 / 0)"


def peers_stat(e: str, lim: Limits, metric: str = "chainwatch_peers") -> object:
    """Peers per endpoint; a node that does not expose peers shows "not exposed", not "No data"."""
    expr = or_not_exposed("chain, endpoint", metric, e)
    note = f"Red below the alert threshold ({lim.peers_min:g})." if lim.peers_min is not None else ""
    return stat(
        "Peers",
        'Connected peers each endpoint reports. Nodes that do not expose a peer count (managed providers, anvil) show "not exposed".'
        + _lim(note, lim.peers_min),
        q(expr, "{{chain}} {{endpoint}}", instant=True),
        unit=NONE,
        thresholds=lower_is_worse(lim.peers_min) if lim.peers_min is not None else None,
        mappings=[nan_text("not exposed")],
    )


def references_panel(c: str, lim: Limits):
    note = f"The line is the quorum the alert wants ({lim.references_min:g})." if lim.references_min is not None else ""
    return timeseries(
        "Reference quorum",
        "Reference endpoints configured, reachable and agreeing (within tolerance of their median head). Lag is only trustworthy while enough references agree."
        + _lim(note, lim.references_min),
        q(f"max by (chain) ({m('chainwatch_references_configured')}{{{c}}})", "{{chain}} configured"),
        q(f"max by (chain) ({m('chainwatch_references_reachable')}{{{c}}})", "{{chain}} reachable"),
        q(f"max by (chain) ({m('chainwatch_references_agreeing')}{{{c}}})", "{{chain}} agreeing"),
        unit=NONE,
        thresholds=lower_is_worse(lim.references_min) if lim.references_min is not None else None,
    )


def alerts_firing_panel(selector: str, title: str = "Alerts firing"):
    return timeseries(
        title,
        "Alerts currently firing for this selection, by alert and severity (Prometheus ALERTS series). Zero is the normal state.",
        q(or_zero(f'count by (alertname, severity) (ALERTS{{alertstate="firing", {NOT_WATCHDOG}, {selector}}})'), "{{alertname}} {{severity}}"),
        unit=NONE,
        stack=True,
        thresholds=higher_is_worse(1),
    )


def chain_dashboard(config, name: str, chain, *, kind_title: str, about: str, grid: Grid) -> dict:
    """Wrap a per-chain grid: fixed ``chain`` variable, endpoint variable, links back up."""
    from chainwatch.core import uids
    from chainwatch.dashboards.panels import alert_annotation, dashboard, fixed_variable, link, query_variable

    # Rows of capabilities every such kind's dashboard gets here, last: no kind repeats them.
    if judged(chain):
        divergence_row(grid)
    if getattr(chain, "upgrades", None) is not None:
        upgrades_row(grid, chain)
    if chain.accounts:
        accounts_row(grid, chain)
    if chain_providers(chain):
        providers_row(grid, config, chain)
    links = [
        link("Executive overview", uids.url(uids.EXECUTIVE), "SLOs and status per chain"),
        link("Operational", uids.url(uids.OPERATIONAL, chain=name), f"Every endpoint, {name} selected"),
    ]
    return dashboard(
        title=f"chainwatch / {name} ({kind_title})",
        uid=uids.chain_uid(name),
        source=config.path,
        tags=["chainwatch", "chain", chain.kind],
        about=about,
        variables=[
            fixed_variable("chain", "Chain", name),
            query_variable("endpoint", "Endpoint", f'label_values({m("chainwatch_probe_success")}{{chain="$chain"}}, endpoint)'),
        ],
        grid=grid,
        links=links,
        annotations=[alert_annotation('chain="$chain"')],
    )


def chain_header_row(grid: Grid, e: str, c: str) -> None:
    """Top row of every per-chain dashboard: endpoints up/down and alerts firing."""
    grid.row("Now")
    grid.add(
        stat(
            "Endpoints",
            "Whether each endpoint's last probe succeeded. Role in the legend: node (we run it), provider (we depend on it), reference (used to measure lag).",
            q(f"max by (endpoint, role) ({m('chainwatch_probe_success')}{{{e}}})", "{{endpoint}} ({{role}})", instant=True),
            unit=NONE,
            mappings=[UP_DOWN],
            thresholds=steps(RED, (1, GREEN)),
        ),
        w=16,
        h=5,
    )
    grid.add(
        stat(
            "Alerts firing",
            "Alerts firing for this chain, all severities. 0 is the normal state.",
            q(or_zero(f'count(ALERTS{{alertstate="firing", {NOT_WATCHDOG}, {c}}})'), "firing", instant=True),
            unit=NONE,
            thresholds=higher_is_worse(1),
            text_mode="value",
        ),
        w=8,
        h=5,
    )


def heads_row(grid: Grid, title: str, lim: Limits, head: tuple[str, str], *, halt: tuple[str, str, str, float] | None = None, between=()) -> None:
    """The row under :func:`chain_header_row` of a per-chain dashboard: each endpoint's head
    against the references' median (``head``: title, description), the chain halt (``halt``:
    :func:`halt_panel`'s title, description, legend and halt seconds), the kind's own panels
    (``between``) and the reference quorum; 8 high, two panels half the width each, more a third."""
    panels = [head_vs_references(*head), *([halt_panel(*halt)] if halt else []), *between, references_panel(C, lim)]
    width = 12 if len(panels) == 2 else 8
    grid.row(title)
    for panel in panels:
        grid.add(panel, w=width, h=8)
