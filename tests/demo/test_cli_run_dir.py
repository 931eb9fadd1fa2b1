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
    assert f"error: no demo is running (no {tmp_path / 'state.json'})" in after.stderr
    # After the subcommand it wins over the group's own --run-dir.
    both = CliRunner().invoke(main, ["demo", "--run-dir", str(tmp_path / "other"), *args, "--run-dir", str(tmp_path)])
    assert f"(no {tmp_path / 'state.json'})" in both.stderr


def test_faults_accepts_run_dir_after_the_subcommand(tmp_path):
    listed = CliRunner().invoke(main, ["demo", "faults", "--run-dir", str(tmp_path)])
    assert listed.exit_code == 0, listed.output
    assert "stall-node" in listed.output
