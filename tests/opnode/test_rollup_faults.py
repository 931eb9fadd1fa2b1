"""Rollup faults through the real exporter and a real Prometheus.

Talks to: two REAL anvils (L1, and the L2 whose mining stands for the sequencer), the
SIMULATED op-node (``chainwatch.kinds.opnode.simulator``: no op-node runs here) reading
them, the real exporter (``chainwatch serve``) and Debian's Prometheus scraping it every
second. Every generated alert rule of the three chains (l1, l2, rollup) is evaluated as
Prometheus evaluates it; which of them would *page* is what remains after the generated
Alertmanager inhibition rules (real Alertmanager inhibition: tests/alertmanager/test_e2e.py).
"""

from __future__ import annotations

import re

import pytest

from chainwatch.assembly.names import inhibit_rules
from chainwatch.assembly.config import load
from chainwatch.rules.alerts import chain_alerts
from tests.opnode.rollup import Rollup
from tests.support.poll import wait_until
from tests.support.stack import Exporter, Prometheus, write_config

pytestmark = [pytest.mark.anvil, pytest.mark.prometheus]

ROLLUP_ALERTS = {"ChainwatchRollupSafeHeadLagging", "ChainwatchRollupL1ViewBehind", "ChainwatchSequencerDown"}


class Stack:
    def __init__(self, tmp):
        self.rollup = Rollup(tmp)
        path = write_config(tmp / "chainwatch.yaml", self.rollup.chains(), exporter={"min_probe_interval_seconds": 0, "reference_max_age_seconds": 0})
        config = load(path)
        self.rules = [a for name in config.chains for a in chain_alerts(config, name)]
        self.exporter = Exporter(path, tmp)
        target = self.exporter.url.removeprefix("http://")
        self.prom = Prometheus(tmp / "prom", [{"job_name": "chainwatch", "static_configs": [{"targets": [target]}]}])

    def stop(self):
        for p in (self.prom, self.exporter):
            p.stop()
        self.rollup.stop()

    def firing(self) -> list[dict]:
        """Every generated alert whose expression is true now, with the labels it would carry."""
        out = []
        for rule in self.rules:
            for sample in self.prom.query(rule.expr):
                out.append({**sample["metric"], **rule.static_labels, "alertname": rule.name})
        return out

    def pages(self) -> set[tuple[str, str, str]]:
        """(alertname, chain, endpoint) of the firing alerts no generated inhibition rule mutes."""
        alerts = self.firing()
        rules = inhibit_rules()

        def matches(alert: dict, matchers: list[str]) -> bool:
            for m in matchers:
                key, op, value = re.fullmatch(r'(\w+)(=~|=)"(.*)"', m).groups()
                if not (re.fullmatch(value, alert.get(key, "")) if op == "=~" else alert.get(key, "") == value):
                    return False
            return True

        def muted(t):
            return any(
                matches(t, r["target_matchers"])
                and any(s is not t and matches(s, r["source_matchers"]) and all(s.get(k) == t.get(k) for k in r["equal"]) for s in alerts)
                for r in rules
            )

        return {(a["alertname"], a["chain"], a.get("endpoint", "")) for a in alerts if not muted(a)}

    def until(self, check, timeout: float, what: str):
        seen: list[set] = [set()]

        def paged():
            seen[0] = self.pages()
            return (seen[0],) if check(seen[0]) else None  # a tuple: "no page" is an answer too

        [pages] = wait_until(paged, timeout, what, interval=0.5, errors=(), describe=lambda _: f"pages now: {sorted(seen[0])}")
        return pages


@pytest.fixture
def stack(tmp_path):
    s = Stack(tmp_path)
    try:
        # Healthy first: Prometheus needs its first scrapes, then nothing may page.
        s.until(lambda p: s.prom.query("chainwatch_opnode_safe_lag_seconds") and not p, 40, "a quiet healthy rollup")
        yield s
    finally:
        s.stop()


def names(pages) -> set[str]:
    return {p[0] for p in pages}


def test_batcher_stall_pages_only_the_safe_head_alert_and_resolves(stack):
    stack.rollup.sim.control("stall_batcher")
    pages = stack.until(lambda p: "ChainwatchRollupSafeHeadLagging" in names(p), 20, "safe-head page")
    assert pages == {("ChainwatchRollupSafeHeadLagging", "rollup", "op-node-1")}
    lag = lambda: float(stack.prom.query("chainwatch_opnode_safe_lag_seconds")[0]["value"][1])  # noqa: E731
    before = lag()
    wait_until(lambda: lag() > before, 10, "the safe-head lag still growing")  # 1 s scrapes and evaluations
    assert stack.pages() == {("ChainwatchRollupSafeHeadLagging", "rollup", "op-node-1")}
    stack.rollup.sim.control("heal")
    stack.until(lambda p: not p, 20, "resolved after the batcher resumed")


def test_lagging_l1_view_pages_the_derivation_alert_only_and_resolves(stack):
    stack.rollup.sim.control("lag_l1")
    pages = stack.until(lambda p: "ChainwatchRollupL1ViewBehind" in names(p), 20, "derivation page")
    # Derivation stops with the L1 view, so the safe head lags too: muted by the L1-view page.
    assert pages == {("ChainwatchRollupL1ViewBehind", "rollup", "op-node-1")}
    stack.until(lambda p: "ChainwatchRollupSafeHeadLagging" in {a["alertname"] for a in stack.firing()}, 20, "safe lag while L1 view frozen")
    assert stack.pages() == {("ChainwatchRollupL1ViewBehind", "rollup", "op-node-1")}
    stack.rollup.sim.control("heal")
    stack.until(lambda p: not p, 20, "resolved after the L1 view healed")


def test_sequencer_halt_is_one_page_for_the_l2_chain_and_resolves(stack):
    stack.rollup.sim.control("halt_sequencer")
    pages = stack.until(lambda p: "ChainwatchSequencerDown" in names(p), 30, "sequencer-down page")
    assert pages == {("ChainwatchSequencerDown", "l2", "")}
    # The L2 node's head goes stale and the L2 chain halts: both true, both muted.
    stack.until(
        lambda p: {"ChainwatchHeadStale", "ChainwatchChainHalted"} <= {a["alertname"] for a in stack.firing()}, 30, "per-node stale and chain halt expressions"
    )
    assert stack.pages() == {("ChainwatchSequencerDown", "l2", "")}
    stack.rollup.sim.control("heal")
    stack.until(lambda p: not p, 30, "resolved after the sequencer resumed")
