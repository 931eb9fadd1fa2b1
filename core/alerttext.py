"""Alert annotation texts, written once and turned into both what Prometheus expands and
what a promtool unit test expects.

Annotation texts are written as ``{label}`` / ``{value:%.1f}`` / ``{value:pct}`` /
``{value:humanize}`` / ``{value:duration}`` (a value in seconds) / ``{failure_reason}`` / ``{reported_chain_id}`` (queried, see
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
            if spec == "duration":
                return "{{ $value | humanizeDuration }}"
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


def humanize_duration(value: float) -> str:
    """Prometheus' template function ``humanizeDuration`` (2.42) of a value in seconds, the unit
    that reads right: 172.8 -> ``2m 52s``, 15120 -> ``4h 12m 0s``, 1080000 -> ``12d 12h 0m 0s``,
    42.5 -> ``42.5s``, 0.25 -> ``250ms``. Whole seconds from a minute up (truncated, as Go's int64()).
    Chainwatch prints runways and their thresholds with it, in pages and on the terminal alike."""
    v = float(value)
    if v != v or v in (float("inf"), float("-inf")):
        return _go_g4(v)
    if v == 0:
        return _go_g4(v) + "s"
    if abs(v) >= 1:
        sign = "-" if v < 0 else ""
        whole = int(abs(v))
        days, rest = divmod(whole, 86400)
        hours, rest = divmod(rest, 3600)
        minutes, secs = divmod(rest, 60)
        if days:
            return f"{sign}{days}d {hours}h {minutes}m {secs}s"
        if hours:
            return f"{sign}{hours}h {minutes}m {secs}s"
        if minutes:
            return f"{sign}{minutes}m {secs}s"
        return sign + _go_g4(abs(v)) + "s"
    prefix = ""
    for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
        if abs(v) >= 1:
            break
        prefix, v = p, v * 1000
    return _go_g4(v) + prefix + "s"


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
            if spec == "duration":
                return humanize_duration(value)
            return (spec or "%.0f") % value
        if name in QUERIES:
            return (queried or {}).get(name, "")
        return labels[name]

    return _PLACEHOLDER.sub(repl, text)
