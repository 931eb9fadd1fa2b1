"""Dashboard parts for the operational accounts (``accounts:``): a row on each chain's dashboard
and the executive "accounts running out" table. Runway and spend rate are the recording rules
of :func:`chainwatch.rules.recording.account_records` (the chain's ``account_spend_window``)."""

from __future__ import annotations

from chainwatch import kinds
from chainwatch.core.alerttext import humanize_duration
from chainwatch.dashboards.series import m, r
from chainwatch.dashboards.panels import NONE, SECONDS, Grid, lower_is_worse, q, table, timeseries

DAY = 86400
ACCOUNT = "account, purpose, team"


def accounts_row(grid: Grid, chain) -> None:
    """Balance, spend rate and runway of the chain's accounts (its dashboard has ``$chain`` fixed)."""
    t = chain.thresholds
    c = 'chain="$chain"'
    grid.row("Accounts")
    grid.add(
        timeseries(
            "Account balances",
            "Balance of each configured account in the chain's native unit (ether, SOL, LTC; chainwatch_account_info has the symbol). "
            "A falling line is spending; a jump up is a top-up.",
            q(f"max by ({ACCOUNT}) ({m('chainwatch_account_balance')}{{{c}}})", "{{account}} ({{purpose}})"),
            unit=NONE,
        ),
        w=12,
        h=8,
    )
    grid.add(
        timeseries(
            "Runway",
            f"Time until each account is empty at its spend rate over the last {t.account_spend_window}: balance / spend rate. "
            f"Lines are the alert thresholds ({humanize_duration(t.account_runway_days_warning * DAY)} and {humanize_duration(t.account_runway_days_critical * DAY)}). "
            "An account that is not spending has no line (no runway to run out).",
            q(f"max by ({ACCOUNT}) ({r('account:chainwatch_account_runway:seconds')}{{{c}}})", "{{account}}"),
            unit=SECONDS,
            thresholds=lower_is_worse(t.account_runway_days_critical * DAY, t.account_runway_days_warning * DAY),
        ),
        w=12,
        h=8,
    )
    grid.add(
        timeseries(
            "Spend per day",
            f"What each account spends a day, in the chain's native unit, at the rate of the last {t.account_spend_window} (falls of the balance only: top-ups are not negative spend).",
            q(f"max by ({ACCOUNT}) ({r('account:chainwatch_account_spent:rate')}{{{c}}}) * {DAY}", "{{account}}"),
            unit=NONE,
        ),
        w=24,
        h=7,
    )


def with_accounts(config) -> list:
    """The chains with balances in the account schema: ``accounts:``, or a kind's own (Avalanche L1 validators)."""
    return [c for n, c in sorted(config.chains.items()) if c.accounts or kinds.get(c.kind).account_records(n, c)]


def running_out_table(grid: Grid, config) -> None:
    """Executive: every spending account of every chain, shortest runway first; Avalanche L1
    validators among them (purpose ``l1-validator-fee``, their fee runway)."""
    chains = with_accounts(config)
    warning = min(c.thresholds.account_runway_days_warning for c in chains)
    critical = min(c.thresholds.account_runway_days_critical for c in chains)
    labels = f"chain, {ACCOUNT}"
    grid.add(
        table(
            "Accounts running out",
            "Operational accounts (batchers, proposers, relayers, fee payers) by runway: time until empty at the recent spend rate, "
            "with their balance. Accounts that are not spending are not listed. Avalanche L1 validators are listed with their fee runway (purpose l1-validator-fee). "
            "Red below the critical runway, orange below the warning.",
            q(f"sort(max by ({labels}) ({r('account:chainwatch_account_runway:seconds')}))", "", instant=True, table=True),
            q(
                f"(max by ({labels}) ({m('chainwatch_account_balance')}) or max by ({labels}) ({r('account:chainwatch_avalanche_l1_validator_balance_avax:max')})) "
                f"and on ({labels}) {r('account:chainwatch_account_runway:seconds')}",
                "",
                instant=True,
                table=True,
            ),
            unit=NONE,
            overrides=[
                {
                    "matcher": {"id": "byName", "options": "Value #A"},
                    "properties": [
                        # Seconds, so Grafana picks the unit that reads right: 2.9 min in the demo, 4.2 day on a network.
                        {"id": "displayName", "value": "runway"},
                        {"id": "unit", "value": SECONDS},
                        {"id": "decimals", "value": 1},
                        {"id": "thresholds", "value": {"mode": "absolute", "steps": lower_is_worse(critical * DAY, warning * DAY)}},
                        {"id": "custom.cellOptions", "value": {"type": "color-background"}},
                    ],
                },
                {"matcher": {"id": "byName", "options": "Value #B"}, "properties": [{"id": "displayName", "value": "balance"}]},
            ],
        ),
        w=24,
        h=8,
    )
