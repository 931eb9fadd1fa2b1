"""Structural checks on the generated dashboards: what would break or mislead in Grafana."""

from __future__ import annotations

import itertools
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from chainwatch.core import uids
from chainwatch.dashboards import generate
from chainwatch.assembly.config import parse

from .support import EXAMPLE, data_panels, dashboards, example_config, links, panels, queries, variable_refs, variables

ALL = dashboards()
GRAFANA_UNITS = {"s", "none", "percentunit", "reqps", "currencyUSD"}  # Grafana unit ids we use (custom ones are suffix:<text>)
IDS = sorted(ALL)


@pytest.fixture(params=IDS)
def dash(request):
    return ALL[request.param]


def test_one_dashboard_per_chain_plus_executive_and_operational():
    config = example_config()
    assert set(ALL) == {"executive", "operational"} | {f"chain-{n}" for n in config.chains}
    assert ALL["executive"]["uid"] == "chainwatch-executive"
    assert ALL["operational"]["uid"] == "chainwatch-operational"
    for name in config.chains:
        assert ALL[f"chain-{name}"]["uid"] == f"chainwatch-chain-{name}"


def test_panel_ids_unique(dash):
    ids = [p["id"] for p in panels(dash)]
    assert all(isinstance(i, int) and i > 0 for i in ids)
    assert len(ids) == len(set(ids))


def test_grid_within_24_columns_and_no_overlaps(dash):
    boxes = []
    for p in panels(dash):
        g = p["gridPos"]
        assert g["w"] > 0 and g["h"] > 0 and g["x"] >= 0 and g["y"] >= 0, p["title"]
        assert g["x"] + g["w"] <= 24, f"{p['title']} sticks out of the 24 columns: {g}"
        boxes.append((p["title"], g))
    for (ta, a), (tb, b) in itertools.combinations(boxes, 2):
        overlap = a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]
        assert not overlap, f"{ta!r} {a} overlaps {tb!r} {b}"


def test_every_panel_has_unit_description_and_modern_type(dash):
    for p in data_panels(dash):
        assert p["type"] in {"timeseries", "stat", "state-timeline", "table", "heatmap"}, p["type"]
        unit = p["fieldConfig"]["defaults"].get("unit")
        assert unit in GRAFANA_UNITS or re.fullmatch(r"suffix:\S.*", unit or ""), f"{p['title']} has no (valid) unit: {unit!r}"
        assert len(p["description"]) > 20, f"{p['title']} has no real description"
        assert p["targets"], p["title"]
        assert [t["refId"] for t in p["targets"]] == [chr(65 + i) for i in range(len(p["targets"]))]
        assert p["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert all(t["datasource"] == p["datasource"] for t in p["targets"])


def test_every_variable_used_exists_and_every_variable_is_used(dash):
    defined = set(variables(dash))
    assert "datasource" in defined and variables(dash)["datasource"]["type"] == "datasource"
    text = json.dumps([q for _, q in queries(dash)] + [u for _, u in links(dash)])
    used = {v for v in variable_refs(text) if not v.startswith("__")}
    assert used <= defined, f"undefined variables: {used - defined}"
    assert defined - {"datasource"} <= used, f"variables nobody uses: {defined - used - {'datasource'}}"
    # every query variable (chain, role, endpoint) also narrows what it depends on
    for v in variables(dash).values():
        if v["type"] == "query":
            assert v["datasource"] == {"type": "prometheus", "uid": "${datasource}"}


def test_links_resolve_to_generated_dashboards_and_their_variables():
    by_uid = {d["uid"]: d for d in ALL.values()}
    seen = 0
    for d in ALL.values():
        for where, url in links(d):
            parts = urlsplit(url)
            m = re.fullmatch(r"/d/([A-Za-z0-9_-]+)", parts.path)
            assert m, f"{d['uid']} {where}: {url} is not a /d/<uid> link"
            target = by_uid.get(m.group(1))
            assert target, f"{d['uid']} {where}: {url} points at no generated dashboard"
            for key in parse_qs(parts.query):
                assert key.startswith("var-") and key[4:] in variables(target), f"{where}: {key} is not a variable of {target['uid']}"
            seen += 1
    assert seen > 10


def test_drill_down_executive_to_operational_to_chain_with_chain_set():
    status = next(p for p in data_panels(ALL["executive"]) if p["title"] == "Chain status")
    (cell,) = status["fieldConfig"]["defaults"]["links"]
    assert cell["url"] == "/d/chainwatch-operational?var-chain=${__field.labels.chain}"
    op_links = {l["title"]: l["url"] for l in ALL["operational"]["links"]}
    assert op_links["Chain: polygon"] == "/d/chainwatch-chain-polygon?var-chain=polygon"
    assert all(l["keepTime"] for l in ALL["operational"]["links"])
    assert variables(ALL["chain-polygon"])["chain"]["current"]["value"] == "polygon"


def test_alert_annotations_on_every_dashboard(dash):
    (ann,) = dash["annotations"]["list"]
    assert ann["enable"] and ann["expr"].startswith('ALERTS{alertstate="firing", ')
    assert "$chain" in ann["expr"]


def _panel(d, title):
    return next(p for p in data_panels(d) if p["title"] == title)


def _steps(p):
    return [(s["color"], s["value"]) for s in p["fieldConfig"]["defaults"]["thresholds"]["steps"]]


def test_thresholds_follow_the_config_of_each_chain():
    config = example_config()
    eth, arb = config.chains["ethereum"], config.chains["arbitrum"]
    lag = _panel(ALL["chain-ethereum"], "Sync lag (blocks)")
    assert _steps(lag) == [("green", None), ("orange", eth.lag_blocks("warning")), ("red", eth.lag_blocks("critical"))]
    # Arbitrum's 0.25 s blocks give a very different line from the same defaults
    assert _steps(_panel(ALL["chain-arbitrum"], "Sync lag (blocks)"))[1] == ("orange", arb.lag_blocks("warning")) != ("orange", eth.lag_blocks("warning"))
    assert _steps(_panel(ALL["chain-ethereum"], "Head age"))[-1] == ("red", eth.head_stale_seconds)
    assert _steps(_panel(ALL["chain-ethereum"], "RPC latency p95 (5m)"))[-1] == ("orange", eth.thresholds.rpc_latency_p95_seconds)
    assert _steps(_panel(ALL["chain-ethereum"], "Peers")) == [("red", None), ("green", eth.thresholds.peers_min)]
    assert _steps(_panel(ALL["chain-ethereum-beacon"], "Epochs since finalized"))[-1] == ("red", 4)
    sol = config.chains["solana"].thresholds
    assert _steps(_panel(ALL["chain-solana"], "Skip rate"))[-1] == ("orange", sol.solana_skip_ratio)
    # operational spans chains with different lag thresholds: no misleading line, and it says so
    op_lag = _panel(ALL["operational"], "Sync lag (blocks)")
    assert _steps(op_lag) == [("green", None)] and "per-chain dashboards" in op_lag["description"]
    # executive availability: each chain's own objective
    avail = next(p for p in data_panels(ALL["executive"]) if p["title"].startswith("Availability ("))
    overrides = {o["matcher"]["options"]: o["properties"][0]["value"]["steps"][1]["value"] for o in avail["fieldConfig"]["overrides"]}
    assert overrides == {n: c.slo.availability for n, c in config.chains.items()}


def test_changing_a_threshold_in_the_config_moves_the_line():
    text = EXAMPLE.read_text().replace("rpc_latency_p95_seconds: 0.5", "rpc_latency_p95_seconds: 0.75")
    config = parse(text, "chainwatch.yaml", need_secrets=False)
    d = generate.build_all(config)["chain-ethereum"]
    assert _steps(_panel(d, "RPC latency p95 (5m)"))[-1] == ("orange", 0.75)


def test_kind_specific_panels():
    titles = {k: {p["title"] for p in data_panels(d)} for k, d in ALL.items()}
    assert {"Head vs references", "Gas price and base fee", "Mempool pending and queued", "Probe latency distribution"} <= titles["chain-ethereum"]
    assert {"Epochs since finalized", "Attestation miss ratio (1h)", "Proposals (1h)", "Validators by status", "Sync lag (slots)"} <= titles[
        "chain-ethereum-beacon"
    ]
    assert {"Cluster halt", "Delinquent vote accounts", "Vote lag", "Skip rate", "Transactions per second", "Sync lag (slots)"} <= titles["chain-solana"]
    assert not {"Mempool pending and queued", "Gas price and base fee"} & titles["chain-solana"]
    assert {"Exporter scrape duration", "Probe deadline misses", "RPC latency p50 (5m)", "RPC latency p99 (5m)", "Endpoints failing, by reason"} <= titles[
        "operational"
    ]
    assert {"Chain status", "Critical alerts firing", "Error budget remaining", "SLOs per chain"} <= titles["executive"]
    assert {v for v in variables(ALL["operational"])} == {"datasource", "chain", "role", "endpoint"}


def test_long_chain_names_get_a_stable_unique_uid_within_40_characters():
    a, b = "x" * 40 + "-alpha", "x" * 40 + "-beta"
    assert uids.chain_uid(a) == uids.chain_uid(a)
    assert uids.chain_uid(a) != uids.chain_uid(b)
    assert len(uids.chain_uid(a)) == 40 and uids.chain_uid(a).startswith("chainwatch-chain-xxxx")
    assert uids.chain_uid("ethereum") == "chainwatch-chain-ethereum"


def test_write_is_deterministic_and_provisions_grafana(tmp_path):
    config = example_config()
    first = generate.write(config, tmp_path / "a")
    second = generate.write(config, tmp_path / "b")
    assert [p.relative_to(tmp_path / "a") for p in first] == [p.relative_to(tmp_path / "b") for p in second]
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), a
    base = tmp_path / "a" / "dashboards"
    provider = yaml.safe_load((base / "provisioning/dashboards/chainwatch.yaml").read_text())
    assert provider["providers"][0]["type"] == "file" and provider["providers"][0]["options"]["path"] == generate.DASHBOARDS_PATH
    ds = yaml.safe_load((base / "provisioning/datasources/prometheus.yaml").read_text())["datasources"][0]
    assert ds["type"] == "prometheus"
    assert ds["isDefault"] is False  # Grafana refuses to start with two default datasources; one may exist already
    # Import asks for the datasource (__inputs) and puts it where ${DS_PROMETHEUS} stands; a
    # provisioned copy starts the variable on the first Prometheus datasource (ours, if alone).
    assert variables(json.loads((base / "executive.json").read_text()))["datasource"]["current"]["value"] == "${DS_PROMETHEUS}"
    assert (base / "provisioning/datasources/prometheus.yaml").read_text().startswith("# Generated by chainwatch")
    assert "do not edit" in json.loads((base / "operational.json").read_text())["description"]


def test_preview_places_every_panel_title(tmp_path):
    written = generate.write(example_config(), tmp_path, preview=True)
    html = (tmp_path / "dashboards/preview/chain-ethereum.html").read_text()
    assert tmp_path / "dashboards/preview/chain-ethereum.html" in written
    for p in panels(ALL["chain-ethereum"]):
        g = p["gridPos"]
        title = p["title"].replace("&", "&amp;")
        assert re.search(rf"left:{g['x'] * 54}px; top:{g['y'] * 30}px;[^>]*>(<div class='t'>)?{re.escape(title)}<", html), p["title"]


def test_every_alert_dashboard_url_opens_a_generated_dashboard_with_real_variables(tmp_path):
    """The rules generator links each alert to a dashboard by uid: the contract with this one."""
    from chainwatch.rules import generate as rules_generate

    config = example_config()
    by_uid = {d["uid"]: d for d in ALL.values()}
    grafana = config.generate.grafana_url.rstrip("/")
    urls = []
    for path in rules_generate.write(config, tmp_path):
        if path.name.endswith(".rules.yml"):
            for group in yaml.safe_load(path.read_text())["groups"]:
                urls += [rule["annotations"]["dashboard_url"] for rule in group["rules"] if "alert" in rule]
    assert len(urls) > 50
    for url in set(urls):
        assert url.startswith(grafana + "/d/"), url
        parts = urlsplit(url)
        target = by_uid.get(parts.path.removeprefix("/d/"))
        assert target, f"{url} opens no generated dashboard"
        for key, values in parse_qs(parts.query).items():
            assert key.startswith("var-") and key[4:] in variables(target), f"{url}: {key} is not a variable of {target['uid']}"
            if target["uid"].startswith("chainwatch-chain-") and key == "var-chain":
                assert values == [variables(target)["chain"]["current"]["value"]]


def test_cli_generate_only_dashboards_with_preview(tmp_path):
    from click.testing import CliRunner

    from chainwatch.cli import main

    result = CliRunner().invoke(main, ["generate", "--config.file", str(EXAMPLE), "--out", str(tmp_path), "--only", "dashboards", "--preview"])
    assert result.exit_code == 0, result.output
    written = set(result.output.split())
    assert str(tmp_path / "dashboards/executive.json") in written
    assert str(tmp_path / "dashboards/preview/operational.html") in written
    assert not (tmp_path / "rules").exists()
    assert sorted(p.name for p in (tmp_path / "dashboards").glob("*.json")) == sorted(f"{stem}.json" for stem in ALL)


def test_dashboards_carry_what_grafana_import_reads_and_no_grafanalib_leftovers(dash):
    from chainwatch.dashboards.importable import MIN_GRAFANA

    for legacy in ("rows", "sharedCrosshair", "hideControls", "style", "gnetId"):
        assert legacy not in dash, legacy
    requires = {(r["type"], r["id"]): r for r in dash["__requires"]}
    assert requires[("grafana", "grafana")]["version"] == MIN_GRAFANA
    assert ("datasource", "prometheus") in requires
    used = set()

    def walk(panels):
        for p in panels:
            if p["type"] != "row":
                used.add(p["type"])
            walk(p.get("panels", []))

    walk(dash["panels"])
    assert {i for t, i in requires if t == "panel"} == used  # every panel plugin it uses, and only those
    [ds_input] = dash["__inputs"]
    assert (ds_input["type"], ds_input["pluginId"]) == ("datasource", "prometheus")
    placeholder = "${%s}" % ds_input["name"]
    assert json.dumps(dash).count(placeholder) == 2  # the Data source variable's start value (text and value)
    # Every panel queries through that variable, so the import's choice reaches every panel.
    for panel in dash["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
