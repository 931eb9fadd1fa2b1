"""Print the measured time-to-detect per fault after the run (and write it to build/e2e/)."""

from __future__ import annotations

from .support import REPORT, RESULTS, write_report


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not RESULTS:
        return
    lines = write_report(RESULTS)
    terminalreporter.section("chainwatch time to detect (end-to-end)")
    for line in lines:
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"written to {REPORT} and {REPORT.with_suffix('.json')}")
