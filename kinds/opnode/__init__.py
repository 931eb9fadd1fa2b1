"""OP Stack rollup nodes (op-node) over their ``optimism_*`` JSON-RPC: safe, finalized and
unsafe L2 heads and the node's L1 view, measured against the rollup's L2 and L1 chains."""

from chainwatch.core.declarations import AlertName
from chainwatch.kinds.base import ChainKind
from chainwatch.kinds.opnode.config import OpNodeChain, RollupThresholds
from chainwatch.kinds.opnode.metrics import METRICS

KIND = ChainKind(
    name="opnode",
    config=OpNodeChain,
    unit="blocks",
    primary_method="batch",  # the probe's one JSON-RPC batch (optimism_syncStatus)
    capabilities=frozenset(),  # no peers/mempool here; the sequencer halt is its own alert
    metrics=METRICS,
    config_models=(RollupThresholds,),
    block_time_doc="2 s (OP Stack)",
    alerts=(
        AlertName("ChainwatchRollupSafeHeadLagging", "endpoint", ("critical",)),
        # A lagging L1 view stalls derivation: the safe head lags because of it.
        AlertName("ChainwatchRollupL1ViewBehind", "endpoint", ("critical",),
                  inhibits=("ChainwatchRollupSafeHeadLagging", "ChainwatchRollupFinalityLagging")),
        AlertName("ChainwatchRollupFinalityLagging", "endpoint", ("warning",)),
        # Fires with the L2 chain's `chain` label: a chain-wide incident of the L2 chain, so
        # its per-node symptoms (HeadStale, lag) and its ChainHalted are inhibited.
        AlertName("ChainwatchSequencerDown", "chain", ("critical",), chain_wide=True, inhibits=("ChainwatchChainHalted",)),
    ),
    identity=("l2_chain_id", "optimism_rollupConfig"),
)
