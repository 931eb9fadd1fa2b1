"""A chain kind plugs in with no edit to any other file (issue #27).

The throwaway kind (``tests/support/throwaway_kind/``: config model, one metric, probe, one
alert and its runbook, dashboard, simulator, demo part on ``SimulatedPart``, healthy upstream)
is registered from the tests (``kinds.register``, the plugin ``tests.support.throwaway_kind.plugin``)
in a fresh interpreter, because the config model, the metric catalog and the alert names are
assembled from the registry at first import. There it goes through what a user does with a kind:

- the conformance test (tests/test_conformance.py): config round trip, generate, dashboard,
  docs, one probe against its upstream;
- ``chainwatch generate`` on the example config, which does not use it: every generated file
  byte-identical to the committed ``examples/generated/`` (a kind no chain uses adds nothing);
- ``chainwatch generate`` on a config of its demo chain: the rules pass ``promtool check rules``
  and their generated ``promtool test rules``;
- the demo orchestrator (``devnet.stack.Stack``) plans its part and starts and stops its simulator;
- ``chainwatch check`` against that simulator prints its endpoints and exits 0;
- the exporter serves its metric: ``chainwatch_throwaway_answer`` follows the simulator's answer.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from chainwatch import kinds
from chainwatch.devnet.procs import http_json
from chainwatch.devnet.stack import Options, Stack
from tests.support import REPO, require_binary
from tests.support.configs import IMMEDIATE, config_text
from tests.support.served import ServedExporter

PLUGIN = "tests.support.throwaway_kind.plugin"
NAME = "throwaway"
ALERT = "ChainwatchThrowawayAnswerLow"
registered = pytest.mark.skipif(NAME not in kinds.NAMES, reason="runs in the interpreter that registered the throwaway kind")


@pytest.mark.skipif(NAME in kinds.NAMES, reason="the inner run")
def test_a_kind_registered_from_a_test_module_goes_through_everything_with_no_other_edit():
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", PLUGIN, "-p", "no:cacheprovider", "-m", "not nightly", "-q", "-rA",
         "tests/test_conformance.py", "-k", NAME, __file__],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    passed = {line.split("::")[-1] for line in run.stdout.splitlines() if line.startswith("PASSED")}
    conformance = (
        "test_config_round_trips",
        "test_generate_covers_every_declared_alert",
        "test_dashboard_renders",
        "test_documented",
        "test_probe_succeeds_once_against_its_answer_table",
    )
    expected = {f"{name}[{NAME}]" for name in conformance} | {
        "test_generate_of_a_config_without_it_is_byte_identical",
        "test_its_generated_rules_pass_promtool",
        "test_the_demo_plans_starts_and_stops_its_part",
        "test_check_probes_its_endpoints",
        "test_serve_exposes_its_metric",
    }
    assert expected <= passed, f"missing: {sorted(expected - passed)}\n" + run.stdout[-4000:]


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _cli(*args: str):
    from chainwatch.cli import main

    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@registered
def test_generate_of_a_config_without_it_is_byte_identical(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)  # the generated headers name the config as the committed output was made: examples/chainwatch.yaml
    result = _cli("generate", "--config.file", "examples/chainwatch.yaml", "--out", str(tmp_path), "--no-check-secret-files")
    assert result.exit_code == 0, result.output
    fresh, committed = _tree(tmp_path), _tree(REPO / "examples" / "generated")
    assert sorted(fresh) == sorted(committed), f"added {sorted(set(fresh) - set(committed))}, missing {sorted(set(committed) - set(fresh))}"
    assert [name for name in fresh if fresh[name] != committed[name]] == []


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """The demo orchestrator with only the throwaway part started (the others are left out)."""
    run_dir = tmp_path_factory.mktemp("demo")
    (run_dir / "logs").mkdir()
    others = frozenset(p.name for p in kinds.demo_parts() if p.name != NAME and not p.base)
    stack = Stack(Options(run_dir=run_dir, without=others))
    stack.plan()
    part = stack.part(NAME)
    part.start()
    try:
        yield stack
    finally:
        part.stop()


def _chains(stack) -> dict:
    slo = {"availability": 0.5, "latency": {"threshold_seconds": 0.5, "target": 0.5}, "freshness": {"target": 0.5}}  # the demo's relaxed SLO
    # without the demo's team (its config has the team's receivers): the default team
    return {name: {k: v for k, v in block.items() if k != "team"} for name, block in stack.part(NAME).chain_blocks(slo).items()}


@registered
def test_its_generated_rules_pass_promtool(stack, tmp_path):
    config = tmp_path / "chainwatch.yaml"
    config.write_text(config_text(_chains(stack)))
    result = _cli("generate", "--config.file", str(config), "--out", str(tmp_path / "out"), "--only", "rules")
    assert result.exit_code == 0, result.output
    rules = sorted((tmp_path / "out" / "rules").glob("*.rules.yml"))
    text = "".join(p.read_text() for p in rules)
    assert ALERT in text and (tmp_path / "out" / "runbooks" / f"{ALERT}.md").is_file()
    promtool = require_binary("promtool")
    checked = subprocess.run([promtool, "check", "rules", *map(str, rules)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # its own alert's generated tests (the shared alerts' are run over the example in tests/test_rules.py)
    tests_dir = tmp_path / "out" / "rules" / "tests"
    files = [yaml.safe_load(path.read_text()) for path in sorted(tests_dir.glob("*.yml"))]
    document = next((f for f in files if ALERT in str(f["tests"])), None)
    assert document is not None, f"no generated promtool test of {ALERT}"
    own = [t for t in document["tests"] if ALERT in str(t.get("alert_rule_test"))]
    (tests_dir / "own.yml").write_text(yaml.safe_dump({**document, "tests": own}, sort_keys=False))
    tested = subprocess.run([promtool, "test", "rules", "own.yml"], cwd=tests_dir, capture_output=True, text=True)
    assert tested.returncode == 0, tested.stdout[-3000:] + tested.stderr[-2000:]


@registered
def test_the_demo_plans_starts_and_stops_its_part(tmp_path):
    run_dir = tmp_path / "demo"
    (run_dir / "logs").mkdir(parents=True)
    others = frozenset(p.name for p in kinds.demo_parts() if p.name != NAME and not p.base)
    stack = Stack(Options(run_dir=run_dir, without=others))
    stack.plan()
    part = stack.part(NAME)
    assert part in stack.running and "throwaway-sim" in stack.chains and "throwaway-sim" in stack.components
    part.start()
    try:
        assert stack.components["throwaway-sim"].status == "up" and part.state["nodes"] == ["thr-1", "thr-ref-1"]
        part.send(stack, {"action": "answer", "value": 41})
        assert http_json(part.url + "/thr-1")["answer"] == 41
    finally:
        part.stop()
    assert stack.components["throwaway-sim"].status == "stopped"
    assert stack.components["throwaway-sim"].proc.proc.poll() is not None


@registered
def test_check_probes_its_endpoints(stack, tmp_path):
    config = tmp_path / "chainwatch.yaml"
    config.write_text(config_text(_chains(stack)))
    result = _cli("check", "--config.file", str(config), "--timeout", "20")
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.startswith("throwaway-sim")]
    assert len(rows) == 2 and all(" ok" in row or "ok" in row.split()[-1] for row in rows), result.output


@registered
async def test_serve_exposes_its_metric(stack):
    chains = _chains(stack)
    async with ServedExporter(config_text(chains, exporter=IMMEDIATE)) as ex:
        await ex.until(lambda s: s.value("chainwatch_throwaway_answer", endpoint="thr-1") == 42, 20, "the answer served")
        stack.part(NAME).send(stack, {"action": "answer", "value": 41})
        try:
            await ex.until(lambda s: s.value("chainwatch_throwaway_answer", endpoint="thr-1") == 41, 20, "the new answer served")
        finally:
            stack.part(NAME).send(stack, {"action": "answer", "value": 42})
        status, text = await ex.get("/metrics")
    checked = subprocess.run([require_binary("promtool"), "check", "metrics"], input=text, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
