"""SLOs per chain: SLI recording rules, error budget and multi-window multi-burn-rate alerts.

The pipeline follows sloth (validate -> SLI recording rules -> metadata -> burn-rate alerts):

- ``chain_slo:sli_error:ratio_rate5m{slo}`` from the raw series of every endpoint; every
  longer window (30m, 1h, 2h, 6h, 1d, 3d) as the average of that recorded 5m ratio
  (``DERIVED``), as sloth does: a range of one series per chain, not of every endpoint's
  counters (issue #34: the 1d and 3d rates were most of the pack's evaluation time at 1000
  endpoints, the 2h and 6h ones at 5000, then the 30m and 1h ones). Probes come at a steady
  pace, so the average of the 5m ratios is the ratio over the window, to within the 5m at its
  edges: a derived window remembers a burn 5m longer than its length (``memory``). 1d and 3d
  read the 5m ratio in 5m tiles (``TILES``: every 5 minutes, a subquery), not at every
  evaluation; the SLO period (``slo.window``, 30d by default) is the average of the hourly
  1h ratio (``PERIOD_TILE``): 720 samples per SLO, not 86 400;
- ``chain_slo:objective:ratio`` and ``chain_slo:error_budget_remaining:ratio`` (1 = untouched,
  0 = spent, negative = overspent);
- ``ChainwatchSLOErrorBudgetBurn`` as in the SRE workbook: page (critical) at 14.4x over 1h and
  5m or 6x over 6h and 30m; ticket (warning) at 3x over 1d and 2h or 1x over 3d and 6h.

The burn alerts are part of the incident model (docs/rules.md, "One incident, one page"): an
endpoint- or chain-level page of the same chain (EndpointDown, SyncLagHigh critical,
ChainHalted, ...: its *explanations*) explains the budget it burns. So a burn alert

- has a ``for:`` longer than every explanation's (``burn_for``), so the explanation fires first;
- stays quiet while an explanation fires and for as long as its short window still remembers
  it (``unless on (chain) max_over_time(ALERTS{...}[<short window>])``): Alertmanager's
  inhibition (``EXPLAINED`` in core/alertkit.py) ends with the explanation, and without the
  memory the burn alert would page about an incident that is over;
- pages for what no endpoint-level page explains: a share of probes failing, slow answers,
  a fleet that lags a little everywhere.

The three SLOs of a chain (``slo`` label):

- ``availability``: share of probes of our endpoints (``role!="reference"``) that succeed;
- ``latency``: share of probe batches answered within ``slo.latency.threshold_seconds``
  (must be a histogram bucket boundary, so the ratio is exact);
- ``freshness``: share of evaluations in which an endpoint's lag is at most
  ``slo.freshness.max_lag_blocks`` (default: the warning lag threshold).
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client.utils import floatToGoString

from chainwatch.assembly.catalog import LATENCY_BUCKETS, PRIMARY_METHOD
from chainwatch.assembly.config import Config

from chainwatch.assembly import names
from chainwatch.core.alertkit import EXECUTIVE, duration, seconds
from chainwatch.rules.common import CHAIN_LABELS, Alert, Record, by, fmt, selector

WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
# Windows computed as the average of the recorded 5m ratio instead of from the raw series.
DERIVED = ("30m", "1h", "2h", "6h", "1d", "3d")
# Derived windows that read the 5m ratio once per tile (a subquery step) instead of at every
# evaluation: the tiles of 5m ratios cover the window exactly (1d: 288 samples, not 2880 at a
# 30 s evaluation interval); the newest tile may be up to 5m old, which only windows that no
# page reads can afford.
TILES = {"1d": "5m", "3d": "5m"}
# The SLO period: the average of the 1h ratio, one per hour.
PERIOD_TILE = "1h"
# How much longer than its length a derived window remembers a burn: the 5m of the ratio it averages.
DERIVED_MEMORY = "5m"


@dataclass(frozen=True)
class BurnWindow:
    severity: str
    factor: float
    long: str
    short: str


PAGE = (BurnWindow("critical", 14.4, "1h", "5m"), BurnWindow("critical", 6, "6h", "30m"))
TICKET = (BurnWindow("warning", 3, "1d", "2h"), BurnWindow("warning", 1, "3d", "6h"))

FRESHNESS_BOOL = "endpoint_slo:freshness_error:bool"


def rec(name: str) -> str:
    if name not in names.RECORDING:
        raise KeyError(f"{name} is not declared in rules/names.py RECORDING")
    return name


@dataclass(frozen=True)
class Slo:
    chain: str
    network: str
    team: str
    name: str  # availability | latency | freshness
    objective: float
    period: str
    threshold: float | None = None  # latency seconds / freshness blocks
    method: str = "batch"  # the request that stands for latency (catalog.PRIMARY_METHOD of the kind)

    @property
    def budget(self) -> float:
        return float(fmt(1 - self.objective))

    @property
    def labels(self) -> dict[str, str]:
        return {"chain": self.chain, "network": self.network, "slo": self.name}

    def sel(self) -> str:
        return f'{{chain="{self.chain}",slo="{self.name}"}}'


def latency_bucket(threshold: float) -> str:
    for b in LATENCY_BUCKETS:
        if abs(b - threshold) < 1e-9:
            return floatToGoString(b)
    raise ValueError(
        f"slo.latency.threshold_seconds {threshold} is not a bucket of chainwatch_rpc_request_duration_seconds"
        f" ({', '.join(floatToGoString(b) for b in LATENCY_BUCKETS)}); pick one of them"
    )


def slos(config: Config, name: str) -> list[Slo]:
    chain = config.chains[name]
    s = chain.slo
    common = dict(chain=name, network=chain.network, team=chain.team, period=s.window, method=PRIMARY_METHOD[chain.kind])
    return [
        Slo(name="availability", objective=s.availability, **common),
        Slo(name="latency", objective=s.latency.target, threshold=s.latency.threshold_seconds, **common),
        Slo(name="freshness", objective=s.freshness.target, threshold=chain.freshness_max_lag_blocks, **common),
    ]


def _error_ratio(slo: Slo, window: str) -> str:
    c = by(CHAIN_LABELS)
    if window in DERIVED:
        tile = f":{TILES[window]}" if window in TILES else ""
        return f"avg_over_time({rec('chain_slo:sli_error:ratio_rate5m')}{slo.sel()}[{window}{tile}])"
    if slo.name == "availability":
        # Successes, not failures: the failure counters exist per reason only from its first
        # failure on (issue #34), and a counter born at 1 would lose that failure to rate().
        ok = selector("chainwatch_probe_successes_total", slo.chain, nodes=True)
        total = selector("chainwatch_probes_total", slo.chain, nodes=True)
        return f"1 - sum by ({c}) (rate({ok}[{window}])) / sum by ({c}) (rate({total}[{window}]))"
    if slo.name == "latency":
        le = latency_bucket(slo.threshold)
        fast = selector("chainwatch_rpc_request_duration_seconds_bucket", slo.chain, nodes=True, le=le, method=slo.method)
        total = selector("chainwatch_rpc_request_duration_seconds_count", slo.chain, nodes=True, method=slo.method)
        return f"1 - (sum by ({c}) (rate({fast}[{window}])) / sum by ({c}) (rate({total}[{window}])))"
    return f'avg by ({c}) (avg_over_time({rec(FRESHNESS_BOOL)}{{chain="{slo.chain}"}}[{window}]))'


def records(slo: Slo) -> list[Record]:
    out = []
    if slo.name == "freshness":
        lag = selector("chainwatch_sync_lag_blocks", slo.chain, nodes=True)
        out.append(Record(rec(FRESHNESS_BOOL), f"{lag} > bool {fmt(slo.threshold)}"))
    for w in WINDOWS:
        out.append(Record(rec(f"chain_slo:sli_error:ratio_rate{w}"), _error_ratio(slo, w), {"slo": slo.name}))
    tile = rec(f"chain_slo:sli_error:ratio_rate{PERIOD_TILE}")
    period = rec(f"chain_slo:sli_error:ratio_rate{slo.period}")
    # Until the first whole hour has a tile (a fresh Prometheus, a new chain), the 1h ratio itself:
    # the budget panels and the status page must not be empty for up to an hour.
    out.append(Record(period, f"avg_over_time({tile}{slo.sel()}[{slo.period}:{PERIOD_TILE}]) or {tile}{slo.sel()}", {"slo": slo.name}))
    out.append(Record(rec("chain_slo:objective:ratio"), f"vector({fmt(slo.objective)})", slo.labels))
    out.append(
        Record(
            rec("chain_slo:error_budget_remaining:ratio"),
            f"1 - {period}{slo.sel()} / {fmt(slo.budget)}",
            {"slo": slo.name},
        )
    )
    return out


def _burn(slo: Slo, w: BurnWindow) -> str:
    def part(window: str) -> str:
        return f"{rec('chain_slo:sli_error:ratio_rate' + window)}{slo.sel()} / {fmt(slo.budget)} > {fmt(w.factor)}"

    return f"({part(w.long)} and {part(w.short)})"


WHAT = {
    "availability": "of probes succeeding",
    "latency": "of probe requests answered within {threshold}s",
    "freshness": "of the time within {threshold} blocks of the references",
}


# The burn alerts wait this much longer than the slowest explanation's ``for:``.
BURN_FOR_MARGIN = 60.0
# Without any explanation (a chain with no endpoint- or chain-level page), still a ``for:``:
# a fresh Prometheus' short windows hold a few samples, and one failed probe must not page.
BURN_FOR_MIN = 120.0


def burn_for(explained_by: list[Alert]) -> str:
    """``for:`` of the burn alerts: longer than every explanation's, so the explanation pages
    first and the burn alert's pending state is reset by its guard."""
    longest = max((seconds(a.for_) for a in explained_by), default=0.0)
    return duration(max(BURN_FOR_MIN, longest + BURN_FOR_MARGIN))


def holds(window: str) -> float:
    """Seconds a window's ratio still shows a burn after it ended: its length, plus the 5m
    of the recorded ratio a derived window averages."""
    return seconds(window) + (seconds(DERIVED_MEMORY) if window in DERIVED else 0.0)


def memory(windows: tuple[BurnWindow, ...]) -> str:
    """How long after an explanation ends its burn still shows: the longest short window's hold."""
    return duration(max(holds(w.short) for w in windows))


def _guard(slo: Slo, explained_by: list[Alert], windows: tuple[BurnWindow, ...]) -> str:
    """`` unless`` an explanation fired on the chain within the windows' memory."""
    names_ = sorted({a.name for a in explained_by})
    if not names_:
        return ""
    alertname = names_[0] if len(names_) == 1 else "~" + "|".join(names_)
    paged = selector("ALERTS", slo.chain, alertname=alertname, alertstate="firing", severity="critical")
    return f" unless on (chain) max_over_time({paged}[{memory(windows)}])"


def burn_alerts(slo: Slo, explained_by: list[Alert] | None = None) -> list[Alert]:
    """The page and the ticket; ``explained_by``: the chain's alerts that explain its burn
    (:func:`chainwatch.assembly.names.explanations`)."""
    explained_by = explained_by or []
    out = []
    objective = f"{slo.objective * 100:.10g}%"
    what = WHAT[slo.name].format(threshold=fmt(slo.threshold) if slo.threshold is not None else "")
    for_ = burn_for(explained_by)
    for severity, windows, kind in (("critical", PAGE, "page"), ("warning", TICKET, "ticket")):
        burns = " or ".join(_burn(slo, w) for w in windows)
        guard = _guard(slo, explained_by, windows)
        expr = f"({burns}){guard}" if guard else burns
        spec = ", ".join(f"{fmt(w.factor)}x over {w.long} and {w.short}" for w in windows)
        out.append(
            Alert(
                "ChainwatchSLOErrorBudgetBurn",
                severity,
                slo.chain,
                slo.team,
                "chain",
                expr,
                for_,
                "{chain} burns its {slo} error budget {value:%.1f}x too fast",
                "{chain}/{network} is burning the error budget of its "
                + slo.name
                + " SLO ("
                + objective
                + " "
                + what
                + " over "
                + slo.period
                + ") {value:%.1f}x faster than sustainable ("
                + kind
                + ": "
                + spec
                + ").",
                EXECUTIVE,
                extra_labels={"slo": slo.name},
            )
        )
    return out


def group(config: Config, name: str, chain_alerts: list[Alert] | None = None) -> tuple[dict, list[Alert]]:
    """The chain's SLO rule group; ``chain_alerts``: the chain's own alerts (its burn alerts
    are guarded by those that explain a burn)."""
    rules: list[dict] = []
    alerts: list[Alert] = []
    explained_by = names.explanations(chain_alerts or [], name)
    for slo in slos(config, name):
        rules += [r.rule() for r in records(slo)]
        alerts += burn_alerts(slo, explained_by)
    return {"name": f"chainwatch-{name}-slo", "rules": rules}, alerts


if not (set(f"chain_slo:sli_error:ratio_rate{w}" for w in WINDOWS) <= set(names.RECORDING)):
    raise ValueError("every SLO window needs its chain_slo:sli_error recording rule in assembly/names.py RECORDING")
