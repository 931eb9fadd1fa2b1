"""``chainwatch generate`` removes what the config no longer produces, and never a user's file.

Grafana's file provider and Prometheus' rule_files glob load every file of their folder: a
chain removed from the config must take its dashboard and its rule files with it on the next
``generate``, while a file the user put in the same folder (their own dashboard, a note) or a
generated file they edited since stays.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from chainwatch.cli import main
from chainwatch.core import manifest

CONFIG = """\
chains:
  eth:
    kind: evm
    network: mainnet
    chain_id: 1
    endpoints:
      - {name: geth-1, url: "http://127.0.0.1:8545"}
  polygon:
    kind: evm
    network: mainnet
    chain_id: 137
    endpoints:
      - {name: bor-1, url: "http://127.0.0.1:8546"}
"""


def generate(config: Path, out: Path, *extra: str):
    result = CliRunner().invoke(main, ["generate", "--config.file", str(config), "--out", str(out), *extra])
    assert result.exit_code == 0, result.output
    return result


def files(out: Path) -> set[str]:
    return {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}


def test_removed_chain_takes_its_dashboard_and_rules_and_nothing_else(tmp_path):
    config, out = tmp_path / "chainwatch.yaml", tmp_path / "out"
    config.write_text(CONFIG)
    generate(config, out, "--preview")
    before = files(out)
    assert {"dashboards/chain-polygon.json", "dashboards/preview/chain-polygon.html"} <= before
    polygon_rules = {f for f in before if f.startswith("rules/") and "polygon" in f}
    assert polygon_rules, before
    # The user's own files in the same folders, and a generated file they edited since.
    (out / "dashboards/my-team.json").write_text('{"title": "ours"}\n')
    (out / "rules/custom.rules.yml").write_text("groups: []\n")
    (out / "alertmanager/NOTES.md").write_text("ours\n")
    edited = out / "dashboards/preview/chain-eth.html"
    edited.write_text(edited.read_text() + "<!-- ours -->\n")

    config.write_text(CONFIG.split("  polygon:")[0])
    result = generate(config, out)  # no --preview this time either
    after = files(out)
    gone = before - after
    assert "dashboards/chain-polygon.json" in gone and polygon_rules <= gone
    assert not any("polygon" in f for f in after), after
    assert {"dashboards/my-team.json", "rules/custom.rules.yml", "alertmanager/NOTES.md", "dashboards/preview/chain-eth.html"} <= after
    assert "removed " in result.output and "kept " in result.output and "chain-eth.html" in result.output
    # Only what a later run no longer writes went: everything generated for eth is still there.
    assert {f for f in before if "polygon" not in f and "preview" not in f} <= after


def test_only_prunes_the_parts_it_generates_and_the_manifest_is_deterministic(tmp_path):
    config, out = tmp_path / "chainwatch.yaml", tmp_path / "out"
    config.write_text(CONFIG)
    generate(config, out)
    first = (out / manifest.NAME).read_text()
    config.write_text(CONFIG.split("  polygon:")[0])
    generate(config, out, "--only", "rules")
    assert "dashboards/chain-polygon.json" in files(out)  # dashboards were not regenerated
    assert not any("polygon" in f for f in files(out / "rules"))
    generate(config, out, "--only", "dashboards")
    assert "dashboards/chain-polygon.json" not in files(out)
    config.write_text(CONFIG)
    generate(config, out)
    assert (out / manifest.NAME).read_text() == first
    recorded = json.loads(first)["parts"]
    assert set(recorded) == {"rules", "dashboards", "alertmanager"}
    assert "runbooks/ChainwatchHeadStale.md" in recorded["rules"]


def test_an_output_folder_without_manifest_loses_nothing_but_stale_rule_files(tmp_path):
    # An output written before the manifest existed, or a folder shared with other files:
    # nothing it does not name is removed.
    out = tmp_path / "out"
    (out / "dashboards").mkdir(parents=True)
    (out / "dashboards/chain-old.json").write_text("{}\n")
    config = tmp_path / "chainwatch.yaml"
    config.write_text(CONFIG)
    generate(config, out, "--only", "dashboards")
    assert (out / "dashboards/chain-old.json").exists()
