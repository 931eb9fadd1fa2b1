"""A node of ours bootstrapping its C-chain, or down altogether, pages once: the EVM endpoints it
serves (linked `kind: evm` chains, `evm_chains`) are down meanwhile, and their
ChainwatchEndpointDown is muted by ChainwatchAvalancheEvmChainBootstrapping or
ChainwatchAvalancheEvmNodeDown, labelled as that endpoint (docs/avalanche.md)."""

from __future__ import annotations

import pytest
import yaml

from chainwatch.alertmanager import generate as am_generate
from chainwatch.assembly.config import parse
from chainwatch.rules import audit, generate
from tests.avalanche.test_evm_link import CONFIG
from tests.support import require_binary

pytestmark = pytest.mark.prometheus
ALERT = "ChainwatchAvalancheEvmChainBootstrapping"
DOWN = "ChainwatchAvalancheEvmNodeDown"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("avax-evm")
    config = parse(
        CONFIG.replace(
            '  sol:\n    kind: solana\n    network: devnet\n    team: ops\n    endpoints:\n      - {name: sol-1, url: "http://127.0.0.1:8899"}\n', ""
        )
    )
    generate.write(config, out)
    am_generate.write(config, out)
    return config, out


def test_the_warning_is_about_the_c_chain_endpoint_and_mutes_its_endpoint_down(generated):
    config, out = generated
    rules = [r for f in (out / "rules").glob("*.yml") for g in yaml.safe_load(f.read_text())["groups"] for r in g["rules"] if r.get("alert") == ALERT]
    assert [(r["labels"]["chain"], r["labels"]["severity"]) for r in rules] == [("avax-c", "warning")]  # dfk (subnet-EVM): not read
    assert 'chainwatch_probe_success{chain="avax-c",endpoint="avax-node-c"' in rules[0]["expr"]
    assert 'chainwatch_avalanche_bootstrapped{chain="avax",blockchain="C",endpoint="avax-node"}) == 0' in rules[0]["expr"]
    inhibit = yaml.safe_load((out / "alertmanager" / "alertmanager.yml").read_text())["inhibit_rules"]
    muting = [r for r in inhibit if ALERT in r["source_matchers"][0]]
    assert len(muting) == 1 and "ChainwatchEndpointDown" in muting[0]["target_matchers"][0] and muting[0]["equal"] == ["chain", "endpoint"]


def test_a_node_down_warns_about_each_evm_endpoint_it_serves_muting_its_endpoint_down(generated):
    config, out = generated
    rules = [r for f in (out / "rules").glob("*.yml") for g in yaml.safe_load(f.read_text())["groups"] for r in g["rules"] if r.get("alert") == DOWN]
    assert sorted((r["labels"]["chain"], r["labels"]["severity"], r["expr"]) for r in rules) == [
        (
            "avax-c",
            "warning",
            'max by (chain, network, endpoint, role) (chainwatch_probe_success{chain="avax-c",endpoint="avax-node-c",role!="reference"}) == 0 '
            'and on () (max(chainwatch_probe_success{chain="avax",endpoint="avax-node"}) == 0)',
        ),
        (  # a subnet-EVM chain too: the node serves it as well
            "dfk",
            "warning",
            'max by (chain, network, endpoint, role) (chainwatch_probe_success{chain="dfk",endpoint="avax-node-dfk",role!="reference"}) == 0 '
            'and on () (max(chainwatch_probe_success{chain="avax",endpoint="avax-node"}) == 0)',
        ),
    ]
    inhibit = yaml.safe_load((out / "alertmanager" / "alertmanager.yml").read_text())["inhibit_rules"]
    muting = [r for r in inhibit if DOWN in r["source_matchers"][0]]
    assert len(muting) == 1 and muting[0]["target_matchers"] == ['alertname="ChainwatchEndpointDown"'] and muting[0]["equal"] == ["chain", "endpoint"]


@pytest.fixture(scope="module")
def audited(generated):
    config, out = generated
    return audit.run(out, config, promtool=require_binary("promtool"))


@pytest.mark.parametrize("alert", [ALERT, DOWN])
def test_the_node_at_fault_does_not_page_again_for_the_evm_endpoint(audited, alert):
    results = audited
    mine = [r for r in results if r.scenario.startswith(alert)]
    assert mine, [r.scenario for r in results]
    for r in mine:
        fired = {a["alertname"] for a in r.fired}
        delivered = {a["alertname"] for a in r.delivered}
        if not r.healthy:
            assert "ChainwatchEndpointDown" in fired and "ChainwatchEndpointDown" not in delivered, (r.scenario, fired, delivered)
    bad = [r for r in results if not r.ok]
    assert not bad, audit.report(results)
