"""Cosmos bank balances (issue #31): ``/cosmos/bank/v1beta1/balances/{address}`` on the endpoint's
``lcd_url``, the native coin by the staking ``bond_denom``, in its display unit. Upstream: a
loopback fake answering in the shapes of the Cosmos SDK REST docs (docs.cosmos.network/api),
not a node: no Cosmos SDK node runs here."""

from __future__ import annotations

import pytest

from chainwatch.assembly.config import ConfigError, parse
from chainwatch.kinds.cosmos.accounts import READER, decimals
from tests.support.answers import COSMOS_CHAIN_ID, cosmos_answers, rest
from tests.support.configs import IMMEDIATE, config_text, mainnet, node_at
from tests.support.fakeserver import FakeServer
from tests.support.served import ServedExporter

RELAYER = "cosmos1zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3pahzj0"
EMPTY = "cosmos1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqnrql8a"


def chain(srv: FakeServer, **extra):
    node = node_at(srv.url("/rpc"), lcd_url=srv.url("/lcd"), provider="quicknode-cosmos")
    accounts = [{"name": "relayer", "address": RELAYER, "minimum": 1}, {"name": "empty", "address": EMPTY}]
    return mainnet("cosmos", node, accounts=accounts, accounts_interval_seconds=1, **extra)


def test_bech32_addresses_are_checked_and_prefixes_scale():
    assert READER.check_address(RELAYER) is None
    assert "not a Cosmos account address" in READER.check_address("cosmos1notbech32")
    assert decimals("uatom") == 6 and decimals("aevmos") == 18 and decimals("ibc/27394FB0") == 0 and decimals("stake") == 0
    with pytest.raises(ConfigError) as info:
        parse(
            config_text(
                {
                    "hub": {
                        **mainnet("cosmos", node_at("http://127.0.0.1:26657")),
                        "accounts": [{"name": "a", "address": RELAYER.upper()}, {"name": "b", "address": RELAYER}],
                    }
                }
            ),
            env={},
        )
    assert "chains.hub.accounts[1].address" in str(info.value) and "already watched as account 'a'" in str(info.value)


async def test_bank_balances_are_read_in_the_display_unit_across_pages(tmp_path):
    with FakeServer() as srv:
        install = rest(cosmos_answers())
        install(srv)
        srv.route("GET", "/lcd/cosmos/staking/v1beta1/params", json_body={"params": {"bond_denom": "uatom", "unbonding_time": "1814400s"}})
        pages = {
            None: {
                "balances": [{"denom": "ibc/0025F8A87464A471E66B234C4F93AEC5B4DA3D42D7986451A059273426290DD5", "amount": "7"}],
                "pagination": {"next_key": "dWF0b20=", "total": "2"},
            },
            "dWF0b20=": {"balances": [{"denom": "uatom", "amount": "2500000"}], "pagination": {"next_key": None, "total": "2"}},
        }

        async def balances(request, raw):
            return pages[request.query.get("pagination.key")]

        srv.route("GET", f"/lcd/cosmos/bank/v1beta1/balances/{RELAYER}", balances)
        srv.route("GET", f"/lcd/cosmos/bank/v1beta1/balances/{EMPTY}", json_body={"balances": [], "pagination": {"next_key": None, "total": "0"}})
        pricing = {"quicknode-cosmos": {"base": "quicknode", "default_credits": 40}}
        async with ServedExporter(config_text({"hub": chain(srv)}, exporter={**IMMEDIATE, "state_dir": str(tmp_path)}, pricing=pricing)) as ex:
            s = await ex.until(lambda s: s.value("chainwatch_account_balance", account="relayer") is not None, what="a balance round")
    assert s.value("chainwatch_account_balance", account="relayer") == 2.5
    assert s.value("chainwatch_account_balance", account="empty") == 0  # the bank leaves zero balances out
    assert s.value("chainwatch_account_read_success", account="relayer") == 1
    # the REST reads of a paid provider are billed too: each a "rest" request at 40 credits
    assert s.value("chainwatch_provider_requests_total", provider="quicknode-cosmos", method="rest") >= 4
    assert s.value("chainwatch_account_info", account="relayer", address=RELAYER, symbol="ATOM") == 1
    assert COSMOS_CHAIN_ID.startswith("cosmoshub")
