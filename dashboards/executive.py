"""Executive dashboard: one screen per organisation, readable without PromQL.

Per chain: is it ok / degraded / down right now, how available it was over the SLO
window against its objective, how much error budget is left, what share of requests
succeeded, how many critical alerts are firing, and availability as "nines". Every
status cell links to the operational dashboard with that chain selected.
"""

from __future__ import annotations

from chainwatch import kinds
from chainwatch.assembly import health
from chainwatch.dashboards.accounts import running_out_table, with_accounts
from chainwatch.dashboards.providers import providers_table
from chainwatch.core import generated, uids
from chainwatch.dashboards.panels import (
    GREEN,
    NONE,
    ORANGE,
    RATIO,
    RED,
    Grid,
    alert_annotation,
    dashboard,
    data_link,
    higher_is_worse,
    link,
    or_zero,
    q,
    query_variable,
    stat,
    steps,
    table,
    threshold_override,
    timeseries,
    value_text,
)
from chainwatch.dashboards.sections import m, r

C = 'chain=~"$chain"'
NINES_CAP = 6


def status_expr() -> str:
    """2 ok, 1 degraded, 0 down per chain: the definition the status page shares (assembly/health.py)."""
    return health.chain_status_expr(C)


def _per_chain_overrides(config, make) -> list[dict]:
    return [threshold_override(name, make(chain)) for name, chain in sorted(config.chains.items())]


def build(config) -> dict:
    grid = Grid()
    windows = sorted({c.slo.window for c in config.chains.values()})
    period = windows[0] if len(windows) == 1 else "SLO window"
    avail_error = _error("availability")
    budget = f'max by (chain) ({r("chain_slo:error_budget_remaining:ratio")}{{slo="availability", {C}}})'
    objective_note = "; ".join(f"{n} {generated.number(c.slo.availability * 100, 4)}%" for n, c in sorted(config.chains.items()))

    grid.row("Right now")
    grid.add(
        stat(
            "Chain status",
            "ok: every endpoint we run or depend on answers and no critical alert fires. degraded: some endpoints fail or a critical alert fires. "
            "down: no endpoint of the chain answers. Click a chain to open the operational dashboard for it.",
            q(status_expr(), "{{chain}}", instant=True),
            unit=NONE,
            mappings=[value_text((0, "down", RED), (1, "degraded", ORANGE), (2, "ok", GREEN))],
            thresholds=steps(RED, (1, ORANGE), (2, GREEN)),
            text_mode="value_and_name",
            links=[data_link("Operational view of ${__field.labels.chain}", uids.url(uids.OPERATIONAL, chain="${__field.labels.chain}"))],
        ),
        w=18,
        h=6,
    )
    grid.add(
        stat(
            "Critical alerts firing",
            "Critical alerts (the ones that page someone) firing right now for the selected chains. 0 is the normal state.",
            q(or_zero(f'count(ALERTS{{alertstate="firing", severity="critical", {C}}})'), "critical", instant=True),
            unit=NONE,
            thresholds=higher_is_worse(None, 1),
            text_mode="value",
        ),
        w=6,
        h=6,
    )

    indexers = sorted(n for n, c in config.chains.items() if c.kind in kinds.with_capability("indexer"))
    if indexers:
        sel = 'chain=~"' + "|".join(indexers) + '"'
        own = sorted({a.name for k in kinds.with_capability("indexer") for a in kinds.get(k).alert_specs()})
        grid.add(
            stat(
                "Indexers behind",
                "Indexers (subgraphs) behind the chain they index, stalled, failed or on a fork right now (any lag alert or "
                f"indexer alert firing), of {len(indexers)} watched. 0 is the normal state; each indexer's own dashboard shows why.",
                q(
                    or_zero(f'count(count by (chain) (ALERTS{{alertstate="firing", alertname=~"{"|".join(["ChainwatchSyncLag.*", *own])}", {sel}, {C}}}))'),
                    "indexers behind",
                    instant=True,
                ),
                unit=NONE,
                thresholds=higher_is_worse(1),
                text_mode="value",
            ),
            w=24,
            h=4,
        )

    if with_accounts(config):
        running_out_table(grid, config)
    if config.providers():
        providers_table(grid, config)

    grid.row(f"Service level ({period})")
    grid.add(
        stat(
            f"Availability ({period})",
            f"Share of probes of our nodes and providers that succeeded over each chain's SLO window ({', '.join(windows)}). Green at or above the chain's objective ({objective_note}), red below.",
            q(f"1 - {avail_error}", "{{chain}}", instant=True),
            unit=RATIO,
            decimals=3,
            thresholds=steps(RED, (0.999, GREEN)),
            overrides=_per_chain_overrides(config, lambda c: steps(RED, (c.slo.availability, GREEN))),
        ),
        w=6,
        h=7,
    )
    grid.add(
        stat(
            "Error budget remaining",
            "How much of the availability error budget for the SLO window is left: 100% untouched, 0% spent, negative means the objective is missed. "
            "Orange under 25%.",
            q(budget, "{{chain}}", instant=True),
            unit=RATIO,
            decimals=1,
            thresholds=steps(RED, (0, ORANGE), (0.25, GREEN)),
        ),
        w=6,
        h=7,
    )
    grid.add(
        stat(
            "Request success rate (24h)",
            "Share of RPC requests to our nodes and providers that succeeded over the last 24 hours (reference providers excluded).",
            q(_success_rate("1d"), "{{chain}}", instant=True),
            unit=RATIO,
            decimals=3,
            thresholds=steps(RED, (0.99, ORANGE), (0.999, GREEN)),
        ),
        w=6,
        h=7,
    )
    grid.add(
        stat(
            f"Uptime in nines ({period})",
            f"Availability written as nines: 2 = 99%, 3 = 99.9%, 4 = 99.99%. Capped at {NINES_CAP} (no failed probe in the window). "
            "Green at or above the chain's objective.",
            q(f"clamp_max(-log10({avail_error}), {NINES_CAP})", "{{chain}}", instant=True),
            unit=NONE,
            decimals=1,
            thresholds=steps(RED, (3, GREEN)),
            overrides=_per_chain_overrides(config, lambda c: steps(RED, (_nines(c.slo.availability), GREEN))),
        ),
        w=6,
        h=7,
    )
    grid.add(
        table(
            "SLOs per chain",
            "Every SLO of every chain (availability, latency, freshness): its objective, what was achieved over the SLO window and the error budget left.",
            q(f"max by (chain, slo) ({r('chain_slo:objective:ratio')}{{{C}}})", "", instant=True, table=True),
            q(f"1 - {_error(None)}", "", instant=True, table=True),
            q(f"max by (chain, slo) ({r('chain_slo:error_budget_remaining:ratio')}{{{C}}})", "", instant=True, table=True),
            unit=RATIO,
            overrides=[
                {"matcher": {"id": "byName", "options": f"Value #{ref}"}, "properties": [{"id": "displayName", "value": label}, {"id": "decimals", "value": 3}]}
                for ref, label in (("A", "objective"), ("B", "achieved"), ("C", "budget left"))
            ],
        ),
        w=24,
        h=8,
    )

    grid.row("Trends")
    grid.add(
        timeseries(
            "Availability (5m)",
            "Share of probes that succeeded per chain, 5-minute windows: dips show when an incident happened and how long it lasted.",
            q(f"min by (chain) ({r('chain:chainwatch_probe_success:ratio_rate5m')}{{{C}}})", "{{chain}}"),
            unit=RATIO,
            thresholds=steps(RED, (0.99, GREEN)),
            min_zero=False,
        ),
        w=12,
        h=8,
    )
    grid.add(
        timeseries(
            "Error budget remaining over time",
            "How fast each chain's availability budget is being spent; a steep drop is what the burn-rate alerts page on.",
            q(budget, "{{chain}}"),
            unit=RATIO,
            thresholds=steps(RED, (0, ORANGE), (0.25, GREEN)),
            min_zero=False,
        ),
        w=12,
        h=8,
    )

    links = [link("Operational", uids.url(uids.OPERATIONAL), "Every endpoint across chains")]
    links += [
        link(f"Chain: {name}", uids.url(uids.chain_uid(name), chain=name), f"{chain.kind} dashboard of {name}") for name, chain in sorted(config.chains.items())
    ]
    return dashboard(
        title="chainwatch / Executive",
        uid=uids.EXECUTIVE,
        source=config.path,
        tags=["chainwatch", "executive"],
        about=f"Per chain: status, availability against its SLO, error budget, success rate and critical alerts (SLO windows: {', '.join(windows)}).",
        variables=[query_variable("chain", "Chain", f"label_values({m('chainwatch_probe_success')}, chain)")],
        grid=grid,
        links=links,
        annotations=[alert_annotation(C + ', severity="critical"')],
        time_from="now-7d",
    )


def _error(slo: str | None) -> str:
    """Error ratio over each chain's own SLO period, from the window-agnostic rules:
    spent budget x allowed error = (1 - remaining) x (1 - objective)."""
    match = f'slo="{slo}", {C}' if slo else C
    by_ = "chain" if slo else "chain, slo"
    remaining = f"max by ({by_}) ({r('chain_slo:error_budget_remaining:ratio')}{{{match}}})"
    objective = f"max by ({by_}) ({r('chain_slo:objective:ratio')}{{{match}}})"
    return f"((1 - {remaining}) * (1 - {objective}))"


def _success_rate(window: str) -> str:
    sel = f'{C}, role!="reference"'
    errors = f"sum by (chain) (rate({m('chainwatch_rpc_errors_total')}{{{sel}}}[{window}]))"
    requests = f"sum by (chain) (rate({m('chainwatch_rpc_requests_total')}{{{sel}}}[{window}]))"
    return f"1 - ({errors} or {requests} * 0) / {requests}"


def _nines(objective: float) -> float:
    import math

    return generated.number(-math.log10(1 - objective), 3)
