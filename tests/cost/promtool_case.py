"""One promtool case over the generated providers file: the input series at a 5-minute step (84
steps: 7 hours) and the exact samples expected at 7h."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from tests.support import require_binary


def check_at_7h(tests_dir: Path, name: str, input_series: list[dict], expected: list[tuple[str, str, float]]) -> None:
    """``expected``: (expression, the sample's labels as promtool prints them, value)."""
    case = {
        "rule_files": ["../chainwatch-providers.rules.yml"],
        "evaluation_interval": "5m",
        "tests": [
            {
                "interval": "5m",
                "input_series": input_series,
                "promql_expr_test": [{"expr": e, "eval_time": "7h", "exp_samples": [{"labels": labels, "value": v}]} for e, labels, v in expected],
            }
        ],
    }
    (tests_dir / name).write_text(yaml.safe_dump(case))
    run = subprocess.run([require_binary("promtool"), "test", "rules", name], cwd=tests_dir, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
