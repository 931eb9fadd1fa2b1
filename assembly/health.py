"""What "ok", "degraded" and "down" mean for a chain, in one PromQL expression shared by the
executive dashboard's "Chain status" and the public status page (chainwatch.status).

``chain_status_expr(selector)``: per ``chain``, 2 ok, 1 degraded, 0 down. Down: no node or
provider endpoint of the chain answers; degraded: some fail, or a critical alert fires for the
chain; ok: every endpoint answers and nothing critical fires. No series: no measurement.
"""

from __future__ import annotations

from chainwatch.assembly.names import RECORDING

OK, DEGRADED, DOWN = 2, 1, 0
PROBE_AVG = "chain:chainwatch_probe_success:avg"
assert PROBE_AVG in RECORDING  # renamed there: rename here


def chain_status_expr(selector: str) -> str:
    """``selector``: matchers without braces (``chain=~"$chain"``)."""
    b = f"min by (chain) ({PROBE_AVG}{{{selector}}})"
    f = f'max by (chain) (ALERTS{{alertstate="firing", severity="critical", {selector}}})'
    return f"({b} > bool 0) + ({b} == bool 1) * (1 - ({f} or {b} * 0))"
