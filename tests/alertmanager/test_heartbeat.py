"""The watched alert path: ChainwatchWatchdog through real Prometheus and real Alertmanager to
an Opsgenie heartbeat (the capture server on loopback stands in for api.opsgenie.com), every
heartbeat interval, and no more once Prometheus is stopped; and the generated check that no
chainwatch route or inhibit rule can keep it from the heartbeat.

Intervals are short (a 2 s heartbeat, 1 s evaluation) so the test takes seconds. Prometheus
runs with ``--rules.alert.resend-delay=1s``: it re-sends firing alerts every second with an
end time 4 resend delays ahead, so Alertmanager drops the watchdog ~4 s after Prometheus is
gone (with the default 1m delay: ~4 min, which the heartbeat's expiry must allow for).
"""

from __future__ import annotations

import time

import pytest
import yaml
from click.testing import CliRunner

from chainwatch.alertmanager import generate, heartbeat
from chainwatch.assembly import secretfiles
from chainwatch.assembly.config import parse
from chainwatch.cli import main
from chainwatch.devnet.capture import CaptureServer
from chainwatch.rules import generate as rules_generate
from chainwatch.rules.files import WATCHDOG_FILE
from tests.support.poll import hold, wait_until
from tests.support.stack import Prometheus

from .support import FAST, OPSGENIE_KEY, SLACK_URL, Alertmanager, amtool, config_text, generated, write_secrets

pytestmark = [pytest.mark.alertmanager]

INTERVAL = 2.0


def _config(secrets, capture_url: str) -> str:
    return f"""
alertmanager:
{FAST}
teams:
  core-infra:
    pagerduty: {{routing_key_file: "{secrets["pagerduty"]}", url: "{capture_url}/pagerduty/v2/enqueue"}}
    heartbeat:
      interval: {INTERVAL:g}s
      opsgenie: {{name: chainwatch-core, api_key_file: "{secrets["opsgenie"]}", api_url: "{capture_url}/opsgenie/"}}
  quiet:
    pagerduty: {{routing_key_file: "{secrets["pagerduty"]}", url: "{capture_url}/pagerduty/v2/enqueue"}}
chains:
  ethereum:
    kind: evm
    network: mainnet
    chain_id: 1
    team: core-infra
    endpoints: [{{name: geth-1, url: "http://10.0.1.11:8545"}}]
  polygon:
    kind: evm
    network: mainnet
    chain_id: 137
    team: quiet
    endpoints: [{{name: bor-1, url: "http://10.0.2.11:8545"}}]
"""


def _pings(capture: CaptureServer) -> list:
    return [n for n in capture.received("opsgenie") if n.path.endswith("/v2/heartbeats/chainwatch-core/ping")]


@pytest.mark.prometheus
def test_watchdog_pings_the_heartbeat_every_interval_and_stops_with_prometheus(tmp_path):
    secrets = write_secrets(tmp_path / "secrets")
    with CaptureServer() as capture:
        text = _config(secrets, capture.url)
        am_file = generated(tmp_path, text)
        config = parse(text, need_secrets=False)
        rule_files = [str(p) for p in rules_generate.write(config, tmp_path / "out") if p.name == WATCHDOG_FILE]
        assert rule_files, "no watchdog rule file was generated"
        with Alertmanager(am_file, tmp_path) as am:
            prom = Prometheus(
                tmp_path / "prometheus", [], rule_files=rule_files, alertmanager=f"127.0.0.1:{am.port}", extra_args=["--rules.alert.resend-delay=1s"]
            )
            try:
                # first ping, then four more: the spacing is the heartbeat interval
                wait_until(lambda: _pings(capture), 30, "the first heartbeat ping", interval=0.1)
                wait_until(lambda: len(_pings(capture)) >= 5, 6 * INTERVAL + 10, "five heartbeat pings", interval=0.1)
                pings = _pings(capture)
            finally:
                prom.stop()
            stopped = time.monotonic()
            # Alertmanager holds the alert until its end time (4 resend delays): then no more pings.
            wait_until(lambda: time.time() - _pings(capture)[-1].received_at > 2 * INTERVAL + 1, 30, "pings to stop after Prometheus stopped", interval=0.2)
            quiet_from = len(_pings(capture))
            hold(lambda: len(_pings(capture)) == quiet_from, 3 * INTERVAL, "no heartbeat ping while Prometheus is down")
            assert time.monotonic() - stopped < 30
        others = [n for n in capture.received() if n not in _pings(capture)]

    gaps = [b.received_at - a.received_at for a, b in zip(pings, pings[1:])]
    # Every interval, give or take a group tick: never early, never a missed beat (a loaded machine: +1.5s).
    assert all(INTERVAL - 0.5 <= g <= 2 * INTERVAL - 0.5 for g in gaps), gaps
    assert sum(gaps) / len(gaps) <= INTERVAL + 1.0, gaps
    first = pings[0]
    assert first.method == "POST"
    assert first.headers["Authorization"] == f"GenieKey {OPSGENIE_KEY}"  # read from api_key_file
    assert first.body["status"] == "firing" and first.body["commonLabels"]["alertname"] == "ChainwatchWatchdog"
    assert first.body["commonLabels"]["team"] == "core-infra"
    assert others == []  # no page, no resolve: the watchdog goes to the heartbeat only; the quiet team's goes nowhere


def test_generated_config_routes_each_watchdog_to_its_heartbeat_only(tmp_path):
    secrets = write_secrets(tmp_path / "secrets")
    am_file = generated(tmp_path, _config(secrets, "http://127.0.0.1:9"))
    text = am_file.read_text()
    assert OPSGENIE_KEY not in text
    for team, receiver in (("core-infra", "core-infra-heartbeat"), ("quiet", "null")):
        labels = ["alertname=ChainwatchWatchdog", "severity=none", f"team={team}", "chain=*"]
        result = amtool("config", "routes", "test", f"--config.file={am_file}", f"--verify.receivers={receiver}", *labels, check=False)
        assert result.returncode == 0, (team, result.stdout, result.stderr)
    # while every other alert of the team fires, no inhibit rule holds the watchdog back
    data = yaml.safe_load(text)
    route = data["route"]["routes"][0]["routes"][0]
    assert (route["group_interval"], route["repeat_interval"], route["group_wait"]) == ("2s", "1800ms", "0s")


def test_the_check_refuses_an_inhibition_or_route_that_would_mute_the_watchdog(tmp_path):
    secrets = write_secrets(tmp_path / "secrets")
    config = parse(config_text(secrets), need_secrets=False)
    data, _ = generate.build(config)
    heartbeat.check(config, data)  # the generated config passes
    too_wide = {
        **data,
        "inhibit_rules": data["inhibit_rules"] + [{"source_matchers": ['alertname="ChainwatchChainHalted"'], "target_matchers": ['team=~".+"']}],
    }
    with pytest.raises(heartbeat.MutedWatchdog, match=r"inhibit_rules\[\d+\].*can mute the watchdog"):
        heartbeat.check(config, too_wide)
    routes = data["route"]["routes"]
    swallowed = {**data, "route": {**data["route"], "routes": [{"matchers": ['team="core-infra"'], "receiver": "core-infra-critical"}] + routes}}
    with pytest.raises(heartbeat.MutedWatchdog, match="core-infra: the watchdog is routed to core-infra-critical"):
        heartbeat.check(config, swallowed)


def test_a_webhook_heartbeat_is_refused_on_alertmanager_025_by_generate_and_check_alike(tmp_path):
    """Field report: ``generate`` wrote the rules and dashboards, then stopped at alertmanager.yml
    with an error naming no file or line, and ``check`` passed the same config."""
    secrets = write_secrets(tmp_path / "secrets")
    text = _config(secrets, "http://127.0.0.1:9").replace(
        'opsgenie: {name: chainwatch-core, api_key_file: "' + str(secrets["opsgenie"]) + '", api_url: "http://127.0.0.1:9/opsgenie/"}',
        f'webhook: {{url_file: "{secrets["slack"]}"}}',
    )
    config_file = tmp_path / "chainwatch.yaml"
    config_file.write_text(text)
    line = next(i for i, row in enumerate(text.splitlines(), start=1) if "webhook: {url_file" in row)
    want = f"error: {config_file}:{line}: teams.core-infra.heartbeat.webhook: webhook_configs.url_file needs Alertmanager newer than 0.25"
    out = tmp_path / "out"
    generated_run = CliRunner().invoke(main, ["generate", f"--config.file={config_file}", f"--out={out}"])
    checked = CliRunner().invoke(main, ["check", f"--config.file={config_file}", "--timeout=1"])
    for run in (generated_run, checked):
        assert run.exit_code == 2, run.output
        [error] = [row for row in run.stderr.splitlines() if row.startswith("error:")]
        assert error.startswith(want) and "use heartbeat.opsgenie" in error.lower(), error
        assert SLACK_URL not in run.output
    assert not out.exists()  # refused before any file was written
    # a program building the config directly is refused the same way
    with pytest.raises(generate.GenerateError, match="heartbeat.webhook: webhook_configs.url_file needs Alertmanager newer than 0.25"):
        generate.build(parse(text, str(config_file), need_secrets=False))


def test_a_missing_heartbeat_key_file_is_named_with_its_line(tmp_path):
    secrets = write_secrets(tmp_path / "secrets")
    text = _config(secrets, "http://127.0.0.1:9")
    secrets["opsgenie"].unlink()
    config = parse(text, "chainwatch.yaml", need_secrets=False)
    line = next(i for i, row in enumerate(text.splitlines(), start=1) if "chainwatch-core" in row)
    found = [p for p in secretfiles.problems(config) if ".heartbeat." in p]
    assert found == [
        f"chainwatch.yaml:{line}: teams.core-infra.heartbeat.opsgenie.api_key_file: {secrets['opsgenie']}: no such file (Alertmanager reads the Opsgenie API key from it)"
    ]
