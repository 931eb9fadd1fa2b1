"""A validator monitor whose saved position is ahead of the chain (issue #35): it must say so,
fail, and resync, not stay blind while reporting success.

Talks to: the SIMULATED CometBFT chain (kinds/cosmos/simulator.py) on loopback, with a manual
block clock; the stuck alert is evaluated by the real promtool (Debian prometheus).
"""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import pytest
import yaml

from chainwatch.assembly.config import load
from chainwatch.core.alertkit import Recipe
from chainwatch.exporters.monitorbase import RESYNC_AFTER_ROUNDS
from chainwatch.exporters.transport import Transport
from chainwatch.kinds.cosmos.simulator import Chain, Simulator
from chainwatch.rules import generate
from tests.support import require_binary

from .support import monitor, sample

CHECKED = "chainwatch_cosmos_validator_blocks_checked_total"
LAST_SUCCESS = "chainwatch_validator_monitor_last_success_timestamp_seconds"
FAILURES = "chainwatch_validator_monitor_failures_total"
RESYNCS = "chainwatch_validator_monitor_resyncs_total"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples/chainwatch.yaml"


@pytest.fixture
async def transport():
    t = Transport()
    yield t
    await t.close()


async def test_a_saved_height_ahead_of_the_chain_fails_warns_once_and_resyncs_at_the_head(tmp_path, transport, caplog):
    chain = Chain(manual=True)
    async with Simulator(chain) as sim:
        groups = {"ops": [chain.validators[0].address]}
        state = tmp_path / "s.json"
        first = monitor(chain, sim, groups, state, transport)
        await first.round()
        for _ in range(3):
            chain.advance()
        await first.round()
        counted = sample(first, CHECKED, group="ops")
        head = first.state.last_height
        # The node restored from an older snapshot (or the devnet reset): the saved height is 50 ahead.
        first.state.last_height = head + 50
        first.save_state(first.state)

        m = monitor(chain, sim, groups, state, transport)
        started = sample(m, LAST_SUCCESS)
        with caplog.at_level(logging.INFO, logger="chainwatch.validators"):
            for n in range(1, RESYNC_AFTER_ROUNDS):
                await m.round()  # an endpoint answered: no exception, but nothing counted ...
                assert sample(m, CHECKED, group="ops") == counted
                assert sample(m, LAST_SUCCESS) == started  # ... so no success: the stuck alert's clock runs
                assert sample(m, FAILURES) == n
                assert sample(m, RESYNCS, reason="ahead_of_chain") == 0
            warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
            assert [r.getMessage() for r in warnings] == ["cosmos validator monitor position is ahead of the chain; counting nothing"]
            assert (warnings[0].saved, warnings[0].head, warnings[0].unit) == (head + 50, head, "blocks")
            assert warnings[0].exc_info is None

            chain.advance()
            await m.round()  # the chain did not catch up: restart from its head, counters kept
        assert sample(m, RESYNCS, reason="ahead_of_chain") == 1
        assert sample(m, RESYNCS, reason="behind_retention") == 0
        assert m.state.last_height == head + 1
        assert sample(m, CHECKED, group="ops") == counted + 1
        assert sample(m, LAST_SUCCESS) > started
        chain.advance()
        await m.round()
        assert sample(m, CHECKED, group="ops") == counted + 2
        assert sample(m, FAILURES) == RESYNC_AFTER_ROUNDS - 1
        assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1


async def test_a_node_one_block_behind_its_twin_is_not_a_reset(tmp_path, transport):
    """A saved height the chain reaches again before the resync rule applies counts on, nothing twice."""
    chain = Chain(manual=True)
    async with Simulator(chain) as sim:
        m = monitor(chain, sim, {"ops": [chain.validators[0].address]}, tmp_path / "s.json", transport)
        await m.round()
        before = sample(m, CHECKED, group="ops")
        m.state.last_height += 1  # as if a load balancer's other node had answered one block more
        await m.round()
        assert sample(m, FAILURES) == 1
        chain.advance()
        chain.advance()
        await m.round()
        assert sample(m, RESYNCS, reason="ahead_of_chain") == 0
        assert sample(m, CHECKED, group="ops") == before + 1  # the one new block after the saved height


async def test_a_round_ahead_of_the_chain_with_the_lcd_down_is_one_failure(tmp_path, transport):
    """Nothing counted and stale jail figures are one failed round, not two: the failure counter
    is the rate the runbook reads (one a round while the saved height is ahead)."""
    chain = Chain(["ref-1"], manual=True)
    async with Simulator(chain) as sim:
        m = monitor(chain, sim, {"ops": [chain.validators[0].address]}, tmp_path / "s.json", transport)
        m.candidates[0] = m.candidates[0].model_copy(update={"lcd_url": sim.url("ref-1") + "/nolcd"})
        await m.round()
        before = sample(m, FAILURES)
        assert before == 1  # the LCD outage alone: blocks counted, jail figures stale
        m.state.last_height += 50
        for n in range(1, RESYNC_AFTER_ROUNDS):
            m.last_lcd = float("-inf")
            await m.round()
            assert sample(m, FAILURES) == before + n


async def test_a_fallback_at_the_chains_head_is_read_before_the_position_rule(tmp_path, transport):
    """The monitor's node restored from an older snapshot while a fallback follows the chain: the
    blocks are read on the fallback, no failure, no resync, and nothing counted twice (a resync
    at the restored node's head would count its blocks up to the saved height again)."""
    chain = Chain(["ref-1", "ref-2"], manual=True)
    async with Simulator(chain) as sim:
        m = monitor(chain, sim, {"ops": [chain.validators[0].address]}, tmp_path / "s.json", transport, endpoint="ref-1", fallbacks=["ref-2"])
        await m.round()
        saved = m.state.last_height
        for _ in range(3):
            chain.advance()
        await m.round()
        counted = sample(m, CHECKED, group="ops")
        assert m.state.last_height == saved + 3  # counted on ref-1
        chain.node("ref-1").held_at = saved  # ref-1 restored from a snapshot 3 blocks old
        for _ in range(2):
            chain.advance()
        for _ in range(RESYNC_AFTER_ROUNDS + 1):
            await m.round()
        assert sample(m, FAILURES) == 0
        assert sample(m, RESYNCS, reason="ahead_of_chain") == 0
        assert sample(m, CHECKED, group="ops") == counted + 2
        assert m.state.last_height == chain.height


@pytest.mark.prometheus
def test_the_stuck_alert_fires_when_nothing_is_counted_without_a_failure(tmp_path):
    """The soak's shape: blocks_checked flat, failures flat at 0. With success meaning progress,
    the last-success timestamp freezes too, and ChainwatchValidatorMonitorStuck fires (the
    generated rule, in promtool); with a timestamp that kept advancing it could not."""
    config = load(EXAMPLE, need_secrets=False)
    chain = "cosmoshub"
    out = tmp_path / "out"
    generate.write(config, out)
    alert = next(a for f in generate.build(config) for a in f.alerts if a.name == "ChainwatchValidatorMonitorStuck" and a.chain == chain)
    labels = {"chain": chain, "network": config.chains[chain].network}
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    frozen = "0+60x9 540x10"  # progress for 9 minutes, then none (the saved height ahead of the chain)
    advancing = "0+60x19"  # what the monitor exported before: "success" every round, nothing counted
    test = {
        "rule_files": [f"../chainwatch-{chain}.rules.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "name": "nothing counted, no failure: stuck",
                "interval": "1m",
                "input_series": [
                    {"series": f"chainwatch_validator_monitor_last_success_timestamp_seconds{{{inner}}}", "values": frozen},
                    {"series": f"chainwatch_validator_monitor_failures_total{{{inner}}}", "values": "0x19"},
                    {"series": f'chainwatch_cosmos_validator_blocks_checked_total{{{inner},group="ops"}}', "values": "0+5x9 45x10"},
                ],
                "alert_rule_test": [
                    {"eval_time": "10m", "alertname": alert.name, "exp_alerts": []},
                    {"eval_time": "15m", "alertname": alert.name, "exp_alerts": [alert.expected(Recipe([], 360, labels), 360)]},
                ],
            },
            {
                "name": "a timestamp that advances without progress hides it",
                "interval": "1m",
                "input_series": [
                    {"series": f"chainwatch_validator_monitor_last_success_timestamp_seconds{{{inner}}}", "values": advancing},
                    {"series": f"chainwatch_validator_monitor_failures_total{{{inner}}}", "values": "0x19"},
                ],
                "alert_rule_test": [{"eval_time": "15m", "alertname": alert.name, "exp_alerts": []}],
            },
        ],
    }
    (out / "rules/tests/stuck.yml").write_text(yaml.safe_dump(test))
    result = subprocess.run([require_binary("promtool"), "test", "rules", "stuck.yml"], cwd=out / "rules/tests", capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


async def test_a_node_without_a_block_yet_fails_rounds_and_keeps_the_position(tmp_path, transport):
    """CometBFT answers latest_block_height "0" before its first block and while state sync
    restores a snapshot: not a chain behind the saved height to restart at (that restarted at
    height -1), but failed rounds until the node has blocks again, nothing counted twice."""
    chain = Chain(manual=True)
    async with Simulator(chain) as sim:
        m = monitor(chain, sim, {"ops": [chain.validators[0].address]}, tmp_path / "s.json", transport)
        await m.round()
        saved = m.state.last_height
        counted = sample(m, CHECKED, group="ops")
        for node in chain.nodes.values():  # every endpoint the monitor may fall back to
            node.held_at = 0
        for n in range(1, RESYNC_AFTER_ROUNDS + 2):
            with pytest.raises(Exception, match="no block yet"):
                await m.round()
            assert sample(m, FAILURES) == n
        assert m.state.last_height == saved
        assert sample(m, RESYNCS, reason="ahead_of_chain") == 0
        for node in chain.nodes.values():
            node.held_at = None
        chain.advance()
        await m.round()
        assert m.state.last_height == saved + 1
        assert sample(m, CHECKED, group="ops") == counted + 1
