"""The subgraph kind's own alerts: stalled while the indexed chain advances, failed, indexing
errors, on a fork.

One :class:`~chainwatch.core.alertkit.AlertSpec` each; runbooks in ``runbooks/<AlertName>.md``.

Lag is the shared ``ChainwatchSyncLagHigh`` / ``ChainwatchSyncLagSecondsHigh`` (endpoint lag
against the INDEXED chain's references, see ``SubgraphChain.lag_chain``) with the kind's own
defaults: critical at the article's 100 blocks on a 12 s chain (1200 s, i.e.
ceil(1200 s / block time) blocks of the indexed chain), warning at half of it.
"""

from __future__ import annotations

from chainwatch.core.alertkit import DOWN, ENDPOINT_LABELS, AlertSpec, Ctx, Recipe, Series, by, ceil, duration, seconds, selector, step

# Scrape steps a promtool test may use for the stall window: the window must hold two samples.
_STEPS = (60, 30, 15, 10, 5, 2, 1)


def _fatal(c: Ctx) -> str:
    return f"on ({by(ENDPOINT_LABELS)}) {c.sel('chainwatch_subgraph_fatal_error')} == 1"


def _stalled_expr(c: Ctx) -> str:
    w = duration(c.chain.stall_window_seconds)
    return (
        f"{c.sel('chainwatch_sync_lag_blocks')}"
        f" and on ({by(ENDPOINT_LABELS)}) changes({c.sel('chainwatch_head_height')}[{w}]) == 0"
        f" and on () max(delta({selector('chainwatch_reference_head_height', c.chain.indexes)}[{w}])) > 0"
        f" unless {_fatal(c)}"
    )


def _far_behind(c: Ctx) -> float:
    """A lag in blocks past the critical threshold: where a stopped subgraph gets while its chain goes on."""
    return ceil(c.chain.lag_blocks("critical") * 2 + 1)


def _lag_seconds(c: Ctx, e: dict, healthy: float) -> Series:
    """The same lag in seconds, as the exporter reports it beside the blocks (ChainwatchSyncLagSecondsHigh)."""
    return Series("chainwatch_sync_lag_seconds", e, healthy, ceil(c.chain.lag_seconds("critical") * 2 + 1))


def _stalled_test(c: Ctx) -> list[Recipe]:
    window = c.chain.stall_window_seconds
    e = c.endpoint_labels
    ref = {"chain": c.chain.indexes, "network": c.config.chains[c.chain.indexes].network}
    every = next(s for s in _STEPS if 2 * s <= window) if window >= 2 else 1
    return [
        Recipe(
            [
                # Its lag is past the critical threshold (ChainwatchSyncLagHigh fires too, and is inhibited).
                Series("chainwatch_sync_lag_blocks", e, 1, _far_behind(c)),
                _lag_seconds(c, e, 1),
                Series("chainwatch_head_height", e, 5, 0, "height", start=1000),
                Series("chainwatch_reference_head_height", ref, 5, 5, "height", start=1001),
                Series("chainwatch_subgraph_fatal_error", e, 0, 0),
            ],
            _far_behind(c),
            e,
            window=window,
            step=float(every),
            note="indexed block stopped, chain goes on",
            lasts=seconds(c.durations.sync_lag) + 60,
        )
    ]


def _indexing_errors_test(c: Ctx) -> list[Recipe]:
    e = c.endpoint_labels
    return [
        Recipe(
            [
                Series("chainwatch_subgraph_indexing_errors", e, 0, 1),
                Series("chainwatch_subgraph_fatal_error", e, 0, 0),
            ],
            1,
            e,
            note="non-fatal indexing error",
        )
    ]


def _fatal_test(c: Ctx) -> list[Recipe]:
    e = c.endpoint_labels
    # As the exporter reports a failed subgraph: indexing stopped, so it falls behind (its lag
    # alerts fire too, and are inhibited).
    series = [Series("chainwatch_subgraph_fatal_error", e, 0, 1), Series("chainwatch_sync_lag_blocks", e, 0, _far_behind(c)), _lag_seconds(c, e, 0)]
    return [Recipe(series, 1, e, note="fatal error", lasts=seconds(c.durations.sync_lag) + 60)]


ALERTS: tuple[AlertSpec, ...] = (
    AlertSpec(
        "ChainwatchSubgraphStalled",
        "endpoint",
        ("critical",),
        expr=_stalled_expr,
        for_=lambda c: c.durations.head_stale,
        summary="Subgraph {chain} on {endpoint} is stalled, {value:%.0f} blocks behind",
        description=lambda c: (
            "The indexed block of subgraph {chain} on {endpoint} ({role}) has not moved for "
            + duration(c.chain.stall_window_seconds)
            + " while the references of "
            + c.chain.indexes
            + " advanced: indexing is stuck (now {value:%.0f} blocks behind). A failed subgraph pages as ChainwatchSubgraphFailed instead."
        ),
        value="{value:%.0f} blocks behind",
        test=_stalled_test,
        inhibited_by=(DOWN,),
    ),
    AlertSpec(
        "ChainwatchSubgraphFailed",
        "endpoint",
        ("critical",),
        expr=lambda c: f"{c.sel('chainwatch_subgraph_fatal_error')} == 1",
        for_=lambda c: c.durations.validator,
        summary="Subgraph {chain} failed on {endpoint}",
        description="graph-node's index node reports a fatalError for subgraph {chain} on {endpoint} ({role}): health failed, indexing "
        "has stopped for good and its data stays at the failed block until the deployment is fixed and redeployed (or rewound).",
        value="failed",
        test=_fatal_test,
        inhibited_by=(DOWN,),
    ),
    AlertSpec(
        "ChainwatchSubgraphIndexingErrors",
        "endpoint",
        ("warning",),
        expr=lambda c: f"{c.sel('chainwatch_subgraph_indexing_errors')} == 1 unless {_fatal(c)}",
        for_=lambda c: c.durations.down,
        summary="Subgraph {chain} on {endpoint} has indexing errors",
        description="_meta.hasIndexingErrors of subgraph {chain} on {endpoint} ({role}) is true: a handler failed at some block and the "
        "subgraph went on without it (non-fatal errors), so some of its data is missing or wrong; queries with the default "
        "errorPolicy deny fail.",
        value="indexing errors",
        test=_indexing_errors_test,
        inhibited_by=(DOWN,),
    ),
    AlertSpec(
        "ChainwatchSubgraphOnFork",
        "endpoint",
        ("warning",),
        expr=lambda c: f"{c.sel('chainwatch_subgraph_block_hash_mismatch')} == 1",
        for_=lambda c: c.durations.down,
        summary=lambda c: "Subgraph {chain} on {endpoint} is on a fork of " + c.chain.indexes,
        description=lambda c: (
            "The block hash subgraph {chain} on {endpoint} ({role}) reports at its indexed height is not the hash the "
            "references of " + c.chain.indexes + " have at that height: graph-node indexed a branch the chain abandoned (its reorg "
            "handling or its own chain head is behind a reorg), and serves data of that branch."
        ),
        value="on a fork",
        test=step("chainwatch_subgraph_block_hash_mismatch", 0, 1, "wrong block hash"),
        inhibited_by=(DOWN,),
    ),
)
