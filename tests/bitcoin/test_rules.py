"""Rules for random block arrival, proven with the real promtool (Debian prometheus).

The generated "random gaps do not page" cases (head age and reference stall sawing through
ordinary gaps and the longest gap a healthy chain shows about once a month) pass with the
kind's thresholds, and FAIL with the fixed-interval default of 5 block times: the case is not
vacuous, it is the reason the thresholds are what they are.
"""

from __future__ import annotations

import subprocess

import pytest
import yaml

from chainwatch.assembly.config import parse
from chainwatch.rules import generate
from tests.support import require_binary

pytestmark = pytest.mark.prometheus


def chain_yaml(block_time: int, thresholds: str = "{}") -> str:
    return f"""
chains:
  btc:
    kind: bitcoin
    network: mainnet
    chain: main
    block_time_seconds: {block_time}
    thresholds: {thresholds}
    endpoints:
      - {{name: btc-node, url: "http://127.0.0.1:8332", cookie_file: /var/lib/bitcoind/.cookie}}
      - {{name: btc-ref-1, url: "http://127.0.0.1:8333", role: reference, cookie_file: /run/ref1.cookie}}
"""


def quiet_run(tmp_path, text: str) -> tuple[subprocess.CompletedProcess, list[str], dict[str, str]]:
    """Generate, keep only the "silent on random block gaps" groups, run promtool on them."""
    out = tmp_path / "out"
    generate.write(parse(text, need_secrets=False), out)
    docs = [yaml.safe_load(p.read_text()) for p in sorted((out / "rules/tests").glob("chainwatch-btc.*test.yml"))]
    tests, groups = next((d, g) for d in docs if (g := [t for t in d["tests"] if "silent on random block gaps" in t["name"]]))
    (out / "rules/tests/quiet.yml").write_text(yaml.safe_dump({**tests, "tests": groups}))
    rules = yaml.safe_load((out / "rules/chainwatch-btc.rules.yml").read_text())
    exprs = {r["alert"]: r["expr"] for g in rules["groups"] for r in g["rules"] if "alert" in r}
    result = subprocess.run([require_binary("promtool"), "test", "rules", "quiet.yml"], cwd=out / "rules/tests", capture_output=True, text=True, timeout=120)
    return result, [g["name"] for g in groups], exprs


@pytest.mark.parametrize("block_time, threshold, longest", [(600, 6540, 5040), (150, 1860, 1470)])
def test_random_gaps_do_not_page_with_the_derived_thresholds(tmp_path, block_time, threshold, longest):
    result, names, exprs = quiet_run(tmp_path, chain_yaml(block_time))
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(n.split(":")[0] for n in names) == ["ChainwatchChainHalted critical btc", "ChainwatchHeadStale critical btc"]
    assert all(f"up to {longest}s" in n for n in names)
    assert exprs["ChainwatchHeadStale"].endswith(f"> {threshold}")
    assert exprs["ChainwatchChainHalted"].endswith(f"> {threshold}")


def test_the_same_gaps_page_with_the_fixed_interval_default(tmp_path):
    result, names, _ = quiet_run(tmp_path, chain_yaml(600, "{head_stale_blocks: 5, chain_halt_blocks: 5}"))
    assert len(names) == 2
    assert result.returncode != 0  # 50 minutes: an 84-minute gap (about monthly) pages
    failed = result.stdout + result.stderr
    assert 'alertname="ChainwatchHeadStale"' in failed and 'alertname="ChainwatchChainHalted"' in failed
