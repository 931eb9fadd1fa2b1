"""The provider quota and budget alerts (issue #31): generated with their promtool recipes and
runbooks, proved by ``promtool test rules`` (fires on usage trending past the line, silent while
healthy and on a burst shorter than ``for:``, resolves after the trend falls back), and the
provider's URL and key in no generated file."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from chainwatch.assembly.config import parse
from chainwatch.rules import generate
from tests.cost.promtool_case import check_at_7h
from tests.support import require_binary

KEY = "k3y-0f-the-provider-9f8e7d"
CONFIG = f"""\
pricing:
  alchemy: {{price_per_million_credits: 0.45, monthly_quota_credits: 1.2e9, budget: 40, window: 6h}}
  chainstack: {{}}
chains:
  ethereum:
    kind: evm
    network: mainnet
    chain_id: 1
    endpoints:
      - {{name: node-1, url: "http://127.0.0.1:8545"}}
      - {{name: alchemy-1, url: "https://eth-mainnet.g.alchemy.com/v2/{KEY}", role: reference, provider: alchemy}}
      - {{name: chainstack-1, url: "https://ethereum-mainnet.core.chainstack.com/{KEY}", role: reference, provider: chainstack}}
"""


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("generated")
    generate.write(parse(CONFIG, env={}), out)
    return out


def test_quota_and_budget_alerts_pass_their_promtool_tests(generated):
    tmp_path = generated
    rules = yaml.safe_load((tmp_path / "rules" / "chainwatch-providers.rules.yml").read_text())["groups"][0]["rules"]
    # chainstack has no quota and no budget: nothing to alert on
    rules = [r for r in rules if "alert" in r]
    assert [(r["alert"], r["labels"]["provider"]) for r in rules] == [
        ("ChainwatchProviderQuotaExhaustion", "alchemy"),
        ("ChainwatchProviderBudgetExceeded", "alchemy"),
    ]
    assert "[6h]" in rules[0]["expr"] and rules[0]["for"] == "1h" and rules[0]["labels"]["team"] == "default"
    tests = yaml.safe_load((tmp_path / "rules" / "tests" / "chainwatch-providers.test.yml").read_text())["tests"]
    names = " | ".join(t["name"] for t in tests)
    assert "fires on usage trending past the quota" in names and "blip" in names and "healthy" in names
    run = subprocess.run(
        [require_binary("promtool"), "test", "rules", "chainwatch-providers.test.yml"], cwd=tmp_path / "rules" / "tests", capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    for name in ("ChainwatchProviderQuotaExhaustion", "ChainwatchProviderBudgetExceeded"):
        assert "chainwatch_provider_period_credits" in (tmp_path / "runbooks" / f"{name}.md").read_text()
    leaked = [p for p in tmp_path.rglob("*") if p.is_file() and (KEY in p.read_text(errors="replace") or "alchemy.com" in p.read_text(errors="replace"))]
    assert not leaked


def test_the_projected_credits_and_cost_are_recorded(generated):
    """0.2 credits a second for 7h, 30 days to the period's end: 5040 used + 0.2 × (30 d − 7 h)."""
    tmp_path = generated
    labels = 'instance="chainwatch:9877",job="chainwatch",provider="alchemy"'
    used, projected = 5040, 5040 + 0.2 * (30 * 86400 - 7 * 3600)
    assert used == 60 * 84
    projected_credits, projected_cost = "provider:chainwatch_provider_period_credits:projected", "provider:chainwatch_provider_cost_dollars:projected"
    check_at_7h(
        tmp_path / "rules" / "tests",
        "recorded.test.yml",
        [
            {"series": f"chainwatch_provider_period_credits{{{labels}}}", "values": "0+60x84"},
            {"series": f"chainwatch_provider_period_end_timestamp_seconds{{{labels}}}", "values": f"{30 * 86400}x84"},
        ],
        [
            (projected_credits, projected_credits + '{provider="alchemy"}', projected),
            (projected_cost, projected_cost + '{provider="alchemy"}', projected * 0.45 / 1e6),
        ],
    )
