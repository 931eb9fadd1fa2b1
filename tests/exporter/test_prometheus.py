"""A real Prometheus (Debian `prometheus`) scrapes `chainwatch serve` over real anvil nodes.

Uses the documented multi-target pattern (README): targets are endpoint names, relabelled
into `/probe?target=`, and `/probe?chain=` for chain-wide series.
"""

from __future__ import annotations

import subprocess

import pytest

from tests.support import require_binary
from tests.support.configs import anvil_chain, node_at, ref_at
from tests.support.stack import Anvil, Exporter, Prometheus, write_config

pytestmark = [pytest.mark.anvil, pytest.mark.prometheus]


def probe_scrape_config(exporter_address: str, targets: list[str], job: str, param: str = "target") -> dict:
    return {
        "job_name": job,
        "metrics_path": "/probe",
        "static_configs": [{"targets": targets}],
        "relabel_configs": [
            {"source_labels": ["__address__"], "target_label": f"__param_{param}"},
            {"source_labels": [f"__param_{param}"], "target_label": "instance"},
            {"target_label": "__address__", "replacement": exporter_address},
        ],
    }


def test_prometheus_scrapes_probe_pattern_and_exposition_passes_promtool(tmp_path):
    promtool = require_binary("promtool")
    ref = Anvil(tmp_path, name="ref")
    node = Anvil(tmp_path, name="node")
    path = write_config(tmp_path / "chainwatch.yaml", {"devnet": anvil_chain(ref_at(ref.url), node_at(node.url))})
    try:
        with Exporter(path, tmp_path) as exporter:
            for path_qs in ("/metrics", "/probe?target=node-1", "/probe?chain=devnet", "/-/metrics"):
                status, text = exporter.get(path_qs)
                assert status == 200
                lint = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
                assert lint.returncode == 0 and lint.stdout.strip() == "" and lint.stderr.strip() == "", (path_qs, lint.stdout, lint.stderr)
            address = f"127.0.0.1:{exporter.port}"
            node.freeze()
            with Prometheus(
                tmp_path / "prom",
                [
                    probe_scrape_config(address, ["node-1", "ref-1"], "chainwatch-probe"),
                    probe_scrape_config(address, ["devnet"], "chainwatch-chain", param="chain"),
                    {"job_name": "chainwatch", "metrics_path": "/-/metrics", "static_configs": [{"targets": [address]}]},
                ],
            ) as prom:
                lag = prom.wait_for('chainwatch_sync_lag_blocks{job="chainwatch-probe",endpoint="node-1"} >= 3', timeout=40)
                assert lag[0]["metric"]["instance"] == "node-1"
                assert lag[0]["metric"]["chain"] == "devnet"
                assert prom.wait_for('chainwatch_references_reachable{job="chainwatch-chain",chain="devnet"} == 1')
                assert prom.wait_for('up{job="chainwatch-probe"} == 1')
                assert prom.wait_for('chainwatch_build_info{job="chainwatch"} == 1')
                # Prometheus asks for OpenMetrics and gzip first: counters still land under their _total names
                assert prom.wait_for('chainwatch_probes_total{job="chainwatch-probe",endpoint="node-1"} > 0')
                assert prom.wait_for('process_cpu_seconds_total{job="chainwatch"} > 0')
                assert prom.query('count(process_cpu_seconds_total{job="chainwatch-probe"})') == []  # process_* only on the exporter's own job
                # The exporter's own job carries no endpoint series: nothing is counted twice.
                assert prom.query('count(chainwatch_probe_success{job="chainwatch"})') == []
    finally:
        node.stop()
        ref.stop()
