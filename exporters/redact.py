"""Scrub secrets from anything we print.

Provider URLs carry API keys in their path or query, and headers carry bearer tokens.
Every message that might quote a URL, a header or an exception from the HTTP stack goes
through :func:`scrub` with the endpoint's secrets before it reaches a log, an HTTP error
body or the ``check`` table.

Servers quote requests back (``invalid api key in /v3/<key>``), and a detail that quotes a
server is cut to a few dozen characters. Cutting first and scrubbing later leaves half a
key, which no longer matches: so the secrets of the endpoint being probed are kept in a
context variable (:func:`use`, set by the scheduler for each probe and by the transport for
each request) and :func:`clip` scrubs *then* cuts. :class:`~.failures.ProbeFailure`
scrubs its detail with them too.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar

MASK = "<redacted>"

_ACTIVE: ContextVar[tuple[str, ...]] = ContextVar("redact_active_secrets", default=())


def scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted(set(secrets), key=len, reverse=True):
        if secret:
            text = text.replace(secret, MASK)
    return text


def use(secrets: Iterable[str]) -> None:
    """Make ``secrets`` the ones :func:`clip` and ProbeFailure scrub in this task (and its children)."""
    _ACTIVE.set(tuple(s for s in secrets if s))


def use_exact(secrets: tuple[str, ...]) -> None:
    """:func:`use` for a tuple already without empty strings (kept per endpoint, set per request)."""
    _ACTIVE.set(secrets)


def active() -> tuple[str, ...]:
    return _ACTIVE.get()


def clip(value: object, limit: int, secrets: tuple[str, ...] | None = None) -> str:
    """``str(value)`` scrubbed of ``secrets`` (default: the active ones), then cut to ``limit`` characters."""
    secrets = _ACTIVE.get() if secrets is None else secrets
    longest = max((len(s) for s in secrets), default=0)
    text = str(value)[: limit + longest + 1]  # enough to see a whole secret that starts before the cut
    return scrub(text, secrets)[:limit]
