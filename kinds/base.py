"""What a chain kind declares: the plug-in shape every kind package fills in.

A kind is a package ``chainwatch.kinds.<name>`` whose ``__init__`` sets ``KIND`` to a
:class:`ChainKind`. Its code lives beside it under fixed module names, imported only when
used (so loading the config never imports a probe or a dashboard):

- ``config.py``: the chain's pydantic model (subclass of ``core.chain.ChainBase`` with
  ``kind: Literal["<name>"]``) — passed as ``KIND.config``; thresholds and ``for:`` durations
  only its own alerts read go in subclasses of ``core.chain.Thresholds`` / ``Durations``
  (its ``thresholds`` field), never in the shared models;
- ``probe.py``: ``PROBE``, one round against one endpoint (``exporters.probe.Probe``);
  optionally ``PROBE.finish(result, chain, summaries)``, called after the round with every
  involved chain's reference summary (``exporters.scheduler.ChainSummary`` by chain name,
  including the chain's ``linked_chains()``), for values measured against another chain;
- ``monitor.py`` (optional): ``create(chain_name, chain, transport, settings)``, the
  background monitor of the chain's validators;
- ``stream.py`` (with the ``stream`` capability): ``STREAM``, the head subscription an
  endpoint's ``ws_url`` is watched with (``exporters.streams``);
- ``divergence.py`` (with the ``divergence`` capability): ``block_hash(endpoint, ctx, height)``,
  the hash of the endpoint's block at ``height`` (``exporters.divergence``); a probe that batches
  sets ``ProbeResult.block_hash`` itself and the hook is not called;
- ``alerts.py`` (optional): ``ALERTS``, the kind's own alert declarations
  (:class:`~chainwatch.core.alertkit.AlertSpec`), with their runbooks in ``runbooks/*.md``;
- ``dashboard.py``: ``build(config, name)``, the per-chain Grafana dashboard;
- ``simulator.py`` (optional): a docs-shaped stand-in where no real node runs here, built on
  ``devnet.simulator.Simulation`` (HTTP server, ``/-/state`` + ``/-/control``, clock);
- ``demo.py`` (optional): ``DEMO``, the kind's part of ``chainwatch demo``
  (a ``devnet.part.DemoPart`` subclass): its nodes or simulator, its chain block(s) of the demo
  config, its faults and its ``--no-<name>`` flag.

Shared alerts and panels choose by :attr:`ChainKind.capabilities`, never by kind name.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from collections.abc import Callable
from types import ModuleType

from chainwatch.core.declarations import Metric

# What a kind can offer; shared metrics, alerts and panels say which one they need.
CAPABILITIES = frozenset(
    {
        "peers",  # chainwatch_peers: connected peers of a node
        "mempool",  # chainwatch_mempool_transactions: a public mempool
        "validators",  # a background validator monitor by group (chainwatch_validator_monitor_*)
        "reference_halt",  # the shared ChainwatchChainHalted (no reference advanced) applies
        "stream",  # stream.py: a head subscription for endpoints with ws_url (chainwatch_stream_*)
        "indexer",  # indexes another chain of the config (linked_chains): executive "indexers behind"
        "divergence",  # divergence.py: block hashes at a common height vs the references (chainwatch_block_hash_diverged)
        "accounts",  # accounts.py: READER, the balances of the chain's configured accounts (chainwatch_account_*)
        "upgrades",  # the probe reads the next scheduled upgrade and judges client versions (upgrades:, chainwatch_upgrade_*)
    }
)


@dataclass(frozen=True)
class ChainKind:
    name: str
    config: type  # the pydantic model of one chain of this kind
    unit: str  # what head heights count: "blocks" or "slots"
    primary_method: str  # the request label whose latency stands for the endpoint's
    capabilities: frozenset[str] = frozenset()
    metrics: tuple[Metric, ...] = ()
    # The genesis identity a chain may pin, as (config field, where the probe reads it),
    # for ChainwatchWrongChain's text; None when the chain id is the identity.
    identity: tuple[str, str] | None = None
    # For docs/config.md: the kind's nested config models, and where its block time comes from.
    config_models: tuple[type, ...] = ()
    block_time_doc: str = ""
    # A minimal chain of this kind, ``example(url) -> dict``: one ``chains:`` entry as
    # chainwatch.yaml writes it, its endpoint(s) at ``url``. The conformance test
    # (tests/test_conformance.py) builds its one-chain config from it; chains it links
    # (``linked_chains()``) are other chains of that config, of whatever kind fits.
    example: Callable[[str], dict] | None = None
    # The other chains the example names that only the kind can write, ``example_linked(url) ->
    # {name: chains: entry}``: an avalanche example's C-chain is served at its node's url +
    # ``/ext/bc/C/rpc``, which no other kind's example fits. None: the conformance test takes
    # the chains of ``linked_chains()`` from whichever registered kind's example fits.
    example_linked: Callable[[str], dict[str, dict]] | None = None
    # Divergence: how far below the lowest reference head the block hashes are compared (in
    # ``unit``), past the reorgs the chain has in normal operation; 0 without the capability.
    confirmation_depth: int = 0
    # Where its modules live when not in chainwatch.kinds.<name> (a kind given to kinds.register()).
    home: str = ""
    # JSON-RPC methods the probe sends less often than every round, as (method, seconds between):
    # `chainwatch check` counts their credits at that rate, not at every round's.
    occasional_calls: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        unknown = self.capabilities - CAPABILITIES
        if unknown:
            raise ValueError(f"chain kind {self.name}: unknown capabilities {sorted(unknown)}")
        if ("divergence" in self.capabilities) != (self.confirmation_depth > 0):
            raise ValueError(f"chain kind {self.name}: the divergence capability and a confirmation_depth > 0 go together")

    @property
    def package(self) -> str:
        return self.home or f"chainwatch.kinds.{self.name}"

    def module(self, part: str) -> ModuleType | None:
        """``<package>.<part>``, or None when the kind has no such module."""
        name = f"{self.package}.{part}"
        if importlib.util.find_spec(name) is None:
            return None
        return importlib.import_module(name)

    def probe(self):
        return self.module("probe").PROBE

    def monitor_factory(self):
        module = self.module("monitor")
        return module.create if module is not None else None

    def stream(self):
        return self.module("stream").STREAM

    def block_hash(self):
        """The kind's ``divergence.block_hash`` hook (the ``divergence`` capability)."""
        return self.module("divergence").block_hash

    def alert_specs(self) -> tuple:
        """The kind's own alert declarations (``alerts.py`` ``ALERTS``), in rule order."""
        module = self.module("alerts")
        return tuple(module.ALERTS) if module is not None else ()

    def account_records(self, name: str, chain) -> list:
        """Recording rules that put the kind's own balances (not ``accounts:``) into the account
        schema (``alerts.py`` ``account_records``, e.g. Avalanche L1 validators), or none."""
        module = self.module("alerts")
        hook = getattr(module, "account_records", None) if module is not None else None
        return hook(name, chain) if hook is not None else []

    def dashboard(self):
        return self.module("dashboard").build

    def demo(self) -> type | None:
        """The kind's demo part (``demo.py`` ``DEMO``, a ``devnet.part.DemoPart`` subclass), or None."""
        module = self.module("demo")
        return module.DEMO if module is not None else None
