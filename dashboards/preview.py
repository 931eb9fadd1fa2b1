"""A static HTML sketch of a dashboard's layout: panel titles at their grid positions.

No Grafana runs here, so this is how a human checks a layout before importing it: one
box per panel, placed by its ``gridPos`` on the 24-column grid, showing the title, the
panel type and unit, and the first query.
"""

from __future__ import annotations

import html

COL_PX = 54
ROW_PX = 30

_STYLE = """
body { background:#111217; color:#ccccdc; font:13px/1.3 system-ui, sans-serif; margin:16px; }
h1 { font-size:18px; margin:0 0 4px; } p.about { color:#8e8e9e; margin:0 0 12px; max-width:1280px; }
.grid { position:relative; width:%(width)dpx; }
.panel { position:absolute; box-sizing:border-box; border:1px solid #2c3235; background:#181b1f; border-radius:3px; padding:6px 8px; overflow:hidden; }
.panel .t { font-weight:600; color:#e0e0e8; } .panel .k { color:#6e9fff; font-size:11px; } .panel code { color:#8e8e9e; font-size:10px; word-break:break-all; }
.row { position:absolute; box-sizing:border-box; border-bottom:1px solid #3d4247; font-weight:600; font-size:14px; padding-top:6px; color:#e0e0e8; }
.vars { margin:0 0 10px; } .vars span { background:#22252b; border:1px solid #2c3235; padding:2px 8px; margin-right:6px; border-radius:2px; }
.links { margin:0 0 12px; color:#6e9fff; } .links span { margin-right:14px; }
"""


def _unit(panel: dict) -> str:
    return panel.get("fieldConfig", {}).get("defaults", {}).get("unit") or ""


def render(dashboard: dict) -> str:
    width = 24 * COL_PX
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(dashboard['title'])} — layout preview</title>",
        f"<style>{_STYLE % {'width': width}}</style></head><body>",
        f"<h1>{html.escape(dashboard['title'])} <small style='color:#8e8e9e'>uid {html.escape(dashboard['uid'])}</small></h1>",
        f"<p class='about'>{html.escape(dashboard['description'])}</p>",
        "<div class='vars'>" + "".join(f"<span>{html.escape(v.get('label') or v['name'])}</span>" for v in dashboard["templating"]["list"]) + "</div>",
        "<div class='links'>" + "".join(f"<span>&#8599; {html.escape(link['title'])}</span>" for link in dashboard["links"]) + "</div>",
    ]
    bottom = max((p["gridPos"]["y"] + p["gridPos"]["h"] for p in dashboard["panels"]), default=0)
    parts.append(f"<div class='grid' style='height:{bottom * ROW_PX}px'>")
    for p in dashboard["panels"]:
        gp = p["gridPos"]
        box = f"left:{gp['x'] * COL_PX}px; top:{gp['y'] * ROW_PX}px; width:{gp['w'] * COL_PX - 4}px; height:{gp['h'] * ROW_PX - 4}px"
        if p["type"] == "row":
            parts.append(f"<div class='row' style='{box}'>{html.escape(p['title'])}</div>")
            continue
        expr = p["targets"][0]["expr"] if p.get("targets") else ""
        parts.append(
            f"<div class='panel' style='{box}'><div class='t'>{html.escape(p['title'])}</div>"
            f"<div class='k'>{html.escape(p['type'])} · {html.escape(_unit(p))}</div><code>{html.escape(expr[:160])}</code></div>"
        )
    parts.append("</div></body></html>\n")
    return "\n".join(parts)
