"""Conformance: every registered chain kind goes through what a user does with it (issue #27).

Parametrized by :data:`chainwatch.kinds.NAMES` (never a list of kinds here), each kind's own
minimal chain (``ChainKind.example``, declared in its package) must:

- round-trip through the config: chainwatch.yaml text → the kind's model → dumped → the same model;
- generate rules, dashboards and Alertmanager config for a config of that one chain (plus the
  chains it links, taken from whichever registered kind's example the config accepts), with
  every alert the kind declares in the rules, with a runbook and a generated promtool test;
- render its own dashboard (Grafana JSON with panels, every query naming a catalog series);
- be documented: its metrics in docs/metrics.md, its config models and fields in docs/config.md;
- be probed by the exporter serving that config, its node the kind's healthy upstream (its
  test package's ``upstream.py``, :func:`tests.support.answers.upstream`), with
  ``chainwatch_probe_success 1``;
- with the ``divergence`` capability: compare that node's block hash with a reference's.

A kind registered from a test module goes through the same (tests/test_throwaway_kind.py).

promtool itself runs in tests/test_rules.py over the example config; here only presence is
checked so each kind takes well under a second.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
import yaml

from chainwatch import kinds
from chainwatch.alertmanager import generate as alertmanager_generate
from chainwatch.assembly import configdoc, metricsdoc
from chainwatch.assembly.config import ConfigError, parse
from chainwatch.dashboards import generate as dashboards_generate
from chainwatch.exporters.exposition import render, round_samples
from chainwatch.exporters.scheduler import Scheduler
from chainwatch.exporters.transport import Transport
from chainwatch.rules import generate as rules_generate
from tests.support import REPO, answers
from tests.support.configs import IMMEDIATE, config_text
from tests.support.served import ServedExporter
from tests.support.stack import Samples

URL = "http://127.0.0.1:9/"  # never dialled: generating reads the config only
CHAIN = "conformance"


def one_chain_config(kind, url: str = URL, linked_url: str = URL) -> tuple[str, dict]:
    """chainwatch.yaml text with the kind's example chain and the chains it brings along
    (``ChainKind.example_linked``), plus a chain for each name it links (of the first registered
    kind whose example the config accepts there), and the example."""
    assert kind.example is not None, f"kind {kind.name}: no example chain (ChainKind.example)"
    own = kind.example(url)
    chains = {CHAIN: own, **(kind.example_linked(url) if kind.example_linked else {})}
    linked = kind.config.model_validate(own).linked_chains()
    if linked:
        for candidate in kinds.all_kinds():
            if candidate.example is None or candidate.name == kind.name:
                continue
            trial = dict(chains)
            for other in linked:
                linked_chain = candidate.example(linked_url)
                # endpoint names are unique across a config's chains (they are the /probe target)
                linked_chain["endpoints"] = [{**e, "name": f"{other}-{e['name']}"} for e in linked_chain["endpoints"]]
                trial[other] = linked_chain
            try:
                parse(yaml.safe_dump({"chains": trial}, sort_keys=False), env={}, need_secrets=False)
            except ConfigError:
                continue
            chains = trial
            break
        else:
            raise AssertionError(f"kind {kind.name}: no registered kind's example fits its linked chains {linked}")
    return yaml.safe_dump({"chains": chains}, sort_keys=False), own


@pytest.fixture(scope="module", params=kinds.NAMES)
def kind(request):
    return kinds.get(request.param)


@pytest.fixture(scope="module")
def generated(kind, tmp_path_factory) -> Path:
    """``chainwatch generate`` (rules, dashboards, Alertmanager) of the kind's one-chain config."""
    out = tmp_path_factory.mktemp(f"generated-{kind.name}")
    config = parse(one_chain_config(kind)[0], env={}, need_secrets=False)
    for generator in (rules_generate, dashboards_generate, alertmanager_generate):
        assert generator.write(config, out), f"{generator.__name__} wrote nothing"
    return out


def test_config_round_trips(kind):
    text, own = one_chain_config(kind)
    config = parse(text, env={}, need_secrets=False)
    chain = config.chains[CHAIN]
    assert chain.kind == kind.name and isinstance(chain, kind.config)
    dumped = chain.model_dump(mode="json", exclude_unset=True)
    again = kind.config.model_validate(dumped)
    assert again.model_dump(mode="json") == chain.model_dump(mode="json")
    for field, value in own.items():
        if field != "endpoints":
            assert dumped[field] == value, f"{kind.name}: {field} did not survive the round trip"


def test_generate_covers_every_declared_alert(kind, generated):
    out = generated
    rules = [yaml.safe_load(p.read_text()) for p in sorted((out / "rules").glob("*.rules.yml"))]
    generated = {r["alert"]: r for f in rules for g in f["groups"] for r in g["rules"] if "alert" in r}
    tested = set()
    for path in sorted((out / "rules" / "tests").glob("*.yml")):
        for test in yaml.safe_load(path.read_text())["tests"]:
            tested |= {case["alertname"] for case in test.get("alert_rule_test", [])}
    for spec in kind.alert_specs():
        assert spec.name in generated, f"{kind.name}: {spec.name} declared but not generated for {kind.name}'s example chain"
        assert generated[spec.name]["annotations"]["runbook_url"].endswith(f"{spec.name}.md")
        runbook = out / "runbooks" / f"{spec.name}.md"
        assert runbook.is_file() and runbook.read_text().strip(), f"{kind.name}: no runbook for {spec.name}"
        assert spec.name in tested, f"{kind.name}: no generated promtool test for {spec.name}"
    assert (out / "alertmanager" / "alertmanager.yml").is_file()


def test_dashboard_renders(kind, generated):
    config = parse(one_chain_config(kind)[0], env={}, need_secrets=False)
    board = json.loads(json.dumps(kind.dashboard()(config, CHAIN, config.chains[CHAIN]), default=str))
    panels = [p for p in board.get("panels", []) for p in [p, *p.get("panels", [])]]
    exprs = [t["expr"] for p in panels for t in p.get("targets", []) if t.get("expr")]
    assert board.get("uid") and panels and exprs, f"{kind.name}: empty dashboard"
    written = generated / "dashboards"
    assert any(CHAIN in p.name for p in written.rglob("*.json")), f"{kind.name}: generate wrote no dashboard for the chain"


def docs(kind) -> tuple[str, str]:
    """docs/metrics.md and docs/config.md; for a kind registered from outside (not in the
    committed docs without an edit) what the doc renderers make of the registry, which the
    committed docs are drift-checked against (tests/exporter/test_catalog_and_packaging.py)."""
    if kind.home:
        return metricsdoc.render(), configdoc.render()
    return (REPO / "docs" / "metrics.md").read_text(), (REPO / "docs" / "config.md").read_text()


def test_documented(kind):
    metrics_doc, config_doc = docs(kind)
    missing = [m.name for m in kind.metrics if f"`{m.name}`" not in metrics_doc]
    assert not missing, f"{kind.name}: metrics not in docs/metrics.md: {missing}"
    sections = dict(re.findall(r"^## (\w+)\n(.*?)(?=^## |\Z)", config_doc, flags=re.S | re.M))
    for model in (kind.config, *kind.config_models):
        assert model.__name__ in sections, f"{kind.name}: {model.__name__} has no section in docs/config.md"
        inherited = {f for base in model.__mro__[1:] for f in getattr(base, "model_fields", {})}  # documented with the base
        undocumented = [f for f in model.model_fields if f not in inherited and f"| `{f}` |" not in sections[model.__name__]]
        assert not undocumented, f"{kind.name}: {model.__name__} fields not in docs/config.md: {undocumented}"


async def test_probe_succeeds_once_against_its_answer_table(kind):
    """The exporter serving the kind's example chain, its one node answering from the kind's
    table or simulator (``tests/<kind>/upstream.py``): the probe succeeds."""
    upstream = answers.upstream(kind)
    assert upstream is not None, f"{kind.name}: no healthy upstream (UPSTREAM of tests/{kind.name}/upstream.py)"
    async with upstream() as urls:
        url, linked_url = (urls, urls) if isinstance(urls, str) else urls
        chains = yaml.safe_load(one_chain_config(kind, url, linked_url)[0])["chains"]
        text = config_text(chains, exporter=IMMEDIATE)
        async with ServedExporter(text) as ex:
            await ex.until(lambda s: s.value("chainwatch_probe_success", endpoint="node-1") == 1, 20, f"{kind.name}: probe success")


async def test_divergence_hook_compares_a_node_with_its_reference(kind):
    """A kind with the ``divergence`` capability: its example node and a reference, both
    answering from the kind's table, are compared by block hash within three rounds (heads;
    the reference asked; the node compared) and the node is not diverged."""
    if "divergence" not in kind.capabilities:
        pytest.skip(f"{kind.name}: no divergence capability")
    async with answers.upstream(kind)() as url:
        own = kind.example(url)
        own["endpoints"] = [*own["endpoints"], {**own["endpoints"][0], "name": "ref-1", "role": "reference"}]
        config = parse(config_text({CHAIN: own}, exporter=IMMEDIATE), env={})
        transport = Transport()
        scheduler = Scheduler(config, transport)
        try:
            for _ in range(3):
                deadline = asyncio.get_running_loop().time() + 10
                snap = await scheduler.round(list(scheduler.states.values()), [CHAIN], deadline)
        finally:
            await transport.close()
    samples = Samples.parse(render(round_samples(snap)).decode())
    assert samples.value("chainwatch_block_hash_compared_height", endpoint="node-1") > 0, f"{kind.name}: node not compared"
    assert samples.value("chainwatch_block_hash_diverged", endpoint="node-1") is None  # matching: only the height
