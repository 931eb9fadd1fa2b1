"""Scrub secrets from anything we print.

Provider URLs carry API keys in their path or query, and headers carry bearer tokens.
Every message that might quote a URL, a header or an exception from the HTTP stack goes
through :func:`scrub` with the endpoint's secrets before it reaches a log, an HTTP error
body or the ``check`` table.
"""

from __future__ import annotations

from collections.abc import Iterable

MASK = "<redacted>"


def scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted(set(secrets), key=len, reverse=True):
        if secret:
            text = text.replace(secret, MASK)
    return text
