"""The GraphQL chainwatch sends, and the simulator's answers, against graph-node's published schema.

Schema text: tests/fixtures/subgraph/meta.graphql (excerpt of graph-node's
graph/src/schema/meta.graphql plus the `_meta` root field graph-node adds) and
index-node.graphql (server/index-node/src/schema.graphql), both at the commit named in their
headers. Validated with graphql-core; no graph-node runs here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import build_schema, graphql_sync, parse, validate

from chainwatch.kinds.subgraph.probe import META_QUERY, STATUS_QUERY
from chainwatch.kinds.subgraph.simulator import Subgraph

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "subgraph"
META = build_schema((FIXTURES / "meta.graphql").read_text())
INDEX_NODE = build_schema((FIXTURES / "index-node.graphql").read_text())


@pytest.mark.parametrize("schema, query", [(META, META_QUERY), (INDEX_NODE, STATUS_QUERY)], ids=["_meta", "indexingStatuses"])
def test_chainwatch_queries_are_valid_against_graph_nodes_schema(schema, query):
    assert validate(schema, parse(query)) == []


def test_a_wrong_field_would_be_caught():
    """The check has teeth: graph-node's _Block_ has no `time` field and `health` is not on _Meta_."""
    assert validate(META, parse("{ _meta { block { number time } } }"))
    assert validate(INDEX_NODE, parse("{ indexingStatuses { health chains { chainHeadBlock { number timestamp } } } }"))


def _sim() -> Subgraph:
    sim = Subgraph("http://127.0.0.1:1")  # never polled: state set by hand
    sim.chain_head = sim.node_head = 120
    sim.block = 100
    sim.blocks = {100: ("0x" + "ab" * 32, 1_700_000_000), 120: ("0x" + "cd" * 32, 1_700_000_020)}
    return sim


@pytest.mark.parametrize("fault", [None, "fatal", "indexing_error", "fork", "null_timestamp", "node_head_stale"])
def test_simulator_answers_execute_under_graph_nodes_schema(fault):
    """graphql-core executes chainwatch's queries with the simulator's answer as root value:
    every field the probe reads exists with the schema's type (Int stays an int, BigInt a string)."""
    sim = _sim()
    if fault:
        sim.control({"action": fault})
    meta = sim.meta()["data"]
    got = graphql_sync(META, META_QUERY, root_value=meta)
    assert got.errors is None, got.errors
    assert got.data == {"_meta": {k: meta["_meta"][k] for k in ("block", "hasIndexingErrors", "deployment")}} | {
        "_meta": {
            **{k: meta["_meta"][k] for k in ("hasIndexingErrors", "deployment")},
            "block": {k: meta["_meta"]["block"][k] for k in ("number", "hash", "timestamp")},
        }
    }
    status = sim.status()["data"]
    for s in status["indexingStatuses"]:
        for c in s["chains"]:
            c["__typename"] = "EthereumIndexingStatus"
    got = graphql_sync(INDEX_NODE, STATUS_QUERY, root_value=status, variable_values={"subgraphs": [sim.deployment]})
    assert got.errors is None, got.errors
    first = got.data["indexingStatuses"][0]
    assert first["health"] == {"fatal": "failed", "indexing_error": "unhealthy"}.get(fault, "healthy")
    assert isinstance(first["chains"][0]["chainHeadBlock"]["number"], str)  # BigInt: a decimal string
