"""What chainwatch's own requests cost at paid providers: every billable element counted.

The shared transport hands every answered request of an endpoint with ``provider:`` to
:meth:`CreditMeter.count`: a JSON-RPC batch counts each of its elements under its method, a
single call its method, a REST request ``rest`` (core/pricing.py). Answers the providers do not
bill are not counted: HTTP 429 (rate limited) and connections that never got an answer.
Credits are added up at the table of the moment (a reload with a new table does not rewrite the
past).

Exposition (the ``provider`` label is the table's name, never a URL: URLs carry keys)::

    chainwatch_provider_requests_total{method="eth_blockNumber",provider="alchemy"} 240
    chainwatch_provider_credits_total{method="eth_blockNumber",provider="alchemy"} 2400
    chainwatch_provider_period_credits{provider="alchemy"} 21600
    chainwatch_provider_period_end_timestamp_seconds{provider="alchemy"} 1.7674272e+09

``period_credits`` is what was counted since the billing period started (``period_start_day``),
or since the exporter started if that is later, plus what eRPC spent at the provider (exporters/erpc.py),
or the provider's own count (exporters/usage.py); the projected month-end use and cost are
recording rules over it (rules/providers.py).
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

from chainwatch.core import pricing
from chainwatch.exporters.statefile import StateFile, mapping

log = logging.getLogger("chainwatch.credits")
SAVE_EVERY_SECONDS = 60.0  # the period's count survives a restart, losing at most this much

MAX_METHODS = 64  # per provider: a server-chosen method name can never grow the label set past this
OTHER = "other"


class CreditMeter:
    """Counts requests and credits per provider; ``configure`` with each (re)loaded config."""

    def __init__(self, clock=time.time):
        self.clock = clock
        self.tables: dict[str, pricing.Pricing] = {}
        self.requests: Counter[tuple[str, str]] = Counter()
        self.credits: Counter[tuple[str, str]] = Counter()  # (provider, method): what the dashboards break the bill down by
        self.period_credits: Counter[str] = Counter()
        self.periods: dict[str, tuple[float, float]] = {}
        # credits by endpoint name and method (not exported: one series per endpoint and provider
        # is the provider's; ``chainwatch check`` prints them as credits per day)
        self.by_endpoint: Counter[tuple[str, str]] = Counter()  # (endpoint, method)
        # the provider's own count of the period (exporters/usage.py): (credits, valid until); False: last read failed
        self.reported: dict[str, tuple[float, float]] = {}
        self.usage_ok: dict[str, bool] = {}
        self.erpc_ok: dict[str, bool] = {}  # provider -> eRPC's counter answered its last read (exporters/erpc.py)
        self.state: StateFile | None = None
        self._saved_at = -math.inf
        self._restored: dict[str, tuple[float, float]] = {}  # provider -> (period end, credits) from the state file
        # provider -> (eRPC source id, {upstream: eRPC's counter}) last read (exporters/erpc.py), saved with the credits
        self.erpc_counters: dict[str, tuple[str, dict[str, float]]] = {}
        self.boot = f"{os.getpid()}-{time.time_ns()}"  # a worker's totals with another boot start again from 0
        self._merged: dict[str, tuple[str, dict[tuple[str, str, str], float]]] = {}  # source -> (its boot, its last totals)

    def attach(self, path: Path | str) -> None:
        """Keep the periods' counts in ``path`` (the exporter's ``state_dir``): a restart mid-period
        goes on from the saved count instead of 0, which would hide the month's use so far from
        the quota and budget projections."""
        self.state = StateFile(path, "providers")
        loaded = self.state.load(_read_state)
        self._restored = {name: (end, credits) for name, (end, credits, _) in (loaded or {}).items()}
        for name, (_, _, erpc) in (loaded or {}).items():
            if erpc is not None:
                self.erpc_counters.setdefault(name, erpc)
        for provider, table in self.tables.items():
            self._restore(provider, table)

    def _restore(self, provider: str, table: pricing.Pricing) -> None:
        saved = self._restored.pop(provider, None)
        if saved is None:
            return
        _, end = pricing.period(self.clock(), table.period_start_day)
        if saved[0] == end:  # the same billing period
            self.period_credits[provider] += saved[1]

    def save(self) -> None:
        if self.state is None:
            return
        self._saved_at = time.monotonic()
        data = {provider: {"period_end": self.periods[provider][1], "credits": self.period_credits[provider]} for provider in sorted(self.periods)}
        for provider, (source, counters) in self.erpc_counters.items():
            if provider in data:
                data[provider]["erpc"] = {"source": source, "upstreams": dict(sorted(counters.items()))}
        try:
            self.state.save({"version": 1, "providers": data})
        except OSError as exc:
            log.warning("provider credits state file not written", extra={"path": str(self.state.path), "detail": (exc.strerror or str(exc))[:200]})

    def configure(self, tables: dict[str, pricing.Pricing]) -> None:
        """The providers of the loaded config; the counts of the others stay (counters never go back)."""
        self.tables = dict(tables)
        for name, table in tables.items():
            self._restore(name, table)

    def count(self, provider: str, body: Any, endpoint: str = "") -> None:
        """Count one answered request of ``body`` (a JSON-RPC object or batch; anything else is REST)."""
        table = self.tables.get(provider)
        if table is None:
            return
        if isinstance(body, dict):
            methods = [body.get("method")]
        elif isinstance(body, list):
            methods = [item.get("method") if isinstance(item, dict) else None for item in body]
        else:
            methods = [pricing.REST]
        self._roll(provider, table)
        spent = 0.0
        seen = {m for (p, m) in self.requests if p == provider}
        for method in methods:
            method = method if isinstance(method, str) and method else pricing.REST
            if method not in seen and len(seen) >= MAX_METHODS:
                method = OTHER
            seen.add(method)
            self.requests[(provider, method)] += 1
            self.credits[(provider, method)] += table.cost(method)
            self.by_endpoint[(endpoint, method)] += table.cost(method)
            spent += table.cost(method)
        self.period_credits[provider] += spent
        if self.state is not None and time.monotonic() - self._saved_at >= SAVE_EVERY_SECONDS:
            self.save()

    def totals(self) -> dict:
        """This meter's running counts, for a parent process to :meth:`merge` (``serve --workers N``)."""
        return {
            "boot": self.boot,
            "requests": [[p, m, n] for (p, m), n in sorted(self.requests.items())],
            "credits": [[p, m, c] for (p, m), c in sorted(self.credits.items())],
        }

    def merge(self, source: str, totals: dict) -> None:
        """Add the growth of another process's :meth:`totals` since its last ones: the worker's
        requests and credits are then exported here, once. Totals of a new boot (a restarted
        worker) are growth from 0. Raises ValueError on a malformed ``totals``."""
        boot = str(totals.get("boot"))
        seen_boot, last = self._merged.get(source, (boot, {}))
        if seen_boot != boot:
            last = {}
        now: dict[tuple[str, str, str], float] = {}
        for kind in ("requests", "credits"):
            for provider, method, value in totals.get(kind, []):
                if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                    raise ValueError(f"{kind}: not a count: {value!r}")
                key = (kind, str(provider), str(method))
                now[key] = float(value)
                grown = value - last.get(key, 0.0)
                if grown <= 0:
                    continue
                table = self.tables.get(key[1])
                if table is None:
                    continue
                if kind == "requests":
                    self.requests[(key[1], key[2])] += int(grown)
                else:
                    self._roll(key[1], table)
                    self.credits[(key[1], key[2])] += grown
                    self.period_credits[key[1]] += grown
        self._merged[source] = (boot, now)

    def report(self, provider: str, credits: float, valid_for: float) -> None:
        """The provider's own count of the current period (its usage API), trusted for ``valid_for`` seconds."""
        self.reported[provider] = (float(credits), self.clock() + valid_for)
        self.usage_ok[provider] = True

    def report_failure(self, provider: str) -> None:
        self.usage_ok[provider] = False

    def add_erpc(self, provider: str, credits: float, source: str = "", counters: dict[str, float] | None = None) -> None:
        """Credits eRPC spent at ``provider`` since its last read (exporters/erpc.py): they add to
        the period's count, not to ``chainwatch_provider_credits_total`` (chainwatch's own requests).
        ``counters`` (eRPC's counter per upstream as read, from the eRPC of ``source``) are kept
        and saved with the period's count, so that the next start or reload counts eRPC's growth
        since then (:meth:`erpc_baseline`)."""
        table = self.tables.get(provider)
        self.erpc_ok[provider] = True
        if table is None:
            return
        self._roll(provider, table)
        self.period_credits[provider] += credits
        changed = counters is not None and self.erpc_counters.get(provider) != (source, counters)
        if counters is not None:
            self.erpc_counters[provider] = (source, dict(counters))
        if (credits or changed) and self.state is not None and time.monotonic() - self._saved_at >= SAVE_EVERY_SECONDS:
            self.save()

    def erpc_baseline(self, provider: str, source: str) -> dict[str, float] | None:
        """eRPC's counters per upstream as last read for ``provider`` (by this process before a
        reload, or saved before a restart), or None: none, or read from another eRPC (``source``,
        a digest of its URL, vendor and project), whose counters say nothing of this one's."""
        seen = self.erpc_counters.get(provider)
        if seen is None:
            return None
        if seen[0] != source:
            log.info("saved eRPC counters are of another eRPC source; the first read is the baseline", extra={"provider": provider})
            return None
        return dict(seen[1])

    def erpc_failure(self, provider: str) -> None:
        self.erpc_ok[provider] = False

    def _period_credits(self, provider: str) -> float:
        reported = self.reported.get(provider)
        if reported is not None and self.clock() < reported[1]:
            return reported[0]
        return self.period_credits[provider]

    def _roll(self, provider: str, table: pricing.Pricing) -> None:
        now = self.clock()
        bounds = self.periods.get(provider)
        if bounds is None or not (bounds[0] <= now < bounds[1]):
            self.periods[provider] = pricing.period(now, table.period_start_day)
            if bounds is not None:
                self.period_credits[provider] = 0.0

    def samples(self):
        for (provider, method), n in sorted(self.requests.items()):
            yield "chainwatch_provider_requests_total", {"provider": provider, "method": method}, n
        for (provider, method), n in sorted(self.credits.items()):
            yield "chainwatch_provider_credits_total", {"provider": provider, "method": method}, round(n, 6)
        for provider, table in sorted(self.tables.items()):
            self._roll(provider, table)
            yield "chainwatch_provider_period_credits", {"provider": provider}, round(self._period_credits(provider), 6)
            yield "chainwatch_provider_period_end_timestamp_seconds", {"provider": provider}, self.periods[provider][1]
        for provider, ok in sorted(self.usage_ok.items()):
            yield "chainwatch_provider_usage_read_success", {"provider": provider}, 1 if ok else 0
        for provider, ok in sorted(self.erpc_ok.items()):
            yield "chainwatch_provider_erpc_read_success", {"provider": provider}, 1 if ok else 0


def _count(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


def _read_state(data: dict) -> dict[str, tuple[float, float, tuple[str, dict[str, float]] | None]]:
    """``{"version": 1, "providers": {name: {"period_end": unix time, "credits": n, "erpc":
    {"source": id, "upstreams": {upstream: counter}}}}}`` (``erpc`` optional), every field checked."""
    if data.get("version") != 1:
        raise ValueError(f"version: expected 1, got {str(data.get('version'))[:20]!r}")
    out = {}
    for name, entry in mapping(data.get("providers"), "providers").items():
        entry = mapping(entry, f"providers.{name}")
        end, credits = entry.get("period_end"), entry.get("credits")
        if not (_count(end) and _count(credits)):
            raise ValueError(f"providers.{name}: period_end and credits must be non-negative numbers")
        erpc = None
        if "erpc" in entry:
            saved = mapping(entry["erpc"], f"providers.{name}.erpc")
            upstreams = mapping(saved.get("upstreams"), f"providers.{name}.erpc.upstreams")
            if not isinstance(saved.get("source"), str) or not all(_count(v) for v in upstreams.values()):
                raise ValueError(f"providers.{name}.erpc: source must be a string and upstreams' counters non-negative numbers")
            erpc = (saved["source"], {str(k): float(v) for k, v in upstreams.items()})
        out[str(name)] = (float(end), float(credits), erpc)
    return out
