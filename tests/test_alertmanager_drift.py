"""The committed examples/generated/alertmanager/ is what the generator makes of examples/chainwatch.yaml.

If this fails after a deliberate change, regenerate and commit:
    chainwatch generate --config.file examples/chainwatch.yaml --out examples/generated --only alertmanager --no-check-secret-files
"""

from __future__ import annotations

from pathlib import Path

from chainwatch.alertmanager import generate
from chainwatch.assembly.config import load

REPO = Path(__file__).resolve().parents[1]
COMMITTED = REPO / "examples/generated/alertmanager"


def test_committed_alertmanager_output_matches_regenerated():
    config = load(REPO / "examples/chainwatch.yaml", need_secrets=False)
    fresh = generate.render(config)
    committed = {str(p.relative_to(COMMITTED)): p.read_text(encoding="utf-8") for p in sorted(COMMITTED.rglob("*")) if p.is_file()}
    assert sorted(committed) == sorted(fresh), "files added or missing: regenerate examples/generated/alertmanager"
    for rel, text in fresh.items():
        assert committed[rel] == text, f"examples/generated/alertmanager/{rel} is stale: regenerate it"
