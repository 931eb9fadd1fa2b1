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

from chainwatch.assembly.config import ConfigError, parse
from tests.exporter.test_evm_probe import geth, scrape
from tests.support.fakeserver import FakeServer

METRIC = "chainwatch_tls_earliest_cert_expiry_timestamp_seconds"
VERIFIED = "chainwatch_tls_verified_chain_expiry_timestamp_seconds"
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
        assert s.value(VERIFIED, endpoint="geth-1") == expires.timestamp()  # one path: served = verified
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
        assert s.value(VERIFIED, endpoint="geth-1") is None  # nothing was verified: no verified expiry
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


async def test_a_tls_file_that_breaks_after_load_is_a_bounded_tls_failure(ca, tmp_path):
    """The config loaded with the files there; then one disappears, or is overwritten with
    something that is no PEM: the probe fails with reason ``tls`` naming the field, not its content."""
    garbage = "not-a-pem-s3cret-line"
    with FakeServer() as srv:
        srv.jsonrpc("/node", geth())
        url = srv.url("/node").replace("http://", "https://")
        gone = tmp_path / "gone.pem"
        gone.write_bytes(ca.path.read_bytes())
        snap, s, _ = await scrape(config(url, {"ca_file": gone}), after_load=gone.unlink)
        assert reason(s) == "tls"
        assert "tls.ca_file" in snap.results["geth-1"].detail
        broken = tmp_path / "broken.pem"
        broken.write_bytes(ca.path.read_bytes())
        snap, s, _ = await scrape(config(url, {"ca_file": broken}), after_load=lambda: broken.write_text(garbage + "\n"))
        assert reason(s) == "tls"
        assert "tls.ca_file" in snap.results["geth-1"].detail and garbage not in snap.results["geth-1"].detail


@pytest.mark.parametrize("field", ["ca_file", "cert_file", "key_file"])
def test_a_missing_empty_or_directory_tls_file_is_a_config_error_at_its_line(tmp_path, field):
    """Found when the config loads (``chainwatch check``, ``serve``, a reload refuse it), at the
    field's line, not by the first probe as reason ``tls``; the file's content is never printed."""
    good = tmp_path / "good.pem"
    good.write_text("-----BEGIN CERTIFICATE-----\nMIIBs3cr3t\n-----END CERTIFICATE-----\n")
    (tmp_path / "empty.pem").write_text("")
    for bad, words in ((tmp_path / "missing.pem", "no such file"), (tmp_path, "is a directory, not a file"), (tmp_path / "empty.pem", "is empty")):
        tls = {"ca_file": good, "cert_file": good, "key_file": good, field: bad}
        with pytest.raises(ConfigError) as refused:
            parse(config("https://127.0.0.1:1/node", tls), "chainwatch.yaml", env={})
        (line,) = refused.value.problems
        assert line.startswith(f"chainwatch.yaml:8: chains.eth.endpoints[0].tls.{field}: {bad}: {words} (the exporter reads "), line
        assert "MIIBs3cr3t" not in line
    parse(config("https://127.0.0.1:1/node", {"ca_file": tmp_path / "missing.pem"}), env={}, need_secrets=False)  # a machine that only renders


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


# ----------------------------------------------------------------------------- the verified chain (issue #25)


def _cross_signed_pki(tmp_path):
    """The AddTrust/USERTrust shape of blackbox_exporter#637 (field case tls-expired-cross-cert):
    a trusted root, an intermediate, a 127.0.0.1 leaf valid 80 days, and a cross-signed copy of
    the root (same subject and key) issued by an old root that expired 400 days ago. The server
    sends leaf + intermediate + cross; a client trusting the root verifies leaf -> intermediate ->
    root and never uses the cross certificate. Made at test time with ``cryptography`` (trustme's
    own dependency), since trustme issues no cross certificates."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def cert(subject, key, issuer, issuer_key, not_after, ca, days_before=3000):
        b = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - dt.timedelta(days=days_before))
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        )
        if ca:
            b = b.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        else:
            b = b.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        return b.sign(issuer_key, hashes.SHA256())

    root_key, old_key, inter_key, leaf_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(4))
    root_name = name("Test Root R2")
    leaf_expiry = NOW + dt.timedelta(days=80)
    cross_expiry = NOW - dt.timedelta(days=400)
    root = cert(root_name, root_key, root_name, root_key, NOW + dt.timedelta(days=5000), True)
    cross = cert(root_name, root_key, name("Old External CA Root"), old_key, cross_expiry, True)
    inter = cert(name("Test Intermediate"), inter_key, root_name, root_key, NOW + dt.timedelta(days=1500), True, days_before=300)
    leaf = cert(name("127.0.0.1"), leaf_key, name("Test Intermediate"), inter_key, leaf_expiry, False, days_before=10)
    pem = lambda c: c.public_bytes(serialization.Encoding.PEM)  # noqa: E731
    (tmp_path / "root.pem").write_bytes(pem(root))
    (tmp_path / "chain.pem").write_bytes(pem(leaf) + pem(inter) + pem(cross))
    (tmp_path / "leaf.key").write_bytes(leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return tmp_path / "root.pem", leaf_expiry, cross_expiry


def _serve_chain(tmp_path) -> FakeServer:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(tmp_path / "chain.pem"), str(tmp_path / "leaf.key"))
    srv = FakeServer(ssl_context=ctx).start()
    srv.jsonrpc("/node", geth())
    return srv


async def test_an_unused_expired_cross_certificate_is_not_the_verified_expiry(tmp_path):
    from chainwatch.assembly.config import parse
    from chainwatch.exporters.checkcmd import COLUMNS, rows

    root, leaf_expiry, cross_expiry = _cross_signed_pki(tmp_path)
    srv = _serve_chain(tmp_path)
    try:
        text = config(srv.url("/node"), {"ca_file": root})
        snap, s, _ = await scrape(text)
        assert s.value("chainwatch_probe_success", endpoint="geth-1") == 1, snap.results["geth-1"].detail  # the handshake verifies
        assert s.value(METRIC, endpoint="geth-1") == cross_expiry.timestamp()  # served: the cross certificate, 400 days ago
        assert s.value(VERIFIED, endpoint="geth-1") == leaf_expiry.timestamp()  # verified: leaf -> intermediate -> root
        (row,) = rows(parse(text, env={}), snap)
        assert row[COLUMNS.index("cert expiry")] in ("79d", "80d")  # not EXPIRED
        # verification off: nothing verified, so no verified expiry; check says whose expiry it shows
        snap, s, _ = await scrape(config(srv.url("/node"), {"insecure_skip_verify": True}))
        assert s.value(METRIC, endpoint="geth-1") == cross_expiry.timestamp()
        assert s.value(VERIFIED, endpoint="geth-1") is None
        (row,) = rows(parse(config(srv.url("/node"), {"insecure_skip_verify": True}), env={}), snap)
        assert row[COLUMNS.index("cert expiry")] == "EXPIRED (unverified)"
    finally:
        srv.stop()
