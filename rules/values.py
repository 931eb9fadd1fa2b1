"""The ``value`` annotation of every alert: the measured value, short, in the description's unit.

Pages show it on its own (PagerDuty ``custom_details.value``, Opsgenie ``details.value``),
so it carries its unit: ``42 blocks``, ``93s``, ``0.951s p95``, ``50% errors``. Texts use the
placeholders of :mod:`chainwatch.rules.common` (``{value:%.0f}``, ``{value:pct}``,
``{value:humanize}``, ``{failure_reason}`` ...), so the rule's Go template and the promtool
unit test's expected string come from one text and cannot drift apart. An alert missing
here gets ``{value:humanize}`` (Prometheus' ``humanize``: 42 -> ``42``, 0.5 -> ``500m``).
"""

from __future__ import annotations

from chainwatch import kinds
from chainwatch.rules.common import Alert
from chainwatch.rules import alerts as alert_rules

DEFAULT = "{value:humanize}"

# Alert name -> value text. Constant texts for alerts whose value is only a 0/1 condition.
VALUES = {
    "ChainwatchExporterAbsent": "not scraped",
    "ChainwatchEndpointDown": "down ({failure_reason})",
    "ChainwatchProbeFailing": "{value:pct} of probes ({reason})",
    "ChainwatchSyncLagSecondsHigh": "{value:%.0f}s",
    "ChainwatchHeadStale": "{value:%.0f}s",
    "ChainwatchPeersLow": "{value:%.0f} peers",
    "ChainwatchMempoolHigh": "{value:%.0f} pending",
    "ChainwatchMempoolNotMined": "+{value:%.0f} pending in " + alert_rules.MEMPOOL_WINDOW,
    "ChainwatchRpcLatencyHigh": "{value:%.3f}s p95",
    "ChainwatchRpcErrorRatioHigh": "{value:pct} errors",
    "ChainwatchReferenceQuorumLost": "{value:%.0f} agreeing",
    "ChainwatchChainHalted": "{value:%.0f}s",
    "ChainwatchSolanaClusterHalted": "{value:%.0f}s",
    "ChainwatchFinalityStalled": "{value:%.0f} epochs",
    "ChainwatchValidatorMonitorStuck": "{value:%.0f}s",
    "ChainwatchAttestationsMissed": "{value:%.0f} in a row",
    "ChainwatchAttestationMissRatioHigh": "{value:pct} missed",
    "ChainwatchProposalMissed": "{value:%.0f} missed",
    "ChainwatchValidatorSlashed": "slashed",
    "ChainwatchValidatorExited": "exiting",
    "ChainwatchSolanaNodeBehind": "{value:%.0f} slots",
    "ChainwatchSolanaVoteDelinquent": "vote lag {value:%.0f} slots",
    "ChainwatchSolanaSkipRateHigh": "{value:pct} skipped",
    "ChainwatchRollupSafeHeadLagging": "{value:%.0f}s behind unsafe",
    "ChainwatchRollupL1ViewBehind": "{value:%.0f} L1 blocks",
    "ChainwatchRollupFinalityLagging": "{value:%.0f}s behind unsafe",
    "ChainwatchSequencerDown": "{value:%.0f}s",
    "ChainwatchSLOErrorBudgetBurn": "{value:%.1f}x burn rate",
}


def value_text(alert: Alert, kind: str | None) -> str:
    """The value text of ``alert`` on a chain of ``kind`` (None: the exporter's own alert)."""
    if alert.name == "ChainwatchSyncLagHigh":
        return "{value:%.0f} " + kinds.get(kind).unit
    if alert.name == "ChainwatchWrongChain":
        # A chain id is a number to show; a genesis identity only says the network differs (value 1).
        return "wrong network" if kinds.get(kind).identity is not None else "chain id {reported_chain_id}"
    return VALUES.get(alert.name, DEFAULT)
