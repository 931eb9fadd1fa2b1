"""The beacon kind's own alerts: finality, validator duties (attestations, sync committee, proposals), the validator monitor.

One :class:`~chainwatch.core.alertkit.AlertSpec` each; runbooks in ``runbooks/<AlertName>.md``.
"""

from __future__ import annotations

import math

from chainwatch.core.alertkit import CHAIN_LABELS, GROUP_LABELS, AlertSpec, Ctx, Inhibition, Recipe, Series, by, duration, fmt, seconds, step

# Miss-ratio warning: at least this many epochs with misses within the hour (one epoch of false
# "not live" after a beacon restart is ~10.7% of a mainnet hour), and hysteresis at the threshold.
RATIO_MIN_MISSED_EPOCHS = 2
# Beacon head optimistic / execution client offline for longer than this: warning.
OPTIMISTIC_FOR = "5m"
EL_OFFLINE_FOR = "5m"
# Slashings and exits are events: they alert for this long after the status changed.
VALIDATOR_EVENT_WINDOW = "1h"
# An offline sync-committee member misses its attestations too; its sync signatures (counted per
# slot) reach their threshold an epoch before the attestations (counted per epoch) reach theirs.
SYNC_COMMITTEE_EXPLAINS_ATTESTATIONS = Inhibition(
    "ChainwatchSyncCommitteeMissed",
    ("chain", "group"),
    "An offline sync-committee member also misses attestations: its sync-committee page (first, an epoch earlier) is the incident.",
)


def _has_groups(c: Ctx) -> bool:
    return bool(c.groups)


def _recent_window(c: Ctx) -> str:
    """AttestationMissRatioHigh's short window: two epochs (at least 1m), whole minutes. The
    monitor adds an epoch's misses at once after the epoch, so misses still happening show in it."""
    return duration(math.ceil(max(2 * c.chain.epoch_seconds, 60) / 60) * 60)


def _keep_firing(c: Ctx) -> str:
    """Hysteresis of the miss-ratio warning: one epoch, whole minutes (7m on mainnet), so a
    ratio hovering at the threshold does not flap and a real recovery still ends the page soon."""
    return duration(math.ceil(c.chain.epoch_seconds / 60) * 60)


def _missed(c: Ctx) -> str:
    return c.csel("chainwatch_validator_attestations_missed_total")


def _sync_missed(c: Ctx) -> str:
    return c.csel("chainwatch_validator_sync_signatures_missed_total")


def _proposal_window(c: Ctx) -> str:
    w = duration(max(2 * c.chain.epoch_seconds, 300))
    return duration(math.ceil(seconds(w) / 60) * 60)


def _sync_committee_offline_test(c: Ctx) -> list[Recipe]:
    """A sync-committee member offline, as the monitor reports it: it misses its sync signatures
    and its attestations (ChainwatchAttestationsMissed fires too, and is inhibited)."""
    g, attestations = c.group_labels, c.t.attestation_consecutive_misses
    return [
        Recipe(
            [
                Series("chainwatch_validator_consecutive_missed_sync_signatures", g, c.threshold - 1, c.threshold + 1),
                Series("chainwatch_validator_consecutive_missed_attestations", g, attestations - 1, attestations + 1),
            ],
            c.threshold + 1,
            g,
            note="sync-committee member offline",
        )
    ]


def _status_change(name: str, severity: str, statuses: str, summary: str, description: str, moved: str, note: str) -> AlertSpec:
    """A validator status event: the count of ``statuses`` in the group grew within the window."""
    w = VALIDATOR_EVENT_WINDOW

    def test(c: Ctx) -> list[Recipe]:
        g = c.group_labels
        return [
            Recipe(
                [
                    Series("chainwatch_validators", {**g, "status": "active_ongoing"}, 3, 2),
                    Series("chainwatch_validators", {**g, "status": moved}, 0, 1),
                    Series("chainwatch_validators", {**g, "status": statuses.split("|")[1]}, 0, 0),
                ],
                None,
                g,
                window=seconds(w),
                note=note,
                event=True,
            )
        ]

    return AlertSpec(
        name,
        "group",
        (severity,),
        when=_has_groups,
        expr=lambda c: f"max by ({by(GROUP_LABELS)}) (sum without (status) (delta({c.csel('chainwatch_validators', status='~' + statuses)}[{w}]))) > 0.5",
        for_=lambda c: c.durations.validator,
        summary=summary,
        description=description,
        value="slashed" if "slashed" in moved else "exiting",
        test=test,
    )


ALERTS: tuple[AlertSpec, ...] = (
    AlertSpec(
        "ChainwatchFinalityStalled",
        "chain",
        ("critical",),
        chain_wide=True,
        threshold=lambda c: c.chain_thresholds.finality_epochs,
        expr=lambda c: f"min by ({by(CHAIN_LABELS)}) ({c.csel('chainwatch_beacon_epochs_since_finalized')}) > {c.threshold}",
        for_=lambda c: c.durations.finality,
        summary="{chain} has not finalized for {value:%.0f} epochs",
        description=lambda c: (
            "Every beacon node of {chain}/{network} reports the last finalized checkpoint {value:%.0f} epochs ago (normal: 2, threshold "
            + str(c.threshold)
            + "): the chain is not finalizing."
        ),
        value="{value:%.0f} epochs",
        test=lambda c: [
            Recipe(
                [Series("chainwatch_beacon_epochs_since_finalized", c.endpoint_labels, 2, c.threshold + 3)],
                c.threshold + 3,
                c.chain_labels,
                note="finality stopped",
            )
        ],
    ),
    AlertSpec(
        "ChainwatchAttestationsMissed",
        "group",
        ("critical",),  # consecutive misses
        when=_has_groups,
        threshold=lambda c: c.chain_thresholds.attestation_consecutive_misses,
        expr=lambda c: f"max by ({by(GROUP_LABELS)}) ({c.csel('chainwatch_validator_consecutive_missed_attestations')}) >= {c.threshold}",
        for_=lambda c: c.durations.validator,
        summary="Validators of group {group} on {chain} missed {value:%.0f} attestations in a row",
        description=lambda c: (
            "At least one validator of group {group} on {chain}/{network} has missed its last {value:%.0f} attestations (threshold "
            + str(c.threshold)
            + "): it is offline or cannot reach its beacon node."
        ),
        value="{value:%.0f} in a row",
        test=step("chainwatch_validator_consecutive_missed_attestations", lambda c: c.threshold - 1, lambda c: c.threshold + 1, "validator offline"),
        inhibited_by=(SYNC_COMMITTEE_EXPLAINS_ATTESTATIONS,),
    ),
    AlertSpec(
        "ChainwatchAttestationMissRatioHigh",
        "group",
        ("warning",),
        when=_has_groups,
        threshold=lambda c: c.chain_thresholds.attestation_miss_ratio,
        # In at least RATIO_MIN_MISSED_EPOCHS epochs of the hour (changes() of the missed counter =
        # epochs with a miss: the monitor adds each epoch's misses at once), and still missing: it
        # resolves two epochs (+ keep_firing_for) after the misses stop, not an hour after.
        expr=lambda c: (
            f'group:chainwatch_validator_attestations_missed:ratio_rate1h{{chain="{c.name}"}} > {fmt(c.threshold)}'
            f" and on ({by(GROUP_LABELS)}) max by ({by(GROUP_LABELS)}) (changes({_missed(c)}[1h]) - resets({_missed(c)}[1h])) >= {RATIO_MIN_MISSED_EPOCHS}"
            f" and on ({by(GROUP_LABELS)}) max by ({by(GROUP_LABELS)}) (increase({_missed(c)}[{_recent_window(c)}])) > 0"
        ),
        for_=lambda c: c.durations.validator,
        keep_firing_for=_keep_firing,
        summary="Group {group} on {chain} missed {value:pct} of attestations",
        description=lambda c: (
            "Validators of group {group} on {chain}/{network} missed {value:pct} of their attestations over the last hour, in at least "
            + str(RATIO_MIN_MISSED_EPOCHS)
            + " epochs and in the last "
            + _recent_window(c)
            + " (threshold "
            + f"{c.threshold:.0%}"
            + "; one epoch of false misses, e.g. after a beacon node restart, does not fire it; it keeps firing "
            + _keep_firing(c)
            + " after the ratio drops, so it does not flap)."
        ),
        resolves=lambda c: seconds(_recent_window(c)) + seconds(_keep_firing(c)),
        value="{value:pct} missed",
        test=lambda c: [
            Recipe(
                [
                    Series("chainwatch_validator_attestations_checked_total", c.group_labels, 100, 100, "counter"),
                    Series("chainwatch_validator_attestations_missed_total", c.group_labels, 0, 50, "counter"),
                ],
                0.5,
                c.group_labels,
                window=3600,
                note="half the attestations missed",
            )
        ],
    ),
    AlertSpec(
        "ChainwatchSyncCommitteeMissed",
        "group",
        ("critical",),  # slots in a row: a sync-committee member signs every slot for ~27 hours
        when=_has_groups,
        threshold=lambda c: c.t.sync_committee_consecutive_misses,
        expr=lambda c: f"max by ({by(GROUP_LABELS)}) ({c.csel('chainwatch_validator_consecutive_missed_sync_signatures')}) >= {c.threshold}",
        for_=lambda c: c.d.validator,
        summary="A sync-committee validator of group {group} on {chain} missed {value:%.0f} signatures in a row",
        description=lambda c: (
            "At least one validator of group {group} on {chain}/{network} that is in the current sync committee has been absent from the sync "
            "aggregate of the last {value:%.0f} blocks (threshold "
            + str(c.threshold)
            + " slots; skipped slots are not counted): every slot it misses costs a sync-committee penalty until its period ends."
            " Its missed attestations are this incident: ChainwatchAttestationsMissed of the group is muted while this fires."
        ),
        value="{value:%.0f} slots in a row",
        test=_sync_committee_offline_test,
    ),
    AlertSpec(
        "ChainwatchSyncCommitteeMissRatioHigh",
        "group",
        ("warning",),
        when=_has_groups,
        threshold=lambda c: c.t.sync_committee_miss_ratio,
        # Over the hour, and still missing in the last two epochs: it resolves soon after the misses stop.
        expr=lambda c: (
            f"max by ({by(GROUP_LABELS)}) (increase({_sync_missed(c)}[1h]))"
            f" / max by ({by(GROUP_LABELS)}) (increase({c.csel('chainwatch_validator_sync_signatures_expected_total')}[1h])) > {fmt(c.threshold)}"
            f" and on ({by(GROUP_LABELS)}) max by ({by(GROUP_LABELS)}) (increase({_sync_missed(c)}[{_recent_window(c)}])) > 0"
        ),
        for_=lambda c: c.d.validator,
        keep_firing_for=_keep_firing,
        summary="Group {group} on {chain} missed {value:pct} of its sync-committee signatures",
        description=lambda c: (
            "Validators of group {group} on {chain}/{network} in the sync committee missed {value:pct} of their expected signatures over the last "
            "hour, and some in the last "
            + _recent_window(c)
            + " (threshold "
            + f"{c.threshold:.0%}"
            + "): a signer that is late or drops some slots. It keeps firing "
            + _keep_firing(c)
            + " after the misses stop, so it does not flap."
        ),
        resolves=lambda c: seconds(_recent_window(c)) + seconds(_keep_firing(c)),
        value="{value:pct} missed",
        test=lambda c: [
            Recipe(
                [
                    Series("chainwatch_validator_sync_signatures_expected_total", c.group_labels, 100, 100, "counter"),
                    Series("chainwatch_validator_sync_signatures_missed_total", c.group_labels, 0, 50, "counter"),
                ],
                0.5,
                c.group_labels,
                window=3600,
                note="half the sync-committee signatures missed",
            )
        ],
    ),
    AlertSpec(
        "ChainwatchProposalMissed",
        "group",
        ("warning",),
        when=_has_groups,
        expr=lambda c: f"max by ({by(GROUP_LABELS)}) (increase({c.csel('chainwatch_validator_proposals_missed_total')}[{_proposal_window(c)}])) > 0",
        for_=lambda c: c.durations.validator,
        summary="Group {group} on {chain} missed a block proposal",
        description=lambda c: (
            "A validator of group {group} on {chain}/{network} missed an assigned block proposal in the last "
            + _proposal_window(c)
            + " (about {value:%.0f} missed)."
        ),
        value="{value:%.0f} missed",
        test=lambda c: [
            Recipe(
                [
                    Series("chainwatch_validator_proposals_total", c.group_labels, 0, 1, "counter"),
                    Series("chainwatch_validator_proposals_missed_total", c.group_labels, 0, 1, "counter"),
                ],
                None,
                c.group_labels,
                window=seconds(_proposal_window(c)),
                note="proposals missed",
                blip=False,
                value_at=lambda steps, step_: seconds(_proposal_window(c)) / step_,
            )
        ],
    ),
    _status_change(
        "ChainwatchValidatorSlashed",
        "critical",
        "active_slashed|exited_slashed",
        "A validator of group {group} on {chain} was slashed",
        "The number of slashed validators in group {group} on {chain}/{network} grew in the last "
        + VALIDATOR_EVENT_WINDOW
        + ". Stop its signer everywhere before anything else: a second signer with the same key is the usual cause.",
        "active_slashed",
        "validator slashed",
    ),
    _status_change(
        "ChainwatchValidatorExited",
        "warning",
        "active_exiting|exited_unslashed",
        "A validator of group {group} on {chain} is exiting",
        "The number of exiting or exited (unslashed) validators in group {group} on {chain}/{network} grew in the last "
        + VALIDATOR_EVENT_WINDOW
        + ". If nobody submitted a voluntary exit, treat the withdrawal/signing keys as compromised.",
        "active_exiting",
        "validator exiting",
    ),
    AlertSpec(
        "ChainwatchBeaconHeadOptimistic",
        "endpoint",
        ("warning",),
        expr=lambda c: f"{c.sel('chainwatch_beacon_optimistic')} == 1",
        for_=OPTIMISTIC_FOR,
        summary="{endpoint} on {chain} follows an optimistic head",
        description="The head of beacon node {endpoint} ({role}) on {chain}/{network} has been optimistic (execution payload not verified) for "
        + OPTIMISTIC_FOR
        + ": its execution client is syncing or unreachable, and validators using it cannot propose or attest safely.",
        value="optimistic",
        test=step("chainwatch_beacon_optimistic", 0, 1, "head optimistic"),
    ),
    AlertSpec(
        "ChainwatchBeaconExecutionOffline",
        "endpoint",
        ("warning",),
        expr=lambda c: f"{c.sel('chainwatch_beacon_el_offline')} == 1",
        for_=EL_OFFLINE_FOR,
        summary="Execution client of {endpoint} on {chain} is offline",
        description="Beacon node {endpoint} ({role}) on {chain}/{network} has reported its execution client offline (el_offline) for "
        + EL_OFFLINE_FOR
        + ": it cannot verify or build blocks.",
        value="el_offline",
        test=step("chainwatch_beacon_el_offline", 0, 1, "execution client offline"),
    ),
)
