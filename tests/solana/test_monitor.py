"""Solana validator monitor parsing with ``aioresponses`` (the aiohttp mock standing in
for respx). ``getVoteAccounts`` / ``getBlockProduction`` / ``getEpochInfo`` answers are
shaped as the Solana RPC docs show them; the pubkeys are the docs' example keys.
"""

from __future__ import annotations

import copy

import pytest
from aioresponses import aioresponses

from chainwatch.assembly import catalog
from chainwatch.assembly.config import parse
from chainwatch.exporters.exposition import render
from chainwatch.exporters.transport import Transport
from chainwatch.exporters.monitors import monitor_for

from tests.support.answers import EPOCH_INFO, METHOD_NOT_FOUND

from .docs_shapes import Rpc

URL = "https://solana-mainnet.example.com/?api-key=SECRETKEY123456"
VOTE_A, NODE_A = "3ZT31jkAGhUaw8jsy4bTknwBMP8i4Eueh52By4zXcsVw", "B97CCUW3AEZFGy6uUg6zUdnNYvnVq5VG8PUtb2HayTDD"
VOTE_B, NODE_B = "i7NyKBMJCA9bLM2nsGyAGCKHECuR2L5eh4GqFciuwNT", "85iYT5RuzRTDgjyRa3cP8SYhM2j21fj7NhfJ3peu1DPr"
VOTE_C, NODE_C = "5ZWgXcyqrrNpQHCme5SdC5hCeYb2o3fEJhF7Gok3bTVN", "4rL4RCWHz3iNCdCaveD8KcHfV9YWGsqSHFPo7X2zBNwa"
EPOCH = dict(EPOCH_INFO, absoluteSlot=166598, slotIndex=2790, epoch=27)


def account(vote, node, last_vote, root, stake, commission=10, credits=((26, 1000, 600), (27, 1500, 1000))):
    return {
        "commission": commission,
        "epochVoteAccount": True,
        "epochCredits": [list(c) for c in credits],
        "nodePubkey": node,
        "lastVote": last_vote,
        "activatedStake": stake,
        "votePubkey": vote,
        "rootSlot": root,
    }


VOTES = {
    "current": [
        account(VOTE_A, NODE_A, 166597, 166566, 5_000_000_000),
        account("Vote111111111111111111111111111111111111111", "Stake11111111111111111111111111111111111111", 166598, 166567, 10**12),
    ],
    "delinquent": [account(VOTE_B, NODE_B, 166100, 166060, 2_000_000_000, commission=100)],
}


def production(params):
    config = params[0]
    assert config["range"] == {"firstSlot": 166598 - 2790, "lastSlot": 166598}  # the current epoch so far
    table = {NODE_A: [40, 36], NODE_B: [20, 0]}
    wanted = config.get("identity")
    by_identity = {k: v for k, v in table.items() if wanted in (None, k)}
    return {"context": {"slot": 166600}, "value": {"byIdentity": by_identity, "range": config["range"]}}


def config_text(cap: int = 16, groups: str | None = None) -> str:
    groups = (
        groups
        or f"""
        ops:
          - {{name: val-a, vote_account: {VOTE_A}, identity: {NODE_A}}}
          - {{name: val-b, vote_account: {VOTE_B}, identity: {NODE_B}}}
        lost:
          - {{vote_account: {VOTE_C}, identity: {NODE_C}}}"""
    )
    return f"""
chains:
  solana:
    kind: solana
    network: mainnet-beta
    endpoints:
      - {{name: rpc-1, url: "http://127.0.0.1:1/", role: node}}
      - {{name: ref-1, url: "{URL}", role: reference}}
    validators:
      per_validator_cap: {cap}
      groups:{groups}
"""


async def cycle(text: str, answers: dict, *, fails_with: str | None = None):
    config = parse(text, env={})
    transport = Transport()
    monitor = monitor_for("solana", config.chains["solana"], transport, config.exporter)
    try:
        rpc = Rpc(answers)
        with aioresponses() as mock:
            mock.post(URL, callback=rpc, repeat=True)  # only the reference is mocked: it is the default endpoint
            if fails_with:
                with pytest.raises(Exception) as info:
                    await monitor.cycle()
                assert fails_with in str(info.value)
            else:
                await monitor.cycle()
        return monitor, rpc
    finally:
        await transport.close()


def values(monitor) -> dict:
    return {(name, labels.get("group"), labels.get("validator")): value for name, labels, value in monitor.samples()}


ANSWERS = {"getEpochInfo": EPOCH, "getVoteAccounts": VOTES, "getBlockProduction": production}


async def test_group_and_validator_series_from_vote_accounts_and_block_production():
    monitor, rpc = await cycle(config_text(), ANSWERS)
    v = values(monitor)
    assert v[("chainwatch_solana_validators", "ops", None)] == 2
    assert v[("chainwatch_solana_validators_delinquent", "ops", None)] == 1
    assert v[("chainwatch_solana_vote_lag_slots", "ops", None)] == 166598 - 166100  # behind the cluster's highest vote
    assert v[("chainwatch_solana_root_lag_slots", "ops", None)] == 166567 - 166060
    assert v[("chainwatch_solana_activated_stake_lamports", "ops", None)] == 7_000_000_000
    assert v[("chainwatch_solana_leader_slots", "ops", None)] == 60
    assert v[("chainwatch_solana_blocks_produced", "ops", None)] == 36
    assert v[("chainwatch_solana_skip_ratio", "ops", None)] == pytest.approx(0.4)
    assert v[("chainwatch_solana_validator_delinquent", "ops", "val-a")] == 0
    assert v[("chainwatch_solana_validator_delinquent", "ops", "val-b")] == 1
    assert v[("chainwatch_solana_validator_vote_lag_slots", "ops", "val-a")] == 1
    assert v[("chainwatch_solana_validator_skip_ratio", "ops", "val-a")] == pytest.approx(0.1)
    assert v[("chainwatch_solana_validator_skip_ratio", "ops", "val-b")] == 1.0
    assert v[("chainwatch_solana_validator_commission_ratio", "ops", "val-b")] == 1.0
    assert v[("chainwatch_solana_validator_epoch_credits", "ops", "val-a")] == 500  # epoch 27: 1500 - 1000
    # A watched vote account the cluster does not know is not counted (and has no leader slots).
    assert v[("chainwatch_solana_validators", "lost", None)] == 0
    assert v[("chainwatch_solana_skip_ratio", "lost", None)] == 0.0
    assert ("chainwatch_solana_validator_delinquent", "lost", VOTE_C) not in v
    # ... but it is said (issue #25: nothing configured is silently unwatched)
    unresolved = {(l["group"], l["reason"]): x for n, l, x in monitor.samples() if n == "chainwatch_validator_monitor_unresolved_validators"}
    assert unresolved[("lost", "not_found")] == 1 and unresolved[("ops", "not_found")] == 0
    assert unresolved[("lost", "no_identity")] == unresolved[("lost", "unreadable")] == 0
    # One getBlockProduction per identity, in one batch, after epoch info and vote accounts.
    assert rpc.batches == 2 and rpc.seen.count("getBlockProduction") == 3
    # Every sample fits the catalog (labels and all): rendering raises otherwise.
    body = render(monitor.samples()).decode()
    assert "chainwatch_validator_monitor_last_success_timestamp_seconds" in body
    assert all(catalog.get(name).scope in ("group", "validator", "chain") for name, _, _ in monitor.samples())


async def test_above_the_cap_only_group_aggregates():
    monitor, _ = await cycle(config_text(cap=2), ANSWERS)
    names = {name for name, _, _ in monitor.samples()}
    assert "chainwatch_solana_validators_delinquent" in names
    assert not any(n.startswith("chainwatch_solana_validator_") for n in names)


async def test_many_identities_use_one_call_for_every_identity(monkeypatch):
    from chainwatch.kinds.solana import monitor as solana_monitor

    monkeypatch.setattr(solana_monitor, "IDENTITY_BATCH_MAX", 1)
    monitor, rpc = await cycle(config_text(), ANSWERS)
    assert rpc.seen.count("getBlockProduction") == 1
    assert values(monitor)[("chainwatch_solana_leader_slots", "ops", None)] == 60


async def test_failed_cycle_keeps_previous_values():
    monitor, _ = await cycle(config_text(), ANSWERS)
    before = values(monitor)
    broken = dict(ANSWERS, getVoteAccounts={"error": METHOD_NOT_FOUND})
    rpc = Rpc(broken)
    transport = Transport()
    monitor.transport = transport
    try:
        with aioresponses() as mock:
            mock.post(URL, callback=rpc, repeat=True)
            with pytest.raises(Exception, match="getVoteAccounts"):
                await monitor.cycle()
    finally:
        await transport.close()
    assert values(monitor) == before  # a delinquency alert must not resolve on an RPC hiccup


@pytest.mark.parametrize(
    "mutate",
    [
        lambda v: v["current"][0].pop("lastVote"),
        lambda v: v["current"][0].update(activatedStake=-5),
        lambda v: v["current"][0].update(votePubkey="not-a-key"),
        lambda v: v["current"].__setitem__(0, "not an object"),
        lambda v: v["current"][0].update(epochCredits="x"),
    ],
    ids=["no-lastVote", "negative-stake", "bad-pubkey", "not-an-object", "credits-wrong-type"],
)
async def test_one_malformed_vote_account_is_left_out_not_the_answer(mutate):
    # val-a's entry (current[0]) is broken: only val-a is unseen; val-b (delinquent) stands.
    votes = copy.deepcopy(VOTES)
    mutate(votes)
    monitor, _ = await cycle(config_text(), dict(ANSWERS, getVoteAccounts=votes))
    v = values(monitor)
    assert v[("chainwatch_solana_validators", "ops", None)] == 1
    assert v[("chainwatch_solana_validators_delinquent", "ops", None)] == 1
    assert ("chainwatch_solana_validator_delinquent", "ops", "val-a") not in v
    assert v[("chainwatch_solana_validator_delinquent", "ops", "val-b")] == 1
    assert v[("chainwatch_validator_monitor_dropped_entries_total", None, None)] == 1


async def test_vote_accounts_without_their_lists_are_rejected():
    votes = copy.deepcopy(VOTES)
    votes.pop("delinquent")
    await cycle(config_text(), dict(ANSWERS, getVoteAccounts=votes), fails_with="delinquent")


async def test_malformed_block_production_is_rejected():
    bad = lambda params: {"context": {"slot": 1}, "value": {"byIdentity": {NODE_A: [40]}, "range": {"firstSlot": 0, "lastSlot": 1}}}  # noqa: E731
    await cycle(config_text(), dict(ANSWERS, getBlockProduction=bad), fails_with="getBlockProduction")


async def test_leader_slot_counters_grow_across_cycles_and_epochs():
    """The ``_total`` counters: 0 at the first cycle (the baseline), then what the epoch-so-far
    numbers grew by; an endpoint a few slots behind takes nothing back; a new epoch adds the
    previous epoch's rest (asked for with its own range) and the new epoch's slots."""
    first = 166598 - 2790  # epoch 27's first slot
    epoch28 = first + 8192
    # (epoch info, {range: {identity: [leader slots, blocks produced]}}) per cycle
    steps = [
        (EPOCH, {(first, 166598): {NODE_A: [40, 36], NODE_B: [20, 0]}}),
        (dict(EPOCH, absoluteSlot=166700, slotIndex=2892), {(first, 166700): {NODE_A: [44, 38], NODE_B: [24, 0]}}),
        # a fallback a little behind: smaller epoch-so-far numbers, nothing is counted twice later
        (dict(EPOCH, absoluteSlot=166650, slotIndex=2842), {(first, 166650): {NODE_A: [42, 37], NODE_B: [22, 0]}}),
        (
            dict(EPOCH, absoluteSlot=epoch28 + 10, slotIndex=10, epoch=28),
            {(epoch28, epoch28 + 10): {NODE_A: [4, 4]}, (first, epoch28 - 1): {NODE_A: [50, 42], NODE_B: [24, 0]}},
        ),
    ]
    expected = [(0, 0), (8, 6), (8, 6), (18, 8)]  # (passed, skipped) of group ops
    asked: list[tuple[int, int]] = []
    config = parse(config_text(), env={})
    transport = Transport()
    monitor = monitor_for("solana", config.chains["solana"], transport, config.exporter)
    try:
        for (info, table), (passed, skipped) in zip(steps, expected):

            def production(params, table=table):
                r = params[0]["range"]
                asked.append((r["firstSlot"], r["lastSlot"]))
                rows = table[(r["firstSlot"], r["lastSlot"])]
                wanted = params[0].get("identity")
                return {"context": {"slot": r["lastSlot"]}, "value": {"byIdentity": {k: v for k, v in rows.items() if wanted in (None, k)}, "range": r}}

            with aioresponses() as mock:
                mock.post(URL, callback=Rpc(dict(ANSWERS, getEpochInfo=info, getBlockProduction=production)), repeat=True)
                await monitor.cycle()
            v = values(monitor)
            assert (v[("chainwatch_solana_leader_slots_passed_total", "ops", None)], v[("chainwatch_solana_leader_slots_skipped_total", "ops", None)]) == (
                passed,
                skipped,
            ), info
            assert v[("chainwatch_solana_leader_slots_passed_total", "lost", None)] == 0  # every group from the start
    finally:
        await transport.close()
    assert (first, epoch28 - 1) in asked  # the previous epoch's rest, in the new epoch's first cycle only
    assert asked.count((first, epoch28 - 1)) == 3  # one call per watched identity (A, B, C)
    body = render(monitor.samples()).decode()
    assert "# TYPE chainwatch_solana_leader_slots_passed_total counter" in body
    assert 'chainwatch_solana_leader_slots_skipped_total{chain="solana",group="ops",network="mainnet-beta"} 8.0' in body
