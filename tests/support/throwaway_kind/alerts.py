"""The throwaway kind's one alert: its answer fell below 42 (runbook beside it, in ``runbooks/``)."""

from __future__ import annotations

from chainwatch.core.alertkit import AlertSpec, step

ALERTS: tuple[AlertSpec, ...] = (
    AlertSpec(
        "ChainwatchThrowawayAnswerLow",
        "endpoint",
        ("warning",),
        threshold=lambda c: 42,
        expr=lambda c: f"{c.sel('chainwatch_throwaway_answer')} < 42",
        for_=lambda c: "5m",
        summary="{endpoint} ({chain}) answers {value:%.0f}",
        description=lambda c: "Node {endpoint} of {chain}/{network} answers {value:%.0f}, below 42.",
        value="{value:%.0f}",
        test=step("chainwatch_throwaway_answer", lambda c: 42, lambda c: 41, "answer below 42"),
    ),
)
