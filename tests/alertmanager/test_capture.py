"""The capture server the e2e tests and the demo use, on its own."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from chainwatch.devnet.capture import CaptureServer


def post(url: str, body: dict, headers: dict | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json", **(headers or {})}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_records_pages_and_resolves_like_the_real_apis_answer():
    with CaptureServer() as capture:
        status, reply = post(capture.pagerduty_url, {"routing_key": "k", "dedup_key": "abc", "event_action": "trigger", "payload": {"summary": "[eth] x"}})
        assert (status, reply["status"], reply["dedup_key"]) == (202, "success", "abc")
        status, reply = post(capture.opsgenie_url + "v2/alerts", {"alias": "abc", "message": "[eth] x", "priority": "P1"}, {"Authorization": "GenieKey s3cret"})
        assert status == 202 and reply["result"] == "Request will be processed"
        post(capture.opsgenie_url + "v2/alerts/abc/close?identifierType=alias", {"source": "chainwatch"}, {"Authorization": "GenieKey s3cret"})
        post(capture.pagerduty_url, {"routing_key": "k", "dedup_key": "abc", "event_action": "resolve"})
        assert post(capture.url + "/elsewhere", {})[0] == 404

        assert [(n.service, n.action, n.key, n.summary) for n in capture.pages()] == [
            ("pagerduty", "trigger", "abc", "[eth] x"),
            ("opsgenie", "create", "abc", "[eth] x"),
        ]
        assert [(n.service, n.action, n.key) for n in capture.resolves()] == [("opsgenie", "close", "abc"), ("pagerduty", "resolve", "abc")]
        assert capture.received("other")[0].path == "/elsewhere"
        og = capture.pages("opsgenie")[0]
        assert og.headers["Authorization"] == "GenieKey s3cret"
        assert "s3cret" not in repr(og)  # printing a notification never shows the key
        assert [n.line() for n in capture.received() if n.service != "other"] == [
            "pagerduty trigger [eth] x (key abc)",
            "opsgenie create P1 [eth] x (key abc)",
            "opsgenie close (key abc)",
            "pagerduty resolve (key abc)",
        ]


def test_wait_for_times_out_naming_what_arrived():
    with CaptureServer() as capture:
        post(capture.pagerduty_url, {"dedup_key": "a", "event_action": "trigger", "payload": {"summary": "only this"}})
        with pytest.raises(TimeoutError, match=r"received 1: \[\"pagerduty:trigger:'only this'\"\]"):
            capture.wait_for(lambda got: len(got) >= 2, timeout=0.3)
