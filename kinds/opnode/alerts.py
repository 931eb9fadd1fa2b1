"""The opnode kind's own alerts: batcher/DA stall, derivation from a lagging L1, finality, sequencer down.

One :class:`~chainwatch.core.alertkit.AlertSpec` each; runbooks in ``runbooks/<AlertName>.md``.
Thresholds: the chain's ``rollup:`` block (:class:`~chainwatch.kinds.opnode.config.RollupThresholds`).

``ChainwatchSequencerDown`` is about the rollup's L2 chain, so it carries that chain's
``chain``/``network`` labels, team and dashboard (a builder of its own): chain-wide on the L2
chain, it mutes that chain's per-node symptoms (HeadStale, lag), and ChainwatchChainHalted
declares it as an inhibitor. The rules generator files it with the L2 chain's alerts.
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
    above,
    by,
    ceil,
    dashboard_for,
    fmt,
    seconds,
    selector,
    step,
)

L1_VIEW = Inhibition(
    "ChainwatchRollupL1ViewBehind", ("chain", "endpoint"), "A lagging L1 view stalls derivation: the same op-node's safe and finalized heads lag because of it."
)


def _sequencer_down(spec: AlertSpec, c: Ctx) -> list[Alert]:
    """Every reference of the L2 chain stalled while the L1 references advance; no ``for:``,
    so it fires one ``for:`` of the L2 chain's ChainwatchChainHalted before that would."""
    if not isinstance(c, Ctx):
        return []
    l2_name, l1_name = c.chain.l2_chain, c.chain.l1_chain
    l2, l1 = c.config.chains[l2_name], c.config.chains[l1_name]
    limit, l1_limit = l2.chain_halt_seconds, l1.chain_halt_seconds
    stall = "chainwatch_reference_head_stall_seconds"
    g = by(CHAIN_LABELS)
    expr = f"max by ({g}) ({selector(stall, l2_name)}) > {fmt(limit)} and on () max by ({g}) ({selector(stall, l1_name)}) < {fmt(l1_limit)}"
    a = Alert(
        spec.name,
        "critical",
        l2_name,
        l2.team,
        "chain",
        expr,
        "0s",
        "Sequencer of {chain} is down: no L2 block for {value:%.0f}s while L1 advances",
        "No reference of the rollup {chain}/{network} has seen a new L2 block for {value:%.0f}s (threshold "
        + fmt(limit)
        + "s) while "
        + l1_name
        + " keeps producing blocks: the sequencer (or its execution client) has stopped. "
        "Per-node head-stale and lag alerts of {chain} are symptoms (watched by op-nodes of " + c.name + ").",
        dashboard_for("chain", l2_name),
    )
    l2_labels = {"chain": l2_name, "network": l2.network}
    stalled = ceil(limit * 3)
    a.recipes = [
        Recipe(
            [Series(stall, l2_labels, 0, stalled), Series(stall, {"chain": l1_name, "network": l1.network}, 0, 0)],
            stalled,
            l2_labels,
            note="L2 stopped, L1 advancing",
        )
    ]
    return [a]


ALERTS: tuple[AlertSpec, ...] = (
    AlertSpec(
        "ChainwatchRollupSafeHeadLagging",
        "endpoint",
        ("critical",),
        threshold=lambda c: c.chain.rollup.safe_lag_seconds,
        expr=above("chainwatch_opnode_safe_lag_seconds"),
        for_=lambda c: c.chain.rollup.safe_lag_for,
        summary="Safe head of {endpoint} ({chain}) is {value:%.0f}s behind the unsafe head",
        description=lambda c: (
            "The safe L2 head of op-node {endpoint} on {chain}/{network} is {value:%.0f}s behind its unsafe head (threshold "
            + fmt(c.threshold)
            + "s): no new batch has been derived from L1. The batcher stopped posting, or its L1 data "
            "(calldata/blobs) is not available. Withdrawals and bridges that wait for the safe head stall."
        ),
        value="{value:%.0f}s behind unsafe",
        test=step("chainwatch_opnode_safe_lag_seconds", lambda c: c.threshold, lambda c: ceil(c.threshold * 3), "batcher stalled"),
        inhibited_by=(L1_VIEW,),
    ),
    AlertSpec(
        "ChainwatchRollupL1ViewBehind",
        "endpoint",
        ("critical",),
        threshold=lambda c: c.chain.rollup.l1_lag_blocks,
        expr=above("chainwatch_opnode_l1_lag_blocks", view="head_l1"),
        for_=lambda c: c.chain.rollup.l1_lag_for,
        summary="op-node {endpoint} ({chain}) sees L1 {value:%.0f} blocks behind",
        description=lambda c: (
            "The L1 head that op-node {endpoint} on {chain}/{network} derives from is {value:%.0f} blocks behind the references of "
            + c.chain.l1_chain
            + " (threshold "
            + fmt(c.threshold)
            + " blocks): its L1 node is lagging or stuck, so derivation "
            "(the safe head) stalls and deposits are not picked up."
        ),
        value="{value:%.0f} L1 blocks",
        test=lambda c: [
            Recipe(
                [
                    Series("chainwatch_opnode_l1_lag_blocks", {**c.labels, "view": "head_l1"}, c.threshold, ceil(c.threshold * 3)),
                    # Derivation stalls with the L1 view: the safe head falls behind (ChainwatchRollupSafeHeadLagging
                    # fires too, later, and is inhibited).
                    Series("chainwatch_opnode_safe_lag_seconds", c.labels, 0, ceil(c.chain.rollup.safe_lag_seconds * 3)),
                ],
                ceil(c.threshold * 3),
                {**c.labels, "view": "head_l1"},
                note="L1 view frozen",
                lasts=seconds(c.chain.rollup.safe_lag_for) + 60,
            )
        ],
    ),
    AlertSpec(
        "ChainwatchRollupFinalityLagging",
        "endpoint",
        ("warning",),
        threshold=lambda c: c.chain.rollup.finality_lag_seconds,
        expr=above("chainwatch_opnode_finalized_lag_seconds"),
        for_=lambda c: c.chain.rollup.finality_lag_for,
        summary="Finalized head of {endpoint} ({chain}) is {value:%.0f}s behind",
        description=lambda c: (
            "The finalized L2 head of op-node {endpoint} on {chain}/{network} is {value:%.0f}s behind its unsafe head (threshold "
            + fmt(c.threshold)
            + "s): L1 finality or derivation is stalled."
        ),
        value="{value:%.0f}s behind unsafe",
        test=step("chainwatch_opnode_finalized_lag_seconds", lambda c: c.threshold, lambda c: ceil(c.threshold * 2), "finality stalled"),
        inhibited_by=(L1_VIEW,),
    ),
    AlertSpec(
        "ChainwatchSequencerDown",
        "chain",
        ("critical",),
        chain_wide=True,
        value="{value:%.0f}s",
        build=_sequencer_down,
    ),
)
