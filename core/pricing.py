"""What a paid RPC provider charges for a request: ``pricing:`` tables and the built-in ones.

Providers bill per JSON-RPC *element*, not per HTTP request: a batch of seven methods costs the
sum of its seven elements (Alchemy: "batch: CU of method × times called"; Infura: "each
individual RPC call within a batch call consumes credits"). A table gives the credits of each
method, a default for the methods it does not list, and optionally the price, the monthly
quota, the billing period's first day, a budget and the team it pages::

    pricing:
      alchemy:                       # a built-in table: only what differs is written
        price_per_million_credits: 0.45
        monthly_quota_credits: 1.2e9
        budget: 40
      quicknode-solana:
        base: quicknode              # QuickNode bills Solana at 30 credits a call
        default_credits: 30

An endpoint names its table with ``provider:`` (``provider: alchemy``); that name, never the
URL (which carries the key), is the ``provider`` label. The built-in tables and their sources
(the providers' own pages, read 2026-12-07) are listed in ``docs/cost.md``.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

NAME_PATTERN = r"^[a-z0-9]([a-z0-9_.-]{0,62})$"
METHOD_PATTERN = r"^[A-Za-z0-9_./:-]{1,96}$"
# What a request without a JSON-RPC method (a REST route: Cosmos LCD, beacon API) is counted as.
REST = "rest"


class UsageAPI(BaseModel):
    """A provider's own usage count, read instead of chainwatch's where it answers: QuickNode's
    ``GET /v0/usage/rpc?start_time=&end_time=`` with header ``x-api-key``, answering
    ``{"data": {"credits_used", "credits_remaining", "limit", "overages", "start_time", "end_time"}, "error": null}``
    (https://www.quicknode.com/docs/admin-api/usage/v0-usage-rpc). ``api_key_file``: a file holding
    the Admin API key (never a label, log line or generated file); ``interval_seconds``: how often."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = "https://api.quicknode.com/v0/usage/rpc"
    api_key_file: Annotated[str, Field(min_length=1)]
    interval_seconds: Annotated[float, Field(ge=1, le=86400)] = 300.0


class ERPCSource(BaseModel):
    """eRPC's count of the credits it spent at this provider for the traffic it proxies:
    ``erpc_upstream_credit_units_total{project, network, upstream, vendor, category, finality}``
    on eRPC's Prometheus endpoint (a counter since eRPC started; labels from erpc/erpc
    ``telemetry/metrics.go``). ``metrics_url``: eRPC's metrics endpoint (``http://erpc:4001/metrics``;
    never a label or log line); ``vendor``: the ``vendor`` label of this provider's upstreams
    (default: the provider's name); ``upstreams``: only these ``upstream`` ids (several keys of
    one vendor, one table each); ``project``: only this eRPC project; ``interval_seconds``: how
    often it is read."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    metrics_url: Annotated[str, Field(pattern=r"^https?://")]
    vendor: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    upstreams: list[Annotated[str, Field(min_length=1, max_length=256)]] = Field(default_factory=list)
    project: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    interval_seconds: Annotated[float, Field(ge=1, le=3600)] = 60.0


class Pricing(BaseModel):
    """One provider's table. ``credits``: method -> credits (the provider's unit: Alchemy compute
    units, Infura credits, QuickNode API credits, Chainstack request units), ``rest`` for a REST
    request; ``default_credits``: a method not listed; ``price_per_million_credits``: dollars per
    million credits beyond what the plan includes; ``monthly_quota_credits``: the plan's credits
    per billing period; ``period_start_day``: the day of the month (UTC) the period starts;
    ``budget``: dollars per period above which the projected cost pages; ``window``: the
    look-back of the usage trend behind the projection (long: one burst must not page);
    ``team``: who is paged (default: the team of the first chain that uses the provider);
    ``usage_api``: read the provider's own count of the period (:class:`UsageAPI`); ``erpc``: add
    the credits eRPC counts for the traffic it proxies to the provider (:class:`ERPCSource`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base: Annotated[str, Field(pattern=NAME_PATTERN)] | None = None
    credits: dict[Annotated[str, Field(pattern=METHOD_PATTERN)], Annotated[float, Field(ge=0, le=1e6)]] = Field(default_factory=dict)
    default_credits: Annotated[float, Field(ge=0, le=1e6)] | None = None
    price_per_million_credits: Annotated[float, Field(ge=0, le=1e6)] | None = None
    monthly_quota_credits: Annotated[float, Field(gt=0, le=1e15)] | None = None
    period_start_day: Annotated[int, Field(ge=1, le=28)] = 1
    budget: Annotated[float, Field(gt=0, le=1e9)] | None = None
    window: Annotated[str, Field(pattern=r"^[0-9]+[mhd]$")] = "6h"
    team: Annotated[str, Field(pattern=NAME_PATTERN)] | None = None
    usage_api: UsageAPI | None = None
    erpc: ERPCSource | None = None

    def cost(self, method: str) -> float:
        """Credits of one element calling ``method``."""
        found = self.credits.get(method)
        return found if found is not None else (self.default_credits if self.default_credits is not None else 1.0)


# The built-in tables: the methods chainwatch's own probes and balance reads send, at the
# providers' published values (sources and dates: docs/cost.md). A method a table does not
# list costs its default: the provider's documented fallback where it has one.
BUILTIN: dict[str, Pricing] = {
    # https://www.alchemy.com/docs/reference/compute-unit-costs (EVM standard JSON-RPC methods)
    "alchemy": Pricing(
        credits={
            "eth_chainId": 0,
            "net_version": 0,
            "eth_syncing": 0,
            "eth_protocolVersion": 0,
            "net_listening": 0,
            "eth_blockNumber": 10,
            "eth_feeHistory": 10,
            "eth_maxPriorityFeePerGas": 10,
            "eth_getBlockByNumber": 20,
            "eth_getBlockByHash": 20,
            "eth_gasPrice": 20,
            "eth_getBalance": 20,
            "eth_getTransactionCount": 20,
            "eth_getTransactionReceipt": 20,
            "web3_clientVersion": 20,
            "eth_call": 26,
            "eth_getLogs": 60,
        },
        default_credits=20,  # not in the table (net_peerCount, txpool_status): its most common value
    ),
    # https://docs.metamask.io/services/get-started/pricing/credit-cost (Ethereum baseline);
    # Infura's own fallback for a method not in the table is 80 credits.
    "infura": Pricing(
        credits={"eth_chainId": 5, "net_version": 5, "eth_blockNumber": 80, "eth_getBlockByNumber": 80, "eth_call": 80, "eth_gasPrice": 80, "eth_getLogs": 255},
        default_credits=80,
    ),
    # https://www.quicknode.com/api-credits/eth: every method of an EVM chain such as Ethereum
    # costs 20 credits (Solana 30, Bitcoin and Litecoin 10, Cosmos 40: a table with that
    # default_credits and base: quicknode).
    "quicknode": Pricing(default_credits=20),
    # https://docs.chainstack.com/docs/request-units: 1 request unit per full-node request
    # (2 for an archive request; chainwatch asks only for the latest state).
    "chainstack": Pricing(default_credits=1),
}


def resolve(name: str, tables: dict[str, Pricing]) -> Pricing | None:
    """The table ``name`` means: the configured one over its ``base`` (a built-in table; by
    default the built-in table of the same name), its methods and fields over the base's. None
    when neither exists."""
    own = tables.get(name)
    if own is None:
        return BUILTIN.get(name)
    base = BUILTIN.get(own.base or name)
    if base is None:
        return own
    fields = {k: getattr(own, k) for k in own.model_fields_set if k not in ("credits", "base")}
    return base.model_copy(update={**fields, "credits": {**base.credits, **own.credits}, "base": None})


def period(now: float, start_day: int) -> tuple[float, float]:
    """The billing period around unix time ``now``: (start, end) as unix times, UTC midnights of
    ``start_day`` this month and the next (or the previous month and this one)."""
    today = dt.datetime.fromtimestamp(now, dt.timezone.utc)
    year, month = today.year, today.month
    if today.day < start_day:
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    start = dt.datetime(year, month, start_day, tzinfo=dt.timezone.utc)
    ny, nm = (year + 1, 1) if month == 12 else (year, month + 1)
    end = dt.datetime(ny, nm, min(start_day, calendar.monthrange(ny, nm)[1]), tzinfo=dt.timezone.utc)
    return start.timestamp(), end.timestamp()


def round_credits(table: Pricing, methods: list[str]) -> float:
    """Credits of one probe round sending ``methods`` (one element each, batched or not)."""
    return sum(table.cost(m) for m in methods)
