"""What every REST chain kind shares: which answers of an optional route mean "not supported".

A client or a proxy in front of it that lacks an optional route answers 404 (no such route),
405 (method not allowed: a GET-only proxy) or 501 (not implemented). None of these is a
failure of the node: the route's metrics are left absent ("we don't know"). Everything
else an optional route answers is either data or, when unreadable, a dropped value
(``ProbeResult.optional``); only the routes a probe cannot do without fail it.
"""

from __future__ import annotations

NOT_SUPPORTED = (404, 405, 501)


def supported(status: int) -> bool:
    return status not in NOT_SUPPORTED
