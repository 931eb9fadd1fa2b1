"""The bitcoin kind's own alerts: the fast signals that do not wait on the (random) block clock.

Head-stale and chain-halt are the shared alerts with thresholds derived from random block
arrival (see :func:`chainwatch.kinds.bitcoin.config.stale_after_seconds` and docs/rules.md);
lag against the references is the shared SyncLagHigh at 1 / 2 blocks. What only a Bitcoin
Core node can say is here: headers it has not validated, and initial block download.
"""

from __future__ import annotations

from chainwatch.rules.alerts import Ctx
from chainwatch.rules.common import Alert, Recipe, Series


def headers_behind(c: Ctx) -> list[Alert]:
    limit = c.chain.headers_behind_max_blocks
    for_ = c.chain.signal_for
    a = c.alert(
        "ChainwatchBitcoinHeadersBehind", "warning",
        f"{c.sel('chainwatch_bitcoin_headers_behind_blocks')} > {limit}", for_,
        "{endpoint} on {chain} has {value:%.0f} blocks it has not validated",
        "{endpoint} ({role}) on {chain}/{network} has headers {value:%.0f} blocks past its validated chain (headers - blocks; threshold "
        + str(limit) + ", for " + for_ + "): it hears of new blocks but does not connect them (slow disk or CPU, stuck validation, "
        "an invalid block, a full disk).",
    )
    e = c.endpoint_labels
    high = limit * 5
    a.recipes = [Recipe([Series("chainwatch_bitcoin_headers_behind_blocks", e, limit, high)], high, e, note="validation stuck")]
    return [a]


def initial_block_download(c: Ctx) -> list[Alert]:
    for_ = c.chain.signal_for
    a = c.alert(
        "ChainwatchBitcoinInitialBlockDownload", "warning",
        f"{c.sel('chainwatch_bitcoin_initial_block_download')} == 1", for_,
        "{endpoint} on {chain} is in initial block download",
        "{endpoint} ({role}) on {chain}/{network} has reported initialblockdownload=true for " + for_
        + ": its tip is more than a day old (Bitcoin Core's -maxtipage) or it is still loading, so it serves stale data until it catches up.",
    )
    e = c.endpoint_labels
    a.recipes = [Recipe([Series("chainwatch_bitcoin_initial_block_download", e, 0, 1)], 1, e, note="node fell back into initial block download")]
    return [a]


BUILDERS = (headers_behind, initial_block_download)
