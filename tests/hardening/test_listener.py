"""The exporter's own listener under hostile clients: malformed requests, HEAD, lifecycle, SIGTERM.

A real ``chainwatch serve`` (subprocess) where memory, logs, exit time or signals matter,
the app in the test's loop (:class:`~tests.support.served.ServedExporter`) otherwise; the
upstream is :class:`~tests.support.hostile.HostileServer`, which records every request.
Figures behind the bounds: docs/reliability.md.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import threading
import time
import urllib.request

import pytest

from chainwatch.exporters.limits import ListenerLog
from tests.support.hostile import HostileServer, evm_kind
from tests.support.poll import wait_until
from tests.support.served import ServedExporter
from tests.support.stack import Samples, write_config

from .harness import reasons, start

RSS_BOUND_MB = 200  # the bound; before the fix this load passed 1 GB
SCRAPE_300 = {"X-Prometheus-Scrape-Timeout-Seconds": "300"}


def chains(url: str) -> dict:
    return {"eth": {"kind": "evm", "network": "mainnet", "chain_id": 1, "endpoints": [{"name": "node-1", "url": url, "role": "node"}]}}


def memory_mb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (the peak) of ``pid``, in MB."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) // 1024
    return out


async def _send(port: int, payload: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(payload)
        try:
            await asyncio.wait_for(writer.drain(), 10)
        except (ConnectionError, asyncio.TimeoutError):
            pass  # refused before the client finished sending: what we want
        return await asyncio.wait_for(reader.read(200), 10)
    finally:
        writer.close()


def flood(port: int, payload: bytes, *, concurrent: int, rounds: int) -> list[bytes]:
    async def main():
        answers = []
        for _ in range(rounds):
            answers += await asyncio.gather(*(_send(port, payload) for _ in range(concurrent)), return_exceptions=True)
        return answers

    return asyncio.run(main())


def test_a_flood_of_malformed_requests_keeps_memory_bounded_and_logs_few_bounded_lines(tmp_path):
    with HostileServer(evm_kind()) as srv, start(tmp_path, chains(srv.url("ok", "node"))) as exporter:
        before = memory_mb(exporter.pid)
        # 600 requests with a 1 MB header line (200 at a time), then 600 with a 65 KB method.
        big_header = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n"
        answers = flood(exporter.port, big_header, concurrent=200, rounds=3)
        answers += flood(exporter.port, b"A" * 65000 + b" / HTTP/1.1\r\nHost: x\r\n\r\n", concurrent=200, rounds=3)
        after = memory_mb(exporter.pid)
        assert after["VmHWM"] < RSS_BOUND_MB, (before, after)
        refused = [a for a in answers if isinstance(a, bytes) and a[:12] in (b"HTTP/1.0 400", b"HTTP/1.1 400")]
        # Each one answered 400, or reset: closing a socket with the client's unread bytes still
        # in it sends a reset, which may overtake the 400 (how often depends on the machine's
        # load). None hangs, and none gets anything else.
        other = [a for a in answers if not (a in refused or isinstance(a, ConnectionError) or a == b"")]
        assert refused and not other, (len(refused), other[:3])
        samples = exporter.metrics()  # and it still serves
        assert samples.value("chainwatch_probe_success", endpoint="node-1") == 1
        log = exporter.log_path.read_text().splitlines()
        assert all(line.startswith("ts=") for line in log), [line[:200] for line in log if not line.startswith("ts=")][:5]  # no raw newline
        listener = [line for line in log if "logger=chainwatch.listener" in line]
        assert 1 <= len(listener) <= 12, listener[:20]  # ten a minute at most, then summarised
        assert all("level=warning" in line and len(line) < 500 for line in listener), listener
        assert not [line for line in log if "level=error" in line or "Traceback" in line], log[:20]


def test_the_listener_log_is_one_escaped_bounded_line_and_summarises_floods(caplog):
    from aiohttp.http_exceptions import BadHttpMessage

    listener = ListenerLog(burst=3, window=60)
    caplog.set_level(logging.DEBUG, logger="chainwatch.listener")
    for _ in range(10):
        exc = BadHttpMessage("Span callback error:\n\n  b'" + "x" * 65000 + "\r\nInjected: line'\n ^")
        listener.exception("Error handling request from %s", "127.0.0.1", exc_info=exc)
        assert exc.__traceback__ is None
    records = caplog.records
    assert len(records) == 3
    for record in records:
        assert record.levelno == logging.WARNING and record.getMessage() == "request refused"
        assert record.client == "127.0.0.1" and record.reason == "BadHttpMessage"
        assert len(record.detail) <= 160 and "\n" not in record.detail and "\r" not in record.detail
    listener.window_start -= 61  # a minute later: the next line reports the refusals not written
    listener.exception("Error handling request from %s", "127.0.0.1", exc_info=BadHttpMessage("bad"))
    assert caplog.records[-1].suppressed == 7


def _raw(port: int, data: bytes, *, until: bytes, timeout: float = 10) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        got = b""
        while until not in got:
            chunk = sock.recv(65536)
            if not chunk:
                break
            got += chunk
        return got


@pytest.mark.parametrize("path", ["/metrics", "/probe?target=node-1", "/", "/-/metrics"])
async def test_head_answers_headers_only_and_probes_nothing(path):
    with HostileServer(evm_kind()) as srv:
        async with ServedExporter(f"chains: {chains(srv.url('ok', 'node'))}") as ex:
            # HEAD then GET on one keep-alive connection: the second answer must follow the
            # first's headers directly, with nothing of a body in between.
            request = f"HEAD {path} HTTP/1.1\r\nHost: x\r\n\r\nGET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n".encode()
            got = await asyncio.to_thread(_raw, ex.port, request, until=b"OK\n")
            head, _, rest = got.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200"), got[:300]
            assert rest.startswith(b"HTTP/1.1 200") and rest.endswith(b"\r\n\r\nOK\n"), got[:600]
            assert srv.requests == []


async def test_head_of_health_is_refused_rather_than_answered_without_a_probe():
    with HostileServer(evm_kind()) as srv:
        async with ServedExporter(f"chains: {chains(srv.url('ok', 'node'))}") as ex:
            async with ex.session.head(ex.url + "/health?target=node-1") as resp:
                assert resp.status == 405 and resp.headers["Allow"] == "GET"
            assert srv.requests == []


async def test_reload_is_refused_without_the_lifecycle_flag_and_its_body_is_not_read():
    with HostileServer(evm_kind()) as srv:
        async with ServedExporter(f"chains: {chains(srv.url('ok', 'node'))}") as ex:
            reloaded_at = ex.exporter.reload_at
            started = time.monotonic()
            # 64 MB announced, 1 MB sent: an answer without reading the rest is the contract.
            request = b"POST /-/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 67108864\r\n\r\n" + b"x" * (1 << 20)
            got = await asyncio.to_thread(_raw, ex.port, request, until=b"enabled.\n")
            assert got.startswith(b"HTTP/1.1 403") and b"Lifecycle API is not enabled." in got, got[:300]
            assert time.monotonic() - started < 5
            assert ex.exporter.reload_at == reloaded_at


def test_sigterm_answers_a_300s_scrape_in_flight_and_exits_within_the_drain_time(tmp_path):
    drain = 3.0
    with (
        HostileServer(evm_kind()) as srv,
        start(tmp_path, chains(srv.url("stall_before_headers", "node")), args=("--web.shutdown-timeout", str(drain))) as exporter,
    ):
        answer: dict = {}

        def scrape():
            req = urllib.request.Request(exporter.url + "/metrics", headers=SCRAPE_300)
            with urllib.request.urlopen(req, timeout=60) as resp:
                answer["status"], answer["body"] = resp.status, resp.read().decode()

        scraper = threading.Thread(target=scrape)
        scraper.start()
        wait_until(lambda: srv.requests, 10, "the probe reached the never-answering upstream")
        sent = time.monotonic()
        exporter.signal(signal.SIGTERM)
        exporter.proc.wait(drain + 10)  # the drain, plus start-up of the exit on a loaded 2-core machine
        exited = time.monotonic() - sent
        scraper.join(5)
        assert exited < drain + 3, exited  # the contract: well inside Kubernetes' 30 s grace
        assert answer.get("status") == 200, answer
        samples = Samples.parse(answer["body"])
        assert samples.value("chainwatch_probe_success", endpoint="node-1") == 0
        assert reasons(samples, "node-1") == ["timeout"]
        assert samples.value("chainwatch_build_info") == 1  # complete: the exporter's own families at the end


def test_without_the_lifecycle_flag_post_is_refused_and_sighup_still_reloads(tmp_path):
    with HostileServer(evm_kind()) as srv, start(tmp_path, chains(srv.url("ok", "node"))) as exporter:
        doc = chains(srv.url("ok", "node"))
        doc["eth"]["endpoints"].append({"name": "node-2", "url": srv.url("ok", "node2"), "role": "node"})
        write_config(tmp_path / "chainwatch.yaml", doc)
        status, body = exporter.post("/-/reload")
        assert (status, body) == (403, "Lifecycle API is not enabled.\n")
        assert exporter.metrics().value("chainwatch_probe_success", endpoint="node-2") is None
        exporter.signal(signal.SIGHUP)
        wait_until(lambda: exporter.metrics().value("chainwatch_probe_success", endpoint="node-2") == 1, 10, "node-2 served after SIGHUP")


def test_the_listening_sockets_have_small_receive_buffers_and_refuse_a_port_in_use():
    from chainwatch.devnet.procs import free_port
    from chainwatch.exporters.limits import RECEIVE_BUFFER_BYTES
    from chainwatch.exporters.listen import ListenError, bind_all, parse_address

    port = free_port()
    socks = bind_all([parse_address(f"127.0.0.1:{port}")])
    try:
        assert [s.getsockname() for s in socks] == [("127.0.0.1", port)]
        assert socks[0].getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) <= 2 * RECEIVE_BUFFER_BYTES  # Linux reports it doubled
        with pytest.raises(ListenError):
            bind_all([parse_address(f"127.0.0.1:{port}")])
    finally:
        for s in socks:
            s.close()
