"""A throwaway chain kind that lives in the tests, not in ``chainwatch.kinds``.

tests/test_conformance.py registers it (``kinds.register(KIND)``) in a fresh interpreter and
runs the same conformance over it: a kind goes through with no edit to any product file.
It declares one metric and nothing else; its dashboard uses the shared sections only, its
probe reads one JSON answer, which :data:`UPSTREAM` serves (its entry for
``tests.support.answers.UPSTREAMS``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

from chainwatch.core.chain import ChainBase
from chainwatch.core.declarations import G
from chainwatch.core.declarations import metric as _m
from chainwatch.kinds.base import ChainKind
from tests.support.fakeserver import FakeServer

NAME = "throwaway"


class ThrowawayChain(ChainBase):
    """A throwaway chain (tests only): nodes and references, no identity."""

    kind: Literal["throwaway"]

    @property
    def block_time(self) -> float:
        return self.block_time_seconds or 1.0


def example_chain(url: str) -> dict:
    return {"kind": NAME, "network": "mainnet", "endpoints": [{"name": "node-1", "url": url, "role": "node"}]}


KIND = ChainKind(
    name=NAME,
    config=ThrowawayChain,
    unit="blocks",
    primary_method="head",
    metrics=(_m("chainwatch_throwaway_answer", G, "", "The throwaway kind's one reading.", kinds=(NAME,)),),
    block_time_doc="1 s",
    example=example_chain,
    home=__name__,
)


@asynccontextmanager
async def UPSTREAM() -> AsyncIterator[str]:
    with FakeServer() as srv:
        srv.route("GET", "/", json_body={"head": 42, "answer": 42})
        yield srv.url("/")
