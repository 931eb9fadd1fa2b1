"""Feed account numbers through the generated account rules with the real promtool.

``check(config, chain, series, checks, step)`` writes the rules ``chainwatch generate`` makes for
``config``, then one promtool test: ``series`` (``{metric selector: values}``, one value a
``step``) as input, and for each ``(seconds, severities)`` in ``checks`` the severities of
``ChainwatchAccountRunwayLow`` that must be firing then (promtool's own ``ALERTS`` series, so the
test states which alerts fire, not their rendered text).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from chainwatch.core.recipes import notation
from chainwatch.rules import generate
from tests.support import require_binary

ALERT = "ChainwatchAccountRunwayLow"


def check(tmp_path: Path, config, chain: str, series: dict[str, list[float]], checks: list[tuple[float, set[str]]], step: float, account: str) -> None:
    promtool = require_binary("promtool")
    generate.write(config, tmp_path)
    rule_file = generate.accounts_file(chain)
    assert (tmp_path / "rules" / rule_file).is_file()
    expr = f'ALERTS{{alertname="{ALERT}",alertstate="firing",chain="{chain}",account="{account}"}}'
    test = {
        "rule_files": [f"../{generate.recording_file(chain)}", f"../{rule_file}"],
        "evaluation_interval": f"{step:g}s",
        "tests": [
            {
                "name": f"{ALERT} on {chain}/{account}",
                "interval": f"{step:g}s",
                "input_series": [{"series": name, "values": notation(values)} for name, values in series.items()],
                "promql_expr_test": [
                    {
                        "expr": f"count by (severity) ({expr})",
                        "eval_time": f"{at:g}s",
                        "exp_samples": [{"labels": f'{{severity="{s}"}}', "value": 1} for s in sorted(severities)],
                    }
                    for at, severities in checks
                ],
            }
        ],
    }
    path = tmp_path / "rules" / "tests" / "runway.test.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(test, sort_keys=False))
    result = subprocess.run([promtool, "test", "rules", str(path)], capture_output=True, text=True, timeout=120, cwd=path.parent)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
