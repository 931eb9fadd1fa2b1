"""SSRF: ``/probe`` fetches only configured endpoints, whatever the request says.

The exporter runs next to a hostile server that records every request it receives; the
bad requests name that very server (as a URL, with path tricks, oversized), so any
outbound request they caused would be seen there. ``test_anvil.py`` covers the basic
names against real nodes; this adds the "and nothing was fetched" half and more tricks.
"""

from __future__ import annotations

import time
import urllib.parse

import pytest

from tests.support.hostile import HostileServer, evm_kind
from tests.support.poll import hold

from .harness import start


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ssrf")
    with HostileServer(evm_kind()) as srv:
        chains = {
            "eth": {
                "kind": "evm",
                "network": "mainnet",
                "chain_id": 1,
                "endpoints": [
                    {"name": "node-1", "url": srv.url("ok", "node"), "role": "node"},
                    {"name": "ref-1", "url": srv.url("ok", "ref"), "role": "reference"},
                ],
            }
        }
        with start(tmp, chains, min_probe_interval_seconds=0, reference_max_age_seconds=0) as exporter:
            yield srv, exporter


def bad_requests(srv: HostileServer) -> list[str]:
    own = f"http://127.0.0.1:{srv.port}"
    q = urllib.parse.quote
    return [
        f"/probe?target={q(own + '/ok/stolen')}",
        f"/probe?target={q(own + '/latest/meta-data/iam/security-credentials/')}",
        f"/probe?target={q('127.0.0.1:' + str(srv.port))}",
        f"/probe?chain={q(own + '/ok/stolen')}",
        "/probe?target=node-1/../ref-1",
        "/probe?target=../node-1",
        "/probe?target=node-1%2F..%2F..%2Fok",
        "/probe?target=node-1%00",
        "/probe?target=node-1%0d%0aX-Injected:%201",
        "/probe?target=NODE-1",
        "/probe?target=node-1%20",
        "/probe?target=",
        "/probe?target=" + "n" * 65,
        "/probe?target=" + "node-1" * 1200,  # 7 KB: under aiohttp's line limit, reaches the handler
        "/probe?target=node-1&chain=eth",
        "/probe",
        "/probe?chain=../eth",
        "/probe?chain=eth%2F..",
        f"/probe?target={q('http://169.254.169.254/latest/meta-data/')}",
        f"/probe?target={q('http://[fd00:ec2::254]/latest/meta-data/')}",
        f"/probe?target={q('file:///etc/passwd')}",
    ]


def test_bad_targets_get_400_and_nothing_is_fetched(setup):
    srv, exporter = setup
    assert exporter.get("/probe?target=node-1")[0] == 200  # warm: the good path works (its fetches are done when it answers)
    seen = len(srv.requests)
    for path in bad_requests(srv):
        started = time.monotonic()
        status, body = exporter.get(path)
        assert status == 400, (path, status, body[:200])
        # Rejected up front: a fetch attempt (to a metadata address that never answers here)
        # would wait for the 10 s default timeout; 3 s leaves a loaded machine its margin.
        assert time.monotonic() - started < 3.0, path
        assert "chainwatch_" not in body, path
    hold(lambda: srv.requests[seen:] == [], 0.3, "a rejected /probe request caused no outbound request", describe=lambda _: str(srv.requests[seen:]))


def test_oversized_request_line_is_refused_without_fetching(setup):
    srv, exporter = setup
    seen = len(srv.requests)
    status, _ = exporter.get("/probe?target=" + "x" * 100_000)
    assert status in (400, 414)  # aiohttp refuses lines over 8 KB before any handler runs
    assert exporter.get("/-/healthy")[0] == 200
    assert srv.requests[seen:] == []


def test_extra_parameters_never_choose_what_is_fetched(setup):
    srv, exporter = setup
    seen = len(srv.requests)
    own = f"http://127.0.0.1:{srv.port}/ok/stolen"
    status, body = exporter.get(f"/probe?target=node-1&url={urllib.parse.quote(own)}&module={urllib.parse.quote(own)}")
    assert status == 200 and 'endpoint="node-1"' in body  # its fetches are done when it answers
    paths = {p for _, p, _, _ in srv.requests[seen:]}
    assert paths and all(p.startswith("/ok/node") or p.startswith("/ok/ref") for p in paths), paths


def test_exporter_answers_nothing_else_that_could_fetch(setup):
    _, exporter = setup
    for path in ["/probe/../metrics/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/-/reload?config.file=/etc/passwd"]:
        status, body = exporter.get(path)
        assert status in (404, 405), (path, status)
        assert "root:" not in body
