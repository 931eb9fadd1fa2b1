"""The ``accounts:`` config: every refusal names the file, the entry's line and the field."""

from __future__ import annotations

import pytest
import yaml

from chainwatch import kinds

from chainwatch.assembly.config import ConfigError, parse

BASE = """\
chains:
  devnet:
    kind: {kind}
    network: anvil
{identity}
    endpoints:
      - {{name: node-1, url: "http://127.0.0.1:8545"}}
    accounts:
      - {{name: batcher, address: "0x6887246668a3b87F54DeB3b94Ba47a6f63F32985", purpose: batcher, minimum: 2.5}}
{extra}"""


def text(extra: str = "", kind: str = "evm", identity: str = "    chain_id: 31337") -> str:
    return BASE.format(kind=kind, identity=identity, extra=extra)


def error(body: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse(body, env={})
    return str(info.value)


def test_a_valid_account_is_read():
    chain = parse(text(), env={}).chains["devnet"]
    assert chain.accounts[0].minimum == 2.5
    assert chain.accounts[0].team is None  # the chain's team pages
    assert chain.thresholds.account_spend_window == "6h"


@pytest.mark.parametrize(
    "extra, line, field, words",
    [
        ('      - {name: relayer, address: "0x1234"}\n', 10, "chains.devnet.accounts[1].address", "not an EVM address"),
        ('      - {name: batcher, address: "0x70997970c51812dc3a75c99ca01e1d8bfbdb8ee3"}\n', 10, "chains.devnet.accounts[1].name", "used twice"),
        # the batcher's address, one hex letter's case flipped: EIP-55 says a character is mistyped
        (
            '      - {name: relayer, address: "0x6887246668a3b87f54DeB3b94Ba47a6f63F32985"}\n',
            10,
            "chains.devnet.accounts[1].address",
            "fails its EIP-55 checksum",
        ),
        # the batcher's address again, in lower case: the same balance under two names
        (
            '      - {name: relayer, address: "0x6887246668a3b87f54deb3b94ba47a6f63f32985"}\n',
            10,
            "chains.devnet.accounts[1].address",
            "already watched as account 'batcher'",
        ),
        (
            '      - {name: relayer, address: "0x70997970c51812dc3a75c99ca01e1d8bfbdb8ee3", team: bridge}\n',
            10,
            "chains.devnet.accounts[1].team",
            "unknown team 'bridge'",
        ),
        (
            '      - {name: relayer, address: "0x70997970c51812dc3a75c99ca01e1d8bfbdb8ee3", minimum: -1}\n',
            10,
            "chains.devnet.accounts[1].minimum",
            "greater than or equal to 0",
        ),
        ("    thresholds: {account_runway_days_warning: 2, account_runway_days_critical: 3}\n", 10, "account_runway_days_critical", "warning must come before"),
        ("    thresholds: {account_spend_window: 1m}\n", 10, "account_spend_window", "at least 5m"),
    ],
)
def test_a_bad_entry_is_refused_at_its_line(extra, line, field, words):
    message = error(text(extra))
    assert f":{line}:" in message and field in message and words in message, message


def test_a_kind_that_reads_no_balances_refuses_accounts():
    kind = next(k for k in kinds.all_kinds() if "accounts" not in k.capabilities)
    chain = {**kind.example("http://127.0.0.1:8545"), "accounts": [{"name": "batcher", "address": "abc123"}]}
    message = error(yaml.safe_dump({"chains": {"other": chain}}, sort_keys=False))
    assert "chains.other.accounts" in message and "cannot read account balances" in message, message


def test_a_solana_address_is_checked_by_the_solana_kind():
    body = text(kind="solana", identity="").replace("0x6887246668a3b87F54DeB3b94Ba47a6f63F32985", "0xnotbase58")
    message = error(body)
    assert ":9:" in message and "accounts[0].address" in message and "not a Solana address" in message, message


def test_the_balance_to_runway_inhibition_is_generated_only_with_accounts():
    # An evm chain could fire both account alerts, but without accounts: its rules have neither:
    # an inhibit rule naming them would be noise in alertmanager.yml.
    from chainwatch.alertmanager.generate import build

    def account_rules(body: str) -> list[dict]:
        inhibit = build(parse(body, env={}, need_secrets=False))[0]["inhibit_rules"]
        return [r for r in inhibit if "Account" in " ".join(r["source_matchers"])]

    assert account_rules(text()) == [
        {
            "source_matchers": ['alertname="ChainwatchAccountBalanceLow"'],
            "target_matchers": ['alertname="ChainwatchAccountRunwayLow"'],
            "equal": ["chain", "account"],
        }
    ]
    without = text().split("    accounts:\n")[0]
    assert account_rules(without) == []
