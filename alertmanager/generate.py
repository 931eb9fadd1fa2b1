"""Alertmanager config from the chainwatch config: who is paged, for what, and how often.

Writes ``<out>/alertmanager/alertmanager.yml`` and ``<out>/alertmanager/templates/*.tmpl``
(the config refers to ``templates/*.tmpl`` relative to itself, so copy the directory as a
whole, e.g. to ``/etc/alertmanager/``). The route tree, for every team in the config::

    team="<team>"
      severity="critical" -> <team>-critical   PagerDuty (+ Opsgenie P1 if page_critical)
      severity="warning"  -> <team>-warning    Opsgenie P3 | Slack | webhook | null, per warnings_to
                                               (only inside business hours when configured)
      anything else       -> <team>-info       Slack | webhook | null: never a page

Groups are ``[alertname, chain, team, endpoint]``: only per-endpoint alerts carry
``endpoint``, so one endpoint's alert is one incident and a chain-wide alert one per chain.
An alert with no or an unknown ``team`` label is sent to every team: an alert nobody owns
must not be silent. Inhibitions (``_inhibit_rules``) keep a halted chain to one page.
Before all of it, ``ChainwatchWatchdog`` goes to each team's heartbeat and nowhere else
(:mod:`chainwatch.alertmanager.heartbeat`, which also checks nothing here can mute it).

Secrets are never read: receivers point at the ``*_file`` paths from the config, which
Alertmanager reads when it sends.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import click

from chainwatch.assembly.config import Config, Team
from chainwatch.core.generated import dump_yaml, header, write as write_file
from chainwatch.assembly import names
from chainwatch.alertmanager import heartbeat

NULL = "null"
# Only per-endpoint alerts carry an ``endpoint`` label, so grouping by it splits their groups
# per endpoint (one endpoint's alert is one incident) and leaves chain-wide, validator-group
# and exporter alerts grouped by [alertname, chain, team]; account alerts carry `account`: one
# notification per operational account.
GROUP_BY = ["alertname", "chain", "team", "endpoint", "account"]
SEVERITIES = ("critical", "warning", "info")
# Where Alertmanager 0.25 (Debian bookworm/trixie) needs a secret inline we refuse instead.
UNSUPPORTED_025 = {"webhook": "webhook_configs.url_file needs Alertmanager newer than 0.25"}

CHAINWATCH_ALERTS = names.ALERT_NAMES


class GenerateError(click.ClickException):
    """A config the generator cannot turn into a safe Alertmanager config; the CLI prints
    ``Error: <message>`` and exits 1."""


def _regex(alternatives) -> str:
    return "|".join(alternatives)


def _literal(name: str) -> str:
    r"""A config name (``[a-z0-9_.-]``) as a regex inside a quoted matcher: ``.`` -> ``\\.``
    (the matcher parser unquotes one backslash, RE2 sees ``\.``)."""
    return name.replace(".", "\\\\.")


# --------------------------------------------------------------------------- receivers


# What an on-call engineer sees first in a page, the same in PagerDuty custom_details and
# Opsgenie details.
DETAILS = {
    "alertname": "{{ .CommonLabels.alertname }}",
    "chain": '{{ template "chainwatch.chain" . }}',
    "network": "{{ .CommonLabels.network }}",
    "endpoint": '{{ template "chainwatch.endpoint" . }}',
    "severity": "{{ .CommonLabels.severity }}",
    "team": "{{ .CommonLabels.team }}",
    "value": '{{ template "chainwatch.value" . }}',
    "runbook": '{{ template "chainwatch.runbook_url" . }}',
    "dashboard": '{{ template "chainwatch.dashboard_url" . }}',
}


def _pagerduty(team: Team) -> dict:
    pd = team.pagerduty
    out = {
        "routing_key_file": pd.routing_key_file,
        "send_resolved": True,
        "description": '{{ template "chainwatch.pagerduty.summary" . }}',
        "severity": '{{ template "chainwatch.pagerduty.severity" . }}',
        "client": '{{ template "chainwatch.pagerduty.client" . }}',
        "client_url": '{{ template "chainwatch.pagerduty.client_url" . }}',
        "source": '{{ template "chainwatch.entity" . }}',
        "component": '{{ template "chainwatch.endpoint" . }}',
        "group": '{{ template "chainwatch.chain" . }}',
        "class": "{{ .CommonLabels.alertname }}",
        "details": {
            **DETAILS,
            "description": '{{ template "chainwatch.description" . }}',
            # Alertmanager's own "firing"/"resolved" details dump every label; keep them short.
            "firing": '{{ template "chainwatch.firing" . }}',
            "resolved": '{{ template "chainwatch.resolved" . }}',
        },
        "links": [
            {"href": '{{ template "chainwatch.runbook_url" . }}', "text": "Runbook"},
            {"href": '{{ template "chainwatch.dashboard_url" . }}', "text": "Dashboard"},
            {"href": '{{ template "chainwatch.silence_url" . }}', "text": "Silence this alert"},
        ],
    }
    if pd.url:
        out["url"] = pd.url
    return out


def _opsgenie(team: Team, priority: str | None = None) -> dict:
    """``priority``: a fixed priority (warning receivers: P3, also for a critical a chain sends
    to its warnings); else P1/P3/P5 from the severity label."""
    og = team.opsgenie
    tags = '{{ template "chainwatch.opsgenie.tags" . }}' + "".join(f",{t}" for t in og.tags)
    out = {
        "api_key_file": og.api_key_file,
        "send_resolved": True,
        "message": '{{ template "chainwatch.opsgenie.message" . }}',
        "description": '{{ template "chainwatch.opsgenie.description" . }}',
        "priority": priority or '{{ template "chainwatch.opsgenie.priority" . }}',
        "tags": tags,
        "source": "chainwatch",
        "entity": '{{ template "chainwatch.entity" . }}',
        "details": dict(DETAILS),
    }
    if og.responders:
        out["responders"] = [{"type": r.type, "name": r.name} for r in og.responders]
    if og.api_url:
        out["api_url"] = og.api_url if og.api_url.endswith("/") else og.api_url + "/"
    return out


def _slack(team: Team) -> dict:
    return {
        "api_url_file": team.slack.api_url_file,
        "channel": team.slack.channel,
        "send_resolved": True,
        "title": '{{ template "chainwatch.slack.title" . }}',
        "text": '{{ template "chainwatch.slack.text" . }}',
    }


def _webhook(name: str, team: Team) -> dict:
    raise GenerateError(
        f"teams.{name}.webhook: {UNSUPPORTED_025['webhook']}; Alertmanager 0.25 only takes the URL inline, "
        "which would put a secret in the generated file. Use slack (api_url_file) or opsgenie for this team."
    )


def _channel(name: str, team: Team, kind: str) -> dict:
    """The receiver body for a ticket/info channel: slack_configs or webhook_configs."""
    if kind == "slack":
        return {"slack_configs": [_slack(team)]}
    return {"webhook_configs": [_webhook(name, team)]}


def _warning_body(name: str, team: Team, channel: str) -> dict:
    """A ticket receiver: Opsgenie at a fixed P3, or the team's Slack/webhook; empty if it has none."""
    if channel == "opsgenie" and team.opsgenie:
        return {"opsgenie_configs": [_opsgenie(team, priority="P3")]}
    if channel in ("slack", "webhook") and getattr(team, channel) is not None:
        return _channel(name, team, channel)
    return {}


def _receivers(name: str, team: Team) -> tuple[dict[str, dict], dict[str, str], list[str]]:
    """Receivers of one team and which receiver each severity goes to (``null`` for nowhere)."""
    bodies: dict[str, dict] = {}
    notes: list[str] = []

    critical: dict = {}
    if team.pagerduty:
        critical["pagerduty_configs"] = [_pagerduty(team)]
    if team.opsgenie and (team.opsgenie.page_critical or not team.pagerduty):
        critical["opsgenie_configs"] = [_opsgenie(team)]
    if not critical:
        fallback = "slack" if team.slack else "webhook" if team.webhook else None
        if fallback:
            critical = _channel(name, team, fallback)
            notes.append(f"team {name} has no pager: critical alerts only go to {fallback}")
        else:
            notes.append(f"team {name} has no receiver: its critical alerts notify nobody")
    bodies[f"{name}-critical"] = critical

    warning = _warning_body(name, team, team.warnings_to)
    if team.warnings_to != "none" and not warning:
        notes.append(f"team {name} sends warnings to {team.warnings_to} but has none configured: warnings notify nobody")
    bodies[f"{name}-warning"] = warning

    info: dict = {}
    if team.slack:
        info = _channel(name, team, "slack")
    elif team.webhook:
        info = _channel(name, team, "webhook")
    bodies[f"{name}-info"] = info

    targets = {sev: (f"{name}-{sev}" if bodies[f"{name}-{sev}"] else NULL) for sev in SEVERITIES}
    return {k: v for k, v in bodies.items() if v}, targets, notes


# --------------------------------------------------------------------------- routes


def _timing(config: Config, severity: str) -> dict:
    t = getattr(config.alertmanager, severity)
    return {"group_wait": t.group_wait, "group_interval": t.group_interval, "repeat_interval": t.repeat_interval}


def _severity_route(config: Config, severity: str, receiver: str, intervals: list[str]) -> dict:
    route: dict = {"matchers": [f'severity="{severity}"'], "receiver": receiver, **_timing(config, severity)}
    if intervals:
        route["active_time_intervals"] = intervals
    return route


def _team_routes(config: Config, name: str, team: Team, targets: dict[str, str]) -> list[dict]:
    intervals = [f"{name}-business-hours"] if team.business_hours else []
    return [
        _severity_route(config, "critical", targets["critical"], []),
        _severity_route(config, "warning", targets["warning"], intervals),
        _severity_route(config, "info", targets["info"], []),
    ]


def _chain_routes(config: Config, name: str, team: Team, targets: dict[str, str], receivers: dict[str, dict]) -> list[dict]:
    """One ``chain="<c>"`` route per chain of the team with a ``routing`` override, placed before
    the team's severity routes. Receivers the overrides need are added to ``receivers``."""
    out = []
    for cname, chain in sorted(config.chains.items()):
        routing = chain.routing
        if chain.team != name or routing is None:
            continue
        warnings_to = routing.warnings_to or team.warnings_to
        if warnings_to == team.warnings_to:
            warning = targets["warning"]
        else:
            warning = f"{name}-warning-{warnings_to}"
            body = _warning_body(name, team, warnings_to)  # the config model checked the channel exists
            if body:
                receivers[warning] = body
            else:
                warning = NULL
        hours = routing.business_hours_only if routing.business_hours_only is not None else bool(team.business_hours)
        intervals = [f"{name}-business-hours"] if hours else []
        if routing.critical_to is None:
            critical = _severity_route(config, "critical", targets["critical"], [])
        elif routing.critical_to == "warnings":  # a ticket, with a ticket's timings and hours
            critical = {**_severity_route(config, "warning", warning, intervals), "matchers": ['severity="critical"']}
        elif routing.critical_to == "none":
            critical = _severity_route(config, "critical", NULL, [])
        else:
            kind = routing.critical_to
            body = {"pagerduty_configs": [_pagerduty(team)]} if kind == "pagerduty" else {"opsgenie_configs": [_opsgenie(team)]}
            receiver = f"{name}-critical" if receivers.get(f"{name}-critical") == body else f"{name}-critical-{kind}"
            receivers[receiver] = body
            critical = _severity_route(config, "critical", receiver, [])
        out.append(
            {
                "matchers": [f'chain="{cname}"'],
                "receiver": targets["info"],
                "routes": [critical, _severity_route(config, "warning", warning, intervals), _severity_route(config, "info", targets["info"], [])],
            }
        )
    return out


def _time_interval(name: str, team: Team) -> dict:
    bh = team.business_hours
    return {
        "name": f"{name}-business-hours",
        "time_intervals": [{"weekdays": list(bh.weekdays), "times": [{"start_time": bh.start, "end_time": bh.end}], "location": bh.timezone}],
    }


# --------------------------------------------------------------------------- inhibitions


def _inhibit_rules(config: Config) -> list[dict]:
    """Derived from the declarations (:func:`chainwatch.assembly.names.inhibit_rules`) of the
    alerts the config's rules hold: the page audit (rules/audit.py) evaluates the same rules."""
    return names.inhibit_rules(config)


# --------------------------------------------------------------------------- assembly


def build(config: Config) -> tuple[dict, list[str]]:
    """The Alertmanager config as data, plus notes for the file header."""
    refused = heartbeat.unsupported(config)
    if refused:
        raise GenerateError("\n".join(refused))
    receivers: dict[str, dict] = {}
    try:
        routes: list[dict] = [heartbeat.route(config, receivers)]  # first: no team route may take the watchdog
    except ValueError as exc:
        raise GenerateError(str(exc)) from None
    everyone: list[dict] = []
    time_intervals: list[dict] = []
    notes: list[str] = []
    team_names = sorted(config.teams)
    for name in team_names:
        team = config.teams[name]
        if team.webhook is not None:
            _webhook(name, team)  # raises: see UNSUPPORTED_025
        bodies, targets, team_notes = _receivers(name, team)
        receivers.update(bodies)
        notes.extend(team_notes)
        if team.business_hours:
            time_intervals.append(_time_interval(name, team))
        children = _team_routes(config, name, team, targets)
        overrides = _chain_routes(config, name, team, targets, receivers)
        routes.append({"matchers": [f'team="{name}"'], "receiver": targets["info"], "routes": overrides + children})
        everyone.extend({**r, "continue": True} for r in children if r["receiver"] != NULL)
    # An alert with a missing or unknown team label: every team hears about it.
    unowned: dict = {"matchers": [f'team!~"{_regex(_literal(n) for n in team_names)}"'], "receiver": NULL}
    if everyone:
        everyone[-1]["continue"] = False
        unowned["routes"] = everyone
    routes.append(unowned)

    data: dict = {
        "route": {"receiver": NULL, "group_by": GROUP_BY, **_timing(config, "info"), "routes": routes},
        "inhibit_rules": _inhibit_rules(config),
        "receivers": [{"name": NULL}] + [{"name": k, **v} for k, v in sorted(receivers.items())],
        "templates": ["templates/*.tmpl"],
    }
    if time_intervals:
        data["time_intervals"] = time_intervals
    try:
        heartbeat.check(config, data)
    except heartbeat.MutedWatchdog as exc:  # a generator bug, or an inhibition declared too wide
        raise GenerateError(f"the generated config would mute ChainwatchWatchdog: {exc}") from None
    notes += [
        f"team {t} has no heartbeat: its ChainwatchWatchdog goes nowhere, a dead alert path pages nobody"
        for t in heartbeat.owning_teams(config)
        if config.teams[t].heartbeat is None
    ]
    return json.loads(json.dumps(data)), notes  # fresh objects: no YAML anchors for shared lists


def template_files() -> dict[str, str]:
    """Template file name -> text, as shipped in the package."""
    folder = resources.files("chainwatch.alertmanager") / "templates"
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir(), key=lambda p: p.name) if p.name.endswith(".tmpl")}


def render(config: Config) -> dict[str, str]:
    """Relative path -> file text for everything ``write`` puts under ``alertmanager/``."""
    data, notes = build(config)
    top = [
        f"# Run Alertmanager with --web.external-url={config.alertmanager.external_url} (links in pages use it).",
        "# Secrets are read by Alertmanager from the *_file paths below; they are never in this file.",
    ] + [f"# NOTE: {n}" for n in notes]
    text = dump_yaml(data, config.path, sort_keys=False)
    head = header(config.path)
    files = {"alertmanager.yml": head + "\n".join(top) + "\n" + text[len(head) :]}
    tmpl_head = "{{/*\n" + header(config.path, comment="") + "*/}}\n"
    for fname, body in template_files().items():
        files[f"templates/{fname}"] = tmpl_head + body
    return files


def write(config: Config, out: Path, **_) -> list[Path]:
    base = Path(out) / "alertmanager"
    return [write_file(base / rel, text) for rel, text in render(config).items()]
