"""What ``chainwatch check`` prints: the chain id column for every kind that checks an identity,
no lag without a reference, and a connection failure in words instead of aiohttp's text.

The table's rows are built from a probe round's snapshot; the first tests hand ``rows`` a
snapshot of results as the probes report them (success, or the reason they failed), the last
runs the command against a closed loopback port.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass, field

from chainwatch.assembly.config import load
from chainwatch.devnet.procs import free_port
from chainwatch.exporters.checkcmd import COLUMNS, rows
from tests.support import REPO

EXAMPLE = load(REPO / "examples/chainwatch.yaml", need_secrets=False)


@dataclass
class Result:
    success: bool = True
    reason: str = ""
    detail: str = ""
    head_height: float | None = 100
    calls: list = field(default_factory=list)
    values: dict = field(default_factory=dict)
    unready: str | None = None

    def get(self, name, **_):
        return self.values.get(name)


@dataclass
class State:
    chain_name: str
    chain: object
    endpoint: object


@dataclass
class Snapshot:
    states: list
    results: dict
    lag: dict
    lag_basis: dict = field(default_factory=dict)


def table(config, results: dict[str, Result], lag: dict | None = None) -> dict[str, dict[str, str]]:
    states = [State(c, chain, e) for c, chain, e in config.endpoints() if e.name in results]
    out = rows(config, Snapshot(states, results, lag or {}))
    return {row[1]: dict(zip(COLUMNS, row)) for row in out}


def first(kind: str, config=EXAMPLE):
    return next((c, e) for c, chain, e in config.endpoints() if chain.kind == kind)


def test_chain_id_column_is_filled_for_cosmos_and_solana_when_checked():
    (_, cosmos), (_, solana), (_, evm) = first("cosmos"), first("solana"), first("evm")
    got = table(EXAMPLE, {cosmos.name: Result(), solana.name: Result(), evm.name: Result(values={"chainwatch_chain_id": 1})})
    assert got[cosmos.name]["chain id"] == "ok"  # chain_id (node_info.network) checked
    assert got[solana.name]["chain id"] == "ok"  # genesis_hash checked
    assert got[evm.name]["chain id"] == "ok"
    wrong = table(EXAMPLE, {cosmos.name: Result(success=False, reason="wrong_chain", detail="node_info.network 'theta-testnet-001'")})
    assert wrong[cosmos.name]["chain id"] == "WRONG"
    failed = table(EXAMPLE, {solana.name: Result(success=False, reason="timeout")})
    assert failed[solana.name]["chain id"] == "-"  # never got as far as the identity check


def test_no_lag_printed_for_a_chain_without_references(tmp_path):
    (tmp_path / "c.yaml").write_text(
        "chains:\n  solo:\n    kind: evm\n    network: mainnet\n    chain_id: 1\n    endpoints:\n      - {name: geth-1, url: 'http://127.0.0.1:1/'}\n"
        "  pair:\n    kind: evm\n    network: sepolia\n    chain_id: 11155111\n    endpoints:\n"
        "      - {name: node-a, url: 'http://127.0.0.1:2/'}\n      - {name: ref-a, url: 'http://127.0.0.1:3/', role: reference}\n"
    )
    config = load(tmp_path / "c.yaml", need_secrets=False)
    got = table(config, {"geth-1": Result(), "node-a": Result()}, lag={"geth-1": (0.0,), "node-a": (3.0,)})
    assert got["geth-1"]["lag"] == "-"
    assert got["node-a"]["lag"] == "3"


def test_connection_refused_reads_as_words(tmp_path):
    port = free_port()  # nothing listens there
    (tmp_path / "c.yaml").write_text(
        f"chains:\n  eth:\n    kind: evm\n    network: mainnet\n    chain_id: 1\n    endpoints:\n      - {{name: geth-1, url: 'http://127.0.0.1:{port}/'}}\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "chainwatch.cli", "check", "--config.file", str(tmp_path / "c.yaml"), "--timeout", "5"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"FAIL connect: cannot connect to 127.0.0.1:{port}: Connection refused" in run.stdout, run.stdout
    assert "ssl:default" not in run.stdout and "ClientConnectorError" not in run.stdout


def test_a_certificate_expiring_today_reads_in_hours_not_0d():
    _, evm = first("evm")
    now = time.time()
    soon = table(EXAMPLE, {evm.name: Result(values={"chainwatch_tls_verified_chain_expiry_timestamp_seconds": now + 5 * 3600 - 30})})
    assert soon[evm.name]["cert expiry"].startswith("4h 59m ")
    later = table(EXAMPLE, {evm.name: Result(values={"chainwatch_tls_verified_chain_expiry_timestamp_seconds": now + 12.4 * 86400})})
    assert later[evm.name]["cert expiry"] == "12d"
