"""The dashboards as Grafana's import expects them: ``__requires``, ``__inputs``, no legacy keys.

grafanalib writes keys of the pre-5.0 row layout and other legacy ones (``rows: []``,
``sharedCrosshair``, ``hideControls``, ``style``, ``gnetId``), ``null`` for every unset option,
keys Grafana's dashboard schema no longer has and an empty ``__inputs``; Grafana ignores them,
but they are noise in every file and every diff, and they break the published schema
(docs/dashboards.md says what remains). This pass removes them and adds what Grafana's own
"Export for sharing externally" writes
(https://grafana.com/docs/grafana/latest/dashboards/share-dashboards-panels/#export-a-dashboard-as-json):

- ``__requires``: the minimum Grafana version, the Prometheus datasource plugin and every
  panel plugin the dashboard uses (Grafana's import page lists them and warns when one is
  missing);
- ``__inputs``: one datasource input, ``DS_PROMETHEUS``. Importing through the UI asks for a
  Prometheus datasource and puts its uid where ``${DS_PROMETHEUS}`` stands: the start value
  of the dashboard's **Data source** variable, through which every panel queries. Loaded by
  file provisioning (no import step), that start value matches no datasource and Grafana
  starts the variable on the default Prometheus datasource, as for any unknown value.

Minimum Grafana: 10.4 — the dashboards are written in dashboard schema version 39 with
``timeseries``/``stat``/``state-timeline``/``heatmap``/``table`` panels; 10.4 is the oldest
release these files are stated for (none runs here to load them; docs/dashboards.md).
"""

from __future__ import annotations

MIN_GRAFANA = "10.4.0"
DS_INPUT = "DS_PROMETHEUS"
LEGACY_KEYS = ("rows", "sharedCrosshair", "hideControls", "style", "gnetId")

# Grafana's names of its core panel plugins (as its export writes them).
PANEL_NAMES = {
    "timeseries": "Time series",
    "stat": "Stat",
    "state-timeline": "State timeline",
    "heatmap": "Heatmap",
    "table": "Table",
    "text": "Text",
    "gauge": "Gauge",
    "bargauge": "Bar gauge",
}


def _panel_types(panels: list[dict]) -> set[str]:
    found = set()
    for panel in panels:
        if panel.get("type") != "row":
            found.add(panel["type"])
        found |= _panel_types(panel.get("panels", []))
    return found


# grafanalib's keys that Grafana's dashboard schema no longer has: tag-based variable options
# (removed in Grafana 8), the old time picker's option list, and per-panel editable/error flags.
LEGACY_VARIABLE_KEYS = ("tagValuesQuery", "tagsQuery", "useTags")
LEGACY_PANEL_KEYS = ("editable", "error")


def _without_nulls(node, parent: str | None = None):
    """grafanalib writes every unset option as ``null``; Grafana reads an absent key as its default.
    A threshold step's ``value`` stays: its ``null`` is the base step (-Infinity)."""
    if isinstance(node, dict):
        return {k: _without_nulls(v, k) for k, v in node.items() if v is not None or (k == "value" and parent == "steps")}
    if isinstance(node, list):
        return [_without_nulls(v, parent) for v in node]
    return node


# What a row has in Grafana's dashboard schema (RowPanel); grafanalib gives rows a panel's keys.
ROW_KEYS = {"type", "collapsed", "title", "datasource", "gridPos", "id", "panels", "repeat"}


def _without_legacy_panel_keys(panels: list[dict]) -> None:
    for panel in panels:
        for key in LEGACY_PANEL_KEYS:
            panel.pop(key, None)
        if panel.get("type") == "row":
            for key in set(panel) - ROW_KEYS:
                del panel[key]
        elif "fieldConfig" in panel:
            panel["fieldConfig"].setdefault("overrides", [])  # required by the schema; [] is Grafana's own default
        _without_legacy_panel_keys(panel.get("panels", []))


def importable(data: dict) -> dict:
    """``data`` (a dashboard's JSON model) without legacy keys, with ``__requires`` and ``__inputs``."""
    out = {k: v for k, v in _without_nulls(data).items() if k not in LEGACY_KEYS and k != "__inputs"}
    out.get("timepicker", {}).pop("time_options", None)
    _without_legacy_panel_keys(out.get("panels", []))
    for variable in out.get("templating", {}).get("list", []):
        for key in LEGACY_VARIABLE_KEYS:
            variable.pop(key, None)
    out["__requires"] = [
        {"type": "grafana", "id": "grafana", "name": "Grafana", "version": MIN_GRAFANA},
        {"type": "datasource", "id": "prometheus", "name": "Prometheus", "version": "1.0.0"},
        *({"type": "panel", "id": t, "name": PANEL_NAMES.get(t, t), "version": ""} for t in sorted(_panel_types(data.get("panels", [])))),
    ]
    out["__inputs"] = [
        {
            "name": DS_INPUT,
            "label": "Prometheus",
            "description": "The Prometheus that scrapes chainwatch and loads its rules",
            "type": "datasource",
            "pluginId": "prometheus",
            "pluginName": "Prometheus",
        }
    ]
    for variable in out.get("templating", {}).get("list", []):
        if variable.get("type") == "datasource":
            variable["current"] = {"selected": True, "text": "${%s}" % DS_INPUT, "value": "${%s}" % DS_INPUT}
    return out
