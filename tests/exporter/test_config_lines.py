"""Checks across fields and chains point at the line of the field at fault.

An unknown team, an endpoint name used by two chains, an op-node naming a missing chain or a
`validators.endpoint` that is not one of the chain's endpoints used to be reported at
``:1: (top level)`` or at the chain's line; in a fleet config of hundreds of lines the user
had to search for it. A warning threshold above its critical twin was accepted (the page
came first, the warning never). Each case below names the line and the dotted field.
"""

from __future__ import annotations

import pytest

from chainwatch.assembly.config import ConfigError, parse

BASE = """\
teams:
  ops: {}
chains:
  eth:
    kind: evm
    network: mainnet
    chain_id: 1
    team: ops
    endpoints:
      - name: geth-1
        url: http://127.0.0.1:8545
      - name: ref-1
        url: http://127.0.0.1:8546
        role: reference
"""

BEACON = """\
  beacon:
    kind: beacon
    network: mainnet
    team: ops
    endpoints:
      - {name: bn-1, url: "http://127.0.0.1:5052"}
    validators:
      endpoint: bn-1
      fallbacks: [bn-1]
      groups:
        main: [12]
"""

OPNODE = """\
  op:
    kind: opnode
    network: mainnet
    team: ops
    l2_chain: eth
    l1_chain: eth-l1
    endpoints:
      - {name: op-node-1, url: "http://127.0.0.1:9545"}
"""


def only_problem(text: str) -> str:
    with pytest.raises(ConfigError) as exc:
        parse(text, "fleet.yaml", env={})
    assert len(exc.value.problems) == 1, exc.value.problems
    return exc.value.problems[0]


def line_of(text: str, needle: str, after: str = "") -> int:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i, line in enumerate(lines) if i >= start and needle in line) + 1


CASES = [
    ("unknown_team", BASE.replace("    team: ops\n", "    team: opps\n"), "team: opps", "chains.eth.team: unknown team 'opps' (teams: ops)"),
    (
        "endpoint_name_in_two_chains",
        BASE + BEACON.replace("name: bn-1", "name: geth-1").replace("bn-1", "geth-1"),
        "name: geth-1, url",
        "chains.beacon.endpoints[0].name: endpoint name 'geth-1' is also used by chain eth",
    ),
    ("opnode_missing_l1_chain", BASE + OPNODE, "l1_chain: eth-l1", "chains.op.l1_chain: refers to chain 'eth-l1', which is not another chain"),
    (
        "opnode_missing_l2_chain",
        BASE + OPNODE.replace("l2_chain: eth", "l2_chain: base").replace("eth-l1", "eth"),
        "l2_chain: base",
        "chains.op.l2_chain: refers to chain 'base'",
    ),
    (
        "unknown_validators_endpoint",
        BASE + BEACON.replace("      endpoint: bn-1", "      endpoint: bn-2"),
        "endpoint: bn-2",
        "chains.beacon.validators.endpoint: 'bn-2' is not an endpoint of this chain (endpoints: bn-1)",
    ),
    (
        "unknown_validators_fallback",
        BASE + BEACON.replace("fallbacks: [bn-1]", "fallbacks:\n        - bn-1\n        - bn-9"),
        "- bn-9",
        "chains.beacon.validators.fallbacks[1]: 'bn-9' is not an endpoint",
    ),
    (
        "lag_warning_above_critical",
        BASE.replace("    team: ops\n", "    team: ops\n    thresholds:\n      sync_lag_seconds_warning: 600\n      sync_lag_seconds_critical: 120\n"),
        "sync_lag_seconds_warning: 600",
        "chains.eth.thresholds.sync_lag_seconds_warning: sync_lag_seconds_warning (600s) is above sync_lag_seconds_critical (120s)",
    ),
    (
        "lag_warning_above_the_default_critical",
        BASE.replace("    team: ops\n", "    team: ops\n    thresholds:\n      sync_lag_seconds_warning: 900\n"),
        "sync_lag_seconds_warning: 900",
        "sync_lag_seconds_warning (900s) is above sync_lag_seconds_critical (300s, the chain's default)",
    ),
    (
        "lag_blocks_critical_below_the_default_warning",
        BASE.replace("    team: ops\n", "    team: ops\n    thresholds:\n      sync_lag_blocks_critical: 2\n"),
        "sync_lag_blocks_critical: 2",
        "chains.eth.thresholds.sync_lag_blocks_critical: sync_lag_blocks_warning (5 blocks, the chain's default) is above sync_lag_blocks_critical (2 blocks)",
    ),
    (  # found by a new user: it named the `thresholds:` line and no field
        "tls_critical_above_the_default_warning",
        BASE.replace("    team: ops\n", "    team: ops\n    thresholds:\n      sync_lag_blocks_critical: 20\n      tls_cert_expiry_days_critical: 30\n"),
        "tls_cert_expiry_days_critical: 30",
        "chains.eth.thresholds.tls_cert_expiry_days_critical: tls_cert_expiry_days_critical (30 days) is not below tls_cert_expiry_days_warning (21 days, the default)",
    ),
]


@pytest.mark.parametrize("case, text, needle, words", CASES, ids=[c[0] for c in CASES])
def test_cross_checks_name_the_line_of_the_field(case, text, needle, words):
    problem = only_problem(text)
    line = line_of(text, needle, after="beacon:" if "beacon" in case or "two_chains" in case else "")
    assert problem.startswith(f"fleet.yaml:{line}: "), (problem, line)
    assert words in problem, problem
    assert "(top level)" not in problem


def test_equal_warning_and_critical_are_accepted():
    text = BASE.replace("    team: ops\n", "    team: ops\n    thresholds:\n      sync_lag_seconds_warning: 300\n      sync_lag_seconds_critical: 300\n")
    assert parse(text, "fleet.yaml", env={}).chains["eth"].lag_seconds("warning") == 300
