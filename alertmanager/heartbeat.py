"""The watched alert path: ChainwatchWatchdog's routes and heartbeat receivers, and the check
that nothing chainwatch generates can mute it.

The rules fire ``ChainwatchWatchdog`` (severity ``none``) once per team that owns a chain, for
ever (:data:`chainwatch.core.alerts.WATCHDOG`). Its route is the first child of the tree, so
no team route, per-chain override or business-hours interval sees it::

    alertname="ChainwatchWatchdog"                  -> null (a team without a heartbeat)
      team="<t>" (teams.<t>.heartbeat configured)  -> <t>-heartbeat, every heartbeat.interval

Alertmanager re-sends a firing group at a ``group_interval`` tick once ``repeat_interval`` has
passed since the last send was *logged*, which is a few milliseconds after the previous tick:
with both equal to the heartbeat interval every other tick is skipped and the heartbeat
arrives every 2 intervals (measured: tests/alertmanager/test_heartbeat.py). So
``group_interval`` is the heartbeat interval and ``repeat_interval`` 90% of it: one ping per
tick, every interval. ``group_wait`` is 0s. Resolved
notifications are off: a "resolved" ping would tell the heartbeat all is well exactly when
Prometheus stopped sending.

Receivers (secrets are read by Alertmanager from files; never in the generated file):

- ``opsgenie``: a webhook to ``<api_url>v2/heartbeats/<name>/ping`` with ``Authorization:
  GenieKey <key>`` from ``api_key_file`` (Opsgenie Heartbeat API, "Ping Heartbeat Request":
  https://docs.opsgenie.com/docs/heartbeat-api); the heartbeat's name is not a secret.
- ``webhook``: a healthchecks-style ping URL (the URL *is* the secret) from ``url_file``:
  ``webhook_configs.url_file`` needs Alertmanager 0.26+, so on 0.25 ``generate`` and ``check``
  refuse it, naming the config's file, line and field (:func:`unsupported`).
"""

from __future__ import annotations


from chainwatch.assembly import names
from chainwatch.assembly.config import Config, Team
from chainwatch.core import durations
from chainwatch.core.alerts import WATCHDOG_SEVERITY
from chainwatch.core.matchers import matches

NULL = "null"
WATCHDOG = names.WATCHDOG
WEBHOOK_025 = "webhook_configs.url_file needs Alertmanager newer than 0.25"


class MutedWatchdog(ValueError):
    """A generated route or inhibit rule would keep the watchdog from its heartbeat."""


def receiver_name(team: str) -> str:
    return f"{team}-heartbeat"


def watchdog_labels(config: Config, team: str) -> dict[str, str]:
    """The labels the rules put on the team's watchdog (rules/alerts.py, core/alerts.py)."""
    return {"alertname": WATCHDOG, "severity": WATCHDOG_SEVERITY, "team": team, "chain": "*"}


def owning_teams(config: Config) -> list[str]:
    return sorted({c.team for c in config.chains.values()})


def unsupported(config: Config) -> list[str]:
    """One ``<file>:<line>: teams.<team>.heartbeat.webhook: <why>; <what instead>`` line per
    webhook (a heartbeat's, or a team's ticket channel) the generated ``alertmanager.yml`` cannot
    carry: it targets Alertmanager 0.25, whose ``webhook_configs`` take the URL only inline
    (``url_file`` came in 0.26, https://github.com/prometheus/alertmanager/pull/3223), and the URL
    is the secret. ``chainwatch generate`` refuses such a config before it writes any file and
    ``chainwatch check`` before it probes anything, with these same lines."""
    found = []
    for name, team in sorted(config.teams.items()):
        webhooks = [
            (("heartbeat", "webhook"), team.heartbeat.webhook if team.heartbeat else None, "heartbeat.opsgenie"),
            (("webhook",), team.webhook, "slack or opsgenie"),
        ]
        for below, webhook, instead in webhooks:
            if webhook is None:
                continue
            path = ("teams", name, *below)
            found.append(
                f"{config.path}:{config.line_of(path)}: {'.'.join(path)}: {WEBHOOK_025}; Alertmanager 0.25 (the generated files' target) "
                f"only takes the URL inline, which would put the URL (its secret) in the generated file. Use {instead} for this team"
            )
    return found


def receiver(name: str, team: Team) -> dict | None:
    """The heartbeat receiver body of a team, None without a heartbeat; ``ValueError`` for a
    heartbeat this Alertmanager cannot send without a secret in its config (:func:`unsupported`
    says so with the config's file and line, before anything is generated)."""
    hb = team.heartbeat
    if hb is None:
        return None
    if hb.webhook is not None:
        raise ValueError(f"teams.{name}.heartbeat.webhook: {WEBHOOK_025}; use heartbeat.opsgenie")
    og = hb.opsgenie
    base = og.api_url if og.api_url.endswith("/") else og.api_url + "/"
    return {
        "webhook_configs": [
            {
                "url": f"{base}v2/heartbeats/{og.name}/ping",
                "send_resolved": False,
                "max_alerts": 1,
                "http_config": {"authorization": {"type": "GenieKey", "credentials_file": og.api_key_file}},
            }
        ]
    }


def route(config: Config, receivers: dict[str, dict]) -> dict:
    """The watchdog's branch of the route tree (first child of the root); adds the heartbeat
    receivers to ``receivers``."""
    children = []
    for name in owning_teams(config):
        team = config.teams[name]
        body = receiver(name, team)
        if body is None:
            continue
        receivers[receiver_name(name)] = body
        interval = team.heartbeat.interval
        repeat_ms = int(durations.seconds(interval) * 900)
        children.append(
            {
                "matchers": [f'team="{name}"'],
                "receiver": receiver_name(name),
                "group_wait": "0s",
                "group_interval": interval,
                "repeat_interval": durations.text(repeat_ms / 1000) if repeat_ms % 1000 == 0 else f"{repeat_ms}ms",
            }
        )
    out: dict = {"matchers": [f'alertname="{WATCHDOG}"'], "receiver": NULL, "group_by": ["alertname", "team"]}
    if children:
        out["routes"] = children
    return out


# --------------------------------------------------------------------------- the check


def receivers_of(tree: dict, labels: dict[str, str]) -> list[str]:
    """Receivers an alert with ``labels`` reaches (first matching child unless ``continue``;
    a route no child takes is the receiver), as ``amtool config routes test`` shows it."""
    found: list[str] = []
    for child in tree.get("routes", []):
        if all(matches(m, labels) for m in child.get("matchers", [])):
            found += receivers_of(child, labels)
            if not child.get("continue"):
                break
    return found or [tree["receiver"]]


def check(config: Config, data: dict) -> None:
    """Raise :class:`MutedWatchdog` unless every team's watchdog reaches exactly its heartbeat
    receiver (or ``null`` for a team without one), outside any time interval, and no inhibit
    rule's targets match it (whatever its sources: the watchdog fires through every incident)."""
    problems = []
    for team in owning_teams(config):
        labels = watchdog_labels(config, team)
        want = [receiver_name(team) if config.teams[team].heartbeat else NULL]
        got = receivers_of(data["route"], labels)
        if got != want:
            problems.append(f"team {team}: the watchdog is routed to {', '.join(got)}, not {want[0]}")
        for i, rule in enumerate(data.get("inhibit_rules", [])):
            if all(matches(m, labels) for m in rule.get("target_matchers", [])):
                problems.append(f"team {team}: inhibit_rules[{i}] ({', '.join(rule.get('source_matchers', []))}) can mute the watchdog")
    branch = next((r for r in data["route"].get("routes", []) if r.get("matchers") == [f'alertname="{WATCHDOG}"']), {})
    for child in branch.get("routes", []):
        for key in ("active_time_intervals", "mute_time_intervals"):
            if child.get(key):
                problems.append(f"{child['receiver']}: {key} would pause the heartbeat")
    if problems:
        raise MutedWatchdog("; ".join(problems))
