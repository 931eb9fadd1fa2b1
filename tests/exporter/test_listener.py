"""The listener as exporter-toolkit defines it, driven as an operator drives it: the real
``chainwatch serve`` process, its flags, its port and its web config file.

- ``--web.listen-address`` takes ``:port``, ``host:port`` and ``[::1]:port``;
- a port in use is one line and exit 1 before anything starts;
- ``--web.config.file``: TLS (a private CA's loopback certificate, made here with trustme)
  and bcrypt basic auth on every path; a bad file names file, line and field; SIGHUP re-reads it;
- ``--version`` prints version, Python and platform.
"""

from __future__ import annotations

import base64
import platform
import signal
import socket
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import bcrypt
import pytest
import trustme

from chainwatch.devnet.procs import Proc, free_port
from chainwatch.exporters import listen, webconfig
from tests.support.poll import wait_until

CHAINWATCH = [sys.executable, "-m", "chainwatch.cli"]
START_SECONDS = 30  # the exporter imports and starts in ~2 s; a loaded 2-core machine: more


def _config(tmp_path: Path, beacon_url: str = "http://127.0.0.1:9/") -> Path:
    """One beacon chain with a validator monitor (the first thing a bad start used to launch)."""
    path = tmp_path / "chainwatch.yaml"
    path.write_text(
        "chains:\n"
        "  eth:\n"
        "    kind: beacon\n"
        "    network: mainnet\n"
        '    genesis_validators_root: "0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95"\n'
        f"    endpoints: [{{name: bn-1, url: '{beacon_url}', role: node}}]\n"
        "    validators: {endpoint: bn-1, groups: {ops: [1, 2]}}\n"
        f"exporter: {{state_dir: '{tmp_path / 'state'}'}}\n"
    )
    return path


def _get(url: str, *, auth: tuple[str, str] | None = None, context: ssl.SSLContext | None = None) -> tuple[int, dict, str]:
    headers = {"Authorization": "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()} if auth else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10, context=context) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def _serve(tmp_path: Path, *args: str) -> Proc:
    return Proc("exporter", [*CHAINWATCH, "serve", "--config.file", str(_config(tmp_path)), *args], log=tmp_path / "exporter.log").start()


def _answers(proc: Proc, url: str, context: ssl.SSLContext | None = None) -> None:
    def up():
        if not proc.alive():
            pytest.fail(f"exporter exited: {(proc.log.read_text() if proc.log.exists() else '')[-2000:]}")
        try:
            return _get(url, context=context)[0]
        except (OSError, urllib.error.URLError):
            return None

    wait_until(up, START_SECONDS, f"{url} answers")


# ---------------------------------------------------------------------- listen address


@pytest.mark.parametrize(
    "text, host, port",
    [(":9877", None, 9877), ("0.0.0.0:9877", "0.0.0.0", 9877), ("localhost:1", "localhost", 1), ("[::1]:9877", "::1", 9877), ("[::]:80", "::", 80)],
)
def test_listen_address_forms_of_go_net_listen(text, host, port):
    address = listen.parse_address(text)
    assert (address.host, address.port) == (host, port)
    assert str(address) == text


@pytest.mark.parametrize("text", ["9877", "::1:9877", "[::1]9877", "[127.0.0.1]:80", "host:", "host:0", "host:65536", "host:http"])
def test_listen_address_rejects_ambiguous_or_invalid(text):
    with pytest.raises(listen.ListenError, match="--web.listen-address"):
        listen.parse_address(text)


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def test_serve_on_port_only_answers_on_ipv4_and_ipv6_loopback(tmp_path):
    port, second = free_port(), free_port()
    with _serve(tmp_path, "--web.listen-address", f":{port}", "--web.listen-address", f"127.0.0.1:{second}") as proc:  # repeatable, as in node_exporter
        _answers(proc, f"http://127.0.0.1:{port}/-/healthy")
        if _ipv6_loopback():
            assert _get(f"http://[::1]:{port}/-/healthy")[0] == 200
        assert _get(f"http://127.0.0.1:{second}/-/healthy")[0] == 200
        assert f"address=:{port},127.0.0.1:{second}" in proc.log.read_text()


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback on this machine")
def test_serve_on_bracketed_ipv6_address(tmp_path):
    port = free_port()
    with _serve(tmp_path, "--web.listen-address", f"[::1]:{port}") as proc:
        _answers(proc, f"http://[::1]:{port}/-/healthy")
        with pytest.raises(OSError):  # only the address asked for
            socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_bind_all_is_all_or_none():
    with socket.socket() as occupant:
        occupant.bind(("127.0.0.1", 0))
        occupant.listen()
        free, taken = free_port(), occupant.getsockname()[1]
        with pytest.raises(listen.ListenError, match=f"127.0.0.1:{taken}: address already in use"):
            listen.bind_all([listen.parse_address(f"127.0.0.1:{free}"), listen.parse_address(f"127.0.0.1:{taken}")])
        for sock in listen.bind_all([listen.parse_address(f"127.0.0.1:{free}")]):  # the first one was released
            sock.close()


def test_port_in_use_is_one_line_and_exit_1_before_anything_starts(tmp_path):
    hits = []
    with socket.socket() as occupant, socket.socket() as beacon:
        occupant.bind(("127.0.0.1", 0))
        occupant.listen()
        port = occupant.getsockname()[1]
        beacon.bind(("127.0.0.1", 0))  # the validator monitor's beacon node: it must never be asked
        beacon.listen()
        beacon.setblocking(False)
        config = _config(tmp_path, f"http://127.0.0.1:{beacon.getsockname()[1]}/")
        done = subprocess.run(
            [*CHAINWATCH, "serve", "--config.file", str(config), "--web.listen-address", f"127.0.0.1:{port}"], capture_output=True, text=True, timeout=60
        )
        try:
            hits.append(beacon.accept())
        except BlockingIOError:
            pass
    assert done.returncode == 1
    assert done.stderr.splitlines() == [f"error: cannot listen on 127.0.0.1:{port}: address already in use"], done.stderr
    assert done.stdout == ""
    assert hits == [], "the validator monitor started although the exporter could not listen"
    assert not (tmp_path / "state").exists()


# ---------------------------------------------------------------------- --version


@pytest.mark.parametrize("args", [["--version"], ["serve", "--version"]])
def test_version_prints_version_python_and_platform(args):
    done = subprocess.run([*CHAINWATCH, *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("chainwatch, version ")
    assert lines[1].split() == ["python:", platform.python_version(), f"({platform.python_implementation()})"]
    assert lines[2].split() == ["platform:", f"{sys.platform}/{platform.machine()}"]


# ---------------------------------------------------------------------- --web.config.file


@pytest.fixture
def pki(tmp_path):
    """A private CA, a server certificate for 127.0.0.1, and a client certificate."""
    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1", "localhost")
    server.cert_chain_pems[0].write_to_path(tmp_path / "tls.crt")
    server.private_key_pem.write_to_path(tmp_path / "tls.key")
    ca.cert_pem.write_to_path(tmp_path / "ca.crt")
    ca.issue_cert("prometheus@example.org").private_key_and_cert_chain_pem.write_to_path(tmp_path / "client.pem")
    ca.issue_cert("intruder@example.org").private_key_and_cert_chain_pem.write_to_path(tmp_path / "other-client.pem")
    return tmp_path


def _hash(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()  # cost 4: the test's speed, not a deployment's


def _client(pki: Path, cert: str | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    if cert:
        context.load_cert_chain(str(pki / cert))
    return context


def test_tls_and_basic_auth_on_every_path_and_sighup_reload(pki):
    web = pki / "web.yml"
    web.write_text(
        "tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n"  # relative to the web config, as exporter-toolkit reads them
        "http_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n"
        f"basic_auth_users:\n  prometheus: '{_hash('s3cret')}'\n"
    )
    port = free_port()
    base = f"https://127.0.0.1:{port}"
    context = _client(pki)
    with _serve(pki, "--web.listen-address", f"127.0.0.1:{port}", "--web.config.file", str(web)) as proc:
        _answers(proc, base + "/-/healthy", context)
        for path in ("/metrics", "/probe?target=bn-1", "/-/healthy", "/-/metrics", "/"):
            status, headers, _ = _get(base + path, context=context)
            assert status == 401 and headers["WWW-Authenticate"].startswith("Basic"), path
            assert headers["X-Content-Type-Options"] == "nosniff"
            assert _get(base + path, auth=("prometheus", "wrong"), context=context)[0] == 401, path
            assert _get(base + path, auth=("nobody", "s3cret"), context=context)[0] == 401, path
        status, headers, body = _get(base + "/metrics", auth=("prometheus", "s3cret"), context=context)
        assert status == 200 and "chainwatch_build_info" in body
        assert headers["X-Content-Type-Options"] == "nosniff"
        with pytest.raises(OSError):  # plain HTTP on the TLS port gets no answer
            urllib.request.urlopen(f"http://127.0.0.1:{port}/-/healthy", timeout=5)
        curl = subprocess.run(
            ["curl", "-sS", "--cacert", str(pki / "ca.crt"), "-u", "prometheus:s3cret", "-o", "/dev/null", "-w", "%{http_code}", base + "/-/healthy"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert curl.stdout == "200", curl.stderr

        web.write_text(web.read_text().replace(_hash_line(web), f"  prometheus: '{_hash('n3w')}'"))
        proc.signal(signal.SIGHUP)
        wait_until(lambda: _get(base + "/-/healthy", auth=("prometheus", "n3w"), context=context)[0] == 200, 10, "new password after SIGHUP")
        assert _get(base + "/-/healthy", auth=("prometheus", "s3cret"), context=context)[0] == 401

        renewed = trustme.CA()  # certificate rotation: a new key and chain, no restart
        leaf = renewed.issue_cert("127.0.0.1")
        leaf.cert_chain_pems[0].write_to_path(pki / "tls.crt")
        leaf.private_key_pem.write_to_path(pki / "tls.key")
        renewed_client = ssl.create_default_context()
        renewed.configure_trust(renewed_client)
        proc.signal(signal.SIGHUP)

        def served_by_renewed():
            try:
                return _get(base + "/-/healthy", auth=("prometheus", "n3w"), context=renewed_client)[0] == 200
            except (ssl.SSLError, urllib.error.URLError):
                return False

        wait_until(served_by_renewed, 10, "renewed certificate served after SIGHUP")

        web.write_text(web.read_text().replace("  key_file: tls.key\n", "  key_file: tls.key\n  min_version: TLS13\n"))
        proc.signal(signal.SIGHUP)  # a policy a live socket cannot take: rejected, named
        wait_until(lambda: "tls_server_config.min_version" in proc.log.read_text(), 10, "policy change rejected")

        web.write_text("basic_auth_users: {prometheus: not-a-hash}\n")  # a broken file: logged, the previous one stays
        proc.signal(signal.SIGHUP)
        wait_until(lambda: "web config reload rejected; keeping the previous one" in proc.log.read_text(), 10, "rejected reload logged")
        assert _get(base + "/-/healthy", auth=("prometheus", "n3w"), context=renewed_client)[0] == 200
        assert "s3cret" not in proc.log.read_text() and "n3w" not in proc.log.read_text()


def _hash_line(web: Path) -> str:
    return next(line for line in web.read_text().splitlines() if line.startswith("  prometheus: "))


def test_client_certificate_required_when_configured(pki):
    web = pki / "web.yml"
    web.write_text(
        f"tls_server_config:\n  cert_file: {pki / 'tls.crt'}\n  key_file: {pki / 'tls.key'}\n"
        f"  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: {pki / 'ca.crt'}\n  min_version: TLS13\n"
        "  client_allowed_sans: [prometheus@example.org]\n"
    )
    port = free_port()
    url = f"https://127.0.0.1:{port}/-/healthy"
    with _serve(pki, "--web.listen-address", f"127.0.0.1:{port}", "--web.config.file", str(web)) as proc:
        _answers(proc, url, _client(pki, "client.pem"))
        assert _get(url, context=_client(pki, "client.pem"))[0] == 200
        with pytest.raises(OSError):  # no certificate: no handshake (URLError, SSLError and resets are all OSErrors)
            _get(url, context=_client(pki))
        status, _, body = _get(url, context=_client(pki, "other-client.pem"))  # signed by the CA, SAN not allowed
        assert (status, body) == (403, "client certificate not allowed\n")


def test_bad_web_config_names_file_line_field_and_exits_2(tmp_path):
    web = tmp_path / "web.yml"
    web.write_text("tls_server_config:\n  cert_file: missing.crt\n  key_file: missing.key\nbasic_auth_users:\n  prometheus: plain-text-password\n")
    done = subprocess.run(
        [*CHAINWATCH, "serve", "--config.file", str(_config(tmp_path)), "--web.listen-address", f"127.0.0.1:{free_port()}", "--web.config.file", str(web)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines()[0].startswith(f"error: {web}:5: basic_auth_users.prometheus: not a bcrypt hash"), done.stderr
    assert "plain-text-password" not in done.stderr


@pytest.mark.parametrize(
    "text, expected",
    [
        ("tls_server_config:\n  cert_file: missing.crt\n  key_file: tls.key\n", ":2: tls_server_config.cert_file: {dir}/missing.crt: no such file"),
        ("tls_server_config:\n  cert_file: tls.crt\n  key_file: ca.crt\n", ":3: tls_server_config.key_file: the key does not match cert_file"),
        ("tls_server_config:\n  cert_file: tls.crt\n", ":1: tls_server_config.key_file: Field required"),
        ("tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n  min_version: TLS14\n", ":4: tls_server_config.min_version: Input should be"),
        (
            "tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n  client_auth_type: RequireAndVerifyClientCert\n",
            ":4: tls_server_config.client_auth_type: ",
        ),
        (
            "tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n  client_auth_type: RequireAnyClientCert\n",
            ":4: tls_server_config.client_auth_type: ",
        ),
        (
            "tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]\n",
            ":4: tls_server_config.cipher_suites: unknown or insecure",
        ),
        (
            "tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n  client_allowed_sans: [a]\n",
            ":4: tls_server_config.client_allowed_sans: needs client_auth_type: RequireAndVerifyClientCert",
        ),
        (
            "tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n  curve_preferences: [X25519]\n",
            ":4: tls_server_config.curve_preferences: not supported",
        ),
        ("http_server_config:\n  headers:\n    X-Frame-Options: allow\n", ":3: http_server_config.headers.X-Frame-Options: Input should be"),
        ("http_server_config:\n  headers:\n    Server: x\n", ":3: http_server_config.headers.Server: unknown key"),
        ("tls_server_confg: {}\n", ":1: tls_server_confg: unknown key"),
        ("basic_auth_users:\n  a: x\n  a: y\n", ":3: basic_auth_users.a: duplicate key"),
    ],
)
def test_web_config_errors_name_file_line_and_field(pki, text, expected):
    web = pki / "web.yml"
    web.write_text(text)
    with pytest.raises(webconfig.WebConfigError) as err:
        webconfig.load(web)
    assert err.value.problems[0].startswith(str(web) + expected.format(dir=pki)), err.value.problems
