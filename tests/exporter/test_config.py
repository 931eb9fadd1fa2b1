"""Config validation: every error names file, line and field; the CLI exits 2."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from chainwatch.assembly.config import ConfigError, Role, load, parse
from chainwatch.kinds.evm.config import EvmChain

REPO = Path(__file__).resolve().parents[2]

GOOD = """\
chains:
  ethereum:
    kind: evm
    network: mainnet
    chain_id: 1
    endpoints:
      - name: geth-1
        url: http://10.0.0.1:8545
      - name: infura
        url: https://mainnet.infura.io/v3/${INFURA_KEY}
        role: reference
        headers: {Authorization: "Bearer ${TOKEN}"}
"""


def problems(text: str, env=None) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        parse(textwrap.dedent(text), "chainwatch.yaml", env if env is not None else {"INFURA_KEY": "k", "TOKEN": "t"})
    return exc.value.problems


def test_valid_config_becomes_typed_objects_with_defaults():
    config = parse(GOOD, env={"INFURA_KEY": "secretkey123", "TOKEN": "tok456789"})
    chain = config.chains["ethereum"]
    assert isinstance(chain, EvmChain)
    assert [e.role for e in chain.endpoints] == [Role.NODE, Role.REFERENCE]
    assert chain.endpoints[1].url == "https://mainnet.infura.io/v3/secretkey123"
    assert chain.block_time == 12.0
    assert chain.lag_blocks("warning") == 5  # 60 s at 12 s blocks
    # Env values, URL path segments and header values are remembered as secrets.
    assert {"secretkey123", "Bearer tok456789"} <= set(chain.endpoints[1].secrets)


def test_defaults_scale_with_block_time():
    text = GOOD.replace("chain_id: 1", "chain_id: 42161")
    chain = parse(text, env={"INFURA_KEY": "k", "TOKEN": "t"}).chains["ethereum"]
    assert chain.block_time == 0.25
    assert chain.lag_blocks("warning") == 240  # the same 60 s, in Arbitrum blocks


def test_unknown_key_names_line_and_field():
    text = GOOD.replace("        url: http://10.0.0.1:8545\n", "        url: http://10.0.0.1:8545\n        rol: node\n")
    assert problems(text) == ["chainwatch.yaml:9: chains.ethereum.endpoints[0].rol: unknown key (check the spelling; see docs/config.md)"]


def test_bad_url_names_line_and_field():
    text = GOOD.replace("http://10.0.0.1:8545", "ftp://10.0.0.1")
    assert problems(text) == ["chainwatch.yaml:8: chains.ethereum.endpoints[0].url: must be an http:// or https:// URL"]


def test_wrong_type_and_bad_kind():
    assert problems(GOOD.replace("chain_id: 1", "chain_id: one")) == [
        "chainwatch.yaml:5: chains.ethereum.chain_id: Input should be a valid integer, unable to parse string as an integer"
    ]
    assert problems(GOOD.replace("kind: evm", "kind: tezos"))[0].startswith("chainwatch.yaml:2: chains.ethereum: ")


def test_missing_env_var_is_named():
    assert problems(GOOD, env={"TOKEN": "t"}) == ["chainwatch.yaml:10: chains.ethereum.endpoints[1].url: environment variable INFURA_KEY is not set"]


def test_generators_do_not_need_secrets():
    config = parse(GOOD, env={}, need_secrets=False)
    assert "INFURA" not in config.chains["ethereum"].endpoints[1].url


def test_duplicate_endpoint_names_and_yaml_keys():
    dup = GOOD.replace("name: infura", "name: geth-1")
    # At the second endpoint's name (line 9), the one to rename, not at the chain.
    assert problems(dup) == ["chainwatch.yaml:9: chains.ethereum.endpoints[1].name: duplicate endpoint name 'geth-1' in this chain (endpoints[0] has it too)"]
    twice = GOOD.replace("    network: mainnet\n", "    network: mainnet\n    network: goerli\n")
    assert problems(twice) == ["chainwatch.yaml:5: chains.ethereum.network: duplicate key (first at line 4)"]


def test_a_chain_named_like_another_chains_rule_file_is_refused():
    # chains ethereum and ethereum-slo would both write chainwatch-ethereum-slo.rules.yml: one
    # chain's SLO rules would silently replace the other's alerts.
    second = GOOD.split("chains:\n", 1)[1].replace("ethereum:", "ethereum-slo:").replace("geth-1", "geth-2").replace("name: infura", "name: infura-2")
    assert problems(GOOD + second) == [
        "chainwatch.yaml:13: chains.ethereum-slo: chain 'ethereum-slo' would write the same rule file as the slo rules of chain 'ethereum' "
        "(chainwatch-ethereum-slo.rules.yml): rename one of them"
    ]


def test_invalid_yaml_reports_line():
    assert problems("chains:\n  eth: [unclosed\n")[0].startswith("chainwatch.yaml:3: invalid YAML")


def test_unknown_chain_id_needs_block_time():
    text = GOOD.replace("chain_id: 1", "chain_id: 999999")
    assert "block_time_seconds is required for chain id 999999" in problems(text)[0]


def test_example_config_is_valid():
    config = load(REPO / "examples/chainwatch.yaml", need_secrets=False)
    assert {"ethereum", "polygon", "arbitrum", "optimism", "bsc"} <= set(config.chains)
    assert len(config.chains["ethereum"].references) == 3


def test_cli_exits_2_with_the_error(tmp_path):
    path = tmp_path / "chainwatch.yaml"
    path.write_text(GOOD.replace("network: mainnet", "netwrok: mainnet"))
    proc = subprocess.run(
        [sys.executable, "-m", "chainwatch.cli", "check", "--config.file", str(path)],
        capture_output=True,
        text=True,
        env={"INFURA_KEY": "k", "TOKEN": "t", "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 2
    assert f"{path}:4: chains.ethereum.netwrok: unknown key" in proc.stderr


def test_default_chain_halt_pages_before_every_node_goes_stale():
    """A halted chain must page once (ChainHalted inhibits HeadStale), so it must fire first."""
    config = load(REPO / "examples/chainwatch.yaml", need_secrets=False)
    for name, chain in config.chains.items():
        assert chain.halt_pages_before_stale(), name
    slow = parse(GOOD.replace("chain_id: 1", "chain_id: 1\n    thresholds: {chain_halt_blocks: 20}"), env={"INFURA_KEY": "k", "TOKEN": "t"})
    assert not slow.chains["ethereum"].halt_pages_before_stale()


def test_unquoted_validator_pubkey_stays_a_pubkey():
    key = "0x" + "00" + "a1" * 47
    text = f"""
chains:
  beacon:
    kind: beacon
    network: mainnet
    endpoints: [{{name: bn-1, url: "http://10.0.0.1:5052"}}]
    validators:
      endpoint: bn-1
      groups:
        main: [12, {key}, "{key}"]
"""
    groups = parse(text, env={}).chains["beacon"].validators.groups
    assert groups["main"] == [12, key, key]


def test_a_config_file_that_cannot_be_read_is_named_without_a_line(tmp_path):
    # "file:0:" pointed at a line that does not exist; the file itself is the problem.
    from chainwatch.exporters import webconfig

    with pytest.raises(ConfigError) as missing:
        load(tmp_path / "nowhere.yaml")
    assert missing.value.problems == [f"config file {tmp_path / 'nowhere.yaml'}: not found"]
    with pytest.raises(ConfigError) as directory:
        load(tmp_path)
    assert directory.value.problems == [f"config file {tmp_path}: is a directory, not a file"]
    with pytest.raises(webconfig.WebConfigError) as web:
        webconfig.load(tmp_path / "web.yml")
    assert web.value.problems == [f"web config file {tmp_path / 'web.yml'}: not found"]


@pytest.mark.parametrize(
    "kind, words",
    [
        (
            "beacon",
            "chains.x.upgrades.min_versions.lighthous: 'lighthous' is no known client name (known: caplin, grandine, lighthouse, lodestar, nimbus, prysm, teku;",
        ),
        ("cosmos", "chains.x.upgrades.min_versions.lighthous: 'lighthous': these nodes report no client name (/abci_info response.version"),
    ],
)
def test_a_min_versions_key_that_names_no_client_is_refused_at_its_line(kind, words):
    # A minimum for a client no node reports judges nobody: the typo would leave every node unchecked.
    from chainwatch import kinds

    import yaml

    chain = {**kinds.get(kind).example("http://127.0.0.1:5052"), "upgrades": {"min_versions": {"lighthous": "5.3.0"}}}
    text = yaml.safe_dump({"chains": {"x": chain}}, sort_keys=False)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if row.strip().startswith("lighthous:"))
    found = problems(text)
    assert len(found) == 1 and found[0].startswith(f"chainwatch.yaml:{line}: {words}"), found


def _with_secret_file(kind: str, field: dict) -> str:
    from chainwatch import kinds

    import yaml

    chain = kinds.get(kind).example("http://127.0.0.1:9000")
    chain["endpoints"] = [{**chain["endpoints"][0], **field}]
    return yaml.safe_dump({"chains": {"x": chain}}, sort_keys=False)


@pytest.mark.parametrize("make", ["missing", "directory", "empty"])
@pytest.mark.parametrize(
    "kind, field, where",
    [("sui", "token_file", "endpoints[0].token_file"), ("bitcoin", "password_file", "endpoints[0].auth.password_file")],
    ids=["sui-token_file", "bitcoin-password_file"],
)
def test_a_secret_file_the_exporter_cannot_read_is_a_config_error_at_its_line(tmp_path, kind, field, where, make):
    # Found at load (check, serve, reload), not at the first probe as reason "auth".
    path = tmp_path / "secret"
    if make == "directory":
        path.mkdir()
    elif make == "empty":
        path.write_text("")
    value = str(path)
    text = _with_secret_file(kind, {"token_file": value} if field == "token_file" else {"auth": {"username": "watcher", "password_file": value}})
    line = next(i for i, row in enumerate(text.splitlines(), 1) if f"{field}: {value}" in row)
    reason = {"missing": "no such file", "directory": "is a directory, not a file", "empty": "is empty"}[make]
    assert problems(text) == [
        f"chainwatch.yaml:{line}: chains.x.{where}: {value}: {reason} (the exporter reads {'the bearer token' if kind == 'sui' else 'the RPC password'} from it at every probe)"
    ]
    # Where nothing reads them (generate, status), only the shape counts.
    assert parse(text, env={}, need_secrets=False).chains["x"].endpoints[0].name == "node-1"


def test_a_readable_token_file_loads_and_its_path_takes_environment_variables(tmp_path):
    (tmp_path / "token").write_text("s3cret-token-value\n")
    text = _with_secret_file("sui", {"token_file": "${SUI_TOKEN_DIR}/token"})
    assert parse(text, env={"SUI_TOKEN_DIR": str(tmp_path)}).chains["x"].endpoints[0].token_file == str(tmp_path / "token")
