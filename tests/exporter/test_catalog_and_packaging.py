"""The catalog is the single source of metric names (what the wheel ships: tests/deploy/test_packaging.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


from chainwatch.assembly import catalog, metricsdoc

REPO = Path(__file__).resolve().parents[2]


def test_metrics_doc_is_generated_from_the_catalog():
    committed = (REPO / "docs/metrics.md").read_text()
    assert committed == metricsdoc.render(), "docs/metrics.md drifted: python -m chainwatch.assembly.metricsdoc > docs/metrics.md"


def test_names_follow_prometheus_conventions():
    for m in catalog.METRICS:
        assert m.name == m.name.lower() and m.name.startswith("chainwatch_")
        assert m.name.endswith("_total") == (m.type is catalog.Type.COUNTER), m.name
        for bad in ("_ms", "_milliseconds", "_gwei", "_percent", "_count", "_sum", "_bucket"):
            assert not m.name.endswith(bad), m.name
        assert not {"job", "instance", "region", "env"} & set(m.all_labels), m.name


def test_exporter_code_only_uses_catalog_names():
    """Every chainwatch_* literal in the exporter source must be a catalog metric."""
    import re

    known = catalog.series_names() | {m.name for m in catalog.METRICS}
    for path in (REPO / "exporters").rglob("*.py"):
        if path.name in ("catalog.py",):
            continue
        for name in re.findall(r"[\"'](chainwatch_[a-z0-9_]+)[\"']", path.read_text()):
            assert name in known, f"{path.relative_to(REPO)} uses {name}, which is not in the catalog"


def test_version_flag():
    out = subprocess.run([sys.executable, "-m", "chainwatch.cli", "--version"], capture_output=True, text=True, check=True).stdout
    assert out.startswith("chainwatch, version ")


def test_config_reference_is_generated_from_the_model():
    from chainwatch.assembly import configdoc

    committed = (REPO / "docs/config.md").read_text()
    assert committed == configdoc.render(), "docs/config.md drifted: python -m chainwatch.assembly.configdoc > docs/config.md"
