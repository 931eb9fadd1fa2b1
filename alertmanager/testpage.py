"""``chainwatch test-page``: one synthetic, clearly labelled alert through the running
Alertmanager to a team and severity, to prove routing and keys end to end; then resolved.

Steps, all through Alertmanager's HTTP API (v2: https://github.com/prometheus/alertmanager/blob/v0.25.0/api/v2/openapi.yaml):

1. read the per-integration counters ``alertmanager_notification_requests_total`` and
   ``alertmanager_notification_requests_failed_total`` from ``/metrics`` (counted when a request
   to the receiver has its answer; ``alertmanager_notifications_total`` counts before sending);
2. ``POST /api/v2/alerts`` the test alert: labels ``alertname="ChainwatchTestPage"``, the team,
   the severity, ``chain="chainwatch-test"`` (no per-chain override matches it) and a random
   ``test_id``; summary ``TEST PAGE ...: no action needed``; ``endsAt`` in 15 minutes, so it
   resolves by itself if this command dies;
3. ``GET /api/v2/alerts?filter=test_id="..."``: the receivers Alertmanager routed it to, and
   from ``GET /api/v2/status`` (the loaded config) the integrations of those receivers;
4. poll ``/metrics`` until each integration counted a send more than before (delivered:
   the receiver answered 2xx) or a failure (an API key refused, an unreachable URL); a busy
   Alertmanager sending other notifications of the same integration at the same moment can
   make a send look like ours;
5. ``POST`` the alert again with ``endsAt`` now: resolved; receivers with ``send_resolved``
   get the resolve at the group's next ``group_interval`` tick.

Nothing secret is printed: receiver and integration names only.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

import yaml
from prometheus_client.parser import text_string_to_metric_families

ALERTNAME = "ChainwatchTestPage"
CHAIN = "chainwatch-test"
LIFETIME = dt.timedelta(minutes=15)
# receiver config key -> the integration label of Alertmanager's notification counters
INTEGRATIONS = {
    "pagerduty_configs": "pagerduty",
    "opsgenie_configs": "opsgenie",
    "slack_configs": "slack",
    "webhook_configs": "webhook",
    "email_configs": "email",
    "victorops_configs": "victorops",
    "pushover_configs": "pushover",
    "wechat_configs": "wechat",
    "telegram_configs": "telegram",
    "sns_configs": "sns",
    "webex_configs": "webex",
    "discord_configs": "discord",
}


class TestPageError(Exception):
    """The test page could not be sent or was not delivered; the message says which step."""


@dataclass
class Result:
    test_id: str
    receivers: list[str]
    delivered: list[str] = field(default_factory=list)  # integrations that counted a send
    failed: list[str] = field(default_factory=list)  # integrations that counted a failure
    seconds: float = 0.0


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Client:
    """Alertmanager's HTTP API at ``url`` (``http://127.0.0.1:9093``)."""

    def __init__(self, url: str, timeout: float = 5.0):
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _open(self, path: str, body: bytes | None = None) -> bytes:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        req = urllib.request.Request(self.url + path, body, headers, method="POST" if body is not None else "GET")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                return r.read()
        except urllib.error.HTTPError as exc:
            raise TestPageError(f"Alertmanager answered {exc.code} to {path.split('?')[0]}: {exc.read(300).decode('utf-8', 'replace')}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise TestPageError(f"cannot reach Alertmanager at {self.url}: {reason}") from None

    def post_alerts(self, alerts: list[dict]) -> None:
        self._open("/api/v2/alerts", json.dumps(alerts).encode())

    def alerts(self, matcher: str) -> list[dict]:
        return json.loads(self._open("/api/v2/alerts?" + urllib.parse.urlencode({"filter": matcher})))

    def config(self) -> dict:
        return yaml.safe_load(json.loads(self._open("/api/v2/status"))["config"]["original"])

    def counters(self) -> dict[tuple[str, str], float]:
        """(``sent``|``failed``, integration) -> count, from ``/metrics``."""
        out: dict[tuple[str, str], float] = {}
        text = self._open("/metrics").decode("utf-8", "replace")
        for family in text_string_to_metric_families(text):
            kind = {"alertmanager_notification_requests": "sent", "alertmanager_notification_requests_failed": "failed"}.get(family.name)
            if kind is None:
                continue
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    out[(kind, sample.labels.get("integration", ""))] = sample.value
        return out


def alert(team: str, severity: str, test_id: str, ends: dt.datetime) -> dict:
    """The test alert as Prometheus would post it (``ends``: its end time)."""
    return {
        "labels": {"alertname": ALERTNAME, "team": team, "severity": severity, "chain": CHAIN, "test_id": test_id},
        "annotations": {
            "summary": f"TEST PAGE from chainwatch test-page for team {team} ({severity}): no action needed",
            "description": f"A synthetic alert sent by `chainwatch test-page` to prove that {severity} alerts of team {team} reach their receivers. It resolves by itself.",
            "value": "test",
        },
        "startsAt": _now().isoformat(),
        "endsAt": ends.isoformat(),
        "generatorURL": "",
    }


def integrations(config: dict, receiver: str) -> list[str]:
    """The integrations (``pagerduty``, ``opsgenie`` ...) of a receiver of the loaded config."""
    for r in config.get("receivers") or []:
        if r.get("name") == receiver:
            return sorted(INTEGRATIONS[k] for k in r if k in INTEGRATIONS and r[k])
    return []


def send(am: Client, team: str, severity: str, timeout: float = 120.0, poll: float = 0.5, log=lambda line: None) -> Result:
    """Send, wait for delivery, resolve (module docstring). ``TestPageError`` when the alert
    reaches no receiver, a receiver fails, or nothing is delivered within ``timeout`` seconds;
    the alert is resolved in every case once it was sent."""
    test_id = secrets.token_hex(4)
    before = am.counters()
    started = time.monotonic()
    body = alert(team, severity, test_id, _now() + LIFETIME)
    am.post_alerts([body])
    log(f"sent {ALERTNAME} test_id={test_id} team={team} severity={severity}")
    try:
        found = _routed(am, test_id, poll)
        receivers = sorted({r["name"] for r in found.get("receivers", [])})
        result = Result(test_id, receivers)
        status = found.get("status", {})
        if status.get("inhibitedBy") or status.get("silencedBy"):
            raise TestPageError(f"the test alert is {'inhibited' if status.get('inhibitedBy') else 'silenced'} in Alertmanager: nothing is sent")
        config = am.config()
        wanted = sorted({i for r in receivers for i in integrations(config, r)})
        log(f"routed to {', '.join(receivers) or 'nothing'}" + (f" ({', '.join(wanted)})" if wanted else ""))
        if not wanted:
            raise TestPageError(f"team {team}'s {severity} alerts go to {', '.join(receivers) or 'no receiver'}, which notifies nobody")
        deadline = started + timeout
        while True:
            now = am.counters()
            result.delivered = [
                i for i in wanted if now.get(("sent", i), 0) - now.get(("failed", i), 0) > before.get(("sent", i), 0) - before.get(("failed", i), 0)
            ]
            result.failed = [i for i in wanted if now.get(("failed", i), 0) > before.get(("failed", i), 0)]
            if result.failed:
                raise TestPageError(f"Alertmanager failed to notify {', '.join(result.failed)} (see its log: a refused key or an unreachable URL)")
            if len(result.delivered) == len(wanted):
                break
            if time.monotonic() > deadline:
                missing = [i for i in wanted if i not in result.delivered]
                raise TestPageError(f"no send of {', '.join(missing)} within {timeout:g}s (group_wait of the route longer? Alertmanager busy?)")
            time.sleep(poll)
        result.seconds = time.monotonic() - started
        log(f"delivered to {', '.join(result.delivered)} in {result.seconds:.1f}s")
        return result
    finally:
        am.post_alerts([{**body, "endsAt": _now().isoformat()}])
        log(f"resolved test_id={test_id}")


def _routed(am: Client, test_id: str, poll: float) -> dict:
    """The alert as Alertmanager holds it (with its receivers), once it is there."""
    for _ in range(int(10 / poll) + 1):
        found = am.alerts(f'test_id="{test_id}"')
        if found:
            return found[0]
        time.sleep(poll)
    raise TestPageError("Alertmanager accepted the test alert but does not list it")
