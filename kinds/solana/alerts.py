"""The Solana kind's own alerts: cluster halt, a node's own health, vote accounts.

One :class:`~chainwatch.core.alertkit.AlertSpec` each; runbooks in ``runbooks/<AlertName>.md``.
"""

from __future__ import annotations

from chainwatch.core.alertkit import GROUP_LABELS, SYMPTOM, AlertSpec, Ctx, Quiet, Recipe, Series, above, by, fmt, seconds, step, unless_measured_at_head
from chainwatch.core.alerts import SHORT, halt_expr, halt_test

# Skip rate is noise until the window has given the group a few leader rotations (4 slots
# each): 1 skipped of 2 is not 50%.
SOLANA_MIN_LEADER_SLOTS = 16
# SkipRateHigh's long window (the rate that pages) and the test step, whose short window
# (core.alerts.SHORT) then holds three samples.
SKIP_WINDOW = "1h"
SKIP_STEP = 30.0
PASSED = "chainwatch_solana_leader_slots_passed_total"
SKIPPED = "chainwatch_solana_leader_slots_skipped_total"


def _has_groups(c: Ctx) -> bool:
    return bool(c.groups)


def _delinquent_expr(c: Ctx) -> str:
    g = by(GROUP_LABELS)
    vote_lag = f"max by ({g}) ({c.csel('chainwatch_solana_vote_lag_slots')})"
    return f"{vote_lag} and on ({g}) (max by ({g}) ({c.csel('chainwatch_solana_validators_delinquent')}) > 0 or on ({g}) {vote_lag} > {c.threshold})"


def _increase(c: Ctx, name: str, window: str) -> str:
    """The group's increase over ``window`` (one exporter replica's: every replica counts the same slots)."""
    return f"max by ({by(GROUP_LABELS)}) (increase({c.csel(name)}[{window}]))"


def _skip_expr(c: Ctx) -> str:
    """Skipped / leader slots over SKIP_WINDOW above the threshold, with at least
    SOLANA_MIN_LEADER_SLOTS leader slots in it, and over SHORT too (the multi-window rule of
    issue #15: it resolves within SHORT of the group producing again, and cannot open after).
    A group that had no leader slot in the last SHORT keeps the state it had (pending or firing
    stays, nothing new opens): a validator with a leader rotation every few minutes must not
    flap between its rotations, and says nothing new until it leads again."""
    g, r = by(GROUP_LABELS), fmt(c.threshold)
    state = c.csel("ALERTS", alertname="ChainwatchSolanaSkipRateHigh")
    return (
        f"{_increase(c, SKIPPED, SKIP_WINDOW)} / {_increase(c, PASSED, SKIP_WINDOW)} > {r}"
        f" and on ({g}) {_increase(c, PASSED, SKIP_WINDOW)} >= {SOLANA_MIN_LEADER_SLOTS}"
        f" and on ({g}) ({_increase(c, SKIPPED, SHORT)} / {_increase(c, PASSED, SHORT)} > {r}"
        f" or on ({g}) ({_increase(c, PASSED, SHORT)} == 0 and on ({g}) max by ({g}) ({state})))"
    )


def _skip_test(c: Ctx) -> list[Recipe]:
    """8 leader slots a step (16 a minute, a large validator), none skipped; the fault skips half."""
    return [
        Recipe(
            [Series(PASSED, c.group_labels, 8, 8, "counter"), Series(SKIPPED, c.group_labels, 0, 4, "counter")],
            0.5,
            c.group_labels,
            window=seconds(SKIP_WINDOW),
            step=SKIP_STEP,
            note="half the leader slots skipped",
        )
    ]


def _skip_quiet(c: Ctx) -> list[Quiet]:
    """A small validator leads 2 slots twice in the hour and skips one each time: 50% of 4 slots
    is below the minimum of leader slots, not a skip rate."""
    passed, skipped, p, k = [], [], 0, 0
    for i in range(75):
        if i in (20, 50):
            p, k = p + 2, k + 1
        passed.append(float(p))
        skipped.append(float(k))
    return [
        Quiet(
            "1 of 2 leader slots skipped, twice in the hour (below the minimum of leader slots)",
            [(PASSED, c.group_labels, passed), (SKIPPED, c.group_labels, skipped)],
        )
    ]


ALERTS: tuple[AlertSpec, ...] = (
    AlertSpec(
        "ChainwatchSolanaClusterHalted",
        "chain",
        ("critical",),
        chain_wide=True,
        threshold=lambda c: c.chain.chain_halt_seconds,
        expr=halt_expr,
        for_=lambda c: c.durations.chain_halt,
        summary="Solana cluster {chain} has confirmed no slot for {value:%.0f}s",
        description=lambda c: (
            "No reference of {chain}/{network} has confirmed a new slot for {value:%.0f}s (threshold "
            + fmt(c.threshold)
            + "s): the cluster is halted. Per-node lag alerts are symptoms."
        ),
        value="{value:%.0f}s",
        test=halt_test,
    ),
    AlertSpec(
        "ChainwatchSolanaNodeBehind",
        "endpoint",
        ("warning",),
        threshold=lambda c: c.chain_thresholds.solana_behind_slots,
        expr=lambda c: above("chainwatch_solana_health_behind_slots")(c) + unless_measured_at_head(c),
        for_=lambda c: c.durations.solana,
        summary="{endpoint} on {chain} reports itself {value:%.0f} slots behind",
        description=lambda c: (
            "getHealth of {endpoint} ({role}) on {chain}/{network} says it is {value:%.0f} slots behind the cluster (threshold "
            + str(c.threshold)
            + "), and its lag measured against the references does not show it at the head (or the chain has no references)."
        ),
        value="{value:%.0f} slots",
        test=step("chainwatch_solana_health_behind_slots", lambda c: c.threshold, lambda c: c.threshold * 3, "node behind"),
        inhibited_by=SYMPTOM,
    ),
    AlertSpec(
        "ChainwatchSolanaVoteDelinquent",
        "group",
        ("critical",),
        when=_has_groups,
        threshold=lambda c: c.chain_thresholds.solana_vote_lag_slots,
        expr=_delinquent_expr,
        for_=lambda c: c.durations.solana,
        summary="Vote account(s) of group {group} on {chain} are delinquent",
        description=lambda c: (
            "A watched vote account of group {group} on {chain}/{network} is delinquent or its last vote is more than "
            + str(c.threshold)
            + " slots behind the cluster (worst vote lag now {value:%.0f} slots): it earns no rewards."
        ),
        value="vote lag {value:%.0f} slots",
        test=lambda c: [
            Recipe(
                [
                    Series("chainwatch_solana_vote_lag_slots", c.group_labels, 2, c.threshold * 2),
                    Series("chainwatch_solana_validators_delinquent", c.group_labels, 0, 1),
                ],
                c.threshold * 2,
                c.group_labels,
                note="validator stopped voting",
            )
        ],
    ),
    AlertSpec(
        "ChainwatchSolanaSkipRateHigh",
        "group",
        ("warning",),
        when=_has_groups,
        threshold=lambda c: c.chain_thresholds.solana_skip_ratio,
        expr=_skip_expr,
        for_=lambda c: c.durations.solana,
        summary="Group {group} on {chain} skips {value:pct} of its leader slots",
        description=lambda c: (
            "Validators of group {group} on {chain}/{network} skipped {value:pct} of their leader slots over the last "
            + SKIP_WINDOW
            + " (threshold "
            + f"{c.threshold:.0%}"
            + ", with at least "
            + str(SOLANA_MIN_LEADER_SLOTS)
            + " leader slots in it), and more than that in the last "
            + SHORT
            + ": they are still skipping."
        ),
        value="{value:pct} skipped",
        test=_skip_test,
        quiet=_skip_quiet,
    ),
)
