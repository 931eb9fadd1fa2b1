"""The bitcoin probe against a REAL Litecoin Core 0.21 regtest pair (Debian ``litecoind``; Bitcoin
Core 0.21 RPC surface) on loopback: isolation, catch-up, a stopped node, a fork, auth, wrong chain.

Skipped where litecoind is not installed (failed under CI, where .ci/setup installs it).
"""

from __future__ import annotations

import re
import subprocess
import sys

import yaml

from tests.support.stack import Samples

from .conftest import PASSWORD, LiveRig, Rig
from .litecoind import wait_until


def value(text: str, name: str, **labels) -> float | None:
    return Samples.parse(text).value(name, **labels)


async def test_synced_pair_reads_every_method(pair):
    snap, text = await Rig(pair.chain_config()).round()
    for name in ("ltc-ref", "ltc-node"):
        result = snap.results[name]
        assert result.success, (name, result.reason, result.detail)
        assert result.head_height == pair.ref.height()
    e = {"endpoint": "ltc-node"}
    assert value(text, "chainwatch_peers", **e) == 1
    assert value(text, "chainwatch_sync_lag_blocks", **e) == 0
    assert value(text, "chainwatch_bitcoin_headers_behind_blocks", **e) == 0
    assert value(text, "chainwatch_bitcoin_initial_block_download", **e) == 0  # blocks mined just now: not in IBD
    assert value(text, "chainwatch_syncing", **e) == 0
    assert value(text, "chainwatch_bitcoin_network_active", **e) == 1
    assert value(text, "chainwatch_bitcoin_connections", direction="in", endpoint="ltc-ref") == 1
    assert value(text, "chainwatch_bitcoin_connections", direction="out", **e) == 1
    assert value(text, "chainwatch_mempool_transactions", state="pending", **e) == 0
    assert value(text, "chainwatch_bitcoin_mempool_min_fee_sat_per_vbyte", **e) == 1  # 0.00001 LTC/kvB
    assert value(text, "chainwatch_bitcoin_chain_tips", status="active", **e) == 1
    assert value(text, "chainwatch_bitcoin_verification_progress_ratio", **e) == 1
    # regtest has no fee data: estimatesmartfee answers "errors", the metric is absent, the probe fine.
    assert Samples.parse(text).find("chainwatch_bitcoin_fee_estimate_sat_per_vbyte") == []
    # 0.21 has no getblockchaininfo.time: the head age comes from getblockheader of the best block.
    age = value(text, "chainwatch_head_age_seconds", **e)
    assert age is not None and 0 <= age < 120
    assert re.search(r'chainwatch_node_info\{[^}]*client_version="/LitecoinCore:0\.21[^"]*/"', text)


async def test_best_block_header_is_asked_once_per_new_head(pair):
    rig = LiveRig(pair.chain_config())
    try:

        def headers_asked(snap) -> int:
            return sum(1 for c in snap.results["ltc-node"].calls if c.method == "getblockheader")

        first, _ = await rig.round()
        again, _ = await rig.round()
        pair.ref.mine(1)
        wait_until(lambda: pair.node.height() == pair.ref.height(), 30, "node has the new block")
        moved, _ = await rig.round()
        assert [headers_asked(s) for s in (first, again, moved)] == [1, 0, 1]
        assert [len(s.results["ltc-node"].calls) for s in (first, again, moved)] == [2, 1, 2]
    finally:
        await rig.close()


async def test_isolated_node_loses_peers_and_falls_behind_then_catches_up(pair):
    rig = LiveRig(pair.chain_config())
    try:
        pair.node.call("setnetworkactive", False)
        wait_until(lambda: pair.node.peers() == 0 and pair.ref.peers() == 0, 30, "node cut off")
        lags = []
        for _ in range(3):
            pair.ref.mine(2)
            snap, text = await rig.round()
            assert snap.results["ltc-node"].success
            assert value(text, "chainwatch_peers", endpoint="ltc-node") == 0
            assert value(text, "chainwatch_bitcoin_network_active", endpoint="ltc-node") == 0
            lags.append(value(text, "chainwatch_sync_lag_blocks", endpoint="ltc-node"))
        assert lags == [2, 4, 6]  # growing with every block the rest of the network mines

        pair.node.call("setnetworkactive", True)
        wait_until(lambda: pair.node.height() == pair.ref.height(), 60, "reconnected node caught up")
        snap, text = await rig.round()
        assert value(text, "chainwatch_sync_lag_blocks", endpoint="ltc-node") == 0
        assert value(text, "chainwatch_peers", endpoint="ltc-node") == 1
        assert value(text, "chainwatch_bitcoin_network_active", endpoint="ltc-node") == 1
    finally:
        pair.node.call("setnetworkactive", True)
        await rig.close()


async def test_invalidated_block_shows_as_a_fork_in_chain_tips(pair):
    tip = pair.ref.call("getbestblockhash")
    height = pair.ref.height()
    pair.ref.call("invalidateblock", tip)
    try:
        snap, text = await Rig(pair.chain_config()).round()
        assert snap.results["ltc-ref"].head_height == height - 1
        assert value(text, "chainwatch_bitcoin_chain_tips", endpoint="ltc-ref", status="invalid") == 1
        assert value(text, "chainwatch_bitcoin_chain_tips", endpoint="ltc-ref", status="active") == 1
        assert value(text, "chainwatch_bitcoin_chain_tips", endpoint="ltc-node", status="invalid") == 0
        # The node kept the block: it is now one ahead of the reference, which is no lag.
        assert value(text, "chainwatch_sync_lag_blocks", endpoint="ltc-node") == 0
    finally:
        pair.ref.call("reconsiderblock", tip)
    wait_until(lambda: pair.ref.height() == height, 30, "block reconsidered")


async def test_wrong_chain_name_fails_with_wrong_chain(pair):
    snap, text = await Rig(pair.chain_config(chain="main")).round()
    for name in ("ltc-ref", "ltc-node"):
        assert snap.results[name].reason == "wrong_chain"
        assert "regtest" in snap.results[name].detail
    assert value(text, "chainwatch_probe_failure_reason", endpoint="ltc-node", reason="wrong_chain") == 1
    assert value(text, "chainwatch_head_height", endpoint="ltc-node") is None  # no number from the wrong network


async def test_wrong_password_is_auth_and_never_printed(pair, tmp_path):
    wrong = tmp_path / "wrong.password"
    wrong.write_text("not-" + PASSWORD)
    snap, text = await Rig(pair.chain_config(password_file=wrong)).round()
    result = snap.results["ltc-node"]
    assert (result.success, result.reason) == (False, "auth")
    assert "HTTP 401" in result.detail and str(wrong) in result.detail
    assert value(text, "chainwatch_probe_failure_reason", endpoint="ltc-node", reason="auth") == 1
    assert PASSWORD not in result.detail and PASSWORD not in text


async def test_cookie_of_the_node_works_too(pair):
    snap, _ = await Rig(pair.chain_config(node_cookie=True)).round()
    assert snap.results["ltc-node"].success, snap.results["ltc-node"].detail


def test_secret_never_in_check_output_metrics_or_logs(pair, tmp_path):
    """`chainwatch check` and a running exporter at debug level, with the password-file and the
    cookie endpoints, plus one wrong password: no output holds the password or the cookie."""
    from tests.hardening.harness import DebugExporter

    wrong = tmp_path / "wrong.password"
    wrong.write_text("x" + PASSWORD)
    chain = pair.chain_config()
    bad = {**chain["endpoints"][1], "name": "ltc-bad", "auth": {"username": "chainwatch", "password_file": str(wrong)}}
    chain["endpoints"].append(bad)
    path = tmp_path / "chainwatch.yaml"
    path.write_text(yaml.safe_dump({"chains": {"ltc": chain}}))
    cookie = pair.ref.cookie.read_text().strip().split(":", 1)[1]
    secrets = {"password": PASSWORD, "cookie": cookie}

    check = subprocess.run([sys.executable, "-m", "chainwatch.cli", "check", "--config.file", str(path)], capture_output=True, text=True, timeout=60)
    out = check.stdout + check.stderr
    assert "ltc-node" in out and "FAIL auth" in out, out
    exporter = DebugExporter(path, tmp_path)
    try:
        status, metrics = exporter.get("/metrics")
        assert status == 200 and 'reason="auth"' in metrics
        _, probe = exporter.get("/probe?target=ltc-bad")
    finally:
        exporter.stop()
    logs = exporter.log_path.read_text()
    assert "ltc-bad" in logs  # the failure was logged ...
    for where, text in {"check": out, "metrics": metrics, "probe": probe, "logs": logs}.items():
        for what, secret in secrets.items():
            assert secret[:12] not in text, f"{what} leaked into {where}"


def test_stopped_node_is_down_with_connect_then_back(pair):
    """Last in the module: stops the node and starts it again on the same datadir and ports."""
    import asyncio

    pair.node.stop()
    snap, text = asyncio.run(Rig(pair.chain_config()).round())
    assert (snap.results["ltc-node"].success, snap.results["ltc-node"].reason) == (False, "connect")
    assert value(text, "chainwatch_probe_success", endpoint="ltc-node") == 0
    assert snap.results["ltc-ref"].success

    pair.node = pair.node.restart()
    wait_until(lambda: pair.node.peers() == 1, 60, "restarted node reconnected")
    snap, _ = asyncio.run(Rig(pair.chain_config()).round())
    assert snap.results["ltc-node"].success, snap.results["ltc-node"].detail
