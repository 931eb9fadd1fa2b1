"""The ``value`` annotation on every alert (rules/values.py): present, in the description's
unit, and our ``humanize`` equal to Prometheus' own (checked with the real promtool)."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml

from chainwatch.assembly.config import load
from chainwatch.assembly import names
from chainwatch.rules import generate, values
from chainwatch.rules.common import humanize, humanize_duration, render
from tests.support import REPO, require_binary

pytestmark = pytest.mark.prometheus

CONFIGS = [REPO / "examples" / "chainwatch.yaml", REPO / "tests" / "rules" / "small.yaml"]


def test_every_alert_declares_a_value_text():
    """The default (``humanize``) is a fallback; every declared alert says its unit."""
    missing = {a.name for a in names.ALERTS if a.value == values.DEFAULT}
    assert not missing, f"add value=... to the declarations of {sorted(missing)}"


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_value_shows_the_number_the_description_shows(path):
    """What a page shows as value is the number in its description, with the unit after it."""
    config = load(path, need_secrets=False)
    checked = 0
    for rule_file in generate.build(config):
        for alert in rule_file.alerts:
            assert alert.value_text, alert.name
            for recipe in alert.recipes:
                steps = 5  # any fault length: value and description are rendered from the same number
                value = recipe.value_at(steps, recipe.step) if recipe.value_at else recipe.value
                exp = alert.expected(recipe, value)["exp_annotations"]
                assert exp["value"] and "{" not in exp["value"], (alert.name, exp["value"])
                match = re.search(r"\{value:([^}]+)\}", alert.value_text)
                if match:
                    number = render("{value:" + match.group(1) + "}", {}, value)
                    assert number in exp["description"] or number in exp["summary"], (alert.name, number, exp["description"])
                checked += 1
    assert checked > 20


def test_lag_unit_follows_the_chain_kind():
    config = load(CONFIGS[0], need_secrets=False)
    by_chain = {a.chain: a.value_text for f in generate.build(config) for a in f.alerts if a.name == "ChainwatchSyncLagHigh"}
    assert by_chain["ethereum"] == "{value:%.0f} blocks"
    assert by_chain["ethereum-beacon"] == "{value:%.0f} slots"
    assert by_chain["solana"] == "{value:%.0f} slots"


HUMANIZE_CASES = [42, 0.5, 0, 1, 999.95, 1234, 12345678, 0.000123, -0.5, -2500, 0.95, 3.14159, 1e-9, 7.5e12]


def _template_agrees_with_prometheus(tmp_path, function: str, cases: list[float], ours) -> None:
    """promtool renders ``{{ $value | <function> }}`` for each case; ``ours`` must give the same string."""
    promtool = require_binary("promtool")
    rules = {"groups": [{"name": "h", "rules": [{"alert": "H", "expr": "template_input", "annotations": {"value": "{{ $value | " + function + " }}"}}]}]}
    (tmp_path / "h.rules.yml").write_text(yaml.safe_dump(rules))
    series = [{"series": f'template_input{{i="{i}"}}', "values": repr(float(v))} for i, v in enumerate(cases)]
    expected = [{"exp_labels": {"i": str(i)}, "exp_annotations": {"value": ours(v)}} for i, v in enumerate(cases)]
    test = {
        "rule_files": ["h.rules.yml"],
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": series, "alert_rule_test": [{"eval_time": "0m", "alertname": "H", "exp_alerts": expected}]}],
    }
    (tmp_path / "h.test.yml").write_text(yaml.safe_dump(test))
    result = subprocess.run([promtool, "test", "rules", "h.test.yml"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_humanize_matches_prometheus(tmp_path):
    """Our Python ``humanize`` (used for the expected strings) against Prometheus 2.42's template."""
    _template_agrees_with_prometheus(tmp_path, "humanize", HUMANIZE_CASES, humanize)
    assert [humanize(v) for v in (42, 0.5, 1234, 0)] == ["42", "500m", "1.234k", "0"]


# Runways and their thresholds in seconds: the demo's (173 s, 86 s), a real network's (hours, days).
DURATION_CASES = [172.8, 86.4, 15120, 1080000, 388800.5, 42.5, 0.25, 0, 1, 60, -90, 0.0005]


def test_humanize_duration_matches_prometheus(tmp_path):
    """Our Python ``humanize_duration`` (the expected strings of runway pages, and what the
    terminal prints) against Prometheus' ``humanizeDuration``: a runway of 0.002 days reads
    ``2m 52s``, not ``0.0 days``."""
    _template_agrees_with_prometheus(tmp_path, "humanizeDuration", DURATION_CASES, humanize_duration)
    assert [humanize_duration(v) for v in (172.8, 15120, 1080000)] == ["2m 52s", "4h 12m 0s", "12d 12h 0m 0s"]


def test_humanize_check_can_fail(tmp_path):
    """The comparison above is not vacuous: a wrong expectation fails promtool."""
    promtool = require_binary("promtool")
    rules = {"groups": [{"name": "h", "rules": [{"alert": "H", "expr": "humanize_input", "annotations": {"value": "{{ $value | humanize }}"}}]}]}
    (tmp_path / "h.rules.yml").write_text(yaml.safe_dump(rules))
    test = {
        "rule_files": ["h.rules.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [{"series": "humanize_input", "values": "0.5"}],
                "alert_rule_test": [{"eval_time": "0m", "alertname": "H", "exp_alerts": [{"exp_annotations": {"value": "0.5"}}]}],
            }
        ],
    }
    (tmp_path / "h.test.yml").write_text(yaml.safe_dump(test))
    result = subprocess.run([promtool, "test", "rules", "h.test.yml"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode != 0 and "500m" in result.stdout + result.stderr
