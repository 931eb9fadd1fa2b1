"""The sui kind's own alert: a node pruned below the history it must serve.

Lag in checkpoints and seconds, head age, chain halt, wrong network, latency, RPC errors and
failures (``deprecated_api`` included, through ``ChainwatchProbeFailing``/``EndpointDown``)
are the shared alerts. ``sui_history_min_checkpoints`` (unset: no alert): a node serving fewer
checkpoints of history than that, for ``durations.sui_history`` (15m): warning.
"""

from __future__ import annotations

from chainwatch.core.alertkit import AlertSpec, fmt, step

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
)
