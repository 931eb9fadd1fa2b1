"""The status page as one HTML document: no script, no external resource, readable by a
screen reader (landmarks, a heading per chain, a table with header cells per SLO, the state as
text next to its colour, never colour alone; an incident's kind, the network's (upstream) or
ours, in words above its heading and in its own style) and refreshed by the browser every 30 s
(``<meta http-equiv="refresh">``). Everything shown is escaped and comes from the config or
fixed phrases (:mod:`chainwatch.status.model`).
"""

from __future__ import annotations

from html import escape

from chainwatch.status.model import DEGRADED, MAJOR, OPERATIONAL, PARTIAL, WORDS, Page

COLOURS = {OPERATIONAL: "#1a7f37", DEGRADED: "#9a6700", PARTIAL: "#bc4c00", MAJOR: "#cf222e"}
SYMBOLS = {OPERATIONAL: "✓", DEGRADED: "!", PARTIAL: "!", MAJOR: "✕"}
REFRESH_SECONDS = 30
# An incident's kind is said in words (screen readers, no colour needed) and shown apart.
KINDS = {"upstream": "Upstream network incident (not our infrastructure)", "own": "Our service"}
CLASSES = {"upstream": "network", "own": "own"}

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f6f8fa;color:#1f2328}
main{max-width:52rem;margin:0 auto;padding:1.5rem}
h1{font-size:1.6rem;margin:0 0 1rem}
.banner{padding:1rem 1.2rem;border-radius:.4rem;color:#fff;font-size:1.2rem;font-weight:600;margin-bottom:1.5rem}
section{background:#fff;border:1px solid #d0d7de;border-radius:.4rem;margin-bottom:1rem;padding:.8rem 1.2rem}
h2{font-size:1.15rem;margin:.2rem 0 .6rem;display:flex;justify-content:space-between;gap:1rem}
table{width:100%;border-collapse:collapse}
th,td{text-align:left;padding:.35rem 0;border-top:1px solid #eaeef2}
th{font-weight:normal}
.state{font-weight:600}
.upstream{background:#fff8c5;border-left:4px solid #9a6700;padding:.5rem .8rem;margin:.4rem 0}
.incident{padding:.5rem .8rem;margin:.6rem 0;border-radius:.3rem}
.incident h3{font-size:1rem;margin:.2rem 0}
.incident p{margin:.3rem 0}
.own{background:#ffebe9;border-left:4px solid #cf222e}
.network{background:#fff8c5;border-left:4px dashed #9a6700}
.kind{font-size:.8rem;font-weight:600;text-transform:uppercase;letter-spacing:.04em}
footer{color:#59636e;font-size:.85rem;margin-top:1.5rem}
"""


def _state(status: str) -> str:
    return (
        f'<span class="state" data-status="{status}" style="color:{COLOURS[status]}"><span aria-hidden="true">{SYMBOLS[status]} </span>{WORDS[status]}</span>'
    )


def _time(at) -> str:
    return f'<time datetime="{at.isoformat(timespec="seconds").replace("+00:00", "Z")}">{at:%Y-%m-%d %H:%M} UTC</time>'


def render(page: Page) -> str:
    worst = page.worst
    indicator = page.indicator()
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">',
        f"<title>{escape(page.title)}: {escape(indicator['description'])}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{escape(page.title)}</h1>",
        f'<p class="banner" role="status" data-indicator="{indicator["indicator"]}" style="background:{COLOURS[worst]}">{escape(indicator["description"])}</p>',
    ]
    if page.incidents:
        parts.append('<section aria-labelledby="incidents"><h2 id="incidents">Current incidents</h2>')
        for incident in page.incidents:
            kind = "upstream" if incident.upstream else "own"
            since = incident.started or page.at
            parts.append(
                f'<article class="incident {CLASSES[kind]}" data-incident="{kind}" aria-labelledby="incident-{incident.id}">'
                f'<p class="kind">{KINDS[kind]}</p>'
                f'<h3 id="incident-{incident.id}">{escape(incident.name)}</h3>'
                f"<p>Since {_time(since)}</p>"
                f"<p>{escape(incident.body)}</p></article>"
            )
        parts.append("</section>")
    for chain in page.components:
        heading = f"chain-{chain.id}"
        parts.append(f'<section aria-labelledby="{heading}" data-component="{chain.id}">')
        parts.append(f'<h2 id="{heading}"><span>{escape(chain.name)}</span>{_state(chain.status)}</h2>')
        if chain.upstream:
            parts.append('<p class="upstream">The network itself is not advancing: an upstream incident, not ours.</p>')
        if not chain.measured:
            parts.append("<p>No measurement right now.</p>")
        parts.append(
            f'<table><caption class="visually-hidden" style="position:absolute;left:-9999px">Service level objectives and network of {escape(chain.name)}</caption><tbody>'
        )
        for slo in chain.children:
            label = slo.name.split(": ", 1)[-1]
            parts.append(f'<tr data-component="{slo.id}"><th scope="row">{escape(label)}</th><td>{_state(slo.status)}</td></tr>')
        parts.append("</tbody></table></section>")
    if page.past:
        parts.append('<section aria-labelledby="past"><h2 id="past">Past incidents</h2><ul style="list-style:none;padding:0">')
        for incident in page.past:
            kind = "upstream" if incident.upstream else "own"
            parts.append(
                f'<li class="incident {CLASSES[kind]}" data-past="{kind}"><span class="kind">{KINDS[kind]}:</span> '
                f"<strong>{escape(incident.name)}</strong>, {_time(incident.started)} to {_time(incident.resolved)} (resolved)</li>"
            )
        parts.append("</ul></section>")
    stamp = page.at.strftime("%Y-%m-%d %H:%M:%S UTC")
    parts += [
        f'<footer><p>Updated {stamp}; this page refreshes every {REFRESH_SECONDS} seconds. Machine-readable: <a href="api/v2/summary.json">summary.json</a>, <a href="api/v2/components.json">components.json</a>.</p></footer>',
        "</main>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


__all__ = ["render", "DEGRADED", "PARTIAL", "MAJOR", "OPERATIONAL"]
