"""The provider-cost dashboard parts (issue #31): the chain's "Provider cost" row and the
executive providers table show, for the series a provider's use produces, the numbers an
operator reads off them (credits per second by method, quota left, projected cost against the
budget, days until the quota runs out), evaluated by promtool over the generated recording rules."""

from __future__ import annotations


import pytest

from chainwatch.assembly.config import parse
from chainwatch.dashboards import generate as dashboards
from chainwatch.rules import generate as rules
from tests.cost.promtool_case import check_at_7h
from tests.cost.test_provider_rules import CONFIG
from tests.dashboards.support import data_panels, substitute

DAY = 86400
LABELS = 'instance="chainwatch:9877",job="chainwatch"'


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("generated")
    config = parse(CONFIG, env={})
    rules.write(config, out)
    return out, dashboards.build_all(config)


def panel(board: dict, title: str) -> dict:
    found = [p for p in data_panels(board) if p["title"] == title]
    assert len(found) == 1, f"{title!r} not on {board['title']}"
    return found[0]


def exprs(p: dict) -> list[str]:
    return [substitute(t["expr"], {"__rate_interval": "10m"}) for t in p["targets"]]


def test_the_chain_row_and_the_executive_table_name_the_chains_providers(built):
    _, boards = built
    chain = boards["chain-ethereum"]
    rows = [p["title"] for p in chain["panels"] if p["type"] == "row"]
    assert rows[-1] == "Provider cost"
    by_method = exprs(panel(chain, "Provider credits per second by method"))[0]
    assert 'provider=~"alchemy|chainstack"' in by_method and "by (provider, method)" in by_method
    # chainstack has no price and no quota: only alchemy in the cost and quota panels
    assert all('provider=~"alchemy"' in e for e in exprs(panel(chain, "Projected cost this billing period vs budget")))
    assert all('provider=~"alchemy"' in e for e in exprs(panel(chain, "Quota remaining")))
    panel(boards["executive"], "Providers: projected cost vs budget, quota runs out in")
    plain = parse(CONFIG.replace(", provider: alchemy", "").replace(", provider: chainstack", ""), env={})  # tables, but no endpoint at a provider
    none = dashboards.build_all(plain)
    assert "Provider cost" not in [p["title"] for p in none["chain-ethereum"]["panels"] if p["type"] == "row"]
    assert not [p for p in data_panels(none["executive"]) if p["title"].startswith("Providers")]


def test_the_panels_show_the_quota_left_the_cost_and_when_the_quota_runs_out(built):
    """alchemy: 0.2 credits a second of eth_call (26 CU) for 7h, 30 days to the period's end;
    quota 1.2e9, 0.45 dollars a million, budget 40."""
    out, boards = built
    chain, executive = boards["chain-ethereum"], boards["executive"]
    used, slope = 5040, 0.2
    projected = used + slope * (30 * DAY - 7 * 3600)
    by_method = exprs(panel(chain, "Provider credits per second by method"))[0]
    cost, budget = exprs(panel(chain, "Projected cost this billing period vs budget"))
    quota_left = exprs(panel(chain, "Quota remaining"))[0]
    table = exprs(panel(executive, "Providers: projected cost vs budget, quota runs out in"))
    alchemy = '{provider="alchemy"}'
    expect = [
        (by_method, '{method="eth_call",provider="alchemy"}', slope),
        (cost, alchemy, projected * 0.45 / 1e6),
        (budget, alchemy, 40),
        (quota_left, alchemy, 1 - used / 1.2e9),
        (table[0], alchemy, projected),
        (table[1], alchemy, projected * 0.45 / 1e6),
        (table[2], alchemy, 40),
        (table[3], alchemy, projected / 1.2e9),
        (table[4], alchemy, (1.2e9 - used) / slope / DAY),
    ]
    check_at_7h(
        out / "rules" / "tests",
        "dashboards.test.yml",
        [
            {"series": f'chainwatch_provider_period_credits{{{LABELS},provider="alchemy"}}', "values": "0+60x84"},
            {"series": f'chainwatch_provider_period_credits{{{LABELS},provider="chainstack"}}', "values": "0x84"},
            {"series": f'chainwatch_provider_credits_total{{{LABELS},provider="alchemy",method="eth_call"}}', "values": "0+60x84"},
            {"series": f'chainwatch_provider_period_end_timestamp_seconds{{{LABELS},provider="alchemy"}}', "values": f"{30 * DAY}x84"},
        ],
        expect,
    )
