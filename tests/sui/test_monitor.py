"""The Sui validator monitor (GetEpoch: active set and peer reports) against the SIMULATED Sui
network (loopback), over gRPC-web and native gRPC. No sui-node runs here."""

from __future__ import annotations

import time
import types

import pytest

from chainwatch.exporters.failures import ProbeFailure
from chainwatch.exporters.transport import Transport
from chainwatch.kinds.sui.config import SuiChain
from chainwatch.kinds.sui.monitor import SuiMonitor
from chainwatch.kinds.sui.simulator import CHAIN_ID, Chain, Simulator


@pytest.fixture
async def transport():
    t = Transport()
    yield t
    await t.close()


def monitor(chain: Chain, sim: Simulator, transport, kind: str, **validators) -> SuiMonitor:
    url = (lambda n: chain.grpc_url(n)) if kind == "grpc" else sim.url
    groups = {"ops": [{"name": "ours", "address": chain.vals[1].address}, {"name": "other", "address": chain.vals[2].address}]}
    cfg = SuiChain.model_validate(
        {
            "kind": "sui",
            "network": "simnet",
            "chain_id": CHAIN_ID,
            "endpoints": [{"name": n, "url": url(n), "transport": kind, "role": "reference" if "ref" in n else "node"} for n in chain.nodes],
            "validators": {"groups": groups, **validators},
        }
    )
    return SuiMonitor("sim", cfg, transport, types.SimpleNamespace(default_timeout_seconds=5), interval=1)


def sample(m: SuiMonitor, name: str, **labels) -> float | None:
    for metric, got, value in m.samples():
        if metric == name and all(got.get(k) == v for k, v in labels.items()):
            return value
    return None


@pytest.mark.parametrize("kind", ["grpc-web", "grpc"])
async def test_reports_and_membership_of_the_watched_validators(transport, kind):
    chain = Chain(["sui-ref-1"], manual=True, validators=4, epoch_checkpoints=1000)
    async with Simulator(chain) as sim:
        m = monitor(chain, sim, transport, kind)
        await m.cycle()
        assert sample(m, "chainwatch_sui_validators", group="ops", state="active") == 2
        assert sample(m, "chainwatch_sui_validator_reported_voting_power_ratio", group="ops") == 0
        epoch_end = (chain.height // 1000 + 1) * 1000 * chain.checkpoint_seconds  # seconds after the epoch's first checkpoint
        assert 0 < sample(m, "chainwatch_sui_epoch_remaining_seconds") <= epoch_end
        chain.control({"action": "report", "validator": "val-2", "by": 2})  # 2 of 4 equal validators: half the voting power
        chain.control({"action": "leave", "validator": "val-3"})
        await m.cycle()
    assert sample(m, "chainwatch_sui_validators_reported", group="ops") == 1
    # val-1 and val-3 reported val-2; val-3 then left the set: only val-1's 2500 of the 7500 left count
    assert sample(m, "chainwatch_sui_validator_reported_voting_power_ratio", group="ops") == pytest.approx(1 / 3, abs=1e-3)
    assert sample(m, "chainwatch_sui_validators", group="ops", state="not_active") == 1


async def test_reports_lapse_at_the_epoch_change(transport):
    chain = Chain(["sui-ref-1"], manual=True, validators=4, epoch_checkpoints=10, start_height=101)
    async with Simulator(chain) as sim:
        m = monitor(chain, sim, transport, "grpc-web")
        chain.control({"action": "report", "validator": "val-2", "by": 3})
        await m.cycle()
        assert sample(m, "chainwatch_sui_validator_reported_voting_power_ratio", group="ops") == 0.75
        while chain.height % 10:
            chain.tick()
        await m.cycle()
    assert sample(m, "chainwatch_sui_validator_reported_voting_power_ratio", group="ops") == 0
    assert m.epoch == chain.height // 10


async def test_a_failing_endpoint_falls_back_and_a_token_refusal_is_auth(transport, tmp_path):
    chain = Chain(["sui-1", "sui-ref-1"], manual=True, token="t0k")
    async with Simulator(chain) as sim:
        m = monitor(chain, sim, transport, "grpc-web", endpoint="sui-ref-1", fallbacks=["sui-1"])
        with pytest.raises(ProbeFailure) as failure:
            await m.cycle()  # no token_file: both refuse
        assert failure.value.reason == "auth"
        chain.token = None
        chain.control({"action": "jsonrpc_only", "node": "sui-ref-1"})
        started = time.time()
        await m.cycle()
    assert m.endpoint.name == "sui-1" and m.last_success >= started
