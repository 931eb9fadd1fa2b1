"""The status of each chain and each of its SLOs, from what Prometheus says right now, in
Atlassian Statuspage's public API shapes (``GET /api/v2/summary.json``,
https://developer.statuspage.io/#tag/summary; also documented per page at
``https://<page>.statuspage.io/api``).

Inputs:

- the executive dashboard's chain status (:func:`chainwatch.assembly.health.chain_status_expr`:
  2 ok, 1 degraded, 0 down; an instant query, :func:`status_query`), so the dashboard and this page
  cannot disagree;
- the firing alerts that page, with their labels and the time each became active (Prometheus'
  ``GET /api/v1/alerts``, https://prometheus.io/docs/prometheus/latest/querying/api/#alerts;
  :func:`firing_alerts`): an incident started when its first alert became active, not when
  someone loaded the page.

Per chain (a group component, named as configured: ``<chain> (<network>)``):

==========================  ==========================================================
``major_outage``            no endpoint of the chain answers (status 0)
``partial_outage``          a critical alert of ours fires (a page: a stalled node, ...)
``degraded_performance``    some endpoints fail, or the network itself halted (upstream)
``operational``             every endpoint answers and nothing critical of ours fires
==========================  ==========================================================

A chain-wide alert (``ChainHalted``, a stalled finality: :data:`chainwatch.assembly.names.CHAIN_WIDE`)
is the network's incident, not the operator's: it becomes an *upstream* incident, and the
per-endpoint symptoms it explains (lag, stale heads: what Alertmanager inhibits) do not count
against the operator. Each SLO of the chain (availability, latency, freshness) is a child
component: ``partial_outage`` while its critical burn-rate alert fires, ``degraded_performance``
while its ticket (warning) fires.

Nothing of the alerts' text, endpoints or URLs is exposed: only chain, network and SLO names
from the config and fixed phrases.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from chainwatch.assembly import health, names
from chainwatch.core import durations
from chainwatch.core.accountalerts import ACCOUNT_ALERTS
from chainwatch.assembly.config import SLO, Config

OPERATIONAL, DEGRADED, PARTIAL, MAJOR = "operational", "degraded_performance", "partial_outage", "major_outage"
ORDER = (OPERATIONAL, DEGRADED, PARTIAL, MAJOR)
WORDS = {OPERATIONAL: "Operational", DEGRADED: "Degraded performance", PARTIAL: "Partial outage", MAJOR: "Major outage"}
# page indicator and its Statuspage description, per worst component
INDICATOR = {
    OPERATIONAL: ("none", "All Systems Operational"),
    DEGRADED: ("minor", "Minor Service Outage"),
    PARTIAL: ("major", "Partial System Outage"),
    MAJOR: ("critical", "Major System Outage"),
}
IMPACT = {OPERATIONAL: "none", DEGRADED: "minor", PARTIAL: "major", MAJOR: "critical"}
SLO_NAMES = tuple(f for f in SLO.model_fields if f != "window")
SLO_WORDS = {"availability": "Availability", "latency": "Latency", "freshness": "Freshness"}
NETWORK_WORDS = "Network (upstream)"
BURN = "ChainwatchSLOErrorBudgetBurn"
# Not an outage of the service the page is about: the alert path's own heartbeat, the SLO burn
# (the SLO components show it), and the operator's accounts running low (a wallet to top up is
# on-call's business, not the public's: no user request fails because of it).
NOT_OURS = {names.WATCHDOG, BURN, *(a.name for a in ACCOUNT_ALERTS)}
RESOLVED_BODY = "This incident has been resolved."
# A node's symptom of a halt (a stale head, lag) may fire before the chain-wide alert does: the
# halt's `for:` is still running, and its probes and scrapes are not the nodes'. One that began
# up to the chain's `durations.chain_halt` plus this long before a halt and ran into it is the
# halt's in the history (live, it is ours until the halt fires).
SYMPTOM_LEAD_SECONDS = 60.0
# Statuspage's incidents.json lists "the 50 most recent incidents"
MOST_RECENT = 50


def status_query(config: Config) -> str:
    """The chains' status (2 ok, 1 degraded, 0 down), the executive dashboard's expression."""
    chains = "|".join(sorted(config.chains))
    return health.chain_status_expr(f'chain=~"{chains}"')


def firing_alerts(config: Config, answer: dict) -> list[dict]:
    """The firing alerts of the config's chains from ``GET /api/v1/alerts``'s ``data`` (``{"alerts":
    [{"labels": {...}, "state": "firing", "activeAt": "2026-12-07T14:03:01.123456789Z", ...}]}``),
    as ``{"metric": labels, "active_at": unix seconds}`` (None for a missing or unreadable
    ``activeAt``); pending and inactive alerts are left out."""
    out = []
    for alert in answer.get("alerts") or []:
        labels = alert.get("labels") or {}
        if alert.get("state") == "firing" and labels.get("chain") in config.chains:
            out.append({"metric": labels, "active_at": _unix(alert.get("activeAt"))})
    return out


def _unix(stamp: str | None) -> float | None:
    """RFC 3339 with Go's up to nine fractional digits (``datetime`` takes six) -> unix seconds."""
    if not isinstance(stamp, str) or not stamp:
        return None
    head, dot, rest = stamp.partition(".")
    if dot:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        stamp = f"{head}.{rest[:digits][:6].ljust(6, '0')}{rest[digits:]}"
    try:
        at = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at.timestamp() if at.tzinfo else None


def _stamp(at: dt.datetime) -> str:
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _id(*parts: str) -> str:
    """A stable component id (Statuspage ids are 12 lowercase alphanumerics)."""
    return hashlib.sha256("/".join(("chainwatch-status",) + parts).encode()).hexdigest()[:12]


@dataclass
class Component:
    id: str
    name: str
    status: str
    description: str
    position: int
    group_id: str | None = None
    children: list["Component"] = field(default_factory=list)
    upstream: bool = False  # the network itself halted (shown as an upstream incident)
    measured: bool = True
    network: bool = False  # the child standing for the chain's network itself (not ours)

    def json(self, page_id: str, now: str) -> dict:
        out = {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "created_at": now,
            "updated_at": now,
            "position": self.position,
            "description": self.description,
            "showcase": False,
            "start_date": None,
            "group_id": self.group_id,
            "page_id": page_id,
            "group": bool(self.children),
            "only_show_if_degraded": False,
        }
        if self.children:
            out["components"] = [c.id for c in self.children]
        return out


@dataclass
class Incident:
    id: str
    name: str
    impact: str
    components: list[Component]
    body: str
    started: dt.datetime | None = None  # history: when it began ...
    resolved: dt.datetime | None = None  # ... and ended (None: going on)
    chain: str = ""

    @property
    def upstream(self) -> bool:
        return self.name.startswith("Upstream:")

    def json(self, page_id: str, now: str) -> dict:
        """Statuspage's incident object (https://developer.statuspage.io/#tag/incidents): its
        ``incident_updates`` newest first, an ``identified`` one when it began and, once over, a
        ``resolved`` one when it ended. Without a known start (no ``activeAt``) it began ``now``."""
        started = _stamp(self.started) if self.started else now
        resolved = _stamp(self.resolved) if self.resolved else None
        affected = [{"code": c.id, "name": c.name, "old_status": OPERATIONAL, "new_status": c.status} for c in self.components]

        def update(state: str, at: str, body: str) -> dict:
            return {
                "id": _id("update", self.id, state),
                "status": state,
                "body": body,
                "incident_id": self.id,
                "created_at": at,
                "updated_at": at,
                "display_at": at,
                "affected_components": affected,
            }

        updates = [update("identified", started, self.body)]
        if resolved:
            updates.insert(0, update("resolved", resolved, RESOLVED_BODY))
        return {
            "id": self.id,
            "name": self.name,
            "status": "resolved" if resolved else "identified",
            "created_at": started,
            "updated_at": resolved or started,
            "monitoring_at": None,
            "resolved_at": resolved,
            "impact": self.impact,
            "shortlink": None,
            "started_at": started,
            "page_id": page_id,
            "incident_updates": updates,
            "components": [c.json(page_id, now) for c in self.components],
        }


@dataclass
class Page:
    title: str
    components: list[Component]  # the chains, each with its SLO children
    incidents: list[Incident]
    at: dt.datetime
    past: list[Incident] = field(default_factory=list)  # resolved, newest first (:func:`history`)

    @property
    def id(self) -> str:
        return _id("page", self.title)

    @property
    def worst(self) -> str:
        states = [c.status for top in self.components for c in [top, *top.children]]
        return max(states, key=ORDER.index, default=OPERATIONAL)

    def indicator(self) -> dict:
        indicator, description = INDICATOR[self.worst]
        return {"indicator": indicator, "description": description}

    def _now(self) -> str:
        return _stamp(self.at)

    def incidents_json(self) -> list[dict]:
        """``/api/v2/incidents.json``: the current incidents, then the past ones, newest first
        (at most :data:`MOST_RECENT`, as Statuspage)."""
        now = self._now()
        return [i.json(self.id, now) for i in (self.incidents + self.past)[:MOST_RECENT]]

    def page_json(self) -> dict:
        return {"id": self.id, "name": self.title, "url": "", "time_zone": "Etc/UTC", "updated_at": self._now()}

    def components_json(self) -> list[dict]:
        now = self._now()
        return [c.json(self.id, now) for top in self.components for c in [top, *top.children]]

    def summary(self) -> dict:
        """``/api/v2/summary.json``."""
        now = self._now()
        return {
            "page": self.page_json(),
            "components": self.components_json(),
            "incidents": [i.json(self.id, now) for i in self.incidents],
            "scheduled_maintenances": [],
            "status": self.indicator(),
        }


def derive(config: Config, status: list[dict], alerts: list[dict], at: dt.datetime, title: str) -> Page:
    """The page from the chain status query's result (Prometheus' ``data.result`` vector) and the
    firing alerts (:func:`firing_alerts`; an alert without ``active_at`` leaves its incident's
    start unknown: ``started_at`` is then the page's time)."""
    level = {s["metric"].get("chain"): float(s["value"][1]) for s in status}
    firing: dict[str, list[dict]] = {}
    since: dict[int, float | None] = {}  # id(labels) -> activeAt
    for a in alerts:
        firing.setdefault(a["metric"].get("chain", ""), []).append(a["metric"])
        since[id(a["metric"])] = a.get("active_at")
    components, incidents = [], []
    for position, (name, chain) in enumerate(sorted(config.chains.items()), start=1):
        mine = firing.get(name, [])
        upstream = any(a["alertname"] in names.CHAIN_WIDE for a in mine)
        explained = set(names.CHAIN_WIDE) | (set(names.ENDPOINT_SYMPTOMS) if upstream else set())
        own_critical = [a for a in mine if a.get("severity") == "critical" and a["alertname"] not in explained | NOT_OURS]
        value = level.get(name)
        if value is None:
            state = DEGRADED  # no measurement: not "operational" (a quiet zero is the worst answer)
        elif value <= health.DOWN:
            state = MAJOR
        elif own_critical:
            state = PARTIAL
        elif value < health.OK:
            state = DEGRADED
        else:
            state = OPERATIONAL
        group = Component(_id(name), f"{name} ({chain.network})", state, f"{name} {chain.network}", position, upstream=upstream, measured=value is not None)
        for i, slo in enumerate(SLO_NAMES, start=1):
            burns = {a.get("severity") for a in mine if a["alertname"] == BURN and a.get("slo") == slo}
            slo_state = PARTIAL if "critical" in burns else DEGRADED if "warning" in burns else OPERATIONAL
            group.children.append(Component(_id(name, slo), f"{name}: {SLO_WORDS.get(slo, slo)}", slo_state, f"{slo} SLO of {name}", i, group_id=group.id))
        group.children.append(_network(name, chain.network, group, upstream))
        components.append(group)
        if upstream:
            began = _began(since, [a for a in mine if a["alertname"] in names.CHAIN_WIDE])
            incident = _upstream(name, chain.network, group, _key(began))
            incident.started = began
            incidents.append(incident)
        if own_critical or state == MAJOR:
            # ours, during a halt too when the halt does not explain it; a major outage may be
            # ahead of its alert's `for:`: then it began with the first of any of ours
            began = _began(since, own_critical or [a for a in mine if a["alertname"] not in NOT_OURS | set(names.CHAIN_WIDE)])
            incident = _own(name, chain.network, group, state, _key(began))
            incident.started = began
            incidents.append(incident)
    return Page(title, components, incidents, at)


def _network(name: str, network: str, group: Component, upstream: bool) -> Component:
    """The chain's network itself, a child of its group: what an upstream incident affects (a
    Statuspage client tells "the network halted" from "their service failed" by the incident's
    components), ``degraded_performance`` while the network is not advancing."""
    return Component(
        _id(name, "network"),
        f"{name}: {NETWORK_WORDS}",
        DEGRADED if upstream else OPERATIONAL,
        f"the {name} {network} network itself, which we do not operate",
        len(SLO_NAMES) + 1,
        group_id=group.id,
        network=True,
    )


def _began(since: dict[int, float | None], alerts: list[dict]) -> dt.datetime | None:
    """When the first of ``alerts`` became active (None: no alert, or none says)."""
    known = [since[id(a)] for a in alerts if since.get(id(a)) is not None]
    return dt.datetime.fromtimestamp(min(known), dt.timezone.utc) if known else None


def _key(began: dt.datetime | None) -> str:
    """What tells two incidents of a chain apart: their start (whole seconds)."""
    return str(int(began.timestamp())) if began else ""


def _upstream(name: str, network: str, group: Component, key: str = "") -> Incident:
    network_component = next(c for c in group.children if c.network)
    return Incident(
        _id("upstream", name, key),
        f"Upstream: the {name} {network} network is not advancing",
        IMPACT[network_component.status if network_component.status != OPERATIONAL else DEGRADED],
        [group, network_component],
        f"The {name} {network} network itself has stopped producing or finalising blocks. "
        "This is an incident of the network, not of our infrastructure; service resumes when the network does.",
        chain=name,
    )


def _own(name: str, network: str, group: Component, state: str, key: str = "") -> Incident:
    return Incident(
        _id("own", name, key),
        f"{WORDS[state]} of {name} {network}",
        IMPACT[state],
        [group],
        f"We have identified a problem with our {name} {network} service and are working on it.",
        chain=name,
    )


def history_query(config: Config, step: str) -> str:
    """Per chain and alert, whether a critical alert fired at any evaluation within each ``step``
    (a Prometheus duration): the input of :func:`history`. ``max_over_time``: an incident shorter
    than the step between two points is not lost."""
    chains = "|".join(sorted(config.chains))
    return f'max by (chain, alertname) (max_over_time(ALERTS{{alertstate="firing", severity="critical", chain=~"{chains}"}}[{step}]))'


def history(page: Page, config: Config, series: list[dict], step: float) -> list[Incident]:
    """Resolved incidents from a range query of :func:`history_query` (Prometheus' ``matrix``
    result, samples ``step`` seconds apart): per chain, the spans a chain-wide alert fired
    (upstream) and the spans one of our critical alerts fired (ours, a partial outage), as
    :func:`derive` tells them apart: a per-endpoint symptom (lag, a stale head) that ran into a
    halt and began at most its ``for:`` plus :data:`SYMPTOM_LEAD_SECONDS` before it is the halt's; any
    other alert of ours is ours, during a halt too. A span still going on at the end is the
    page's current incident of that chain and kind, not history (without one, it just ended)."""
    groups = {c.name.split(" (")[0]: c for c in page.components}
    runs_of: list[tuple[str, str, list[list[float]]]] = []
    for s in series:
        chain, alert = s["metric"].get("chain", ""), s["metric"].get("alertname", "")
        if chain not in config.chains or alert in NOT_OURS:
            continue
        runs: list[list[float]] = []
        for t in sorted(float(t) for t, _ in s["values"]):
            if runs and t - runs[-1][1] <= 1.5 * step:
                runs[-1][1] = t
            else:
                runs.append([t, t])
        runs_of.append((chain, alert, runs))
    halts: dict[str, list[list[float]]] = {}
    for chain, alert, runs in runs_of:
        if alert in names.CHAIN_WIDE:
            halts.setdefault(chain, []).extend(runs)

    def explained(chain: str, run: list[float]) -> bool:
        lead = durations.seconds(config.chains[chain].thresholds.durations.chain_halt) + SYMPTOM_LEAD_SECONDS + 1.5 * step
        return any(h[0] - lead <= run[0] <= h[1] + 1.5 * step and run[1] >= h[0] - 1.5 * step for h in halts.get(chain, []))

    spans: dict[tuple[str, bool], list[list[float]]] = {}
    for chain, alert, runs in runs_of:
        upstream = alert in names.CHAIN_WIDE
        if alert in names.ENDPOINT_SYMPTOMS:
            runs = [r for r in runs if not explained(chain, r)]
        spans.setdefault((chain, upstream), []).extend(runs)
    end = page.at.timestamp()
    current = {(i.chain, i.upstream) for i in page.incidents}
    out = []
    for (chain, upstream), runs in spans.items():
        merged: list[list[float]] = []
        for start, stop in sorted(runs):
            if merged and start <= merged[-1][1] + 1.5 * step:
                merged[-1][1] = max(merged[-1][1], stop)
            else:
                merged.append([start, stop])
        for start, stop in merged:
            if end - stop <= 1.5 * step and (chain, upstream) in current:
                continue  # the current incident, not history yet
            net = config.chains[chain].network
            key = str(int(start))
            incident = _upstream(chain, net, groups[chain], key) if upstream else _own(chain, net, groups[chain], PARTIAL, key)
            # a point covers the step before it (max_over_time)
            incident.started = dt.datetime.fromtimestamp(start - step, dt.timezone.utc)
            incident.resolved = dt.datetime.fromtimestamp(stop, dt.timezone.utc)
            out.append(incident)
    return sorted(out, key=lambda i: i.started, reverse=True)
