"""The names of the generated rule files, which the rule files, their promtool tests and the
page audit all refer to (``OUT/rules/``)."""

from __future__ import annotations

from chainwatch.assembly.config import CHAIN_FILE_SUFFIXES

EXPORTER_FILE = "chainwatch-exporter.rules.yml"
WATCHDOG_FILE = "chainwatch-watchdog.rules.yml"
# Paid providers' quota and budget alerts (pricing:): apart, tested at their own 5-minute step.
PROVIDERS_FILE = "chainwatch-providers.rules.yml"


def chain_file(chain: str) -> str:
    return f"chainwatch-{chain}.rules.yml"


def _beside(chain: str, suffix: str) -> str:
    assert suffix in CHAIN_FILE_SUFFIXES  # the config refuses chain names that would collide
    return f"chainwatch-{chain}-{suffix}.rules.yml"


def slo_file(chain: str) -> str:
    return _beside(chain, "slo")


def accounts_file(chain: str) -> str:
    """The chain's account alerts (``accounts:``): apart, so that their promtool tests, whose
    spend windows are hours long, are evaluated at their own 5-minute step, not the chain's 15 s."""
    return _beside(chain, "accounts")


def recording_file(chain: str) -> str:
    """The chain's shared records (dashboards and alerts read them): a file per chain, so that a
    chain's promtool tests load its records only, not every chain's."""
    return _beside(chain, "recording")
