"""What every background validator monitor shares (beacon, solana, cosmos, avalanche, aptos), so a kind's
``monitor.py`` holds its chain's logic only.

:class:`ValidatorMonitor` gives:

- the lifecycle the exporter drives (``start``/``stop``, :mod:`chainwatch.exporters.monitors`)
  and the round loop: ``delay = await self.step()``, again after ``delay`` seconds; a failed
  round is counted (``chainwatch_validator_monitor_failures_total``), warned about at most once a
  minute, retried after :meth:`retry_delay` (or the server's ``Retry-After``);
- freshness: ``chainwatch_validator_monitor_last_success_timestamp_seconds`` is the exporter's
  start until the first success, then the last round that *made progress* (:meth:`succeeded`:
  counted something, or was at the chain's head with nothing left to count), so
  ``ChainwatchValidatorMonitorStuck`` fires when nothing is being counted;
- the position check (:meth:`check_position`, issue #35): a saved position ahead of the chain
  (a node restored from an older snapshot, a devnet reset, the host clock stepped back) makes
  the round count nothing and fail, with one warning; if the chain has not reached the saved
  position after :data:`RESYNC_AFTER_ROUNDS` rounds the monitor restarts from the chain's
  head, its counters kept, and counts ``chainwatch_validator_monitor_resyncs_total{reason="ahead_of_chain"}``.
  A position older than the node keeps is skipped to what it keeps
  (``reason="behind_retention"``), see each kind's monitor. The rule as operators read it: docs/cosmos.md and docs/beacon.md.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import Counter

from chainwatch.core.declarations import RESYNC_REASONS
from chainwatch.exporters.tasks import cancel
from chainwatch.exporters.redact import scrub

WARN_EVERY_SECONDS = 60.0
# Rounds a saved position may stay ahead of the chain before the monitor restarts from the
# chain's head: a load-balanced node a block behind its twin is not a reset chain.
RESYNC_AFTER_ROUNDS = 3


class ValidatorMonitor:
    """Subclasses set ``what`` (the name in log lines), implement :meth:`step` and
    :meth:`samples`, and call :meth:`succeeded` when a round made progress."""

    what = "validator monitor"

    def __init__(self, chain_name: str, chain, log: logging.Logger):
        self.chain_name = chain_name
        self.chain = chain
        self.log = log
        # "Last succeeded" starts at the exporter's start, so a monitor that never succeeds is as
        # visible (and alerted on) as one that stopped succeeding.
        self.started = time.time()
        self.last_success: float | None = None
        self.failures = 0
        self.resyncs: Counter[str] = Counter()
        self.dropped: Counter[str] = Counter()
        self._ahead_rounds = 0
        self._task: asyncio.Task | None = None
        self._stopping = asyncio.Event()
        self._last_warning = -math.inf
        self._last_drop_warning = -math.inf

    # ------------------------------------------------------------------ what a kind fills in

    async def step(self) -> float:
        """Do one round (whatever is due); return seconds until the next."""
        raise NotImplementedError

    def retry_delay(self, exc: Exception) -> float:
        """Seconds until the round after a failed one."""
        return 5.0

    def scrub(self, text: str) -> str:
        """``text`` without the endpoints' secrets (URLs, keys)."""
        return text

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.get_running_loop().create_task(self._loop(), name=f"validators-{self.chain_name}")

    async def stop(self) -> None:
        self._stopping.set()
        task, self._task = self._task, None
        await cancel(task)

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                delay = await self.step()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a bug or a bad answer must not kill the monitor
                if not getattr(exc, "counted", False):  # a kind may count its own failed rounds
                    self.failures += 1
                self.warn(self.describe(exc))
                delay = self.retry_delay(exc)
                if getattr(exc, "retry_after", None):  # rate limited: the server's back-off hint, like a probe
                    delay = max(delay, exc.retry_after)
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=max(0.05, delay))
            except TimeoutError:
                pass

    def describe(self, exc: Exception) -> str:
        from_probe = hasattr(exc, "reason") and hasattr(exc, "detail")
        text = str(exc) if from_probe or type(exc).__name__ == "AllEndpointsFailed" else f"{type(exc).__name__}: {exc}"
        return self.scrub(text)[:300]

    def warn(self, detail: str) -> None:
        """``<what> round failed; retrying``, at most once a minute (a failing node must not flood the log)."""
        now = time.monotonic()
        if now - self._last_warning >= WARN_EVERY_SECONDS:
            self._last_warning = now
            self.log.warning(f"{self.what} round failed; retrying", extra={"chain": self.chain_name, "detail": self.scrub(detail)[:300]})

    def drop(self, field_: str, detail: str) -> None:
        """One entry of a list answer left out (bounded ``field`` from the kind's code)."""
        self.dropped[field_] += 1
        now = time.monotonic()
        if now - self._last_drop_warning >= WARN_EVERY_SECONDS:
            self._last_drop_warning = now
            self.log.warning(f"{self.what} left out unreadable entries", extra={"chain": self.chain_name, "field": field_, "detail": self.scrub(detail)[:200]})

    # ------------------------------------------------------------------ progress and position

    def succeeded(self) -> None:
        """The round made progress (or had nothing left to count at the chain's head)."""
        self.last_success = time.time()

    def check_position(self, saved: int, head: int, unit: str) -> str:
        """``"ok"`` when the saved position (the last counted block / epoch) is not ahead of the
        chain's ``head``; else the round counts nothing and fails: ``"wait"`` for the first
        :data:`RESYNC_AFTER_ROUNDS` - 1 rounds (one warning when it starts), then ``"resync"``:
        the caller restarts from the head (and the resync is counted)."""
        if saved <= head:
            self._ahead_rounds = 0
            return "ok"
        self._ahead_rounds += 1
        if self._ahead_rounds == 1:
            self.log.warning(
                f"{self.what} position is ahead of the chain; counting nothing",
                extra={
                    "chain": self.chain_name,
                    "saved": saved,
                    "head": head,
                    "unit": unit,
                    "rule": f"restarting from the chain's head unless it reaches {saved} within {RESYNC_AFTER_ROUNDS} rounds",
                },
            )
        if self._ahead_rounds < RESYNC_AFTER_ROUNDS:
            self.failures += 1  # the resync round is not one: it counts from the head
            return "wait"
        self._ahead_rounds = 0
        self.resynced("ahead_of_chain", saved=saved, head=head, unit=unit)
        return "resync"

    def resynced(self, reason: str, **extra) -> None:
        """Count a resync (``reason`` from :data:`~chainwatch.core.declarations.RESYNC_REASONS`)."""
        if reason not in RESYNC_REASONS:
            raise ValueError(f"unknown resync reason {reason!r}")
        self.resyncs[reason] += 1
        self.log.info(f"{self.what} resynced", extra={"chain": self.chain_name, "reason": reason, **extra})

    # ------------------------------------------------------------------ exposition

    def health_samples(self, base: dict) -> list[tuple[str, dict, float]]:
        """The monitor's own health, every series from the first second."""
        out = [
            ("chainwatch_validator_monitor_last_success_timestamp_seconds", base, round(self.last_success or self.started, 3)),
            ("chainwatch_validator_monitor_failures_total", base, self.failures),
        ]
        out += [("chainwatch_validator_monitor_resyncs_total", {**base, "reason": r}, self.resyncs[r]) for r in RESYNC_REASONS]
        out += [("chainwatch_validator_monitor_dropped_entries_total", {**base, "field": f}, self.dropped[f]) for f in sorted(self.dropped)]
        return out


class FallbackMonitor(ValidatorMonitor):
    """A monitor that reads one endpoint per round: the configured one
    (``validators.endpoint``, else the first reference, else the first node), then its
    ``validators.fallbacks`` in order; ``self.endpoint`` is the one in use. Rounds start every
    ``interval`` seconds (``validators.interval_seconds``), failed or not. A kind implements
    ``cycle()``, which picks the endpoint from ``self.candidates``."""

    def __init__(self, chain_name: str, chain, log: logging.Logger, interval: float | None = None):
        super().__init__(chain_name, chain, log)
        spec = chain.validators
        self.interval = spec.interval_seconds if interval is None else interval
        first = spec.endpoint or (chain.references[0].name if chain.references else chain.nodes[0].name)
        self.candidates = [chain.endpoint(n) for n in dict.fromkeys([first, *spec.fallbacks])]
        self.endpoint = self.candidates[0]
        self._round_started = time.monotonic()

    async def cycle(self) -> None:
        raise NotImplementedError

    async def step(self) -> float:
        self._round_started = time.monotonic()
        await self.cycle()
        return self._rest()

    def retry_delay(self, exc: Exception) -> float:
        return self._rest()

    def _rest(self) -> float:
        """Seconds left of this round's interval."""
        return max(0.0, self.interval - (time.monotonic() - self._round_started))

    def scrub(self, text: str) -> str:
        return scrub(text, [self.endpoint.url, *self.endpoint.secrets])

    def warn(self, detail: str) -> None:
        super().warn(f"{self.endpoint.name}: {detail}")
