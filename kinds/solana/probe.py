"""Solana RPC probe: one JSON-RPC batch per endpoint per round, plus ``getBlockTime``.

Exposition it contributes (besides probe success/latency added for every probe)::

    chainwatch_head_height{chain="solana",endpoint="rpc-1",network="mainnet-beta",role="node"} 3.0412e+08
    chainwatch_head_age_seconds{...} 0.7
    chainwatch_syncing{...} 0
    chainwatch_solana_health_behind_slots{...} 0
    chainwatch_solana_slot{...,commitment="processed"} 304120002
    chainwatch_solana_slot{...,commitment="confirmed"} 304120000
    chainwatch_solana_slot{...,commitment="finalized"} 304119968
    chainwatch_solana_block_height{...} 2.8233e+08
    chainwatch_solana_epoch{...} 704
    chainwatch_solana_epoch_progress_ratio{...} 0.3127
    chainwatch_solana_transactions_per_second{...} 4388.3
    chainwatch_solana_slots_per_second{...} 2.48
    chainwatch_node_info{...,client_version="solana-core/2.1.14"} 1

The head is the **confirmed** slot (voted on by a supermajority), so lag against the
references is measured in slots at the same commitment on both sides; head age is
``now - getBlockTime(confirmed slot)``, asked once per new slot (a halted cluster keeps
the same slot, so the age keeps growing from the cached time without asking again).

With ``genesis_hash`` configured on the chain, ``getGenesisHash`` rides in the same batch
on the first round and then every ``GENESIS_TTL`` seconds; an endpoint of another cluster
(a devnet RPC in the mainnet-beta chain) fails with ``wrong_chain`` before any of its
numbers are recorded, and is asked again every round until it matches.

``getHealth`` answering ``-32005 Node is behind by N slots`` is data, not a failed
probe: the node is reachable and tells us it is behind, which becomes
``chainwatch_syncing 1`` and ``chainwatch_solana_health_behind_slots N``.

A ``getBlockTime`` of 0 is "not known" (:mod:`chainwatch.exporters.sentinels`), marked
``chainwatch_probe_value_unknown{field="getBlockTime"} 1``: no head age. ``getHealth`` behind
is exported as the node says it (``chainwatch_syncing``), beside the slot lag measured
against the references, which /health and alerts judge by.

Solana has no public mempool (transactions are forwarded straight to upcoming leaders,
there is no pool to query), so ``chainwatch_mempool_transactions`` is never exported
for Solana: absent, not a meaningless zero.

Answers are parsed with ``solders`` types where they exist (``EpochInfo``,
``RpcPerfSample``, ``RpcVersionInfo``: strict u64 checks in Rust, ~1 µs each) and with
strict integer checks for the bare numbers. Some providers refuse JSON-RPC batches; the
shared ``jsonrpc.call`` then falls back to single calls for that endpoint and remembers it.
On a chain compared by block hash (``exporters.divergence``), ``getBlock`` of the compared
finalized slot rides in the same batch (:mod:`chainwatch.kinds.solana.divergence`).
Only the identity (``getGenesisHash``) and the head (``getSlot(confirmed)``) fail the probe;
an optional method answering an error or an unreadable value drops only its metric
(``chainwatch_probe_dropped_values_total{field=...}``).
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from solders.epoch_info import EpochInfo
from solders.rpc.responses import RpcPerfSample, RpcVersionInfo

from chainwatch.exporters import numbers
from chainwatch.exporters import jsonrpc
from chainwatch.core.chain import Endpoint
from chainwatch.exporters.failures import ProbeFailure, invalid
from chainwatch.exporters.redact import scrub
from chainwatch.exporters.sentinels import zero_time
from chainwatch.exporters.probe import ProbeContext, ProbeResult, client_version_label
from chainwatch.kinds.solana import divergence

VERSION_TTL = 600.0  # getVersion rarely changes; ask every 10 minutes
GENESIS_TTL = 600.0  # re-check the cluster identity (getGenesisHash) every 10 minutes
COMMITMENTS = ("processed", "confirmed", "finalized")
NODE_UNHEALTHY = -32005  # RpcCustomError::NodeUnhealthy
# Agave's RpcCustomError codes (-32001..-32019): never read as a provider's rate limit by code
# (-32005 is NodeUnhealthy, -32012 ScanError); a rate-limit *message* still is one.
AGAVE_CODES = frozenset(range(-32019, -32000))
# getBlockTime has no time for this slot (not in blockstore / skipped / cleaned up):
# not a probe failure, the head age is then unknown for this round.
BLOCK_TIME_UNAVAILABLE = {-32004, -32007, -32009, -32014}
U64_MAX = 2**64 - 1
_BEHIND = re.compile(r"behind by (\d+) slots", re.IGNORECASE)
_BASE58 = re.compile(r"[1-9A-HJ-NP-Za-km-z]{32,44}")

# (key in the outcome map, RPC method, params). Keys are unique; methods repeat.
BASE_CALLS: list[tuple[str, str, list]] = [
    ("getHealth", "getHealth", []),
    *[(f"getSlot:{c}", "getSlot", [{"commitment": c}]) for c in COMMITMENTS],
    ("getBlockHeight", "getBlockHeight", [{"commitment": "confirmed"}]),
    ("getEpochInfo", "getEpochInfo", [{"commitment": "confirmed"}]),
    ("getRecentPerformanceSamples", "getRecentPerformanceSamples", [1]),
]
KNOWN_PARAMS = {"getSlot": [{"commitment": "confirmed"}], "getBlockHeight": [{"commitment": "confirmed"}], "getBalance": ["11111111111111111111111111111111"]}


def u64(value: Any, what: str) -> int:
    """An unsigned 64-bit integer. Solana sends plain JSON integers; the shared reader also
    takes an (unambiguous) hex quantity, nothing else (no floats, strings of digits, negatives)."""
    return numbers.uint(value, what, limit=U64_MAX)


def typed(cls, value: Any, what: str):
    """Parse a result object with a solders type (strict: missing fields, wrong types, negatives)."""
    if not isinstance(value, dict):
        raise invalid(f"{what}: expected an object, got {type(value).__name__}")
    try:
        return cls.from_json(json.dumps(value))
    except ValueError as exc:
        raise invalid(f"{what}: {str(exc)[:120]}") from None
    except BaseException as exc:  # solders panics (pyo3 PanicException, a BaseException) on some bad values
        if not type(exc).__name__ == "PanicException":
            raise
        raise invalid(f"{what}: malformed value ({str(exc)[:80]})") from None


def health(outcome: jsonrpc.Outcome) -> tuple[int, int | None] | None:
    """(syncing, slots behind) from getHealth; None when the node does not say."""
    if outcome.ok:
        if outcome.result != "ok":
            raise invalid(f'getHealth: expected "ok", got {str(outcome.result)[:32]!r}')
        return 0, 0
    if outcome.error is None or outcome.error.get("code") != NODE_UNHEALTHY:
        return None
    data = outcome.error.get("data")
    behind = data.get("numSlotsBehind") if isinstance(data, dict) else None
    if behind is None:
        found = _BEHIND.search(str(outcome.error.get("message", "")))
        behind = int(found.group(1)) if found else None
    return 1, (u64(behind, "getHealth numSlotsBehind") if behind is not None else None)


def _optional(out: dict[str, jsonrpc.Outcome], key: str) -> jsonrpc.Outcome | None:
    o = out[key]
    if o.ok:
        return o
    if o.unsupported:
        return None
    raise ProbeFailure("rpc_error" if o.error else "invalid_response", f"{key}: {o.describe()}")


class SolanaProbe:
    """Required: ``getGenesisHash`` when configured (identity) and ``getSlot(confirmed)`` (head).
    Everything else is optional: an error or an unreadable value drops that metric, counted."""

    async def run(self, endpoint: Endpoint, ctx: ProbeContext, result: ProbeResult) -> None:
        calls = list(BASE_CALLS)
        if time.monotonic() - ctx.cache.get("version_at", -1e9) > VERSION_TTL:
            calls.append(("getVersion", "getVersion", []))
        expected = getattr(ctx.chain, "genesis_hash", None)
        if expected and time.monotonic() - ctx.cache.get("genesis_at", -1e9) > GENESIS_TTL:
            calls.insert(0, ("getGenesisHash", "getGenesisHash", []))  # first: asked alone first when batches are refused
        if ctx.hash_height is not None:
            calls.append(divergence.call(ctx.hash_height))  # in the batch: no request of its own
            ctx.hash_batched = True
        out = await self.send(endpoint, ctx, calls)

        genesis = out.get("getGenesisHash")
        if genesis is not None and genesis.failure is not None:
            raise genesis.failure
        if genesis is not None and (genesis.ok or genesis.unsupported):
            if genesis.ok:
                if not isinstance(genesis.result, str) or not _BASE58.fullmatch(genesis.result):
                    raise invalid(f"getGenesisHash: expected a base58 hash, got {str(genesis.result)[:48]!r}")
                if genesis.result != expected:
                    raise ProbeFailure("wrong_chain", f"getGenesisHash {genesis.result}, expected {expected}")
            ctx.cache["genesis_at"] = time.monotonic()  # matched (or cannot be checked here): ask again in GENESIS_TTL
        elif genesis is not None:
            raise ProbeFailure("rpc_error" if genesis.error else "invalid_response", f"getGenesisHash: {self.describe(genesis, endpoint)}")

        confirmed = out["getSlot:confirmed"]
        if confirmed.failure is not None:
            raise confirmed.failure
        if not confirmed.ok:
            raise ProbeFailure("rpc_error" if confirmed.error else "invalid_response", f"getSlot(confirmed): {self.describe(confirmed, endpoint)}")
        head = u64(confirmed.result, "getSlot(confirmed)")
        result.head_height = head
        result.set("chainwatch_head_height", head)
        for c in COMMITMENTS:
            with result.optional(f"getSlot({c})"):
                if (slot := _optional(out, f"getSlot:{c}")) is not None:
                    result.set("chainwatch_solana_slot", u64(slot.result, f"getSlot({c})"), commitment=c)

        with result.optional("getHealth"):
            hs = out["getHealth"]
            if hs.failure is not None:
                raise hs.failure
            state = health(hs)
            if state is not None:
                result.set("chainwatch_syncing", state[0])
                result.set("chainwatch_solana_health_behind_slots", state[1])
            elif hs.error is not None and not hs.unsupported:
                raise ProbeFailure("rpc_error", f"getHealth: {self.describe(hs, endpoint)}")

        with result.optional("getBlockHeight"):
            if (height := _optional(out, "getBlockHeight")) is not None:
                result.set("chainwatch_solana_block_height", u64(height.result, "getBlockHeight"))

        with result.optional("getEpochInfo"):
            if (epoch := _optional(out, "getEpochInfo")) is not None:
                info = typed(EpochInfo, epoch.result, "getEpochInfo")
                result.set("chainwatch_solana_epoch", info.epoch)
                if info.slots_in_epoch:
                    result.set("chainwatch_solana_epoch_progress_ratio", round(info.slot_index / info.slots_in_epoch, 6))

        with result.optional("getRecentPerformanceSamples"):
            if (perf := _optional(out, "getRecentPerformanceSamples")) is not None:
                if not isinstance(perf.result, list):
                    raise invalid("getRecentPerformanceSamples: expected an array")
                if perf.result:  # a freshly started node has no sample yet: no throughput, no failure
                    sample = typed(RpcPerfSample, perf.result[0], "getRecentPerformanceSamples[0]")
                    if sample.sample_period_secs > 0:
                        result.set("chainwatch_solana_transactions_per_second", round(sample.num_transactions / sample.sample_period_secs, 3))
                        result.set("chainwatch_solana_slots_per_second", round(sample.num_slots / sample.sample_period_secs, 3))

        if out.get("getVersion") is not None:
            with result.optional("getVersion"):
                answered = _optional(out, "getVersion")
                core = typed(RpcVersionInfo, answered.result, "getVersion").solana_core if answered is not None else None
                ctx.cache["client_version"] = client_version_label(core, prefix="solana-core/")
                ctx.cache["version_at"] = time.monotonic()
        if "client_version" in ctx.cache:
            result.client_version(ctx.cache["client_version"])

        if ctx.hash_height is not None:
            with result.optional(divergence.KEY):
                result.block_hash = (ctx.hash_height, divergence.read(out[divergence.KEY]))

        with result.optional("getBlockTime"):
            await self.block_time(endpoint, ctx, result, head)

        for method in endpoint.timed_methods:
            answer = (await self.send(endpoint, ctx, [(method, method, KNOWN_PARAMS.get(method, []))]))[method]
            if answer.failure is not None:
                raise answer.failure
            if not answer.ok and not answer.unsupported:
                raise ProbeFailure("rpc_error", f"{method}: {self.describe(answer, endpoint)}")

    async def send(self, endpoint: Endpoint, ctx: ProbeContext, calls: list[tuple[str, str, list]]) -> dict[str, jsonrpc.Outcome]:
        """One batch; or single calls for a provider that refuses batches (the shared ``jsonrpc.call``)."""
        return await jsonrpc.call(lambda label, body: ctx.request(endpoint, label, body=body), endpoint, ctx.cache, calls, reserved=AGAVE_CODES)

    async def block_time(self, endpoint: Endpoint, ctx: ProbeContext, result: ProbeResult, slot: int) -> None:
        cached = ctx.cache.get("block_time")
        if cached is None or cached[0] != slot:
            answer = (await self.send(endpoint, ctx, [("getBlockTime", "getBlockTime", [slot])]))["getBlockTime"]
            if answer.failure is not None:
                raise answer.failure
            if answer.ok and answer.result is not None:
                stamp = u64(answer.result, "getBlockTime")
                if zero_time(stamp):
                    result.unknown("getBlockTime", "0")
                    return
                cached = (slot, stamp)
                ctx.cache["block_time"] = cached
            elif answer.ok or answer.unsupported or (answer.error or {}).get("code") in BLOCK_TIME_UNAVAILABLE:
                return  # no time for this slot: head age unknown this round, lag falls back to slots x slot time
            else:
                raise ProbeFailure("rpc_error", f"getBlockTime: {self.describe(answer, endpoint)}")
        result.head_timestamp = cached[1]
        result.set("chainwatch_head_age_seconds", round(max(0.0, time.time() - cached[1]), 3))

    @staticmethod
    def describe(outcome: jsonrpc.Outcome, endpoint: Endpoint) -> str:
        return scrub(outcome.describe(), endpoint.secrets)


PROBE = SolanaProbe()
