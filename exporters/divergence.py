"""Divergence: is a node on the references' chain, at a height where both are settled? (issue #33)

A node can be "synced" by height while serving blocks the network does not have (a bad
upgrade, a consensus bug, a reorg it did not follow). Once per round per chain of a kind with
the ``divergence`` capability, every endpoint is asked the hash of its block at one recent
common height, and a node whose hash differs from the hash the references agree on is
diverged. Exposition (endpoint and chain scope; ``chainwatch_block_hash_diverged`` only for a
node that differs, a matching node has its compared height alone)::

    chainwatch_block_hash_diverged{chain="ethereum",endpoint="geth-1",network="mainnet",role="node"} 1
    chainwatch_block_hash_compared_height{chain="ethereum",endpoint="geth-1",network="mainnet",role="node"} 21000123
    chainwatch_reference_hashes_disagree{chain="ethereum",network="mainnet"} 0

The height: the lowest head the references reported last round minus the kind's
``confirmation_depth`` (below every reference's head, past the reorgs the chain has in normal
operation). References are asked that height; nodes are asked the latest height the
references have already answered, so a node is always compared with hashes in hand, even when
the references' results are reused across rounds (``reference_max_age_seconds``). Cost: one
request per endpoint per round at most; EVM puts it in its batch.

Agreement: the hash a strict majority of the references that answered that height gave.
References answering more than one hash are ``chainwatch_reference_hashes_disagree 1`` (a
quorum warning, never a node page); a reference that is not with the majority is diverged with
``role="reference"``, which no page selects. Without a majority nothing is judged. An endpoint
without a block at the height (a skipped slot, a node not there yet) is not judged this round
and keeps its last verdict (the compared height says how old it is). Chains without
references are not judged: their endpoints have nothing independent to agree on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from chainwatch import kinds
from chainwatch.core.chain import Role
from chainwatch.exporters.failures import ProbeFailure
from chainwatch.exporters.probe import ProbeContext, ProbeResult

# Agreed hashes kept per chain, by height: a node asked a height a few rounds ago still finds it.
HISTORY = 16


def applies(chain) -> bool:
    """Whether ``chain`` (a config chain) is judged: a kind with the capability, references, and
    ``compare_block_hashes`` left on."""
    return "divergence" in kinds.get(chain.kind).capabilities and bool(chain.references) and chain.compare_block_hashes


class Tracker:
    """Per scheduler: the heights to ask, the references' agreed hashes, the verdicts per endpoint."""

    def __init__(self, previous: "Tracker | None" = None):
        # chain -> the height references are asked next (from their last heads)
        self.next_height: dict[str, int] = dict(previous.next_height) if previous else {}
        # chain -> {str(height): agreed hash}, at most HISTORY, oldest first
        self.agreed: dict[str, dict[str, str]] = {k: dict(v) for k, v in previous.agreed.items()} if previous else {}
        # endpoint name -> (compared height, diverged 0/1)
        self.verdicts: dict[str, tuple[int, int]] = dict(previous.verdicts) if previous else {}
        # chain name -> applies(chain), for this config only (``chain.references`` builds a list:
        # asked per endpoint it would cost O(endpoints^2) a round)
        self._applies: dict[str, bool] = {}

    def _judged(self, chain_name: str, chain) -> bool:
        known = self._applies.get(chain_name)
        if known is None:
            known = self._applies[chain_name] = applies(chain)
        return known

    # ------------------------------------------------------------------ before the probe

    def height_for(self, chain_name: str, chain, role: Role) -> int | None:
        """The height ``ctx.hash_height`` asks: references the next height, others the latest agreed one."""
        if not self._judged(chain_name, chain):
            return None
        if role is Role.REFERENCE:
            return self.next_height.get(chain_name)
        agreed = self.agreed.get(chain_name)
        return max(map(int, agreed)) if agreed else None

    # ------------------------------------------------------------------ after the probe

    async def ask(self, state, ctx: ProbeContext, result: ProbeResult) -> None:
        """Ask the kind's hook for the hash at ``ctx.hash_height`` unless the probe did (batched).
        A failure drops the value (``block_hash``), never the probe."""
        height = ctx.hash_height
        # Batched by the probe: an unreadable answer there is dropped, not asked again (one
        # request per endpoint per round, whatever the node answers).
        if height is None or result.block_hash is not None or ctx.hash_batched or not result.success:
            return
        if result.head_height is not None and result.head_height < height:
            result.block_hash = (height, None)  # not there yet: nothing to compare, no request
            return
        hook = kinds.get(state.chain.kind).block_hash()
        try:
            result.block_hash = (height, await hook(state.endpoint, ctx, height))
        except ProbeFailure as failure:
            result.drop("block_hash", f"{failure.reason}: {failure.detail}")

    # ------------------------------------------------------------------ the round

    def summarise(self, chain_name: str, chain, answered: Iterable[tuple[str, ProbeResult]]) -> tuple[dict[str, str], int | None]:
        """From the references' results of a round: the agreed hashes (by height, as kept) and
        whether the references disagree at the highest height they answered (None: none answered).
        Also sets the height references are asked next."""
        if not self._judged(chain_name, chain):
            return {}, None
        answered = [(n, r) for n, r in answered if r.success]
        heads = [r.head_height for _, r in answered if r.head_height is not None]
        depth = kinds.get(chain.kind).confirmation_depth
        if heads and min(heads) - depth >= 1:
            self.next_height[chain_name] = int(min(heads) - depth)
        by_height: dict[int, Counter[str]] = {}
        for _, r in answered:
            if r.block_hash is not None and r.block_hash[1] is not None:
                by_height.setdefault(r.block_hash[0], Counter())[r.block_hash[1]] += 1
        disagree = None
        agreed = self.agreed.setdefault(chain_name, {})
        for height in sorted(by_height):
            counts = by_height[height]
            top, votes = counts.most_common(1)[0]
            if votes * 2 > sum(counts.values()):
                agreed.pop(str(height), None)
                agreed[str(height)] = top  # re-inserted: the newest last
            disagree = int(len(counts) > 1)
        while len(agreed) > HISTORY:
            agreed.pop(min(agreed, key=int))
        return dict(agreed), disagree

    def learn(self, chain_name: str, agreed: dict[str, str], next_height: int | None) -> None:
        """Take a chain's agreed hashes from a summary read elsewhere (a worker's parent)."""
        if agreed:
            self.agreed[chain_name] = dict(agreed)
        if next_height is not None:
            self.next_height[chain_name] = next_height

    def judge(self, state, result: ProbeResult) -> None:
        """Set the endpoint's verdict on ``result``: compared now when its hash and an agreed hash
        at that height are both known, else its last verdict (none yet: no series)."""
        name = state.endpoint.name
        if not self._judged(state.chain_name, state.chain):
            return
        got = result.block_hash if result.success else None
        if got is not None and got[1] is not None:
            agreed = self.agreed.get(state.chain_name, {}).get(str(got[0]))
            if agreed is not None:
                self.verdicts[name] = (got[0], int(got[1] != agreed))
        verdict = self.verdicts.get(name)
        if verdict is not None and result.success:
            height, diverged = verdict
            # Only a differing hash is a series: the compared height says that, and where, a
            # matching node was compared, and a 0 for every node would cost a series each (issue #34).
            if result.get("chainwatch_block_hash_compared_height") != height:
                result.set("chainwatch_block_hash_compared_height", height)
            if diverged and result.get("chainwatch_block_hash_diverged") != 1:
                result.set("chainwatch_block_hash_diverged", 1)
            elif not diverged:
                result.unset("chainwatch_block_hash_diverged")
