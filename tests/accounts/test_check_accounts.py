"""``chainwatch check`` reads every configured account once, as ``serve`` does (the chain's
first node that answers, then its references), and prints its balance in the native unit or
why it could not be read, never the endpoint's URL or key. An unreadable account is no failing
node: the exit status stays that of the operated nodes. Upstream: loopback fakes answering as
geth does (tests/support/answers.py), one address refused as a proxy allow-list would."""

from __future__ import annotations

from chainwatch.assembly.config import parse
from chainwatch.exporters.checkcmd import run_check
from tests.exporter.test_evm_probe import geth
from tests.support.configs import config_text, mainnet, node_at, ref_at
from tests.support.fakeserver import FakeServer

KEY = "k3y-0f-the-provider-9f8e7d"
BATCHER = "0x6887246668a3b87F54DeB3b94Ba47a6f63F32985"
REFUSED = "0x70997970c51812dc3a75c99ca01e1d8bfbdb8ee3"
ORACLE = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc"
ACCOUNTS = [
    {"name": "batcher", "address": BATCHER, "purpose": "batcher"},
    {"name": "relayer", "address": REFUSED, "purpose": "relayer"},
    {"name": "oracle", "address": ORACLE, "purpose": "oracle", "minimum": 10},
]


def balance(params):
    if params[0].lower() == REFUSED:
        return {"code": -32000, "message": "account not allowed"}
    return hex(4_812_500_000 * 10**9)  # 4.8125 ether


def account_table(out: str) -> dict[str, list[str]]:
    section = out.split("Account balances, one read each")[1].splitlines()[2:]
    return {line.split()[1]: line.split(None, 4) for line in section if line.startswith("ethereum ")}


def test_check_prints_each_account_balance_or_why_not_and_no_runway(capsys):
    with FakeServer() as srv:
        srv.jsonrpc("/node", geth(eth_getBalance=balance))
        chains = {"ethereum": mainnet("evm", node_at(srv.url("/node")), accounts=ACCOUNTS)}
        code = run_check(parse(config_text(chains), env={}), 10.0, interval=15.0)
    out = capsys.readouterr().out
    assert code == 0  # a refused account is no failing node
    table = account_table(out)
    assert table["batcher"] == ["ethereum", "batcher", "batcher", "4.8125", "ETH  ok"]
    # below its minimum: what ChainwatchAccountBalanceLow would page on, said before it pages
    assert table["oracle"][3:] == ["4.8125", "ETH  LOW: below its minimum of 10 ETH"]
    relayer = table["relayer"]
    assert relayer[3] == "-" and relayer[4].startswith("FAIL node-1: rpc_error") and "account not allowed" in relayer[4]
    runway = next(line for line in out.splitlines() if line.startswith("runway:"))
    assert "spend window" in runway and "6h" in runway


def test_the_reference_is_read_when_the_node_does_not_answer_and_its_key_is_never_printed(capsys):
    with FakeServer() as srv:
        srv.route("POST", "/down", status=503, body="upstream unavailable")
        srv.jsonrpc(f"/v2/{KEY}", geth(eth_getBalance=balance))
        chains = {"ethereum": mainnet("evm", node_at(srv.url("/down")), ref_at(srv.url(f"/v2/{KEY}")), accounts=ACCOUNTS[:1])}
        code = run_check(parse(config_text(chains), env={}), 10.0, interval=15.0)
        assert code == 1  # the operated node fails, as before
        assert account_table(capsys.readouterr().out)["batcher"][3:] == ["4.8125", "ETH  ok"]

        # nothing answers, and the provider quotes its key back: the reason, without the key or URL
        srv.routes.clear()
        srv.route("POST", "/down", status=503, body="upstream unavailable")
        srv.route("POST", f"/v2/{KEY}", status=401, body=f"invalid api key {KEY}")
        run_check(parse(config_text(chains), env={}), 10.0, interval=15.0)
    out = capsys.readouterr().out
    status = account_table(out)["batcher"][4]
    assert status.startswith("FAIL node-1: http_status") and "ref-1: http_status" in status
    assert KEY not in out and srv.url("/") not in out
