"""What a scraper gets for what it asks: gzip on ``Accept-Encoding: gzip``, OpenMetrics on
``Accept: application/openmetrics-text; version=1.0.0``, and the exporter's own
``process_*`` series on ``/metrics`` and ``/-/metrics`` only.

The text answers pass ``promtool check metrics`` (which reads the text format only); the
OpenMetrics answers are parsed with prometheus_client's OpenMetrics parser, which rejects
what the spec rejects (a missing ``# EOF``, a counter family named ``_total``, ...).
"""

from __future__ import annotations

import gzip
import subprocess

import aiohttp
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.openmetrics import exposition as openmetrics_exposition
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text

from chainwatch.exporters.exposition import RoundCollector, render_chunks
from chainwatch.exporters.negotiate import EOF, OPENMETRICS, TEXT, ProcessMetrics, to_openmetrics, wants_gzip, wants_openmetrics
from tests.exporter.test_exposition_render import every_metric_samples
from tests.support import require_binary
from tests.support.served import ServedExporter

CONFIG = """
chains:
  devnet:
    kind: evm
    network: anvil
    chain_id: 31337
    endpoints:
      - {name: node-1, url: "http://127.0.0.1:9/", role: node}
"""

PROMETHEUS_2_ACCEPT = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
PROMETHEUS_3_ACCEPT = (
    "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,"
    "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1"
)


@pytest.mark.parametrize(
    "accept, expected",
    [
        (PROMETHEUS_2_ACCEPT, True),
        (PROMETHEUS_3_ACCEPT, True),
        ("application/openmetrics-text; version=1.0.0", True),
        ("application/openmetrics-text", True),
        ("application/openmetrics-text; version=0.0.1", False),  # a version we do not write
        ("application/openmetrics-text; q=0, text/plain", False),  # refused explicitly
        ("text/plain;version=0.0.4", False),
        ("*/*", False),
        (None, False),
    ],
)
def test_openmetrics_negotiation(accept, expected):
    assert wants_openmetrics(accept) is expected


@pytest.mark.parametrize(
    "header, expected",
    [
        ("gzip", True),
        ("gzip, deflate", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("gzip;q=0", False),
        ("gzip; q=0.0", False),
        ("*;q=0.1", True),
        ("deflate", False),
        ("", False),
        (None, False),
    ],
)
def test_gzip_negotiation(header, expected):
    assert wants_gzip(header) is expected


def test_openmetrics_rendering_equals_prometheus_clients_byte_for_byte():
    """Every catalog family, tricky label values included: swapping the header lines of the
    text rendering gives exactly what prometheus_client's OpenMetrics encoder writes."""
    samples = every_metric_samples()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RoundCollector(samples))
    expected = openmetrics_exposition.generate_latest(registry)
    chunks = render_chunks(samples)
    assert b"".join(to_openmetrics(chunks)) == expected
    assert b"".join(to_openmetrics([b"".join(chunks)])) == expected  # families in one chunk, as a Block's pieces carry them
    process = ProcessMetrics().render(openmetrics_format=True)
    assert not process.endswith(EOF) and b"# TYPE process_cpu_seconds counter" in process
    assert b"".join(to_openmetrics(chunks, process)) == expected.removesuffix(EOF) + process + EOF


def _promtool(text: str) -> None:
    lint = subprocess.run([require_binary("promtool"), "check", "metrics"], input=text, capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr


async def _raw(ex: ServedExporter, path: str, headers: dict) -> tuple[aiohttp.ClientResponse, bytes]:
    async with aiohttp.ClientSession(auto_decompress=False, skip_auto_headers=["Accept-Encoding"]) as session:
        async with session.get(ex.url + path, headers=headers) as resp:
            return resp, await resp.read()


async def test_metrics_gzip_and_openmetrics_answers_are_valid():
    async with ServedExporter(CONFIG) as ex:
        resp, plain = await _raw(ex, "/metrics", {})
        assert resp.headers["Content-Type"] == TEXT and "Content-Encoding" not in resp.headers
        assert int(resp.headers["Content-Length"]) == len(plain)
        _promtool(plain.decode())

        resp, zipped = await _raw(ex, "/metrics", {"Accept-Encoding": "gzip"})
        assert resp.headers["Content-Encoding"] == "gzip" and resp.headers["Content-Type"] == TEXT
        text = gzip.decompress(zipped).decode()
        assert len(zipped) < len(text) / 3
        _promtool(text)

        for encoding in ("gzip", "identity"):
            resp, body = await _raw(ex, "/metrics", {"Accept": PROMETHEUS_2_ACCEPT, "Accept-Encoding": encoding})
            assert resp.headers["Content-Type"] == OPENMETRICS == "application/openmetrics-text; version=1.0.0; charset=utf-8"
            om = (gzip.decompress(body) if encoding == "gzip" else body).decode()
            assert om.endswith("# EOF\n")
            families = {f.name: f for f in parse_openmetrics(om)}
            assert families["chainwatch_probes"].type == "counter"  # the family name without _total, as OpenMetrics wants
            assert families["process_cpu_seconds"].type == "counter"
            # the same series and values as the text answer of a scrape moments apart (same failed probe)
            text_names = {s.name for f in parse_text(text) for s in f.samples}
            om_names = {s.name for f in families.values() for s in f.samples}
            assert om_names == text_names


async def test_process_metrics_on_metrics_and_own_metrics_only():
    async with ServedExporter(CONFIG) as ex:
        for path in ("/metrics", "/-/metrics"):
            samples = await ex.scrape(path)
            assert samples.value("process_resident_memory_bytes") > 0, path
            assert samples.value("process_open_fds") > 0, path
        for path in ("/probe?target=node-1", "/probe?chain=devnet"):
            for headers in ({}, {"Accept": PROMETHEUS_2_ACCEPT, "Accept-Encoding": "gzip"}):
                resp, body = await _raw(ex, path, headers)
                assert resp.status == 200
                body = gzip.decompress(body) if resp.headers.get("Content-Encoding") == "gzip" else body
                assert b"process_" not in body and b"chainwatch_" in body, path
                if headers:
                    assert body.endswith(EOF) and list(parse_openmetrics(body.decode()))
                else:
                    _promtool(body.decode())
