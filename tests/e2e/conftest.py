"""Print the measured time-to-detect per fault after the run (and write it to build/e2e/);
print the whole timeline of a failing case (probe values, alert states, notifications)."""

from __future__ import annotations

import re
import time

import pytest

from .support import CURRENT, REPORT, RESULTS, timeline, write_report


_SESSION_START = time.time()


def pytest_sessionfinish(session, exitstatus):
    # Under pytest-xdist the campaign ran in a worker: it writes the report for the controller.
    if RESULTS and hasattr(session.config, "workerinput"):
        write_report(RESULTS)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if RESULTS:
        lines = write_report(RESULTS)
    elif REPORT.exists() and REPORT.stat().st_mtime >= _SESSION_START:  # written by this run's worker
        lines = [line for line in REPORT.read_text().splitlines() if line.startswith("|")]
    else:
        return
    terminalreporter.section("chainwatch time to detect (end-to-end)")
    for line in lines:
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"written to {REPORT} and {REPORT.with_suffix('.json')}")


_STARTED = pytest.StashKey[float]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    CURRENT.clear()
    item.stash[_STARTED] = time.time()
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    stack = item.funcargs.get("stack") if hasattr(item, "funcargs") else None
    if stack is None or not getattr(stack, "prometheus_url", ""):
        return
    runs = list(CURRENT)
    since = min([r.injected_at for r in runs] or [item.stash.get(_STARTED, time.time())]) - 10
    text = "\n".join(timeline(stack, since, runs=runs))
    report.sections.append(("chainwatch timeline", text))
    path = REPORT.parent / "timelines" / (re.sub(r"[^A-Za-z0-9_.-]+", "_", item.name) + ".txt")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")
