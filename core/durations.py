"""Prometheus durations (``30s``, ``1h30m``, ``500ms``), parsed and written in one place: the
config validates them, the alert declarations and the rule generators compute with them.

Grammar: Prometheus' ``model.ParseDuration`` (https://prometheus.io/docs/prometheus/latest/configuration/configuration/#configuration-file),
units ``ms``, ``s``, ``m``, ``h``, ``d``, ``w``, ``y`` (a year is 365 days), largest first.
"""

from __future__ import annotations

import re

UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
PATTERN = re.compile(r"(\d+(ms|s|m|h|d|w|y))+")
_PART = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")


def valid(text: str) -> bool:
    """Whether ``text`` is a whole Prometheus duration (``"0m"`` is; ``""``, ``"5"``, ``"1.5h"`` are not)."""
    return PATTERN.fullmatch(text) is not None


def seconds(text: str) -> float:
    """``"1m30s"`` -> ``90.0``; ``""`` -> ``0.0``. Unknown text counts nothing (validate with :func:`valid`)."""
    return float(sum(int(amount) * UNITS[unit] for amount, unit in _PART.findall(text or "")))


def text(secs: float) -> str:
    """Seconds as a Prometheus duration, rounded to whole seconds (``90`` -> ``1m30s``, ``0`` -> ``0s``)."""
    secs = int(round(secs))
    if secs == 0:
        return "0s"
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if secs >= size:
            out += f"{secs // size}{unit}"
            secs %= size
    return out
