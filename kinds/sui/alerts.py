"""The sui kind's own alerts: a node pruned below the history it must serve; a watched
validator reported by peers or out of the active set.

Lag in checkpoints and seconds, head age, chain halt, wrong network, latency, RPC errors and
failures (``deprecated_api`` included, through ``ChainwatchProbeFailing``/``EndpointDown``),
the checkpoint stream (``ChainwatchStreamBehind``/``Quiet``) and the validator monitor's
health are the shared alerts. Defaults (``thresholds`` of the chain):

- ``sui_history_min_checkpoints`` (unset: no alert): a node serving fewer checkpoints of
  history than that, for ``durations.sui_history`` (15m): warning;
- a watched validator reported by peers holding more than ``sui_reported_voting_power_ratio``
  (0: any peer) of the voting power, for ``durations.sui_reported`` (5m): warning — at 2/3
  when the epoch ends it loses the epoch's rewards, so this pages while there is time;
- a watched validator not in the active set, for ``durations.validator``: critical.
"""

from __future__ import annotations

from chainwatch.core.alertkit import GROUP_LABELS, AlertSpec, Recipe, Series, by, fmt, step


def _has_groups(c) -> bool:
    return bool(c.groups)


def _reported_expr(c) -> str:
    g = by(GROUP_LABELS)
    return f"max by ({g}) ({c.csel('chainwatch_sui_validator_reported_voting_power_ratio')}) > {fmt(c.threshold)}"


def _not_active_expr(c) -> str:
    g = by(GROUP_LABELS)
    return f"max by ({g}) ({c.csel('chainwatch_sui_validators', state='not_active')}) > 0"  # max over copies (replicas)


def _not_active_test(c) -> list[Recipe]:
    g = c.group_labels
    return [Recipe([Series("chainwatch_sui_validators", {**g, "state": "not_active"}, 0, 1)], 1, g, note="validator out of the active set")]


ALERTS: tuple[AlertSpec, ...] = (
    AlertSpec(
        "ChainwatchSuiHistoryShort",
        "endpoint",
        ("warning",),
        when=lambda c: c.chain_thresholds.sui_history_min_checkpoints is not None,
        threshold=lambda c: c.chain_thresholds.sui_history_min_checkpoints,
        expr=lambda c: f"{c.sel('chainwatch_sui_history_checkpoints')} < {fmt(c.threshold)}",
        for_=lambda c: c.durations.sui_history,
        summary="{endpoint} ({chain}) serves only {value:%.0f} checkpoints of history",
        description=lambda c: (
            "Node {endpoint} of {chain}/{network} serves {value:%.0f} checkpoints of history (checkpoint_height - "
            f"lowest_available_checkpoint of GetServiceInfo), fewer than the {fmt(c.threshold)} configured: its pruner keeps less "
            "than its users (indexers, queries of older checkpoints) need."
        ),
        value="{value:%.0f} checkpoints",
        test=step("chainwatch_sui_history_checkpoints", lambda c: c.threshold * 2, lambda c: c.threshold / 2, "pruned below the minimum"),
    ),
    AlertSpec(
        "ChainwatchSuiValidatorReported",
        "group",
        ("warning",),
        when=_has_groups,
        threshold=lambda c: c.chain_thresholds.sui_reported_voting_power_ratio,
        expr=_reported_expr,
        for_=lambda c: c.durations.sui_reported,
        summary="A validator of group {group} on {chain} is reported by {value:pct} of the voting power",
        description=(
            "A watched validator of group {group} on {chain}/{network} is reported by peers holding {value:pct} of the voting power "
            "this epoch (GetEpoch system_state.validator_report_records). Peers report a validator that is slow, unreachable or "
            "misbehaving; reported by 2/3 of the voting power when the epoch ends, it gets no rewards for the epoch. Fix it before "
            "the epoch change (chainwatch_sui_epoch_remaining_seconds) and ask the reporters to withdraw their reports."
        ),
        value="{value:pct} of the voting power reporting",
        test=step("chainwatch_sui_validator_reported_voting_power_ratio", lambda c: c.threshold, lambda c: min(0.66, c.threshold + 0.25), "reported by peers"),
    ),
    AlertSpec(
        "ChainwatchSuiValidatorNotActive",
        "group",
        ("critical",),
        when=_has_groups,
        expr=_not_active_expr,
        for_=lambda c: c.durations.validator,
        summary="{value:%.0f} validator(s) of group {group} on {chain} are not in the active set",
        description="{value:%.0f} watched validator(s) of group {group} on {chain}/{network} are not among this epoch's active validators "
        "(GetEpoch system_state.validators.active_validators): they sign no checkpoints and earn no rewards. Check the stake (below the "
        "minimum the validator is removed at the epoch change), a request_remove_validator transaction, or the configured address.",
        value="{value:%.0f} not active",
        test=_not_active_test,
    ),
)
