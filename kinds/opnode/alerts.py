"""The opnode kind's own alerts: batcher/DA stall, derivation from a lagging L1, finality, sequencer down.

Thresholds: the chain's ``rollup:`` block (:class:`~chainwatch.kinds.opnode.config.RollupThresholds`).

``ChainwatchSequencerDown`` is about the rollup's L2 chain, so it carries that chain's
``chain``/``network`` labels (the expression keeps the L2 series' labels and the rule's static
``chain`` label is the L2 chain): Alertmanager's chain-wide inhibition (equal ``chain``) then
silences the L2 chain's per-node symptoms (HeadStale, lag) and its ChainHalted page. The rules
generator files it with the L2 chain's alerts (rules/generate.py: by the ``chain`` label).
"""

from __future__ import annotations

from chainwatch.rules.alerts import Ctx, _ceil, chain_dashboard
from chainwatch.rules.common import CHAIN_LABELS, Alert, Recipe, Series, by, fmt, selector


def safe_head_lagging(c: Ctx) -> list[Alert]:
    r = c.chain.rollup
    limit = r.safe_lag_seconds
    a = c.alert(
        "ChainwatchRollupSafeHeadLagging", "critical",
        f"{c.sel('chainwatch_opnode_safe_lag_seconds')} > {fmt(limit)}", r.safe_lag_for,
        "Safe head of {endpoint} ({chain}) is {value:%.0f}s behind the unsafe head",
        "The safe L2 head of op-node {endpoint} on {chain}/{network} is {value:%.0f}s behind its unsafe head (threshold "
        + fmt(limit) + "s): no new batch has been derived from L1. The batcher stopped posting, or its L1 data "
        "(calldata/blobs) is not available. Withdrawals and bridges that wait for the safe head stall.",
    )
    e = c.endpoint_labels
    high = _ceil(limit * 3)
    a.recipes = [Recipe([Series("chainwatch_opnode_safe_lag_seconds", e, limit, high)], high, e, note="batcher stalled")]
    return [a]


def l1_view_behind(c: Ctx) -> list[Alert]:
    r = c.chain.rollup
    limit = r.l1_lag_blocks
    a = c.alert(
        "ChainwatchRollupL1ViewBehind", "critical",
        f"{c.sel('chainwatch_opnode_l1_lag_blocks', view='head_l1')} > {fmt(limit)}", r.l1_lag_for,
        "op-node {endpoint} ({chain}) sees L1 {value:%.0f} blocks behind",
        "The L1 head that op-node {endpoint} on {chain}/{network} derives from is {value:%.0f} blocks behind the references of "
        + c.chain.l1_chain + " (threshold " + fmt(limit) + " blocks): its L1 node is lagging or stuck, so derivation "
        "(the safe head) stalls and deposits are not picked up.",
    )
    e = {**c.endpoint_labels, "view": "head_l1"}
    high = _ceil(limit * 3)
    a.recipes = [Recipe([Series("chainwatch_opnode_l1_lag_blocks", e, limit, high)], high, e, note="L1 view frozen")]
    return [a]


def finality_lagging(c: Ctx) -> list[Alert]:
    r = c.chain.rollup
    limit = r.finality_lag_seconds
    a = c.alert(
        "ChainwatchRollupFinalityLagging", "warning",
        f"{c.sel('chainwatch_opnode_finalized_lag_seconds')} > {fmt(limit)}", r.finality_lag_for,
        "Finalized head of {endpoint} ({chain}) is {value:%.0f}s behind",
        "The finalized L2 head of op-node {endpoint} on {chain}/{network} is {value:%.0f}s behind its unsafe head (threshold "
        + fmt(limit) + "s): L1 finality or derivation is stalled.",
    )
    e = c.endpoint_labels
    high = _ceil(limit * 2)
    a.recipes = [Recipe([Series("chainwatch_opnode_finalized_lag_seconds", e, limit, high)], high, e, note="finality stalled")]
    return [a]


def sequencer_down(c: Ctx) -> list[Alert]:
    """Every reference of the L2 chain stalled while the L1 references advance.

    Threshold: the L2 chain's own ``chain_halt_seconds`` with no ``for:``, so it fires one
    ``for:`` of ChainwatchChainHalted (default 30s) before the L2 chain's halt page would,
    which it then inhibits.
    """
    l2_name, l1_name = c.chain.l2_chain, c.chain.l1_chain
    l2, l1 = c.config.chains[l2_name], c.config.chains[l1_name]
    limit, l1_limit = l2.chain_halt_seconds, l1.chain_halt_seconds
    stall = "chainwatch_reference_head_stall_seconds"
    l2_stall = f"max by ({by(CHAIN_LABELS)}) ({selector(stall, l2_name)})"
    l1_stall = f"max by ({by(CHAIN_LABELS)}) ({selector(stall, l1_name)})"
    a = c.alert(
        "ChainwatchSequencerDown", "critical",
        f"{l2_stall} > {fmt(limit)} and on () {l1_stall} < {fmt(l1_limit)}", "0s",
        "Sequencer of {chain} is down: no L2 block for {value:%.0f}s while L1 advances",
        "No reference of the rollup {chain}/{network} has seen a new L2 block for {value:%.0f}s (threshold " + fmt(limit)
        + "s) while " + l1_name + " keeps producing blocks: the sequencer (or its execution client) has stopped. "
        "Per-node head-stale and lag alerts of {chain} are symptoms (watched by op-nodes of " + c.name + ").",
    )
    # The L2 chain's page: its labels, team (so its per-chain routing applies) and dashboard.
    a.chain, a.team, a.dashboard = l2_name, l2.team, chain_dashboard(l2_name)
    l2_labels = {"chain": l2_name, "network": l2.network}
    l1_labels = {"chain": l1_name, "network": l1.network}
    stalled = _ceil(limit * 3)
    a.recipes = [Recipe([
        Series(stall, l2_labels, 0, stalled),
        Series(stall, l1_labels, 0, 0),
    ], stalled, l2_labels, note="L2 stopped, L1 advancing")]
    return [a]


BUILDERS = (safe_head_lagging, l1_view_behind, finality_lagging, sequencer_down)
