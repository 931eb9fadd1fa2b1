"""The fault catalog: the issue's faults, real alert names, budgets as documented."""

from __future__ import annotations

from pathlib import Path

from chainwatch.devnet import faults
from chainwatch.devnet.stack import DURATIONS, Options, Stack, seconds
from chainwatch.assembly import names

ISSUE_FAULTS = [
    "stall-node",
    "lag-node",
    "flood-mempool",
    "slow-rpc",
    "rpc-errors",
    "wrong-chain",
    "halt-chain",
    "miss-attestations",
    "solana-delinquent",
    "solana-halt",
    "kill-exporter",
    "subgraph-behind",
    "subgraph-stalled",
    "subgraph-failed",
    "subgraph-fork",
    "cosmos-miss-blocks",
    "cosmos-halt",
    "cosmos-jailed",
    "cosmos-catching-up",
    "cosmos-wrong-network",
    "aptos-node-behind",  # issue #30: Aptos
    "aptos-proposals-failing",
    "aptos-validator-leaves",
    "sui-node-behind",  # issue #30: Sui
    "sui-stream-behind",
    "sui-validator-reported",
    "isolate-ltc-node",
    "stop-ltc-node",
    "batcher-stall",
    "lag-l1-view",
    "halt-sequencer",  # issue #19: rollups
    "avalanche-bootstrapping",  # issue #29: Avalanche
    "avalanche-validator-disconnected",
    "drain-batcher",  # issue #31: operational accounts
    "solana-drain-fee-payer",
]


def test_every_fault_of_the_issue_exists_and_names_real_alerts(tmp_path: Path):
    every_for = Stack(Options(run_dir=tmp_path)).durations()
    assert sorted(faults.FAULTS) == sorted(ISSUE_FAULTS)
    for f in faults.FAULTS.values():
        assert f.expect, f.name
        for alert in (*f.expect, *f.allow):
            assert alert in names.ALERT_BY_NAME, (f.name, alert)
        assert f.duration in every_for  # the shared durations plus every kind's own


def test_budget_is_threshold_plus_for_plus_two_scrapes_plus_slack(tmp_path: Path):
    stack = Stack(Options(run_dir=tmp_path, scrape_interval=2.0, evaluation_interval=1.0))
    f = faults.FAULTS["stall-node"]
    assert f.budget(stack) == 6 + seconds(DURATIONS["head_stale"]) + 2 * 2.0 + 1.0 + 1 + faults.SLACK_SECONDS


def test_faults_of_missing_pieces_say_why(tmp_path: Path):
    from chainwatch import kinds

    everything = frozenset(p.name for p in kinds.demo_parts())
    stack = Stack(Options(run_dir=tmp_path, without=everything))
    stack.plan()
    for name, piece in (
        ("solana-halt", "Solana simulator"),
        ("miss-attestations", "Lodestar"),
        ("subgraph-stalled", "graph-node simulator"),
        ("cosmos-halt", "CometBFT simulator"),
        ("isolate-ltc-node", "litecoind"),
        ("halt-sequencer", "rollup"),
    ):
        try:
            faults.FAULTS[name].available(stack)
        except faults.FaultUnavailable as exc:
            assert piece in str(exc) and "disabled with --no-" in str(exc)
        else:
            raise AssertionError(f"{name} claims to be available without its piece")
    faults.FAULTS["stall-node"].available(stack)  # EVM faults only need anvil
