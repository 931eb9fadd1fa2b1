"""Scheduled upgrades on the SIMULATED CometBFT + LCD chain (kinds/cosmos/simulator.py, loopback):
the x/upgrade plan and the node's application version, read by the probe (kinds/cosmos/upgrade.py).

No real CometBFT / Cosmos SDK node can be installed here.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time

import pytest
import yaml
from pydantic import ValidationError

from chainwatch.assembly.config import parse
from chainwatch.core.versions import Upgrades, parse_version
from chainwatch.exporters.failures import ProbeFailure
from chainwatch.exporters.probe import ProbeContext, ProbeResult
from chainwatch.exporters.transport import Transport
from chainwatch.kinds.cosmos import upgrade
from chainwatch.kinds.cosmos.config import CosmosChain
from chainwatch.kinds.cosmos.probe import PROBE
from chainwatch.kinds.cosmos.simulator import Chain, Simulator
from chainwatch.rules.generate import build, chain_file
from tests.support import require_binary


@pytest.fixture
async def transport():
    t = Transport()
    yield t
    await t.close()


def config(chain: Chain, sim: Simulator, **upgrades) -> CosmosChain:
    return CosmosChain.model_validate(
        {
            "kind": "cosmos",
            "network": "simnet",
            "chain_id": chain.chain_id,
            "block_time_seconds": 6,
            "endpoints": [
                {"name": n, "url": sim.url(n), "lcd_url": sim.lcd_url(n), "role": "reference" if n.startswith("ref") else "node"} for n in chain.nodes
            ],
            "upgrades": upgrades,
        }
    )


async def probe(cfg: CosmosChain, transport, node: str = "rpc-1", cache: dict | None = None) -> tuple[ProbeResult, ProbeContext]:
    ctx = ProbeContext(transport, asyncio.get_running_loop().time() + 5, {} if cache is None else cache, cfg)
    result = ProbeResult(success=False)
    await PROBE.run(cfg.endpoint(node), ctx, result)
    return result, ctx


async def test_a_plan_is_exported_with_its_time_and_a_node_below_the_minimum_is_marked(transport):
    chain = Chain(manual=True, block_seconds=1.0)
    async with Simulator(chain) as sim:
        chain.advance()
        chain.schedule_upgrade("v2", chain.height + 3600)
        chain.node("rpc-1").app_version = "v1.9.3"
        cfg = config(chain, sim, min_version="v2.0.0")
        result, ctx = await probe(cfg, transport)
        # 3600 blocks at the configured 6 s (not observed yet), counted from the head's block time
        left = result.get("chainwatch_upgrade_time_until_seconds", upgrade="v2")
        assert left == pytest.approx(chain.blocks[chain.height].time + 3600 * 6 - time.time(), abs=2)
        assert result.get("chainwatch_upgrade_height", upgrade="v2") == chain.height + 3600
        assert result.get("chainwatch_node_version_below_minimum") == 1
        assert sorted(c.method for c in ctx.calls) == ["abci_info", "current_plan", "net_info", "status"]

        chain.node("ref-1").app_version = "v2.0.0"
        result, _ = await probe(cfg, transport, "ref-1")
        assert result.get("chainwatch_node_version_below_minimum") == 0


async def test_the_plan_is_asked_once_per_interval_and_follows_the_observed_block_time(transport):
    chain = Chain(manual=True, block_seconds=1.0)
    async with Simulator(chain) as sim:
        chain.advance()
        chain.schedule_upgrade("v2", chain.height + 1000)
        cfg = config(chain, sim, min_version="1.0.0")
        cache: dict = {}
        first = chain.blocks[chain.height]
        first.time = time.time() - 2 * upgrade.OBSERVE_BLOCKS  # the chain makes a block about every 2 s
        await probe(cfg, transport, cache=cache)
        for _ in range(upgrade.OBSERVE_BLOCKS):
            chain.advance()
        result, ctx = await probe(cfg, transport, cache=cache)
        assert "current_plan" not in [c.method for c in ctx.calls]  # kept until the interval is over
        # 990 blocks left at the observed ~2 s, not at the configured 6 s
        head_time = chain.blocks[chain.height].time
        observed = (head_time - first.time) / upgrade.OBSERVE_BLOCKS
        assert 2 <= observed < 2.5
        assert result.get("chainwatch_upgrade_time_until_seconds", upgrade="v2") == pytest.approx(head_time + 990 * observed - time.time(), abs=2)
        assert result.get("chainwatch_node_version_below_minimum") == 0  # v1.0.0 is the minimum: at it, not below


async def test_no_plan_no_series_and_an_empty_app_version_is_not_judged(transport):
    chain = Chain(manual=True)
    async with Simulator(chain) as sim:
        chain.node("rpc-1").app_version = ""
        result, _ = await probe(config(chain, sim, min_version="2.0.0"), transport)
        assert not [k for k in result.values if k[0].startswith("chainwatch_upgrade_")]
        assert result.get("chainwatch_node_version_below_minimum") is None
        assert result.dropped == []


async def test_without_upgrades_configured_nothing_more_is_asked(transport):
    chain = Chain(manual=True)
    async with Simulator(chain) as sim:
        chain.schedule_upgrade("v2", chain.height + 10)
        cfg = config(chain, sim)
        cfg = cfg.model_copy(update={"upgrades": None})
        _, ctx = await probe(cfg, transport)
        assert sorted(c.method for c in ctx.calls) == ["net_info", "status"]


def test_a_bad_plan_answer_is_a_bounded_error():
    assert upgrade.parse_plan({"plan": None}) is None
    assert upgrade.parse_plan({"plan": {"name": "v17", "height": "18000000", "time": "0001-01-01T00:00:00Z"}}) == ("v17", 18000000)
    for body in ({"plan": {"name": "", "height": "5"}}, {"plan": {"name": "v17", "height": "-1"}}, {"plan": {"name": "v17", "height": "0"}}, []):
        with pytest.raises(ProbeFailure) as failure:
            upgrade.parse_plan(body)
        assert failure.value.reason == "invalid_response"


def test_versions_compare_as_releases_not_as_text():
    watch = Upgrades(min_version="v1.10.0", min_versions={"Lighthouse": "5.0.0"})
    assert watch.below_minimum("v1.9.9") is True  # text comparison says "v1.9.9" > "v1.10.0"
    assert watch.below_minimum("v1.10.0-rc1") is True  # a release candidate comes before its release
    assert watch.below_minimum("Lodestar/v1.10.0/6d5cf0c") is False
    assert watch.below_minimum("Lighthouse/v4.6.0-441fc16/x86_64-linux") is True  # its own client's minimum
    assert watch.below_minimum("Lighthouse/v5.3.0-d6ba8c3/x86_64-linux") is False
    assert watch.below_minimum("unknown") is None
    assert parse_version("cometbft/0.38.17") == parse_version("0.38.17")


def test_config_errors_name_the_field():
    with pytest.raises(ValidationError, match="min_version"):
        Upgrades(min_version="latest")
    with pytest.raises(ValidationError, match="critical_before"):
        Upgrades(min_version="1.0.0", warning_before="1h", critical_before="2h")


async def test_the_generated_rule_warns_at_the_lead_time_on_what_the_simulator_exports(transport, tmp_path):
    """The issue's check without a Prometheus server: the simulator's plan 30h away (18000 blocks
    at 6 s) and a node below the minimum, read by the probe; the values fed to the generated rule
    of that chain in promtool: the warning (lead 48h) fires, the critical (1h) does not; with the
    node at the minimum nothing does."""
    chain = Chain(manual=True)
    async with Simulator(chain) as sim:
        chain.advance()
        chain.schedule_upgrade("v2", chain.height + 18000)
        chain.node("rpc-1").app_version = "v1.9.0"
        cfg = config(chain, sim, min_version="v2.0.0")
        result, _ = await probe(cfg, transport)
    left = result.get("chainwatch_upgrade_time_until_seconds", upgrade="v2")
    assert 30 * 3600 - 60 < left <= 30 * 3600
    below = result.get("chainwatch_node_version_below_minimum")

    text = json.dumps({"chains": {"sim": {**cfg.model_dump(mode="json", exclude_none=True, exclude={"thresholds"})}}})
    [rules] = [f for f in build(parse(text, env={})) if f.name == chain_file("sim")]
    for group in rules.groups:  # which rule fires is the point here; the texts are the generated tests'
        for rule in group["rules"]:
            rule.pop("annotations", None)
    (tmp_path / "rules.yml").write_text(yaml.safe_dump({"groups": rules.groups}))
    labels = 'chain="sim",endpoint="rpc-1",network="simnet",role="node"'

    def case(below_value: float, expected: list) -> dict:
        return {
            "interval": "1m",
            "input_series": [
                {"series": f'chainwatch_upgrade_time_until_seconds{{{labels},upgrade="v2"}}', "values": f"{left:.0f}-60x10"},
                {"series": f"chainwatch_node_version_below_minimum{{{labels}}}", "values": f"{below_value:.0f}x10"},
            ],
            "alert_rule_test": [{"eval_time": "5m", "alertname": "ChainwatchUpgradeVersionBelowMinimum", "exp_alerts": expected}],
        }

    warning = {
        "exp_labels": {
            "alertname": "ChainwatchUpgradeVersionBelowMinimum",
            "severity": "warning",
            "chain": "sim",
            "endpoint": "rpc-1",
            "network": "simnet",
            "role": "node",
            "team": "default",
        }
    }
    tests = {"rule_files": ["rules.yml"], "evaluation_interval": "1m", "tests": [case(below, [warning]), case(0, [])]}
    (tmp_path / "t.yml").write_text(yaml.safe_dump(tests))
    proc = subprocess.run([require_binary("promtool"), "test", "rules", "t.yml"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-1000:]
