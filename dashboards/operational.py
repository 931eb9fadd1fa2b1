"""Operational dashboard: every endpoint across chains, for the on-call engineer.

Variables chain, role and endpoint narrow it down; the links bar leads to each chain's
own dashboard with ``var-chain`` set. Thresholds are drawn where every chain shares them;
the per-chain dashboards draw each chain's own.
"""

from __future__ import annotations

from chainwatch.assembly.names import CHAIN_WIDE

from chainwatch.core import uids
from chainwatch.dashboards.panels import (
    NOT_WATCHDOG,
    NONE,
    RATIO,
    SECONDS,
    Grid,
    alert_annotation,
    dashboard,
    higher_is_worse,
    link,
    lower_is_worse,
    or_zero,
    q,
    query_variable,
    stat,
    steps,
    table,
    timeseries,
    GREEN,
    RED,
)
from chainwatch.dashboards.sections import Limits, alerts_firing_panel, m, peers_stat, probe_row, r, references_panel, rpc_row, sync_row

E = 'chain=~"$chain", role=~"$role", endpoint=~"$endpoint"'
C = 'chain=~"$chain"'


def build(config) -> dict:
    lim = Limits.common(config.chains.values())
    grid = Grid()

    grid.row("Overview")
    p95 = lim.rpc_latency_p95_seconds
    headlines = (  # (title, description, query, legend, unit, thresholds, decimals)
        ("Endpoints up", "Selected endpoints whose last probe succeeded.",
         f"count(max by (chain, endpoint) ({m('chainwatch_probe_success')}{{{E}}}) == 1) or on() vector(0)", "up", NONE, steps(GREEN), None),
        ("Endpoints down", "Selected endpoints whose last probe failed. Anything above zero deserves a look at the reasons below.",
         f"count(max by (chain, endpoint) ({m('chainwatch_probe_success')}{{{E}}}) == 0) or on() vector(0)", "down", NONE, higher_is_worse(None, 1), None),
        ("Chains halted", "Selected chains with a chain-wide halt or finality stall alert firing (every reference stopped, not one node lagging).",
         or_zero(f'count(ALERTS{{alertstate="firing", alertname=~"{"|".join(CHAIN_WIDE)}", {C}}})'), "halted", NONE, higher_is_worse(None, 1), None),
        ("Alerts firing", "Alerts firing for the selected chains, all severities.",
         or_zero(f'count(ALERTS{{alertstate="firing", {NOT_WATCHDOG}, {C}}})'), "firing", NONE, higher_is_worse(1), None),
        ("Worst p95 latency (5m)", "Slowest selected endpoint's p95 RPC round trip over 5 minutes.",
         f"max(max by (chain, endpoint) ({r('endpoint:chainwatch_rpc_request_duration_seconds:p95_5m')}{{{E}}}))", "p95", SECONDS,
         higher_is_worse(p95) if p95 else None, None),
        ("Probe success (5m)", "Share of all selected endpoints' probes that succeeded over the last 5 minutes.",
         f"avg(avg by (chain, endpoint) (avg_over_time({m('chainwatch_probe_success')}{{{E}}}[5m])))", "success", RATIO,
         steps(RED, (0.9, "orange"), (0.99, GREEN)), 2),
    )  # fmt: skip
    for title, description, expr, legend, unit, thresholds, decimals in headlines:
        extra = {"decimals": decimals} if decimals is not None else {}
        _headline(grid, title, description, q(expr, legend, instant=True), unit=unit, thresholds=thresholds, **extra)

    probe_row(grid, E)
    rpc_row(grid, E, lim)
    sync_row(grid, E, lim)

    grid.row("Peers, mempool and references")
    grid.add(peers_stat(E, lim), w=8, h=8)
    grid.add(
        timeseries(
            "Mempool",
            "Transactions in each EVM node's mempool, pending and queued (txpool_status). Solana has no public mempool; nodes without txpool_status are absent."
            + (f" The line is the pending alert threshold ({lim.mempool_pending_max:g})." if lim.mempool_pending_max is not None else ""),
            q(f"max by (chain, endpoint, state) ({m('chainwatch_mempool_transactions')}{{{E}}})", "{{chain}} {{endpoint}} {{state}}"),
            unit=NONE,
            thresholds=higher_is_worse(lim.mempool_pending_max) if lim.mempool_pending_max is not None else None,
        ),
        w=8,
        h=8,
    )
    grid.add(references_panel(C, lim), w=8, h=8)

    _tls_and_streams(grid, config)

    grid.row("Exporter health")
    grid.add(
        timeseries(
            "Exporter scrape duration",
            "Time the exporter spent answering the previous /metrics scrape, per exporter instance. Close to the scrape timeout means probes are being cut off.",
            q(f"max by (instance) ({m('chainwatch_scrape_duration_seconds')})", "{{instance}}"),
            unit=SECONDS,
        ),
        w=8,
        h=8,
    )
    grid.add(
        timeseries(
            "Probe deadline misses",
            "Scrapes that reported an endpoint as timed out because the scrape deadline ran out, per endpoint over the interval. Zero is healthy.",
            q(
                or_zero(f"max by (chain, endpoint) (increase({m('chainwatch_probe_deadline_exceeded_total')}{{{E}}}[$__rate_interval]))"),
                "{{chain}} {{endpoint}}",
            ),
            unit=NONE,
            thresholds=higher_is_worse(1),
        ),
        w=8,
        h=8,
    )
    grid.add(
        stat(
            "Config loaded",
            "Whether each exporter's last config (re)load succeeded; a failed reload keeps the old config serving.",
            q(f"min by (instance) ({m('chainwatch_config_last_reload_successful')})", "{{instance}}", instant=True),
            unit=NONE,
            mappings=[_ok_failed()],
            thresholds=steps(RED, (1, GREEN)),
        ),
        w=4,
        h=8,
    )
    grid.add(
        stat(
            "Endpoints configured",
            "Endpoints in each exporter's loaded config.",
            q(f"max by (instance) ({m('chainwatch_endpoints_configured')})", "{{instance}}", instant=True),
            unit=NONE,
            text_mode="value_and_name",
        ),
        w=4,
        h=8,
    )
    grid.add(alerts_firing_panel(C), w=24, h=8)

    links = [link("Executive overview", uids.url(uids.EXECUTIVE), "SLOs and status per chain")]
    links += [
        link(f"Chain: {name}", uids.url(uids.chain_uid(name), chain=name), f"{chain.kind} dashboard of {name}") for name, chain in sorted(config.chains.items())
    ]
    chains_q = f"label_values({m('chainwatch_probe_success')}, chain)"
    return dashboard(
        title="chainwatch / Operational",
        uid=uids.OPERATIONAL,
        source=config.path,
        tags=["chainwatch", "operational"],
        about="Every endpoint across chains: probe outcome, latency, sync, peers, mempool, references and exporter health.",
        variables=[
            query_variable("chain", "Chain", chains_q),
            query_variable("role", "Role", f"label_values({m('chainwatch_probe_success')}{{{C}}}, role)"),
            query_variable("endpoint", "Endpoint", f'label_values({m("chainwatch_probe_success")}{{{C}, role=~"$role"}}, endpoint)'),
        ],
        grid=grid,
        links=links,
        annotations=[alert_annotation(C)],
    )


def _headline(grid: Grid, *args, **options) -> None:
    """One 4x4 headline stat of the top row: a single value, no sparkline."""
    grid.add(stat(*args, text_mode="value", **options), w=4, h=4)


def _common(values) -> float | None:
    """A threshold every chain shares, else None (a line for one chain would mislead on another)."""
    found = set(values)
    return found.pop() if len(found) == 1 else None


def _tls_and_streams(grid: Grid, config) -> None:
    """Certificate expiry of https:// endpoints and the head subscriptions of endpoints with ws_url."""
    chains = list(config.chains.values())
    warn = _common(c.thresholds.tls_cert_expiry_days_warning for c in chains)
    crit = _common(c.thresholds.tls_cert_expiry_days_critical for c in chains)
    quiet = _common(c.stream_quiet_seconds for c in chains)
    behind = _common(c.stream_lag_blocks for c in chains)
    grid.row("TLS certificates and subscriptions")
    grid.add(
        table(
            "TLS certificate expiry",
            "Time left until the earliest certificate of the chain each https:// endpoint's TLS handshake verified expires (its notAfter, read on the probe's own connection; what the alert reads)."
            " An expired certificate the server sends but nobody uses shows only in chainwatch_tls_earliest_cert_expiry_timestamp_seconds."
            + (f" Orange below {warn:g} days, red below {crit:g} days (the alert thresholds)." if warn is not None and crit is not None else ""),
            q(f"min by (chain, endpoint) ({m('chainwatch_tls_verified_chain_expiry_timestamp_seconds')}{{{E}}}) - time()", "", instant=True, table=True),
            unit=SECONDS,
            thresholds=lower_is_worse(crit * 86400, warn * 86400) if warn is not None and crit is not None else None,
        ),
        w=8,
        h=8,
    )
    grid.add(
        timeseries(
            "Subscription quiet time",
            "Seconds since each endpoint's head subscription (ws_url: newHeads, slotSubscribe, beacon head events) last delivered a head."
            + (f" The line is the quiet alert threshold ({quiet:g}s)." if quiet is not None else ""),
            q(f"max by (chain, endpoint) ({m('chainwatch_stream_last_message_age_seconds')}{{{E}}})", "{{chain}} {{endpoint}}"),
            unit=SECONDS,
            thresholds=higher_is_worse(quiet) if quiet is not None else None,
        ),
        w=8,
        h=8,
    )
    grid.add(
        timeseries(
            "Subscription lag and reconnects",
            "Blocks (slots) each subscription's head is behind its endpoint's HTTP head, and reconnects per interval (a connection that keeps dropping)."
            + (f" The line is the lag alert threshold ({behind:g})." if behind is not None else ""),
            q(f"max by (chain, endpoint) ({m('chainwatch_stream_lag_blocks')}{{{E}}})", "{{chain}} {{endpoint}} lag"),
            q(f"max by (chain, endpoint) (increase({m('chainwatch_stream_reconnects_total')}{{{E}}}[$__rate_interval]))", "{{chain}} {{endpoint}} reconnects"),
            unit=NONE,
            thresholds=higher_is_worse(behind) if behind is not None else None,
        ),
        w=8,
        h=8,
    )


def _ok_failed():
    from chainwatch.dashboards.panels import value_text

    return value_text((0, "failed", RED), (1, "ok", GREEN))
