"""Beacon probe and validator monitor against a real Lodestar 1.5.1 dev chain.

Run with ``pytest -m lodestar`` (install: ``.ci/install-lodestar``). Every assertion goes
through the real exporter process's ``/metrics``: the node's answers, our transport, the
probe, the monitor and the exposition are all real. 1-second slots, 8 slots per epoch.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.poll import wait_until
from tests.support.stack import Exporter, write_config

from .lodestar import Lodestar, ValidatorClient

pytestmark = pytest.mark.lodestar
SYNC_THRESHOLD = 4  # slots with a block in a row; 2 epochs of 8 slots give at least this many


def chain_config(node: Lodestar, state_file: Path, *, validators: dict | None = None) -> dict:
    chain = {
        "kind": "beacon",
        "network": "dev",
        "seconds_per_slot": node.seconds_per_slot,
        "slots_per_epoch": 8,
        "endpoints": [{"name": "lodestar-1", "url": node.url, "role": "node"}],
    }
    if validators is not None:
        chain["validators"] = {"endpoint": "lodestar-1", "state_file": str(state_file), **validators}
    return {"devcl": chain}


def wait_metric(exporter: Exporter, predicate, timeout: float, what: str):
    return wait_until(lambda: s if predicate(s := exporter.metrics()) else None, timeout, what, interval=0.5)


def test_misses_exactly_for_the_validators_that_do_not_run(devchain: Lodestar, tmp_path):
    pubkey7 = devchain.api("/eth/v1/beacon/states/head/validators?id=7")[0]["validator"]["pubkey"]
    groups = {"online": [0, 1, 2, 3, 4, 5], "offline": [6, pubkey7]}  # 7 by pubkey: resolved through the node
    config = write_config(
        tmp_path / "chainwatch.yaml",
        chain_config(devchain, tmp_path / "state.json", validators={"groups": groups, "per_validator_metrics": True}),
        exporter={"state_dir": str(tmp_path)},
    )
    started = time.monotonic()
    with Exporter(config, tmp_path) as exporter:

        def two_epochs(s):
            checked = s.value("chainwatch_validator_attestations_checked_total", group="offline")
            return checked is not None and checked >= 4  # 2 validators x 2 epochs

        # Two epochs are 16 slots; the monitor reads an epoch once it is over, plus a margin.
        s = wait_metric(exporter, two_epochs, 16 * devchain.seconds_per_slot + 60, "two processed epochs")
        elapsed = time.monotonic() - started

        # Node metrics come from the real node.
        head = s.value("chainwatch_head_height", endpoint="lodestar-1")
        assert head is not None and head >= 16
        assert s.value("chainwatch_probe_success", endpoint="lodestar-1") == 1
        assert s.value("chainwatch_peers", endpoint="lodestar-1") == 0  # a lone dev node: 0, and present
        assert s.value("chainwatch_beacon_peers", endpoint="lodestar-1", state="connected") == 0
        assert s.value("chainwatch_beacon_health_status_code", endpoint="lodestar-1") == 200
        assert s.value("chainwatch_beacon_el_offline", endpoint="lodestar-1") is None  # 1.5.1 has no el_offline
        assert s.value("chainwatch_syncing", endpoint="lodestar-1") == 0
        assert s.find("chainwatch_node_info", endpoint="lodestar-1")[0][0]["client_version"].startswith("Lodestar/v1.5.1")
        finalized = s.value("chainwatch_beacon_finalized_epoch", endpoint="lodestar-1")
        placeholder = s.value("chainwatch_probe_value_unknown", endpoint="lodestar-1", field="finality_checkpoints.finalized")
        if finalized is None:
            # Nothing finalized yet: the node answers the genesis placeholder (epoch 0, zero root),
            # which is "not known", said so, and never an epoch a finality alert could count from.
            assert placeholder == 1
            assert s.value("chainwatch_beacon_epochs_since_finalized", endpoint="lodestar-1") is None
        else:
            assert placeholder in (None, 0)
            assert s.value("chainwatch_beacon_epochs_since_finalized", endpoint="lodestar-1") <= 3
        assert s.value("chainwatch_sync_lag_blocks", endpoint="lodestar-1") <= 2
        assert s.value("chainwatch_head_age_seconds", endpoint="lodestar-1") < 2 * devchain.seconds_per_slot + 2

        # Validator duties: 6 and 7 miss every epoch; 0-5 run. Their validator client shares the
        # 2-core machine with the rest of the suite and, loaded, can really miss an attestation
        # of the first epochs (twice seen in CI: 2 of 12, never in a row): a few, never all.
        offline_checked = s.value("chainwatch_validator_attestations_checked_total", group="offline")
        assert s.value("chainwatch_validator_attestations_missed_total", group="offline") == offline_checked
        online_checked = s.value("chainwatch_validator_attestations_checked_total", group="online")
        assert online_checked == 3 * offline_checked  # same epochs, 6 validators vs 2
        online_missed = s.value("chainwatch_validator_attestations_missed_total", group="online")
        assert online_missed <= online_checked // 4
        assert s.value("chainwatch_validator_consecutive_missed_attestations", group="offline") >= 2
        assert s.value("chainwatch_validator_consecutive_missed_attestations", group="online") <= 1
        assert s.value("chainwatch_validators", group="online", status="active_ongoing") == 6
        assert s.value("chainwatch_validators", group="offline", status="active_ongoing") == 2
        assert s.value("chainwatch_validator_effective_balance_wei", group="offline") == 2 * 32 * 10**18
        assert s.value("chainwatch_validator_missed_attestations_consecutive", group="offline", validator="7") >= 2
        assert s.value("chainwatch_validator_missed_attestations_consecutive", group="online", validator="0") <= 1
        assert s.value("chainwatch_validator_monitor_epochs_skipped_total") == 0
        last = s.value("chainwatch_validator_monitor_last_epoch")
        # Proposals: every duty of 6/7 is a missed slot, 0-5 propose theirs.
        assert s.value("chainwatch_validator_proposals_missed_total", group="offline") == s.value("chainwatch_validator_proposals_total", group="offline")
        # Online ones propose theirs; a loaded machine can make one late now and then (seen once): a few, never all.
        assert s.value("chainwatch_validator_proposals_missed_total", group="online") <= s.value("chainwatch_validator_proposals_total", group="online") // 4
        assert s.value("chainwatch_validator_proposals_total", group="online") + s.value("chainwatch_validator_proposals_total", group="offline") == 8 * (
            offline_checked // 2
        )
        # Sync committee (Altair from genesis): 32 positions, so all 8 validators are in it. 6 and 7
        # are absent from every block's sync aggregate (a skipped slot counts for nobody); 0-5 sign.
        committee = [int(i) for i in devchain.api("/eth/v1/beacon/states/head/sync_committees")["validators"]]
        assert set(committee) == set(range(8))
        assert s.value("chainwatch_validator_sync_committee_members", group="online", period="current") == 6
        assert s.value("chainwatch_validator_sync_committee_members", group="offline", period="next") == 2
        sync_expected = s.value("chainwatch_validator_sync_signatures_expected_total", group="offline")
        assert sync_expected >= committee.count(6) + committee.count(7)  # at least one block
        assert s.value("chainwatch_validator_sync_signatures_missed_total", group="offline") == sync_expected
        sync_run = s.value("chainwatch_validator_consecutive_missed_sync_signatures", group="offline")
        assert sync_run >= SYNC_THRESHOLD  # at or past the configured threshold: ChainwatchSyncCommitteeMissed pages
        assert s.value("chainwatch_validator_missed_sync_signatures_consecutive", group="offline", validator="6") == sync_run
        assert s.value("chainwatch_validator_sync_signatures_expected_total", group="online") > 0
        online_sync_missed = s.value("chainwatch_validator_sync_signatures_missed_total", group="online")
        # As with attestations, a loaded machine can make a running validator sign late now and then: a few, never a run.
        assert online_sync_missed <= s.value("chainwatch_validator_sync_signatures_expected_total", group="online") // 4
        assert s.value("chainwatch_validator_consecutive_missed_sync_signatures", group="online") < SYNC_THRESHOLD
        print(
            f"\nsync committee: offline run {sync_run:.0f} slots, online missed {online_sync_missed:.0f} of {s.value('chainwatch_validator_sync_signatures_expected_total', group='online'):.0f}"
        )
        print(f"\ntwo epochs processed {elapsed:.1f}s after exporter start; last epoch {last}")

    # Restart the exporter: it resumes from the state file, counts nothing twice.
    with Exporter(config, tmp_path) as exporter:
        s = exporter.metrics("/probe?chain=devcl")  # the chain's page carries its validator metrics too
        assert s.value("chainwatch_validator_attestations_checked_total", group="offline") >= offline_checked
        assert s.value("chainwatch_validator_attestations_missed_total", group="online") >= online_missed  # resumed, not reset
        assert s.value("chainwatch_validator_consecutive_missed_sync_signatures", group="offline") >= sync_run  # the run survives the restart
        s = wait_metric(
            exporter,
            lambda s: (s.value("chainwatch_validator_monitor_last_epoch") or 0) >= last + 1,
            8 * devchain.seconds_per_slot + 30,
            "next epoch after restart",
        )
        epochs = s.value("chainwatch_validator_monitor_last_epoch") - last + offline_checked // 2
        skipped = s.value("chainwatch_validator_monitor_epochs_skipped_total")
        assert s.value("chainwatch_validator_attestations_checked_total", group="offline") == 2 * (epochs - skipped)
        assert s.value("chainwatch_validator_attestations_missed_total", group="offline") == 2 * (epochs - skipped)
        # Online ones: the few real misses of a loaded machine at most, as above, nothing counted twice.
        assert (
            s.value("chainwatch_validator_attestations_missed_total", group="online")
            <= s.value("chainwatch_validator_attestations_checked_total", group="online") // 4
        )


def test_genesis_root_of_the_real_node_passes_and_another_fails_wrong_chain(devchain: Lodestar, tmp_path):
    """The dev chain's root differs per run: read it from the node, then configure it right and wrong."""
    root = devchain.api("/eth/v1/beacon/genesis")["genesis_validators_root"]
    mainnet = "0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95"
    assert root != mainnet
    chains = {}
    for name, configured in (("right", root), ("wrong", mainnet)):
        chain = chain_config(devchain, tmp_path / "state.json")["devcl"]
        chain["endpoints"] = [{"name": f"lodestar-{name}", "url": devchain.url, "role": "node"}]
        chains[f"devcl-{name}"] = {**chain, "genesis_validators_root": configured}
    config = write_config(tmp_path / "chainwatch.yaml", chains, exporter={"state_dir": str(tmp_path)})
    with Exporter(config, tmp_path) as exporter:
        s = exporter.metrics()
        assert s.value("chainwatch_probe_success", endpoint="lodestar-right") == 1
        assert s.value("chainwatch_probe_success", endpoint="lodestar-wrong") == 0
        assert s.value("chainwatch_probe_failure_reason", endpoint="lodestar-wrong", reason="wrong_chain") == 1


def settled_head(node: Lodestar, still: float = 3.0, timeout: float = 30.0) -> int:
    seen = {"slot": node.head_slot(), "since": time.monotonic()}

    def settled() -> int | None:
        slot = node.head_slot()
        if slot != seen["slot"]:
            seen.update(slot=slot, since=time.monotonic())
        return slot if time.monotonic() - seen["since"] >= still else None

    return wait_until(settled, timeout, "the head to stop moving", interval=0.25)


def test_stall_after_validator_client_is_killed(lodestar_install, tmp_path):
    """Beacon node with a separate validator client; killing the client freezes the head."""
    # The validator client starts only once the node answers, and Node.js can take 15 s to start it
    # on a busy machine: genesis far enough ahead that its first block comes within 8 slots.
    node = Lodestar(tmp_path / "bn", start_validators=None, genesis_delay=25)
    vc = ValidatorClient(tmp_path / "vc", node)
    try:
        node.wait_slot(4, timeout=180)  # set-up, not a contract: a loaded machine starts the pair slowly
        config = write_config(tmp_path / "chainwatch.yaml", chain_config(node, tmp_path / "state.json"), exporter={"state_dir": str(tmp_path)})
        with Exporter(config, tmp_path) as exporter:
            s = exporter.metrics()
            assert s.value("chainwatch_probe_success", endpoint="lodestar-1") == 1
            assert s.value("chainwatch_sync_lag_blocks", endpoint="lodestar-1") <= 2
            vc.stop()
            # A block the client published just before it stopped may still be imported: the
            # frozen head is the one that then stays put for three 1 s slots.
            frozen = settled_head(node)
            lag = lambda s: s.value("chainwatch_sync_lag_blocks", endpoint="lodestar-1")  # noqa: E731
            age = lambda s: s.value("chainwatch_head_age_seconds", endpoint="lodestar-1")  # noqa: E731
            # 1 s slots: 2 slots behind within ~2 s, 15 s on a loaded machine; then 2 more.
            first = wait_metric(exporter, lambda s: lag(s) >= 2, 15, "the frozen head 2 slots behind")
            second = wait_metric(exporter, lambda s: lag(s) >= lag(first) + 2 and age(s) >= age(first) + 2, 15, "the lag still growing")
            assert node.head_slot() == frozen
            assert first.value("chainwatch_head_height", endpoint="lodestar-1") == frozen
            lag1, lag2, age1, age2 = lag(first), lag(second), age(first), age(second)
            assert lag1 >= 2 and lag2 >= lag1 + 2, (lag1, lag2)
            assert age2 >= age1 + 2, (age1, age2)
            assert second.value("chainwatch_sync_lag_seconds", endpoint="lodestar-1") >= 4
            assert second.value("chainwatch_probe_success", endpoint="lodestar-1") == 1  # the node answers; it is the chain that stalls
    finally:
        vc.stop()
        node.stop()
