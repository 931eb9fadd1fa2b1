"""Detection end to end on a REAL Litecoin Core 0.21 regtest pair: the exporter probes both
nodes, a real Prometheus (Debian) scrapes it and evaluates the generated rules.

Cut off with ``setnetworkactive false`` while the reference mines, the node pages
(ChainwatchSyncLagHigh critical: 2+ blocks behind) and PeersLow warns; reconnected, it catches up
and both resolve. ``for:`` durations are 0 so the test waits on the node, not on the clock.
"""

from __future__ import annotations

import pytest
import yaml

from chainwatch.assembly.config import parse
from chainwatch.rules import generate as rules_generate
from tests.support.stack import Exporter, Prometheus

from tests.support.poll import wait_until

pytestmark = [pytest.mark.prometheus]


def firing(prom: Prometheus, alertname: str, **labels) -> list[dict]:
    matchers = "".join(f',{k}="{v}"' for k, v in labels.items())
    return prom.query(f'ALERTS{{alertstate="firing",alertname="{alertname}"{matchers}}}')


def test_isolated_node_pages_and_resolves_after_reconnecting(pair, tmp_path):
    chain = pair.chain_config()
    # A regtest pair has one peer each: at least 1 is healthy here.
    chain["thresholds"] = {"peers_min": 1, "durations": {"sync_lag": "0s", "peers_low": "0s", "head_stale": "0s", "chain_halt": "0s", "down": "0s"}}
    text = yaml.safe_dump({"exporter": {"min_probe_interval_seconds": 0.5, "reference_max_age_seconds": 0.5}, "chains": {"ltc": chain}})
    path = tmp_path / "chainwatch.yaml"
    path.write_text(text)
    config = parse(text, str(path), need_secrets=False)
    rules = [str(p) for p in rules_generate.write(config, tmp_path / "out") if p.name.endswith(".rules.yml")]

    with (
        Exporter(path, tmp_path) as exporter,
        Prometheus(
            tmp_path / "prometheus",
            [{"job_name": config.generate.exporter_job, "static_configs": [{"targets": [exporter.url.removeprefix("http://")]}]}],
            rule_files=rules,
        ) as prom,
    ):
        prom.wait_for('chainwatch_peers{endpoint="ltc-node"} == 1', timeout=60)
        assert firing(prom, "ChainwatchSyncLagHigh") == [] and firing(prom, "ChainwatchPeersLow") == []

        pair.node.call("setnetworkactive", False)
        try:
            pair.ref.mine(3)
            page = prom.wait_for('ALERTS{alertstate="firing",alertname="ChainwatchSyncLagHigh",severity="critical",endpoint="ltc-node"}', timeout=60)
            assert page[0]["metric"]["chain"] == "ltc"
            prom.wait_for('ALERTS{alertstate="firing",alertname="ChainwatchPeersLow",endpoint="ltc-node"}', timeout=30)
            # The reference kept mining: no chain-wide alert, and the reference itself is never paged.
            assert firing(prom, "ChainwatchChainHalted") == [] and firing(prom, "ChainwatchSyncLagHigh", endpoint="ltc-ref") == []
        finally:
            pair.node.call("setnetworkactive", True)
        wait_until(lambda: pair.node.height() == pair.ref.height(), 60, "node caught up")
        wait_until(lambda: not firing(prom, "ChainwatchSyncLagHigh") and not firing(prom, "ChainwatchPeersLow"), 60, "alerts resolved")
