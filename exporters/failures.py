"""The bounded set of reasons a probe can fail, and the exception that carries one.

``reason`` becomes a label value, so it must come from ``catalog.FAILURE_REASONS``;
``detail`` is for logs and ``check`` output only, is already scrubbed of secrets and
capped in length, because it may quote a server's answer.
"""

from __future__ import annotations

from chainwatch.core.declarations import FAILURE_REASONS
from chainwatch.exporters.redact import active, scrub

MAX_DETAIL = 200


class ProbeFailure(Exception):
    def __init__(self, reason: str, detail: str = "", *, retry_after: float | None = None, status: int | None = None, dropped: bool = False):
        if reason not in FAILURE_REASONS:
            raise ValueError(f"unknown failure reason {reason!r}")
        detail = " ".join(scrub(str(detail), active()).split())
        if len(detail) > MAX_DETAIL:
            detail = detail[: MAX_DETAIL - 3] + "..."
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.retry_after = retry_after
        self.status = status  # the HTTP status, for http_status failures
        self.dropped = dropped  # the server closed a connection it had accepted (not "could not connect")


def invalid(detail: str) -> ProbeFailure:
    return ProbeFailure("invalid_response", detail)
