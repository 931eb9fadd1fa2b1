"""The avalanche demo part: its config block is valid, and its validator's runway sits just above
the paging lines it sets, so a healthy demo is silent and a disconnect crosses critical in seconds."""

from __future__ import annotations

import time
import types

import yaml

from chainwatch.assembly.config import parse
from chainwatch.kinds.avalanche import demo
from chainwatch.kinds.avalanche.simulator import AvalancheSim, L1Validator, Validator, demo_validators


def test_the_demo_chain_validates_and_its_runway_crosses_critical_within_its_fault_budget():
    now = time.time()
    start, end, down = demo_validators(now, demo.RUNWAY_SECONDS)
    sim = AvalancheSim(list(demo.NODES), validators=[Validator("val-1", start, end, downtime=down)], l1_validators=[L1Validator("l1-1", demo.L1_BALANCE, now)])
    part = demo.AvalancheDemo(types.SimpleNamespace())
    part.url, part.state = "http://127.0.0.1:1", sim.state()
    blocks = part.chain_blocks({})
    blocks[demo.CHAIN].pop("team")  # the demo config declares its team; this one has only the default
    config = parse(yaml.safe_dump({"chains": blocks}), env={})
    chain = config.chains[demo.CHAIN]
    t = chain.thresholds
    warning, critical = t.avalanche_reward_runway_warning_hours * 3600, t.avalanche_reward_runway_critical_hours * 3600
    assert demo.RUNWAY_SECONDS - warning >= 5  # a healthy demo stays silent despite the 4-decimal uptime strings
    fault = next(f for f in demo.AvalancheDemo.faults if f.name == "avalanche-validator-disconnected")
    assert fault.threshold_seconds(None) >= demo.RUNWAY_SECONDS - critical  # one second of runway per second down
    assert chain.validators.groups["main"][0].node_id == sim.validators["val-1"].node
