"""Kinds 7, 8 and 9 of issue #14 in the generated rules, checked with promtool (Debian's 2.42).

The rules are generated from the field cases' configs (tests/fixtures/field/*-chainwatch.yaml);
the input series are the ones the field cases recorded from a running exporter. The rule
expressions are evaluated with ``promql_expr_test`` (the alerts have ``for: 0m``), so the test
states exactly when the alert's condition holds.
"""

from __future__ import annotations

import subprocess

import yaml

from chainwatch.assembly.config import load
from chainwatch.rules import generate
from chainwatch.rules.common import Recipe
from tests.support import require_binary

from .support import FIXTURES


def rules_of(config_name: str, out):
    generate.write(load(FIXTURES / config_name, need_secrets=False), out)
    rules = {}
    for path in (out / "rules").glob("*.rules.yml"):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    rules.setdefault(rule["alert"], []).append(rule)
    return rules


def promtool_expr_test(tmp_path, rule_files: list[str], interval: str, series: list[dict], checks: list[dict]) -> None:
    test = {"rule_files": rule_files, "evaluation_interval": interval, "tests": [{"interval": interval, "input_series": series, "promql_expr_test": checks}]}
    path = tmp_path / "case.test.yml"
    path.write_text(yaml.safe_dump(test, sort_keys=False))
    done = subprocess.run([require_binary("promtool"), "test", "rules", path.name], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


# ----------------------------------------------------------------------------- kind 7


def test_monitor_stuck_fires_when_the_monitor_never_succeeded(tmp_path):
    # Field case liveness-refused-silent: the series a 0.1.0 exporter exported (no last-success
    # timestamp at all), 4 s epochs, threshold 3 epochs = 12 s.
    expr = rules_of("liveness-refused-chainwatch.yaml", tmp_path)["ChainwatchValidatorMonitorStuck"][0]["expr"]
    labels = 'chain="eth-cl",network="devnet"'
    series = [
        {"series": f'chainwatch_validator_attestations_checked_total{{{labels},group="ops"}}', "values": "0+0x40"},
        {"series": f"chainwatch_validator_monitor_epochs_skipped_total{{{labels}}}", "values": "0+0x40"},
    ]
    promtool_expr_test(
        tmp_path,
        [],
        "15s",
        series,
        [
            {"expr": expr, "eval_time": "0s", "exp_samples": []},  # the monitor has not existed for 3 epochs yet
            {"expr": expr, "eval_time": "5m", "exp_samples": [{"labels": f"{{{labels}}}", "value": 12}]},
        ],
    )


def test_monitor_stuck_fires_from_the_start_timestamp_and_resolves_on_success(tmp_path):
    # This exporter: the timestamp is the exporter's start until the first success.
    expr = rules_of("liveness-refused-chainwatch.yaml", tmp_path)["ChainwatchValidatorMonitorStuck"][0]["expr"]
    labels = 'chain="eth-cl",network="devnet"'
    series = [
        {"series": f"chainwatch_validator_monitor_last_success_timestamp_seconds{{{labels}}}", "values": "0x20 600+0x10"},
        {"series": f"chainwatch_validator_monitor_failures_total{{{labels}}}", "values": "0+1x20 20+0x10"},
    ]
    promtool_expr_test(
        tmp_path,
        [],
        "15s",
        series,
        [
            {"expr": expr, "eval_time": "0s", "exp_samples": []},
            {"expr": expr, "eval_time": "30s", "exp_samples": [{"labels": f"{{{labels}}}", "value": 30}]},
            {"expr": expr, "eval_time": "5m", "exp_samples": [{"labels": f"{{{labels}}}", "value": 300}]},
            {"expr": expr, "eval_time": "5m15s", "exp_samples": []},  # succeeded at 5m
        ],
    )


def test_every_monitor_kind_has_a_stuck_alert(tmp_path):
    rules = rules_of("../../../examples/chainwatch.yaml", tmp_path)
    chains = {r["labels"]["chain"] for r in rules["ChainwatchValidatorMonitorStuck"]}
    assert {"ethereum-beacon", "solana"} <= chains


# ----------------------------------------------------------------------------- kind 8


def test_optimistic_head_and_el_offline_have_warnings(tmp_path):
    rules = rules_of("restart-ratio-chainwatch.yaml", tmp_path)
    for name, metric in (
        ("ChainwatchBeaconHeadOptimistic", "chainwatch_beacon_optimistic"),
        ("ChainwatchBeaconExecutionOffline", "chainwatch_beacon_el_offline"),
    ):
        (rule,) = rules[name]
        assert metric in rule["expr"] and rule["for"] == "5m" and rule["labels"]["severity"] == "warning"


# ----------------------------------------------------------------------------- kind 9

SCRAPES = 12  # per 6.4-minute mainnet epoch, scraped every 32 s


def _counter(per_epoch: list[int]) -> str:
    total, parts = 0, []
    for add in per_epoch:
        total += add
        parts.append(f"{total}+0x{SCRAPES - 1}")
    return " ".join(parts)


RATIO = 'group:chainwatch_validator_attestations_missed:ratio_rate1h{chain="eth-cl"}'


def _ratio_case(tmp_path, missed_per_epoch: list[int]):
    rules = rules_of("restart-ratio-chainwatch.yaml", tmp_path)
    (rule,) = rules["ChainwatchAttestationMissRatioHigh"]
    labels = 'chain="eth-cl",group="ops",network="mainnet"'
    series = [
        {"series": f"chainwatch_validator_attestations_checked_total{{{labels}}}", "values": _counter([0] + [3] * (len(missed_per_epoch) - 1))},
        {"series": f"chainwatch_validator_attestations_missed_total{{{labels}}}", "values": _counter(missed_per_epoch)},
    ]
    return rule, series, ["rules/chainwatch-eth-cl-recording.rules.yml"]


def test_one_epoch_of_false_misses_after_a_restart_never_warns(tmp_path):
    # Field case beacon-restart-ratio-warning: 3 validators, one epoch all "not live" (~10.7% of an hour).
    rule, series, files = _ratio_case(tmp_path, [0] * 8 + [3] + [0] * 9)
    assert rule["keep_firing_for"] == "7m"  # one mainnet epoch (384 s) in whole minutes
    checks = [{"expr": rule["expr"], "eval_time": f"{m}m", "exp_samples": []} for m in range(50, 110, 5)]
    promtool_expr_test(tmp_path, files, "32s", series, checks)


def test_misses_in_two_epochs_of_the_hour_do_warn(tmp_path):
    rule, series, files = _ratio_case(tmp_path, [0] * 8 + [3, 0, 0, 2] + [0] * 6)
    # the value is the ratio (a float): check whether the condition holds with count()
    present = f"count({rule['expr']})"
    promtool_expr_test(
        tmp_path,
        files,
        "32s",
        series,
        [
            {"expr": present, "eval_time": "60m", "exp_samples": []},
            {"expr": present, "eval_time": "80m", "exp_samples": [{"labels": "{}", "value": 1}]},
        ],
    )


# ----------------------------------------------------------------------------- issue #25: the verified chain


def test_tls_expiry_alert_reads_the_verified_chain_not_an_unused_expired_cross_certificate(tmp_path):
    # Field case tls-expired-cross-cert: the exporter served the cross certificate's expiry
    # (400 days ago) as the earliest served one and the leaf's (80 days ahead) as the verified
    # chain's. promtool's clock starts at 0, so the values are relative to it.
    generate.write(load(FIXTURES / "tls-expired-cross-chainwatch.yaml", need_secrets=False), tmp_path)
    labels = 'chain="ethereum",endpoint="geth-tls",network="mainnet",role="provider"'
    day = 86400

    def case(verified_days: float, expected: list[str]) -> dict:
        return {
            "interval": "1m",
            "input_series": [
                {"series": f"chainwatch_tls_earliest_cert_expiry_timestamp_seconds{{{labels}}}", "values": f"{-400 * day}x30"},
                {"series": f"chainwatch_tls_verified_chain_expiry_timestamp_seconds{{{labels}}}", "values": f"{verified_days * day:.0f}x30"},
            ],
            "promql_expr_test": [
                {
                    "expr": 'ALERTS{alertname="ChainwatchTLSCertExpiringSoon",alertstate="firing"}',
                    "eval_time": "20m",
                    "exp_samples": [
                        {
                            "labels": f'ALERTS{{alertname="ChainwatchTLSCertExpiringSoon",alertstate="firing",{labels},severity="{severity}",team="default"}}',
                            "value": 1,
                        }
                        for severity in expected
                    ],
                }
            ],
        }

    test = {
        "rule_files": ["rules/chainwatch-ethereum.rules.yml"],
        "evaluation_interval": "1m",
        # the recorded pair: no alert; the verified chain itself expiring in 2.5 days: both severities
        "tests": [case(80, []), case(2.5, ["warning", "critical"])],
    }
    path = tmp_path / "cross.test.yml"
    path.write_text(yaml.safe_dump(test, sort_keys=False))
    done = subprocess.run([require_binary("promtool"), "test", "rules", path.name], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_certificate_expiring_within_a_day_pages_in_hours_not_0_days(tmp_path):
    """The page's "expires in" is Prometheus' humanizeDuration of the seconds left: a certificate
    9 hours from expiry says ``9h 0m 0s``, where the days value said "0 days". Checked as
    promtool renders both severities' annotations, against the texts the generator expects."""
    config = load(FIXTURES / "tls-expired-cross-chainwatch.yaml", need_secrets=False)
    generate.write(config, tmp_path)
    labels = {"chain": "ethereum", "endpoint": "geth-tls", "network": "mainnet", "role": "provider"}
    text = ",".join(f'{k}="{v}"' for k, v in labels.items())
    alerts = [a for f in generate.build(config) for a in f.alerts if a.name == "ChainwatchTLSCertExpiringSoon"]
    left = 9 * 3600  # at the check, 20 minutes after promtool's 0
    expected = [a.expected(Recipe([], None, labels), left) for a in alerts]
    assert [e["exp_annotations"]["summary"] for e in expected] == ["TLS certificate of geth-tls on ethereum expires in 9h 0m 0s"] * 2
    assert sorted(e["exp_annotations"]["value"] for e in expected) == ["9h 0m 0s left"] * 2
    series = [
        {"series": f"chainwatch_tls_{name}_expiry_timestamp_seconds{{{text}}}", "values": f"{left + 20 * 60}x30"}
        for name in ("earliest_cert", "verified_chain")
    ]
    check = {"eval_time": "20m", "alertname": "ChainwatchTLSCertExpiringSoon", "exp_alerts": expected}
    test = {
        "rule_files": ["rules/chainwatch-ethereum.rules.yml"],
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": series, "alert_rule_test": [check]}],
    }
    path = tmp_path / "sub-day.test.yml"
    path.write_text(yaml.safe_dump(test, sort_keys=False))
    done = subprocess.run([require_binary("promtool"), "test", "rules", path.name], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
