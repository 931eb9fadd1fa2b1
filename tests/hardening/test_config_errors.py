"""Bad config: one line naming file:line, exit 2 — and a reload with it keeps the old config.

Each broken config is given to ``chainwatch check`` and ``chainwatch serve`` (both must
refuse it the same way: exactly one ``error: FILE:LINE: ...`` line on stderr, exit 2),
then written over the config of a running exporter and reloaded through ``POST /-/reload``
and through SIGHUP: the reload is refused, the old config keeps serving, and
``chainwatch_config_last_reload_successful`` says 0 until a good config is loaded.

Secret files: the teams' ``*_file`` keys (``routing_key_file``, ``api_key_file``,
``api_url_file``, ``url_file``) are read by Alertmanager, never by the exporter; ``generate``
writes their paths into alertmanager.yml. ``check`` and ``generate`` check that each exists
and is a readable, non-empty file (a missing one is otherwise found by the first page, which
fails), naming file:line:field; ``--no-check-secret-files`` turns that off on a machine that
is not the Alertmanager host, and ``serve`` never looks at them. What chainwatch itself must
read — the config file, the environment variables it names, including those inside
``*_file`` paths, and an endpoint's secret files (a Sui ``token_file``, a bitcoin
``password_file``: core/secretfile.py) — fails with file:line and exit 2.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.hostile import HostileServer, evm_kind
from tests.support.poll import wait_until
from tests.support.stack import Exporter

GOOD = """\
exporter:
  min_probe_interval_seconds: 0
  reference_max_age_seconds: 0
chains:
  eth:
    kind: evm
    network: mainnet
    chain_id: 1
    endpoints:
      - name: node-1
        url: "{node}"
        role: node
      - name: ref-1
        url: "{ref}"
        role: reference
"""


def edit(old: str, new: str):
    return lambda text: text.replace(old, new, 1)


# (case, how to break the good text, expected line, expected words in the message)
CASES = [
    ("invalid_yaml", edit("    network: mainnet", "    network: [mainnet"), 8, "invalid YAML"),
    ("duplicate_yaml_key", edit("    network: mainnet\n", "    network: mainnet\n    network: goerli\n"), 8, "duplicate key"),
    ("unknown_key", edit("    chain_id: 1\n", "    chain_id: 1\n    block_time_secs: 12\n"), 9, "block_time_secs: unknown key"),
    ("wrong_type", edit("    chain_id: 1", "    chain_id: one"), 8, "chain_id"),
    # A kind's own setting on a chain of another kind: refused where it stands, saying whose it is.
    (
        "kind_only_threshold_on_another_kind",
        edit("    chain_id: 1\n", "    chain_id: 1\n    thresholds:\n      peers_min: 3\n      solana_skip_ratio: 0.2\n"),
        11,
        "chains.eth.thresholds.solana_skip_ratio: unknown key for a chain of kind evm: only solana chains have it",
    ),
    (
        "kind_only_duration_on_another_kind",
        edit("    chain_id: 1\n", "    chain_id: 1\n    thresholds:\n      durations: {down: 1m, finality: 10m}\n"),
        10,
        "chains.eth.thresholds.durations.finality: unknown key for a chain of kind evm: only beacon chains have it",
    ),
    ("wrong_type_nested", edit("  min_probe_interval_seconds: 0", "  min_probe_interval_seconds: soon"), 2, "min_probe_interval_seconds"),
    # Located at the second endpoint's name (line 13), the one to rename.
    ("duplicate_endpoint_name", edit("      - name: ref-1", "      - name: node-1"), 13, "chains.eth.endpoints[1].name: duplicate endpoint name 'node-1'"),
    (
        "duplicate_name_across_chains",
        lambda t: (
            t + "  eth2:\n    kind: evm\n    network: sepolia\n    chain_id: 11155111\n    endpoints:\n      - {name: node-1, url: 'http://127.0.0.1:1/'}\n"
        ),
        21,
        "chains.eth2.endpoints[0].name: endpoint name 'node-1' is also used by chain eth: endpoint names must be unique across chains",
    ),
    ("unknown_team", edit("    chain_id: 1\n", "    chain_id: 1\n    team: nobody\n"), 9, "chains.eth.team: unknown team 'nobody'"),
    ("missing_env_var", edit('/ok/node"', '/ok/node${CW_HARDENING_UNSET}"'), 11, "CW_HARDENING_UNSET is not set"),
    (
        "missing_env_in_secret_file_path",
        lambda t: t + 'teams:\n  default:\n    pagerduty:\n      routing_key_file: "/etc/am/${CW_HARDENING_UNSET_PD}"\n',
        19,
        "CW_HARDENING_UNSET_PD is not set",
    ),
    # A file the exporter reads at every probe: refused at load, not found by the first probe as "auth".
    (
        "missing_token_file",
        lambda t: (
            t
            + "  sui:\n    kind: sui\n    network: mainnet\n    chain_id: 4btiuiMPvEENsttpZC7CZ53DruC3MAgfznDbASZ7DR6S\n    endpoints:\n"
            + "      - {name: sui-1, url: 'http://127.0.0.1:1/', token_file: /nonexistent/sui.token}\n"
        ),
        21,
        "chains.sui.endpoints[0].token_file: /nonexistent/sui.token: no such file (the exporter reads the bearer token from it at every probe)",
    ),
    # A tls: file the exporter needs to connect: refused at load, not found by the first probe as "tls".
    (
        "missing_tls_ca_file",
        edit('/ok/node"', '/ok/node"\n        tls: {ca_file: /nonexistent/private-ca.pem}'),
        12,
        "chains.eth.endpoints[0].tls.ca_file: /nonexistent/private-ca.pem: no such file (the exporter reads the CA bundle to trust from it to connect over TLS)",
    ),
    ("not_utf8", lambda t: t.replace("    network: mainnet", "    network: main\udce9net"), 7, "not UTF-8"),
]


def write(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8", "surrogateescape"))


def cli(*args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "chainwatch.cli", *args], capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=timeout)


@pytest.fixture(scope="module")
def upstream():
    with HostileServer(evm_kind()) as srv:
        yield srv


@pytest.fixture
def good_text(upstream):
    return GOOD.format(node=upstream.url("ok", "node"), ref=upstream.url("ok", "ref"))


def assert_one_line_error(result: subprocess.CompletedProcess, path: Path, line: int, words: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {path}:{line}: "), lines[0]
    assert words in lines[0], lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("case, breaker, line, words", CASES, ids=[c[0] for c in CASES])
def test_check_and_serve_refuse_with_one_line_and_exit_2(tmp_path, good_text, case, breaker, line, words):
    path = tmp_path / "chainwatch.yaml"
    write(path, breaker(good_text))
    assert_one_line_error(cli("check", "--config.file", str(path), "--timeout", "2"), path, line, words)
    assert_one_line_error(cli("serve", "--config.file", str(path), "--web.listen-address", "127.0.0.1:1", timeout=30), path, line, words)


def test_missing_config_file_is_one_line_exit_2(tmp_path):
    # No "file:0:": there is no line to fix, the file itself is missing.
    path = tmp_path / "nowhere.yaml"
    result = cli("check", "--config.file", str(path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [f"error: config file {path}: not found"]


@pytest.mark.parametrize("make", ["missing", "directory", "empty"])
def test_a_secret_file_alertmanager_cannot_read_fails_check_and_generate_at_its_line(tmp_path, good_text, make):
    # Alertmanager opens the routing key file only when it sends a page: neither amtool
    # check-config nor its start notices a missing one. check and generate do, at the field's line.
    key = tmp_path / "pagerduty.key"
    if make == "directory":
        key.mkdir()
    elif make == "empty":
        key.write_text("")
    path = tmp_path / "chainwatch.yaml"
    write(path, good_text + f"teams:\n  default:\n    pagerduty:\n      routing_key_file: {key}\n")
    reason = {"missing": "no such file", "directory": "is a directory", "empty": "is empty"}[make]
    for args in (("check", "--timeout", "5"), ("generate", "--out", str(tmp_path / "out"), "--only", "alertmanager")):
        result = cli(*args, "--config.file", str(path))
        assert result.returncode == 2, (args, result.stdout + result.stderr)
        first = result.stderr.splitlines()[0]
        assert first.startswith(f"error: {path}:19: teams.default.pagerduty.routing_key_file: {key}: {reason}"), first
        assert "--no-check-secret-files" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()  # nothing written that names a file no page can read


def test_secret_files_elsewhere_with_no_check_secret_files(tmp_path, good_text):
    # Rendering on a machine that is not the Alertmanager host (a CI job): the flag skips the check;
    # the exporter itself (serve) never reads these files.
    path = tmp_path / "chainwatch.yaml"
    write(path, good_text + "teams:\n  default:\n    pagerduty:\n      routing_key_file: /nonexistent/pagerduty.key\n")
    result = cli("check", "--config.file", str(path), "--timeout", "5", "--no-check-secret-files")
    assert result.returncode == 0, result.stdout + result.stderr
    generated = cli("generate", "--config.file", str(path), "--out", str(tmp_path / "out"), "--only", "alertmanager", "--no-check-secret-files")
    assert generated.returncode == 0, generated.stderr
    assert "/nonexistent/pagerduty.key" in "".join(p.read_text() for p in (tmp_path / "out").rglob("*.yml"))
    rules_only = cli("generate", "--config.file", str(path), "--out", str(tmp_path / "rules"), "--only", "rules")
    assert rules_only.returncode == 0, rules_only.stderr  # rules name no secret file


def metrics_value(exporter: Exporter, name: str, **labels) -> float | None:
    return exporter.metrics().value(name, **labels)


def test_reload_with_each_bad_config_keeps_the_old_one_serving(tmp_path, good_text):
    path = tmp_path / "chainwatch.yaml"
    write(path, good_text)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CW_HARDENING_UNSET")}
    with Exporter(path, tmp_path, extra_env=env, extra_args=["--web.enable-lifecycle"]) as exporter:
        assert metrics_value(exporter, "chainwatch_probe_success", endpoint="node-1") == 1
        for case, breaker, line, words in CASES:
            # Through POST /-/reload: refused with the same one-line message.
            write(path, breaker(good_text))
            status, body = exporter.post("/-/reload")
            assert status == 400, (case, status, body)
            assert body.strip().startswith(f"{path}:{line}: ") and words in body, (case, body)
            s = exporter.metrics()
            assert s.value("chainwatch_config_last_reload_successful") == 0, case
            assert s.value("chainwatch_probe_success", endpoint="node-1") == 1, case
            assert s.value("chainwatch_endpoints_configured") == 2, case
            # Back to good, then through SIGHUP: refused too, the old config still serves.
            write(path, good_text)
            assert exporter.post("/-/reload")[0] == 200
            assert metrics_value(exporter, "chainwatch_config_last_reload_successful") == 1
            write(path, breaker(good_text))
            exporter.signal(signal.SIGHUP)
            # SIGHUP is asynchronous: the rejected reload shows within seconds.
            wait_until(lambda: metrics_value(exporter, "chainwatch_config_last_reload_successful") == 0, 10, f"{case}: reload rejected")
            assert exporter.proc.poll() is None, case
            assert metrics_value(exporter, "chainwatch_probe_success", endpoint="node-1") == 1, case
            write(path, good_text)
            assert exporter.post("/-/reload")[0] == 200
        # The config file gone entirely (deleted during a deploy): refused, still serving.
        path.unlink()
        status, body = exporter.post("/-/reload")
        assert status == 400 and body.strip() == f"config file {path}: not found", body
        assert metrics_value(exporter, "chainwatch_probe_success", endpoint="node-1") == 1
        log = exporter.log_path.read_text()
        assert "Traceback" not in log and "Task exception" not in log
