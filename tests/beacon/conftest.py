import time

import pytest

from .lodestar import Lodestar, ensure_installed


@pytest.fixture(scope="session")
def lodestar_install():
    seconds = ensure_installed()
    if seconds:
        print(f"\nLodestar 1.5.1 installed in {seconds:.1f}s")
    return seconds


@pytest.fixture(scope="module")
def devchain(lodestar_install, tmp_path_factory):
    """8 genesis validators, 0..5 running in the node's process, 6 and 7 never started.

    2 s slots, as in the demo: with 1 s slots a loaded 2-core machine made a running
    validator miss an attestation now and then, and the tests assert that 0..5 never miss.
    Altair from genesis, so the 8 validators fill the sync committee (32 positions, minimal preset).
    """
    started = time.monotonic()
    node = Lodestar(tmp_path_factory.mktemp("lodestar"), start_validators="0..5", seconds_per_slot=2, params={"ALTAIR_FORK_EPOCH": 0})
    node.ready_seconds = time.monotonic() - started
    try:
        yield node
    finally:
        node.stop()
