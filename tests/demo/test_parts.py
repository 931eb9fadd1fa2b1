"""The demo asks the registry for the kinds' demo parts: a part plugs in with no edit to devnet/.

A throwaway part (a stand-in kind's ``demo.py``) added to the registry's answer runs, is left
out with ``--no-<name>``, says why when what it needs is missing, and writes its chain block
in its place; its faults say which piece is not running.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chainwatch import kinds
from chainwatch.devnet.part import DURATIONS, TEAM, DemoPart, Fault, FaultUnavailable
from chainwatch.devnet.procs import MissingTool
from chainwatch.devnet.stack import Options, Stack


class Toy(DemoPart):
    name = "toy"
    what = "the toy simulator"
    flag_help = "Do not start the toy chain."
    order = 35
    chains = ("toy-sim",)
    why_missing: str | None = None

    def missing(self) -> str | None:
        return self.why_missing

    def components(self):
        return (("toy-sim", "process"),)

    def chain_blocks(self, slo: dict) -> dict[str, dict]:
        return {"toy-sim": {"kind": "toy", "team": TEAM, "thresholds": {"durations": DURATIONS}, "slo": slo}}


TOY_FAULT = Fault("toy-halt", "the toy chain stops", "toy-sim", ("ChainwatchChainHalted",), (), {"chain": "toy-sim"}, "chain_halt", lambda s: 1, print, print)


@pytest.fixture
def with_toy(monkeypatch):
    real = kinds.demo_parts()
    monkeypatch.setattr(kinds, "demo_parts", lambda: tuple(sorted((*real, Toy), key=lambda p: p.order)))
    others = frozenset(p.name for p in real if not p.base)
    yield others
    Toy.why_missing = None


def _stack(tmp_path: Path, **options) -> Stack:
    stack = Stack(Options(run_dir=tmp_path, **options))
    stack.plan()
    return stack


def test_a_new_part_runs_and_writes_its_chain_after_the_base(tmp_path, with_toy):
    stack = _stack(tmp_path, without=with_toy)
    assert stack.chains == [stack.base.chain, "toy-sim"]
    assert "toy-sim" in stack.components and "toy" not in stack.skipped
    stack.base.endpoints = {n: "http://127.0.0.1:9/" for n in ("ref-1", "ref-2", "node-1", "node-2", "node-3", "node-4")}  # not started
    assert list(stack.demo_config()["chains"]) == [stack.base.chain, "toy-sim"]
    TOY_FAULT.available(stack)


def test_a_new_part_is_left_out_with_its_flag_and_its_faults_say_so(tmp_path, with_toy):
    stack = _stack(tmp_path, without=with_toy | {"toy"})
    assert stack.chains == [stack.base.chain] and stack.skipped["toy"] == "disabled with --no-toy"
    with pytest.raises(FaultUnavailable, match="toy-halt needs the toy simulator, which is not running: disabled with --no-toy"):
        TOY_FAULT.available(stack)


def test_a_part_missing_what_it_needs_is_skipped_unless_required(tmp_path, with_toy):
    Toy.why_missing = "toyd is not installed"
    assert _stack(tmp_path, without=with_toy).skipped["toy"] == "toyd is not installed"
    with pytest.raises(MissingTool, match="toyd is not installed"):
        _stack(tmp_path, without=with_toy, require=frozenset({"toy"}))


def test_every_part_but_the_base_has_its_no_flag():
    from click.testing import CliRunner

    from chainwatch.devnet.cli import demo

    out = CliRunner().invoke(demo, ["--help"]).output
    for part in kinds.demo_parts():
        assert (f"--no-{part.name}" in out) is not part.base, part.name
