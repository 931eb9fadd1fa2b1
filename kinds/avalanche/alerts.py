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
  — critical. The ``network`` check (no peers) is the shared ``ChainwatchPeersLow``.
"""

from __future__ import annotations

from chainwatch.core.alertkit import ENDPOINT_LABELS, GROUP_LABELS, AlertSpec, Ctx, Quiet, Recipe, Series, by, fmt
from chainwatch.core.generated import number
from chainwatch.kinds.avalanche.metrics import CHECKS, OTHER_CHECK

RUNWAY = "chainwatch_avalanche_validator_reward_runway_seconds"
FEE_RUNWAY = "chainwatch_avalanche_l1_validator_fee_runway_seconds"
BOOTSTRAPPED = "chainwatch_avalanche_bootstrapped"
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


ALERTS: tuple[AlertSpec, ...] = (
    AlertSpec(
        "ChainwatchAvalancheRewardRunwayLow",
        "group",
        ("warning", "critical"),
        when=lambda c: _members(c, "node_id"),
        threshold=lambda c: getattr(c.chain_thresholds, f"avalanche_reward_runway_{c.severity}_hours") * 3600,
        expr=lambda c: f"{_min_by_group(c, RUNWAY)} < {fmt(c.threshold)}",
        for_=lambda c: c.durations.avalanche_runway,
        summary="A validator of group {group} on {chain} can afford only {value:%.0f}s more downtime before losing its reward",
        description=lambda c: (
            "A watched validator of group {group} on {chain}/{network} loses the whole reward of its validation if it is down {value:%.0f}s more "
            f"(threshold {fmt(c.threshold)}s): its uptime, the median of the reference nodes' views, is close to the requirement "
            "(80 %, 90 % after Helicon). The runway falls one second per second while it is down. Nothing is slashed: only this tells you."
        ),
        value="{value:%.0f}s of downtime left",
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
        summary="An L1 validator of group {group} on {chain} runs out of fee balance in {value:%.0f}s",
        description=lambda c: (
            "At the current validator fee, the balance of a watched L1 validator of group {group} on {chain}/{network} is spent in "
            "{value:%.0f}s (threshold " + fmt(c.threshold) + "s); at zero the P-chain deactivates it. Top it up with IncreaseL1ValidatorBalanceTx."
        ),
        value="{value:%.0f}s of fees left",
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
        test=lambda c: [Recipe([Series(BOOTSTRAPPED, {**c.labels, "blockchain": "P"}, 1, 0)], 1, c.labels, note="P-chain bootstrapping")],
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
)
