"""The status of each chain and each of its SLOs, from what Prometheus says right now, in
Atlassian Statuspage's public API shapes (``GET /api/v2/summary.json``,
https://developer.statuspage.io/#tag/summary; also documented per page at
``https://<page>.statuspage.io/api``).

Inputs (two instant queries, :func:`queries`):

- the executive dashboard's chain status (:func:`chainwatch.assembly.health.chain_status_expr`:
  2 ok, 1 degraded, 0 down), so the dashboard and this page cannot disagree;
- ``ALERTS{alertstate="firing"}``: the alerts that page, with their labels.

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
BURN = "ChainwatchSLOErrorBudgetBurn"
NOT_OURS = {names.WATCHDOG, BURN}


def queries(config: Config) -> dict[str, str]:
    chains = "|".join(sorted(config.chains))
    return {
        "status": health.chain_status_expr(f'chain=~"{chains}"'),
        "alerts": f'ALERTS{{alertstate="firing", chain=~"{chains}"}}',
    }


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

    def json(self, page_id: str, now: str) -> dict:
        update = {
            "id": _id("update", self.id),
            "status": "identified",
            "body": self.body,
            "incident_id": self.id,
            "created_at": now,
            "updated_at": now,
            "display_at": now,
            "affected_components": [{"code": c.id, "name": c.name, "old_status": OPERATIONAL, "new_status": c.status} for c in self.components],
        }
        return {
            "id": self.id,
            "name": self.name,
            "status": "identified",
            "created_at": now,
            "updated_at": now,
            "monitoring_at": None,
            "resolved_at": None,
            "impact": self.impact,
            "shortlink": None,
            "started_at": now,
            "page_id": page_id,
            "incident_updates": [update],
            "components": [c.json(page_id, now) for c in self.components],
        }


@dataclass
class Page:
    title: str
    components: list[Component]  # the chains, each with its SLO children
    incidents: list[Incident]
    at: dt.datetime

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
        return self.at.isoformat(timespec="milliseconds").replace("+00:00", "Z")

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
    """The page from the two queries' results (Prometheus' ``data.result`` vectors)."""
    level = {s["metric"].get("chain"): float(s["value"][1]) for s in status}
    firing: dict[str, list[dict]] = {}
    for a in alerts:
        firing.setdefault(a["metric"].get("chain", ""), []).append(a["metric"])
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
        components.append(group)
        if upstream:
            incidents.append(
                Incident(
                    _id("upstream", name),
                    f"Upstream: the {name} {chain.network} network is not advancing",
                    "major",
                    [group],
                    f"The {name} {chain.network} network itself has stopped producing or finalising blocks. "
                    "This is an incident of the network, not of our infrastructure; service resumes when the network does.",
                )
            )
        elif state in (PARTIAL, MAJOR):
            incidents.append(
                Incident(
                    _id("own", name),
                    f"{WORDS[state]} of {name} {chain.network}",
                    IMPACT[state],
                    [group],
                    f"We are investigating a problem with our {name} {chain.network} service.",
                )
            )
    return Page(title, components, incidents, at)
