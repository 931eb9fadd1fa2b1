"""promtool unit-test recipes of the alerts: the input series of a fault and of a quiet
chain, in promtool's expanding notation
(https://prometheus.io/docs/prometheus/latest/configuration/unit_testing_rules/).

:class:`Recipe` says how to provoke one alert rule and what it must then say; :class:`Quiet`
what the alert must stay silent on; :class:`Series` how one input series moves per step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Series:
    """One input series of a unit test: how it moves per step when healthy and when faulty.

    ``kind``: ``gauge`` (value per step), ``counter`` (increment per step),
    ``clock`` (a unix timestamp that advances while healthy and freezes during the fault),
    ``height`` (a head that advances by ``healthy`` per step and by ``fault`` during the fault),
    ``presence`` (``healthy`` while healthy, missing during the fault), ``clock_presence`` (a
    clock while healthy, missing during the fault), ``fault_only`` (missing while healthy,
    ``fault`` during the fault: ``chainwatch_probe_failure_reason``, written only while failing).
    """

    name: str
    labels: dict[str, str]
    healthy: float
    fault: float
    kind: str = "gauge"
    start: float = 0.0

    def values(self, faulty: list[bool], step_seconds: float) -> list[float | None]:
        out: list[float | None] = []
        value = self.start
        for i, bad in enumerate(faulty):
            if self.kind == "gauge":
                value = self.fault if bad else self.healthy
            elif self.kind == "counter":
                if i:
                    value += self.fault if bad else self.healthy
            elif self.kind == "clock":
                if not bad:
                    value = i * step_seconds
            elif self.kind == "height":
                if i:
                    value += self.fault if bad else self.healthy
            elif self.kind == "presence":  # present with `healthy` while healthy, missing during the fault
                out.append(None if bad else self.healthy)
                continue
            elif self.kind == "clock_presence":  # a clock while healthy, missing during the fault
                out.append(None if bad else i * step_seconds)
                continue
            elif self.kind == "fault_only":  # missing while healthy, `fault` during the fault
                # Gone from the scrape after the fault: Prometheus writes a stale marker.
                out.append(self.fault if bad else (STALE if i and faulty[i - 1] else None))
                continue
            out.append(value)
        return out

    def text(self) -> str:
        inner = ",".join(f'{k}="{v}"' for k, v in sorted(self.labels.items()))
        return f"{self.name}{{{inner}}}"


def _num(v: float) -> str:
    if float(v).is_integer():
        return str(int(v))
    return format(v, ".12g")


# A staleness marker in a test's input: what Prometheus records when a scrape stops returning
# the series (or the target is gone), unlike ``None`` (no sample: the last one stays visible
# for the 5m look-back).
STALE = "stale"


def notation(values: list[float | None | str]) -> str:
    """promtool's expanding notation: runs of equal steps become ``a+bxn``; ``None`` is ``_``,
    ``STALE`` is ``stale``."""
    out: list[str] = []
    i = 0
    while i < len(values):
        v = values[i]
        if v is None or v == STALE:
            out.append("_" if v is None else STALE)
            i += 1
            continue
        j = i + 1
        if j < len(values) and values[j] is not None and values[j] != STALE:
            d = round(values[j] - v, 9)
            while j + 1 < len(values) and values[j + 1] is not None and values[j + 1] != STALE and round(values[j + 1] - values[j], 9) == d:
                j += 1
            n = j - i
            if n >= 2 or d == 0:
                sign = "-" if d < 0 else "+"
                out.append(f"{_num(v)}{sign}{_num(abs(d))}x{n}")
                i = j + 1
                continue
        out.append(_num(v))
        i += 1
    return " ".join(out)


@dataclass
class Recipe:
    """How to provoke one alert rule in promtool and what it must then say."""

    series: list[Series]
    value: float | None  # the alert's value at the check, rendered into the description
    labels: dict[str, str]  # identifying labels of the firing instance (besides the rule's static ones)
    window: float = 0.0  # seconds the expression looks back (rate windows etc.)
    queried: dict[str, str] = field(default_factory=dict)  # what the description's queries find (QUERIES)
    step: float = 60.0
    # Alerts of the same name that fire together with this one on the same fault (the warning variant).
    companions: list = field(default_factory=list)  # of core.alertkit.Alert
    note: str = ""  # what the fault is, in words (test group names)
    # The alert's value depends on how long the fault lasted: value_at(fault_steps, step_seconds).
    value_at: Callable[[int, float], float] | None = None
    # The alert's value depends on when it is checked (an expiry ahead: ``expiry - time()``):
    # value_at_check(seconds on promtool's clock, which starts at 0). Overrides value_at.
    value_at_check: Callable[[float], float] | None = None
    # The fault is an event (a status change): the alert fires for `window` after it and then resolves
    # although the new state persists.
    event: bool = False
    # False for alerts on events held in a look-back window (a missed proposal): one event is
    # the whole fault and must alert however short it was, so there is no "blip" to ignore.
    blip: bool = True
    # The fault is a state that ends (a recovery test applies) although there is no blip test;
    # None: the same as ``blip``.
    recovers: bool | None = None
    full: bool = True  # also generate the healthy and blip tests (False: an extra fault scenario)
    # Seconds the fault lasts at least in the page audit (rules/audit.py): a state that persists
    # (a failed subgraph, a stopped head) long enough for the other alerts the exporter's report of
    # it fires, with a longer ``for:``, to fire too; the audit then proves they are inhibited.
    lasts: float = 0.0


@dataclass
class Quiet:
    """Input on which the alert must stay silent: what a healthy chain does at its worst (e.g.
    the block gaps a random-arrival chain shows, longest last). ``series`` are (name, labels,
    value per step)."""

    note: str
    series: list[tuple[str, dict[str, str], list[float]]]
    step: float = 60.0
    every: int = 5  # check every n-th step (1: a one-step race must not slip between checks)
    # False: a fault other alerts answer (this one must stay silent on it); the page audit
    # then allows one page instead of none.
    healthy: bool = True
