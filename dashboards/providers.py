"""Dashboard parts for what paid RPC providers cost (``provider:`` + ``pricing:``, docs/cost.md):
a row on the dashboard of each chain with endpoints at a provider, and the executive
"providers" table.

The provider series carry no ``chain`` label (a provider bills the key, whichever chain it
serves), so a chain's row shows the providers its endpoints name, with all of their use. The
plan's quota and budget are the recording rules of :func:`chainwatch.core.provideralerts.records`
(the same numbers as the alerts).
"""

from __future__ import annotations

from chainwatch.core import provideralerts as pa
from chainwatch.dashboards.series import m, r
from chainwatch.dashboards.panels import NONE, RATIO, Grid, higher_is_worse, lower_is_worse, q, stat, table, timeseries

DOLLARS = "currencyUSD"
DAY = 86400
# Quota remaining: orange below a quarter of the period's quota, red below a tenth.
QUOTA_LEFT_WARNING, QUOTA_LEFT_CRITICAL = 0.25, 0.1


def chain_providers(chain) -> list[str]:
    """The providers a chain's endpoints name (``provider:``), sorted."""
    return sorted({e.provider for e in chain.endpoints if e.provider})


def _sel(providers: list[str]) -> str:
    return f'provider=~"{"|".join(providers)}"'


def quota_left_expr(p: str) -> str:
    """Share of the period's quota not used yet (1 untouched, 0 used up, negative: overage)."""
    used = f"max by (provider) ({m('chainwatch_provider_period_credits')}{{{p}}})"
    return f"1 - {used} / on (provider) max by (provider) ({r(pa.QUOTA_CREDITS)}{{{p}}})"


def providers_row(grid: Grid, config, chain) -> None:
    """Credits per second by provider and method, projected cost against the budget, quota left."""
    providers = chain_providers(chain)
    tables = config.providers()
    p = _sel(providers)
    priced = [n for n in providers if tables[n].price_per_million_credits is not None]
    quota = [n for n in providers if tables[n].monthly_quota_credits is not None]
    grid.row("Provider cost")
    grid.add(
        timeseries(
            "Provider credits per second by method",
            f"Credits (the provider's billing unit) chainwatch's own requests to {', '.join(providers)} are billed per second, by method, at the pricing table: "
            "every element of a batch counts. The providers bill the key, so this is their use by every chain chainwatch probes through them.",
            q(f"max by (provider, method) (rate({m('chainwatch_provider_credits_total')}{{{p}}}[$__rate_interval]))", "{{provider}} {{method}}"),
            unit=NONE,
            stack=True,
        ),
        w=12 if priced or quota else 24,
        h=8,
    )
    if priced:
        grid.add(
            timeseries(
                "Projected cost this billing period vs budget",
                "Dollars the billing period will end with at the usage trend of the provider's pricing window (the projection ChainwatchProviderBudgetExceeded pages on), "
                "and the budget line where one is set.",
                q(f"max by (provider) ({r(pa.PROJECTED_COST)}{{{_sel(priced)}}})", "{{provider}} projected"),
                q(f"max by (provider) ({r(pa.BUDGET_DOLLARS)}{{{_sel(priced)}}})", "{{provider}} budget"),
                unit=DOLLARS,
            ),
            w=12 if not quota else 6,
            h=8,
        )
    if quota:
        grid.add(
            stat(
                "Quota remaining",
                f"Share of each provider's monthly quota not used yet this billing period (orange under {QUOTA_LEFT_WARNING:.0%}, red under {QUOTA_LEFT_CRITICAL:.0%}); "
                "with usage_api it is the provider's own count of the key, else chainwatch's requests only.",
                q(quota_left_expr(_sel(quota)), "{{provider}}", instant=True),
                unit=RATIO,
                decimals=1,
                thresholds=lower_is_worse(QUOTA_LEFT_CRITICAL, QUOTA_LEFT_WARNING),
            ),
            w=12 if not priced else 6,
            h=8,
        )


def providers_table(grid: Grid, config) -> None:
    """Executive: every provider, its projected cost against the budget and when its quota runs out."""
    tables = config.providers()
    everyone = _sel(sorted(tables))
    cost_p = _sel(sorted(n for n, t in tables.items() if t.price_per_million_credits is not None) or sorted(tables))
    quota_p = _sel(sorted(n for n, t in tables.items() if t.monthly_quota_credits is not None) or sorted(tables))
    grid.add(
        table(
            "Providers: projected cost vs budget, quota runs out in",
            "Paid RPC providers (pricing:): the cost the billing period will end with at the recent usage trend against the budget, the share of the monthly quota "
            "the period will have used, and the days until the quota is used up at that trend (empty: usage is not growing). The same projections the quota and budget alerts page on.",
            q(f"max by (provider) ({r(pa.PROJECTED_CREDITS)}{{{everyone}}})", "", instant=True, table=True),
            q(f"max by (provider) ({r(pa.PROJECTED_COST)}{{{cost_p}}})", "", instant=True, table=True),
            q(f"max by (provider) ({r(pa.BUDGET_DOLLARS)}{{{cost_p}}})", "", instant=True, table=True),
            q(
                f"max by (provider) ({r(pa.PROJECTED_CREDITS)}{{{quota_p}}}) / on (provider) max by (provider) ({r(pa.QUOTA_CREDITS)}{{{quota_p}}})",
                "",
                instant=True,
                table=True,
            ),
            q(f"max by (provider) ({r(pa.QUOTA_RUNOUT)}{{{quota_p}}}) / {DAY}", "", instant=True, table=True),
            unit=NONE,
            overrides=[
                _column("A", "projected credits", decimals=0),
                _column("B", "projected cost", unit=DOLLARS, decimals=2),
                _column("C", "budget", unit=DOLLARS, decimals=2),
                _column("D", "quota used at period end", unit=RATIO, decimals=0, thresholds=higher_is_worse(0.9, 1.0)),
                _column("E", "quota runs out in (days)", decimals=1),
            ],
        ),
        w=24,
        h=6,
    )


def _column(ref: str, name: str, *, unit: str | None = None, decimals: int | None = None, thresholds: list[dict] | None = None) -> dict:
    props = [{"id": "displayName", "value": name}]
    if unit:
        props.append({"id": "unit", "value": unit})
    if decimals is not None:
        props.append({"id": "decimals", "value": decimals})
    if thresholds:
        props += [
            {"id": "thresholds", "value": {"mode": "absolute", "steps": thresholds}},
            {"id": "custom.cellOptions", "value": {"type": "color-background"}},
        ]
    return {"matcher": {"id": "byName", "options": f"Value #{ref}"}, "properties": props}
