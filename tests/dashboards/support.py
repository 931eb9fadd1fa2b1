"""Walk generated dashboards: panels, queries, variables, links — shared by the dashboard tests."""

from __future__ import annotations

import re
from pathlib import Path

from chainwatch.dashboards import generate
from chainwatch.assembly.config import load

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "chainwatch.yaml"
VARIABLE = re.compile(r"\$\{([A-Za-z0-9_.]+)(?::[a-z]+)?\}|\$([A-Za-z_][A-Za-z0-9_]*)|\[\[([A-Za-z0-9_]+)\]\]")
LABEL_VALUES = re.compile(r"^label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\)$")


def example_config():
    return load(EXAMPLE, need_secrets=False)


def dashboards(config=None) -> dict[str, dict]:
    return generate.build_all(config or example_config())


def panels(d: dict) -> list[dict]:
    out = []
    for p in d["panels"]:
        out.append(p)
        out.extend(p.get("panels", []))
    return out


def data_panels(d: dict) -> list[dict]:
    return [p for p in panels(d) if p["type"] != "row"]


def variables(d: dict) -> dict[str, dict]:
    return {v["name"]: v for v in d["templating"]["list"]}


def queries(d: dict) -> list[tuple[str, str]]:
    """(where, PromQL) for every panel target, annotation and query variable."""
    out = [(f"panel {p['title']!r} {t['refId']}", t["expr"]) for p in data_panels(d) for t in p["targets"]]
    out += [(f"annotation {a['name']!r}", a["expr"]) for a in d["annotations"]["list"]]
    for v in d["templating"]["list"]:
        if v["type"] == "query":
            m = LABEL_VALUES.match(v["query"])
            assert m, f"variable {v['name']}: {v['query']!r} is not label_values(selector, label)"
            out.append((f"variable {v['name']!r}", m.group(1)))
    return out


def variable_refs(text: str) -> set[str]:
    return {next(g for g in m.groups() if g) for m in VARIABLE.finditer(text)}


def substitute(expr: str, values: dict[str, str]) -> str:
    """What Grafana sends: variables replaced by their (regex) values, built-ins by durations."""
    builtins = {"__rate_interval": "1m", "__interval": "15s", "__range": "1h"}

    def sub(m: re.Match) -> str:
        name = next(g for g in m.groups() if g)
        return {**builtins, **values}[name]

    return VARIABLE.sub(sub, expr)


def links(d: dict) -> list[tuple[str, str]]:
    """(where, url) for the dashboard links and every panel and field data link."""
    out = [(f"dashboard link {l['title']!r}", l["url"]) for l in d["links"]]
    for p in data_panels(d):
        for l in p.get("links", []) + p["fieldConfig"]["defaults"].get("links", []):
            out.append((f"panel {p['title']!r} link {l['title']!r}", l["url"]))
    return out
