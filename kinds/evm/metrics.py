"""The evm kind's own catalog rows (shared rows: :mod:`chainwatch.assembly.catalog`)."""

from __future__ import annotations

from chainwatch.core.declarations import C, G, Metric, metric as _m  # noqa: F401

KIND = ("evm",)

METRICS: tuple[Metric, ...] = (
    _m("chainwatch_chain_id", G, "", "Chain id the endpoint reports (eth_chainId).", kinds=KIND),
    _m("chainwatch_gas_price_wei", G, "wei", "eth_gasPrice of the endpoint.", kinds=KIND),
    _m(
        "chainwatch_evm_sync_progress",
        G,
        "",
        "Numeric fields of the eth_syncing object while the node syncs (field = geth's startingBlock/currentBlock/highestBlock, Arbitrum Nitro's msgCount, batchSeen, batchProcessed, lastL1BlockNum, …); absent when eth_syncing is false.",
        labels=("field",),
        kinds=KIND,
        example='chainwatch_evm_sync_progress{chain="arbitrum",endpoint="nitro-1",field="batchProcessed",network="mainnet",role="node"} 612345',
    ),
    _m(
        "chainwatch_evm_l1_block_number",
        G,
        "",
        "L1 block number recorded in the endpoint's head block (Arbitrum's l1BlockNumber block field; absent on other chains).",
        kinds=KIND,
    ),
    _m("chainwatch_base_fee_wei", G, "wei", "Base fee per gas of the endpoint's head block (EIP-1559 chains).", kinds=KIND),
)
