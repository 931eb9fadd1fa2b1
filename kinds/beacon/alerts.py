"""The beacon kind's own alerts: finality, validator duties, the validator monitor."""

from __future__ import annotations

import math

from chainwatch.rules.alerts import Ctx, _halt_expr, _halt_recipe
from chainwatch.rules.common import CHAIN_LABELS, GROUP_LABELS, Alert, Recipe, Series, by, duration, fmt, seconds

# Miss-ratio warning: at least this many epochs with misses within the hour (one epoch of false
# "not live" after a beacon restart is ~10.7% of a mainnet hour), and hysteresis at the threshold.
RATIO_MIN_MISSED_EPOCHS = 2
RATIO_KEEP_FIRING = "15m"
# Beacon head optimistic / execution client offline for longer than this: warning.
OPTIMISTIC_FOR = "5m"
EL_OFFLINE_FOR = "5m"
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


def beacon_optimistic(c: Ctx) -> list[Alert]:
    a = c.alert(
        "ChainwatchBeaconHeadOptimistic", "warning",
        f"{c.sel('chainwatch_beacon_optimistic')} == 1", OPTIMISTIC_FOR,
        "{endpoint} on {chain} follows an optimistic head",
        "The head of beacon node {endpoint} ({role}) on {chain}/{network} has been optimistic (execution payload not verified) for "
        + OPTIMISTIC_FOR + ": its execution client is syncing or unreachable, and validators using it cannot propose or attest safely.",
    )
    e = c.endpoint_labels
    a.recipes = [Recipe([Series("chainwatch_beacon_optimistic", e, 0, 1)], 1, e, note="head optimistic")]
    return [a]


def beacon_el_offline(c: Ctx) -> list[Alert]:
    a = c.alert(
        "ChainwatchBeaconExecutionOffline", "warning",
        f"{c.sel('chainwatch_beacon_el_offline')} == 1", EL_OFFLINE_FOR,
        "Execution client of {endpoint} on {chain} is offline",
        "Beacon node {endpoint} ({role}) on {chain}/{network} has reported its execution client offline (el_offline) for "
        + EL_OFFLINE_FOR + ": it cannot verify or build blocks.",
    )
    e = c.endpoint_labels
    a.recipes = [Recipe([Series("chainwatch_beacon_el_offline", e, 0, 1)], 1, e, note="execution client offline")]
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
    missed = c.csel("chainwatch_validator_attestations_missed_total")
    # changes() of the missed counter = epochs with a miss (the monitor adds each epoch's misses at once).
    a = c.alert(
        "ChainwatchAttestationMissRatioHigh", "warning",
        f'group:chainwatch_validator_attestations_missed:ratio_rate1h{{chain="{c.name}"}} > {fmt(limit)}'
        f" and on ({by(GROUP_LABELS)}) max by ({by(GROUP_LABELS)}) (changes({missed}[1h]) - resets({missed}[1h])) >= {RATIO_MIN_MISSED_EPOCHS}",
        c.d.validator,
        "Group {group} on {chain} missed {value:pct} of attestations",
        "Validators of group {group} on {chain}/{network} missed {value:pct} of their attestations over the last hour, in at least "
        + str(RATIO_MIN_MISSED_EPOCHS) + " epochs (threshold " + f"{limit:.0%}" + "; one epoch of false misses, e.g. after a beacon"
        " node restart, does not fire it; it keeps firing " + RATIO_KEEP_FIRING + " after the ratio drops, so it does not flap).",
        keep_firing_for=RATIO_KEEP_FIRING,
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


BUILDERS = (finality_stalled, attestations_missed, attestation_ratio, proposal_missed, validator_slashed, validator_exited,
            beacon_optimistic, beacon_el_offline)
