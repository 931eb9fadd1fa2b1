"""Divergence (issue #33): a node on another chain at the same height, found by block hash.

Real anvils that share a history and then mine different blocks at the same heights, probed
through the real scheduler round after round; the comparison rules themselves on results
built by hand (majority, a reference split, skipped heights, the last verdict kept).
"""

from __future__ import annotations

import asyncio

import pytest
import yaml

from chainwatch.assembly.config import parse
from chainwatch.devnet.procs import Proc, free_port, rpc
from chainwatch.exporters.divergence import Tracker
from chainwatch.exporters.exposition import render, round_samples
from chainwatch.exporters.probe import ProbeResult
from chainwatch.exporters.scheduler import Scheduler
from chainwatch.exporters.transport import Transport

from tests.support import anvil
from tests.support.configs import anvil_chain, node_at, ref_at
from tests.support.poll import StopWaiting, wait_until

GENESIS = 1_700_000_000  # --timestamp: the same genesis block on every anvil
DEV_ACCOUNT = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"


class ManualAnvil(Proc):
    """An anvil that mines only when told, at the timestamps it is told: two of them given the
    same calls build the same blocks (same hashes), and differ from the first differing call."""

    def __init__(self, log_dir, name: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [anvil(), "--host", "127.0.0.1", "--port", str(self.port), "--timestamp", str(GENESIS), "--no-mining", "--silent"]
        super().__init__(name, args, log=log_dir / f"{name}-{self.port}.log")
        self.start()

        def answers():
            if self.proc.poll() is not None:
                raise StopWaiting(f"anvil exited with {self.proc.returncode}")
            return rpc(self.url, "eth_blockNumber", timeout=1)

        wait_until(answers, 15, f"anvil {name} answering", interval=0.05, errors=(OSError,))

    def mine(self, first: int, count: int) -> None:
        """Blocks ``first`` .. ``first + count - 1``, block n stamped GENESIS + n."""
        for n in range(first, first + count):
            rpc(self.url, "evm_mine", [GENESIS + n])

    def send(self) -> None:
        rpc(self.url, "eth_sendTransaction", [{"from": DEV_ACCOUNT, "to": DEV_ACCOUNT, "value": "0x1"}])

    def hash_at(self, height: int) -> str:
        return rpc(self.url, "eth_getBlockByNumber", [hex(height), False])["hash"]


@pytest.fixture
def anvils(tmp_path):
    started = []
    try:
        for name in ("ref-a", "ref-b", "node-1", "node-2"):
            started.append(ManualAnvil(tmp_path, name))
        yield started
    finally:
        for a in started:
            a.stop()


def _value(text: str, metric: str, **labels: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(metric + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


@pytest.mark.anvil
def test_a_node_on_its_own_blocks_at_the_same_heights_is_diverged_and_the_others_not(anvils):
    ref_a, ref_b, good, bad = anvils
    for a in anvils:
        a.mine(1, 10)  # the shared history
    assert len({a.hash_at(10) for a in anvils}) == 1
    bad.send()  # from here on node-2 mines its own blocks: a transaction the others never see
    for a in anvils:
        a.mine(11, 10)
    assert bad.hash_at(14) != ref_a.hash_at(14) == ref_b.hash_at(14) == good.hash_at(14)
    assert bad.hash_at(10) == ref_a.hash_at(10)

    chain = anvil_chain(ref_at(ref_a.url, "ref-a"), ref_at(ref_b.url, "ref-b"), node_at(good.url, "node-1"), node_at(bad.url, "node-2"))
    text = yaml.safe_dump({"exporter": {"min_probe_interval_seconds": 0, "reference_max_age_seconds": 0}, "chains": {"devnet": chain}})
    config = parse(text, env={})

    async def rounds() -> list[str]:
        transport = Transport()
        scheduler = Scheduler(config, transport)
        out = []
        try:
            for _ in range(3):  # 1: heads; 2: references asked the height; 3: nodes compared
                deadline = asyncio.get_running_loop().time() + 10
                snap = await scheduler.round(list(scheduler.states.values()), ["devnet"], deadline)
                out.append(render(round_samples(snap)).decode())
        finally:
            await transport.close()
        return out

    first, second, third = asyncio.run(rounds())
    assert _value(first, "chainwatch_block_hash_diverged") is None  # nothing compared yet: no series, no false 0
    assert _value(second, "chainwatch_reference_hashes_disagree") == 0
    # Heads 20, EVM confirmation depth 6: compared at 14, four blocks after the split.
    # Only the node that differs has the diverged series (issue #34: no 0 per matching endpoint).
    for endpoint, diverged in (("node-2", 1), ("node-1", None), ("ref-a", None), ("ref-b", None)):
        assert _value(third, "chainwatch_block_hash_diverged", endpoint=endpoint) == diverged, endpoint
        assert _value(third, "chainwatch_block_hash_compared_height", endpoint=endpoint) == 14
    assert _value(third, "chainwatch_reference_hashes_disagree") == 0
    # What hosted Prometheus bills: a matching EVM node of a chain with references, 34 here
    # (35 with chainwatch_peers, which anvil does not report; issue #34: at most 35).
    node_series = [line for line in third.splitlines() if 'endpoint="node-1"' in line and not line.startswith("#")]
    assert len(node_series) <= 35, node_series
    assert _value(third, "chainwatch_sync_lag_blocks", endpoint="node-2") == 0  # synced by height: lag alone sees nothing
    # One JSON-RPC batch per endpoint per round: the hash rides in it.
    assert _value(third, "chainwatch_rpc_requests_total", endpoint="node-2", method="batch") == 3
    assert _value(third, "chainwatch_probe_dropped_values_total", endpoint="node-2") is None


# --------------------------------------------------------------------------- the rules of comparison


def _config(refs: int = 3):
    endpoints = [ref_at(f"http://127.0.0.1:1/{i}", f"ref-{i}") for i in range(refs)] + [node_at("http://127.0.0.1:1/n", "node-1")]
    return parse(yaml.safe_dump({"chains": {"devnet": anvil_chain(*endpoints)}}), env={})


def _answer(head: int, height: int | None = None, hash_: str | None = None) -> ProbeResult:
    r = ProbeResult(True, head_height=head)
    if height is not None:
        r.block_hash = (height, hash_)
    return r


class _State:
    def __init__(self, config, name: str):
        self.chain_name = "devnet"
        self.chain = config.chains["devnet"]
        self.endpoint = next(e for e in self.chain.endpoints if e.name == name)


def test_a_reference_outside_the_majority_is_a_quorum_warning_and_nodes_are_still_judged():
    config = _config(3)
    chain = config.chains["devnet"]
    t = Tracker()
    refs = [(f"ref-{i}", _answer(100, 94, h)) for i, h in enumerate(("0xaa", "0xaa", "0xbb"))]
    agreed, disagree = t.summarise("devnet", chain, refs)
    assert agreed == {"94": "0xaa"} and disagree == 1
    assert t.next_height["devnet"] == 94  # lowest head 100 - depth 6
    odd = _answer(100, 94, "0xbb")
    t.judge(_State(config, "ref-2"), odd)
    assert odd.get("chainwatch_block_hash_diverged") == 1  # role=reference: no page selects it
    node = _answer(100, 94, "0xaa")
    t.judge(_State(config, "node-1"), node)
    assert node.get("chainwatch_block_hash_diverged") is None  # matching: its compared height alone
    assert node.get("chainwatch_block_hash_compared_height") == 94
    assert t.height_for("devnet", chain, _State(config, "node-1").endpoint.role) == 94


def test_without_a_majority_no_node_is_judged():
    config = _config(2)
    t = Tracker()
    agreed, disagree = t.summarise("devnet", config.chains["devnet"], [("ref-0", _answer(50, 40, "0xaa")), ("ref-1", _answer(50, 40, "0xbb"))])
    assert agreed == {} and disagree == 1
    node = _answer(50, 40, "0xbb")
    t.judge(_State(config, "node-1"), node)
    assert node.get("chainwatch_block_hash_diverged") is None


def test_a_height_without_a_block_keeps_the_last_verdict():
    config = _config(1)
    t = Tracker()
    t.summarise("devnet", config.chains["devnet"], [("ref-0", _answer(50, 40, "0xaa"))])
    state = _State(config, "node-1")
    t.judge(state, _answer(50, 40, "0xbb"))
    later = _answer(50, 40, None)  # a skipped slot, or the node not there yet: nothing compared
    t.judge(state, later)
    assert later.get("chainwatch_block_hash_diverged") == 1
    assert later.get("chainwatch_block_hash_compared_height") == 40


def test_a_node_back_on_the_references_chain_loses_its_diverged_series():
    """The series goes (Prometheus marks it stale, NodeDiverged resolves at once), also from a
    result that already showed the old verdict."""
    config = _config(1)
    t = Tracker()
    t.summarise("devnet", config.chains["devnet"], [("ref-0", _answer(50, 40, "0xaa"))])
    state = _State(config, "node-1")
    kept = _answer(50, 40, None)
    t.judge(state, _answer(50, 40, "0xbb"))
    t.judge(state, kept)
    assert kept.get("chainwatch_block_hash_diverged") == 1
    back = _answer(50, 40, "0xaa")
    t.judge(state, back)
    assert back.get("chainwatch_block_hash_diverged") is None and back.get("chainwatch_block_hash_compared_height") == 40
    before = kept.revision
    t.judge(state, kept)
    assert kept.get("chainwatch_block_hash_diverged") is None and kept.revision > before  # its cached rendering is redone


def test_a_chain_without_references_is_not_judged():
    config = parse(yaml.safe_dump({"chains": {"devnet": anvil_chain(node_at("http://127.0.0.1:1/n", "node-1"))}}), env={})
    t = Tracker()
    assert t.summarise("devnet", config.chains["devnet"], [("node-1", _answer(50, 40, "0xaa"))]) == ({}, None)
    assert t.height_for("devnet", config.chains["devnet"], _State(config, "node-1").endpoint.role) is None


def test_a_chain_with_compare_block_hashes_off_is_not_judged():
    """compare_block_hashes: false (references that are not copies of the nodes' chain, as the
    demo's anvils that each mine their own blocks): nothing asked, nothing judged."""
    text = yaml.safe_dump(
        {
            "chains": {
                "devnet": {**anvil_chain(ref_at("http://127.0.0.1:1/r", "ref-1"), node_at("http://127.0.0.1:1/n", "node-1")), "compare_block_hashes": False}
            }
        }
    )
    config = parse(text, env={})
    t = Tracker()
    assert t.summarise("devnet", config.chains["devnet"], [("ref-1", _answer(50, 40, "0xaa"))]) == ({}, None)
    assert t.height_for("devnet", config.chains["devnet"], _State(config, "ref-1").endpoint.role) is None


# --------------------------------------------------------------------------- the kinds' hooks


async def test_hooks_read_hashes_and_no_block():
    """Bitcoin ``getblockhash`` above the tip (-8) is None; beacon ``/eth/v1/beacon/headers/{slot}`` 404 (a slot without a block) is None, not a
    failure; CometBFT's upper-case ``block_id.hash`` compares equal to the same hash in lower case."""
    from chainwatch import kinds
    from chainwatch.exporters.probe import ProbeContext
    from tests.support.answers import bitcoin_results
    from tests.support.fakeserver import FakeServer

    root = "0x" + "c0" * 32
    with FakeServer() as srv:
        srv.route("GET", "/eth/v1/beacon/headers/7", status=404, json_body={"code": 404, "message": "Block not found"})
        srv.route("GET", "/eth/v1/beacon/headers/8", json_body={"data": {"root": root, "canonical": True}})
        srv.route("GET", "/block", json_body={"jsonrpc": "2.0", "id": -1, "result": {"block_id": {"hash": "C0" * 32}}})
        out_of_range = {"code": -8, "message": "Block height out of range"}
        srv.jsonrpc("/btc", bitcoin_results(getblockhash=lambda params: "c0" * 32 if params[0] <= 16 else out_of_range))
        config = parse(
            yaml.safe_dump(
                {
                    "chains": {
                        "b": {"kind": "beacon", "network": "mainnet", "endpoints": [node_at(srv.url("/"), "lh-1")]},
                        "c": {"kind": "cosmos", "network": "mainnet", "chain_id": "cosmoshub-4", "endpoints": [node_at(srv.url("/"), "hub-1")]},
                        "t": {"kind": "bitcoin", "network": "mainnet", "chain": "main", "endpoints": [node_at(srv.url("/btc"), "btc-1")]},
                    }
                }
            ),
            env={},
        )
        transport = Transport()
        try:
            deadline = asyncio.get_running_loop().time() + 10
            beacon, cosmos = config.chains["b"], config.chains["c"]
            hook = kinds.get("beacon").block_hash()
            assert await hook(beacon.endpoints[0], ProbeContext(transport, deadline, {}, beacon), 7) is None
            assert await hook(beacon.endpoints[0], ProbeContext(transport, deadline, {}, beacon), 8) == root
            got = await kinds.get("cosmos").block_hash()(cosmos.endpoints[0], ProbeContext(transport, deadline, {}, cosmos), 5)
            assert got == "c0" * 32
            bitcoin = config.chains["t"]
            hook = kinds.get("bitcoin").block_hash()
            assert await hook(bitcoin.endpoints[0], ProbeContext(transport, deadline, {}, bitcoin), 16) == "c0" * 32
            assert await hook(bitcoin.endpoints[0], ProbeContext(transport, deadline, {}, bitcoin), 17) is None  # above its tip
        finally:
            await transport.close()


def test_a_worker_judges_its_nodes_against_the_parents_summary():
    """``--workers N``: the summary crosses to the worker as JSON (orjson); the worker learns the
    agreed hashes from it, asks its nodes the latest agreed height and judges them."""
    import dataclasses

    import orjson

    from chainwatch.core.chain import Role
    from chainwatch.exporters.scheduler import ChainSummary

    config = _config(1)
    chain = config.chains["devnet"]
    parent = Tracker()
    summary = ChainSummary(configured=1)
    summary.hashes, summary.hashes_disagree = parent.summarise("devnet", chain, [("ref-0", _answer(50, 44, "0xaa"))])
    summary.hash_height = parent.next_height["devnet"]
    crossed = ChainSummary(**orjson.loads(orjson.dumps({"devnet": dataclasses.asdict(summary)}))["devnet"])
    worker = Tracker()
    worker.learn("devnet", crossed.hashes, crossed.hash_height)
    assert worker.height_for("devnet", chain, Role.NODE) == 44
    assert worker.height_for("devnet", chain, Role.REFERENCE) == 44  # 50 - 6
    node = _answer(50, 44, "0xbb")
    worker.judge(_State(config, "node-1"), node)
    assert node.get("chainwatch_block_hash_diverged") == 1
