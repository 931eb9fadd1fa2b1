"""The avalanche kind's own alerts: reward runway, L1 fee runway, a node bootstrapping, a failing health check.

One :class:`~chainwatch.core.alertkit.AlertSpec` each; runbooks in ``runbooks/<AlertName>.md``.
Lag behind the references (P-chain height), wrong network (``ChainwatchWrongChain``), peers, latency,
RPC errors and the validator monitor's health are the shared alerts.

Defaults (``thresholds`` of the chain):

- ``avalanche_reward_runway_warning_hours`` (24 h) / ``_critical_hours`` (4 h): downtime a watched
  validator can still afford before its uptime over the validation falls below the requirement
  and the whole reward is lost — the Avalanche twin of the Cosmos time to jail. Computed from the
  median of the reference nodes' views only: our own node's view never pages;
- ``avalanche_fee_runway_warning_days`` (7 d) / ``_critical_days`` (1 d): an L1 validator's
  balance over the validator fee; at zero it is deactivated;
- a chain still bootstrapping on a node (``info.isBootstrapped`` false) — critical: the node serves
  nothing of that chain; its failing health checks are the same fault and do not page again;
- a failing health check of a bootstrapped node (disk space, database, router, a chain's engine)
  — critical. The ``network`` check (no peers) is the shared ``ChainwatchPeersLow``;
- a node of ours bootstrapping its C-chain, about the endpoint of the linked C-chain
  (``evm_chains``) it serves — a warning that mutes that endpoint's ``ChainwatchEndpointDown``
  (``host_fault``): the node's ``ChainwatchAvalancheChainNotBootstrapped`` is the one page.
  Like the rollup's SequencerDown it carries the EVM chain's labels and lives in its file;
- a node of ours down (its own probes fail), about each EVM endpoint it serves (C-chain and
  subnet-EVM) that fails with it — a warning that mutes that endpoint's
  ``ChainwatchEndpointDown`` (``host_fault``): the node's own ``ChainwatchEndpointDown`` is the
  one page.
"""

from __future__ import annotations

from chainwatch.core.alertkit import (
    CHAIN_LABELS,
    ENDPOINT_LABELS,
    GROUP_LABELS,
    OPERATIONAL,
    Alert,
    AlertSpec,
    Ctx,
    Quiet,
    Recipe,
    Record,
    Series,
    by,
    fmt,
    humanize_duration,
    selector,
)
from chainwatch.core.generated import number
from chainwatch.kinds.avalanche.metrics import CHECKS, OTHER_CHECK

RUNWAY = "chainwatch_avalanche_validator_reward_runway_seconds"
FEE_RUNWAY = "chainwatch_avalanche_l1_validator_fee_runway_seconds"
L1_BALANCE = "chainwatch_avalanche_l1_validator_balance_avax"
BOOTSTRAPPED = "chainwatch_avalanche_bootstrapped"
# The watched L1 validators in the account schema (account_records): their purpose label.
L1_PURPOSE = "l1-validator-fee"
FAILING = "chainwatch_avalanche_health_check_failing"
# Every check but `network`: no peers is the shared ChainwatchPeersLow.
PAGED_CHECKS = "|".join(c for c in (*CHECKS, OTHER_CHECK) if c != "network")


def _members(c: Ctx, field: str) -> bool:
    v = c.chain.validators
    return v is not None and any(getattr(m, field) for members in v.groups.values() for m in members)


def _min_by_group(c: Ctx, metric: str) -> str:
    return f"min by ({by(GROUP_LABELS)}) ({c.csel(metric)})"


def _runway_test(metric: str):
    def recipe(c: Ctx) -> list[Recipe]:
        g = c.group_labels
        warn, crit = c.thresholds["warning"], c.thresholds["critical"]
        healthy = number(warn * 2)
        if c.severity == "warning":
            mid = number((warn + crit) / 2)
            return [Recipe([Series(metric, g, healthy, mid)], mid, g, note="runway shrinking")]
        low = number(crit / 2)
        return [Recipe([Series(metric, g, healthy, low)], low, g, companions=[c.rules["warning"]], note="runway nearly gone")]

    return recipe


def _runway_quiet(c: Ctx) -> list[Quiet]:
    """A validator that is up keeps its runway flat, just above the warning line: silent."""
    return [Quiet("runway flat just above the warning line", [(RUNWAY, c.group_labels, [number(c.thresholds["warning"] + 60)] * 20)])]


def _not_bootstrapped(c: Ctx) -> str:
    return f"count by ({by(ENDPOINT_LABELS)}) ({c.sel(BOOTSTRAPPED)} == 0) > 0"


def _unhealthy(c: Ctx) -> str:
    failing = f"count by ({by(ENDPOINT_LABELS)}) ({c.sel(FAILING, check='~' + PAGED_CHECKS)} == 1)"
    return f"{failing} unless on (chain, endpoint) (min by ({by(ENDPOINT_LABELS)}) ({c.sel(BOOTSTRAPPED)}) == 0)"


def _unhealthy_test(c: Ctx) -> list[Recipe]:
    e = c.labels
    disk = {**e, "check": "diskspace"}
    return [
        Recipe([Series(FAILING, disk, 0, 1), Series(BOOTSTRAPPED, {**e, "blockchain": "P"}, 1, 1)], 1, e, note="disk space check failing"),
    ]


def _bootstrapping_test(c: Ctx) -> list[Recipe]:
    """A P-chain bootstrapping, as the probe reports it: not bootstrapped, and /ext/health failing
    its P and bootstrapped checks (ChainwatchAvalancheNodeUnhealthy stays silent on those)."""
    e = c.labels
    series = [
        Series(BOOTSTRAPPED, {**e, "blockchain": "P"}, 1, 0),
        Series(FAILING, {**e, "check": "P"}, 0, 1),
        Series(FAILING, {**e, "check": "bootstrapped"}, 0, 1),
    ]
    return [Recipe(series, 1, e, note="P-chain bootstrapping")]


def _unhealthy_quiet(c: Ctx) -> list[Quiet]:
    e = c.labels
    return [
        Quiet(
            "a node bootstrapping its P-chain: its chain and bootstrapped checks fail (ChainwatchAvalancheChainNotBootstrapped pages)",
            [
                (FAILING, {**e, "check": "P"}, [1.0] * 20),
                (FAILING, {**e, "check": "bootstrapped"}, [1.0] * 20),
                (BOOTSTRAPPED, {**e, "blockchain": "P"}, [0.0] * 20),
            ],
            healthy=False,
        ),
        Quiet("no peers: the network check fails (ChainwatchPeersLow)", [(FAILING, {**e, "check": "network"}, [1.0] * 20)], healthy=False),
    ]


PROBED = "chainwatch_probe_success"


def _served(c: Ctx, blockchains: str | None = None) -> list[tuple]:
    """(served, EVM endpoint labels, node labels) per EVM endpoint a node of ours serves
    (``evm_chains``), only those of ``blockchains`` ("C") when given."""
    if not isinstance(c, Ctx):
        return []
    out = []
    for served in c.chain.evm_served:
        if blockchains is not None and served.blockchain != blockchains:
            continue
        evm = c.config.chains[served.chain]
        labels = {"chain": served.chain, "network": evm.network, "endpoint": served.endpoint, "role": evm.endpoint(served.endpoint).role.value}
        node = {"chain": c.name, "network": c.chain.network, "endpoint": served.node, "role": c.chain.endpoint(served.node).role.value}
        out.append((served, labels, node))
    return out


def _evm_alert(spec: AlertSpec, c: Ctx, served, expr: str, summary: str, description: str) -> Alert:
    """A warning about the EVM endpoint ``served`` (its chain's labels, team and rule file), no
    ``for:``: up before that endpoint's ChainwatchEndpointDown would page, which it mutes."""
    evm = c.config.chains[served.chain]
    return Alert(spec.name, "warning", served.chain, evm.team, spec.scope, expr, "0s", summary, description, OPERATIONAL)


def _evm_probed(served) -> str:
    return f"max by ({by(ENDPOINT_LABELS)}) ({selector(PROBED, served.chain, nodes=True, endpoint=served.endpoint)})"


def _evm_bootstrapping(spec: AlertSpec, c: Ctx) -> list[Alert]:
    """One warning per C-chain endpoint a node of ours serves (``evm_chains``), labelled as that
    endpoint of the EVM chain, while the node's C-chain is not bootstrapped (``info.isBootstrapped``
    asks P, X and C: a subnet-EVM chain's bootstrapping is not read)."""
    out = []
    for served, labels, node_labels in _served(c, "C"):
        node = selector(BOOTSTRAPPED, c.name, endpoint=served.node, blockchain="C")
        a = _evm_alert(
            spec,
            c,
            served,
            f"{_evm_probed(served)} and on () (min({node}) == 0)",
            "C-chain of {endpoint} ({chain}) is bootstrapping on AvalancheGo node " + served.node,
            "The AvalancheGo node "
            + served.node
            + " of "
            + c.name
            + " that serves {endpoint} on {chain}/{network} has not bootstrapped its C-chain (info.isBootstrapped): the EVM endpoint serves nothing "
            "until it has. Its ChainwatchEndpointDown is muted: ChainwatchAvalancheChainNotBootstrapped on " + c.name + " pages for the node.",
        )
        a.recipes = [
            Recipe(
                [Series(PROBED, labels, 1, 0), Series(BOOTSTRAPPED, {**node_labels, "blockchain": "C"}, 1, 0)],
                0,
                labels,
                note="the node re-bootstraps its C-chain",
            )
        ]
        a.quiet = [
            Quiet(
                "the node's P-chain bootstraps, its C-chain is up",
                [
                    (PROBED, labels, [1.0] * 20),
                    (BOOTSTRAPPED, {**node_labels, "blockchain": "C"}, [1.0] * 20),
                    (BOOTSTRAPPED, {**node_labels, "blockchain": "P"}, [0.0] * 20),
                ],
                healthy=False,
            )
        ]
        out.append(a)
    return out


def _evm_node_down(spec: AlertSpec, c: Ctx) -> list[Alert]:
    """One warning per EVM endpoint a node of ours serves (C-chain and subnet-EVM), labelled as
    that endpoint, while both it and the node's own probe (Info and P-Chain APIs) fail: the
    node is down, and its ChainwatchEndpointDown on the avalanche chain is the one page."""
    out = []
    for served, labels, node_labels in _served(c):
        node = selector(PROBED, c.name, endpoint=served.node)
        a = _evm_alert(
            spec,
            c,
            served,
            f"{_evm_probed(served)} == 0 and on () (max({node}) == 0)",
            "{endpoint} ({chain}) is down with the AvalancheGo node " + served.node + " that serves it",
            "Every probe of {endpoint} on {chain}/{network} fails, and so do those of the AvalancheGo node "
            + served.node
            + " of "
            + c.name
            + " that serves it (/ext/bc/"
            + served.blockchain
            + "/rpc): the node is down. Its ChainwatchEndpointDown is muted: ChainwatchEndpointDown of "
            + served.node
            + " on "
            + c.name
            + " pages for the node.",
        )
        a.recipes = [Recipe([Series(PROBED, labels, 1, 0), Series(PROBED, node_labels, 1, 0)], 0, labels, note="the AvalancheGo node is down")]
        a.quiet = [
            Quiet(
                "the node is up, its EVM endpoint alone fails (ChainwatchEndpointDown pages)",
                [(PROBED, labels, [0.0] * 20), (PROBED, node_labels, [1.0] * 20)],
                healthy=False,
            )
        ]
        out.append(a)
    return out


ALERTS: tuple[AlertSpec, ...] = (
    AlertSpec(
        "ChainwatchAvalancheRewardRunwayLow",
        "group",
        ("warning", "critical"),
        when=lambda c: _members(c, "node_id"),
        threshold=lambda c: getattr(c.chain_thresholds, f"avalanche_reward_runway_{c.severity}_hours") * 3600,
        expr=lambda c: f"{_min_by_group(c, RUNWAY)} < {fmt(c.threshold)}",
        for_=lambda c: c.durations.avalanche_runway,
        summary="A validator of group {group} on {chain} can afford only {value:duration} more downtime before losing its reward",
        description=lambda c: (
            "A watched validator of group {group} on {chain}/{network} loses the whole reward of its validation if it is down {value:duration} more "
            f"(threshold {humanize_duration(c.threshold)}): its uptime, the median of the reference nodes' views, is close to the requirement "
            "(80 %, 90 % after Helicon). The runway falls one second per second while it is down. Nothing is slashed: only this tells you."
        ),
        value="{value:duration} of downtime left",
        test=_runway_test(RUNWAY),
        quiet=_runway_quiet,
    ),
    AlertSpec(
        "ChainwatchAvalancheL1ValidatorFeeRunwayLow",
        "group",
        ("warning", "critical"),
        when=lambda c: _members(c, "validation_id"),
        threshold=lambda c: getattr(c.chain_thresholds, f"avalanche_fee_runway_{c.severity}_days") * 86400,
        expr=lambda c: f"{_min_by_group(c, FEE_RUNWAY)} < {fmt(c.threshold)}",
        for_=lambda c: c.durations.avalanche_runway,
        summary="An L1 validator of group {group} on {chain} runs out of fee balance in {value:duration}",
        description=lambda c: (
            "At the current validator fee, the balance of a watched L1 validator of group {group} on {chain}/{network} is spent in "
            "{value:duration} (threshold "
            + humanize_duration(c.threshold)
            + "); at zero the P-chain deactivates it. Top it up with IncreaseL1ValidatorBalanceTx."
        ),
        value="{value:duration} of fees left",
        test=_runway_test(FEE_RUNWAY),
    ),
    AlertSpec(
        "ChainwatchAvalancheChainNotBootstrapped",
        "endpoint",
        ("critical",),
        expr=_not_bootstrapped,
        for_=lambda c: c.durations.avalanche_health,
        summary="{value:%.0f} chain(s) of {endpoint} ({chain}) are still bootstrapping",
        description="info.isBootstrapped says {value:%.0f} of the P, X and C chains of node {endpoint} on {chain}/{network} are not bootstrapped: "
        "the node is replaying the chain (after a restart, a new database, or falling too far behind) and serves nothing of it until done. "
        "A validator whose node bootstraps is down for the network: its reward runway burns meanwhile.",
        value="{value:%.0f} bootstrapping",
        test=_bootstrapping_test,
    ),
    AlertSpec(
        "ChainwatchAvalancheNodeUnhealthy",
        "endpoint",
        ("critical",),
        expr=_unhealthy,
        for_=lambda c: c.durations.avalanche_health,
        summary="{value:%.0f} health check(s) of {endpoint} ({chain}) are failing",
        description="GET /ext/health of node {endpoint} on {chain}/{network} reports {value:%.0f} failing check(s) (the check label of "
        "chainwatch_avalanche_health_check_failing names them: diskspace, database, router, a chain's engine). "
        "AvalancheGo shuts down when its disk runs low; a failing chain check means its consensus engine is stuck.",
        value="{value:%.0f} failing",
        test=_unhealthy_test,
        quiet=_unhealthy_quiet,
    ),
    AlertSpec(
        "ChainwatchAvalancheEvmChainBootstrapping",
        "endpoint",
        ("warning",),
        host_fault=True,
        value="C-chain bootstrapping",
        build=_evm_bootstrapping,
    ),
    AlertSpec(
        "ChainwatchAvalancheEvmNodeDown",
        "endpoint",
        ("warning",),
        host_fault=True,
        value="serving node down",
        build=_evm_node_down,
    ),
)


def account_records(name: str, chain) -> list[Record]:
    """The chain's watched L1 validators in the one account schema, for the executive
    "Accounts running out" table: ``account:chainwatch_account_runway:seconds`` (their fee
    runway: balance over the fee price, exact where a spend rate would be an estimate) and
    ``account:chainwatch_avalanche_l1_validator_balance_avax:max`` (their balance in AVAX), with
    ``account`` the validator's name, ``purpose="l1-validator-fee"`` and the chain's team. No
    account alert reads them: ChainwatchAvalancheL1ValidatorFeeRunwayLow is the one page of a
    validator running out. Empty when the chain watches no L1 validator."""
    v = chain.validators
    if v is None or not any(m.validation_id for members in v.groups.values() for m in members):
        return []
    labels = {"purpose": L1_PURPOSE, "team": chain.team}
    out = []
    for record, source in (
        ("account:chainwatch_account_runway:seconds", FEE_RUNWAY),
        ("account:chainwatch_avalanche_l1_validator_balance_avax:max", L1_BALANCE),
    ):
        renamed = f'label_replace({selector(source, name)}, "account", "$1", "validator", "(.+)")'
        out.append(Record(record, f"max by ({by((*CHAIN_LABELS, 'account'))}) ({renamed})", labels))
    return out
