"""Client versions across a chain's fleet: the alert that a chain's nodes run more than one
client version for longer than a rolling upgrade takes.

It reads ``chainwatch_node_info{client_version}`` (1 per endpoint, the version the node
reports: ``web3_clientVersion``, ``/eth/v1/node/version``, CometBFT ``/status``
``node_info.version``...) of the chain's nodes (references are other people's fleets) and
counts the distinct versions: a warning after ``durations.versions_mixed`` (default 12h,
longer than a rolling upgrade of a fleet takes: an upgrade that stopped half way, or a
forgotten node). One severity: an info variant with a shorter ``for:`` would fire on every
upgrade and on the warning's own way to firing.
"""

from __future__ import annotations

from chainwatch.core.alertkit import CHAIN_LABELS, AlertSpec, Ctx, Recipe, Series, by


def _expr(c: Ctx) -> str:
    versions = f"count by ({by((*CHAIN_LABELS, 'client_version'))}) ({c.sel('chainwatch_node_info')})"
    return f"count by ({by(CHAIN_LABELS)}) ({versions}) > 1"


def _test(c: Ctx) -> list[Recipe]:
    a = {**c.endpoint_labels, "endpoint": "node-a", "client_version": "v1.0.0"}
    b_old = {**c.endpoint_labels, "endpoint": "node-b", "client_version": "v1.0.0"}
    b_new = {**c.endpoint_labels, "endpoint": "node-b", "client_version": "v1.1.0"}
    return [
        Recipe(
            [
                Series("chainwatch_node_info", a, 1, 1),
                Series("chainwatch_node_info", b_old, 1, 0, "presence"),
                Series("chainwatch_node_info", b_new, 0, 1, "fault_only"),
            ],
            2,
            c.chain_labels,
            note="node-b upgraded, node-a not",
            # Hours of `for:`: 5m steps (the look-back still sees every sample) keep the test a fifth of 1m's.
            step=300.0,
        )
    ]


VERSIONS_MIXED = AlertSpec(
    "ChainwatchClientVersionsMixed",
    "chain",
    ("warning",),
    expr=_expr,
    for_=lambda c: c.d.versions_mixed,
    summary="The nodes of {chain} run {value:%.0f} different client versions",
    description=lambda c: (
        "The nodes of {chain}/{network} (references left out) have reported {value:%.0f} different client versions (chainwatch_node_info client_version) for "
        + c.d.versions_mixed
        + ": an upgrade that stopped half way, or a node that was forgotten. Before a scheduled chain upgrade every node needs the new version."
    ),
    value="{value:%.0f} versions",
    test=_test,
)
