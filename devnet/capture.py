"""A local stand-in for PagerDuty and Opsgenie that records what Alertmanager sends.

Point a generated Alertmanager config at it (``pagerduty.url`` and ``opsgenie.api_url`` in
the team config) and every notification becomes a ``Notification`` you can inspect: the
demo prints the pages, the tests assert the exact payloads. It answers like the real APIs
(HTTP 202 with the usual JSON), so Alertmanager treats each send as delivered.

    capture = CaptureServer().start()
    # teams.<t>.pagerduty.url: capture.pagerduty_url
    # teams.<t>.opsgenie.api_url: capture.opsgenie_url
    capture.wait_for(lambda ns: any(n.action == "trigger" for n in ns), timeout=30)
    for n in capture.pages():
        print(n.line())
    capture.stop()

Paths: ``/pagerduty/v2/enqueue`` (Events API v2) and ``/opsgenie/v2/alerts[/<alias>/close]``
(Alert API v2). Anything else is recorded with service ``other`` and answered 404.
Headers are kept for assertions (Opsgenie's ``Authorization: GenieKey ...``) but never
shown by ``repr``/``str``: they carry API keys.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

PAGERDUTY_PREFIX = "/pagerduty"
OPSGENIE_PREFIX = "/opsgenie"


@dataclass(frozen=True)
class Notification:
    service: str  # "pagerduty" | "opsgenie" | "other"
    action: str  # pagerduty: trigger/resolve/acknowledge; opsgenie: create/close; other: the method
    method: str
    path: str
    body: Any  # parsed JSON, or the raw text if it was not JSON
    received_at: float
    headers: dict[str, str] = field(repr=False)

    @property
    def is_page(self) -> bool:
        """True for something that opens (or re-notifies) an incident, not for a resolve."""
        return self.action in ("trigger", "create")

    @property
    def key(self) -> str | None:
        """The incident identity: PagerDuty dedup_key or Opsgenie alias."""
        if self.service == "pagerduty" and isinstance(self.body, dict):
            return self.body.get("dedup_key")
        if self.service == "opsgenie":
            if self.action == "close":
                return self.path.split("/")[-2]
            if isinstance(self.body, dict):
                return self.body.get("alias")
        return None

    @property
    def summary(self) -> str:
        """What a human sees first: the PagerDuty summary or the Opsgenie message."""
        if not isinstance(self.body, dict):
            return ""
        if self.service == "pagerduty":
            return (self.body.get("payload") or {}).get("summary", "")
        return self.body.get("message", "") or self.body.get("note", "")

    def line(self) -> str:
        """One safe line for a terminal: ``pagerduty trigger critical [ethereum] geth-1 ... (key 0449aaec)``."""
        body = self.body if isinstance(self.body, dict) else {}
        level = (body.get("payload") or {}).get("severity") if self.service == "pagerduty" else body.get("priority")
        key = f" (key {self.key[:8]})" if self.key else ""
        return " ".join(p for p in (self.service, self.action, level or "", self.summary) if p) + key


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def log_message(self, format, *args):  # noqa: A002 - keep Alertmanager's requests off stderr
        pass

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        path = self.path.split("?", 1)[0]
        if path.startswith(PAGERDUTY_PREFIX + "/"):
            service = "pagerduty"
            action = body.get("event_action", "") if isinstance(body, dict) else ""
            reply = {"status": "success", "message": "Event processed", "dedup_key": body.get("dedup_key") if isinstance(body, dict) else None}
            status = 202
        elif path.startswith(OPSGENIE_PREFIX + "/"):
            service = "opsgenie"
            action = "close" if path.endswith("/close") else "create" if path.endswith("/v2/alerts") else self.command.lower()
            reply = {"result": "Request will be processed", "took": 0.01, "requestId": str(uuid.uuid4())}
            status = 202
        else:
            service, action, reply, status = "other", self.command.lower(), {"message": "not found"}, 404
        self.server.owner._record(Notification(service, action, self.command, self.path, body, time.time(), {k: v for k, v in self.headers.items()}))
        data = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_POST = do_PUT = do_PATCH = do_GET = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: "CaptureServer"


class CaptureServer:
    """Records PagerDuty and Opsgenie notifications on ``host:port`` (port 0: any free port)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self._host = host
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._items: list[Notification] = []
        self._cond = threading.Condition()

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> "CaptureServer":
        server = _Server((self._host, self._port), _Handler)
        server.owner = self
        self._server = server
        self._port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, name="chainwatch-capture", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self) -> "CaptureServer":
        return self.start() if self._server is None else self

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---------------------------------------------------------------- addresses

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._port}"

    @property
    def pagerduty_url(self) -> str:
        """For ``pagerduty.url``: the Events API v2 enqueue endpoint."""
        return f"{self.url}{PAGERDUTY_PREFIX}/v2/enqueue"

    @property
    def opsgenie_url(self) -> str:
        """For ``opsgenie.api_url``: Alertmanager appends ``v2/alerts``."""
        return f"{self.url}{OPSGENIE_PREFIX}/"

    # ---------------------------------------------------------------- what arrived

    def _record(self, item: Notification) -> None:
        with self._cond:
            self._items.append(item)
            self._cond.notify_all()

    def received(self, service: str | None = None) -> list[Notification]:
        """Everything received so far, oldest first (optionally of one service)."""
        with self._cond:
            return [n for n in self._items if service is None or n.service == service]

    def pages(self, service: str | None = None) -> list[Notification]:
        """Notifications that open an incident (PagerDuty trigger, Opsgenie create)."""
        return [n for n in self.received(service) if n.is_page]

    def resolves(self, service: str | None = None) -> list[Notification]:
        """PagerDuty resolve events and Opsgenie closes."""
        return [n for n in self.received(service) if n.action in ("resolve", "close")]

    def clear(self) -> None:
        with self._cond:
            self._items.clear()

    def wait_for(self, predicate: Callable[[list[Notification]], bool], timeout: float = 30.0) -> list[Notification]:
        """Block until ``predicate(received())`` is true; TimeoutError names what did arrive."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(list(self._items)):
                left = deadline - time.monotonic()
                if left <= 0:
                    got = [f"{n.service}:{n.action}:{n.summary!r}" for n in self._items]
                    raise TimeoutError(f"condition not met within {timeout}s; received {len(got)}: {got}")
                self._cond.wait(left)
            return list(self._items)
