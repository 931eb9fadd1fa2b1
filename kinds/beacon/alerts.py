"""The beacon kind's own alerts: finality, validator duties, the validator monitor.

One :class:`~chainwatch.core.alertkit.AlertSpec` each; runbooks in ``runbooks/<AlertName>.md``.
"""

from __future__ import annotations

import math

from chainwatch.core.alertkit import CHAIN_LABELS, GROUP_LABELS, AlertSpec, Ctx, Recipe, Series, by, duration, fmt, seconds, step
from chainwatch.core.generated import number

# The validator monitor processes each epoch after it ends; it is stuck after this many epochs.
MONITOR_STUCK_EPOCHS = 3
# Slashings and exits are events: they alert for this long after the status changed.
VALIDATOR_EVENT_WINDOW = "1h"


def _has_groups(c: Ctx) -> bool:
    return bool(c.groups)


def _recent_window(c: Ctx) -> str:
    """AttestationMissRatioHigh's short window: two epochs (at least 2m), whole minutes. The
    monitor adds an epoch's misses at once after the epoch, so misses still happening show in it."""
    return duration(math.ceil(max(2 * c.chain.epoch_seconds, 120) / 60) * 60)


def _proposal_window(c: Ctx) -> str:
    w = duration(max(2 * c.chain.epoch_seconds, 300))
    return duration(math.ceil(seconds(w) / 60) * 60)


def _status_change(name: str, severity: str, statuses: str, summary: str, description: str, moved: str, note: str) -> AlertSpec:
    """A validator status event: the count of ``statuses`` in the group grew within the window."""
    w = VALIDATOR_EVENT_WINDOW

    def test(c: Ctx) -> list[Recipe]:
        g = c.group_labels
        return [Recipe([
            Series("chainwatch_validators", {**g, "status": "active_ongoing"}, 3, 2),
            Series("chainwatch_validators", {**g, "status": moved}, 0, 1),
            Series("chainwatch_validators", {**g, "status": statuses.split("|")[1]}, 0, 0),
        ], None, g, window=seconds(w), note=note, event=True)]

    return AlertSpec(
        name, "group", (severity,),
        when=_has_groups,
        expr=lambda c: f"max by ({by(GROUP_LABELS)}) (sum without (status) (delta({c.csel('chainwatch_validators', status='~' + statuses)}[{w}]))) > 0.5",
        for_=lambda c: c.d.validator,
        summary=summary,
        description=description,
        value="slashed" if "slashed" in moved else "exiting",
        test=test,
    )


ALERTS: tuple[AlertSpec, ...] = (
    AlertSpec(
        "ChainwatchFinalityStalled", "chain", ("critical",), chain_wide=True,
        threshold=lambda c: c.t.finality_epochs,
        expr=lambda c: f"min by ({by(CHAIN_LABELS)}) ({c.csel('chainwatch_beacon_epochs_since_finalized')}) > {c.threshold}",
        for_=lambda c: c.d.finality,
        summary="{chain} has not finalized for {value:%.0f} epochs",
        description=lambda c: "Every beacon node of {chain}/{network} reports the last finalized checkpoint {value:%.0f} epochs ago (normal: 2, threshold "
        + str(c.threshold) + "): the chain is not finalizing.",
        value="{value:%.0f} epochs",
        test=lambda c: [Recipe([Series("chainwatch_beacon_epochs_since_finalized", c.endpoint_labels, 2, c.threshold + 3)], c.threshold + 3,
                               c.chain_labels, note="finality stopped")],
    ),
    AlertSpec(
        "ChainwatchAttestationsMissed", "group", ("critical",),  # consecutive misses
        when=_has_groups,
        threshold=lambda c: c.t.attestation_consecutive_misses,
        expr=lambda c: f"max by ({by(GROUP_LABELS)}) ({c.csel('chainwatch_validator_consecutive_missed_attestations')}) >= {c.threshold}",
        for_=lambda c: c.d.validator,
        summary="Validators of group {group} on {chain} missed {value:%.0f} attestations in a row",
        description=lambda c: "At least one validator of group {group} on {chain}/{network} has missed its last {value:%.0f} attestations (threshold "
        + str(c.threshold) + "): it is offline or cannot reach its beacon node.",
        value="{value:%.0f} in a row",
        test=step("chainwatch_validator_consecutive_missed_attestations", lambda c: c.threshold - 1, lambda c: c.threshold + 1, "validator offline"),
    ),
    AlertSpec(
        "ChainwatchAttestationMissRatioHigh", "group", ("warning",),
        when=_has_groups,
        threshold=lambda c: c.t.attestation_miss_ratio,
        # ... and still missing: it resolves two epochs after the misses stop, not an hour after.
        expr=lambda c: f'group:chainwatch_validator_attestations_missed:ratio_rate1h{{chain="{c.name}"}} > {fmt(c.threshold)}'
        f" and on ({by(GROUP_LABELS)}) max by ({by(GROUP_LABELS)}) (increase({c.csel('chainwatch_validator_attestations_missed_total')}[{_recent_window(c)}])) > 0",
        for_=lambda c: c.d.validator,
        summary="Group {group} on {chain} missed {value:pct} of attestations",
        description=lambda c: "Validators of group {group} on {chain}/{network} missed {value:pct} of their attestations over the last hour (threshold "
        + f"{c.threshold:.0%}" + "), and missed some in the last " + _recent_window(c) + ".",
        resolves=lambda c: seconds(_recent_window(c)),
        value="{value:pct} missed",
        test=lambda c: [Recipe([
            Series("chainwatch_validator_attestations_checked_total", c.group_labels, 100, 100, "counter"),
            Series("chainwatch_validator_attestations_missed_total", c.group_labels, 0, 50, "counter"),
        ], 0.5, c.group_labels, window=3600, note="half the attestations missed")],
    ),
    AlertSpec(
        "ChainwatchProposalMissed", "group", ("warning",),
        when=_has_groups,
        expr=lambda c: f"max by ({by(GROUP_LABELS)}) (increase({c.csel('chainwatch_validator_proposals_missed_total')}[{_proposal_window(c)}])) > 0",
        for_=lambda c: c.d.validator,
        summary="Group {group} on {chain} missed a block proposal",
        description=lambda c: "A validator of group {group} on {chain}/{network} missed an assigned block proposal in the last " + _proposal_window(c)
        + " (about {value:%.0f} missed).",
        value="{value:%.0f} missed",
        test=lambda c: [Recipe(
            [
                Series("chainwatch_validator_proposals_total", c.group_labels, 0, 1, "counter"),
                Series("chainwatch_validator_proposals_missed_total", c.group_labels, 0, 1, "counter"),
            ],
            None, c.group_labels, window=seconds(_proposal_window(c)), note="proposals missed", blip=False,
            value_at=lambda steps, step_: seconds(_proposal_window(c)) / step_,
        )],
    ),
    _status_change(
        "ChainwatchValidatorSlashed", "critical", "active_slashed|exited_slashed",
        "A validator of group {group} on {chain} was slashed",
        "The number of slashed validators in group {group} on {chain}/{network} grew in the last " + VALIDATOR_EVENT_WINDOW
        + ". Stop its signer everywhere before anything else: a second signer with the same key is the usual cause.",
        "active_slashed", "validator slashed",
    ),
    _status_change(
        "ChainwatchValidatorExited", "warning", "active_exiting|exited_unslashed",
        "A validator of group {group} on {chain} is exiting",
        "The number of exiting or exited (unslashed) validators in group {group} on {chain}/{network} grew in the last "
        + VALIDATOR_EVENT_WINDOW + ". If nobody submitted a voluntary exit, treat the withdrawal/signing keys as compromised.",
        "active_exiting", "validator exiting",
    ),
    AlertSpec(
        "ChainwatchValidatorMonitorStuck", "chain", ("warning",),
        when=_has_groups,
        threshold=lambda c: number(MONITOR_STUCK_EPOCHS * c.chain.epoch_seconds),
        expr=lambda c: f"time() - max by ({by(CHAIN_LABELS)}) ({c.csel('chainwatch_validator_monitor_last_success_timestamp_seconds')}) > {fmt(c.threshold)}",
        for_=lambda c: c.d.validator,
        summary="Validator monitor of {chain} has processed no epoch for {value:%.0f}s",
        description=lambda c: "The validator monitor of {chain}/{network} last processed an epoch {value:%.0f}s ago (threshold " + fmt(c.threshold)
        + "s = " + str(MONITOR_STUCK_EPOCHS) + " epochs): attestation and proposal misses are not being counted.",
        value="{value:%.0f}s",
        test=lambda c: [Recipe(
            [Series("chainwatch_validator_monitor_last_success_timestamp_seconds", c.chain_labels, 0, 0, "clock")],
            None, c.chain_labels, window=c.threshold, note="monitor stopped", value_at=lambda steps, step_: steps * step_,
        )],
    ),
)
