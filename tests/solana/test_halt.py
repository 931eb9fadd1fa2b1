"""Chain halt = every reference stopped: the scheduler's stall clock, step by step.

Probe results are made up here (no network): the point is the rule, not the transport.
The same behaviour through the real exporter and the simulator is in
test_simulated_cluster.py.
"""

from __future__ import annotations

import pytest

from chainwatch.exporters import scheduler as sched
from chainwatch.assembly.config import parse
from chainwatch.exporters.probe import ProbeResult
from chainwatch.exporters.transport import Transport

CONFIG = """
chains:
  solana:
    kind: solana
    network: mainnet-beta
    endpoints:
      - {name: rpc-1, url: "http://127.0.0.1:1/", role: node}
      - {name: ref-1, url: "http://127.0.0.1:1/a", role: reference}
      - {name: ref-2, url: "http://127.0.0.1:1/b", role: reference}
      - {name: ref-3, url: "http://127.0.0.1:1/c", role: reference}
"""


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def stall(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(sched.time, "monotonic", clock)
    scheduler = sched.Scheduler(parse(CONFIG, env={}), Transport())

    def step(seconds: float, **heads) -> float | None:
        clock.now += seconds
        results = {name: ProbeResult(True, head_height=h) if h is not None else ProbeResult(False, reason="timeout") for name, h in heads.items()}
        return scheduler._summarise("solana", results).stall_seconds

    return step


def test_two_of_three_references_stuck_is_not_a_halt(stall):
    assert stall(0, **{"ref-1": 100, "ref-2": 100, "ref-3": 100}) == 0
    # ref-1 and ref-2 stop; the median (100) stops with them, ref-3 goes on.
    for i in range(1, 6):
        assert stall(10, **{"ref-1": 100, "ref-2": 100, "ref-3": 100 + 25 * i}) == 0


def test_every_reference_stopped_is_a_halt(stall):
    stall(0, **{"ref-1": 100, "ref-2": 101, "ref-3": 99})
    assert stall(10, **{"ref-1": 100, "ref-2": 101, "ref-3": 99}) == 10
    assert stall(10, **{"ref-1": 100, "ref-2": 101, "ref-3": 99}) == 20
    assert stall(5, **{"ref-1": 101, "ref-2": 101, "ref-3": 99}) == 0  # one advanced: not halted


def test_flapping_or_backwards_reference_does_not_hide_a_halt(stall):
    stall(0, **{"ref-1": 100, "ref-2": 100, "ref-3": 100})
    assert stall(10, **{"ref-1": None, "ref-2": 100, "ref-3": 100}) == 10  # unreachable, then back
    assert stall(10, **{"ref-1": 100, "ref-2": 100, "ref-3": 100}) == 20
    # A load-balanced provider answering from a lagging backend, then the good one again.
    assert stall(10, **{"ref-1": 90, "ref-2": 100, "ref-3": 100}) == 30
    assert stall(10, **{"ref-1": 100, "ref-2": 100, "ref-3": 100}) == 40
