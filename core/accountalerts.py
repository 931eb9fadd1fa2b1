"""Alerts on the configured operational accounts (``accounts:``, capability ``accounts``):
runway (days left at the recent spend rate) and the absolute minimum, one rule per account, and
accounts that cannot be read, one rule per chain.

Each account is its own rule, labelled with its owner (``team``: the account's, else the
chain's) and its ``account``, so a batcher's runway pages the rollup team once and a relayer's
pages the bridge team once. The runway is

    balance / rate(chainwatch_account_spent_total[thresholds.account_spend_window])

in seconds (the thresholds are configured in days; pages print the runway in the unit that
reads right, ``2m 52s`` in the demo, ``4d 12h 0m 0s`` on a real network): the spend counter adds up only the balance's falls (exporters/accounts.py), so a top-up
is no negative spend, and an account that is not spending has no runway series (``> 0`` drops
a zero rate: no +Inf). Both are ``max`` over exporter replicas. The warning covers the band
between the two lines only (``unless`` below the critical one), so a runway that drops straight
below the critical line notifies once; the minimum (a page now) silences the runway alerts of the
same account.
"""

from __future__ import annotations

from chainwatch.core.alertkit import (
    CHAIN_LABELS,
    Alert,
    AlertSpec,
    Ctx,
    Inhibition,
    Recipe,
    Series,
    by,
    dashboard_for,
    fmt,
    humanize_duration,
    seconds,
    selector,
)

DAY = 86400
ACCOUNT_LABELS = (*CHAIN_LABELS, "account", "purpose")
# The promtool recipes: a sample every 5 minutes (the spend window is hours long; a minute's
# step would make promtool evaluate the whole rule file ~1000 times per case), spending one
# native unit a minute (1440 a day) as a straight counter.
RECIPE_DAY_SPEND = 1440.0


def _recipe_step(for_: str) -> float:
    """5 minutes, or the longest of 1 minute / 15 s that divides ``for:`` (a blip must fit in it);
    a ``for:`` none divides (10s, 45s) is its own step."""
    return next((step for step in (300.0, 60.0, 15.0) if seconds(for_) % step == 0), seconds(for_))


def _selector(c: Ctx, name: str, account) -> str:
    return selector(name, c.name, account=account.name)


def runway_expr(c: Ctx, account, window: str | None = None) -> str:
    """Seconds of runway of ``account`` (no series while it is not spending)."""
    window = window or c.t.account_spend_window
    balance = f"max by ({by(ACCOUNT_LABELS)}) ({_selector(c, 'chainwatch_account_balance', account)})"
    spend = f"max by ({by(ACCOUNT_LABELS)}) (rate({_selector(c, 'chainwatch_account_spent_total', account)}[{window}]))"
    return f"{balance} / ({spend} > 0)"


def _owner(c: Ctx, account) -> str:
    return account.team or c.chain.team


def _labels(c: Ctx, account) -> dict[str, str]:
    return {**c.chain_labels, "account": account.name, "purpose": account.purpose}


def _runway_days(c: Ctx, severity: str) -> float:
    return c.t.account_runway_days_warning if severity == "warning" else c.t.account_runway_days_critical


def _half_second_off(days: float) -> float:
    """``days`` moved to the middle of a second from a minute up: the page prints whole seconds
    there (truncated), and promtool's balance / rate may land a hair below the exact number."""
    return (int(days * DAY) + 0.5) / DAY if days * DAY >= 60 else days


def _series(c: Ctx, account, healthy_days: float, fault_days: float, step: float) -> list[Series]:
    labels = {**_labels(c, account), "team": _owner(c, account)}
    return [
        Series("chainwatch_account_balance", labels, healthy_days * RECIPE_DAY_SPEND, fault_days * RECIPE_DAY_SPEND),
        Series("chainwatch_account_spent_total", labels, step / 60, step / 60, "counter", start=1000),
    ]


def _build_runway(spec: AlertSpec, c: Ctx) -> list[Alert]:
    out: list[Alert] = []
    warn, crit = c.t.account_runway_days_warning, c.t.account_runway_days_critical
    window = seconds(c.t.account_spend_window)
    for account in c.chain.accounts:
        rules = {}
        for severity in spec.severities:
            days = _runway_days(c, severity)
            expr = f"{runway_expr(c, account)} < {fmt(days * DAY)}"
            if severity == "warning":
                # The band between the lines only: a runway that drops straight below the critical
                # line (a drain, a spend spike) would otherwise fire both in one evaluation, and
                # Alertmanager's inhibition can lose that race and send the warning too
                # (prometheus/alertmanager#2229): one notification per account, not two.
                expr += f" unless {runway_expr(c, account)} < {fmt(crit * DAY)}"
            rules[severity] = Alert(
                spec.name,
                severity,
                c.name,
                _owner(c, account),
                spec.scope,
                expr,
                c.d.account_runway,
                "Account {account} on {chain} runs out in {value:duration}",
                f"The {account.purpose} account {{account}} on {{chain}}/{{network}} has {{value:duration}} left at its spend rate over the last "
                f"{c.t.account_spend_window} (threshold {humanize_duration(days * DAY)}): top it up before it cannot pay for its transactions.",
                _dashboard(c),
                extra_labels={"account": account.name},
            )
        labels = _labels(c, account)
        # Fault runways clear of both thresholds: the warning's between them, the critical's below.
        mid = _half_second_off((warn + crit) / 2)
        low = _half_second_off(crit / 2)
        healthy = _healthy_balance(c, account) / RECIPE_DAY_SPEND
        step = _recipe_step(c.d.account_runway)
        rules["warning"].recipes = [
            Recipe(_series(c, account, healthy, mid, step), mid * DAY, labels, window=window, step=step, note="spend outpaces the balance")
        ]
        rules["critical"].recipes = [
            Recipe(_series(c, account, healthy, low, step), low * DAY, labels, window=window, step=step, note="balance about to run out")
        ]
        for alert in rules.values():
            alert.resolve_within = 120.0
        out += rules.values()
    return out


def _healthy_balance(c: Ctx, account) -> float:
    """The balance of a healthy account in every recipe of its alerts (the page audit's healthy run
    puts all of them together): above the minimum, and a runway far above the warning even at
    the fastest step's spend."""
    return max(2 * (account.minimum or 0), 10 * c.t.account_runway_days_warning * RECIPE_DAY_SPEND)


def _build_minimum(spec: AlertSpec, c: Ctx) -> list[Alert]:
    out: list[Alert] = []
    for account in c.chain.accounts:
        if not account.minimum:
            continue
        alert = Alert(
            spec.name,
            "critical",
            c.name,
            _owner(c, account),
            spec.scope,
            f"max by ({by(ACCOUNT_LABELS)}) ({_selector(c, 'chainwatch_account_balance', account)}) < {fmt(account.minimum)}",
            c.d.account_minimum,
            "Account {account} on {chain} is below its minimum balance",
            f"The {account.purpose} account {{account}} on {{chain}}/{{network}} holds {{value:humanize}}, below its configured minimum of "
            f"{fmt(account.minimum)}: top it up now.",
            _dashboard(c),
            extra_labels={"account": account.name},
        )
        labels = {**_labels(c, account), "team": _owner(c, account)}
        alert.recipes = [
            Recipe(
                [
                    Series("chainwatch_account_balance", labels, _healthy_balance(c, account), account.minimum / 2),
                    # The account keeps spending (the exporter counts it): its runway drops too, and
                    # ChainwatchAccountRunwayLow, which this alert inhibits, fires beside it.
                    Series("chainwatch_account_spent_total", labels, 1, 1, "counter", start=1000),
                ],
                account.minimum / 2,
                _labels(c, account),
                note="balance below the minimum",
                lasts=seconds(c.d.account_runway) + 60,
            )
        ]
        out.append(alert)
    return out


def _build_unreadable(spec: AlertSpec, c: Ctx) -> list[Alert]:
    """One rule per chain: how many of its accounts went unread (one ticket, not one per account)."""
    if not c.chain.accounts:
        return []
    read = f"max by ({by(ACCOUNT_LABELS)}) ({selector('chainwatch_account_read_success', c.name)})"
    alert = Alert(
        spec.name,
        "warning",
        c.name,
        c.chain.team,
        spec.scope,
        f"count by ({by(CHAIN_LABELS)}) ({read} == 0)",
        c.d.account_unreadable,
        "Account balances on {chain} cannot be read",
        "{value:%.0f} of the configured accounts of {chain}/{network} have not been read for "
        + c.d.account_unreadable
        + ": their balance, runway and minimum alerts are blind. chainwatch_account_read_success == 0 names them; the exporter's log line "
        "'account balances round failed' says why (no endpoint answered, or the node refused the account's balance call).",
        _dashboard(c),
    )
    first, *others = c.chain.accounts
    series = [Series("chainwatch_account_read_success", {**_labels(c, first), "team": _owner(c, first)}, 1, 0)]
    series += [Series("chainwatch_account_read_success", {**_labels(c, a), "team": _owner(c, a)}, 1, 1) for a in others]
    alert.recipes = [Recipe(series, 1, dict(c.chain_labels), step=_recipe_step(c.d.account_unreadable), note="an account unread")]
    return [alert]


def _dashboard(c: Ctx) -> str:
    return dashboard_for("chain", c.name)


# The minimum is the page now; the runway of the same account says the same thing earlier.
BELOW_MINIMUM = Inhibition("ChainwatchAccountBalanceLow", ("chain", "account"), "An account below its minimum pages once: its runway is the same incident.")

ACCOUNT_ALERTS: tuple[AlertSpec, ...] = (
    AlertSpec(
        "ChainwatchAccountUnreadable",
        "chain",
        ("warning",),
        needs="accounts",
        value="{value:%.0f} accounts unread",
        ahead=True,  # the balance is unknown, not the chain failing: explains no SLO burn
        build=_build_unreadable,
    ),
    AlertSpec(
        "ChainwatchAccountBalanceLow",
        "chain",
        ("critical",),
        needs="accounts",
        value="{value:humanize} left",
        ahead=True,  # a low balance is no failure of the chain's endpoints: it explains no SLO burn
        build=_build_minimum,
    ),
    AlertSpec(
        "ChainwatchAccountRunwayLow",
        "chain",
        ("warning", "critical"),
        needs="accounts",
        value="{value:duration} of runway",
        ahead=True,  # an account running out ahead, no failure now: explains no SLO burn
        inhibited_by=(BELOW_MINIMUM,),
        build=_build_runway,
    ),
)
