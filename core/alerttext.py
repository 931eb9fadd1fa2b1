"""Alert annotation texts, written once and turned into both what Prometheus expands and
what a promtool unit test expects.

Annotation texts are written as ``{label}`` / ``{value:%.1f}`` / ``{value:pct}`` /
``{value:humanize}`` / ``{failure_reason}`` / ``{reported_chain_id}`` (queried, see
:data:`QUERIES`) placeholders: :func:`go_template` makes the Go template Prometheus expands
(https://prometheus.io/docs/prometheus/latest/configuration/template_reference/),
:func:`render` the exact string the promtool test expects for given labels and value. They
cannot drift apart.
"""

from __future__ import annotations

import re

_PLACEHOLDER = re.compile(r"\{(\w+)(?::([^}]+))?\}")


# Placeholders answered by a query of the endpoint's other series when the alert fires:
# name -> (PromQL with the endpoint's chain and name as %q, what to print of each result).
QUERIES = {
    "failure_reason": ("chainwatch_probe_failure_reason{chain=%q,endpoint=%q} == 1", "{{ .Labels.reason }}"),
    "reported_chain_id": ("chainwatch_chain_id{chain=%q,endpoint=%q}", '{{ .Value | printf "%.0f" }}'),
}


def _query(name: str) -> str:
    q, show = QUERIES[name]
    return '{{ range query (printf "' + q.replace('"', '\\"') + '" $labels.chain $labels.endpoint) }}' + show + "{{ end }}"


def go_template(text: str) -> str:
    def repl(m: re.Match) -> str:
        name, spec = m.group(1), m.group(2)
        if name == "value":
            if spec == "pct":
                return "{{ $value | humanizePercentage }}"
            if spec == "humanize":
                return "{{ $value | humanize }}"
            return '{{ printf "' + (spec or "%.0f") + '" $value }}'
        if name in QUERIES:
            return _query(name)
        return "{{ $labels." + name + " }}"

    return _PLACEHOLDER.sub(repl, text)


def humanize(value: float) -> str:
    """Prometheus' template function ``humanize`` (2.42): SI prefixes, 4 significant digits."""
    v = float(value)
    if v == 0 or v != v or v in (float("inf"), float("-inf")):
        return _go_g4(v)
    prefix = ""
    if abs(v) >= 1:
        for p in ("k", "M", "G", "T", "P", "E", "Z", "Y"):
            if abs(v) < 1000:
                break
            prefix, v = p, v / 1000
    else:
        for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
            if abs(v) >= 1:
                break
            prefix, v = p, v * 1000
    return _go_g4(v) + prefix


def _go_g4(v: float) -> str:
    """Go's ``%.4g``: as Python's, but NaN/+Inf/-Inf spelled Go's way and a 2-digit exponent minimum."""
    if v != v:
        return "NaN"
    if v in (float("inf"), float("-inf")):
        return "+Inf" if v > 0 else "-Inf"
    return "%.4g" % v


def render(text: str, labels: dict[str, str], value: float | None, queried: dict[str, str] | None = None) -> str:
    def repl(m: re.Match) -> str:
        name, spec = m.group(1), m.group(2)
        if name == "value":
            if spec == "pct":
                return "%.4g%%" % (value * 100)
            if spec == "humanize":
                return humanize(value)
            return (spec or "%.0f") % value
        if name in QUERIES:
            return (queried or {}).get(name, "")
        return labels[name]

    return _PLACEHOLDER.sub(repl, text)
