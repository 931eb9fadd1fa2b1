"""Our own small layer over grafanalib, so a dashboard file reads like a description.

A dashboard file says *what* a panel shows (title, one sentence for the operator, the
query, its unit and the thresholds that match the alerts) and hands it to a ``Grid``
that places it. Everything Grafana needs besides that — the datasource variable,
field-config plumbing, value mappings, gridPos, ids — is decided here, once.

Modern panels only: ``TimeSeries``, ``Stat``, ``StateTimeline``, ``Table``, ``Heatmap``
under ``RowPanel`` headers with ``GridPos``; never the legacy ``Row``/``Graph``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import attr
from grafanalib import core as g
from grafanalib._gen import DashboardEncoder

from chainwatch.dashboards.importable import importable
from chainwatch.core import generated
from chainwatch.core.alerts import WATCHDOG

# The always-firing watchdog (chain "*") is no alert for a dashboard: every ALERTS count leaves it out.
NOT_WATCHDOG = f'alertname!="{WATCHDOG.name}"'

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
DATASOURCE_NAME = "Prometheus"  # name of the provisioned datasource (provisioning/datasources)
GRID_COLUMNS = 24
GREEN, ORANGE, RED, BLUE, GREY = "green", "orange", "red", "blue", "text"

# Units Grafana knows (field config ``unit``).
SECONDS, NONE, RATIO, PER_SECOND = "s", "none", "percentunit", "reqps"
GWEI, ETH, SOL = "suffix:gwei", "suffix:ETH", "suffix:SOL"  # Grafana custom units: suffix:<text>


# --------------------------------------------------------------------------- queries


def q(expr: str, legend: str = "", *, instant: bool = False, table: bool = False, heatmap: bool = False) -> g.Target:
    """One PromQL query. ``legend`` is a Grafana legend format such as ``{{endpoint}}``."""
    fmt = "table" if table else "heatmap" if heatmap else "time_series"
    return g.Target(expr=expr, legendFormat=legend, instant=instant, format=fmt, datasource=DATASOURCE, intervalFactor=1, step=None)


def sel(**matchers: str) -> str:
    """A label selector body: ``sel(chain="$chain", endpoint=("=~", "$endpoint"))``."""
    parts = []
    for key, value in matchers.items():
        op, val = value if isinstance(value, tuple) else ("=", value)
        parts.append(f'{key}{op}"{val}"')
    return "{" + ", ".join(parts) + "}"


def or_zero(expr: str) -> str:
    """``expr``, or a single 0 when it has no series — for counts that are honestly zero."""
    return f"({expr}) or on() vector(0)"


# --------------------------------------------------------------------------- thresholds and mappings


def steps(base: str, *pairs: tuple[float, str]) -> list[dict]:
    """Grafana threshold steps: base colour, then (value, colour) in ascending value order."""
    out = [{"color": base, "value": None}]
    values = [generated.number(v) for v, _ in pairs]
    if not (values == sorted(values)):
        raise ValueError(f"threshold values must ascend: {values}")
    out += [{"color": colour, "value": value} for value, (_, colour) in zip(values, pairs)]
    return out


def higher_is_worse(warning: float | None, critical: float | None = None) -> list[dict]:
    pairs = []
    if warning is not None:
        pairs.append((warning, ORANGE))
    if critical is not None:
        pairs.append((critical, RED))
    return steps(GREEN, *pairs)


def lower_is_worse(critical: float, warning: float | None = None) -> list[dict]:
    """Red below ``critical``, orange below ``warning``, green from there up."""
    if warning is None:
        return steps(RED, (critical, GREEN))
    return steps(RED, (critical, ORANGE), (warning, GREEN))


NEUTRAL = steps(GREEN)


def value_text(*items: tuple[float, str, str]) -> dict:
    """Value mapping: (value, text, colour) per value."""
    return {"type": "value", "options": {str(generated.number(v)): {"text": text, "color": colour, "index": i} for i, (v, text, colour) in enumerate(items)}}


def nan_text(text: str) -> dict:
    return {"type": "special", "options": {"match": "nan", "result": {"text": text, "color": GREY, "index": 0}}}


UP_DOWN = value_text((0, "down", RED), (1, "up", GREEN))
YES_NO_BAD = value_text((0, "no", GREEN), (1, "yes", RED))


def threshold_override(display_name: str, step_list: list[dict]) -> dict:
    """Per-series thresholds (e.g. each chain's own SLO) inside one panel."""
    return {"matcher": {"id": "byName", "options": display_name}, "properties": [{"id": "thresholds", "value": {"mode": "absolute", "steps": step_list}}]}


def data_link(title: str, url: str) -> dict:
    return {"title": title, "url": url, "targetBlank": False}


# --------------------------------------------------------------------------- panels


def _check(title: str, description: str, targets: tuple) -> None:
    if not (title and description):
        raise ValueError("every panel needs a title and a description")
    if not (targets):
        raise ValueError(f"{title}: a panel without a query shows nothing")


def _refs(targets) -> list[g.Target]:
    """Targets get refIds A, B, C... (Grafana keys results and table columns by them)."""
    return [attr.evolve(t, refId=chr(ord("A") + i)) for i, t in enumerate(targets)]


def timeseries(
    title: str,
    description: str,
    *targets: g.Target,
    unit: str,
    thresholds: list[dict] | None = None,
    stack: bool = False,
    min_zero: bool = True,
    overrides: list | None = None,
    links: list | None = None,
) -> g.TimeSeries:
    _check(title, description, targets)
    return g.TimeSeries(
        title=title,
        description=description,
        dataSource=DATASOURCE,
        targets=_refs(targets),
        unit=unit,
        thresholds=thresholds or NEUTRAL,
        thresholdsStyleMode="line" if thresholds else "off",
        stacking={"mode": "normal", "group": "A"} if stack else {},
        fillOpacity=30 if stack else 10,
        valueMin=0 if min_zero else None,
        legendDisplayMode="table",
        legendPlacement="bottom",
        legendCalcs=["lastNotNull", "max"],
        tooltipMode="multi",
        tooltipSort="desc",
        overrides=overrides or [],
        maxDataPoints=None,
        extraJson={"fieldConfig": {"defaults": {"links": links or []}}},
    )


def stat(
    title: str,
    description: str,
    *targets: g.Target,
    unit: str,
    thresholds: list[dict] | None = None,
    mappings: list | None = None,
    decimals: int | None = None,
    overrides: list | None = None,
    links: list | None = None,
    color_mode: str = "background",
    text_mode: str = "value_and_name",
    graph: bool = False,
    no_value: str = "no data",
) -> g.Stat:
    _check(title, description, targets)
    return g.Stat(
        title=title,
        description=description,
        dataSource=DATASOURCE,
        targets=_refs(targets),
        format=unit,
        thresholds=thresholds or NEUTRAL,
        mappings=mappings or [],
        decimals=decimals,
        overrides=overrides or [],
        colorMode=color_mode,
        textMode=text_mode,
        graphMode="area" if graph else "none",
        reduceCalc="lastNotNull",
        orientation="auto",
        noValue=no_value,
        maxDataPoints=None,
        color={"mode": "thresholds"},
        extraJson={"fieldConfig": {"defaults": {"links": links or []}}},
    )


def state_timeline(title: str, description: str, *targets: g.Target, mappings: list, thresholds: list[dict] | None = None, unit: str = NONE) -> g.StateTimeline:
    _check(title, description, targets)
    return g.StateTimeline(
        title=title,
        description=description,
        dataSource=DATASOURCE,
        targets=_refs(targets),
        mappings=mappings,
        thresholds=thresholds or NEUTRAL,
        showValue="never",
        rowHeight=0.8,
        maxDataPoints=None,
        extraJson={"fieldConfig": {"defaults": {"unit": unit}}},
    )


def table(
    title: str,
    description: str,
    *targets: g.Target,
    unit: str,
    thresholds: list[dict] | None = None,
    mappings: list | None = None,
    overrides: list | None = None,
    hide: tuple[str, ...] = ("Time",),
) -> g.Table:
    """Instant queries merged into one row per series (label columns + one value column per query)."""
    _check(title, description, targets)
    return g.Table(
        title=title,
        description=description,
        dataSource=DATASOURCE,
        targets=_refs(targets),
        unit=unit,
        thresholds=thresholds or NEUTRAL,
        mappings=mappings or [],
        overrides=overrides or [],
        displayMode="color-text",
        transformations=[{"id": "merge", "options": {}}, {"id": "organize", "options": {"excludeByName": {h: True for h in hide}}}],
        maxDataPoints=None,
        extraJson={"fieldConfig": {"defaults": {"mappings": mappings or []}}},
    )


def heatmap(title: str, description: str, target: g.Target, *, unit: str) -> g.Heatmap:
    """Latency distribution from histogram buckets (``sum by (le) (rate(..._bucket[...]))``)."""
    _check(title, description, (target,))
    return g.Heatmap(
        title=title,
        description=description,
        dataSource=DATASOURCE,
        targets=_refs([target]),
        dataFormat="tsbuckets",
        yBucketBound="upper",
        hideZeroBuckets=True,
        maxDataPoints=None,
        extraJson={"fieldConfig": {"defaults": {"unit": unit}}, "options": {"calculate": False, "yAxis": {"unit": unit}, "cellGap": 1}},
    )


# --------------------------------------------------------------------------- variables


def datasource_variable() -> g.Template:
    return g.Template(name="datasource", label="Data source", query="prometheus", type="datasource", default=DATASOURCE_NAME, refresh=1)


def query_variable(name: str, label: str, query: str, *, include_all: bool = True, multi: bool = True) -> g.Template:
    t = g.Template(
        name=name,
        label=label,
        query=query,
        dataSource=DATASOURCE,
        includeAll=include_all,
        multi=multi,
        allValue=".*" if include_all else None,
        refresh=2,
        sort=1,
        default="All" if include_all else None,
    )
    if include_all:
        t._current = {"selected": True, "text": ["All"], "value": ["$__all"]}
    return t


def fixed_variable(name: str, label: str, value: str) -> g.Template:
    """A one-value variable (the per-chain dashboards' ``chain``): settable from ``var-chain=`` links."""
    return g.Template(name=name, label=label, query=value, type="custom", default=value)


# --------------------------------------------------------------------------- layout


@dataclass
class Grid:
    """Places panels left to right in 24 columns, wrapping to a new line; rows span the width.

    Ids are assigned in reading order, so they are unique and stable across runs.
    """

    _items: list = field(default_factory=list)
    _x: int = 0
    _y: int = 0
    _line_h: int = 0

    def _newline(self) -> None:
        self._y += self._line_h
        self._x, self._line_h = 0, 0

    def row(self, title: str) -> Grid:
        self._newline()
        self._items.append(g.RowPanel(title=title, gridPos=g.GridPos(h=1, w=GRID_COLUMNS, x=0, y=self._y)))
        self._y += 1
        return self

    def add(self, panel, w: int = 12, h: int = 8) -> Grid:
        if not (0 < w <= GRID_COLUMNS):
            raise ValueError(f"panel width {w} is not within 1..{GRID_COLUMNS}")
        if self._x + w > GRID_COLUMNS:
            self._newline()
        self._items.append(attr.evolve(panel, gridPos=g.GridPos(h=h, w=w, x=self._x, y=self._y)))
        self._x += w
        self._line_h = max(self._line_h, h)
        return self

    def panels(self) -> list:
        return [attr.evolve(p, id=i) for i, p in enumerate(self._items, start=1)]


# --------------------------------------------------------------------------- dashboard


def alert_annotation(selector: str) -> dict:
    """Firing alerts as annotations on every time series panel."""
    return {
        "datasource": DATASOURCE,
        "enable": True,
        "expr": f'ALERTS{{alertstate="firing", {NOT_WATCHDOG}, {selector}}}',
        "iconColor": "red",
        "name": "Firing alerts",
        "step": "30s",
        "tagKeys": "severity,chain,endpoint",
        "textFormat": "{{severity}}: {{alertname}} {{endpoint}}",
        "titleFormat": "{{alertname}}",
        "useValueForTime": False,
    }


def link(title: str, url: str, tooltip: str = "") -> g.DashboardLink:
    return g.DashboardLink(title=title, uri=url, type="link", icon="dashboard", keepTime=True, tooltip=tooltip)


def dashboard(
    *,
    title: str,
    uid: str,
    source: str,
    about: str,
    tags: list[str],
    variables: list,
    grid: Grid,
    links: list | None = None,
    annotations: list | None = None,
    time_from: str = "now-6h",
) -> dict:
    """The finished dashboard as plain JSON data (sorted and written by ``generated.dump_json``)."""
    head = " ".join(line.strip() for line in generated.header(source, comment="").splitlines())
    d = g.Dashboard(
        title=title,
        uid=uid,
        description=f"{about} {head}",
        tags=sorted(tags),
        editable=False,
        panels=grid.panels(),
        templating=g.Templating(list=[datasource_variable(), *variables]),
        links=links or [],
        annotations=g.Annotations(list=annotations or []),
        refresh="30s",
        time=g.Time(time_from, "now"),
        timezone="browser",
        graphTooltip=g.GRAPH_TOOLTIP_MODE_SHARED_CROSSHAIR,
        schemaVersion=39,
    )
    return importable(json.loads(json.dumps(d.to_json_data(), cls=DashboardEncoder)))
