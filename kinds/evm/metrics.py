"""The evm kind's own catalog rows (shared rows: :mod:`chainwatch.core.catalog`)."""

from __future__ import annotations

from chainwatch.core.declarations import C, G, Metric, metric as _m  # noqa: F401

KIND = ("evm",)

METRICS: tuple[Metric, ...] = (
    _m("chainwatch_chain_id", G, "", "Chain id the endpoint reports (eth_chainId).", kinds=KIND),
    _m("chainwatch_gas_price_wei", G, "wei", "eth_gasPrice of the endpoint.", kinds=KIND),
    _m("chainwatch_base_fee_wei", G, "wei", "Base fee per gas of the endpoint's head block (EIP-1559 chains).", kinds=KIND),
)
