"""An account whose balance cannot be read is not silent (issue #31): its
``chainwatch_account_read_success`` is 0 while the other accounts' stay 1, and when no endpoint
answers every account goes to 0. Upstream: a loopback fake answering as geth does
(tests/support/answers.py), one address's ``eth_getBalance`` refused as a proxy allow-list would."""

from __future__ import annotations

from tests.exporter.test_evm_probe import geth
from tests.support.configs import IMMEDIATE, config_text, mainnet, node_at
from tests.support.fakeserver import FakeServer
from tests.support.served import ServedExporter

GOOD = "0x6887246668a3b87F54DeB3b94Ba47a6f63F32985"
REFUSED = "0x70997970c51812dc3a75c99ca01e1d8bfbdb8ee3"


def balance(params):
    if params[0].lower() == REFUSED:
        return {"code": -32000, "message": "account not allowed"}
    return hex(5 * 10**18)


def config(srv: FakeServer) -> str:
    chain = mainnet(
        "evm",
        node_at(srv.url("/node")),
        accounts=[{"name": "batcher", "address": GOOD}, {"name": "relayer", "address": REFUSED}],
        accounts_interval_seconds=1,
    )
    return config_text({"ethereum": chain}, exporter=IMMEDIATE)


async def test_an_unreadable_account_says_so_and_the_others_are_still_read():
    with FakeServer() as srv:
        srv.jsonrpc("/node", geth(eth_getBalance=balance))
        async with ServedExporter(config(srv)) as ex:
            s = await ex.until(lambda s: s.value("chainwatch_account_read_success", account="relayer") is not None, what="a balance round")
            assert s.value("chainwatch_account_read_success", account="relayer") == 0
            assert s.value("chainwatch_account_read_success", account="batcher") == 1
            assert s.value("chainwatch_account_balance", account="batcher") == 5
            assert s.value("chainwatch_account_balance", account="relayer") is None
            srv.routes.clear()  # the node goes away: no account can be read
            await ex.until(lambda s: s.value("chainwatch_account_read_success", account="batcher") == 0, what="every account unread")
