"""Config of a subgraph: what it indexes, block time and thresholds from that chain, secrets (no server)."""

from __future__ import annotations

import math

import pytest
import yaml

from chainwatch.assembly.config import ConfigError, parse

DEPLOYMENT = "QmPZKJUpWsmbhamHczpE5wEuNiVL12JhK7S4zrAxhNb3DT"


def config(**subgraph):
    chains = {
        "arbitrum": {
            "kind": "evm",
            "network": "mainnet",
            "chain_id": 42161,
            "endpoints": [{"name": "arb-ref", "url": "https://arb.example/v2/ARBKEY12345", "role": "reference"}],
        },
        "solana": {"kind": "solana", "network": "mainnet-beta", "endpoints": [{"name": "sol", "url": "http://127.0.0.1:8899"}]},
        "gmx": {
            "kind": "subgraph",
            "network": "mainnet",
            "indexes": "arbitrum",
            "endpoints": [
                {
                    "name": "graph-1",
                    "url": "http://10.0.0.1:8000/subgraphs/name/gmx",
                    "index_node_url": "http://user:IndexPass99@10.0.0.1:8030/graphql?token=${INDEX_TOKEN}",
                }
            ],
            **subgraph,
        },
    }
    return parse(yaml.safe_dump({"chains": chains}), env={"INDEX_TOKEN": "tok-SECRET-42"})


def test_thresholds_scale_the_articles_100_blocks_on_12_seconds_by_the_indexed_chains_block_time():
    gmx = config().chains["gmx"]
    assert gmx.block_time == 0.25  # Arbitrum's
    assert gmx.lag_blocks("critical") == math.ceil(1200 / 0.25) == 4800
    assert gmx.lag_blocks("warning") == 2400
    assert gmx.stall_window_seconds == 60.0  # max(10 blocks, 60 s)


def test_index_node_url_credentials_and_env_values_are_secrets():
    secrets = config().chains["gmx"].endpoints[0].secrets
    assert "IndexPass99" in secrets and "tok-SECRET-42" in secrets


@pytest.mark.parametrize(
    "change, message",
    [
        ({"indexes": "nowhere"}, "refers to chain 'nowhere', which is not another chain of this config"),
        ({"indexes": "solana"}, "indexes: chain 'solana' is a solana chain; a subgraph indexes an EVM chain"),
        ({"deployment": "Qm-not-a-hash"}, "deployment"),
    ],
)
def test_bad_links_are_clear_errors(change, message):
    with pytest.raises(ConfigError) as err:
        config(**change)
    assert message in str(err.value)
