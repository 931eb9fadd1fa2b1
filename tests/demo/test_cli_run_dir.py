"""``--run-dir`` after a demo subcommand (``chainwatch demo status --run-dir X``), where users type it."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from chainwatch.cli import main


@pytest.mark.parametrize("args", [["status"], ["fault", "stall-node"], ["heal"]], ids=["status", "fault", "heal"])
def test_run_dir_after_the_subcommand_is_the_run_dir_asked(tmp_path, args):
    # No demo runs there: the refusal names that directory's state file, so the option reached it.
    after = CliRunner().invoke(main, ["demo", *args, "--run-dir", str(tmp_path)])
    assert after.exit_code == 1, after.output
    assert f"error: no demo is running (no {tmp_path / 'state.json'}); start one with `chainwatch demo --run-dir {tmp_path}`" in after.stderr
    # After the subcommand it wins over the group's own --run-dir.
    both = CliRunner().invoke(main, ["demo", "--run-dir", str(tmp_path / "other"), *args, "--run-dir", str(tmp_path)])
    assert f"(no {tmp_path / 'state.json'})" in both.stderr


def test_faults_accepts_run_dir_after_the_subcommand(tmp_path):
    listed = CliRunner().invoke(main, ["demo", "faults", "--run-dir", str(tmp_path)])
    assert listed.exit_code == 0, listed.output
    assert "stall-node" in listed.output


def test_the_hint_to_start_a_demo_names_the_run_dir_only_when_it_is_not_the_default(tmp_path, monkeypatch):
    # A demo whose pid is gone: the hint repeats the directory the user asked about.
    gone = tmp_path / "gone dir"
    gone.mkdir()
    (gone / "state.json").write_text('{"pid": 999999999}')
    stale = CliRunner().invoke(main, ["demo", "status", "--run-dir", str(gone)])
    assert stale.exit_code == 1, stale.output
    assert f"is gone; start one with `chainwatch demo --run-dir '{gone}'`" in stale.stderr
    # The default run directory needs no option: the hint is the plain command.
    monkeypatch.setenv("CHAINWATCH_DEMO_DIR", str(tmp_path / "default"))
    plain = CliRunner().invoke(main, ["demo", "heal"])
    assert plain.exit_code == 1, plain.output
    assert plain.stderr.rstrip().endswith("start one with `chainwatch demo`")
