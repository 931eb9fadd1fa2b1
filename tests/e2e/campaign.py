"""Faults side by side: lanes of faults that cannot page for each other, run concurrently.

A fault on one chain (or one endpoint) cannot explain a page on another, so the suite does
not need to run them one after the other: each :class:`Lane` owns a :class:`Scope` (chains,
and endpoints within them) and runs its faults in order, judging only the pages of its
scope; lanes whose scopes are disjoint run at the same time in threads. A lane that needs
what others touch (the devnet halt freezes the L1 of the rollup and the chain the subgraph
indexes; the killed exporter silences everything) waits for them (``after``).

Every fault keeps the single-fault contract: its expected page within its budget, nothing
else in its scope pages, every page resolves after the heal, and — once per lane, after its
last heal — no new notification in the scope for the 2-minute recovery window. A page that
falls in no running lane's scope fails :meth:`Campaign.stray_pages`.

Each step is a function of its lane, registered with :func:`step`, which also makes the
pytest test that reports its outcome: the test waits for the step and re-raises its failure.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from _pytest.outcomes import Skipped

from chainwatch.devnet.stack import Stack
from tests.support.poll import hold

from .support import (
    CURRENT,
    EVERYTHING,
    Run,
    Scope,
    assert_only_expected,
    heal,
    inject_and_detect,
    pages_since,
    wait_quiet,
    wait_resolved,
)

RESOLVE_SECONDS = 120.0  # see test_detection.py
RECOVERY_SECONDS = 120.0
# Events keep firing for their look-back window after the event, by design (docs/rules.md).
EVENTS = ("ChainwatchProposalMissed",)
# Two epochs of the demo's beacon chain (8 slots of 1 s), plus scrape, evaluation and group_wait.
MONITOR_LAG_SECONDS = 20.0
# A step waits at most this long for its lane to reach it: every lane ahead of it failing at
# its longest waits stays well inside it; beyond it something hangs and the test says so.
STEP_TIMEOUT = 40 * 60.0


@dataclass
class Step:
    key: str
    lane: str
    body: Callable[["Lane"], None]
    error: BaseException | None = None
    runs: list[Run] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)


STEPS: list[Step] = []


def step(lane: str):
    """Register the decorated ``body(lane)`` as a step of ``lane``; return the pytest test
    (same name and docstring) that waits for it and reports its outcome."""

    def register(body: Callable[["Lane"], None]):
        STEPS.append(Step(body.__name__, lane, body))

        def test(campaign: "Campaign") -> None:
            campaign.report(body.__name__)

        test.__name__, test.__doc__, test.__module__ = body.__name__, body.__doc__, body.__module__
        test.campaign_step = body.__name__
        return test

    return register


def assert_recovered(stack: Stack, runs: list[Run], quiet: float, scope: Scope) -> None:
    """For ``quiet`` seconds after the last heal: no new notification in ``scope`` (a firing one
    for an alert that had not paged before its heal), and by then every alert each fault paged
    has resolved."""
    healed = max(r.healed_at for r in runs)
    first = min(r.injected_at for r in runs)

    # An alert, not a receiver's copy of it: the second receiver's notification of an alert that
    # paged before the heal may arrive a few milliseconds after it, and is no new incident.
    def alert(p) -> tuple[str, str, str, str]:
        return (p.alertname, p.chain, p.endpoint, p.severity)

    before = {alert(p) for r in runs for p in pages_since(stack, first, scope) if p.received_at <= r.healed_at}
    # An alert of the fault that was already pending in Prometheus at the heal (its `for:` ran
    # out within the scrape-and-evaluate lag after it) belongs to the fault, not to a new incident.
    before |= {a for r in runs for a in r.active_at_heal}
    # An event the fault itself caused (a proposal the frozen validator missed) is reported once
    # the monitor has read that slot, which can be just after the heal: late, not new.
    own_events = {a for r in runs for a in (*r.fault.expect, *r.fault.allow) if a in EVENTS}
    # A validator monitor counts an epoch (a block window) after it ends: the misses of the last
    # frozen epochs are counted after the heal, and a ratio the fault allows (AttestationMissRatioHigh)
    # may cross its threshold then. Notified within that lag of its fault's heal: late, not new.
    late = {(a, r.healed_at) for r in runs if r.fault.duration == "validator" for a in r.fault.allow if a not in EVENTS}

    def is_late(p) -> bool:
        return any(p.alertname == a and p.received_at <= at + MONITOR_LAG_SECONDS for a, at in late)

    def new() -> list[str]:
        return [p.line() for p in pages_since(stack, healed, scope) if alert(p) not in before and p.alertname not in own_events and not is_late(p)]

    names = ", ".join(r.fault.name for r in runs)
    hold(
        lambda: not new(),
        max(0.0, healed + quiet - time.time()),
        f"{names}: no new notification within {quiet:.0f}s after the heal",
        interval=0.5,
        describe=lambda _: str(new()),
    )
    resolved = {(p.service, p.key) for p in stack.pages(first) if p.is_resolve}
    still = sorted({p.alertname for p in pages_since(stack, first, scope) if (p.service, p.key) not in resolved and p.alertname not in EVENTS})
    assert not still, f"{names}: not resolved {quiet:.0f}s after the heal: {still}"


class Lane:
    """Faults run one after the other within one scope; the recovery window is held once, after
    the lane's last heal, over every fault of the lane (between two faults, the next fault's own
    check flags any unexpected page)."""

    def __init__(self, name: str, scope: Scope, after: tuple[str, ...] = ()):
        self.name, self.scope, self.after = name, scope, after
        self.stack: Stack | None = None
        self.ignore: set[tuple[str, str]] = set()  # (alert, endpoint) of windowed alerts still draining
        self.deferred: list[Run] = []
        self.recovery = RECOVERY_SECONDS
        self.runs: list[Run] = []  # the runs of the step being run
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self.finished = threading.Event()

    # ------------------------------------------------------------------ what steps call

    def inject(self, name: str) -> Run:
        """Inject ``name`` and wait for its expected pages (in this lane's scope) within its budget."""
        return inject_and_detect(self.stack, name, self.ignore, self.scope, runs=self.runs)

    def pages(self, since: float):
        return pages_since(self.stack, since, self.scope)

    def check_fault(self, name: str, resolve_timeout: float = RESOLVE_SECONDS, recovery: float = RECOVERY_SECONDS) -> Run:
        """The whole single-fault contract (its recovery window is held with the lane's)."""
        run = self.inject(name)
        self.recovery = max(self.recovery, recovery)
        assert_only_expected(self.stack, run, self.ignore)
        heal(self.stack, run)
        wait_resolved(self.stack, run, resolve_timeout)
        assert_only_expected(self.stack, run, self.ignore)
        self.defer(run)
        return run

    def defer(self, run: Run) -> None:
        """Nothing new so far after ``run``'s heal; its recovery window is held at the lane's end."""
        assert_recovered(self.stack, [run], 0, self.scope)
        self.deferred.append(run)
        self.quiet()

    def quiet(self, ignore_windowed: bool = True) -> None:
        wait_quiet(self.stack, scope=self.scope, ignore_windowed=ignore_windowed)

    # ------------------------------------------------------------------ what the campaign calls

    def settle(self) -> None:
        """The recovery contract for every deferred fault of the lane."""
        runs, self.deferred = self.deferred, []
        if runs:
            assert_recovered(self.stack, runs, self.recovery, self.scope)

    def leave_clean(self) -> None:
        """A failed step still heals its faults and lets its scope go quiet, so the next step
        judges its own fault, not this one's leftovers."""
        self.deferred.clear()
        for run in self.runs:
            if run.healed_at is None and run.fault.name in self.stack.active_faults:
                heal(self.stack, run)
        try:
            wait_quiet(self.stack, timeout=120.0, scope=self.scope)
        except AssertionError:
            pass  # the failure being reported already says what went wrong


class Campaign:
    """Runs the selected steps lane by lane, lanes side by side, and hands each test its outcome."""

    def __init__(self, stack: Stack, lanes: list[Lane], wanted: set[str]):
        self.stack = stack
        self.lanes = {lane.name: lane for lane in lanes}
        self.steps = {s.key: s for s in STEPS if s.key in wanted}
        for s in STEPS:
            if s.lane not in self.lanes:
                raise ValueError(f"step {s.key} names unknown lane {s.lane}")
        self._check_scopes()
        self.started_at = time.time()
        self.threads = [threading.Thread(target=self._run_lane, args=(lane,), name=f"lane-{lane.name}", daemon=True) for lane in lanes]
        for t in self.threads:
            t.start()

    def _ancestors(self, name: str) -> set[str]:
        seen: set[str] = set()
        todo = list(self.lanes[name].after)
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo.extend(self.lanes[n].after)
        return seen

    def _check_scopes(self) -> None:
        """Lanes that may run at the same time must not share a scope."""
        names = list(self.lanes)
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                ordered = a in self._ancestors(b) or b in self._ancestors(a)
                if not ordered and self.lanes[a].scope.overlaps(self.lanes[b].scope):
                    raise ValueError(f"lanes {a} and {b} run side by side but their scopes overlap")

    def _run_lane(self, lane: Lane) -> None:
        lane.stack = self.stack
        steps = [s for s in self.steps.values() if s.lane == lane.name]
        try:
            for name in lane.after:
                self.lanes[name].finished.wait()
            if steps:  # a lane with nothing selected accounts for no page
                lane.started_at = time.time()
            for index, s in enumerate(steps):
                lane.runs = s.runs
                try:
                    s.body(lane)
                    if index == len(steps) - 1:
                        lane.settle()  # the lane's recovery window counts for its last step
                except Skipped as exc:
                    s.error = exc
                except BaseException as exc:  # noqa: BLE001 - reported by the step's test
                    s.error = exc
                    lane.leave_clean()
                finally:
                    s.done.set()
        finally:
            lane.finished_at = time.time()
            lane.finished.set()
            for s in steps:
                s.done.set()

    def report(self, key: str) -> None:
        s = self.steps[key]
        if not s.done.wait(STEP_TIMEOUT):
            raise AssertionError(f"{key}: its lane {s.lane} did not reach the end of it within {STEP_TIMEOUT:.0f}s")
        CURRENT.extend(s.runs)  # the failure hook prints their timeline
        if s.error is not None:
            raise s.error

    def wait_all(self) -> None:
        for lane in self.lanes.values():
            assert lane.finished.wait(STEP_TIMEOUT), f"lane {lane.name} did not finish within {STEP_TIMEOUT:.0f}s"

    def stray_pages(self) -> list[str]:
        """Pages that no running lane's scope accounts for (after every lane has finished)."""
        self.wait_all()
        out = []
        for p in pages_since(self.stack, self.started_at, EVERYTHING):
            owners = [
                lane
                for lane in self.lanes.values()
                if lane.started_at is not None and lane.started_at <= p.received_at <= (lane.finished_at or time.time()) and lane.scope.page(p)
            ]
            if not owners:
                out.append(p.line())
        return out
