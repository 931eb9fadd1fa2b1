"""The aptos kind's own alerts: failed proposals, validator leaving the set, history pruned too far.

One :class:`~chainwatch.core.alertkit.AlertSpec` each; runbooks in ``runbooks/<AlertName>.md``.
Lag in blocks and seconds, head age, chain halt, wrong chain, latency, RPC errors and the
validator monitor's health are the shared alerts. Defaults (``thresholds`` of the chain):

- ``aptos_failed_proposal_ratio`` (10 %) of the group's proposals over
  ``aptos_proposal_window`` (1h), with at least ``aptos_failed_proposals_min`` (3) failed in
  it — one failed proposal never pages — for ``durations.aptos_proposals`` (5m): critical,
  epoch rewards shrink with every failed proposal;
- a watched validator ``pending_inactive`` or ``inactive``: critical (it leaves, or left, the
  validator set and earns nothing), for ``durations.validator``;
- ``aptos_history_min_blocks`` (unset: no alert): a node serving fewer blocks of history
  than that, for ``durations.aptos_history`` (15m): warning.
"""

from __future__ import annotations

from chainwatch.core.alertkit import GROUP_LABELS, AlertSpec, Ctx, Recipe, Series, by, fmt, seconds, step

TOTAL = "chainwatch_aptos_validator_proposals_total"


def _has_groups(c: Ctx) -> bool:
    return bool(c.groups)


def _increase(c: Ctx, outcome: str | None) -> str:
    w = c.chain_thresholds.aptos_proposal_window
    matchers = {"outcome": outcome} if outcome else {}
    return f"sum by ({by(GROUP_LABELS)}) (increase({c.csel(TOTAL, **matchers)}[{w}]))"


def _ratio_expr(c: Ctx) -> str:
    failed, every = _increase(c, "failed"), _increase(c, None)
    return f"{failed} / ({every} > 0) > {fmt(c.threshold)} and on ({by(GROUP_LABELS)}) {failed} >= {c.chain_thresholds.aptos_failed_proposals_min}"


def _ratio_test(c: Ctx) -> list[Recipe]:
    g = c.group_labels
    n = max(c.chain_thresholds.aptos_failed_proposals_min * 2, 10)
    return [
        Recipe(
            [Series(TOTAL, {**g, "outcome": "successful"}, n, n, "counter"), Series(TOTAL, {**g, "outcome": "failed"}, 0, n, "counter")],
            0.5,
            g,
            window=seconds(c.chain_thresholds.aptos_proposal_window),
            note="half the proposals failing",
        )
    ]


def _ratio_quiet(c: Ctx):
    from chainwatch.core.alertkit import Quiet

    g = c.group_labels
    # One failed proposal among few: a ratio far above the threshold, below the minimum count.
    failed = [0.0] * 5 + [1.0] * 25
    return [
        Quiet(
            "one failed proposal among two",
            [(TOTAL, {**g, "outcome": "successful"}, [0.0] * 5 + [1.0] * 25), (TOTAL, {**g, "outcome": "failed"}, failed)],
        )
    ]


def _state_expr(c: Ctx) -> str:
    sel = c.csel("chainwatch_aptos_validators_state", state="~pending_inactive|inactive")
    g = by(GROUP_LABELS)
    return f"sum by ({g}) (max by ({g}, state) ({sel})) > 0"  # max over copies of one series (replicas)


def _state_test(c: Ctx) -> list[Recipe]:
    g = c.group_labels
    return [
        Recipe(
            [Series("chainwatch_aptos_validators_state", {**g, "state": "pending_inactive"}, 0, 1)],
            1,
            g,
            note="validator leaving the set",
        )
    ]


ALERTS: tuple[AlertSpec, ...] = (
    AlertSpec(
        "ChainwatchAptosProposalsFailing",
        "group",
        ("critical",),
        when=_has_groups,
        threshold=lambda c: c.chain_thresholds.aptos_failed_proposal_ratio,
        expr=_ratio_expr,
        for_=lambda c: c.durations.aptos_proposals,
        summary="Group {group} on {chain} failed {value:pct} of its proposals",
        description=lambda c: (
            "Validators of group {group} on {chain}/{network} failed {value:pct} of their proposals over the last "
            + c.chain_thresholds.aptos_proposal_window
            + f" (threshold {c.threshold:.0%}, at least {c.chain_thresholds.aptos_failed_proposals_min} failed): their blocks did not make it in time. "
            "Aptos scales the epoch's rewards with the successful share of proposals, so every failed proposal is reward lost."
        ),
        value="{value:pct} failed",
        test=_ratio_test,
        quiet=_ratio_quiet,
        resolves=lambda c: seconds(c.chain_thresholds.aptos_proposal_window) + 120,
    ),
    AlertSpec(
        "ChainwatchAptosValidatorInactive",
        "group",
        ("critical",),
        when=_has_groups,
        expr=_state_expr,
        for_=lambda c: c.durations.validator,
        summary="{value:%.0f} validator(s) of group {group} on {chain} are leaving or out of the validator set",
        description="{value:%.0f} watched validator(s) of group {group} on {chain}/{network} are pending_inactive (leaving the set at the "
        "epoch's end) or inactive (out of it): they propose and vote no more and earn nothing. Check the stake pool: stake below the "
        "minimum, a leave_validator_set transaction, or the operator key.",
        value="{value:%.0f} leaving or inactive",
        test=_state_test,
    ),
    AlertSpec(
        "ChainwatchAptosHistoryShort",
        "endpoint",
        ("warning",),
        when=lambda c: c.chain_thresholds.aptos_history_min_blocks is not None,
        threshold=lambda c: c.chain_thresholds.aptos_history_min_blocks,
        expr=lambda c: f"{c.sel('chainwatch_aptos_history_blocks')} < {fmt(c.threshold)}",
        for_=lambda c: c.durations.aptos_history,
        summary="{endpoint} ({chain}) serves only {value:%.0f} blocks of history",
        description=lambda c: (
            "Node {endpoint} of {chain}/{network} serves {value:%.0f} blocks of history (block_height - oldest_block_height), fewer than "
            f"the {fmt(c.threshold)} configured: its pruner is set below what its users (indexers, explorers, queries by version) need."
        ),
        value="{value:%.0f} blocks",
        test=step("chainwatch_aptos_history_blocks", lambda c: c.threshold * 2, lambda c: c.threshold / 2, "pruned below the minimum"),
    ),
)
