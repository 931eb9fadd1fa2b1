"""The Solana docs-shaped answers (tests/support/answers.py ``solana_node``) served through
aioresponses, for the Solana probe and monitor tests that patch the client session.
"""

from __future__ import annotations

import json
from typing import Any

from aioresponses import CallbackResult

from tests.support.answers import METHOD_NOT_FOUND


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
