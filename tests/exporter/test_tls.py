"""TLS per endpoint: private CA, client certificates, server name, certificate expiry.

Each test serves EVM JSON-RPC (geth-shaped answers from tests/support/fakeserver.py, a fake,
not a node) over real TLS on loopback, with certificates of a chosen expiry issued by a
private CA made at test time with ``trustme``. The exporter's real transport, scheduler and
exposition are exercised as in production.
"""

from __future__ import annotations

import datetime as dt
import ssl

import pytest
import trustme

from tests.exporter.test_evm_probe import geth, scrape
from tests.support.fakeserver import FakeServer

METRIC = "chainwatch_tls_earliest_cert_expiry_timestamp_seconds"
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def serve(
    ca: trustme.CA, *identities: str, not_after: dt.datetime | None = None, issuer: trustme.CA | None = None, client_ca: trustme.CA | None = None
) -> FakeServer:
    """An HTTPS JSON-RPC server whose leaf is issued by ``issuer`` (default ``ca``) for ``identities``."""
    leaf = (issuer or ca).issue_cert(
        *(identities or ("127.0.0.1",)), not_after=not_after, not_before=None if not_after is None or not_after > NOW else not_after - dt.timedelta(days=30)
    )
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(ctx)
    if client_ca is not None:  # mutual TLS: the server requires a client certificate of this CA
        ctx.verify_mode = ssl.CERT_REQUIRED
        client_ca.configure_trust(ctx)
    srv = FakeServer(ssl_context=ctx).start()
    srv.jsonrpc("/node", geth())
    return srv


def config(url: str, tls: dict | None = None) -> str:
    tls_text = ""
    if tls:
        tls_text = ", tls: {" + ", ".join(f"{k}: {v if isinstance(v, bool) else repr(str(v))}".replace("True", "true") for k, v in tls.items()) + "}"
    return f"""
chains:
  eth:
    kind: evm
    network: mainnet
    chain_id: 1
    endpoints:
      - {{name: geth-1, url: "{url}", role: node{tls_text}}}
"""


@pytest.fixture
def ca(tmp_path):
    authority = trustme.CA()
    path = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(path))
    authority.path = path
    return authority


def reason(s) -> str | None:
    return next((labels["reason"] for labels, v in s.find("chainwatch_probe_failure_reason", endpoint="geth-1") if v == 1), None)


async def test_private_ca_reports_the_served_certificates_expiry(ca):
    expires = NOW + dt.timedelta(days=10)
    srv = serve(ca, not_after=expires)
    try:
        snap, s, _ = await scrape(config(srv.url("/node"), {"ca_file": ca.path}))
        assert s.value("chainwatch_probe_success", endpoint="geth-1") == 1, snap.results["geth-1"].detail
        assert s.value(METRIC, endpoint="geth-1") == expires.timestamp()
    finally:
        srv.stop()


async def test_earliest_expiry_of_a_chain_with_an_intermediate(ca):
    intermediate = ca.create_child_ca()
    expires = NOW + dt.timedelta(days=2)
    srv = serve(ca, not_after=expires, issuer=intermediate)  # served chain: leaf + intermediate
    try:
        _, s, _ = await scrape(config(srv.url("/node"), {"ca_file": ca.path}))
        assert s.value("chainwatch_probe_success", endpoint="geth-1") == 1
        assert s.value(METRIC, endpoint="geth-1") == expires.timestamp()
    finally:
        srv.stop()


async def test_unknown_ca_is_a_tls_failure_without_expiry(ca):
    srv = serve(ca)
    try:
        _, s, _ = await scrape(config(srv.url("/node")))  # system CAs only: the private CA is not trusted
        assert reason(s) == "tls"
        assert s.value(METRIC, endpoint="geth-1") is None
    finally:
        srv.stop()


async def test_expired_certificate_is_tls_unless_verification_is_skipped(ca):
    expired = NOW - dt.timedelta(days=1)
    srv = serve(ca, not_after=expired)
    try:
        _, s, _ = await scrape(config(srv.url("/node"), {"ca_file": ca.path}))
        assert reason(s) == "tls"
        # insecure_skip_verify: the probe goes on, and the expiry (in the past) is still reported.
        _, s, _ = await scrape(config(srv.url("/node"), {"insecure_skip_verify": True}))
        assert s.value("chainwatch_probe_success", endpoint="geth-1") == 1
        assert s.value(METRIC, endpoint="geth-1") == expired.timestamp()
    finally:
        srv.stop()


async def test_wrong_host_name_is_tls_and_server_name_fixes_it(ca):
    srv = serve(ca, "rpc.internal.example")
    try:
        _, s, _ = await scrape(config(srv.url("/node"), {"ca_file": ca.path}))
        assert reason(s) == "tls"
        _, s, _ = await scrape(config(srv.url("/node"), {"ca_file": ca.path, "server_name": "rpc.internal.example"}))
        assert s.value("chainwatch_probe_success", endpoint="geth-1") == 1
    finally:
        srv.stop()


async def test_client_certificate_required_by_the_server(ca, tmp_path):
    clients = trustme.CA()
    client = clients.issue_cert("chainwatch@example")
    cert_file, key_file = tmp_path / "client.pem", tmp_path / "client.key"
    cert_file.write_bytes(b"".join(blob.bytes() for blob in client.cert_chain_pems))
    client.private_key_pem.write_to_path(str(key_file))
    srv = serve(ca, client_ca=clients)
    try:
        _, s, _ = await scrape(config(srv.url("/node"), {"ca_file": ca.path}))
        assert s.value("chainwatch_probe_success", endpoint="geth-1") == 0  # refused during or right after the handshake
        assert reason(s) in ("tls", "connect")
        snap, s, _ = await scrape(config(srv.url("/node"), {"ca_file": ca.path, "cert_file": cert_file, "key_file": key_file}))
        assert s.value("chainwatch_probe_success", endpoint="geth-1") == 1, snap.results["geth-1"].detail
        assert s.value(METRIC, endpoint="geth-1") is not None
    finally:
        srv.stop()


async def test_unreadable_tls_file_is_a_bounded_tls_failure(tmp_path):
    with FakeServer() as srv:
        srv.jsonrpc("/node", geth())
        snap, s, _ = await scrape(config(srv.url("/node").replace("http://", "https://"), {"ca_file": tmp_path / "missing.pem"}))
        assert reason(s) == "tls"
        assert "tls.ca_file" in snap.results["geth-1"].detail


async def test_plain_http_has_no_expiry_and_keep_alive_costs_no_extra_request(ca):
    with FakeServer() as plain:
        plain.jsonrpc("/node", geth())
        _, s, _ = await scrape(config(plain.url("/node")))
        assert s.value("chainwatch_probe_success", endpoint="geth-1") == 1
        assert s.value(METRIC, endpoint="geth-1") is None
    srv = serve(ca, not_after=NOW + dt.timedelta(days=40))
    try:
        _, s, _ = await scrape(config(srv.url("/node"), {"ca_file": ca.path}))
        assert s.value(METRIC, endpoint="geth-1") is not None
        assert srv.calls("POST", "/node") == 1  # the expiry came with the probe's own answer
    finally:
        srv.stop()
