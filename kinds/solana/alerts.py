"""The Solana kind's own alerts: cluster halt, a node's own health, vote accounts.

One :class:`~chainwatch.core.alertkit.AlertSpec` each; runbooks in ``runbooks/<AlertName>.md``.
"""

from __future__ import annotations

from chainwatch.core.alertkit import GROUP_LABELS, SYMPTOM, AlertSpec, Ctx, Recipe, Series, above, by, fmt, step
from chainwatch.core.alerts import halt_expr, halt_test

# Skip rate is noise until the epoch has given the group a few leader rotations (4 slots each).
SOLANA_MIN_LEADER_SLOTS = 16


def _has_groups(c: Ctx) -> bool:
    return bool(c.groups)


def _delinquent_expr(c: Ctx) -> str:
    g = by(GROUP_LABELS)
    vote_lag = f"max by ({g}) ({c.csel('chainwatch_solana_vote_lag_slots')})"
    return f"{vote_lag} and on ({g}) (max by ({g}) ({c.csel('chainwatch_solana_validators_delinquent')}) > 0 or on ({g}) {vote_lag} > {c.threshold})"


ALERTS: tuple[AlertSpec, ...] = (
    AlertSpec(
        "ChainwatchSolanaClusterHalted",
        "chain",
        ("critical",),
        chain_wide=True,
        threshold=lambda c: c.chain.chain_halt_seconds,
        expr=halt_expr,
        for_=lambda c: c.d.chain_halt,
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
        threshold=lambda c: c.t.solana_behind_slots,
        expr=above("chainwatch_solana_health_behind_slots"),
        for_=lambda c: c.d.solana,
        summary="{endpoint} on {chain} reports itself {value:%.0f} slots behind",
        description=lambda c: (
            "getHealth of {endpoint} ({role}) on {chain}/{network} says it is {value:%.0f} slots behind the cluster (threshold " + str(c.threshold) + ")."
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
        threshold=lambda c: c.t.solana_vote_lag_slots,
        expr=_delinquent_expr,
        for_=lambda c: c.d.solana,
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
        threshold=lambda c: c.t.solana_skip_ratio,
        expr=lambda c: (
            f"max by ({by(GROUP_LABELS)}) ({c.csel('chainwatch_solana_skip_ratio')}) > {fmt(c.threshold)}"
            f" and on ({by(GROUP_LABELS)}) max by ({by(GROUP_LABELS)}) ({c.csel('chainwatch_solana_leader_slots')}) >= {SOLANA_MIN_LEADER_SLOTS}"
        ),
        for_=lambda c: c.d.solana,
        summary="Group {group} on {chain} skips {value:pct} of its leader slots",
        description=lambda c: (
            "Validators of group {group} on {chain}/{network} skipped {value:pct} of their leader slots this epoch (threshold " + f"{c.threshold:.0%}" + ")."
        ),
        value="{value:pct} skipped",
        test=lambda c: [
            Recipe(
                [
                    Series("chainwatch_solana_skip_ratio", c.group_labels, c.threshold, 0.5),
                    Series("chainwatch_solana_leader_slots", c.group_labels, 40, 40),
                ],
                0.5,
                c.group_labels,
                note="half the leader slots skipped",
            )
        ],
    ),
)
