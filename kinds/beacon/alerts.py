"""The beacon kind's own alerts: finality, validator duties, the validator monitor."""

from __future__ import annotations

import math

from chainwatch.core.generated import number
from chainwatch.rules.alerts import Ctx, _halt_expr, _halt_recipe
from chainwatch.rules.common import CHAIN_LABELS, GROUP_LABELS, Alert, Recipe, Series, by, duration, fmt, seconds

# The validator monitor processes each epoch after it ends; it is stuck after this many epochs.
MONITOR_STUCK_EPOCHS = 3
# Slashings and exits are events: they alert for this long after the status changed.
VALIDATOR_EVENT_WINDOW = "1h"


def finality_stalled(c: Ctx) -> list[Alert]:
    limit = c.t.finality_epochs
    a = c.alert(
        "ChainwatchFinalityStalled", "critical",
        f"min by ({by(CHAIN_LABELS)}) ({c.csel('chainwatch_beacon_epochs_since_finalized')}) > {limit}", c.d.finality,
        "{chain} has not finalized for {value:%.0f} epochs",
        "Every beacon node of {chain}/{network} reports the last finalized checkpoint {value:%.0f} epochs ago (normal: 2, threshold "
        + str(limit) + "): the chain is not finalizing.",
    )
    stalled = limit + 3
    a.recipes = [Recipe([Series("chainwatch_beacon_epochs_since_finalized", c.endpoint_labels, 2, stalled)], stalled, c.chain_labels, note="finality stopped")]
    return [a]


def monitor_stuck(c: Ctx) -> list[Alert]:
    if not c.groups:
        return []
    limit = number(MONITOR_STUCK_EPOCHS * c.chain.epoch_seconds)
    a = c.alert(
        "ChainwatchValidatorMonitorStuck", "warning",
        f"time() - max by ({by(CHAIN_LABELS)}) ({c.csel('chainwatch_validator_monitor_last_success_timestamp_seconds')}) > {fmt(limit)}", c.d.validator,
        "Validator monitor of {chain} has processed no epoch for {value:%.0f}s",
        "The validator monitor of {chain}/{network} last processed an epoch {value:%.0f}s ago (threshold " + fmt(limit)
        + "s = " + str(MONITOR_STUCK_EPOCHS) + " epochs): attestation and proposal misses are not being counted.",
    )
    a.recipes = [Recipe(
        [Series("chainwatch_validator_monitor_last_success_timestamp_seconds", c.chain_labels, 0, 0, "clock")],
        None, c.chain_labels, window=limit, note="monitor stopped", value_at=lambda steps, step: steps * step,
    )]
    return [a]


def attestations_missed(c: Ctx) -> list[Alert]:
    if not c.groups:
        return []
    n = c.t.attestation_consecutive_misses
    a = c.alert(
        "ChainwatchAttestationsMissed", "critical",
        f"max by ({by(GROUP_LABELS)}) ({c.csel('chainwatch_validator_consecutive_missed_attestations')}) >= {n}", c.d.validator,
        "Validators of group {group} on {chain} missed {value:%.0f} attestations in a row",
        "At least one validator of group {group} on {chain}/{network} has missed its last {value:%.0f} attestations (threshold "
        + str(n) + "): it is offline or cannot reach its beacon node.",
    )
    a.recipes = [Recipe([Series("chainwatch_validator_consecutive_missed_attestations", c.group_labels, n - 1, n + 1)], n + 1, c.group_labels, note="validator offline")]
    return [a]


def attestation_ratio(c: Ctx) -> list[Alert]:
    if not c.groups:
        return []
    limit = c.t.attestation_miss_ratio
    a = c.alert(
        "ChainwatchAttestationMissRatioHigh", "warning",
        f'group:chainwatch_validator_attestations_missed:ratio_rate1h{{chain="{c.name}"}} > {fmt(limit)}', c.d.validator,
        "Group {group} on {chain} missed {value:pct} of attestations",
        "Validators of group {group} on {chain}/{network} missed {value:pct} of their attestations over the last hour (threshold "
        + f"{limit:.0%}" + ").",
    )
    g = c.group_labels
    checked = 100
    a.recipes = [Recipe([
        Series("chainwatch_validator_attestations_checked_total", g, checked, checked, "counter"),
        Series("chainwatch_validator_attestations_missed_total", g, 0, 50, "counter"),
    ], 0.5, g, window=3600, note="half the attestations missed")]
    return [a]


def proposal_missed(c: Ctx) -> list[Alert]:
    if not c.groups:
        return []
    w = duration(max(2 * c.chain.epoch_seconds, 300))
    w = duration(math.ceil(seconds(w) / 60) * 60)
    a = c.alert(
        "ChainwatchProposalMissed", "warning",
        f"max by ({by(GROUP_LABELS)}) (increase({c.csel('chainwatch_validator_proposals_missed_total')}[{w}])) > 0", c.d.validator,
        "Group {group} on {chain} missed a block proposal",
        "A validator of group {group} on {chain}/{network} missed an assigned block proposal in the last " + w
        + " (about {value:%.0f} missed).",
    )
    a.recipes = [Recipe(
        [
            Series("chainwatch_validator_proposals_total", c.group_labels, 0, 1, "counter"),
            Series("chainwatch_validator_proposals_missed_total", c.group_labels, 0, 1, "counter"),
        ],
        None, c.group_labels, window=seconds(w), note="proposals missed", blip=False, value_at=lambda steps, step: seconds(w) / step,
    )]
    return [a]


def _status_change(c: Ctx, name: str, severity: str, statuses: str, summary: str, description: str) -> Alert:
    w = VALIDATOR_EVENT_WINDOW
    a = c.alert(
        name, severity,
        f"max by ({by(GROUP_LABELS)}) (sum without (status) (delta({c.csel('chainwatch_validators', status='~' + statuses)}[{w}]))) > 0.5", c.d.validator,
        summary, description,
    )
    return a


def validator_slashed(c: Ctx) -> list[Alert]:
    if not c.groups:
        return []
    a = _status_change(
        c, "ChainwatchValidatorSlashed", "critical", "active_slashed|exited_slashed",
        "A validator of group {group} on {chain} was slashed",
        "The number of slashed validators in group {group} on {chain}/{network} grew in the last " + VALIDATOR_EVENT_WINDOW
        + ". Stop its signer everywhere before anything else: a second signer with the same key is the usual cause.",
    )
    g = c.group_labels
    a.recipes = [Recipe([
        Series("chainwatch_validators", {**g, "status": "active_ongoing"}, 3, 2),
        Series("chainwatch_validators", {**g, "status": "active_slashed"}, 0, 1),
        Series("chainwatch_validators", {**g, "status": "exited_slashed"}, 0, 0),
    ], None, g, window=seconds(VALIDATOR_EVENT_WINDOW), note="validator slashed", event=True)]
    return [a]


def validator_exited(c: Ctx) -> list[Alert]:
    if not c.groups:
        return []
    a = _status_change(
        c, "ChainwatchValidatorExited", "warning", "active_exiting|exited_unslashed",
        "A validator of group {group} on {chain} is exiting",
        "The number of exiting or exited (unslashed) validators in group {group} on {chain}/{network} grew in the last "
        + VALIDATOR_EVENT_WINDOW + ". If nobody submitted a voluntary exit, treat the withdrawal/signing keys as compromised.",
    )
    g = c.group_labels
    a.recipes = [Recipe([
        Series("chainwatch_validators", {**g, "status": "active_ongoing"}, 3, 2),
        Series("chainwatch_validators", {**g, "status": "active_exiting"}, 0, 1),
        Series("chainwatch_validators", {**g, "status": "exited_unslashed"}, 0, 0),
    ], None, g, window=seconds(VALIDATOR_EVENT_WINDOW), note="validator exiting", event=True)]
    return [a]


BUILDERS = (finality_stalled, attestations_missed, attestation_ratio, proposal_missed, validator_slashed, validator_exited, monitor_stuck)
