"""What the tests share: servers are started with the product's process helper.

Processes, free ports and tool look-up are :mod:`chainwatch.devnet.procs` (the demo's own,
so a child of a test dies with the test run as a child of the demo dies with the demo);
polling is :mod:`tests.support.poll`. This module adds only what differs in a test: a
missing binary fails the test under CI (``CI=true``, where ``.ci/setup`` must have installed
it) and skips it on a developer machine that lacks it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from chainwatch.devnet.procs import MissingTool, anvil_binary, find_tool, tool_dirs

REPO = Path(__file__).resolve().parents[2]
TOOLS = tool_dirs()[0]  # $CHAINWATCH_TOOLS, else <repo>/.tools: where .ci/setup puts npm tools


def available(lookup: Callable[[], str]) -> str:
    """``lookup()`` (a :mod:`chainwatch.devnet.procs` finder); a :class:`MissingTool` fails or skips."""
    try:
        return lookup()
    except MissingTool as exc:
        if os.environ.get("CI"):
            pytest.fail(str(exc))
        pytest.skip(str(exc))


def require_binary(name: str, *candidates: str | Path) -> str:
    """The first executable of ``candidates``, else ``name`` from the tool dirs or PATH."""
    for c in candidates:
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return str(c)
    return available(lambda: find_tool(name))


def anvil() -> str:
    return available(anvil_binary)
