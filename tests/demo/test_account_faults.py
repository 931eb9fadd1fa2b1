"""The demo's operational accounts (issue #31) against its own thresholds, with the real promtool.

The e2e campaign runs ``drain-batcher`` and ``solana-drain-fee-payer`` on the real stack; this
states the arithmetic they rest on, on the rule generated from the demo's own chain block, so a
changed constant fails here in seconds: a healthy batcher (10000 ETH at 0.1 ETH a second) pages
nobody, the drain to 5 % pages at once, and the top-up resolves it at once although the drain
stays in the 5m spend rate for five more minutes, without passing through the warning.
"""

from __future__ import annotations

import pytest
import yaml

from chainwatch.assembly.config import parse
from chainwatch.devnet.part import DRAINED_SHARE, TEAM
from chainwatch.kinds.evm.demo import BATCH_ETH, BATCH_SECONDS, CHAIN, PROXIED, REFERENCES, EvmDevnet
from tests.accounts import promtool_runway

pytestmark = pytest.mark.prometheus

STEP = 5  # seconds: an evaluation, a scrape and (at most) an accounts round of the demo
PACE = BATCH_ETH / BATCH_SECONDS  # ether a second
DRAIN_AT, HEAL_AT, END = 600, 630, 1200


class _Stack:
    """What EvmDevnet.chain_blocks reads of a stack."""


def demo_config():
    part = EvmDevnet(_Stack())
    part.endpoints = {n: f"http://127.0.0.1:{8545 + i}" for i, n in enumerate((*REFERENCES, "node-1", *PROXIED))}
    chain = part.chain_blocks({})[CHAIN]
    return parse(yaml.safe_dump({"teams": {TEAM: {}}, "chains": {CHAIN: chain}}), env={})


def test_demo_batcher_drain_pages_and_its_top_up_resolves_without_a_warning(tmp_path):
    config = demo_config()
    balance, spent, b, s = [], [], 10000.0, 0.0
    before = None
    for t in range(0, END + 1, STEP):
        if t == DRAIN_AT:
            before = b
            s += b * (1 - DRAINED_SHARE)
            b *= DRAINED_SHARE
        if t == HEAL_AT:
            b = before - PACE * (HEAL_AT - DRAIN_AT)
        balance.append(b)
        spent.append(s)
        b -= PACE * STEP
        s += PACE * STEP
    labels = f'account="batcher",chain="{CHAIN}",network="anvil",purpose="batcher",team="{TEAM}"'
    series = {f"chainwatch_account_balance{{{labels}}}": balance, f"chainwatch_account_spent_total{{{labels}}}": spent}
    checks = [(t, set()) for t in (300, 595)]  # healthy: about a day of runway
    checks += [(t, {"critical"}) for t in (615, 625)]  # drained: seconds left; the critical alone, not also the warning
    checks += [(t, set()) for t in (640, 700, 850, 895, 905, 1200)]  # topped up: ~300 s, above the 173 s warning
    promtool_runway.check(tmp_path, config, CHAIN, series, checks, STEP, "batcher")


def test_demo_runway_pages_read_in_minutes_not_zero_days():
    """The demo's thresholds are 0.002 / 0.001 days (devnet/part.py): its pages say how long in a
    unit that reads right (Prometheus' humanizeDuration, checked against promtool in
    tests/test_rules_values.py), not "0.0 days"."""
    from chainwatch.rules import generate

    runway = [a for f in generate.build(demo_config()) for a in f.alerts if a.name == "ChainwatchAccountRunwayLow"]
    by_severity = {a.severity: a for a in runway}
    warning, critical = by_severity["warning"], by_severity["critical"]
    drained = critical.expected(critical.recipes[0], 15.7)["exp_annotations"]
    assert drained["summary"] == f"Account batcher on {CHAIN} runs out in 15.7s"
    assert "(threshold 1m 26s)" in drained["description"] and drained["value"] == "15.7s of runway"
    assert "(threshold 2m 52s)" in warning.expected(warning.recipes[0], 150.0)["exp_annotations"]["description"]
    assert warning.expected(warning.recipes[0], 150.0)["exp_annotations"]["summary"].endswith("runs out in 2m 30s")
