"""The cosmos kind's scheduled upgrade: the x/upgrade plan, when it is expected, and the node's
application version (``upgrades:`` of the chain; :mod:`chainwatch.core.versions`).

Read by the probe of every endpoint every ``upgrades.interval_seconds`` (the answers are kept
in between, so most rounds cost nothing):

- ``GET <lcd_url>/cosmos/upgrade/v1beta1/current_plan``
  (https://docs.cosmos.network/api#tag/Query/operation/CurrentPlan): ``{"plan": null}`` when
  nothing is scheduled, else ``plan.name`` and ``plan.height`` (an int64 as a decimal string;
  ``plan.time`` is deprecated since SDK v0.46 and not used). Endpoints without ``lcd_url``
  export no plan.
- ``GET /abci_info`` (https://docs.cometbft.com/v0.38/rpc/#/ABCI/abci_info):
  ``response.version``, the application's version (gaiad ``v17.2.0``): the binary an upgrade
  replaces, so the one compared with the minimum (``/status`` ``node_info.version`` is
  CometBFT's own version, which an upgrade need not change). An empty version is not judged.

The expected time: the head's block time plus ``(plan height - head) x`` the block time this
endpoint was observed to make (head height and block time at least ``OBSERVE_BLOCKS`` blocks
apart, re-anchored every ``OBSERVE_SECONDS``); until then the chain's configured block time.
"""

from __future__ import annotations

import time

from chainwatch.core.chain import Endpoint
from chainwatch.core.versions import upgrade_samples
from chainwatch.exporters.failures import invalid
from chainwatch.exporters.probe import ProbeContext, ProbeResult
from chainwatch.kinds.cosmos.cometbft import RPC_ERROR_STATUSES, obj, result_of, uint

PLAN_PATH = "/cosmos/upgrade/v1beta1/current_plan"
OBSERVE_BLOCKS = 10  # fewer blocks than this give no observed block time yet
OBSERVE_SECONDS = 3600.0  # the observation restarts from the head after this long: the recent block time


def parse_plan(body: object) -> tuple[str, int] | None:
    """``(name, height)`` of a ``current_plan`` answer, None for ``{"plan": null}``. Raises
    ``ProbeFailure`` (``invalid_response``) for another shape."""
    plan = obj(body, "current_plan").get("plan")
    if plan is None:
        return None
    plan = obj(plan, "current_plan.plan")
    name = plan.get("name")
    if not isinstance(name, str) or not name:
        raise invalid("current_plan.plan.name: expected a non-empty string")
    height = uint(plan.get("height"), "current_plan.plan.height")
    if height == 0:
        raise invalid("current_plan.plan.height: 0 (a time-based plan, not scheduled by height since SDK v0.46)")
    return name, height


def parse_app_version(result: dict) -> str | None:
    """``response.version`` of an ``/abci_info`` result; None when the application leaves it empty."""
    version = obj(result.get("response"), "abci_info.response").get("version")
    return version if isinstance(version, str) and version else None


def observed_block_time(cache: dict, height: int, stamp: float, configured: float) -> float:
    """Seconds per block this endpoint made since the anchor kept in ``cache``; ``configured``
    until ``OBSERVE_BLOCKS`` blocks were seen."""
    anchor = cache.get("upgrade_anchor")
    if anchor is None or height < anchor[0]:
        cache["upgrade_anchor"] = (height, stamp)
        return cache.get("upgrade_block_time", configured)
    blocks, seconds = height - anchor[0], stamp - anchor[1]
    if blocks >= OBSERVE_BLOCKS and seconds > 0:
        cache["upgrade_block_time"] = seconds / blocks
        if seconds >= OBSERVE_SECONDS:
            cache["upgrade_anchor"] = (height, stamp)
    return cache.get("upgrade_block_time", configured)


async def read(endpoint: Endpoint, ctx: ProbeContext, result: ProbeResult) -> None:
    """Set the upgrade values of ``result`` (the probe's, after ``/status``)."""
    watch = ctx.chain.upgrades
    cache = ctx.cache
    if time.monotonic() - cache.get("upgrade_at", -1e18) >= watch.interval_seconds:
        cache["upgrade_at"] = time.monotonic()  # asked once per interval, answered or not
        lcd = getattr(endpoint, "lcd", None)
        if lcd is not None:
            with result.optional("current_plan"):
                reply = await ctx.request(lcd, "current_plan", method="GET", path=PLAN_PATH)
                cache["upgrade_plan"] = parse_plan(reply.json())
        if watch.judged:
            with result.optional("abci_info"):
                reply = await ctx.request(endpoint, "abci_info", method="GET", path="/abci_info", ok_statuses=RPC_ERROR_STATUSES)
                cache["upgrade_app_version"] = parse_app_version(result_of(reply, "/abci_info"))
    plan = cache.get("upgrade_plan")
    expected = None
    if plan is not None and result.head_height is not None and result.head_timestamp is not None:
        block_time = observed_block_time(cache, int(result.head_height), result.head_timestamp, ctx.chain.block_time)
        expected = (plan[0], plan[1], result.head_timestamp + (plan[1] - result.head_height) * block_time)
    upgrade_samples(result, watch, expected, cache.get("upgrade_app_version"))
