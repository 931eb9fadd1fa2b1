"""Property-based fuzzing of every probe's response parsing (hypothesis).

Each probe runs against a transport double that answers every request with bytes drawn by
hypothesis: raw bytes, arbitrary JSON, or (most of the time) JSON shaped like the real
API with hostile values in it (negative and 300-bit hex, digit strings, NaN, unicode
digits, wrong containers, dropped / duplicated / renumbered batch items, error objects
with odd codes). The properties:

- the probe either returns or raises ``ProbeFailure`` with a bounded reason — nothing
  else ever escapes it (the scheduler would catch it, but as a mislabelled
  ``invalid_response`` that hides the bug);
- whatever it did record is exportable: finite numbers, label values the catalog
  accepts, and the exposition renders.

CI runs a few thousand examples in total (~20 s); ``-m nightly`` runs 25x more.
The transport itself (deadline, size cap, TLS, status mapping) is exercised for real by
test_matrix.py; here only what the probe does with an answer matters.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainwatch.assembly.catalog import FAILURE_REASONS
from chainwatch.assembly.config import parse
from chainwatch.exporters.exposition import render, round_samples
from chainwatch.exporters.failures import ProbeFailure
from chainwatch import kinds
from chainwatch.exporters.probe import ProbeContext, ProbeResult
from chainwatch.exporters.scheduler import ChainSummary, EndpointState, Snapshot
from chainwatch.exporters.transport import Reply
from tests.support.answers import beacon_table, evm_results, solana_results

CI_EXAMPLES = 800
NIGHTLY_EXAMPLES = 30000

CONFIGS = {
    "evm": "chains: {c: {kind: evm, network: n, chain_id: 1, endpoints: [{name: e, url: 'http://127.0.0.1:1/', timed_methods: [eth_getBalance]}]}}",
    "beacon": "chains: {c: {kind: beacon, network: n, endpoints: [{name: e, url: 'http://127.0.0.1:1/'}]}}",
    "solana": "chains: {c: {kind: solana, network: n, endpoints: [{name: e, url: 'http://127.0.0.1:1/', timed_methods: [getBalance]}]}}",
    "opnode": "chains: {l1: {kind: evm, network: n, chain_id: 1, endpoints: [{name: l1e, url: 'http://127.0.0.1:1/'}]},"
    " l2: {kind: evm, network: n, chain_id: 10, endpoints: [{name: l2e, url: 'http://127.0.0.1:1/'}]},"
    " c: {kind: opnode, network: n, l1_chain: l1, l2_chain: l2, l2_chain_id: 10, endpoints: [{name: e, url: 'http://127.0.0.1:1/'}]}}",
}

KEYS = [
    "number",
    "timestamp",
    "baseFeePerGas",
    "pending",
    "queued",
    "data",
    "head_slot",
    "sync_distance",
    "is_syncing",
    "is_optimistic",
    "el_offline",
    "connected",
    "connecting",
    "direction",
    "state",
    "finalized",
    "current_justified",
    "epoch",
    "genesis_time",
    "SECONDS_PER_SLOT",
    "SLOTS_PER_EPOCH",
    "version",
    "absoluteSlot",
    "blockHeight",
    "slotIndex",
    "slotsInEpoch",
    "transactionCount",
    "numSlots",
    "numTransactions",
    "numNonVoteTransactions",
    "samplePeriodSecs",
    "slot",
    "solana-core",
    "feature-set",
    "code",
    "message",
    "numSlotsBehind",
    "result",
    "error",
    "id",
    "unsafe_l2",
    "safe_l2",
    "finalized_l2",
    "head_l1",
    "current_l1",
    "l2_chain_id",
    "l1origin",
]

atoms = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(min_value=-(2**300), max_value=2**300),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.integers(min_value=-5, max_value=2**300).map(hex),
    st.integers(min_value=-5, max_value=2**80).map(str),
    st.sampled_from(
        [
            "0x",
            "0x-1",
            "-0x1",
            "0x1_0",
            " 0x1",
            "0x1 ",
            "ok",
            "",
            "\u00b2",
            "\u0661\u0662",
            "NaN",
            "1e400",
            "true",
            "-32005",
            "Node is behind by 99999999999999999999999 slots",
            "method not found",
        ]
    ),
)
values = st.recursive(
    atoms,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), children, max_size=6),
    max_leaves=16,
)


def encode(value) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


def mutate(data, value):
    """The good ``value`` with some of its parts replaced by hostile ones or dropped.

    One small integer draw per node keeps examples cheap (recursive strategies for every
    answer made an example cost ~30 ms) while still reaching the code past the first check.
    """
    roll = data.draw(st.integers(0, 19))
    if roll >= 18:
        return data.draw(atoms)
    if roll == 17:
        return data.draw(values)
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if data.draw(st.integers(0, 24)) == 0:
                continue  # key dropped
            out[key] = mutate(data, item)
        return out
    if isinstance(value, list):
        return [mutate(data, item) for item in value]
    return value


class AnswerMutator:
    """Mutates the real answers of one example, the same way whatever order they arrive in.

    A monitor sends requests side by side and a live server answers them in an order the
    machine's load decides; drawing from hypothesis per answer would then draw differently on
    a replay of the same example (hypothesis: "flaky strategy definition"). So each example
    draws, up front and always in the same order, a seed and pools of hostile values, raw
    bytes and arbitrary JSON; each answer is then mutated by a ``random.Random`` keyed on
    the seed, the request and how many times it was sent. The pools stay hypothesis' to
    shrink; what a given request gets no longer depends on timing.
    """

    def __init__(self, data, untouched: float = 0.0):
        self.seed = data.draw(st.integers(0, 2**63), label="seed")
        self.atoms = data.draw(st.lists(atoms, min_size=6, max_size=6), label="hostile leaves")
        self.values = data.draw(st.lists(values, min_size=3, max_size=3), label="arbitrary JSON")
        self.raw = data.draw(st.lists(st.binary(max_size=64), min_size=2, max_size=2), label="raw bodies")
        self.untouched = untouched
        self.sent: dict[str, int] = {}

    def reply(self, key: str, reply: Reply) -> Reply:
        n = self.sent[key] = self.sent.get(key, 0) + 1
        rng = random.Random(f"{self.seed}:{key}:{n}")
        shape = rng.random()
        if shape < 0.05:
            return Reply(reply.status, rng.choice(self.raw), reply.elapsed)
        if shape < 0.10:
            return Reply(reply.status, encode(rng.choice(self.values)), reply.elapsed)
        if shape > 1.0 - self.untouched:
            return reply  # untouched: the rest of the round must still be read right
        try:
            body = json.loads(reply.body)
        except ValueError:
            return reply
        return Reply(reply.status, encode(self._mutate(rng, body)), reply.elapsed)

    def _mutate(self, rng: random.Random, value):
        roll = rng.random()
        if roll < 0.10:
            return rng.choice(self.atoms)
        if roll < 0.15:
            return rng.choice(self.values)
        if isinstance(value, dict):
            return {key: self._mutate(rng, item) for key, item in value.items() if rng.random() >= 0.04}
        if isinstance(value, list):
            return [self._mutate(rng, item) for item in value]
        return value


class MutatingTransport:
    """The real transport to a loopback server, with every answer mutated by an ``AnswerMutator``."""

    def __init__(self, real, untouched: float = 0.0):
        self.real = real
        self.untouched = untouched
        self.mutator: AnswerMutator | None = None

    def start(self, data) -> None:
        """A new example: draw its seed and pools."""
        self.mutator = AnswerMutator(data, self.untouched)

    async def request(self, endpoint, **kwargs) -> Reply:
        # A loaded machine must not turn a slow loopback answer into a timeout: that would
        # change what the example exercises.
        kwargs["deadline"] = max(kwargs.get("deadline", 0.0), asyncio.get_running_loop().time() + 300)
        key = f"{endpoint.name} {kwargs.get('method', 'POST')} {kwargs.get('path', '')} {json.dumps(kwargs.get('body'), sort_keys=True, default=str)}"
        return self.mutator.reply(key, await self.real.request(endpoint, **kwargs))


def opnode_results(method: str, params: list):
    """optimism_* answers as op-node encodes them (op-service/eth/sync_status.go, id.go; rollup.Config)."""
    ref = lambda n: {"hash": "0x" + "ab" * 32, "number": n, "parentHash": "0x" + "cd" * 32, "timestamp": 1_700_000_000 + n}
    if method == "optimism_syncStatus":
        return {
            k: ref(n)
            for k, n in (
                ("current_l1", 90),
                ("current_l1_finalized", 80),
                ("head_l1", 90),
                ("safe_l1", 88),
                ("finalized_l1", 80),
                ("unsafe_l2", 200),
                ("safe_l2", 190),
                ("finalized_l2", 150),
                ("pending_safe_l2", 190),
            )
        }
    if method == "optimism_rollupConfig":
        return {"l1_chain_id": 1, "l2_chain_id": 10, "block_time": 2}
    if method == "optimism_version":
        return "v1.9.4"
    return {"code": -32601, "message": "method not found"}


def good_jsonrpc(kind: str, method: str, params: list):
    if kind == "opnode":
        return opnode_results(method, params)
    results = evm_results(head=16, chain_id=1) if kind == "evm" else solana_results(slot=16)
    return results(method, params)


def jsonrpc_answer(data, kind: str, body) -> bytes:
    """An answer to the JSON-RPC request ``body`` (one call or a batch)."""
    shape = data.draw(st.integers(0, 19))
    if shape == 0:
        return data.draw(st.binary(max_size=64))
    if shape == 1:
        return encode(data.draw(values))
    calls = body if isinstance(body, list) else [body]
    items = []
    for call in calls:
        mode = data.draw(st.integers(0, 19))
        if mode == 0:
            continue  # dropped from the batch
        ident = call["id"] if mode != 1 else data.draw(atoms)
        good = good_jsonrpc(kind, call["method"], call.get("params") or [])
        if mode == 2 or (isinstance(good, dict) and set(good) == {"code", "message"}):
            error = good if mode != 2 else {"code": data.draw(st.sampled_from([-32601, -32005, -32004, -32000, -32600])), "message": "x"}
            items.append({"jsonrpc": "2.0", "id": ident, "error": mutate(data, error)})
        else:
            items.append({"jsonrpc": "2.0", "id": ident, "result": mutate(data, good)})
    if data.draw(st.integers(0, 9)) == 0:
        items = data.draw(st.permutations(items))
    if data.draw(st.integers(0, 19)) == 0:
        items.append(data.draw(values))
    if not isinstance(body, list):
        return encode(items[0] if items and data.draw(st.integers(0, 9)) else items)
    return encode(items)


BEACON = beacon_table(head=16, genesis=1_600_000_000)
BEACON["/eth/v1/node/peers"] = {"data": BEACON["/eth/v1/node/peers"]["data"][28:32]}  # 4 peers are enough


def beacon_answer(data, path: str) -> bytes:
    shape = data.draw(st.integers(0, 19))
    if shape == 0:
        return data.draw(st.binary(max_size=64))
    if shape == 1:
        return encode(data.draw(values))
    route = path.split("?", 1)[0]
    return encode(mutate(data, BEACON.get(route, {"code": 404, "message": "not found"})))


class FuzzTransport:
    """Answers every request with drawn bytes (and a drawn allowed status)."""

    def __init__(self, data, kind: str):
        self.data = data
        self.kind = kind

    async def request(self, endpoint, *, method="POST", path="", body=None, deadline, ok_statuses=()):
        statuses = (200,) * 6 + tuple(ok_statuses)
        status = statuses[self.data.draw(st.integers(0, len(statuses) - 1))]
        if method == "GET":
            raw = beacon_answer(self.data, path)
        else:
            raw = jsonrpc_answer(self.data, self.kind, body)
        return Reply(status, raw, 0.001)


LOOP = asyncio.new_event_loop()


PARSED = {kind: parse(text, env={}) for kind, text in CONFIGS.items()}


def run_probe(kind: str, data, rounds: int = 2) -> None:
    config = PARSED[kind]
    cname, chain, endpoint = next(e for e in config.endpoints() if e[0] == "c")
    state = EndpointState(cname, chain, endpoint)
    probe = kinds.get(kind).probe()
    for _ in range(rounds):  # the second round sees what the first cached (versions, clocks, block times)
        result = ProbeResult(True)
        ctx = ProbeContext(FuzzTransport(data, kind), LOOP.time() + 10, state.cache, chain)
        try:
            LOOP.run_until_complete(probe.run(endpoint, ctx, result))
        except ProbeFailure as failure:
            assert failure.reason in FAILURE_REASONS
            result.success, result.reason, result.detail = False, failure.reason, failure.detail
        finish = getattr(probe, "finish", None)
        if finish is not None and result.success:  # measured against linked chains' references (scheduler.round)
            finish(result, chain, {n: ChainSummary(configured=1, reachable=1, head=100.0, head_timestamp=1_700_000_100.0) for n in config.chains})
        for (metric, labels), value in result.values.items():
            assert isinstance(value, float) and math.isfinite(value), (metric, labels, value)
        for value in (result.head_height, result.head_timestamp, result.expected_head):
            assert value is None or math.isfinite(value)
        state.last = result
        snap = Snapshot(states=[state], config=config, results={endpoint.name: result})
        render(round_samples(snap))


def fuzz(kind: str, examples: int):
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
    @given(st.data())
    def check(data):
        run_probe(kind, data)

    return check


@pytest.mark.parametrize("kind", list(CONFIGS))
def test_probe_parsers_never_raise_anything_but_probe_failure(kind):
    fuzz(kind, CI_EXAMPLES)()


@pytest.mark.nightly
@pytest.mark.parametrize("kind", list(CONFIGS))
def test_probe_parsers_never_raise_nightly(kind):
    fuzz(kind, NIGHTLY_EXAMPLES)()


# --------------------------------------------------------------------------- number encodings (issue #14, kind 1)
#
# Any number in any encoding, in any optional field of any kind: read exactly when the encoding
# is unambiguous for that API (hex quantity, non-negative JSON integer, decimal string on the
# Beacon API), otherwise that metric alone is absent, and the probe never fails for it.

from chainwatch.exporters import numbers  # noqa: E402
from tests.field.test_numbers import BEACON_FIELDS, EVM_FIELDS, SOLANA_FIELDS  # noqa: E402

FIELDS = {"evm": EVM_FIELDS, "solana": SOLANA_FIELDS, "beacon": BEACON_FIELDS}
FIELD_ROWS = [(kind, name) for kind, table in FIELDS.items() for name in table]


def encodings(n_max: int = numbers.U64_MAX):
    """A number in a read encoding, or any hostile value."""
    n = st.integers(min_value=0, max_value=n_max)
    return st.one_of(n.map(hex), n, n.map(str), atoms)


def oracle(value, kind: str):
    """What ``value`` unambiguously is for the API of ``kind`` (written independently of numbers.uint)."""
    limit = numbers.U256_MAX if kind == "evm" else numbers.U64_MAX
    got = None
    if isinstance(value, int) and not isinstance(value, bool):
        got = value
    elif isinstance(value, str) and re.fullmatch(r"0[xX][0-9a-fA-F]{1,64}", value):
        got = int(value, 16)
    elif isinstance(value, str) and kind == "beacon" and re.fullmatch(r"[0-9]{1,78}", value):
        got = int(value)
    return got if got is not None and 0 <= got <= limit else None


class AnswerTransport:
    """Well-behaved answers of one kind with ``override`` applied (no randomness of its own)."""

    def __init__(self, kind: str, override: dict):
        self.kind = kind
        self.override = override

    async def request(self, endpoint, *, method="POST", path="", body=None, deadline, ok_statuses=()):
        if method == "GET":
            table = {**BEACON, **self.override}
            route = path.split("?", 1)[0]
            return Reply(200 if route in table else 404, encode(table.get(route, {"code": 404, "message": "not found"})), 0.001)
        results = evm_results(head=16, chain_id=1, **self.override) if self.kind == "evm" else solana_results(slot=16, **self.override)

        def item(call):
            value = results(call["method"], call.get("params") or [])
            if isinstance(value, dict) and set(value) == {"code", "message"}:
                return {"jsonrpc": "2.0", "id": call["id"], "error": value}
            return {"jsonrpc": "2.0", "id": call["id"], "result": value}

        return Reply(200, encode([item(c) for c in body] if isinstance(body, list) else item(body)), 0.001)


def probe_with(kind: str, override: dict) -> ProbeResult:
    config = PARSED[kind]
    cname, chain, endpoint = config.endpoints()[0]
    if kind == "beacon":
        BEACON["/eth/v1/beacon/genesis"]["data"]["genesis_time"] = "1600000000"
    result = ProbeResult(True)
    ctx = ProbeContext(AnswerTransport(kind, override), LOOP.time() + 10, {}, chain)
    LOOP.run_until_complete(kinds.get(kind).probe().run(endpoint, ctx, result))
    return result


@pytest.mark.parametrize("kind, field", FIELD_ROWS, ids=[f"{k}-{f}" for k, f in FIELD_ROWS])
@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(drawn=encodings())
def test_optional_numbers_in_any_encoding_are_read_or_left_absent(kind, field, drawn):
    inject, metric, labels = FIELDS[kind][field]
    result = probe_with(kind, inject(drawn))  # raises (fails the test) if the probe failed
    expected = oracle(drawn, kind)
    assert result.get(metric, **labels) == (None if expected is None else float(expected))
    if expected is None and drawn is not None:
        assert result.dropped  # counted, not silently ignored


@settings(max_examples=300, deadline=None, database=None)
@given(value=values, decimal=st.booleans())
def test_shared_reader_accepts_only_unambiguous_encodings(value, decimal):
    try:
        got = numbers.uint(value, "x", decimal=decimal)
    except ProbeFailure as failure:
        assert failure.reason == "invalid_response"
        return
    if isinstance(value, str) and value[:2] in ("0x", "0X"):
        assert got == int(value, 16)
    elif isinstance(value, str):
        assert decimal and got == int(value) and value.isascii()
    else:
        assert type(value) is int and got == value >= 0
