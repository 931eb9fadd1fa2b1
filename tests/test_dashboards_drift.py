"""The committed examples/generated/dashboards/ is what the generator makes of examples/chainwatch.yaml.

If this fails after a deliberate change, regenerate and commit:
    chainwatch generate --config.file examples/chainwatch.yaml --out examples/generated --only dashboards
"""

from __future__ import annotations

from pathlib import Path

from chainwatch.dashboards import generate
from chainwatch.assembly.config import load

REPO = Path(__file__).resolve().parents[1]
COMMITTED = REPO / "examples/generated/dashboards"


def test_committed_dashboards_match_regenerated(tmp_path):
    config = load(REPO / "examples/chainwatch.yaml", need_secrets=False)
    fresh_root = tmp_path / "dashboards"
    generate.write(config, tmp_path)
    fresh = {str(p.relative_to(fresh_root)): p.read_text(encoding="utf-8") for p in sorted(fresh_root.rglob("*")) if p.is_file()}
    committed = {str(p.relative_to(COMMITTED)): p.read_text(encoding="utf-8") for p in sorted(COMMITTED.rglob("*")) if p.is_file()}
    assert sorted(committed) == sorted(fresh), "files added or missing: regenerate examples/generated/dashboards"
    for rel, text in fresh.items():
        assert committed[rel] == text, f"examples/generated/dashboards/{rel} is stale: regenerate it"
