"""``chainwatch check`` answers "what does monitoring cost me" (issue #31): credits per round and
per day of every endpoint with ``provider:``, measured on the round it just sent (every batch
element at the provider's table), never its URL. The upstream is a loopback fake answering as
geth does (tests/support/answers.py)."""

from __future__ import annotations

from chainwatch.assembly.config import parse
from chainwatch.exporters.checkcmd import run_check
from tests.exporter.test_evm_probe import geth
from tests.support.configs import config_text, mainnet, node_at, ref_at
from tests.support.fakeserver import FakeServer

KEY = "k3y-0f-the-provider-9f8e7d"


def test_check_prints_credits_per_endpoint_per_day(capsys):
    with FakeServer() as srv:
        srv.jsonrpc(f"/v2/{KEY}", geth())
        srv.jsonrpc("/own", geth())
        chains = {"ethereum": mainnet("evm", node_at(srv.url("/own")), ref_at(srv.url(f"/v2/{KEY}"), name="alchemy-1", provider="alchemy"))}
        config = parse(config_text(chains, pricing={"alchemy": {"price_per_million_credits": 0.45}}), env={})
        code = run_check(config, 10.0, interval=15.0)
    out = capsys.readouterr().out
    assert code == 0
    cost = out.split("What monitoring costs at paid providers, one round every 15s")[1].splitlines()
    row = next(line.split() for line in cost if line.startswith("alchemy-1"))
    # Every round's batch at Alchemy's compute units: eth_chainId 0 + eth_blockNumber 10 +
    # eth_syncing 0 + net_peerCount 20 + txpool_status 20 + eth_getBlockByNumber 20 +
    # eth_gasPrice 20 = 90, 5760 rounds a day at 15 s; web3_clientVersion (20, in the first
    # round) only every 10 minutes: 144 a day, not 5760 (docs/cost.md: ≈ 521 k CU a day).
    per_day = 90 * 5760 + 20 * 144
    assert row == ["alchemy-1", "alchemy", "90", str(per_day), f"${per_day * 0.45 / 1e6:.4f}"]
    assert not any(line.startswith("node-1") for line in cost)  # not a paid endpoint
    assert KEY not in out


def test_an_endpoint_that_did_not_answer_is_not_measured_rather_than_free(capsys):
    with FakeServer() as srv:
        srv.jsonrpc(f"/v2/{KEY}", geth())
        srv.route("POST", "/down", status=503, body="upstream unavailable")
        chains = {
            "ethereum": mainnet(
                "evm",
                node_at(srv.url(f"/v2/{KEY}"), name="alchemy-1", provider="alchemy"),
                ref_at(srv.url("/down"), name="alchemy-2", provider="alchemy"),
            )
        }
        config = parse(config_text(chains, pricing={"alchemy": {"price_per_million_credits": 0.45}}), env={})
        run_check(config, 10.0, interval=15.0)
    cost = capsys.readouterr().out.split("What monitoring costs at paid providers")[1].splitlines()
    down = next(line for line in cost if line.startswith("alchemy-2"))
    assert "not measured" in down and " 0 " not in f" {down} " and "$0" not in down
    assert next(line.split() for line in cost if line.startswith("alchemy-1"))[2] == "90"


def test_check_takes_the_interval_as_the_config_writes_it(tmp_path):
    """``--interval 30s`` (a Prometheus duration, as the config writes intervals) and ``--interval 30``
    give the same credits per day; a value that is neither is refused by name, before any probe."""
    from click.testing import CliRunner

    from chainwatch.exporters.cli import check

    with FakeServer() as srv:
        srv.jsonrpc(f"/v2/{KEY}", geth())
        chains = {"ethereum": mainnet("evm", node_at(srv.url(f"/v2/{KEY}"), name="alchemy-1", provider="alchemy"))}
        path = tmp_path / "chainwatch.yaml"
        path.write_text(config_text(chains, pricing={"alchemy": {"price_per_million_credits": 0.45}}))
        runner = CliRunner()
        rows = []
        for interval in ("30s", "30", "0.5m"):
            result = runner.invoke(check, ["--config.file", str(path), "--interval", interval])
            if interval == "0.5m":
                assert result.exit_code == 2 and "'0.5m' is neither seconds" in result.output
                continue
            assert result.exit_code == 0, result.output
            assert "one round every 30s" in result.output
            rows.append(next(line.split() for line in result.output.splitlines() if line.startswith("alchemy-1")))
    # 2880 rounds a day at 30 s, web3_clientVersion 144 times
    assert rows[0] == rows[1] and rows[0][3] == str(90 * 2880 + 20 * 144)
