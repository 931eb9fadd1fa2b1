"""Avalanche L1 validators in the one account schema (issue #31): a watched L1 validator's fee
runway and balance are recorded as an account (``purpose="l1-validator-fee"``) and listed in the
executive "Accounts running out" table, while the kind's ChainwatchAvalancheL1ValidatorFeeRunwayLow
stays its one page (no account alert reads them). Evaluated by promtool over the generated rules."""

from __future__ import annotations

import subprocess

import yaml

from chainwatch.assembly.config import parse
from chainwatch.dashboards import generate as dashboards
from chainwatch.kinds.avalanche import example_c_chain, example_chain
from chainwatch.rules import generate as rules
from chainwatch.rules.recording import groups as recording_groups
from tests.dashboards.support import data_panels
from tests.support import require_binary

DAY = 86400
TABLE = "Accounts running out"


def avalanche_config():
    chains = {"avalanche": example_chain("http://127.0.0.1:9650"), **example_c_chain("http://127.0.0.1:9650")}
    return parse(yaml.safe_dump({"chains": chains}), env={})


def test_an_l1_validator_is_an_account_running_out_with_one_page(tmp_path):
    config = avalanche_config()
    alerts = [a.rule() for f in rules.build(config) for a in f.alerts]
    assert any(r["alert"] == "ChainwatchAvalancheL1ValidatorFeeRunwayLow" for r in alerts)
    # one page per running-out validator: no account alert for the avalanche chain
    assert not [r for r in alerts if r["alert"].startswith("ChainwatchAccount") and r["labels"].get("chain") == "avalanche"]
    assert not [r for r in alerts if "account:chainwatch_account_runway" in r["expr"]]
    records = [r for g in recording_groups(config) for r in g["rules"] if r["record"].startswith("account:")]
    assert {r["record"] for r in records} == {"account:chainwatch_account_runway:seconds", "account:chainwatch_avalanche_l1_validator_balance_avax:max"}
    (tmp_path / "tests").mkdir()
    (tmp_path / "accounts.rules.yml").write_text(yaml.safe_dump({"groups": [{"name": "accounts", "rules": records}]}))
    (table,) = [p for p in data_panels(dashboards.build_all(config)["executive"]) if p["title"] == TABLE]
    runway_q, balance_q = (t["expr"] for t in table["targets"])
    # The runway column is in seconds with Grafana's unit: "3.0 day" here, "2.9 min" in the demo (not "0.0").
    runway_column = next(o["properties"] for o in table["fieldConfig"]["overrides"] if o["matcher"]["options"] == "Value #A")
    assert {"id": "unit", "value": "s"} in runway_column
    # l1-1 (group main): 12.5 AVAX at a fee that spends it in 3 days
    labels = 'chain="avalanche",group="main",instance="chainwatch:9877",job="chainwatch",network="mainnet",validator="l1-1"'
    row = 'account="l1-1",chain="avalanche",purpose="l1-validator-fee",team="default"'
    case = {
        "rule_files": ["../accounts.rules.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": f"chainwatch_avalanche_l1_validator_fee_runway_seconds{{{labels}}}", "values": f"{3 * DAY}x10"},
                    {"series": f"chainwatch_avalanche_l1_validator_balance_avax{{{labels}}}", "values": "12.5x10"},
                ],
                "promql_expr_test": [
                    {"expr": runway_q, "eval_time": "5m", "exp_samples": [{"labels": f"{{{row}}}", "value": 3 * DAY}]},
                    {"expr": balance_q, "eval_time": "5m", "exp_samples": [{"labels": f"{{{row}}}", "value": 12.5}]},
                ],
            }
        ],
    }
    (tmp_path / "tests" / "l1.test.yml").write_text(yaml.safe_dump(case))
    run = subprocess.run([require_binary("promtool"), "test", "rules", "l1.test.yml"], cwd=tmp_path / "tests", capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]


def test_a_chain_without_l1_validators_adds_no_account_rows(tmp_path):
    chains = {"avalanche": example_chain("http://127.0.0.1:9650"), **example_c_chain("http://127.0.0.1:9650")}
    chains["avalanche"]["validators"]["groups"]["main"] = chains["avalanche"]["validators"]["groups"]["main"][:1]  # the primary-network one only
    config = parse(yaml.safe_dump({"chains": chains}), env={})
    assert not [p for p in data_panels(dashboards.build_all(config)["executive"]) if p["title"] == TABLE]
