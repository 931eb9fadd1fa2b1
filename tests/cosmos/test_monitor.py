"""The cosmos validator monitor against the SIMULATED CometBFT + LCD chain.

Talks to: kinds/cosmos/simulator.py on loopback (no real CometBFT node can be installed
here), with a manual block clock so every block is produced by the test and every count is
exact.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from chainwatch.exporters.transport import Transport
from chainwatch.kinds.cosmos.cometbft import blocks_until_jail, min_signed_blocks
from chainwatch.kinds.cosmos.monitor import AllEndpointsFailed
from chainwatch.kinds.cosmos.simulator import Chain, Simulator, Validator

from .support import lcd_round, monitor, sample

MISSED = "chainwatch_cosmos_validator_missed_blocks_total"
SOLO = "chainwatch_cosmos_validator_solo_missed_blocks_total"
CHECKED = "chainwatch_cosmos_validator_blocks_checked_total"
CONSECUTIVE = "chainwatch_cosmos_validator_consecutive_missed_blocks"


@pytest.fixture
async def transport():
    t = Transport()
    yield t
    await t.close()


def advance(chain: Chain, n: int) -> None:
    for _ in range(n):
        assert chain.advance(), "the simulated chain refused to make a block"


async def test_a_validator_that_stops_signing_shows_misses_and_a_growing_run(tmp_path, transport):
    chain = Chain(manual=True)
    async with Simulator(chain) as sim:
        v1 = chain.validators[0]
        m = monitor(chain, sim, {"ops": [v1.address], "others": [chain.validators[1].valoper]}, tmp_path / "s.json", transport)
        await lcd_round(m)
        advance(chain, 3)
        await m.round()
        assert sample(m, MISSED, group="ops") == 0
        assert sample(m, CHECKED, group="ops") == 4  # the first block seen, then 3 more
        chain.stop_signing(v1.name)
        advance(chain, 5)  # 5 blocks whose commits (votes for the block before each) lack its vote
        await m.round()
        assert sample(m, MISSED, group="ops") == 5
        assert sample(m, CONSECUTIVE, group="ops") == 5
        assert sample(m, SOLO, group="ops") == 5  # 76 % of the power signed each of those blocks
        advance(chain, 3)
        await m.round()
        assert sample(m, CONSECUTIVE, group="ops") == 8
        assert sample(m, MISSED, group="others") == 0
        chain.resume_signing(v1.name)
        advance(chain, 2)
        await m.round()
        assert sample(m, CONSECUTIVE, group="ops") == 0
        assert sample(m, MISSED, group="ops") == 8
        assert sample(m, CHECKED, group="ops") == 4 + 5 + 3 + 2


async def test_a_network_wide_stall_counts_no_miss(tmp_path, transport):
    """Two of five validators stop: 2/3 of the power no longer signs, so no block is made and
    nobody is charged a miss (the chain halt alert pages instead, from the shared rules)."""
    chain = Chain(manual=True)
    async with Simulator(chain) as sim:
        names = [v.address for v in chain.validators]
        m = monitor(chain, sim, {"all": names}, tmp_path / "s.json", transport)
        await lcd_round(m)
        advance(chain, 2)
        await m.round()
        chain.stop_signing("val-1")
        chain.stop_signing("val-2")  # 24 + 22 of 100: 54 % left
        height = chain.height
        for _ in range(10):
            assert not chain.advance()
        await m.round()
        assert chain.height == height
        assert sample(m, MISSED, group="all") == 0
        assert sample(m, SOLO, group="all") == 0
        assert sample(m, CONSECUTIVE, group="all") == 0


async def test_time_until_jail_is_the_x_slashing_formula_on_the_chains_numbers(tmp_path, transport):
    chain = Chain(manual=True, signed_blocks_window=40, min_signed_per_window="0.250000000000000000")
    async with Simulator(chain) as sim:
        v1 = chain.validators[0]
        m = monitor(chain, sim, {"ops": [v1.valoper]}, tmp_path / "s.json", transport)
        await lcd_round(m)
        chain.stop_signing(v1.name)
        advance(chain, 12)
        await lcd_round(m)
        state = next(v for v in chain.state()["validators"] if v["name"] == v1.name)
        missed = state["missed_blocks_counter"]
        assert missed == 12
        expected = 40 - 10 - missed  # window - ceil(window x min_signed) - missed_blocks_counter
        assert min_signed_blocks(40, Decimal(chain.min_signed)) == 10
        assert blocks_until_jail(40, Decimal(chain.min_signed), missed) == expected
        assert sample(m, "chainwatch_cosmos_validator_signing_window_missed_blocks", group="ops") == missed
        assert sample(m, "chainwatch_cosmos_validator_blocks_until_jail", group="ops") == expected
        assert sample(m, "chainwatch_cosmos_validator_time_until_jail_seconds", group="ops") == expected * 6  # block_time_seconds: 6


async def test_jailed_and_tombstoned_come_from_staking_and_slashing(tmp_path, transport):
    chain = Chain(manual=True, signed_blocks_window=20)
    async with Simulator(chain) as sim:
        v1, v2 = chain.validators[0], chain.validators[1]
        m = monitor(chain, sim, {"ops": [v1.valoper, v2.valoper]}, tmp_path / "s.json", transport)
        await lcd_round(m)
        assert sample(m, "chainwatch_cosmos_validator_jailed", group="ops") == 0
        assert sample(m, "chainwatch_cosmos_validator_bond_status", group="ops", status="bonded") == 2
        chain.stop_signing(v1.name)
        advance(chain, 40)  # past start_height + window with more than window - 10 misses: x/slashing jails it
        assert chain.validator(v1.name).jailed
        await lcd_round(m)
        assert sample(m, "chainwatch_cosmos_validator_jailed", group="ops") == 1
        assert sample(m, "chainwatch_cosmos_validator_bond_status", group="ops", status="unbonding") == 1
        assert sample(m, "chainwatch_cosmos_validators_active", group="ops") == 1
        chain.tombstone(v2.name)
        advance(chain, 1)
        await lcd_round(m)
        assert sample(m, "chainwatch_cosmos_validator_tombstoned", group="ops") == 1
        assert sample(m, "chainwatch_cosmos_validator_jailed", group="ops") == 2


async def test_consumer_chain_without_staking_reads_jailing_from_slashing(tmp_path, transport):
    chain = Chain(manual=True)
    async with Simulator(chain) as sim:
        v1 = chain.validators[0]
        m = monitor(chain, sim, {"ops": [v1.address]}, tmp_path / "s.json", transport)
        m.chain = m.chain.model_copy(update={"staking": False})
        chain.jail(v1.name)
        advance(chain, 1)
        await lcd_round(m)
        assert sample(m, "chainwatch_cosmos_validator_jailed", group="ops") == 1
        assert sample(m, "chainwatch_cosmos_validator_bond_status", group="ops", status="bonded") is None
        assert not any(k.startswith("lcd:cosmos/staking") for k in chain.requests)


async def test_without_staking_a_never_jailed_validator_is_not_jailed_not_unknown(tmp_path, transport):
    """x/slashing answers jailed_until 1970-01-01T00:00:00Z for a validator never jailed: a
    sentinel that means "not jailed", so the jailed series is 0 (present), not absent."""
    chain = Chain(manual=True)
    async with Simulator(chain) as sim:
        v1, v2 = chain.validators[0], chain.validators[1]
        m = monitor(chain, sim, {"ops": [v1.address], "two": [v2.address]}, tmp_path / "s.json", transport)
        m.chain = m.chain.model_copy(update={"staking": False})
        chain.jail(v2.name)
        advance(chain, 1)
        await lcd_round(m)
        assert chain.lcd(f"cosmos/slashing/v1beta1/signing_infos/{v1.valcons}", {})[1]["val_signing_info"]["jailed_until"] == "1970-01-01T00:00:00Z"
        assert sample(m, "chainwatch_cosmos_validator_jailed", group="ops") == 0
        assert sample(m, "chainwatch_cosmos_validator_blocks_until_jail", group="ops") is not None  # headroom still computed
        assert sample(m, "chainwatch_cosmos_validator_jailed", group="two") == 1


async def test_each_block_is_read_once_whatever_the_groups(tmp_path, transport):
    chain = Chain(manual=True)
    async with Simulator(chain) as sim:
        v = chain.validators
        groups = {"a": [v[0].address, v[0].valoper], "b": [v[0].address, v[1].address], "c": [x.address for x in v]}
        m = monitor(chain, sim, groups, tmp_path / "s.json", transport)
        await lcd_round(m)
        chain.requests.clear()
        chain.stop_signing(v[0].name)
        advance(chain, 6)
        await m.round()
        assert chain.requests["block"] == 6
        assert chain.requests["validators"] <= 1  # the set changes never here: read at most once more
        # val-1 listed twice in group a (by both addresses) counts once there, once in b, once in c
        assert sample(m, MISSED, group="a") == 6
        assert sample(m, MISSED, group="b") == 6
        assert sample(m, MISSED, group="c") == 6
        assert sample(m, CHECKED, group="a") == 7
        assert sample(m, CHECKED, group="b") == 14


async def test_validator_sets_over_100_are_read_page_by_page(tmp_path, transport):
    vals = [Validator(f"v{i:03d}", power=10) for i in range(230)]
    chain = Chain(["ref-1"], vals, manual=True)
    async with Simulator(chain) as sim:
        m = monitor(chain, sim, {"tail": [vals[-1].address]}, tmp_path / "s.json", transport)
        chain.stop_signing(vals[-1].name)
        advance(chain, 1)
        await m.round()
        assert chain.requests["validators"] == 3  # 100 + 100 + 30
        assert sample(m, "chainwatch_cosmos_validator_voting_power", group="tail") == 10
        assert sample(m, MISSED, group="tail") == 1


async def test_a_restart_neither_double_counts_nor_loses_misses(tmp_path, transport):
    chain = Chain(manual=True)
    async with Simulator(chain) as sim:
        v1 = chain.validators[0]
        groups = {"ops": [v1.address]}
        first = monitor(chain, sim, groups, tmp_path / "s.json", transport)
        await lcd_round(first)
        chain.stop_signing(v1.name)
        advance(chain, 5)
        await first.round()
        before = sample(first, MISSED, group="ops")
        assert before == 5
        advance(chain, 7)  # the exporter is down for 7 blocks ...
        second = monitor(chain, sim, groups, tmp_path / "s.json", transport)
        await second.round()
        await second.round()  # ... and a second round right after reads nothing twice
        assert sample(second, MISSED, group="ops") == before + 7
        assert sample(second, CONSECUTIVE, group="ops") == 5 + 7
        assert sample(second, CHECKED, group="ops") == sample(first, CHECKED, group="ops") + 7


async def test_a_state_file_of_another_chain_is_ignored(tmp_path, transport):
    chain = Chain(manual=True)
    async with Simulator(chain) as sim:
        state = tmp_path / "s.json"
        state.write_text(
            '{"version": 1, "chain_id": "other-1", "last_height": 5, "skipped": 0, "groups": {"ops": {"checked": 9, "missed": 9, "solo_missed": 9}}, "consecutive": {}}'
        )
        m = monitor(chain, sim, {"ops": [chain.validators[0].address]}, state, transport)
        await m.round()
        assert sample(m, MISSED, group="ops") == 0
        assert sample(m, "chainwatch_cosmos_monitor_blocks_skipped_total") == 0


async def test_blocks_older_than_the_backfill_limit_are_skipped_and_counted(tmp_path, transport):
    chain = Chain(manual=True)
    async with Simulator(chain) as sim:
        groups = {"ops": [chain.validators[0].address]}
        m = monitor(chain, sim, groups, tmp_path / "s.json", transport, max_backfill_blocks=10)
        await m.round()
        advance(chain, 25)
        m2 = monitor(chain, sim, groups, tmp_path / "s.json", transport, max_backfill_blocks=10)
        await m2.round()
        assert sample(m2, "chainwatch_cosmos_monitor_blocks_skipped_total") == 15
        assert sample(m2, CHECKED, group="ops") == 1 + 10


async def test_monitor_health_is_exported_from_the_first_second(tmp_path, transport):
    chain = Chain(manual=True)
    async with Simulator(chain) as sim:
        m = monitor(chain, sim, {"ops": [chain.validators[0].address]}, tmp_path / "s.json", transport)
        assert sample(m, "chainwatch_validator_monitor_last_success_timestamp_seconds") is not None
        assert sample(m, "chainwatch_validator_monitor_failures_total") == 0
        for n in chain.nodes:
            chain.set_down(n)
        with pytest.raises(AllEndpointsFailed):
            await m.round()
        assert sample(m, "chainwatch_validator_monitor_failures_total") == 1


async def test_an_lcd_outage_keeps_block_counting_going(tmp_path, transport):
    chain = Chain(["ref-1"], manual=True)
    async with Simulator(chain) as sim:
        v1 = chain.validators[0]
        m = monitor(chain, sim, {"ops": [v1.address]}, tmp_path / "s.json", transport)
        m.candidates[0] = m.candidates[0].model_copy(update={"lcd_url": sim.url("ref-1") + "/nolcd"})
        m.endpoint = m.candidates[0]
        chain.stop_signing(v1.name)
        await lcd_round(m)
        advance(chain, 3)
        await lcd_round(m)
        assert sample(m, MISSED, group="ops") == 3
        assert sample(m, "chainwatch_cosmos_validator_blocks_until_jail", group="ops") is None
        assert sample(m, "chainwatch_validator_monitor_failures_total") >= 1


# ----------------------------------------------------------------------------- issue #25: resume from what the node has

SKIPPED = "chainwatch_cosmos_monitor_blocks_skipped_total"
RESYNCS = "chainwatch_validator_monitor_resyncs_total"


def test_the_recorded_not_available_answer_names_the_lowest_kept_height():
    from chainwatch.exporters.transport import Reply
    from chainwatch.kinds.cosmos.cometbft import lowest_kept_height
    from tests.field.support import FIXTURES

    recorded = (FIXTURES / "cometbft-height-not-available.json").read_bytes()  # field case cosmos-pruned-resume-stuck
    assert lowest_kept_height(Reply(500, recorded, 0.01)) == 1999902
    other = b'{"jsonrpc":"2.0","id":-1,"error":{"code":-32603,"message":"Internal error","data":"height 9 must be less than or equal to the current blockchain height 5"}}'
    assert lowest_kept_height(Reply(500, other, 0.01)) is None
    assert lowest_kept_height(Reply(200, b'{"jsonrpc":"2.0","id":-1,"result":{}}', 0.01)) is None


async def _restart_on_a_pruned_node(tmp_path, transport, *, keep: int, hide_earliest: bool = False, **validators):
    chain = Chain(manual=True)
    sim = Simulator(chain)
    await sim.__aenter__()
    v1 = chain.validators[0]
    groups = {"ops": [v1.address]}
    first = monitor(chain, sim, groups, tmp_path / "s.json", transport, **validators)
    await first.round()
    checked = sample(first, CHECKED, group="ops")
    chain.stop_signing(v1.name)
    advance(chain, 20)  # the exporter is down for 20 blocks ...
    chain.prune("ref-1", keep=keep)  # ... while the node pruned (or was re-state-synced)
    if hide_earliest:  # a node whose /status has no earliest_block_height (Tendermint before 0.34)
        status = chain.rpc_status

        def without_earliest(node, params):
            out = status(node, params)
            out["sync_info"].pop("earliest_block_height")
            return out

        chain.rpc_status = without_earliest
    second = monitor(chain, sim, groups, tmp_path / "s.json", transport, **validators)
    return chain, sim, first, second, checked


async def test_a_restart_on_a_pruned_node_skips_to_its_lowest_height_and_counts_the_gap(tmp_path, transport):
    # Field case cosmos-pruned-resume-stuck: the state file says 1000, the node keeps 1016-1020.
    chain, sim, first, m, checked = await _restart_on_a_pruned_node(tmp_path, transport, keep=5)
    try:
        last = first.state.last_height
        lowest = chain.node_lowest(chain.node("ref-1"))
        await m.round()  # no AllEndpointsFailed: the gap is skipped in this very round
        assert sample(m, SKIPPED) == lowest - last == 16
        assert sample(m, "chainwatch_cosmos_monitor_last_height") == chain.height
        assert sample(m, "chainwatch_validator_monitor_failures_total") == 0
        assert sample(m, RESYNCS, reason="behind_retention") == 1  # issue #35: the skip is a counted resync
        assert sample(m, RESYNCS, reason="ahead_of_chain") == 0
        # counting goes on from the lowest kept height: the commits of 1016..1019, all missed
        assert sample(m, MISSED, group="ops") == chain.height - lowest == 4
        assert sample(m, CHECKED, group="ops") == checked + 4
        advance(chain, 3)
        await m.round()
        assert sample(m, MISSED, group="ops") == 7  # the missed-blocks alert keeps its input
        assert sample(m, CONSECUTIVE, group="ops") == 7
        assert sample(m, SKIPPED) == 16  # counted once, and kept across a restart
        third = monitor(chain, sim, {"ops": [chain.validators[0].address]}, tmp_path / "s.json", transport)
        assert sample(third, SKIPPED) is not None
        await third.round()
        assert sample(third, SKIPPED) == 16
    finally:
        await sim.__aexit__(None, None, None)


async def test_the_not_available_answer_itself_moves_the_monitor_on(tmp_path, transport):
    # No earliest_block_height to read first: the /block answer "lowest height is Y" is the signal.
    chain, sim, first, m, _ = await _restart_on_a_pruned_node(tmp_path, transport, keep=5, hide_earliest=True)
    try:
        await m.round()
        assert sample(m, SKIPPED) == chain.node_lowest(chain.node("ref-1")) - first.state.last_height
        assert sample(m, MISSED, group="ops") == 4
        assert sample(m, "chainwatch_validator_monitor_failures_total") == 0
    finally:
        await sim.__aexit__(None, None, None)


async def test_a_fallback_that_still_keeps_the_blocks_is_read_before_anything_is_skipped(tmp_path, transport):
    chain, sim, _, m, checked = await _restart_on_a_pruned_node(tmp_path, transport, keep=5, endpoint="ref-1", fallbacks=["ref-2"])
    try:
        await m.round()
        assert sample(m, SKIPPED) == 0
        assert sample(m, RESYNCS, reason="behind_retention") == 0  # nothing skipped: no resync
        assert sample(m, MISSED, group="ops") == 20  # every block read on ref-2 (an archive node)
        assert sample(m, CHECKED, group="ops") == checked + 20
    finally:
        await sim.__aexit__(None, None, None)


# ----------------------------------------------------------------------------- issue #25: nothing configured is silently unwatched

UNRESOLVED = "chainwatch_validator_monitor_unresolved_validators"


async def test_a_validator_the_monitor_cannot_resolve_is_a_reason_not_a_quiet_zero(tmp_path, transport):
    chain = Chain(manual=True)
    async with Simulator(chain) as sim:
        v1, v2 = chain.validators[0], chain.validators[1]
        unknown = v2.valoper[:-6] + ("qqqqqq" if not v2.valoper.endswith("qqqqqq") else "pppppp")  # not on chain
        groups = {"ops": [v1.valoper], "typo": [v1.address, unknown]}
        m = monitor(chain, sim, groups, tmp_path / "s.json", transport)
        await lcd_round(m)
        for reason in ("not_found", "no_identity", "unreadable"):  # every reason, every group, from the first round
            assert sample(m, UNRESOLVED, group="ops", reason=reason) == 0
        assert sample(m, UNRESOLVED, group="typo", reason="not_found") == 1
        assert sample(m, UNRESOLVED, group="typo", reason="no_identity") == 0
        # a chain without x/staking: an operator address alone gives no consensus address to count by
        m.chain = m.chain.model_copy(update={"staking": False})
        await lcd_round(m)
        assert sample(m, UNRESOLVED, group="ops", reason="no_identity") == 1
        checked = sample(m, CHECKED, group="ops")
        advance(chain, 2)
        await m.round()
        assert sample(m, CHECKED, group="ops") == checked  # what the reason explains: nothing counted for it
