"""What a client can make the listener hold, and what it can make it log.

Anyone who reaches the port can send malformed requests: a 1 MB header line, a 65 KB
bogus method, a 1 GB POST. The listener refuses them with 400 (aiohttp's parser, limits
below), and two things must not follow from the refusal:

- **Memory.** aiohttp's parser raises an exception per chunk it cannot parse; its message
  quotes the chunk (up to 256 KB of the client's bytes) and its traceback holds the
  connection's protocol object, which holds the exception in its message queue: a
  reference cycle of ~0.5 MB per chunk, freed only by the cyclic GC. The exporter runs that
  rarely (:func:`chainwatch.exporters.server.tune_gc`: its thresholds count objects, and
  these cycles are few objects holding many bytes), so 200 concurrent 1 MB header lines,
  ten rounds, grew RSS from 57 MB to 2.1 GB (docs/reliability.md). :class:`ListenerLog`
  drops the traceback of the exception it is handed (the first of the connection), and
  :class:`CycleSweep` runs a full collection after every :data:`SWEEP_EVERY` refused
  requests, so the garbage of a flood is bounded by that many requests' chunks. With the
  long-lived heap frozen at start-up a full collection walks only what was allocated since
  (~10 ms with 1,000 endpoints): a flood of 400 refusals a second costs ~4 % of a core in
  collections. What is still alive
  while a refused connection is open — the chunks read and the exceptions quoting them — is
  bounded by the size of a read: :func:`chainwatch.exporters.listen.bind` gives the listener a
  :data:`RECEIVE_BUFFER_BYTES` kernel receive buffer (inherited by every connection), so a
  read returns at most that much instead of 256 KB. 200 concurrent 1 MB header lines: peak
  RSS 411–461 MB with 256 KB reads, 98–112 MB with these.
- **Logs.** aiohttp logs each one at error level with the traceback and the client's bytes
  (up to 64 KB, newlines included). :class:`ListenerLog` writes one line per refused
  request at warning level (debug for a non-HTTP first line: a port scan, TLS spoken to a
  plain-HTTP port), with the client's bytes escaped and cut to :data:`MAX_DETAIL`
  characters, and at most :data:`BURST` lines a minute; the refusals past that are counted
  and reported in the next line (``suppressed=N``).

:func:`handler_args` are aiohttp's ``RequestHandler`` arguments (set on the app as
``handler_args``, so every runner of the app gets them): request line and header sizes
(aiohttp's defaults, stated), fewer headers than aiohttp allows, and no lingering: a body
the handler did not read is never read after the answer (the connection is closed instead).
"""

from __future__ import annotations

import gc
import logging
import time
from typing import Any

from aiohttp.http_exceptions import HttpProcessingError

MAX_DETAIL = 160  # characters of the refusal reason (which quotes the client's bytes)
BURST = 10  # lines a minute; a flood of bad requests is summarised, not written line by line
WINDOW_SECONDS = 60.0
RECEIVE_BUFFER_BYTES = 32 * 1024  # the kernel doubles it; a scrape request is < 1 KB, answers are sent, not received
SWEEP_EVERY = 100  # refused requests between full collections (~0.2 MB of cyclic garbage each with 32 KB receive buffers)


class CycleSweep:
    """A full cyclic collection after every ``every`` refused requests.

    A refusal's garbage is still referenced while its connection is open, so it survives the
    sweep its own refusal triggers and is freed by the next one: at most ``2 * every``
    refusals' garbage waits, whatever the flood's rate.
    """

    def __init__(self, every: int = SWEEP_EVERY):
        self.every = every
        self.pending = 0
        self.sweeps = 0
        self.freed = 0

    def note(self) -> None:
        self.pending += 1
        if self.pending >= self.every:
            self.pending = 0
            self.sweeps += 1
            self.freed += gc.collect()


class ListenerLog:
    """The ``logger`` of aiohttp's request handler: bounded lines, no tracebacks kept.

    aiohttp calls ``debug``, ``warning`` and ``exception`` with ``exc_info=<exception>``.
    A client's malformed request (an :class:`~aiohttp.http_exceptions.HttpProcessingError`)
    logs at warning (debug where aiohttp logs it at debug)::

        level=warning logger=chainwatch.listener msg="request refused" client=127.0.0.1 reason=LineTooLong detail="400, message: Got more than 8190 bytes when reading: b'aaaa..." suppressed=0

    Anything else the handler raised is an exporter bug: error level, one line, the
    exception's type and message cut the same way.
    """

    def __init__(self, logger: logging.Logger | None = None, *, burst: int = BURST, window: float = WINDOW_SECONDS, sweep: CycleSweep | None = None):
        self.logger = logger or logging.getLogger("chainwatch.listener")
        self.sweep = sweep or CycleSweep()
        self.burst = burst
        self.window = window
        self.window_start = -window
        self.written = 0
        self.suppressed = 0

    def debug(self, msg: str, *args: Any, exc_info: Any = None, **_: Any) -> None:
        self._emit(logging.DEBUG, msg, args, exc_info)

    def info(self, msg: str, *args: Any, exc_info: Any = None, **_: Any) -> None:
        self._emit(logging.INFO, msg, args, exc_info)

    def warning(self, msg: str, *args: Any, exc_info: Any = None, **_: Any) -> None:
        self._emit(logging.WARNING, msg, args, exc_info)

    def error(self, msg: str, *args: Any, exc_info: Any = None, **_: Any) -> None:
        self._emit(logging.ERROR, msg, args, exc_info)

    def exception(self, msg: str, *args: Any, exc_info: Any = True, **_: Any) -> None:
        self._emit(logging.ERROR, msg, args, exc_info)

    def _emit(self, level: int, msg: str, args: tuple, exc_info: Any) -> None:
        exc = _exception(exc_info)
        if exc is not None:
            forget_traceback(exc)
            if isinstance(exc, HttpProcessingError):
                self.sweep.note()
        if exc is not None and isinstance(exc, HttpProcessingError):
            level = min(level, logging.WARNING)  # the client's fault, not the exporter's: never an error log
        if not self.logger.isEnabledFor(level) or not self._allowed(level):
            return
        fields: dict[str, Any] = {}
        client = args[0] if args and "%s" in msg and isinstance(args[0], str) else None
        if client is not None:
            fields["client"] = client
            msg = "request refused" if isinstance(exc, HttpProcessingError) else "request failed"
        else:
            msg = one_line(msg % args if args else msg)
        if exc is not None:
            fields["reason"] = type(exc).__name__
            fields["detail"] = one_line(str(exc))
        if level >= logging.WARNING:
            fields["suppressed"], self.suppressed = self.suppressed, 0
        self.logger.log(level, msg, extra=fields)

    def _allowed(self, level: int) -> bool:
        if level < logging.WARNING:
            return True  # debug lines are off in production; when on, the operator asked for all
        now = time.monotonic()
        if now - self.window_start >= self.window:
            self.window_start, self.written = now, 0
        if self.written >= self.burst:
            self.suppressed += 1
            return False
        self.written += 1
        return True


def _exception(exc_info: Any) -> BaseException | None:
    if isinstance(exc_info, BaseException):
        return exc_info
    if isinstance(exc_info, tuple) and len(exc_info) == 3:
        return exc_info[1]
    if exc_info:
        import sys

        return sys.exc_info()[1]
    return None


def forget_traceback(exc: BaseException) -> None:
    """Drop the tracebacks of ``exc`` and of the exceptions chained to it (their frames hold
    the request's bytes and, through the parser's message list, ``exc`` itself)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        exc.__traceback__ = None
        exc = exc.__cause__ or exc.__context__


def one_line(text: str, limit: int = MAX_DETAIL) -> str:
    """``text`` on one line, control and non-ASCII characters escaped, cut to ``limit``."""
    flat = " ".join(text[: limit * 4].split())
    escaped = flat.encode("ascii", "backslashreplace").decode("ascii")
    escaped = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in escaped)
    return escaped if len(escaped) <= limit else escaped[: limit - 3] + "..."


def handler_args() -> dict[str, Any]:
    """aiohttp ``RequestHandler`` arguments for the app's ``handler_args`` (a fresh log each)."""
    return {
        "max_line_size": 8190,  # request line (method, path, version): aiohttp's default, stated
        "max_field_size": 8190,  # one header: the same
        "max_headers": 64,  # Prometheus sends 5; aiohttp allows 128
        "lingering_time": 0,  # never read a body the handler did not: close the connection instead
        "logger": ListenerLog(),
    }
