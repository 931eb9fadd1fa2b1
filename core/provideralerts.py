"""Alerts on what paid RPC providers will charge (``pricing:``, core/pricing.py): the monthly
quota running out before the billing period ends, and the projected cost over the budget.

One rule per provider that has a quota (or a price and a budget), labelled ``provider`` and
with the provider's team. The projection is ``predict_linear``-style, per provider:

    used now + max(0, deriv(used[window])) × (period end − now)

over ``chainwatch_provider_period_credits`` (exporters/credits.py): the trend is the slope of the
credits used over ``pricing.<p>.window`` (6h by default), so one burst of calls moves it by its
share of six hours, not by its peak. ``predict_linear`` itself takes the horizon as a scalar; the
horizon here is a series (each provider's period end), hence the expression written out.
"""

from __future__ import annotations

import math

from chainwatch.core.alertkit import ALL_CHAINS, OPERATIONAL, Alert, AlertSpec, Recipe, Series, fmt, seconds

FOR = "1h"  # a projection above the line for an hour: the trend, not one round
# The recipes: a sample every 5 minutes; the billing period ends 30 days after promtool's time 0.
STEP = 300.0
PERIOD_END = 30 * 86400.0


def projected_expr(provider: str, window: str) -> str:
    """Credits the provider will have counted at the end of the billing period, at the trend over ``window``."""
    used = f'chainwatch_provider_period_credits{{provider="{provider}"}}'
    end = f'chainwatch_provider_period_end_timestamp_seconds{{provider="{provider}"}}'
    return f"(max by (provider) ({used}) + max by (provider) (clamp_min(deriv({used}[{window}]), 0)) * max by (provider) ({end} - time()))"


PROJECTED_CREDITS = "provider:chainwatch_provider_period_credits:projected"
PROJECTED_COST = "provider:chainwatch_provider_cost_dollars:projected"
# The plan's numbers from pricing:, as series (as chain_slo:objective:ratio is the SLO's), so a
# dashboard draws them beside the use without repeating the config.
QUOTA_CREDITS = "provider:chainwatch_provider_monthly_quota_credits:config"
BUDGET_DOLLARS = "provider:chainwatch_provider_budget_dollars:config"
# Seconds until the period's credits reach the quota at the trend over window; no series while
# the use is not growing (it never runs out), 0 once it is used up.
QUOTA_RUNOUT = "provider:chainwatch_provider_quota_exhaustion:seconds"
RECORDS = (PROJECTED_CREDITS, PROJECTED_COST, QUOTA_CREDITS, BUDGET_DOLLARS, QUOTA_RUNOUT)


def runout_expr(provider: str, window: str, quota: float) -> str:
    """Seconds until ``quota`` is used at the trend over ``window``: (quota − used) / slope, only where the slope is positive."""
    used = f'chainwatch_provider_period_credits{{provider="{provider}"}}'
    return f"clamp_min({fmt(quota)} - max by (provider) ({used}), 0) / (max by (provider) (deriv({used}[{window}])) > 0)"


def records(config) -> list[dict]:
    """Recording rules per provider: the credits the period will end with, (with a price) their
    cost in dollars, (with a quota) the quota and when it runs out, (with a budget) the budget."""
    out = []
    for provider, table in sorted(config.providers().items()):
        # The provider as a static label on every record: the value each has anyway, and what tells
        # the providers' records apart for promtool's duplicate-rule lint.
        labels = {"provider": provider}
        out.append({"record": PROJECTED_CREDITS, "expr": projected_expr(provider, table.window), "labels": labels})
        if table.price_per_million_credits is not None:
            cost = f"{projected_expr(provider, table.window)} * {fmt(table.price_per_million_credits)} / 1e6"
            out.append({"record": PROJECTED_COST, "expr": cost, "labels": labels})
        if table.monthly_quota_credits is not None:
            out.append({"record": QUOTA_CREDITS, "expr": f"vector({fmt(table.monthly_quota_credits)})", "labels": labels})
            out.append({"record": QUOTA_RUNOUT, "expr": runout_expr(provider, table.window, table.monthly_quota_credits), "labels": labels})
        if table.budget is not None:
            out.append({"record": BUDGET_DOLLARS, "expr": f"vector({fmt(table.budget)})", "labels": labels})
    return out


def _team(config, provider: str) -> str:
    return config.provider_team(provider)


def _recipe(provider: str, window: str, line: float, scale: float, note: str) -> Recipe:
    """Use trending to ``2 × line`` credits by the period's end during the fault, ``0.1 × line`` while
    healthy; the alert's value is ``scale ×`` the projection at the check."""
    remaining = PERIOD_END
    healthy = 0.1 * line / remaining * STEP
    fault = 2 * line / remaining * STEP
    labels = {"provider": provider, "instance": "chainwatch:9877", "job": "chainwatch"}
    lead = max(10, int(math.ceil(seconds(window) / STEP)) + 2)  # as rules/unittests.py starts the fault

    def value_at(fault_steps: int, step: float) -> float:
        used = healthy * (lead - 1) + fault * fault_steps
        now = (lead + fault_steps - 1) * step
        return scale * (used + fault / step * (PERIOD_END - now))

    return Recipe(
        [
            Series("chainwatch_provider_period_credits", labels, healthy, fault, "counter"),
            Series("chainwatch_provider_period_end_timestamp_seconds", labels, PERIOD_END, PERIOD_END),
        ],
        None,
        {"provider": provider},
        window=seconds(window),
        step=STEP,
        note=note,
        value_at=value_at,
    )


def _build_quota(spec: AlertSpec, config) -> list[Alert]:
    out = []
    for provider, table in sorted(config.providers().items()):
        if table.monthly_quota_credits is None:
            continue
        quota = table.monthly_quota_credits
        alert = Alert(
            spec.name,
            "warning",
            ALL_CHAINS,
            _team(config, provider),
            spec.scope,
            f"{projected_expr(provider, table.window)} > {fmt(quota)}",
            FOR,
            "Provider {provider} runs out of its monthly quota before the billing period ends",
            f"At the trend of the last {table.window}, chainwatch alone will have used {{value:humanize}} credits of {provider} by the end of the billing period, "
            f"more than the plan's quota of {fmt(quota)}: the provider will throttle or bill overage. Lower the probe rate on it, move probes to own nodes or raise the plan.",
            OPERATIONAL,
            extra_labels={"provider": provider},
        )
        alert.recipes = [_recipe(provider, table.window, quota, 1.0, "usage trending past the quota")]
        alert.resolve_within = seconds(table.window) + 600
        out.append(alert)
    return out


def _build_budget(spec: AlertSpec, config) -> list[Alert]:
    out = []
    for provider, table in sorted(config.providers().items()):
        if table.budget is None or not table.price_per_million_credits:
            continue
        price = table.price_per_million_credits / 1e6
        alert = Alert(
            spec.name,
            "warning",
            ALL_CHAINS,
            _team(config, provider),
            spec.scope,
            f"{projected_expr(provider, table.window)} * {fmt(table.price_per_million_credits)} / 1e6 > {fmt(table.budget)}",
            FOR,
            "Projected cost of provider {provider} exceeds its budget",
            f"At the trend of the last {table.window}, chainwatch's requests to {provider} will cost {{value:%.2f}} dollars this billing period "
            f"(at {fmt(table.price_per_million_credits)} per million credits), over the budget of {fmt(table.budget)}.",
            OPERATIONAL,
            extra_labels={"provider": provider},
        )
        alert.recipes = [_recipe(provider, table.window, table.budget / price, price, "cost trending past the budget")]
        alert.resolve_within = seconds(table.window) + 600
        out.append(alert)
    return out


QUOTA = AlertSpec("ChainwatchProviderQuotaExhaustion", "exporter", ("warning",), value="{value:humanize} credits projected", build=_build_quota)
BUDGET = AlertSpec("ChainwatchProviderBudgetExceeded", "exporter", ("warning",), value="{value:%.2f} dollars projected", build=_build_budget)
PROVIDER_ALERTS: tuple[AlertSpec, ...] = (QUOTA, BUDGET)
