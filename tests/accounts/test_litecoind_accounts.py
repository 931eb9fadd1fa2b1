"""Account balances on a real Litecoin Core regtest node without a wallet (``-disablewallet``):
``scantxoutset`` reads an address's unspent outputs. An address paid by a coinbase shows its
balance in LTC; when it spends (a transaction mined), the balance falls and the spend counter
grows by exactly the fall; the address it paid only receives. Those numbers, read from the real
node, then go through the generated ``ChainwatchAccountRunwayLow`` rule in promtool: the payer's
runway pages once it spends, the payee's never does.

The spending address is the P2WSH of the script ``OP_TRUE`` (``decodescript 51``): it needs no
key, so the test signs nothing and the node needs no wallet."""

from __future__ import annotations

from decimal import Decimal

import pytest
import yaml

from chainwatch.assembly.config import parse
from chainwatch.exporters.accounts import AccountsWatch
from chainwatch.exporters.transport import Transport
from tests.accounts import promtool_runway
from tests.bitcoin.litecoind import Litecoind


def witness_spend(raw: str) -> str:
    """``createrawtransaction``'s hex with a segwit witness ``[OP_TRUE script]`` for its one input."""
    return raw[:8] + "0001" + raw[8:-8] + "01" + "01" + "51" + raw[-8:]


def p2wsh(node: Litecoind, script: str) -> str:
    """The P2WSH address of ``script`` (0.21 lists it under ``addresses``, 22+ under ``address``)."""
    segwit = node.call("decodescript", script)["segwit"]
    return segwit.get("address") or segwit["addresses"][0]


def samples(watch: AccountsWatch) -> dict:
    return {(name, labels.get("account")): (value, labels) for name, labels, value in watch.samples()}


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ltc-accounts")
    node = Litecoind(tmp / "node", name="node")
    try:
        yield node
    finally:
        node.stop()


async def test_scantxoutset_balance_falls_when_the_address_spends(node, tmp_path):
    payer = p2wsh(node, "51")  # P2WSH(OP_TRUE): rltc1q...
    payee = p2wsh(node, "52")
    coinbase = node.call("generatetoaddress", 1, payer)[0]
    node.mine(100)  # coinbase maturity
    chain = {
        "kind": "bitcoin",
        "network": "regtest",
        "chain": "regtest",
        "block_time_seconds": 150,
        "endpoints": [{"name": "ltc-node", "url": node.url, "role": "node", "cookie_file": str(node.cookie)}],
        "accounts": [{"name": "payer", "address": payer, "purpose": "fees", "minimum": 1}, {"name": "payee", "address": payee}],
        # The product's shortest spend window, and a short for: to keep the promtool run small.
        "thresholds": {"account_spend_window": "1h", "durations": {"account_runway": "5m"}},
    }
    config = parse(yaml.safe_dump({"chains": {"litecoin": chain}}), env={})
    transport = Transport(1024 * 1024)
    try:
        watch = AccountsWatch("litecoin", config.chains["litecoin"], transport)
        await watch.round()
        first = samples(watch)
        reward = Decimal(str(first[("chainwatch_account_balance", "payer")][0]))
        assert reward > 0  # the regtest coinbase (50 LTC, halving every 150 blocks)
        assert first[("chainwatch_account_balance", "payee")][0] == 0
        assert first[("chainwatch_account_info", "payer")][1]["symbol"] == "LTC"
        txid = node.call("getblock", coinbase)["tx"][0]
        sent, fee = Decimal("12.5"), Decimal("0.001")
        raw = node.call("createrawtransaction", [{"txid": txid, "vout": 0}], [{payee: float(sent)}, {payer: float(reward - sent - fee)}])
        node.call("sendrawtransaction", witness_spend(raw))
        node.mine(1)
        await watch.round()
        later = samples(watch)
        assert Decimal(str(later[("chainwatch_account_balance", "payer")][0])) == reward - sent - fee
        assert later[("chainwatch_account_spent_total", "payer")][0] == pytest.approx(float(sent + fee), abs=1e-8)
        assert later[("chainwatch_account_balance", "payee")][0] == pytest.approx(12.5)
        assert later[("chainwatch_account_received_total", "payee")][0] == pytest.approx(12.5)
        assert later[("chainwatch_account_spent_total", "payee")][0] == 0
        assert watch.failures == 0
    finally:
        await transport.close()
    runway_pages_on_the_real_numbers(tmp_path, config, first, later)


def runway_pages_on_the_real_numbers(tmp_path, config, first: dict, later: dict) -> None:
    """The two real reads as a minute-by-minute exposition (the spend in minute 10) through the
    generated rule: 37.499 LTC left after spending 12.501 within the hour is about 0.12 days of runway,
    below the default 2-day critical line: the critical fires, not also the warning (its band is
    between the lines); before the spend there is no spend rate, so no runway and no alert."""
    rows = {}
    for account in ("payer", "payee"):
        labels = later[("chainwatch_account_balance", account)][1]
        inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        for metric in ("chainwatch_account_balance", "chainwatch_account_spent_total"):
            before, after = first[(metric, account)][0], later[(metric, account)][0]
            rows[f"{metric}{{{inner}}}"] = [before] * 10 + [after] * 30
    checks = [(300, set()), (540, set())] + [(t, {"critical"}) for t in (960, 1200, 2340)]
    promtool_runway.check(tmp_path, config, "litecoin", rows, checks, 60, "payer")
    promtool_runway.check(tmp_path, config, "litecoin", rows, [(t, set()) for t in (540, 960, 2340)], 60, "payee")
