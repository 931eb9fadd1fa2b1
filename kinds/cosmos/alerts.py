"""The cosmos kind's own alerts: validator signing, time until jail, jailed, tombstoned, monitor.

Lag, head age, chain halt (no reference advanced: one page per chain), wrong chain, peers,
latency and RPC errors are the shared alerts. A chain halt makes no blocks, so it adds no
miss: none of these fires on a halt (see kinds/cosmos/monitor.py).

Defaults (``thresholds`` of the chain):

- ``cosmos_consecutive_misses`` (10 blocks, about a minute at 6 s): a validator missing that
  many blocks in a row is offline — critical;
- ``cosmos_solo_miss_ratio`` (5 %) over ``cosmos_miss_ratio_window`` (1h): the group misses
  blocks the rest of the network signed — warning;
- ``cosmos_jail_headroom_critical_hours`` (2 h) / ``_warning_hours`` (6 h): time until
  x/slashing jails the closest validator of the group if it misses every coming block;
- jailed, tombstoned: critical as soon as the monitor sees them.
"""

from __future__ import annotations

from chainwatch.core.generated import number
from chainwatch.rules.alerts import Ctx
from chainwatch.rules.common import CHAIN_LABELS, GROUP_LABELS, Alert, Recipe, Series, by, fmt, seconds

# The monitor reads every block; it is stuck after this many block times (and never sooner than 2 min).
MONITOR_STUCK_BLOCKS = 10
MONITOR_STUCK_MIN_SECONDS = 120


def _group(c: Ctx, metric: str, agg: str = "max") -> str:
    return f"{agg} by ({by(GROUP_LABELS)}) ({c.csel(metric)})"


def missing_blocks(c: Ctx) -> list[Alert]:
    if not c.groups:
        return []
    n = c.t.cosmos_consecutive_misses
    a = c.alert(
        "ChainwatchCosmosValidatorMissingBlocks", "critical",
        f"{_group(c, 'chainwatch_cosmos_validator_consecutive_missed_blocks')} >= {n}", c.d.cosmos_signing,
        "A validator of group {group} on {chain} missed {value:%.0f} blocks in a row",
        "At least one validator of group {group} on {chain}/{network} has not signed the last {value:%.0f} blocks (threshold "
        + str(n) + "): its signer is down, cannot reach its node, or its node is not in consensus.",
    )
    a.recipes = [Recipe([Series("chainwatch_cosmos_validator_consecutive_missed_blocks", c.group_labels, 0, n + 2)], n + 2, c.group_labels,
                        note="validator stopped signing")]
    return [a]


def solo_miss_ratio(c: Ctx) -> list[Alert]:
    if not c.groups:
        return []
    limit = c.t.cosmos_solo_miss_ratio
    w = c.t.cosmos_miss_ratio_window
    solo = f"sum by ({by(GROUP_LABELS)}) (increase({c.csel('chainwatch_cosmos_validator_solo_missed_blocks_total')}[{w}]))"
    checked = f"sum by ({by(GROUP_LABELS)}) (increase({c.csel('chainwatch_cosmos_validator_blocks_checked_total')}[{w}]))"
    a = c.alert(
        "ChainwatchCosmosValidatorSoloMissRatioHigh", "warning",
        f"{solo} / ({checked} > 0) > {fmt(limit)}", c.d.cosmos_miss_ratio,
        "Group {group} on {chain} missed {value:pct} of blocks the network signed",
        "Validators of group {group} on {chain}/{network} missed {value:pct} of their blocks over the last " + w
        + " while more than 2/3 of the voting power signed them (threshold " + f"{limit:.0%}" + "): the misses are theirs, not the network's.",
    )
    g = c.group_labels
    a.recipes = [Recipe([
        Series("chainwatch_cosmos_validator_blocks_checked_total", g, 10, 10, "counter"),
        Series("chainwatch_cosmos_validator_solo_missed_blocks_total", g, 0, 5, "counter"),
    ], 0.5, g, window=seconds(w), note="half the blocks missed")]
    return [a]


def close_to_jail(c: Ctx) -> list[Alert]:
    if not c.groups:
        return []
    rules = {}
    left = _group(c, "chainwatch_cosmos_validator_time_until_jail_seconds", "min")
    for level, hours in (("warning", c.t.cosmos_jail_headroom_warning_hours), ("critical", c.t.cosmos_jail_headroom_critical_hours)):
        limit = number(hours * 3600)
        rules[level] = c.alert(
            "ChainwatchCosmosValidatorCloseToJail", level,
            f"{left} < {fmt(limit)}", c.d.cosmos_jail,
            "A validator of group {group} on {chain} is {value:%.0f}s of missed blocks from jail",
            "If it keeps missing every block, x/slashing jails a validator of group {group} on {chain}/{network} in {value:%.0f}s "
            + f"(threshold {fmt(hours)} h): its signing window holds too many misses. Jailing unbonds its stake and slashes it for downtime.",
        )
    g = c.group_labels
    warn, crit = rules["warning"], rules["critical"]
    wlimit = c.t.cosmos_jail_headroom_warning_hours * 3600
    climit = c.t.cosmos_jail_headroom_critical_hours * 3600
    healthy = number(wlimit * 2)
    mid = number((wlimit + climit) / 2)
    low = number(climit / 2)
    warn.recipes = [Recipe([Series("chainwatch_cosmos_validator_time_until_jail_seconds", g, healthy, mid)], mid, g, note="signing window filling up")]
    crit.recipes = [Recipe([Series("chainwatch_cosmos_validator_time_until_jail_seconds", g, healthy, low)], low, g, companions=[warn], note="jail near")]
    return [warn, crit]


def jailed(c: Ctx) -> list[Alert]:
    if not c.groups:
        return []
    a = c.alert(
        "ChainwatchCosmosValidatorJailed", "critical",
        f"{_group(c, 'chainwatch_cosmos_validator_jailed')} > 0", c.d.cosmos_signing,
        "{value:%.0f} validator(s) of group {group} on {chain} are jailed",
        "{value:%.0f} watched validator(s) of group {group} on {chain}/{network} are jailed: out of the validator set, earning nothing, "
        "stake slashed for downtime. Fix the signer, then send MsgUnjail once the jail period is over.",
    )
    a.recipes = [Recipe([Series("chainwatch_cosmos_validator_jailed", c.group_labels, 0, 1)], 1, c.group_labels, note="validator jailed")]
    return [a]


def tombstoned(c: Ctx) -> list[Alert]:
    if not c.groups:
        return []
    a = c.alert(
        "ChainwatchCosmosValidatorTombstoned", "critical",
        f"{_group(c, 'chainwatch_cosmos_validator_tombstoned')} > 0", c.d.cosmos_signing,
        "{value:%.0f} validator(s) of group {group} on {chain} are tombstoned",
        "{value:%.0f} watched validator(s) of group {group} on {chain}/{network} are tombstoned after a double sign: slashed and "
        "never able to unjail. Stop every signer holding that key now; a second signer with the same key is the usual cause.",
    )
    a.recipes = [Recipe([Series("chainwatch_cosmos_validator_tombstoned", c.group_labels, 0, 1)], 1, c.group_labels, note="validator tombstoned")]
    return [a]


def monitor_stuck(c: Ctx) -> list[Alert]:
    if not c.groups:
        return []
    limit = number(max(MONITOR_STUCK_BLOCKS * c.chain.block_time, MONITOR_STUCK_MIN_SECONDS))
    a = c.alert(
        "ChainwatchCosmosValidatorMonitorStuck", "warning",
        f"time() - max by ({by(CHAIN_LABELS)}) ({c.csel('chainwatch_validator_monitor_last_success_timestamp_seconds')}) > {fmt(limit)}", c.d.validator,
        "Validator monitor of {chain} has had no successful round for {value:%.0f}s",
        "The validator monitor of {chain}/{network} last finished a round {value:%.0f}s ago (threshold " + fmt(limit)
        + "s): missed blocks and time until jail are not being updated.",
    )
    a.recipes = [Recipe(
        [Series("chainwatch_validator_monitor_last_success_timestamp_seconds", c.chain_labels, 0, 0, "clock")],
        None, c.chain_labels, window=limit, note="monitor stopped", value_at=lambda steps, step: steps * step,
    )]
    return [a]


BUILDERS = (missing_blocks, solo_miss_ratio, close_to_jail, jailed, tombstoned, monitor_stuck)
