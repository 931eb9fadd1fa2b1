"""Account balances and runway on a real anvil (npm @foundry-rs/anvil-linux-amd64): the dev
account sends transactions, its balance falls in the exposition, the spend counter grows by
exactly the fall, and Prometheus-style runway (balance / spend rate) is finite; an account that
only receives has no spend at all."""

from __future__ import annotations

import subprocess

import pytest

from tests.support import require_binary
from tests.support.configs import anvil_chain, node_at
from tests.support.poll import wait_until
from tests.support.stack import DEV_ACCOUNT, Anvil, Exporter, write_config

pytestmark = pytest.mark.anvil

RECEIVER = "0x70997970c51812dc3a75c99ca01e1d8bfbdb8ee3"  # anvil's second dev account
WEI = 10**18


def test_sending_account_balance_falls_and_has_runway(tmp_path):
    node = Anvil(tmp_path, name="node")
    try:
        accounts = [
            {"name": "batcher", "address": DEV_ACCOUNT, "purpose": "batcher", "minimum": 1},
            {"name": "treasury", "address": RECEIVER, "purpose": "treasury", "team": "default"},
        ]
        path = write_config(
            tmp_path / "chainwatch.yaml",
            {"devnet": anvil_chain(node_at(node.url), accounts=accounts, accounts_interval_seconds=1)},
            exporter={"min_probe_interval_seconds": 0},
        )
        with Exporter(path, tmp_path) as exporter:
            first = wait_until(
                lambda: (s := exporter.metrics()).value("chainwatch_account_balance", account="batcher") is not None and s, 15, "first balance read"
            )
            start = first.value("chainwatch_account_balance", account="batcher")
            assert start == pytest.approx(int(node.call("eth_getBalance", [DEV_ACCOUNT, "latest"]), 16) / WEI)
            assert first.value("chainwatch_account_info", account="batcher", address=DEV_ACCOUNT, symbol="ETH") == 1
            assert first.value("chainwatch_account_spent_total", account="batcher", purpose="batcher", team="default") == 0
            for _ in range(3):
                node.call("eth_sendTransaction", [{"from": DEV_ACCOUNT, "to": RECEIVER, "value": hex(2 * WEI)}])
            later = wait_until(
                lambda: (s := exporter.metrics()).value("chainwatch_account_balance", account="batcher") <= start - 6 and s,
                15,
                "balance falls by the 6 ether sent (plus gas)",
            )
            now = later.value("chainwatch_account_balance", account="batcher")
            spent = later.value("chainwatch_account_spent_total", account="batcher")
            assert now == pytest.approx(int(node.call("eth_getBalance", [DEV_ACCOUNT, "latest"]), 16) / WEI)
            assert spent == pytest.approx(start - now, rel=1e-9)  # every fall counted, gas included
            assert 6 < spent < 6.01
            # The receiver only rose: received, never spent (no spend rate, so no runway series).
            assert later.value("chainwatch_account_spent_total", account="treasury") == 0
            assert later.value("chainwatch_account_received_total", account="treasury") == pytest.approx(6, rel=1e-9)
            # Runway as the rule computes it: balance / spend per second over the window.
            runway_days = now / (spent / 600) / 86400  # spent within a 10-minute window
            assert 0 < runway_days < 1e6
            assert later.value("chainwatch_account_read_failures_total") == 0
            text = exporter.get("/metrics")[1]
            assert node.url not in text and "127.0.0.1" not in text  # provider URLs never in the exposition
            lint = subprocess.run([require_binary("promtool"), "check", "metrics"], input=text, capture_output=True, text=True)
            assert not [line for line in (lint.stdout + lint.stderr).splitlines() if "chainwatch_account" in line], lint.stdout + lint.stderr
    finally:
        node.stop()
