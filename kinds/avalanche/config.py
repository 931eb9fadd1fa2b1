"""Config of AvalancheGo nodes (`kind: avalanche`): their Info, Health and P-Chain APIs.

An endpoint's ``url`` is the node's HTTP API root (``http://10.0.0.5:9650``); the probe adds
``/ext/info``, ``/ext/health`` and ``/ext/bc/P``. References are other nodes or public API
servers (``https://api.avax.network``): they serve Info and P-Chain but not Health, so health
figures come from our own nodes only.

The C-chain and subnet-EVM chains are `kind: evm` chains of the same config whose endpoints are
the nodes' ``/ext/bc/C/rpc`` and ``/ext/bc/<blockchainID>/rpc``; ``evm_chains`` names them. The
link is checked (each one an EVM chain of the config, served by at least one node of this chain,
paired by url) and a node's C-chain endpoint that is down while the node bootstraps its C-chain
does not page beside the node's ``ChainwatchAvalancheChainNotBootstrapped``: see docs/avalanche.md.

Validators are watched in user-named groups. A primary-network validator is named by its
``node_id``: its uptime is the median of the reference nodes' views
(``platform.getCurrentValidators``), and its reward runway the downtime it can still afford.
An L1 validator (ACP-77) is named by its ``validation_id``: its fee runway is its balance over
the validator fee price.

Example::

    chains:
      avalanche:
        kind: avalanche
        network: mainnet
        network_id: 1
        evm_chains: [avalanche-c]         # a kind: evm chain at http://10.0.0.5:9650/ext/bc/C/rpc
        subnets: {dfk: Vn3aX6hNRstj5VHHm63TCgPNaeGnRSqCYXQqemSqDd2TQH4qJ}  # /ext/health?tag=<subnetID>
        endpoints:
          - {name: avax-1, url: "http://10.0.0.5:9650"}
          - {name: avax-ref-1, url: "https://api.avax.network", role: reference}
          - {name: avax-ref-2, url: "https://avalanche-p-chain.example.com", role: reference}
        validators:
          groups:
            ops:
              - {name: ours, node_id: NodeID-7Xhw2mDxuDS44j42TCB6U5579esbSt3Lg}
              - {name: l1-ours, validation_id: 2Y3bqhY4Y4dF4gcUWk8BPj4YkZVBwXGVqakFKfGqxmh7rQyk1M}
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, NamedTuple

from pydantic import Field, PrivateAttr, model_validator

from chainwatch import kinds
from chainwatch.core.chain import NAME_PATTERN, ChainBase, Durations, FieldError, Strict, Thresholds

NODE_ID_PATTERN = r"^NodeID-[1-9A-HJ-NP-Za-km-z]{20,40}$"  # "NodeID-" + CB58(20 bytes + checksum)
CB58_ID_PATTERN = r"^[1-9A-HJ-NP-Za-km-z]{40,55}$"  # CB58 of a 32-byte id (validationID, subnetID)
P_CHAIN_BLOCK_SECONDS = 2.0  # the P-chain makes a block when there are transactions; ~2 s on mainnet
PRIMARY_REQUIREMENT = 0.8  # uptime for a staking reward (before Helicon)
HELICON_REQUIREMENT = 0.9  # ACP-267: validations starting at or after Helicon


def evm_kind() -> str:
    """The registered kind ``evm_chains`` may name: the one whose chains a chain id alone
    identifies (``eth_chainId``), as ``link()`` checks; asked of the registry, not named here."""
    return next(k.name for k in kinds.all_kinds() if k.identity is None and "chain_id" in k.config.model_fields)


class EvmServed(NamedTuple):
    """An endpoint of an EVM chain (``evm_chains``) served by a node of ours."""

    chain: str  # the evm chain
    endpoint: str  # its endpoint
    node: str  # our node (an endpoint of the avalanche chain)
    blockchain: str  # "C", or a subnet-EVM chain's blockchain ID


def _served_by(chain: str, endpoint, nodes) -> EvmServed | None:
    for node in nodes:
        root = node.url.rstrip("/") + "/ext/bc/"
        if endpoint.url.startswith(root):
            blockchain, _, rest = endpoint.url[len(root) :].partition("/")
            if rest.rstrip("/") == "rpc" and blockchain:
                return EvmServed(chain, endpoint.name, node.name, blockchain)
    return None


class AvalancheValidator(Strict):
    """One watched validator: a primary-network staker (``node_id``) or an L1 validator (``validation_id``)."""

    name: Annotated[str, Field(pattern=NAME_PATTERN)]
    node_id: Annotated[str, Field(pattern=NODE_ID_PATTERN)] | None = None
    validation_id: Annotated[str, Field(pattern=CB58_ID_PATTERN)] | None = None

    @model_validator(mode="after")
    def _one_id(self):
        if (self.node_id is None) == (self.validation_id is None):
            raise ValueError("set exactly one of node_id (a primary-network validator) or validation_id (an L1 validator)")
        return self


class AvalancheValidators(Strict):
    # The nodes whose views of uptime count: default every reference. Their median is the uptime;
    # a node of ours is asked too, but its view is exported as `view="own"` and never pages.
    views: list[str] = Field(default_factory=list)
    groups: dict[Annotated[str, Field(pattern=NAME_PATTERN)], list[AvalancheValidator]]
    interval_seconds: float = Field(60, ge=0.1, le=3600)  # public P-chain reads may be cached for minutes anyway
    # ACP-267 (Helicon): validations starting at or after this time need 90 % uptime, before it 80 %.
    # Unset: not scheduled on this network (80 % for all).
    helicon_time: datetime | None = None

    def requirement(self, start: float) -> float:
        """The uptime fraction a validation starting at unix time ``start`` needs for its reward."""
        if self.helicon_time is not None and start >= self.helicon_time.timestamp():
            return HELICON_REQUIREMENT
        return PRIMARY_REQUIREMENT


class AvalancheDurations(Durations):
    avalanche_runway: str = "5m"  # reward and fee runway alerts: a cached public answer may lag minutes
    avalanche_health: str = "2m"  # a failing health check / a chain not bootstrapped


class AvalancheThresholds(Thresholds):
    """Avalanche alert thresholds on top of the shared ones."""

    avalanche_reward_runway_warning_hours: float = Field(24, gt=0)  # downtime still allowed before the reward is lost
    avalanche_reward_runway_critical_hours: float = Field(4, gt=0)
    avalanche_fee_runway_warning_days: float = Field(7, gt=0)  # L1 validator balance / fee rate
    avalanche_fee_runway_critical_days: float = Field(1, gt=0)
    durations: AvalancheDurations = Field(default_factory=AvalancheDurations)

    @model_validator(mode="after")
    def _order(self):
        if self.avalanche_reward_runway_warning_hours < self.avalanche_reward_runway_critical_hours:
            raise ValueError("avalanche_reward_runway_warning_hours must not be below avalanche_reward_runway_critical_hours")
        if self.avalanche_fee_runway_warning_days < self.avalanche_fee_runway_critical_days:
            raise ValueError("avalanche_fee_runway_warning_days must not be below avalanche_fee_runway_critical_days")
        return self


class AvalancheChain(ChainBase):
    """AvalancheGo nodes of one network. `network_id` is required (1 mainnet, 5 Fuji): a node whose
    `info.getNetworkID` says another fails with reason `wrong_chain`. The head is the P-chain height."""

    kind: Literal["avalanche"]
    network_id: Annotated[int, Field(ge=1, le=2**32 - 1)]
    thresholds: AvalancheThresholds = Field(default_factory=AvalancheThresholds)
    validators: AvalancheValidators | None = None
    # Subnets (L1s) whose health our nodes report apart (GET /ext/health?tag=<subnetID>), by a
    # name of the user's: the `subnet` label.
    subnets: dict[Annotated[str, Field(pattern=NAME_PATTERN)], Annotated[str, Field(pattern=CB58_ID_PATTERN)]] = Field(default_factory=dict)
    # The C-chain and subnet-EVM chains these nodes serve: `kind: evm` chains of this config.
    evm_chains: list[Annotated[str, Field(pattern=NAME_PATTERN)]] = Field(default_factory=list)

    # Filled by link(): (evm chain, its endpoint, our node endpoint, blockchain) per served endpoint.
    _served: tuple[EvmServed, ...] = PrivateAttr(default=())

    @property
    def block_time(self) -> float:
        return self.block_time_seconds or P_CHAIN_BLOCK_SECONDS

    def link(self, chains: dict) -> None:
        """Check ``evm_chains`` against the config's chains and pair each EVM endpoint with the
        node of ours that serves it: its url is the node's url + ``/ext/bc/<C or blockchainID>/rpc``.
        Errors (FieldError at the ``evm_chains`` entry): a name that is not another chain, a chain
        that is not ``kind: evm``, a chain no endpoint of which a node of ours serves."""
        served: list[EvmServed] = []
        nodes = [e for e in self.endpoints if e.role != "reference"]
        me = next(n for n, c in chains.items() if c is self)
        for i, name in enumerate(self.evm_chains):
            where = ("chains", me, "evm_chains", i)
            other = chains.get(name)
            if other is None or other is self:
                raise FieldError(where, f"refers to chain {name!r}, which is not another chain of this config (chains: {', '.join(sorted(chains))})")
            # An EVM chain: its chain id is its identity (eth_chainId); other kinds pin another field.
            if not hasattr(other, "chain_id") or kinds.get(other.kind).identity is not None:
                raise FieldError(where, f"chain {name!r} is a {other.kind} chain; the C-chain and subnet-EVM chains are kind: evm chains")
            if name in self.evm_chains[:i]:
                raise FieldError(where, f"chain {name!r} is listed twice")
            found = [s for e in other.endpoints if (s := _served_by(name, e, nodes))]
            if not found:
                raise FieldError(
                    where,
                    f"no endpoint of chain {name!r} is served by a node of this chain: its url should be a node's url "
                    f"({', '.join(n.name for n in nodes) or 'no node of ours'}) followed by /ext/bc/C/rpc or /ext/bc/<blockchainID>/rpc",
                )
            served += found
        self._served = tuple(served)

    def alerted_chains(self) -> tuple[str, ...]:
        """The linked chains and ``evm_chains``: ChainwatchAvalancheEvmChainBootstrapping is about
        the C-chain endpoint a node of ours serves."""
        return (*self.linked_chains(), *self.evm_chains)

    @property
    def evm_served(self) -> tuple[EvmServed, ...]:
        """Each EVM endpoint of ``evm_chains`` a node of ours serves, with that node and the blockchain
        (``C`` or the blockchain ID from the url)."""
        return self._served

    @model_validator(mode="after")
    def _validators(self):
        v = self.validators
        if v is None:
            return self
        names = {e.name for e in self.endpoints}
        for n in v.views:
            if n not in names:
                raise ValueError(f"validators.views: {n!r} is not an endpoint of this chain")
        if not v.views and not self.references:
            raise ValueError("validators: uptime is the median of the reference nodes' views; add references or list validators.views")
        return self

    @property
    def view_endpoints(self) -> list:
        """The endpoints whose uptime views make the median (default: every reference)."""
        v = self.validators
        return [self.endpoint(n) for n in v.views] if v and v.views else list(self.references)
