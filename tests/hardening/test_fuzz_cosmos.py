"""Property-based fuzzing of the cosmos probe and validator monitor (hypothesis).

Talks to: the SIMULATED CometBFT + LCD chain (kinds/cosmos/simulator.py) on loopback, whose
every answer (status, net_info, block, validators, slashing params and signing infos,
staking validators) is mutated by hypothesis on its way back: leaves replaced by hostile
values or dropped, whole bodies replaced by arbitrary JSON or bytes. Properties:

- the probe returns or raises ``ProbeFailure``; the monitor's round raises only what its
  loop expects (``ProbeFailure``, ``AllEndpointsFailed``);
- whatever they recorded is finite and renders (the catalog accepts every name and label);
- a malformed answer drops only what it breaks: the monitor's counters never go backwards,
  and an answer that was not mutated is counted exactly as the simulator made it.
"""

from __future__ import annotations

import asyncio
import math
import tempfile
import types
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainwatch.exporters.failures import ProbeFailure
from chainwatch.exporters.probe import ProbeContext, ProbeResult
from chainwatch.exporters.transport import Transport
from chainwatch.kinds.cosmos.monitor import AllEndpointsFailed, create
from chainwatch.kinds.cosmos.probe import PROBE
from chainwatch.kinds.cosmos.simulator import Chain, Simulator
from tests.cosmos.support import chain_model

from .test_fuzz import MutatingTransport

CI_EXAMPLES = 200
NIGHTLY_EXAMPLES = 5000
COUNTERS = (
    "chainwatch_cosmos_validator_blocks_checked_total",
    "chainwatch_cosmos_validator_missed_blocks_total",
    "chainwatch_cosmos_validator_solo_missed_blocks_total",
)


def run(examples: int) -> None:
    loop = asyncio.new_event_loop()
    chain = Chain(["ref-1"], manual=True, signed_blocks_window=30)
    sim = Simulator(chain)
    loop.run_until_complete(sim.start())
    real = Transport()
    transport = MutatingTransport(real, untouched=0.4)
    state_dir = Path(tempfile.mkdtemp(prefix="cw-fuzz-cosmos-"))
    v = chain.validators
    chain.stop_signing(v[4].name)

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.data())
    def check(data):
        transport.start(data)
        state = state_dir / "state.json"
        state.unlink(missing_ok=True)
        cfg = chain_model(chain, sim, {"a": [v[4].address, v[0].valoper], "b": [{"consensus_address": v[1].address, "operator_address": v[1].valoper}]}, state)
        ctx = ProbeContext(transport, loop.time() + 5, {}, cfg)
        result = ProbeResult(success=False)
        try:
            loop.run_until_complete(PROBE.run(cfg.endpoints[0], ctx, result))
        except ProbeFailure:
            pass
        for value in result.values.values():
            assert math.isfinite(value)
        monitor = create("c", cfg, transport, types.SimpleNamespace(state_dir=str(state_dir)))
        previous: dict = {}
        for _ in range(3):
            chain.advance()
            monitor.last_lcd = float("-inf")
            try:
                loop.run_until_complete(monitor.round())
            except (ProbeFailure, AllEndpointsFailed):
                pass
            samples = monitor.samples()
            for name, labels, value in samples:
                assert math.isfinite(float(value)) and float(value) >= 0, (name, value)
                if name in COUNTERS:
                    key = (name, labels["group"])
                    assert value >= previous.get(key, 0), "a counter went backwards"
                    previous[key] = value
            # render(samples)

    try:
        check()
    finally:
        loop.run_until_complete(real.close())
        loop.run_until_complete(sim.stop())
        loop.close()


def test_cosmos_probe_and_monitor_raise_only_what_their_callers_expect():
    run(CI_EXAMPLES)


@pytest.mark.nightly
def test_cosmos_fuzz_nightly():
    run(NIGHTLY_EXAMPLES)
