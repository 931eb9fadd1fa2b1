"""The names of the generated rule files, which the rule files, their promtool tests and the
page audit all refer to (``OUT/rules/``)."""

from __future__ import annotations

RECORDING_FILE = "chainwatch-recording.rules.yml"
EXPORTER_FILE = "chainwatch-exporter.rules.yml"
WATCHDOG_FILE = "chainwatch-watchdog.rules.yml"


def chain_file(chain: str) -> str:
    return f"chainwatch-{chain}.rules.yml"


def slo_file(chain: str) -> str:
    return f"chainwatch-{chain}-slo.rules.yml"
