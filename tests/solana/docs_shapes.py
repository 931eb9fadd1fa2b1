"""Answers shaped as the public Solana RPC docs show them (https://solana.com/docs/rpc/http).

Values are the docs' own examples where the docs give one; the tests adjust slots.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from aioresponses import CallbackResult

HEALTHY = "ok"
# getHealth when the node is behind (RpcCustomError::NodeUnhealthy), as Agave sends it.
BEHIND_42 = {"code": -32005, "message": "Node is behind by 42 slots", "data": {"numSlotsBehind": 42}}
UNHEALTHY_UNKNOWN = {"code": -32005, "message": "Node is unhealthy", "data": {}}
EPOCH_INFO = {"absoluteSlot": 166598, "blockHeight": 166500, "epoch": 27, "slotIndex": 2790, "slotsInEpoch": 8192, "transactionCount": 22661093}
PERF_SAMPLES = [
    {"numNonVoteTransactions": 69449, "numSlots": 149, "numTransactions": 263299, "samplePeriodSecs": 60, "slot": 335501725},
    {"numNonVoteTransactions": 70649, "numSlots": 155, "numTransactions": 272267, "samplePeriodSecs": 60, "slot": 335501576},
]
VERSION = {"feature-set": 2891131721, "solana-core": "1.16.7"}
METHOD_NOT_FOUND = {"code": -32601, "message": "Method not found"}
SLOT_SKIPPED = {"code": -32009, "message": "Slot 166597 was skipped, or missing in long-term storage"}
VOTE_ACCOUNTS = {
    "current": [
        {
            "commission": 0,
            "epochVoteAccount": True,
            "epochCredits": [[1, 64, 0], [2, 192, 64]],
            "nodePubkey": "B97CCUW3AEZFGy6uUg6zUdnNYvnVq5VG8PUtb2HayTDD",
            "lastVote": 147,
            "activatedStake": 42,
            "votePubkey": "3ZT31jkAGhUaw8jsy4bTknwBMP8i4Eueh52By4zXcsVw",
            "rootSlot": 42,
        }
    ],
    "delinquent": [],
}
BLOCK_PRODUCTION = {
    "context": {"slot": 9887},
    "value": {"byIdentity": {"85iYT5RuzRTDgjyRa3cP8SYhM2j21fj7NhfJ3peu1DPr": [9888, 9886]}, "range": {"firstSlot": 0, "lastSlot": 9887}},
}


class Rpc:
    """An aioresponses callback answering JSON-RPC batches method by method.

    ``answers`` maps a method (or ``"getSlot:<commitment>"``) to a result, an
    ``{"error": ...}`` dict, or a function of the params returning either.
    """

    def __init__(self, answers: dict[str, Any], *, reject_batches: bool = False, reject_all: bool = False):
        self.answers = answers
        self.reject_batches = reject_batches or reject_all
        self.reject_all = reject_all
        self.seen: list[str] = []
        self.batches = 0

    def item(self, req: dict) -> dict:
        method, params = req["method"], req.get("params") or []
        self.seen.append(method)
        key = method
        if method == "getSlot":
            key = f"getSlot:{(params[0] if params else {}).get('commitment', 'finalized')}"
        answer = self.answers.get(key, self.answers.get(method, {"error": METHOD_NOT_FOUND}))
        if callable(answer):
            answer = answer(params)
        if isinstance(answer, dict) and set(answer) == {"error"}:
            return {"jsonrpc": "2.0", "error": answer["error"], "id": req["id"]}
        return {"jsonrpc": "2.0", "result": answer, "id": req["id"]}

    def __call__(self, url, **kwargs) -> CallbackResult:
        body = json.loads(kwargs["data"])
        if isinstance(body, list):
            self.batches += 1
            if self.reject_batches:
                return CallbackResult(
                    payload={"jsonrpc": "2.0", "error": {"code": -32600, "message": "Batch requests are not allowed on this plan"}, "id": None}
                )
            return CallbackResult(body=json.dumps([self.item(r) for r in body]))
        if self.reject_all:
            return CallbackResult(payload={"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid request"}, "id": None})
        return CallbackResult(payload=self.item(body))


def node(slot: int = 166598, block_time: int | Callable = 1_700_000_000, **overrides) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "getHealth": HEALTHY,
        "getSlot:processed": slot + 2,
        "getSlot:confirmed": slot,
        "getSlot:finalized": slot - 32,
        "getBlockHeight": slot - 98,
        "getEpochInfo": dict(EPOCH_INFO, absoluteSlot=slot),
        "getRecentPerformanceSamples": PERF_SAMPLES[:1],
        "getVersion": VERSION,
        "getBlockTime": block_time,
    }
    answers.update(overrides)
    return answers
