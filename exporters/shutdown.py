"""Bounded shutdown: on SIGTERM every scrape in flight is answered within the drain time.

A scrape waits for its probes until the deadline the scraper chose
(``X-Prometheus-Scrape-Timeout-Seconds``, up to 300 s), so a SIGTERM used to wait for the
slowest of them, bounded only by aiohttp's 60 s: longer than Kubernetes' default 30 s
grace period, after which the pod is SIGKILLed and the scrape gets no answer at all.

With ``--web.shutdown-timeout T`` (default :data:`DEFAULT_SECONDS`): the listener stops
accepting at once; scrapes in flight go on; at ``T - margin`` (:func:`margin`: a fifth of
``T``, at most 1 s) every probe still running is cancelled and reported in its scrape as
``chainwatch_probe_success 0`` with failure reason ``timeout``, and a probe that would
start after that point is reported so without a request; the answers are written in the
margin; at ``T`` aiohttp cancels whatever handler is left, and the process exits.

With ``--workers N`` the workers' probes are not cut: a scrape still waiting for a worker
at ``T`` is cancelled without an answer, and the workers get 5 s more to stop
(:meth:`chainwatch.exporters.workers.Workers.stop`).
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

log = logging.getLogger("chainwatch.server")

DEFAULT_SECONDS = 10.0  # well under Kubernetes' 30 s terminationGracePeriodSeconds


def margin(timeout: float) -> float:
    """Seconds kept at the end of the drain to render and write the answers."""
    return min(1.0, timeout / 5)


class Drain:
    """``app.on_shutdown`` hook cutting the probes of ``exporter`` short at ``timeout - margin``."""

    def __init__(self, exporter, timeout: float = DEFAULT_SECONDS):
        self.exporter = exporter
        self.timeout = timeout

    async def on_shutdown(self, _app: web.Application) -> None:
        loop = asyncio.get_running_loop()
        cut = loop.time() + max(0.0, self.timeout - margin(self.timeout))
        self.exporter.scheduler.cutoff = cut  # probes starting from now end by the cut
        loop.call_at(cut, self.cut)
        log.info("shutting down: answering scrapes in flight", extra={"drain_seconds": self.timeout})

    def cut(self) -> None:
        cancelled = 0
        for state in self.exporter.scheduler.states.values():
            task = state.inflight
            if task is not None and not task.done():
                task.cancel()  # its scrapes report it as "timeout" (Scheduler._collect)
                cancelled += 1
        if cancelled:
            log.warning("drain time reached: probes in flight reported as timeout", extra={"probes": cancelled})
