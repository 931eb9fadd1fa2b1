"""The throwaway kind's simulator: nodes that answer ``GET /<node>`` with ``{"head", "answer"}``.

Built on :class:`chainwatch.devnet.simulator.Simulation` like every kind's simulator: the head
grows one block per ``block_seconds``; ``POST /-/control`` takes ``{"action": "answer",
"value": <number>}`` (every node's answer) and ``halt`` / ``resume``. Run by the throwaway
demo part as ``python -m tests.support.throwaway_kind.simulator --port P --nodes a,b``.
"""

from __future__ import annotations

import argparse
from typing import Any

from aiohttp import web

from chainwatch.devnet.simulator import Simulation, Simulator, serve

__all__ = ["ThrowawaySim", "Simulator"]


class ThrowawaySim(Simulation):
    def __init__(self, nodes: list[str], block_seconds: float = 1.0):
        self.nodes = list(nodes)
        self.clock_seconds = block_seconds
        self.head = 1
        self.answer = 42.0
        self.halted = False

    def state(self) -> dict:
        return {"nodes": self.nodes, "head": self.head, "answer": self.answer, "halted": self.halted}

    def control(self, body: Any) -> None:
        action = body["action"]
        if action == "answer":
            self.answer = float(body["value"])
        elif action in ("halt", "resume"):
            self.halted = action == "halt"
        else:
            raise ValueError(f"unknown action {action!r}")

    def tick(self) -> None:
        if not self.halted:
            self.head += 1

    def routes(self, app: web.Application) -> None:
        async def node(request: web.Request) -> web.Response:
            if request.match_info["node"] not in self.nodes:
                return web.json_response({"error": "no such node"}, status=404)
            return web.json_response({"head": self.head, "answer": self.answer})

        app.router.add_get("/{node}", node)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.support.throwaway_kind.simulator", description="The throwaway kind's nodes (tests only).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--nodes", default="node-1")
    parser.add_argument("--block-ms", type=int, default=1000)
    args = parser.parse_args(argv)
    serve(ThrowawaySim(args.nodes.split(","), args.block_ms / 1000), args.host, args.port)


if __name__ == "__main__":
    main()
