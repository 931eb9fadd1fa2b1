"""The bitcoin kind's own catalog rows, named with Bitcoin Core's RPC words (shared rows:
:mod:`chainwatch.assembly.catalog`)."""

from __future__ import annotations

from chainwatch.core.declarations import G, Metric
from chainwatch.core.declarations import metric as _m

KIND = ("bitcoin",)

METRICS: tuple[Metric, ...] = (
    _m("chainwatch_bitcoin_headers", G, "", "getblockchaininfo headers: height of the best header chain the node has seen.", kinds=KIND),
    _m(
        "chainwatch_bitcoin_headers_behind_blocks",
        G,
        "",
        "headers - blocks: blocks the node knows of but has not validated yet (0-1 when healthy).",
        kinds=KIND,
        example='chainwatch_bitcoin_headers_behind_blocks{chain="bitcoin",endpoint="btc-1",network="mainnet",role="node"} 0',
    ),
    _m("chainwatch_bitcoin_initial_block_download", G, "", "1 while getblockchaininfo initialblockdownload is true (node still catching up).", kinds=KIND),
    _m(
        "chainwatch_bitcoin_verification_progress_ratio",
        G,
        "",
        "getblockchaininfo verificationprogress: estimated share of the chain verified (0-1).",
        kinds=KIND,
    ),
    _m("chainwatch_bitcoin_size_on_disk_bytes", G, "bytes", "getblockchaininfo size_on_disk: block and undo files on disk.", kinds=KIND),
    _m("chainwatch_bitcoin_connections", G, "", "getnetworkinfo connections_in / connections_out by direction.", labels=("direction",), kinds=KIND),
    _m(
        "chainwatch_bitcoin_network_active", G, "", "getnetworkinfo networkactive: 0 after setnetworkactive false (the node is cut off on purpose).", kinds=KIND
    ),
    _m("chainwatch_bitcoin_warnings", G, "", "Number of getnetworkinfo warnings (a string or, since Bitcoin Core 28, an array); 0 when none.", kinds=KIND),
    _m("chainwatch_bitcoin_mempool_bytes", G, "bytes", "getmempoolinfo bytes: sum of the virtual sizes (BIP 141) of the mempool's transactions.", kinds=KIND),
    _m("chainwatch_bitcoin_mempool_usage_bytes", G, "bytes", "getmempoolinfo usage: memory the mempool takes.", kinds=KIND),
    _m("chainwatch_bitcoin_mempool_max_bytes", G, "bytes", "getmempoolinfo maxmempool: memory limit of the mempool (-maxmempool).", kinds=KIND),
    _m(
        "chainwatch_bitcoin_mempool_min_fee_sat_per_vbyte",
        G,
        "sat/vB",
        "getmempoolinfo mempoolminfee (BTC/kvB) in satoshi (1e-8 coin) per virtual byte: the lowest fee rate the mempool accepts now.",
        kinds=KIND,
    ),
    _m(
        "chainwatch_bitcoin_fee_estimate_sat_per_vbyte",
        G,
        "sat/vB",
        "estimatesmartfee feerate (conservative) per conf_target, in satoshi per virtual byte; absent while the node has insufficient data.",
        labels=("conf_target",),
        kinds=KIND,
        example='chainwatch_bitcoin_fee_estimate_sat_per_vbyte{...,conf_target="6"} 12.5',
    ),
    _m(
        "chainwatch_bitcoin_chain_tips",
        G,
        "",
        "getchaintips entries by status (active, valid-fork, valid-headers, headers-only, invalid); forks are the non-active ones.",
        labels=("status",),
        kinds=KIND,
    ),
)
