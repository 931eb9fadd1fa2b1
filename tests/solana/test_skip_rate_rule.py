"""ChainwatchSolanaSkipRateHigh on a validator that leads only every few minutes, with the
real promtool (Debian prometheus 2.42) on the rules generated from ``examples/chainwatch.yaml``.

The generated recipe (rules/unittests.py) feeds leader slots at every step; a validator with
little stake leads one rotation (4 slots) every few minutes, so its last minute usually holds
no leader slot at all. The rule must then keep the state it had: fire on a run of skipped
rotations although each shows in the 1m window for a minute only, resolve at the first
rotation produced again, and open nothing new in the minutes without leader slots after it
while the hour still holds the skips (issue #15). Timeline (30 s steps, one rotation every
5 min): rotations 1-12 (5-60 min) skip all 4 slots, rotations from 65 min on produce them.
"""

from __future__ import annotations

import subprocess

import pytest
import yaml

from chainwatch.core.alertkit import Recipe, notation
from chainwatch.assembly.config import load
from chainwatch.rules import generate
from tests.support import REPO, require_binary

pytestmark = pytest.mark.prometheus

STEP = 30  # seconds: an evaluation and a scrape
ROTATION = 10  # steps between two leader rotations (5 min)
LAST_SKIPPED = 120  # the 12th rotation (60 min) is the last one skipped
TOTAL = 250  # steps (125 min): the hour after the recovery still holds the skips


def _series() -> tuple[list[float], list[float]]:
    passed, skipped, p, k = [], [], 0, 0
    for i in range(TOTAL):
        if i and i % ROTATION == 0:
            p += 4
            k += 4 if i <= LAST_SKIPPED else 0
        passed.append(float(p))
        skipped.append(float(k))
    return passed, skipped


def _minute(step: int) -> str:
    secs = step * STEP
    return f"{secs // 60}m" if secs % 60 == 0 else f"{secs}s"


def test_sparse_rotations_fire_once_resolve_at_the_first_good_rotation_and_stay_resolved(tmp_path):
    promtool = require_binary("promtool")
    config = load(REPO / "examples" / "chainwatch.yaml", need_secrets=False)
    generate.write(config, tmp_path)
    rule_file = next(f for f in generate.build(config) if f.name == generate.chain_file("solana"))
    alert = next(a for a in rule_file.alerts if a.name == "ChainwatchSolanaSkipRateHigh")
    labels = {"chain": "solana", "network": config.chains["solana"].network, "group": "main"}
    firing = [alert.expected(Recipe([], 1.0, labels))]  # every leader slot of the hour skipped: 100%
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    passed, skipped = _series()
    # Before the 4th rotation (20 min) the hour holds fewer than 16 leader slots; pending from
    # the 4th, firing 2 minutes later, also between rotations (the 1m window then holds none).
    checks = [(s, []) for s in (10, 11, 30, 31, 39)]
    checks += [(s, firing) for s in (44, 46, 49, 50, 55, 60, 75, 99, 118, 129)]
    # Resolved at the first rotation produced (65 min), and nothing new until the end, while the
    # 1h ratio stays above the threshold (the hour still holds the 12 skipped rotations).
    checks += [(s, []) for s in range(LAST_SKIPPED + ROTATION, TOTAL)]
    test = {
        "rule_files": [f"../{generate.chain_file('solana')}"],
        "evaluation_interval": f"{STEP}s",
        "tests": [
            {
                "name": "SkipRateHigh: a validator leading every 5 minutes skips for an hour, then produces again",
                "interval": f"{STEP}s",
                "input_series": [
                    {"series": f"chainwatch_solana_leader_slots_passed_total{{{inner}}}", "values": notation(passed)},
                    {"series": f"chainwatch_solana_leader_slots_skipped_total{{{inner}}}", "values": notation(skipped)},
                ],
                "alert_rule_test": [{"eval_time": _minute(s), "alertname": alert.name, "exp_alerts": exp} for s, exp in checks],
            }
        ],
    }
    path = tmp_path / "rules" / "tests" / "sparse-rotations.test.yml"
    path.write_text(yaml.safe_dump(test, sort_keys=False))
    result = subprocess.run([promtool, "test", "rules", str(path)], capture_output=True, text=True, timeout=300, cwd=path.parent)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
