"""Config of a subgraph (`kind: subgraph`): the chain it indexes and its GraphQL endpoints.

A subgraph is watched as a chain of its own whose name is the subgraph's name (the bounded
``chain`` label; graph-node's own metrics carry only deployment hashes). Its endpoints are
GraphQL URLs of the subgraph (``.../subgraphs/name/<name>`` or ``.../subgraphs/id/<Qm…>``);
each may name graph-node's index-node ``/graphql`` URL (``index_node_url``, port 8030 by
default) for ``indexingStatuses``, and the deployment (``Qm…``) it must serve.

Lag is measured against the references of the chain it ``indexes`` (another chain of this
config), never against graph-node's own chain head, which can itself be stale.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, PrivateAttr, field_validator

from chainwatch.core.chain import NAME_PATTERN, ChainBase, Endpoint

DEPLOYMENT_PATTERN = r"^Qm[1-9A-HJ-NP-Za-km-z]{44}$"  # an IPFS CIDv0, as graph-node prints deployments

# The article's indexer alert: 100 blocks behind on a 12-second chain, i.e. 1200 s; scaled by
# the indexed chain's block time (100 blocks on Ethereum, 4800 on Arbitrum's 0.25 s blocks).
ARTICLE_LAG_SECONDS = 100 * 12.0


class SubgraphEndpoint(Endpoint):
    """A GraphQL URL of the subgraph, plus graph-node's index node where we can reach it."""

    index_node_url: str | None = None  # graph-node's index-node /graphql (indexingStatuses); sent without `headers`
    deployment: Annotated[str, Field(pattern=DEPLOYMENT_PATTERN)] | None = None  # overrides the chain's `deployment`

    @field_validator("index_node_url")
    @classmethod
    def _index_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL with a host")
        return value

    def extra_urls(self) -> tuple[str, ...]:
        return (self.index_node_url,) if self.index_node_url else ()

    def index_node(self) -> Endpoint | None:
        """The index node as an endpoint of its own (same name, no headers), or None."""
        if not self.index_node_url:
            return None
        node = Endpoint(name=self.name, url=self.index_node_url, role=self.role, timeout_seconds=self.timeout_seconds)
        node._secrets = self.secrets
        return node


class SubgraphChain(ChainBase):
    """A subgraph on graph-node (self-hosted or a hosted service / gateway). `indexes`: the chain
    of this config it indexes (an EVM chain: its references measure the subgraph's lag and
    check its block hashes). `deployment`: the `Qm…` hash every endpoint must serve (an
    endpoint's own `deployment` overrides it); an endpoint serving another deployment fails
    with reason `wrong_chain`. Block time: the indexed chain's. Lag thresholds default to the
    article's 100 blocks on a 12 s chain (1200 s) for critical and half of it for warning,
    in blocks of the indexed chain: ceil(1200 s / block time). `stall_seconds`: the subgraph's
    block has not moved for this long while the indexed chain's references advanced (default
    max(10 blocks, 60 s))."""

    kind: Literal["subgraph"]
    indexes: Annotated[str, Field(pattern=NAME_PATTERN)]
    deployment: Annotated[str, Field(pattern=DEPLOYMENT_PATTERN)] | None = None
    endpoints: list[SubgraphEndpoint] = Field(min_length=1)
    stall_seconds: Annotated[float, Field(gt=0)] | None = None

    # Filled by the config once every chain is known (assembly.config.Config._cross -> link()).
    _indexed_block_time: float | None = PrivateAttr(default=None)
    _indexed_references: tuple[Endpoint, ...] = PrivateAttr(default=())

    def linked_chains(self) -> tuple[str, ...]:
        return (self.indexes,)

    def lag_chain(self) -> str | None:
        return self.indexes

    def link(self, chains: dict) -> None:
        other = chains[self.indexes]
        if not hasattr(other, "chain_id"):
            raise ValueError(f"indexes: chain {self.indexes!r} is a {other.kind} chain; a subgraph indexes an EVM chain (eth_getBlockByNumber)")
        self._indexed_block_time = other.block_time
        self._indexed_references = tuple(other.references or other.endpoints)

    @property
    def indexed_references(self) -> tuple[Endpoint, ...]:
        """Endpoints of the indexed chain the fork check may read (its references, else its endpoints)."""
        return self._indexed_references

    @property
    def block_time(self) -> float:
        return self.block_time_seconds or self._indexed_block_time or 12.0

    def lag_seconds(self, level: Literal["warning", "critical"]) -> float:
        t = self.thresholds
        value = t.sync_lag_seconds_warning if level == "warning" else t.sync_lag_seconds_critical
        if value is not None:
            return value
        return ARTICLE_LAG_SECONDS / 2 if level == "warning" else ARTICLE_LAG_SECONDS

    @property
    def stall_window_seconds(self) -> float:
        return round(self.stall_seconds or max(10 * self.block_time, 60.0), 3)

    def expected_deployment(self, endpoint: SubgraphEndpoint) -> str | None:
        return endpoint.deployment or self.deployment
