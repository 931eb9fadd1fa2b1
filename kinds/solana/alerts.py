"""The Solana kind's own alerts: cluster halt, a node's own health, vote accounts."""

from __future__ import annotations

import math

from chainwatch.core.generated import number
from chainwatch.rules.alerts import Ctx, _halt_expr, _halt_recipe
from chainwatch.rules.common import CHAIN_LABELS, GROUP_LABELS, Alert, Recipe, Series, by, duration, fmt, seconds

# Skip rate is noise until the epoch has given the group a few leader rotations (4 slots each).
SOLANA_MIN_LEADER_SLOTS = 16


def solana_cluster_halted(c: Ctx) -> list[Alert]:
    limit = c.chain.chain_halt_seconds
    a = c.alert(
        "ChainwatchSolanaClusterHalted", "critical", _halt_expr(c, limit), c.d.chain_halt,
        "Solana cluster {chain} has confirmed no slot for {value:%.0f}s",
        "No reference of {chain}/{network} has confirmed a new slot for {value:%.0f}s (threshold " + fmt(limit)
        + "s): the cluster is halted. Per-node lag alerts are symptoms.",
    )
    a.recipes = [_halt_recipe(c, limit)]
    return [a]


def solana_behind(c: Ctx) -> list[Alert]:
    limit = c.t.solana_behind_slots
    a = c.alert(
        "ChainwatchSolanaNodeBehind", "warning",
        f"{c.sel('chainwatch_solana_health_behind_slots')} > {limit}", c.d.solana,
        "{endpoint} on {chain} reports itself {value:%.0f} slots behind",
        "getHealth of {endpoint} ({role}) on {chain}/{network} says it is {value:%.0f} slots behind the cluster (threshold "
        + str(limit) + ").",
    )
    e = c.endpoint_labels
    a.recipes = [Recipe([Series("chainwatch_solana_health_behind_slots", e, limit, limit * 3)], limit * 3, e, note="node behind")]
    return [a]


def solana_delinquent(c: Ctx) -> list[Alert]:
    if not c.groups:
        return []
    lag = c.t.solana_vote_lag_slots
    vote_lag = f"max by ({by(GROUP_LABELS)}) ({c.csel('chainwatch_solana_vote_lag_slots')})"
    a = c.alert(
        "ChainwatchSolanaVoteDelinquent", "critical",
        f"{vote_lag} and on ({by(GROUP_LABELS)}) (max by ({by(GROUP_LABELS)}) ({c.csel('chainwatch_solana_validators_delinquent')}) > 0"
        f" or on ({by(GROUP_LABELS)}) {vote_lag} > {lag})",
        c.d.solana,
        "Vote account(s) of group {group} on {chain} are delinquent",
        "A watched vote account of group {group} on {chain}/{network} is delinquent or its last vote is more than " + str(lag)
        + " slots behind the cluster (worst vote lag now {value:%.0f} slots): it earns no rewards.",
    )
    g = c.group_labels
    a.recipes = [Recipe([
        Series("chainwatch_solana_vote_lag_slots", g, 2, lag * 2),
        Series("chainwatch_solana_validators_delinquent", g, 0, 1),
    ], lag * 2, g, note="validator stopped voting")]
    return [a]


def solana_skip(c: Ctx) -> list[Alert]:
    if not c.groups:
        return []
    limit = c.t.solana_skip_ratio
    a = c.alert(
        "ChainwatchSolanaSkipRateHigh", "warning",
        f"max by ({by(GROUP_LABELS)}) ({c.csel('chainwatch_solana_skip_ratio')}) > {fmt(limit)}"
        f" and on ({by(GROUP_LABELS)}) max by ({by(GROUP_LABELS)}) ({c.csel('chainwatch_solana_leader_slots')}) >= {SOLANA_MIN_LEADER_SLOTS}",
        c.d.solana,
        "Group {group} on {chain} skips {value:pct} of its leader slots",
        "Validators of group {group} on {chain}/{network} skipped {value:pct} of their leader slots this epoch (threshold "
        + f"{limit:.0%}" + ").",
    )
    g = c.group_labels
    a.recipes = [Recipe([
        Series("chainwatch_solana_skip_ratio", g, limit, 0.5),
        Series("chainwatch_solana_leader_slots", g, 40, 40),
    ], 0.5, g, note="half the leader slots skipped")]
    return [a]


BUILDERS = (solana_cluster_halted, solana_behind, solana_delinquent, solana_skip)
