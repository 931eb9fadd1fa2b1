"""The throwaway kind's probe: ``GET <url>`` answers ``{"head": <int>, "answer": <number>}``."""

from __future__ import annotations

import json

from chainwatch.exporters.failures import ProbeFailure
from chainwatch.exporters.probe import ProbeContext, ProbeResult


class ThrowawayProbe:
    async def run(self, endpoint, ctx: ProbeContext, result: ProbeResult) -> None:
        reply = await ctx.request(endpoint, "head", method="GET")
        try:
            body = json.loads(reply.body)
            head, answer = int(body["head"]), float(body["answer"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ProbeFailure("invalid_response", f"not a throwaway answer: {exc}") from None
        result.head_height = head
        result.set("chainwatch_head_height", head)
        result.set("chainwatch_throwaway_answer", answer)


PROBE = ThrowawayProbe()
