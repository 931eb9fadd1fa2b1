"""The one way tests wait: poll a condition against a deadline, never sleep a fixed time.

    value = wait_until(lambda: exporter.value("chainwatch_peers") == 50, 10, "peers reported")
    hold(lambda: capture.pages() == [], 3, "no duplicate page")   # must stay true the whole window
    await async_wait_until(lambda: ..., 8, "...")                 # the same inside an event loop

``wait_until`` returns as soon as ``check()`` gives something truthy and fails with
``what``, the timeout and the last value or exception seen (``describe(last)`` when given)
once the deadline has passed. ``hold`` is for negative contracts ("nothing pages within
three group intervals"): it fails at the first moment the condition breaks instead of
sleeping the window out and looking once at the end.

Timeouts are contracts, not guesses: pass the user-visible budget (a rule's ``for:`` plus
scrape and group intervals, a Prometheus scrape timeout) plus the margin a loaded 2-core CI
machine needs, and say which in a comment at the call site. ``CHAINWATCH_TEST_TIME_SCALE``
(default 1) multiplies every deadline, for a machine slower than CI.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

SCALE = float(os.environ.get("CHAINWATCH_TEST_TIME_SCALE", "1") or 1)


class StopWaiting(Exception):
    """Raised by a check to fail the wait at once (the process under test died)."""


def _message(what: str, timeout: float, last: Any, error: BaseException | None, describe: Callable[[Any], str] | None) -> str:
    if error is not None:
        seen = f"last error: {type(error).__name__}: {error}"
    else:
        seen = f"last value: {describe(last) if describe else repr(last)[:2000]}"
    return f"{what}: not within {timeout:g}s ({seen})"


def wait_until(
    check: Callable[[], Any],
    timeout: float,
    what: str = "condition",
    *,
    interval: float = 0.1,
    describe: Callable[[Any], str] | None = None,
    errors: tuple[type[BaseException], ...] = (Exception,),
) -> Any:
    """Call ``check()`` every ``interval`` s until it returns something truthy; return that.

    Exceptions of the types in ``errors`` count as "not yet" (a server still starting);
    :class:`StopWaiting` and anything else propagate at once.
    """
    timeout *= SCALE
    deadline = time.monotonic() + timeout
    last, error = None, None
    while True:
        try:
            last, error = check(), None
            if last:
                return last
        except StopWaiting:
            raise
        except errors as exc:  # noqa: PERF203 - keep polling, report the last failure
            error = exc
        if time.monotonic() >= deadline:
            raise AssertionError(_message(what, timeout, last, error, describe)) from error
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())) or 0.01)


def hold(check: Callable[[], Any], seconds: float, what: str = "condition", *, interval: float = 0.1, describe: Callable[[Any], str] | None = None) -> None:
    """``check()`` must stay truthy for ``seconds``; fail at the first falsy answer."""
    started = time.monotonic()
    deadline = started + seconds * SCALE
    while True:
        value = check()
        if not value:
            raise AssertionError(
                f"{what}: broken after {time.monotonic() - started:.1f}s of {seconds * SCALE:g}s ({describe(value) if describe else repr(value)[:2000]})"
            )
        if time.monotonic() >= deadline:
            return
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())) or 0.01)


async def _call(check: Callable[[], Any | Awaitable[Any]]) -> Any:
    value = check()
    if inspect.isawaitable(value):
        value = await value
    return value


async def async_wait_until(
    check: Callable[[], Any | Awaitable[Any]],
    timeout: float,
    what: str = "condition",
    *,
    interval: float = 0.1,
    describe: Callable[[Any], str] | None = None,
    errors: tuple[type[BaseException], ...] = (Exception,),
) -> Any:
    """:func:`wait_until` for a running event loop; ``check`` may be a coroutine function."""
    timeout *= SCALE
    deadline = time.monotonic() + timeout
    last, error = None, None
    while True:
        try:
            last, error = await _call(check), None
            if last:
                return last
        except StopWaiting:
            raise
        except errors as exc:  # noqa: PERF203
            error = exc
        if time.monotonic() >= deadline:
            raise AssertionError(_message(what, timeout, last, error, describe)) from error
        await asyncio.sleep(min(interval, max(0.0, deadline - time.monotonic())) or 0.01)


async def async_hold(
    check: Callable[[], Any | Awaitable[Any]], seconds: float, what: str = "condition", *, interval: float = 0.1, describe: Callable[[Any], str] | None = None
) -> None:
    """:func:`hold` for a running event loop."""
    started = time.monotonic()
    deadline = started + seconds * SCALE
    while True:
        value = await _call(check)
        if not value:
            raise AssertionError(
                f"{what}: broken after {time.monotonic() - started:.1f}s of {seconds * SCALE:g}s ({describe(value) if describe else repr(value)[:2000]})"
            )
        if time.monotonic() >= deadline:
            return
        await asyncio.sleep(min(interval, max(0.0, deadline - time.monotonic())) or 0.01)
