"""The one builder for the chain configs tests write (entries of chainwatch.yaml's ``chains:``).

    write_config(path, {"devnet": anvil_chain(ref_at(ref.url), node_at(node.url))})
    chain_config = mainnet("beacon", node_at(srv.url("/"), name="lh-1"))

:func:`mainnet` gives each kind the network identity its answer table in
:mod:`tests.support.answers` carries (chain id 1, the beacon genesis root, the Solana
mainnet genesis, ``cosmoshub-4``), so the probe's identity check passes unless a test breaks
it on purpose. Extra keyword arguments are the chain's own fields (``thresholds``,
``block_time_seconds``, ...), written as the config file has them.
"""

from __future__ import annotations

from typing import Any

import yaml

from .answers import BEACON_GENESIS_ROOT, COSMOS_CHAIN_ID


def node_at(url: str, name: str = "node-1", **extra: Any) -> dict[str, Any]:
    """An operated endpoint (``role: node``)."""
    return {"name": name, "url": url, "role": "node", **extra}


def ref_at(url: str, name: str = "ref-1", **extra: Any) -> dict[str, Any]:
    """A reference endpoint (``role: reference``): the head the nodes are measured against."""
    return {"name": name, "url": url, "role": "reference", **extra}


def chain(kind: str, *endpoints: dict, network: str, **fields: Any) -> dict[str, Any]:
    return {"kind": kind, "network": network, **fields, "endpoints": list(endpoints)}


def anvil_chain(*endpoints: dict, **fields: Any) -> dict[str, Any]:
    """An EVM chain of anvil nodes (chain id 31337)."""
    return chain("evm", *endpoints, network="anvil", **{"chain_id": 31337, **fields})


# Each kind's mainnet identity, as the answer tables of tests/support/answers.py answer it.
MAINNET: dict[str, dict[str, Any]] = {
    "evm": {"network": "mainnet", "chain_id": 1},
    "beacon": {"network": "mainnet", "genesis_validators_root": BEACON_GENESIS_ROOT},
    "solana": {"network": "mainnet-beta"},
    "cosmos": {"network": "mainnet", "chain_id": COSMOS_CHAIN_ID},
}


def mainnet(kind: str, *endpoints: dict, **fields: Any) -> dict[str, Any]:
    identity = dict(MAINNET[kind])
    return chain(kind, *endpoints, network=identity.pop("network"), **{**identity, **fields})


# Probe on every scrape and trust a reference answer of any age: what a test of one scrape needs.
IMMEDIATE = {"min_probe_interval_seconds": 0, "reference_max_age_seconds": 0}


def config_text(chains: dict[str, dict], **top: Any) -> str:
    """A whole chainwatch.yaml (``top`` fields such as ``exporter`` first, then ``chains``)."""
    return yaml.safe_dump({**top, "chains": chains}, sort_keys=False)
