"""An avalanche chain names its C-chain and subnet-EVM chains (`evm_chains`): `kind: evm` chains of
the same config served by its nodes. A wrong link is refused at the `evm_chains` line."""

from __future__ import annotations

import pytest

from chainwatch.assembly.config import ConfigError, parse

CONFIG = """\
teams:
  ops: {}
chains:
  avax-c:
    kind: evm
    network: fuji
    chain_id: 43113
    block_time_seconds: 2
    team: ops
    endpoints:
      - {name: avax-node-c, url: "http://127.0.0.1:9650/ext/bc/C/rpc"}
      - {name: avax-ref-c, url: "http://127.0.0.1:9660/ext/bc/C/rpc", role: reference}
  dfk:
    kind: evm
    network: fuji
    chain_id: 335
    block_time_seconds: 2
    team: ops
    endpoints:
      - {name: avax-node-dfk, url: "http://127.0.0.1:9650/ext/bc/2rwhRKN8qfxK9AEJunfUjn5WH7PQzUPPQKCb59ak6fwsrwF2R/rpc"}
  sol:
    kind: solana
    network: devnet
    team: ops
    endpoints:
      - {name: sol-1, url: "http://127.0.0.1:8899"}
  avax:
    kind: avalanche
    network: fuji
    network_id: 5
    team: ops
    evm_chains:
      - avax-c
      - dfk
    endpoints:
      - {name: avax-node, url: "http://127.0.0.1:9650", role: node}
      - {name: avax-ref-1, url: "http://127.0.0.1:9660", role: reference}
"""
LINE = CONFIG.splitlines().index("      - dfk") + 1


def problem(text: str) -> str:
    with pytest.raises(ConfigError) as exc:
        parse(text)
    return str(exc.value)


def test_each_evm_endpoint_is_paired_with_the_node_that_serves_it():
    served = parse(CONFIG).chains["avax"].evm_served
    assert [tuple(s) for s in served] == [
        ("avax-c", "avax-node-c", "avax-node", "C"),
        ("dfk", "avax-node-dfk", "avax-node", "2rwhRKN8qfxK9AEJunfUjn5WH7PQzUPPQKCb59ak6fwsrwF2R"),
    ]  # avax-ref-c is served by a reference, not by a node of ours


@pytest.mark.parametrize(
    ("replacement", "message"),
    [
        ("      - missing", "chains.avax.evm_chains[1]: refers to chain 'missing', which is not another chain of this config"),
        ("      - sol", "chains.avax.evm_chains[1]: chain 'sol' is a solana chain; the C-chain and subnet-EVM chains are kind: evm chains"),
        ("      - avax-c", "chains.avax.evm_chains[1]: chain 'avax-c' is listed twice"),
        ("      - avax", "chains.avax.evm_chains[1]: refers to chain 'avax', which is not another chain"),
    ],
)
def test_a_wrong_link_is_refused_at_its_line(replacement, message):
    got = problem(CONFIG.replace("      - dfk", replacement))
    assert got.startswith(f"chainwatch.yaml:{LINE}: {message}"), got


def test_an_evm_chain_no_node_of_ours_serves_is_refused():
    got = problem(CONFIG.replace("127.0.0.1:9650/ext/bc/2rwh", "127.0.0.1:9651/ext/bc/2rwh"))
    assert got.startswith(f"chainwatch.yaml:{LINE}: chains.avax.evm_chains[1]: no endpoint of chain 'dfk' is served by a node of this chain"), got
    assert "9650" not in got  # names endpoints, never urls (they may carry keys)
