"""Dashboard row for block-hash divergence (:mod:`chainwatch.exporters.divergence`): which
endpoints of the chain are on another chain at the same height, and whether the references
agree among themselves."""

from __future__ import annotations

from chainwatch import kinds
from chainwatch.assembly import catalog
from chainwatch.dashboards.panels import NONE, YES_NO_BAD, Grid, q, state_timeline, timeseries


def judged(chain) -> bool:
    """Whether the chain's hashes are compared: a kind with the capability, references, and
    ``compare_block_hashes`` left on (the exporter's own test, :func:`exporters.divergence.applies`)."""
    return "divergence" in kinds.get(chain.kind).capabilities and bool(chain.references) and chain.compare_block_hashes


def divergence_row(grid: Grid) -> None:
    """Diverged endpoints over time, the references' disagreement and the compared height
    (its dashboard has ``$chain`` fixed)."""
    e = 'chain="$chain", endpoint=~"$endpoint"'
    grid.row("Divergence (block hashes)")
    grid.add(
        state_timeline(
            "Diverged endpoints",
            "Per endpoint: whether its block hash at the compared height differs from the hash the references' majority gave there "
            "(yes: a node on another chain at the same height, ChainwatchNodeDiverged for nodes; a reference with yes is outvoted, which "
            "no page selects). No row yet: not compared since the exporter started.",
            # The diverged series exists only for a diverged endpoint: every compared one is "no" otherwise.
            q(
                f"max by (endpoint, role) ({catalog.check('chainwatch_block_hash_diverged')}{{{e}}}) "
                f"or max by (endpoint, role) (0 * {catalog.check('chainwatch_block_hash_compared_height')}{{{e}}})",
                "{{endpoint}} ({{role}})",
            ),
            mappings=[YES_NO_BAD],
        ),
        w=12,
        h=8,
    )
    grid.add(
        state_timeline(
            "References disagree",
            "Whether the chain's references answered different hashes at the height they were last asked "
            "(ChainwatchReferenceHashesDisagree: a quorum problem; nodes are judged only where a strict majority agrees).",
            q(f'max by (chain) ({catalog.check("chainwatch_reference_hashes_disagree")}{{chain="$chain"}})', "references"),
            mappings=[YES_NO_BAD],
        ),
        w=6,
        h=8,
    )
    grid.add(
        timeseries(
            "Compared height, behind the head",
            "Head height minus the height each endpoint's hash was last compared at: the kind's confirmation depth plus a round or two. "
            "A growing line: the endpoint's verdict is getting old (it did not answer the hash, or is not at that height yet).",
            q(
                f"max by (endpoint) ({catalog.check('chainwatch_head_height')}{{{e}}}) - max by (endpoint) ({catalog.check('chainwatch_block_hash_compared_height')}{{{e}}})",
                "{{endpoint}}",
            ),
            unit=NONE,
        ),
        w=6,
        h=8,
    )
