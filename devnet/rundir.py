"""Where a demo keeps its state, and the command that names that place to another terminal."""

from __future__ import annotations

import os
import shlex
import tempfile
from pathlib import Path


def default_run_dir() -> Path:
    """``$CHAINWATCH_DEMO_DIR``, else ``$TMPDIR/chainwatch-demo-<uid>``."""
    return Path(os.environ.get("CHAINWATCH_DEMO_DIR") or Path(tempfile.gettempdir()) / f"chainwatch-demo-{os.getuid()}")


def demo_command(run_dir: Path | str) -> str:
    """``chainwatch demo``, with ``--run-dir`` when ``run_dir`` is not the default: another
    terminal finds a demo only by its run directory."""
    if Path(run_dir) == default_run_dir():
        return "chainwatch demo"
    return f"chainwatch demo --run-dir {shlex.quote(str(run_dir))}"
