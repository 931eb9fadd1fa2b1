"""Property-based fuzzing of the beacon validator monitor's response parsing.

A monitor runs in the background every slot; an exception other than the ones its loop
expects (``ProbeFailure``, ``AllEndpointsFailed``: logged as one warning per minute) is
logged with ``log.exception`` at ERROR on every round. So: whatever the node answers, a
step raises only those, and its samples stay exportable.

The node is the beacon helper's simulated node (tests/beacon/fakebeacon.py) on a loopback
server; hypothesis mutates each real answer on its way back (leaves replaced by hostile
values or dropped, whole bodies replaced by arbitrary JSON or bytes).
"""

from __future__ import annotations

import asyncio
import json
import math
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainwatch.assembly.config import parse
from chainwatch.exporters.exposition import render
from chainwatch.exporters.failures import ProbeFailure
from chainwatch.exporters.transport import Transport
from chainwatch.exporters.monitors import monitor_for
from chainwatch.kinds.beacon.monitor import AllEndpointsFailed
from tests.beacon.fakebeacon import PUBKEYS, FakeBeacon, Validator
from tests.support.fakeserver import FakeServer

from .test_fuzz import MutatingTransport

CI_EXAMPLES = 300
NIGHTLY_EXAMPLES = 5000


@pytest.fixture(scope="module")
def node():
    fake = FakeBeacon(validators={i: Validator(i) for i in range(8)}, offline={6, 7})
    fake.duties[6] = [(6 * fake.slots_per_epoch + 4, 7)]
    with FakeServer() as srv:
        fake.install(srv)
        fake.srv = srv
        yield fake


def run(node, examples: int):
    loop = asyncio.new_event_loop()
    real = Transport()
    transport = MutatingTransport(real)
    state_dir = Path(tempfile.mkdtemp(prefix="cw-fuzz-monitor-"))

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
    )
    @given(st.data())
    def check(data):
        transport.start(data)
        state = state_dir / "state.json"
        state.unlink(missing_ok=True)
        text = json.dumps(
            {
                "chains": {
                    "cl": {
                        "kind": "beacon",
                        "network": "mainnet",
                        "endpoints": [{"name": "bn-1", "url": node.srv.url("")}],
                        "validators": {
                            "endpoint": "bn-1",
                            "state_file": str(state),
                            "per_validator_metrics": True,
                            "groups": {"online": [0, 1, 2, 3, 4, 5], "offline": [6, PUBKEYS[7]]},
                        },
                    }
                }
            }
        )
        config = parse(text, env={})
        monitor = monitor_for("cl", config.chains["cl"], transport, config.exporter)
        for epoch, slot in ((6, 9), (7, 9), (7, 20)):
            try:
                loop.run_until_complete(monitor.step(now=node.time_at(epoch, slot)))
            except (ProbeFailure, AllEndpointsFailed):
                pass
            samples = monitor.samples()
            for _, _, value in samples:
                assert math.isfinite(float(value))
            render(samples)

    try:
        check()
    finally:
        loop.run_until_complete(real.close())
        loop.close()


def test_beacon_monitor_steps_raise_only_what_its_loop_expects(node):
    run(node, CI_EXAMPLES)


@pytest.mark.nightly
def test_beacon_monitor_nightly(node):
    run(node, NIGHTLY_EXAMPLES)
