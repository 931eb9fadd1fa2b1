"""The avalanche kind's own catalog rows (shared rows: :mod:`chainwatch.assembly.catalog`).

Words are AvalancheGo's: health checks by name (``GET /ext/health``), chains by alias
(``P``, ``X``, ``C``), validators by node id, uptime as ``platform.getCurrentValidators`` reports it.
"""

from __future__ import annotations

from chainwatch.core.declarations import G, Metric
from chainwatch.core.declarations import metric as _m

KIND = ("avalanche",)

# The health checks AvalancheGo registers on every node; any other (a subnet's chain, a plugin) is `other`.
CHECKS = ("C", "P", "X", "bootstrapped", "network", "database", "diskspace", "router")
OTHER_CHECK = "other"
BLOCKCHAINS = ("P", "X", "C")  # the primary network's chains, asked with info.isBootstrapped
VIEWS = ("median", "own")  # uptime: the median of the reference nodes' views, and our own node's

METRICS: tuple[Metric, ...] = (
    _m(
        "chainwatch_avalanche_health_check_failing",
        G,
        "",
        "1 while the named check of the node's GET /ext/health fails (check = C, P, X, bootstrapped, network, database, diskspace, router; any other check: other).",
        labels=("check",),
        kinds=KIND,
        example='chainwatch_avalanche_health_check_failing{chain="avalanche",check="diskspace",endpoint="avax-1",network="mainnet",role="node"} 1',
    ),
    _m(
        "chainwatch_avalanche_health_check_contiguous_failures",
        G,
        "",
        "contiguousFailures of the named health check (0 while it passes).",
        labels=("check",),
        kinds=KIND,
    ),
    _m("chainwatch_avalanche_disk_available_bytes", G, "bytes", "availableDiskBytes of the node's diskspace health check.", kinds=KIND),
    _m(
        "chainwatch_avalanche_subnet_failing_checks",
        G,
        "",
        "Failing checks of GET /ext/health?tag=<subnetID> on a node of ours, per configured subnet (subnets: the chains of the subnet and the node-wide checks: network, database, diskspace, ...).",
        labels=("subnet",),
        kinds=KIND,
        example='chainwatch_avalanche_subnet_failing_checks{chain="avalanche",endpoint="avax-1",network="mainnet",role="node",subnet="dfk"} 0',
    ),
    _m(
        "chainwatch_avalanche_bootstrapped",
        G,
        "",
        "1 when info.isBootstrapped says the chain (blockchain = P, X, C) is done bootstrapping.",
        labels=("blockchain",),
        kinds=KIND,
    ),
    _m(
        "chainwatch_avalanche_rewarding_stake_ratio",
        G,
        "",
        "info.uptime rewardingStakePercentage / 100 of a node of ours that validates: the share of stake that sees it above the uptime requirement (our node's own account; never paged on).",
        kinds=KIND,
    ),
    _m(
        "chainwatch_avalanche_validator_uptime_ratio",
        G,
        "",
        "Uptime of the validator in its current validation (platform.getCurrentValidators uptime / 100): view = median of the reference nodes' views, own = our node's view.",
        scope="validator",
        labels=("view",),
        kinds=KIND,
    ),
    _m(
        "chainwatch_avalanche_validator_connected",
        G,
        "",
        "1 when the validator is connected (view = median: a majority of the reference nodes see it connected; own: our node).",
        scope="validator",
        labels=("view",),
        kinds=KIND,
    ),
    _m(
        "chainwatch_avalanche_validator_views",
        G,
        "",
        "Reference nodes whose view of the validator answered this round (the median is taken over these).",
        scope="validator",
        kinds=KIND,
    ),
    _m(
        "chainwatch_avalanche_validator_uptime_requirement_ratio",
        G,
        "",
        "Uptime the validation needs for its reward: 0.8, or 0.9 when it started at or after the configured Helicon time (ACP-267).",
        scope="validator",
        kinds=KIND,
    ),
    _m(
        "chainwatch_avalanche_validator_end_timestamp_seconds",
        G,
        "seconds",
        "Unix time the validation ends (endTime).",
        scope="validator",
        kinds=KIND,
    ),
    _m(
        "chainwatch_avalanche_validator_reward_runway_seconds",
        G,
        "seconds",
        "Downtime the validator can still afford before it loses the validation's reward: u(t-S) + (E-t) - r(E-S) with the median uptime u; negative: lost.",
        scope="validator",
        kinds=KIND,
        example='chainwatch_avalanche_validator_reward_runway_seconds{chain="avalanche",group="ops",network="mainnet",validator="ours"} 312000',
    ),
    _m(
        "chainwatch_avalanche_l1_validator_balance_avax",
        G,
        "",
        "Remaining balance of the L1 validator for its continuous fee (platform.getL1Validator balance, nAVAX / 1e9).",
        scope="validator",
        kinds=KIND,
    ),
    _m(
        "chainwatch_avalanche_l1_validator_fee_runway_seconds",
        G,
        "seconds",
        "Seconds until the L1 validator's balance is spent at the current fee price (balance / platform.getValidatorFeeState price); deactivated at 0.",
        scope="validator",
        kinds=KIND,
    ),
    _m(
        "chainwatch_avalanche_validator_fee_price_avax_per_second",
        G,
        "",
        "The L1 validator fee each active L1 validator pays, AVAX per second (platform.getValidatorFeeState price, nAVAX / 1e9).",
        scope="chain",
        kinds=KIND,
    ),
)
