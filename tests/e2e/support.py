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
import urllib.parse
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest

from chainwatch.devnet import faults as F
from chainwatch.devnet.pages import Page
from chainwatch.devnet.procs import http_json
from chainwatch.devnet.stack import Stack
from tests.support.poll import wait_until

REPO = Path(__file__).resolve().parents[2]
REPORT = Path(os.environ.get("CHAINWATCH_E2E_REPORT", REPO / "build" / "e2e" / "time-to-detect.md"))

# Alerts that average over a window (5m rate, 15m avg_over_time, 1h increase of missed
# proposals): they keep firing after a heal until the fault has left the window, so a test
# does not wait for their resolve and later tests do not count them as new.
WINDOWED = ("ChainwatchRpcLatencyHigh", "ChainwatchRpcErrorRatioHigh", "ChainwatchProbeFailing", "ChainwatchProposalMissed")


@dataclass(frozen=True)
class Scope:
    """What a fault may page about: its chains (``None``: every chain) and, within them, its
    endpoints (``None``: every endpoint and the chain-wide alerts). Faults whose scopes do not
    overlap run side by side; a page is judged only by the faults whose scope it falls in."""

    chains: frozenset[str] | None = None
    endpoints: frozenset[str] | None = None

    def covers(self, chain: str, endpoint: str) -> bool:
        if self.chains is not None and chain not in self.chains:
            return False
        return self.endpoints is None or endpoint in self.endpoints

    def page(self, page: Page) -> bool:
        return self.covers(page.chain, page.endpoint)

    def alert(self, alert: dict) -> bool:
        labels = alert["labels"]
        return self.covers(labels.get("chain", ""), labels.get("endpoint", ""))

    def overlaps(self, other: "Scope") -> bool:
        if self.chains is not None and other.chains is not None and not self.chains & other.chains:
            return False
        return self.endpoints is None or other.endpoints is None or bool(self.endpoints & other.endpoints)


EVERYTHING = Scope()


@dataclass
class Result:
    fault: str
    alert: str
    detect_seconds: float | None
    budget_seconds: float
    resolve_seconds: float | None = None
    note: str = ""


RESULTS: list[Result] = []
# The faults of the running test (set by inject_and_detect and by tests that inject by
# hand): the failure hook in conftest.py prints their timeline.
CURRENT: list["Run"] = []


@dataclass
class Run:
    fault: F.Fault
    injected_at: float
    budget: float
    detected: dict[str, float] = field(default_factory=dict)  # alert -> seconds after inject
    healed_at: float | None = None
    results: list[Result] = field(default_factory=list)
    scope: Scope = EVERYTHING
    # (alertname, chain, endpoint, severity) of the fault's own alerts pending or firing in
    # Prometheus when it was healed: their notification may still arrive just after the heal.
    active_at_heal: set[tuple[str, str, str, str]] = field(default_factory=set)


def pages_since(stack: Stack, since: float, scope: Scope = EVERYTHING) -> list[Page]:
    return [p for p in stack.pages(since) if p.is_page and scope.page(p)]


def lingering(page: Page, ignore: set[tuple[str, str]]) -> bool:
    """A page from an earlier fault's windowed alert that is still working its way out."""
    return page.alertname in WINDOWED and ((page.alertname, page.endpoint) in ignore or (page.alertname, "*") in ignore)


def matches_target(page: Page, target: dict) -> bool:
    return all(getattr(page, k) == v for k, v in target.items())


def inject_and_detect(stack: Stack, name: str, ignore: set[tuple[str, str]] = frozenset(), scope: Scope = EVERYTHING, runs: list | None = None) -> Run:
    fault = F.FAULTS[name]
    try:
        fault.available(stack)
    except F.FaultUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    budget = fault.budget(stack)
    F.inject(stack, name)
    run = Run(fault, stack.active_faults[name], budget, scope=scope)
    (CURRENT if runs is None else runs).append(run)

    def detected_all() -> bool:
        for p in pages_since(stack, run.injected_at, scope):
            if p.alertname in fault.expect and matches_target(p, fault.target):
                run.detected.setdefault(p.alertname, p.received_at - run.injected_at)
        return not set(fault.expect) - set(run.detected)

    try:  # the budget counts from the injection, not from now
        wait_until(detected_all, max(0.0, run.injected_at + budget - time.time()), f"{name} paging", interval=0.2)
    except AssertionError:
        pass  # reported below with the pages and alerts seen
    for alert in fault.expect:
        run.results.append(Result(name, alert, run.detected.get(alert), budget))
    RESULTS.extend(run.results)
    missing = set(fault.expect) - set(run.detected)
    if missing:
        heal(stack, run)
        got = [p.line() for p in pages_since(stack, run.injected_at, scope)]
        firing = sorted({(a["labels"]["alertname"], a["state"]) for a in stack.firing() if scope.alert(a)})
        try:  # the next fault's test starts from a quiet stack, not this one's leftovers
            wait_quiet(stack, timeout=120.0, scope=scope)
        except AssertionError:
            pass
        pytest.fail(f"{name}: {sorted(missing)} did not page within the {budget:.0f}s budget; pages: {got}; Prometheus alerts: {firing} (timeline below)")
    return run


def assert_only_expected(stack: Stack, run: Run, ignore: set[tuple[str, str]] = frozenset(), until: float | None = None, also: tuple[str, ...] = ()) -> None:
    allowed = set(run.fault.expect) | set(run.fault.allow) | set(also)
    unexpected = [
        p.line()
        for p in pages_since(stack, run.injected_at, run.scope)
        if (until is None or p.received_at <= until) and p.alertname not in allowed and not lingering(p, ignore)
    ]
    assert not unexpected, f"{run.fault.name} paged more than it should: {unexpected}"


def heal(stack: Stack, run: Run) -> None:
    own = set(run.fault.expect) | set(run.fault.allow)
    try:
        alerts = stack.firing()
    except OSError:
        alerts = []  # Prometheus itself is what the fault broke: nothing is in progress there
    F.heal(stack, [run.fault.name])
    run.healed_at = time.time()
    run.active_at_heal = {
        (a["labels"]["alertname"], a["labels"].get("chain", ""), a["labels"].get("endpoint", ""), a["labels"].get("severity", ""))
        for a in alerts
        if a["labels"]["alertname"] in own and run.scope.alert(a)
    }


def wait_resolved(stack: Stack, run: Run, timeout: float = 60.0, alerts: tuple[str, ...] | None = None) -> None:
    """Every alert this fault paged (default) gets a resolve notification after the heal.

    Read afresh at every poll: an alert of the fault that was pending or firing in Prometheus at
    the heal can page just after it, and its resolve is waited for too (it is waited out of
    Prometheus first, so that no such page is still on its way when this returns)."""
    assert run.healed_at is not None

    def wanted(name: str) -> bool:
        return name in alerts if alerts is not None else name not in WINDOWED

    resolved_in: dict[tuple[str, str], float] = {}
    state: dict[str, object] = {"open": ["(the pages could not be read)"], "active": [], "paged": {}}

    def all_resolved() -> bool:
        paged = {(p.service, p.key): p.alertname for p in pages_since(stack, run.injected_at, run.scope) if wanted(p.alertname)}
        for p in stack.pages(run.healed_at):
            if p.is_resolve and (p.service, p.key) in paged:
                resolved_in.setdefault((p.service, p.key), p.received_at - run.healed_at)
        open_ = sorted({v for k, v in paged.items() if k not in resolved_in})
        at_heal = {a[0] for a in run.active_at_heal if wanted(a[0])}
        firing = stack.firing() if at_heal else []
        active = sorted({a["labels"]["alertname"] for a in firing if a["labels"]["alertname"] in at_heal and run.scope.alert(a)})
        state.update(open=open_, active=active, paged=paged)
        return not open_ and not active

    try:  # the timeout counts from the heal
        wait_until(all_resolved, max(0.0, run.healed_at + timeout - time.time()), "resolves", interval=0.2)
    except AssertionError:
        pass
    for key, alert in state["paged"].items():
        if key in resolved_in:
            for r in run.results:
                if r.alert == alert and r.resolve_seconds is None:
                    r.resolve_seconds = round(resolved_in[key], 1)
    assert not state["open"], f"{run.fault.name}: no resolve within {timeout:.0f}s of the heal for {state['open']} (timeline below)"
    assert not state["active"], f"{run.fault.name}: still pending or firing in Prometheus {timeout:.0f}s after the heal: {state['active']} (timeline below)"


def wait_quiet(stack: Stack, timeout: float = 40.0, ignore_windowed: bool = True, scope: Scope = EVERYTHING) -> None:
    """Before the next fault: no chainwatch alert of ``scope`` pending or firing in Prometheus (windowed ones aside)."""

    def active() -> list:
        return sorted(
            {
                (a["labels"]["alertname"], a["labels"].get("endpoint", ""), a["state"])
                for a in stack.firing()
                if scope.alert(a) and not (ignore_windowed and a["labels"]["alertname"] in WINDOWED)
            }
        )

    wait_until(
        lambda: not active(),
        timeout,
        "Prometheus quiet after the heal (no alert pending or firing)",
        interval=0.5,
        describe=lambda _: f"still active: {active()}",
    )


def write_report(results: list[Result], path: Path = REPORT) -> list[str]:
    lines = ["| fault | alert | time to detect | budget | time to resolve | note |", "| --- | --- | --- | --- | --- | --- |"]
    for r in results:
        det = f"{r.detect_seconds:.1f}s" if r.detect_seconds is not None else "no page" if r.alert == "(none)" else "NOT DETECTED"
        res = f"{r.resolve_seconds:.1f}s" if r.resolve_seconds is not None else "-"
        lines.append(f"| {r.fault} | {r.alert} | {det} | {r.budget_seconds:.0f}s | {res} | {r.note} |")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# chainwatch end-to-end time to detect\n\nMeasured from fault injection to the first PagerDuty/Opsgenie "
        "notification at the capture receiver (scrape 2s, evaluation 1s, group_wait 1s).\n\n" + "\n".join(lines) + "\n"
    )
    path.with_suffix(".json").write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    return lines


# --------------------------------------------------------------------------- failure timeline

# Probe values a failing case prints, per endpoint (chain-wide ones per chain), when they change.
TIMELINE_SERIES = {
    "up": "chainwatch_probe_success",
    "lag": "chainwatch_sync_lag_blocks",
    "lag_s": "chainwatch_sync_lag_seconds",
    "age_s": "chainwatch_head_age_seconds",
    "head": "chainwatch_head_height",
    "pending": 'chainwatch_mempool_transactions{state="pending"}',
    "ref_stall_s": "chainwatch_reference_head_stall_seconds",
    "delinquent": "chainwatch_solana_validators_delinquent",
    "exporter_up": 'up{job="chainwatch"}',
}


def _range(stack: Stack, expr: str, start: float, end: float, step: float) -> list[dict]:
    query = urllib.parse.urlencode({"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"})
    return http_json(f"{stack.prometheus_url}/api/v1/query_range?{query}", timeout=10)["data"]["result"]


def _who(labels: dict) -> str:
    return labels.get("endpoint") or labels.get("group") or labels.get("validator") or labels.get("chain") or labels.get("job", "")


def timeline(stack: Stack, since: float, until: float | None = None, runs: list[Run] = (), endpoints: set[str] | None = None) -> list[str]:
    """Everything that happened from ``since`` (unix time) on, in order, relative to ``since``:

    - fault injections and heals of ``runs``;
    - probe values (:data:`TIMELINE_SERIES`) of the endpoints involved, each time they change
      (from Prometheus' own history, so nothing needs recording while the test runs);
    - every alert state change (``ALERTS``: pending, firing, gone) at evaluation resolution;
    - every notification the capture receiver got (page or resolve);
    - the Alertmanager and Prometheus alert state at the end (inhibited or not).
    """
    until = until or time.time()
    events: list[tuple[float, str]] = []
    for run in runs:
        events.append((run.injected_at, f"FAULT   inject {run.fault.name}: {run.fault.help} (budget {run.budget:.0f}s, expect {', '.join(run.fault.expect)})"))
        if run.healed_at:
            events.append((run.healed_at, f"FAULT   heal {run.fault.name}"))
    pages = stack.pages(since)
    for p in pages:
        events.append((p.received_at, f"NOTIFY  {p.line()}"))
    errors: list[str] = []
    # Alert state changes from Prometheus' ALERTS series (1 s evaluation).
    step = stack.options.evaluation_interval
    try:
        involved: set[str] = set(endpoints or ())
        for run in runs:
            involved |= {v for k, v in run.fault.target.items() if k == "endpoint"}
        alerts = _range(stack, "ALERTS", since - 5, until, step)
        per_key: dict[tuple, dict[float, str]] = {}
        for series in alerts:
            m = series["metric"]
            key = (m["alertname"], _who(m), m.get("severity", ""))
            if m.get("endpoint"):
                involved.add(m["endpoint"])
            for t, _ in series["values"]:
                per_key.setdefault(key, {})[float(t)] = m["alertstate"]
        for key, states in per_key.items():
            previous = None
            times = sorted(states)
            for i, t in enumerate(times):
                if i and t - times[i - 1] > step * 1.5 and previous is not None:  # a gap: it was gone in between
                    events.append((times[i - 1] + step, f"ALERT   {key[0]} {key[1]} [{key[2]}] inactive"))
                    previous = None
                if states[t] != previous:
                    events.append((t, f"ALERT   {key[0]} {key[1]} [{key[2]}] {states[t]}"))
                    previous = states[t]
            if times and times[-1] < until - step * 1.5:
                events.append((times[-1] + step, f"ALERT   {key[0]} {key[1]} [{key[2]}] inactive"))
        involved |= {p.endpoint for p in pages if p.endpoint}
        # Probe values of the involved endpoints (chain-wide series always), on change.
        scrape = stack.options.scrape_interval
        values: dict[str, dict[float, dict[str, str]]] = {}  # who -> time -> short name -> value
        for short, expr in TIMELINE_SERIES.items():
            for series in _range(stack, expr, since - 5, until, scrape):
                m = series["metric"]
                if m.get("endpoint") and m["endpoint"] not in involved:
                    continue
                for t, v in series["values"]:
                    shown = f"{float(v):.6g}" if short not in ("age_s", "lag_s", "ref_stall_s") else f"{float(v):.0f}"
                    values.setdefault(_who(m), {}).setdefault(float(t), {})[short] = shown
        for who, per_time in values.items():  # one line per target and scrape, when anything changed
            last = None
            for t in sorted(per_time):
                if per_time[t] != last:
                    events.append((t, f"PROBE   {who} " + " ".join(f"{k}={v}" for k, v in per_time[t].items())))
                    last = per_time[t]
    except Exception as exc:  # noqa: BLE001 - a timeline is help, never the failure itself
        errors.append(f"(Prometheus history unavailable: {type(exc).__name__}: {exc})")
    lines = [f"timeline from {time.strftime('%H:%M:%S', time.localtime(since))} (t=0), {len(pages)} notifications:"]
    for t, text in sorted(events, key=lambda e: (e[0], e[1])):
        lines.append(f"  {t - since:+8.1f}s  {text}")
    lines += errors
    try:
        am = http_json(f"{stack.alertmanager_url}/api/v2/alerts", timeout=5)
        lines.append("Alertmanager now: " + ("nothing" if not am else ""))
        for a in sorted(am, key=lambda a: a["labels"]["alertname"]):
            st = a["status"]
            lines.append(
                f"  {a['labels']['alertname']} {_who(a['labels'])} [{a['labels'].get('severity', '')}] {st['state']}"
                + (f" inhibited by {len(st['inhibitedBy'])}" if st.get("inhibitedBy") else "")
                + f" startsAt={a.get('startsAt', '')} endsAt={a.get('endsAt', '')}"
            )
        prom = stack.firing()
        lines.append("Prometheus alerts now: " + (", ".join(f"{a['labels']['alertname']}/{_who(a['labels'])}:{a['state']}" for a in prom) or "none"))
    except Exception as exc:  # noqa: BLE001
        lines.append(f"(alert state unavailable: {type(exc).__name__}: {exc})")
    return lines
