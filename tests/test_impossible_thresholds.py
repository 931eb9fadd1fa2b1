"""Thresholds the chain's own parameters make impossible (issue #25, item 3): reported as config
warnings by ``check``/``generate`` and scaled in the generated rule, never a page at zero misses."""

from __future__ import annotations

from click.testing import CliRunner

from chainwatch.cli import main
from chainwatch.assembly.config import parse
from chainwatch.devnet.cli import long_resolving, resolve_times
from chainwatch.rules import generate
from tests.support import REPO

COSMOS = """
chains:
  tiny-window:
    kind: cosmos
    network: testnet
    chain_id: tiny-1
    block_time_seconds: 6
    slashing: {signed_blocks_window: 100, min_signed_per_window: 0.5}
    endpoints:
      - {name: gaia-1, url: "http://10.0.0.1:26657", lcd_url: "http://10.0.0.1:1317"}
    validators:
      endpoint: gaia-1
      groups:
        main: [{name: v1, consensus_address: "4748B1921F9D6CF16D8B3D5DECC5CEC3442203D5"}]
  slow-evm:
    kind: evm
    network: mainnet
    chain_id: 1
    thresholds: {sync_lag_seconds_warning: 5, head_stale_blocks: 0.5, head_stale_min_seconds: 0}
    endpoints:
      - {name: geth-1, url: "http://10.0.0.2:8545"}
"""


def _rule(config, name: str, severity: str) -> dict:
    for f in generate.build(config):
        for a in f.alerts:
            if a.name == name and a.severity == severity:
                return a.rule()
    raise KeyError(name)


def test_impossible_thresholds_are_warnings_and_scaled():
    config = parse(COSMOS, "t.yaml", need_secrets=False)
    warnings = config.warnings()
    text = "\n".join(warnings)
    # 100 - 50 blocks of 6 s: 300 s of headroom with no miss, below the 6 h / 2 h thresholds
    assert "chains.tiny-window.thresholds.cosmos_jail_headroom_warning_hours: 6" in text
    assert "chains.tiny-window.thresholds.cosmos_jail_headroom_critical_hours: 2" in text
    assert "300s" in text and "zero missed blocks" in text
    assert "chains.slow-evm.thresholds.sync_lag_seconds_warning: 5" in text
    assert "chains.slow-evm.thresholds.head_stale_blocks x block time: 6" in text
    assert len(warnings) == 4
    warn = _rule(config, "ChainwatchCosmosValidatorCloseToJail", "warning")
    crit = _rule(config, "ChainwatchCosmosValidatorCloseToJail", "critical")
    assert " < 150 and on " in warn["expr"] and " < 50 and on " in crit["expr"]  # half the headroom, and the same ratio
    assert "chainwatch_cosmos_validator_signing_window_missed_blocks" in crit["expr"] and crit["expr"].endswith("> 0")
    assert _rule(config, "ChainwatchSyncLagSecondsHigh", "warning")["expr"].startswith('chainwatch_sync_lag_seconds{chain="slow-evm",role!="reference"} > 12 ')
    assert _rule(config, "ChainwatchHeadStale", "critical")["expr"].endswith("> 12")


def test_possible_thresholds_are_left_alone():
    config = parse(
        COSMOS.replace("signed_blocks_window: 100", "signed_blocks_window: 10000")
        .replace("sync_lag_seconds_warning: 5", "sync_lag_seconds_warning: 30")
        .replace("head_stale_blocks: 0.5", "head_stale_blocks: 5"),
        "t.yaml",
        need_secrets=False,
    )
    assert config.warnings() == []
    assert " < 21600 and on " in _rule(config, "ChainwatchCosmosValidatorCloseToJail", "warning")["expr"]


def test_generate_prints_the_warnings(tmp_path):
    src = tmp_path / "chainwatch.yaml"
    src.write_text(COSMOS)
    result = CliRunner().invoke(main, ["generate", "--config.file", str(src), "--out", str(tmp_path / "out"), "--only", "alertmanager"])
    assert result.exit_code == 0, result.output
    assert "warning: " in result.output and "cosmos_jail_headroom_critical_hours" in result.output


def test_demo_heal_reports_long_windows_as_by_design():
    """A missed proposal is held in its look-back window (at least 5 min) and the attestation
    miss ratio keeps firing for an epoch: both resolve by design, later than the heal waits."""
    names = {"ChainwatchProposalMissed", "ChainwatchAttestationMissRatioHigh", "ChainwatchEndpointDown"}
    times = resolve_times(str(REPO / "examples" / "chainwatch.yaml"), names)
    assert set(times) == names
    late = long_resolving(times)
    assert set(late) == {"ChainwatchProposalMissed", "ChainwatchAttestationMissRatioHigh"}
    assert late["ChainwatchProposalMissed"] >= 300
