"""Helpers of the end-to-end detection suite: run one fault, measure, report.

A fault run: inject into the real stack, wait for each expected alert at the capture
receiver (PagerDuty or Opsgenie, whichever comes first) within the fault's budget, check
that nothing else paged, heal, wait for the resolve notifications. Every measured
time-to-detect and time-to-resolve is collected in :data:`RESULTS`; ``conftest.py`` prints
them after the run and writes ``build/e2e/time-to-detect.{md,json}``.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest

from chainwatch.devnet import faults as F
from chainwatch.devnet.pages import Page
from chainwatch.devnet.stack import Stack

REPO = Path(__file__).resolve().parents[2]
REPORT = Path(os.environ.get("CHAINWATCH_E2E_REPORT", REPO / "build" / "e2e" / "time-to-detect.md"))

# Alerts that average over a window (5m rate, 15m avg_over_time, 1h increase of missed
# proposals): they keep firing after a heal until the fault has left the window, so a test
# does not wait for their resolve and later tests do not count them as new.
WINDOWED = ("ChainwatchRpcLatencyHigh", "ChainwatchRpcErrorRatioHigh", "ChainwatchProbeFailing", "ChainwatchProposalMissed")


@dataclass
class Result:
    fault: str
    alert: str
    detect_seconds: float | None
    budget_seconds: float
    resolve_seconds: float | None = None
    note: str = ""


RESULTS: list[Result] = []


@dataclass
class Run:
    fault: F.Fault
    injected_at: float
    budget: float
    detected: dict[str, float] = field(default_factory=dict)  # alert -> seconds after inject
    healed_at: float | None = None
    results: list[Result] = field(default_factory=list)


def pages_since(stack: Stack, since: float) -> list[Page]:
    return [p for p in stack.pages(since) if p.is_page]


def lingering(page: Page, ignore: set[tuple[str, str]]) -> bool:
    """A page from an earlier fault's windowed alert that is still working its way out."""
    return page.alertname in WINDOWED and ((page.alertname, page.endpoint) in ignore or (page.alertname, "*") in ignore)


def matches_target(page: Page, target: dict) -> bool:
    return all(getattr(page, k) == v for k, v in target.items())


def inject_and_detect(stack: Stack, name: str, ignore: set[tuple[str, str]] = frozenset()) -> Run:
    fault = F.FAULTS[name]
    try:
        fault.available(stack)
    except F.FaultUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    budget = fault.budget(stack)
    F.inject(stack, name)
    run = Run(fault, stack.active_faults[name], budget)
    deadline = run.injected_at + budget
    while time.time() < deadline and set(fault.expect) - set(run.detected):
        for p in pages_since(stack, run.injected_at):
            if p.alertname in fault.expect and matches_target(p, fault.target):
                run.detected.setdefault(p.alertname, p.received_at - run.injected_at)
        time.sleep(0.2)
    for alert in fault.expect:
        run.results.append(Result(name, alert, run.detected.get(alert), budget))
    RESULTS.extend(run.results)
    missing = set(fault.expect) - set(run.detected)
    if missing:
        heal(stack, run)
        got = [p.line() for p in pages_since(stack, run.injected_at)]
        firing = sorted({(a["labels"]["alertname"], a["state"]) for a in stack.firing()})
        pytest.fail(f"{name}: {sorted(missing)} did not page within the {budget:.0f}s budget; pages: {got}; Prometheus alerts: {firing}")
    return run


def assert_only_expected(stack: Stack, run: Run, ignore: set[tuple[str, str]] = frozenset(), until: float | None = None,
                         also: tuple[str, ...] = ()) -> None:
    allowed = set(run.fault.expect) | set(run.fault.allow) | set(also)
    unexpected = [p.line() for p in pages_since(stack, run.injected_at)
                  if (until is None or p.received_at <= until) and p.alertname not in allowed and not lingering(p, ignore)]
    assert not unexpected, f"{run.fault.name} paged more than it should: {unexpected}"


def heal(stack: Stack, run: Run) -> None:
    F.heal(stack, [run.fault.name])
    run.healed_at = time.time()


def wait_resolved(stack: Stack, run: Run, timeout: float = 60.0, alerts: tuple[str, ...] | None = None) -> None:
    """Every alert this fault paged (default) gets a resolve notification after the heal."""
    assert run.healed_at is not None
    paged = {(p.service, p.key): p.alertname for p in pages_since(stack, run.injected_at) if alerts is None or p.alertname in alerts}
    paged = {k: v for k, v in paged.items() if v not in WINDOWED or alerts is not None}
    deadline = run.healed_at + timeout
    open_ = dict(paged)
    while open_ and time.time() < deadline:
        for p in stack.pages(run.healed_at):
            if p.is_resolve and (p.service, p.key) in open_:
                alert = open_.pop((p.service, p.key))
                for r in run.results:
                    if r.alert == alert and r.resolve_seconds is None:
                        r.resolve_seconds = round(p.received_at - run.healed_at, 1)
        time.sleep(0.2)
    assert not open_, f"{run.fault.name}: no resolve within {timeout:.0f}s of the heal for {sorted(set(open_.values()))}"


def wait_quiet(stack: Stack, timeout: float = 40.0, ignore_windowed: bool = True) -> None:
    """Before the next fault: no chainwatch alert pending or firing in Prometheus (windowed ones aside)."""
    deadline = time.time() + timeout
    left: list = []
    while time.time() < deadline:
        left = sorted({(a["labels"]["alertname"], a["labels"].get("endpoint", ""), a["state"]) for a in stack.firing()
                       if not (ignore_windowed and a["labels"]["alertname"] in WINDOWED)})
        if not left:
            return
        time.sleep(0.5)
    raise AssertionError(f"alerts still active {timeout:.0f}s after the heal: {left}")


def write_report(results: list[Result], path: Path = REPORT) -> list[str]:
    lines = ["| fault | alert | time to detect | budget | time to resolve | note |", "| --- | --- | --- | --- | --- | --- |"]
    for r in results:
        det = f"{r.detect_seconds:.1f}s" if r.detect_seconds is not None else "no page" if r.alert == "(none)" else "NOT DETECTED"
        res = f"{r.resolve_seconds:.1f}s" if r.resolve_seconds is not None else "-"
        lines.append(f"| {r.fault} | {r.alert} | {det} | {r.budget_seconds:.0f}s | {res} | {r.note} |")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# chainwatch end-to-end time to detect\n\nMeasured from fault injection to the first PagerDuty/Opsgenie "
                    "notification at the capture receiver (scrape 2s, evaluation 1s, group_wait 1s).\n\n" + "\n".join(lines) + "\n")
    path.with_suffix(".json").write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    return lines
