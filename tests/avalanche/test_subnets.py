"""`subnets` of an avalanche chain: a bad subnet ID is refused at its line, and the dashboard
shows each subnet's failing checks (the probe side: test_probe.py)."""

from __future__ import annotations

import json

import pytest

from chainwatch.assembly.config import ConfigError, parse
from chainwatch.kinds.avalanche.dashboard import build
from tests.avalanche.test_evm_link import CONFIG

SUBNET = "Vn3aX6hNRstj5VHHm63TCgPNaeGnRSqCYXQqemSqDd2TQH4qJ"
WITH_SUBNETS = CONFIG.replace("    evm_chains:\n", f"    subnets: {{dfk: {SUBNET}}}\n    evm_chains:\n")


def test_the_dashboard_shows_failing_checks_per_subnet():
    config = parse(WITH_SUBNETS)
    assert config.chains["avax"].subnets == {"dfk": SUBNET}
    board = json.loads(json.dumps(build(config, "avax", config.chains["avax"]), default=str))
    panels = [p for p in board["panels"] for p in [p, *p.get("panels", [])]]
    exprs = [t["expr"] for p in panels if p.get("title") == "Failing checks per subnet" for t in p["targets"]]
    assert len(exprs) == 1 and "chainwatch_avalanche_subnet_failing_checks" in exprs[0]
    plain = parse(CONFIG)
    assert "Failing checks per subnet" not in json.dumps(build(plain, "avax", plain.chains["avax"]))


def test_a_subnet_id_that_is_not_cb58_is_refused_at_its_line():
    line = WITH_SUBNETS.splitlines().index(f"    subnets: {{dfk: {SUBNET}}}") + 1
    with pytest.raises(ConfigError) as exc:
        parse(WITH_SUBNETS.replace(SUBNET, "0xdeadbeef"))
    assert str(exc.value).startswith(f"chainwatch.yaml:{line}: chains.avax.subnets.dfk"), str(exc.value)
