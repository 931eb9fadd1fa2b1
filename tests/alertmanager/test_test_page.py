"""``chainwatch test-page`` against a real Alertmanager running the generated config, with
PagerDuty and Opsgenie replaced by the capture server on loopback (the exact JSON they would
receive): the labelled test page arrives, the command waits for it, and it is resolved.
Timings are FAST (1 s group wait and interval), so each run takes a few seconds.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from chainwatch.alertmanager import testpage
from chainwatch.cli import main
from chainwatch.devnet.capture import CaptureServer

from .support import FAST, OPSGENIE_KEY, PAGERDUTY_KEY, Alertmanager, config_text, generated, write_secrets

pytestmark = pytest.mark.alertmanager


@pytest.fixture
def capture():
    with CaptureServer() as server:
        yield server


@pytest.fixture
def am(tmp_path, capture):
    text = config_text(write_secrets(tmp_path / "secrets"), capture_url=capture.url, timings=FAST)
    with Alertmanager(generated(tmp_path, text), tmp_path) as server:
        server.config_file = tmp_path / "chainwatch.yaml"  # the config it was generated from
        yield server


def test_critical_test_page_reaches_pagerduty_and_opsgenie_and_resolves(am, capture):
    result = CliRunner().invoke(
        main, ["test-page", f"--config.file={am.config_file}", f"--alertmanager.url={am.url}", "--team=core-infra", "--severity=critical", "--timeout=30"]
    )
    assert result.exit_code == 0, result.output
    assert "routed to core-infra-critical (opsgenie, pagerduty)" in result.output
    assert "delivered to opsgenie, pagerduty in" in result.output
    [pd] = capture.pages("pagerduty")
    [og] = capture.pages("opsgenie")
    assert pd.body["routing_key"] == PAGERDUTY_KEY and og.headers["Authorization"] == f"GenieKey {OPSGENIE_KEY}"
    assert pd.body["payload"]["summary"].startswith("[chainwatch-test] TEST PAGE from chainwatch test-page for team core-infra (critical)")
    assert pd.body["payload"]["severity"] == "critical"
    assert og.body["priority"] == "P1" and "TEST PAGE" in og.body["message"]
    # resolved: both receivers close the incident they opened (send_resolved), at the next group tick
    capture.wait_for(lambda got: len([n for n in got if n.action in ("resolve", "close")]) >= 2, timeout=20)
    assert capture.resolves("pagerduty")[0].key == pd.key
    assert capture.resolves("opsgenie")[0].key == og.key
    assert PAGERDUTY_KEY not in result.output and OPSGENIE_KEY not in result.output


def test_opsgenie_only_team_critical_is_a_p1(am, capture):
    lines = []
    result = testpage.send(testpage.Client(am.url), "l2-infra", "critical", timeout=30, log=lines.append)
    assert result.receivers == ["l2-infra-critical"] and result.delivered == ["opsgenie"]
    [og] = capture.pages()
    assert og.service == "opsgenie" and og.body["priority"] == "P1"
    assert og.body["details"]["team"] == "l2-infra"
    assert lines[-1] == f"resolved test_id={result.test_id}"


def test_a_receiver_that_refuses_fails_the_command(tmp_path):
    # PagerDuty and Opsgenie at a loopback port nobody listens on: every send fails
    with CaptureServer() as dead:
        url = dead.url
    text = config_text(write_secrets(tmp_path / "secrets"), capture_url=url, timings=FAST)
    with Alertmanager(generated(tmp_path, text), tmp_path) as am:
        result = CliRunner().invoke(
            main, ["test-page", f"--config.file={tmp_path / 'chainwatch.yaml'}", f"--alertmanager.url={am.url}", "--team=core-infra", "--timeout=30"]
        )
        left = [a for a in am.alerts() if a["labels"]["alertname"] == testpage.ALERTNAME and a["status"]["state"] == "active"]
    assert result.exit_code == 1
    assert "Error: Alertmanager failed to notify" in result.output
    assert left == []  # resolved although it failed


def test_a_team_routed_nowhere_is_reported(am):
    result = CliRunner().invoke(
        main, ["test-page", f"--config.file={am.config_file}", f"--alertmanager.url={am.url}", "--team=l2-infra", "--severity=info", "--timeout=10"]
    )
    assert result.exit_code == 1
    assert "Error: team l2-infra's info alerts go to null, which notifies nobody" in result.output


def test_a_team_the_config_does_not_have_sends_nothing(am, capture):
    """A mistyped team would reach every team's receivers (an unknown team's alerts go to all of
    them): refused before anything is sent."""
    result = CliRunner().invoke(main, ["test-page", f"--config.file={am.config_file}", f"--alertmanager.url={am.url}", "--team=nosuchteam", "--timeout=10"])
    assert result.exit_code == 2
    assert "no team 'nosuchteam' in teams (teams: core-infra, data, l2-infra); nothing sent" in result.output
    assert [a for a in am.alerts() if a["labels"]["alertname"] == testpage.ALERTNAME] == []
    assert capture.pages("pagerduty") == [] and capture.pages("opsgenie") == []


def test_no_alertmanager_is_a_clear_error(tmp_path):
    with CaptureServer() as gone:
        url = gone.url
    generated(tmp_path, config_text(write_secrets(tmp_path / "secrets")))
    result = CliRunner().invoke(main, ["test-page", f"--config.file={tmp_path / 'chainwatch.yaml'}", f"--alertmanager.url={url}", "--team=core-infra"])
    assert result.exit_code == 1
    assert f"Error: cannot reach Alertmanager at {url}" in result.output
