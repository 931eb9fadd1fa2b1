"""Divergence on real Litecoin Core regtest nodes (issue #33): the node ``invalidateblock``s a
shared block and mines its own branch, at the same heights as the reference's chain."""

from __future__ import annotations

from .conftest import LiveRig
from .litecoind import wait_until
from .test_litecoind import value


async def test_a_node_on_its_own_branch_is_diverged_at_the_same_height(pair):
    ref, node = pair.ref, pair.node
    base = ref.height()
    wait_until(lambda: node.height() == base, 30, "node at the reference's height")
    node.call("setnetworkactive", False)  # it must not hear the reference's blocks again
    node.call("invalidateblock", node.call("getblockhash", base))  # back to base - 1, its own way from here
    other = node.call("getdescriptorinfo", "raw(52)")["checksum"]  # pays OP_2, not the reference's OP_TRUE: other blocks
    node.call("generatetodescriptor", 4, f"raw(52)#{other}")
    ref.mine(3)
    assert node.height() == ref.height() == base + 3
    compared = base + 1  # reference head - bitcoin's confirmation depth 2
    assert node.call("getblockhash", compared) != ref.call("getblockhash", compared)

    rig = LiveRig(pair.chain_config())
    try:
        texts = [(await rig.round())[1] for _ in range(3)]  # heads; the reference asked; the node compared
    finally:
        await rig.close()
    last = texts[-1]
    assert value(last, "chainwatch_block_hash_diverged", endpoint="ltc-node") == 1
    assert value(last, "chainwatch_block_hash_diverged", endpoint="ltc-ref") is None  # matching: no series
    assert value(last, "chainwatch_block_hash_compared_height", endpoint="ltc-node") == compared
    assert value(last, "chainwatch_reference_hashes_disagree") == 0
    assert value(last, "chainwatch_sync_lag_blocks", endpoint="ltc-node") == 0  # synced by height: only the hash tells
