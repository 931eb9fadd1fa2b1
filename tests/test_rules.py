"""The rules generator, proven with the real promtool (Debian prometheus 2.42).

Rules and their unit tests are generated from two configs: the example
(``examples/chainwatch.yaml``) and a small config whose thresholds and durations are far
from the defaults (``tests/rules/small.yaml``), so a test that passes only for the defaults
would fail here.
"""

from __future__ import annotations

import json
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import promql_parser
import pytest
import yaml

from chainwatch.assembly import catalog, names
from chainwatch.assembly.config import ConfigError, load, parse
from chainwatch.core.uids import chain_uid
from chainwatch.rules import generate, unittests
from tests.support import REPO, require_binary

EXAMPLE = REPO / "examples" / "chainwatch.yaml"
SMALL = REPO / "tests" / "rules" / "small.yaml"
CONFIGS = {"example": EXAMPLE, "small": SMALL}

pytestmark = pytest.mark.prometheus


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict[str, Path]:
    out = {}
    for key, path in CONFIGS.items():
        target = tmp_path_factory.mktemp(f"rules-{key}")
        generate.write(load(path, need_secrets=False), target)
        out[key] = target
    return out


def promtool() -> str:
    return require_binary("promtool")


def rule_files(out: Path) -> list[Path]:
    return sorted((out / "rules").glob("*.rules.yml"))


def all_rules(out: Path):
    for f in rule_files(out):
        for group in yaml.safe_load(f.read_text())["groups"]:
            for rule in group["rules"]:
                yield f, group["name"], rule


def alerts(out: Path) -> list[dict]:
    return [r for _, _, r in all_rules(out) if "alert" in r]


# --------------------------------------------------------------------------- promtool


@pytest.mark.parametrize("key", CONFIGS)
def test_promtool_check_rules_is_lint_clean(generated, key):
    files = [str(f) for f in rule_files(generated[key])]
    result = subprocess.run([promtool(), "check", "rules", "--lint=all", "--lint-fatal", *files], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout and "FAILED" not in result.stdout


SHARDS = 2  # pytest-xdist spreads the shards; each also runs its files on both cores


def shard(files: list[Path], index: int) -> list[Path]:
    """The test files of one shard: largest first onto the lightest shard (size ~ promtool time)."""
    load = [0] * SHARDS
    mine = []
    for f in sorted(files, key=lambda f: (-f.stat().st_size, f.name)):
        lightest = load.index(min(load))
        load[lightest] += f.stat().st_size
        if lightest == index:
            mine.append(f)
    return mine


@pytest.mark.parametrize("index", range(SHARDS))
@pytest.mark.parametrize("key", CONFIGS)
def test_generated_promtool_unit_tests_pass(generated, key, index):
    """Every alert fires on its fault with exact labels and annotations, stays silent on a
    healthy series and a blip shorter than for:, resolves; SLO burns at ~15x page and 0.5x
    stay silent; recording rules produce the exact samples. (Files split over SHARDS tests.)"""
    tool = promtool()
    every = sorted((generated[key] / "rules" / "tests").glob("*.yml"))
    assert len(every) >= 3
    assert sorted(f for i in range(SHARDS) for f in shard(every, i)) == every
    files = shard(every, index)
    assert files

    def run(path: Path):
        return path, subprocess.run([tool, "test", "rules", path.name], cwd=path.parent, capture_output=True, text=True)

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run, files))
    failed = {p.name: r.stdout[-3000:] + r.stderr[-2000:] for p, r in results if r.returncode != 0}
    assert not failed, failed


def chain_tests(tests_dir: Path, chain: str, alertname: str) -> dict:
    """The promtool test document of a chain's file (one per test step: ``chainwatch-x.test.yml``,
    ``chainwatch-x.1m.test.yml``) that tests ``alertname``, with only those test groups."""
    for path in sorted(tests_dir.glob(f"chainwatch-{chain}.*test.yml")):
        doc = yaml.safe_load(path.read_text())
        mine = [t for t in doc["tests"] if any(a.get("alertname") == alertname for a in t.get("alert_rule_test") or [])]
        if mine:
            return {**doc, "tests": mine}
    return {"tests": []}


def test_unit_tests_catch_a_wrong_threshold(generated, tmp_path):
    """The generated tests are not vacuous: loosen one threshold in a rule file and promtool fails."""
    src = generated["example"] / "rules"
    text = (src / "chainwatch-ethereum.rules.yml").read_text()
    mutated = text.replace(
        'chainwatch_sync_lag_blocks{chain="ethereum",role!="reference"} > 25', 'chainwatch_sync_lag_blocks{chain="ethereum",role!="reference"} > 2500'
    )
    assert mutated != text
    # Only the test groups of the mutated alert: the rest of the file cannot notice the
    # mutation and took ~12 s of promtool on a loaded machine.
    tests = chain_tests(src / "tests", "ethereum", "ChainwatchSyncLagHigh")
    assert tests["tests"], "no generated test of ChainwatchSyncLagHigh"

    def run(rules: str, name: str) -> subprocess.CompletedProcess:
        out = tmp_path / name
        (out / "tests").mkdir(parents=True)
        (out / "chainwatch-ethereum.rules.yml").write_text(rules)
        (out / "chainwatch-ethereum-recording.rules.yml").write_text((src / "chainwatch-ethereum-recording.rules.yml").read_text())
        (out / "tests" / "t.yml").write_text(yaml.safe_dump(tests, sort_keys=False))
        return subprocess.run([promtool(), "test", "rules", "t.yml"], cwd=out / "tests", capture_output=True, text=True)

    control = run(text, "control")  # the same trimmed tests pass on the real rule ...
    assert control.returncode == 0, control.stdout + control.stderr
    result = run(mutated, "mutated")  # ... and fail on the loosened one
    assert result.returncode != 0
    assert "ChainwatchSyncLagHigh" in result.stdout + result.stderr


def test_unit_tests_catch_an_alert_that_outlives_its_fault(generated, tmp_path):
    """Issue #15: without its short window and its EndpointDown guard, RpcErrorRatioHigh keeps
    firing after the recovery (5m window) and fires once an EndpointDown that inhibited it ends;
    the generated recovery tests must say so (promtool 2.42 on the example's ethereum rules)."""
    src = generated["example"] / "rules"
    # The chain whose file holds the test groups of the rule (one test per distinct rule: the
    # first chain that has it; ethereum's rule is the same, renamed).
    chain = next(_title(t)[2] for doc in _test_docs(generated["example"]) for t in doc["tests"] if t["name"].startswith("ChainwatchRpcErrorRatioHigh warning "))
    assert "ethereum" in _stands_for(
        next(t for doc in _test_docs(generated["example"]) for t in doc["tests"] if t["name"].startswith(f"ChainwatchRpcErrorRatioHigh warning {chain}:"))
    )
    text = (src / f"chainwatch-{chain}.rules.yml").read_text()
    mutated = re.sub(
        r'(expr: endpoint:chainwatch_rpc_errors:ratio_rate5m\{chain="' + re.escape(chain) + r'",role!="reference"\} > [0-9.]+) and .*', r"\1", text
    )
    assert mutated != text
    tests = chain_tests(src / "tests", chain, "ChainwatchRpcErrorRatioHigh")
    out = tmp_path / "mutated"
    (out / "tests").mkdir(parents=True)
    (out / f"chainwatch-{chain}.rules.yml").write_text(mutated)
    (out / f"chainwatch-{chain}-recording.rules.yml").write_text((src / f"chainwatch-{chain}-recording.rules.yml").read_text())
    (out / "tests" / "t.yml").write_text(yaml.safe_dump(tests, sort_keys=False))
    result = subprocess.run([promtool(), "test", "rules", "t.yml"], cwd=out / "tests", capture_output=True, text=True)
    assert result.returncode != 0
    failed = result.stdout + result.stderr
    assert f"ChainwatchRpcErrorRatioHigh warning {chain}: fires on half the requests fail, then resolves within 2m of the recovery" in failed
    assert f"ChainwatchEndpointDown {chain}: down, then up again" in failed


@pytest.mark.parametrize("key", CONFIGS)
def test_every_alert_but_the_events_has_a_recovery_test(generated, key):
    """Fault, recovery, resolved within its resolve time, and nothing firing after (issue #15)."""
    names_ = {
        f"{alert} {severity} {chain}"
        for doc in _test_docs(generated[key])
        for t in doc["tests"]
        if "nothing fires after it" in t["name"]
        for alert, severity, _ in [_title(t)]
        for chain in _stands_for(t)
    }
    events = {"ChainwatchProposalMissed", "ChainwatchValidatorSlashed", "ChainwatchValidatorExited", "ChainwatchSLOErrorBudgetBurn"}
    for rule in alerts(generated[key]):
        if rule["alert"] in events or rule["alert"] == "ChainwatchWatchdog":  # never resolves, by design (its own test says so)
            continue
        title = f"{rule['alert']} {rule['labels']['severity']} {rule['labels']['chain']}"
        recipe_less = rule["alert"] == "ChainwatchSyncLagHigh" and rule["labels"]["severity"] == "warning"  # too close to critical to separate
        assert title in names_ or recipe_less or rule["labels"]["chain"] == "*" and rule["alert"] == "ChainwatchExporterAbsent", title
    down = [
        chain
        for doc in _test_docs(generated[key])
        for t in doc["tests"]
        if t["name"].startswith("ChainwatchEndpointDown") and "up again" in t["name"]
        for chain in _stands_for(t)
    ]
    chains = {r["labels"]["chain"] for r in alerts(generated[key]) if r["alert"] == "ChainwatchEndpointDown"}
    assert sorted(down) == sorted(chains), down


# --------------------------------------------------------------------------- coverage of the alert list


def _test_docs(out: Path) -> list[dict]:
    return [yaml.safe_load(p.read_text()) for p in sorted((out / "rules" / "tests").glob("*.yml"))]


_SAME_RULE = re.compile(r" \(the same rule of: ([^()]+)\)$")


def _title(test: dict) -> tuple[str, str, str]:
    """(alert, severity or "", chain) of a test group's name: ``Alert [severity] chain[ slo=x]: ...``."""
    words = test["name"].split(":")[0].split()
    words = [w for w in words if not w.startswith("slo=")]
    if len(words) == 1:  # a rule of no chain (the watchdog, one per team): its chain label is "*"
        return (words[0], "", "*")
    return (words[0], words[1], words[2]) if len(words) == 3 else (words[0], "", words[1])


def _unchained(test: dict) -> str:
    """A test group's name without its chain (nor the chains it stands for)."""
    head, rest = _SAME_RULE.sub("", test["name"]).split(":", 1)
    words = head.split()
    if _title(test)[2] in words:
        words.remove(_title(test)[2])
    return " ".join(words) + ":" + rest


def _stands_for(test: dict) -> set[str]:
    """The chains whose rule a test group proves: its own, and those its name lists as the same rule."""
    same = _SAME_RULE.search(test["name"])
    return {_title(test)[2], *(same.group(1).split(", ") if same else ())}


@pytest.mark.parametrize("key", CONFIGS)
def test_every_generated_alert_rule_has_fire_healthy_and_blip_tests(generated, key):
    tests = [t for doc in _test_docs(generated[key]) for t in doc["tests"]]
    fired = {}
    for t in tests:
        for check in t.get("alert_rule_test", []):
            for exp in check["exp_alerts"]:
                lbl = exp["exp_labels"]
                # A test kept for several chains (the same rule, renamed) makes each one's fire.
                for chain in _stands_for(t) if lbl["chain"] == _title(t)[2] else {lbl["chain"]}:
                    fired.setdefault((check["alertname"], lbl["severity"], chain, lbl.get("slo", "")), []).append(t["name"])
    for rule in alerts(generated[key]):
        labels = rule["labels"]
        ident = (rule["alert"], labels["severity"], labels["chain"], labels.get("slo", ""))
        if rule["alert"] == "ChainwatchExporterAbsent":
            ident = (rule["alert"], "critical", "*", "")
        assert ident in fired, f"no test makes {ident} fire"
        # A missed proposal is an event held in a look-back window: one is the whole fault (no blip to ignore).
        # The SLO burn's for: orders it after the pages that explain it (docs/rules.md); its windows
        # are what ignore blips, proven by the 15x and 0.5x burn tests.
        if "for" in rule and rule["alert"] not in ("ChainwatchExporterAbsent", "ChainwatchProposalMissed", "ChainwatchSLOErrorBudgetBurn"):
            prefix = f"{rule['alert']} {labels['severity']} {labels['chain']}:"
            mine = [t for t in tests if _title(t)[:2] == (rule["alert"], labels["severity"]) and labels["chain"] in _stands_for(t)]
            assert any("blip" in t["name"] for t in mine), prefix
            assert any("healthy" in t["name"] for t in mine), prefix


def _renamed(rule: dict, a: str, b: str, config) -> dict:
    """Chain ``a``'s rule with ``b``'s names: its chain matcher, chain and team labels, dashboard link."""
    text = json.dumps(rule, sort_keys=True)
    for old, new in (
        (f'chain=\\"{a}\\"', f'chain=\\"{b}\\"'),
        (f'"chain": "{a}"', f'"chain": "{b}"'),
        (f'"team": "{config.chains[a].team}"', f'"team": "{config.chains[b].team}"'),
        (f"/d/{chain_uid(a)}?", f"/d/{chain_uid(b)}?"),
        (f'?var-chain={a}"', f'?var-chain={b}"'),
    ):
        text = text.replace(old, new)
    return json.loads(text)


@pytest.mark.parametrize("key", CONFIGS)
def test_a_test_left_out_is_kept_for_the_same_rule_of_another_chain(generated, key):
    """One test per distinct rule, not per chain (issue #26): every test group of the full
    per-chain set that a chain's file leaves out is kept, under the same name, in the file of
    another chain, whose name lists the chain; and the chain's rules it asserts on are that
    chain's, renamed: the same expression but the chain matcher, threshold, for:, labels but
    chain and team, annotations but the dashboard link."""
    config = load(CONFIGS[key], need_secrets=False)
    full = unittests.test_files(config, generate.build(config), dedupe=False)
    written = {p.name: yaml.safe_load(p.read_text())["tests"] for p in (generated[key] / "rules" / "tests").glob("*.yml")}
    # A file is left out only when every test of it is another chain's (no `tests: []` files).
    assert set(written) <= {name for name, _ in full}
    assert all(tests for tests in written.values()), [name for name, tests in written.items() if not tests]
    kept = [t for tests in written.values() for t in tests]
    rules = {(r["alert"], r["labels"]["severity"], r["labels"]["chain"], r["labels"].get("slo", "")): r for r in alerts(generated[key])}
    left_out = 0
    for name, doc in full:
        here = [_SAME_RULE.sub("", t["name"]) for t in written.get(name, [])]
        assert all(h in [t["name"] for t in doc["tests"]] for h in here), name
        for t in doc["tests"]:
            if t["name"] in here:
                continue
            left_out += 1
            chain = _title(t)[2]
            keepers = [k for k in kept if _unchained(k) == _unchained(t) and chain in _stands_for(k)]
            assert len(keepers) == 1, (name, t["name"], [k["name"] for k in keepers])
            other = _title(keepers[0])[2]
            assert other != chain
            asserted = {check["alertname"] for check in t["alert_rule_test"]}
            mine = {(a, sv, sl): r for (a, sv, c, sl), r in rules.items() if c == chain and a in asserted}
            theirs = {(a, sv, sl): r for (a, sv, c, sl), r in rules.items() if c == other and a in asserted}
            assert mine and sorted(mine) == sorted(theirs), t["name"]
            for ident, rule in mine.items():
                assert rule == _renamed(theirs[ident], other, chain, config), (t["name"], ident)
    if key == "example":  # ten chains, five of them EVM: most rules are the same for several
        assert left_out > len(kept) / 2, left_out


def test_every_alert_name_is_generated_for_the_example_and_small_configs(generated):
    seen = {r["alert"] for key in CONFIGS for r in alerts(generated[key])}
    assert seen == {a.name for a in names.ALERTS}


@pytest.mark.parametrize("key", CONFIGS)
def test_alert_labels_and_annotations(generated, key):
    config = load(CONFIGS[key], need_secrets=False)
    for rule in alerts(generated[key]):
        spec = names.ALERT_BY_NAME[rule["alert"]]
        labels, ann = rule["labels"], rule["annotations"]
        assert labels["severity"] in spec.severities
        assert set(ann) == {"summary", "description", "runbook_url", "dashboard_url", "value"}
        assert ann["runbook_url"] == f"{config.generate.runbook_base_url.rstrip('/')}/{rule['alert']}.md"
        assert ann["dashboard_url"].startswith(config.generate.grafana_url.rstrip("/") + "/d/chainwatch-")
        if labels["chain"] != "*":
            chain = config.chains[labels["chain"]]
            # An account's alerts page its owner (accounts[].team), else the chain's team.
            owner = next((a.team for a in chain.accounts if a.name == labels.get("account")), None)
            assert labels["team"] == (owner or chain.team)
            assert f'chain="{labels["chain"]}"' in rule["expr"]
            assert ann["dashboard_url"].endswith(f"?var-chain={labels['chain']}")
            # An alert about another chain of the config (a rollup's SequencerDown on its L2 chain)
            # comes from a chain of its kind whose alerts are about that chain (it links it, or
            # names it, as an avalanche chain names the C-chain its nodes serve).
            linking = {c.kind for c in config.chains.values() if labels["chain"] in c.alerted_chains()}
            assert chain.kind in spec.kinds or linking & set(spec.kinds)
        if spec.scope == "endpoint":
            assert 'role!="reference"' in rule["expr"], rule["alert"]
            assert "$labels.endpoint" in ann["description"]


def test_thresholds_follow_each_chain(generated):
    lag = {
        r["labels"]["chain"]: r["expr"] for r in alerts(generated["example"]) if r["alert"] == "ChainwatchSyncLagHigh" and r["labels"]["severity"] == "warning"
    }
    assert lag["ethereum"].endswith("> 5")  # 60 s of 12 s blocks
    assert lag["polygon"].endswith("> 30")  # 60 s of 2 s blocks
    assert lag["arbitrum"].endswith("> 120")  # 30 s (configured) of 0.25 s blocks
    small = {(r["alert"], r["labels"]["chain"]): r for r in alerts(generated["small"])}
    assert small[("ChainwatchSyncLagHigh", "devnet")]["for"] == "90s"
    assert small[("ChainwatchPeersLow", "devnet")]["expr"].endswith("< 3")
    assert small[("ChainwatchFinalityStalled", "gnosis-beacon")]["expr"].endswith("> 3")
    assert " > 240 or " in small[("ChainwatchValidatorMonitorStuck", "gnosis-beacon")]["expr"]  # 3 epochs of 16 x 5 s


def test_recording_rules_cover_the_shared_names(generated):
    records = {r["record"] for key in CONFIGS for _, _, r in all_rules(generated[key]) if "record" in r}
    assert records <= set(names.RECORDING)
    # 28d is declared for configs that choose it; the two test configs use 30d and 7d.
    assert set(names.RECORDING) - records == {"chain_slo:sli_error:ratio_rate28d"}


# --------------------------------------------------------------------------- metric names


def _selectors(expr: str) -> list[str]:
    found: list[str] = []

    def visit(node):
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            found.append(node.name)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return found


@pytest.mark.parametrize("key", CONFIGS)
def test_every_metric_a_rule_uses_is_in_the_catalog_or_recorded(generated, key):
    # ALERTS: an endpoint's error alerts stay quiet while (and shortly after) its EndpointDown fires.
    known = catalog.series_names() | set(names.RECORDING) | {"up", "ALERTS"}
    used = set()
    for _, _, rule in all_rules(generated[key]):
        names_in = _selectors(rule["expr"])
        assert names_in or "vector(" in rule["expr"], rule
        used |= set(names_in)
        for query in re.findall(r'query \(printf "([^"]+)"', rule.get("annotations", {}).get("description", "")):
            used |= set(_selectors(query.replace("%q", '"x"')))
    assert used <= known, used - known
    assert "chainwatch_probe_failure_reason" in used


def test_a_renamed_metric_breaks_the_build(monkeypatch):
    monkeypatch.setattr(catalog, "series_names", lambda: frozenset())
    with pytest.raises(KeyError, match="not in the metric catalog"):
        generate.build(load(EXAMPLE, need_secrets=False))


# --------------------------------------------------------------------------- output


def test_output_is_deterministic_with_header(tmp_path):
    config = load(EXAMPLE, need_secrets=False)
    a = generate.write(config, tmp_path / "a")
    b = generate.write(config, tmp_path / "b")
    assert [p.relative_to(tmp_path / "a") for p in a] == [p.relative_to(tmp_path / "b") for p in b]
    for pa, pb in zip(a, b):
        assert pa.read_bytes() == pb.read_bytes(), pa
        assert "Generated by chainwatch from chainwatch.yaml" in pa.read_text().splitlines()[0 if pa.suffix != ".md" else 1]


def test_prometheus_operator_format_holds_the_same_groups(tmp_path):
    config = load(EXAMPLE, need_secrets=False)
    plain = generate.write(config, tmp_path / "plain")
    crs = generate.write(config, tmp_path / "op", fmt="prometheus-operator")
    resources = [p for p in crs if p.name.endswith(".prometheusrule.yaml")]
    rule_files_ = [p for p in plain if p.name.endswith(".rules.yml")]
    assert len(resources) == len(rule_files_)
    assert not list((tmp_path / "op" / "rules").glob("*.rules.yml"))
    for cr_path in resources:
        cr = yaml.safe_load(cr_path.read_text())
        assert cr["apiVersion"] == "monitoring.coreos.com/v1" and cr["kind"] == "PrometheusRule"
        plain_file = tmp_path / "plain" / "rules" / cr_path.name.replace(".prometheusrule.yaml", ".rules.yml")
        assert cr["spec"]["groups"] == yaml.safe_load(plain_file.read_text())["groups"]
        assert cr["metadata"]["name"] == cr_path.name.removesuffix(".prometheusrule.yaml")


def test_runbook_for_every_generated_alert_names_the_thresholds(generated):
    runbooks = generated["example"] / "runbooks"
    rules = [yaml.safe_load(p.read_text()) for p in sorted((generated["example"] / "rules").glob("*.rules.yml"))]
    fired = {r["alert"] for f in rules for g in f["groups"] for r in g["rules"] if "alert" in r}
    assert sorted(p.stem for p in runbooks.glob("*.md")) == sorted(fired), "one runbook per generated alert, none for an alert no chain can fire"
    for name in fired:
        text = (runbooks / f"{name}.md").read_text()
        for section in ("## Meaning", "## Likely causes", "## First checks", "## Mitigation"):
            assert section in text, (name, section)
        assert "| chain | team | severity | for | expression |" in text, name
    lag = (runbooks / "ChainwatchSyncLagHigh.md").read_text()
    assert '`chainwatch_sync_lag_blocks{chain="polygon",role!="reference"} > 30`' in lag


def test_removed_chain_leaves_no_stale_rule_file(tmp_path):
    config = load(SMALL, need_secrets=False)
    generate.write(config, tmp_path)
    assert (tmp_path / "rules" / "chainwatch-devnet.rules.yml").exists()
    text = SMALL.read_text()
    smaller = parse(text[: text.index("  gnosis-beacon:")].replace("team: ops", "team: ops"), "small.yaml", need_secrets=False)
    generate.write(smaller, tmp_path)
    assert not (tmp_path / "rules" / "chainwatch-gnosis-beacon.rules.yml").exists()
    assert not list((tmp_path / "rules" / "tests").glob("chainwatch-gnosis-beacon.*"))


def test_latency_slo_threshold_must_be_a_bucket():
    text = SMALL.read_text().replace("threshold_seconds: 0.25", "threshold_seconds: 0.3")
    config = parse(text, "small.yaml", need_secrets=False)
    with pytest.raises(ValueError, match="not a bucket"):
        generate.build(config)


def test_config_errors_are_still_config_errors():
    with pytest.raises(ConfigError):
        parse(SMALL.read_text().replace("peers_min: 3", "peers_min: -1"), "small.yaml", need_secrets=False)
