"""Subgraphs on graph-node: indexing lag against the indexed chain's own references.

Spec of what it reads: graph-node's ``_meta`` field (``graph/src/schema/meta.graphql``) on
the subgraph's GraphQL endpoint and the index node's ``indexingStatuses``
(``server/index-node/src/schema.graphql``); see docs/subgraph.md.
"""

from chainwatch.kinds.base import ChainKind
from chainwatch.kinds.subgraph.config import SubgraphChain, SubgraphEndpoint
from chainwatch.kinds.subgraph.metrics import METRICS


def example_chain(url: str) -> dict:
    """A minimal ``subgraph`` chain (a ``chains:`` entry), one node at ``url``."""
    return {
        "kind": "subgraph",
        "network": "mainnet",
        "indexes": "indexed",
        "endpoints": [{"name": "node-1", "url": url, "role": "node"}],
    }  # ``indexed``: the EVM chain of the config it indexes


KIND = ChainKind(
    name="subgraph",
    config=SubgraphChain,
    unit="blocks",
    primary_method="graphql",  # the _meta query
    capabilities=frozenset({"indexer"}),
    metrics=METRICS,
    config_models=(SubgraphEndpoint,),
    block_time_doc="the indexed chain's (`indexes`)",
    identity=("deployment", "_meta.deployment"),
    example=example_chain,
)
