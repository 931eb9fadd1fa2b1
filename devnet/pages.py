"""What a captured notification means: which alert, which target, page or resolve.

The capture server (``capture.py``) records raw PagerDuty / Opsgenie requests; this module
reads the fields our generated Alertmanager config puts in them (``details.alertname``,
``chain``, ``endpoint``, ``severity``) so the demo and the end-to-end tests can talk about
alerts instead of HTTP bodies. An Opsgenie close carries only the alias: it is matched to
the create that opened it.
"""

from __future__ import annotations

from dataclasses import dataclass

from chainwatch.devnet.capture import Notification


@dataclass(frozen=True)
class Page:
    service: str  # pagerduty | opsgenie
    action: str  # trigger/create (page) or resolve/close
    alertname: str
    chain: str
    endpoint: str
    severity: str
    summary: str
    key: str
    received_at: float

    @property
    def is_page(self) -> bool:
        return self.action in ("trigger", "create")

    @property
    def is_resolve(self) -> bool:
        return self.action in ("resolve", "close")

    def to_json(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    def line(self) -> str:
        where = self.chain + (f"/{self.endpoint}" if self.endpoint else "")
        return f"{self.service:<9} {self.action:<8} {self.alertname} [{self.severity}] {where}: {self.summary}"


def _details(n: Notification) -> dict:
    body = n.body if isinstance(n.body, dict) else {}
    if n.service == "pagerduty":
        return (body.get("payload") or {}).get("custom_details") or {}
    return body.get("details") or {}


def interpret(notifications: list[Notification]) -> list[Page]:
    """Turn captured requests into pages/resolves (other requests are left out)."""
    opened: dict[str, dict] = {}
    out: list[Page] = []
    for n in notifications:
        if n.service not in ("pagerduty", "opsgenie"):
            continue
        details = _details(n)
        key = n.key or ""
        if details.get("alertname"):
            opened[f"{n.service}:{key}"] = details
        else:
            details = opened.get(f"{n.service}:{key}", {})
        endpoint = details.get("endpoint", "")
        out.append(
            Page(
                service=n.service,
                action=n.action,
                alertname=details.get("alertname", "?"),
                chain=details.get("chain", ""),
                endpoint="" if endpoint in ("-", "*") or endpoint.startswith("all ") else endpoint,
                severity=details.get("severity", ""),
                summary=n.summary,
                key=key,
                received_at=n.received_at,
            )
        )
    return out
