"""The committed rules, their tests and the runbooks are exactly what the generator makes.

Regenerate after changing the config, the catalog or the rules package with

    chainwatch generate --config.file examples/chainwatch.yaml --out examples/generated --only rules

``examples/generated/runbooks/`` is the one committed copy of the runbooks (docs link there).
"""

from __future__ import annotations

from pathlib import Path

from chainwatch.assembly.config import load
from chainwatch.rules import generate
from tests.support import REPO

EXAMPLE = REPO / "examples" / "chainwatch.yaml"


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_committed_rules_and_runbooks_match_a_fresh_generation(tmp_path):
    generate.write(load(EXAMPLE, need_secrets=False), tmp_path)
    fresh_rules = _tree(tmp_path / "rules")
    fresh_runbooks = _tree(tmp_path / "runbooks")
    assert fresh_rules and fresh_runbooks
    hint = "run: chainwatch generate --config.file examples/chainwatch.yaml --out examples/generated --only rules"
    for committed, fresh in (
        (REPO / "examples" / "generated" / "rules", fresh_rules),
        (REPO / "examples" / "generated" / "runbooks", fresh_runbooks),
    ):
        old = _tree(committed)
        assert sorted(old) == sorted(fresh), f"{committed}: files differ; {hint}"
        changed = [name for name in fresh if old[name] != fresh[name]]
        assert not changed, f"{committed}: {changed} changed; {hint}"
