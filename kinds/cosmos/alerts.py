"""The cosmos kind's own alerts: validator signing, time until jail, jailed, tombstoned.

One :class:`~chainwatch.core.alertkit.AlertSpec` each; runbooks in ``runbooks/<AlertName>.md``.
Lag, head age, chain halt (no reference advanced: one page per chain), wrong chain, peers,
latency, RPC errors and the validator monitor's health are the shared alerts. A chain halt
makes no blocks, so it adds no miss: none of these fires on a halt (kinds/cosmos/monitor.py).

Defaults (``thresholds`` of the chain):

- ``cosmos_consecutive_misses`` (10 blocks, about a minute at 6 s): a validator missing that
  many blocks in a row is offline — critical;
- ``cosmos_solo_miss_ratio`` (5 %) over ``cosmos_miss_ratio_window`` (1h): the group misses
  blocks the rest of the network signed — warning;
- ``cosmos_jail_headroom_warning_hours`` (6 h) / ``_critical_hours`` (2 h): time until
  x/slashing jails the group's closest validator if it misses every coming block;
- jailed, tombstoned: critical as soon as the monitor sees them.
"""

from __future__ import annotations

from chainwatch.core.alertkit import GROUP_LABELS, AlertSpec, Ctx, Inhibition, Quiet, Recipe, Series, by, fmt, seconds, step
from chainwatch.core.generated import number

# x/slashing jails a double-signing validator forever as it tombstones it (HandleEquivocationEvidence):
# the monitor then reports it jailed and tombstoned, one incident.
TOMBSTONED_INHIBITS_JAILED = Inhibition(
    "ChainwatchCosmosValidatorTombstoned",
    ("chain", "group"),
    "A tombstoned validator is jailed for good too: its tombstone page says so, a jailed page (unjail advice) would repeat it wrongly.",
)


def _has_groups(c: Ctx) -> bool:
    return bool(c.groups)


def _group(c: Ctx, metric: str, agg: str = "max") -> str:
    return f"{agg} by ({by(GROUP_LABELS)}) ({c.csel(metric)})"


def _headroom(c: Ctx) -> float:
    """The configured time-to-jail threshold, scaled when the chain's slashing params make it
    impossible (kinds/cosmos/config.py ``jail_threshold``; reported as a config warning)."""
    return number(c.chain.jail_threshold(c.severity))


MISSED = "chainwatch_cosmos_validator_signing_window_missed_blocks"


def _jail_expr(c: Ctx) -> str:
    """Time to jail below the threshold *and* a miss in the window: with zero misses the time to
    jail is the whole headroom, which on a chain with a short window or a low min_signed can be
    below any threshold; a validator that misses nothing is never close to jail."""
    return f"{_group(c, 'chainwatch_cosmos_validator_time_until_jail_seconds', 'min')} < {fmt(c.threshold)} and on ({by(GROUP_LABELS)}) {_group(c, MISSED)} > 0"


def _jail_quiet(c: Ctx) -> list[Quiet]:
    """A chain whose whole headroom is below the threshold, and no missed block: silent."""
    return [
        Quiet(
            "the whole jail headroom below the threshold, zero missed blocks",
            [("chainwatch_cosmos_validator_time_until_jail_seconds", c.group_labels, [number(c.threshold / 2)] * 20), (MISSED, c.group_labels, [0.0] * 20)],
        )
    ]


def _solo_ratio_expr(c: Ctx) -> str:
    w = c.chain_thresholds.cosmos_miss_ratio_window
    g = by(GROUP_LABELS)
    solo = f"sum by ({g}) (increase({c.csel('chainwatch_cosmos_validator_solo_missed_blocks_total')}[{w}]))"
    checked = f"sum by ({g}) (increase({c.csel('chainwatch_cosmos_validator_blocks_checked_total')}[{w}]))"
    return f"{solo} / ({checked} > 0) > {fmt(c.threshold)}"


def _solo_ratio_test(c: Ctx) -> list[Recipe]:
    g = c.group_labels
    return [
        Recipe(
            [
                Series("chainwatch_cosmos_validator_blocks_checked_total", g, 10, 10, "counter"),
                Series("chainwatch_cosmos_validator_solo_missed_blocks_total", g, 0, 5, "counter"),
            ],
            0.5,
            g,
            window=seconds(c.chain_thresholds.cosmos_miss_ratio_window),
            note="half the blocks missed",
        )
    ]


def _jail_test(c: Ctx) -> list[Recipe]:
    g = c.group_labels
    warn, crit = c.thresholds["warning"], c.thresholds["critical"]
    healthy = number(warn * 2)
    series = "chainwatch_cosmos_validator_time_until_jail_seconds"
    if c.severity == "warning":
        mid = number((warn + crit) / 2)
        return [Recipe([Series(series, g, healthy, mid), Series(MISSED, g, 0, 50)], mid, g, note="signing window filling up")]
    low = number(crit / 2)
    return [Recipe([Series(series, g, healthy, low), Series(MISSED, g, 0, 200)], low, g, companions=[c.rules["warning"]], note="jail near")]


ALERTS: tuple[AlertSpec, ...] = (
    AlertSpec(
        "ChainwatchCosmosValidatorMissingBlocks",
        "group",
        ("critical",),
        when=_has_groups,
        threshold=lambda c: c.chain_thresholds.cosmos_consecutive_misses,
        expr=lambda c: f"{_group(c, 'chainwatch_cosmos_validator_consecutive_missed_blocks')} >= {c.threshold}",
        for_=lambda c: c.durations.cosmos_signing,
        summary="A validator of group {group} on {chain} missed {value:%.0f} blocks in a row",
        description=lambda c: (
            "At least one validator of group {group} on {chain}/{network} has not signed the last {value:%.0f} blocks (threshold "
            + str(c.threshold)
            + "): its signer is down, cannot reach its node, or its node is not in consensus."
        ),
        value="{value:%.0f} in a row",
        test=step("chainwatch_cosmos_validator_consecutive_missed_blocks", 0, lambda c: c.threshold + 2, "validator stopped signing"),
    ),
    AlertSpec(
        "ChainwatchCosmosValidatorSoloMissRatioHigh",
        "group",
        ("warning",),
        when=_has_groups,
        threshold=lambda c: c.chain_thresholds.cosmos_solo_miss_ratio,
        expr=_solo_ratio_expr,
        for_=lambda c: c.durations.cosmos_miss_ratio,
        summary="Group {group} on {chain} missed {value:pct} of blocks the network signed",
        description=lambda c: (
            "Validators of group {group} on {chain}/{network} missed {value:pct} of their blocks over the last "
            + c.chain_thresholds.cosmos_miss_ratio_window
            + " while more than 2/3 of the voting power signed them (threshold "
            + f"{c.threshold:.0%}"
            + "): the misses are theirs, not the network's."
        ),
        value="{value:pct} missed",
        test=_solo_ratio_test,
        resolves=lambda c: seconds(c.chain_thresholds.cosmos_miss_ratio_window) + 120,
    ),
    AlertSpec(
        "ChainwatchCosmosValidatorCloseToJail",
        "group",
        ("warning", "critical"),
        when=_has_groups,
        threshold=_headroom,
        expr=_jail_expr,
        for_=lambda c: c.durations.cosmos_jail,
        summary="A validator of group {group} on {chain} is {value:%.0f}s of missed blocks from jail",
        description=lambda c: (
            "If it keeps missing every block, x/slashing jails a validator of group {group} on {chain}/{network} in {value:%.0f}s "
            + f"(threshold {fmt(c.threshold)}s): its signing window holds too many misses. Jailing unbonds its stake and slashes it for downtime."
        ),
        value="jail in {value:%.0f}s",
        test=_jail_test,
        quiet=_jail_quiet,
    ),
    AlertSpec(
        "ChainwatchCosmosValidatorJailed",
        "group",
        ("critical",),
        when=_has_groups,
        expr=lambda c: f"{_group(c, 'chainwatch_cosmos_validator_jailed')} > 0",
        for_=lambda c: c.durations.cosmos_signing,
        summary="{value:%.0f} validator(s) of group {group} on {chain} are jailed",
        description="{value:%.0f} watched validator(s) of group {group} on {chain}/{network} are jailed: out of the validator set, earning nothing, "
        "stake slashed for downtime. Fix the signer, then send MsgUnjail once the jail period is over.",
        value="{value:%.0f} jailed",
        test=step("chainwatch_cosmos_validator_jailed", 0, 1, "validator jailed"),
        inhibited_by=(TOMBSTONED_INHIBITS_JAILED,),
    ),
    AlertSpec(
        "ChainwatchCosmosValidatorTombstoned",
        "group",
        ("critical",),
        when=_has_groups,
        expr=lambda c: f"{_group(c, 'chainwatch_cosmos_validator_tombstoned')} > 0",
        for_=lambda c: c.durations.cosmos_signing,
        summary="{value:%.0f} validator(s) of group {group} on {chain} are tombstoned",
        description="{value:%.0f} watched validator(s) of group {group} on {chain}/{network} are tombstoned after a double sign: slashed and "
        "never able to unjail. Stop every signer holding that key now; a second signer with the same key is the usual cause.",
        value="{value:%.0f} tombstoned",
        # As the monitor reports a double sign: tombstoned and jailed (ChainwatchCosmosValidatorJailed is inhibited).
        test=lambda c: [
            Recipe(
                [Series("chainwatch_cosmos_validator_tombstoned", c.group_labels, 0, 1), Series("chainwatch_cosmos_validator_jailed", c.group_labels, 0, 1)],
                1,
                c.group_labels,
                note="validator tombstoned",
            )
        ],
    ),
)
