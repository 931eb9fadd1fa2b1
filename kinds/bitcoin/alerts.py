"""The bitcoin kind's own alerts: the fast signals that do not wait on the (random) block clock.

Head-stale and chain-halt are the shared alerts with thresholds derived from random block
arrival (:func:`chainwatch.kinds.bitcoin.config.stale_after_seconds`, docs/rules.md) and their
"random gaps do not page" promtool cases; lag against the references is the shared SyncLagHigh
at 1 / 2 blocks. What only a Bitcoin Core node can say is here: headers it has not validated,
and initial block download. One :class:`~chainwatch.core.alertkit.AlertSpec` each; runbooks in
``runbooks/<AlertName>.md``.
"""

from __future__ import annotations

from chainwatch.core.alertkit import SYMPTOM, AlertSpec, above, step, unless_measured_at_head

ALERTS: tuple[AlertSpec, ...] = (
    AlertSpec(
        "ChainwatchBitcoinHeadersBehind",
        "endpoint",
        ("warning",),
        threshold=lambda c: c.chain.headers_behind_max_blocks,
        expr=above("chainwatch_bitcoin_headers_behind_blocks"),
        for_=lambda c: c.chain.signal_for,
        summary="{endpoint} on {chain} has {value:%.0f} blocks it has not validated",
        description=lambda c: (
            "{endpoint} ({role}) on {chain}/{network} has headers {value:%.0f} blocks past its validated chain (headers - blocks; threshold "
            + str(c.threshold)
            + ", for "
            + c.chain.signal_for
            + "): it hears of new blocks but does not connect them (slow disk or CPU, stuck validation, "
            "an invalid block, a full disk)."
        ),
        value="{value:%.0f} blocks not validated",
        test=step("chainwatch_bitcoin_headers_behind_blocks", lambda c: c.threshold, lambda c: c.threshold * 5, "validation stuck"),
        inhibited_by=SYMPTOM,
    ),
    AlertSpec(
        "ChainwatchBitcoinInitialBlockDownload",
        "endpoint",
        ("warning",),
        expr=lambda c: f"{c.sel('chainwatch_bitcoin_initial_block_download')} == 1" + unless_measured_at_head(c),
        for_=lambda c: c.chain.signal_for,
        summary="{endpoint} on {chain} is in initial block download",
        description=lambda c: (
            "{endpoint} ({role}) on {chain}/{network} has reported initialblockdownload=true for "
            + c.chain.signal_for
            + ": its tip is more than a day old (Bitcoin Core's -maxtipage) or it is still loading, so it serves stale data until it catches up."
            " (Not while its lag measured against the references is within "
            + str(c.chain.head_tolerance_blocks)
            + " blocks: a quiet chain keeps the flag on at the head.)"
        ),
        value="in initial block download",
        test=step("chainwatch_bitcoin_initial_block_download", 0, 1, "node fell back into initial block download"),
        inhibited_by=SYMPTOM,
    ),
)
