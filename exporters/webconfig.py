"""``--web.config.file``: TLS and basic auth on the listener, in exporter-toolkit's file format.

The format node_exporter, blackbox_exporter and Prometheus itself read
(https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md)::

    tls_server_config:
      cert_file: /etc/chainwatch/tls.crt      # relative paths: from this file's directory
      key_file: /etc/chainwatch/tls.key
      client_auth_type: RequireAndVerifyClientCert   # optional; default NoClientCert
      client_ca_file: /etc/chainwatch/clients-ca.crt
      min_version: TLS12                      # TLS10 .. TLS13; default TLS12
      max_version: TLS13
      cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]   # Go names; TLS <= 1.2 only
    http_server_config:
      headers: {Strict-Transport-Security: max-age=31536000, X-Content-Type-Options: nosniff}
    basic_auth_users:
      prometheus: $2y$10$...                  # bcrypt hash: htpasswd -nBC 10 "" | tr -d ':\\n'

Basic auth covers every path (``/metrics``, ``/probe``, ``/health``, ``/-/*``); a missing or
wrong password is ``401`` with ``WWW-Authenticate: Basic``. A password is checked with bcrypt
once (~70 ms at cost 10, in a thread, never on the event loop) and the verdict is cached,
as exporter-toolkit does.

``client_allowed_sans`` (with ``RequireAndVerifyClientCert``): a verified client certificate
must also carry one of these SANs (DNS name, IP address, e-mail or URI, exact match), else
the request is answered ``403`` and the connection closed.

Not supported, and refused rather than ignored (each would silently weaken what the
operator asked for): inline ``cert``/``key``, ``curve_preferences``,
``rate_limit``, and the client auth types that accept an unverified certificate
(``RequestClientCert``, ``RequireAnyClientCert``). ``http2`` is accepted and has no effect
(the listener speaks HTTP/1.1).

Reload: SIGHUP (and every config reload) reads the file again. New users, passwords,
headers, certificates, keys and client CAs apply to the next request or TLS handshake; a
file that fails to load is logged and the previous one stays. Turning TLS on or off, and
changing ``client_auth_type``, the versions or the cipher suites, need a restart (a
connection takes those from the listening socket's context, which cannot be replaced).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import logging
import os
import re
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import bcrypt
from aiohttp import web
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from chainwatch.core import yamlsource

log = logging.getLogger("chainwatch.webconfig")


class WebConfigError(ValueError):
    """A bad web config; ``problems`` are ``file:line: field: message`` lines."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)


VERSIONS = {"TLS10": ssl.TLSVersion.TLSv1, "TLS11": ssl.TLSVersion.TLSv1_1, "TLS12": ssl.TLSVersion.TLSv1_2, "TLS13": ssl.TLSVersion.TLSv1_3}

# Go's crypto/tls names (tls.CipherSuites(): the secure ones) -> OpenSSL's.
CIPHER_SUITES = {
    "TLS_RSA_WITH_AES_128_CBC_SHA": "AES128-SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA": "AES256-SHA",
    "TLS_RSA_WITH_AES_128_GCM_SHA256": "AES128-GCM-SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384": "AES256-GCM-SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": "ECDHE-ECDSA-AES128-SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": "ECDHE-ECDSA-AES256-SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": "ECDHE-RSA-AES128-SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": "ECDHE-RSA-AES256-SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": "ECDHE-ECDSA-AES128-GCM-SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": "ECDHE-RSA-AES128-GCM-SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": "ECDHE-ECDSA-AES256-GCM-SHA384",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": "ECDHE-RSA-AES256-GCM-SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-RSA-CHACHA20-POLY1305",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-ECDSA-CHACHA20-POLY1305",
}

CLIENT_AUTH = {
    "NoClientCert": ssl.CERT_NONE,
    "VerifyClientCertIfGiven": ssl.CERT_OPTIONAL,
    "RequireAndVerifyClientCert": ssl.CERT_REQUIRED,
}
_UNVERIFIED = ("RequestClientCert", "RequireAnyClientCert")
_BCRYPT = re.compile(r"^\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}$")

_REFUSED = {
    "cert": "inline certificates are not supported by chainwatch: use cert_file",
    "key": "inline keys are not supported by chainwatch: use key_file",
    "curve_preferences": "not supported by chainwatch (OpenSSL's default curves are used)",
    "rate_limit": "not supported by chainwatch",
}


class TLSServerConfig(_Strict):
    cert_file: str
    key_file: str
    client_auth_type: str = "NoClientCert"
    client_ca_file: str | None = None
    client_ca: str | None = None
    client_allowed_sans: list[str] = Field(default_factory=list)
    min_version: Literal["TLS10", "TLS11", "TLS12", "TLS13"] = "TLS12"
    max_version: Literal["TLS10", "TLS11", "TLS12", "TLS13"] = "TLS13"
    cipher_suites: list[str] = Field(default_factory=list)
    prefer_server_cipher_suites: bool = True

    @field_validator("client_auth_type")
    @classmethod
    def _auth_type(cls, value: str) -> str:
        if value in _UNVERIFIED:
            raise ValueError(f"{value} accepts a certificate nobody verified; chainwatch supports {', '.join(CLIENT_AUTH)}")
        if value not in CLIENT_AUTH:
            raise ValueError(f"must be one of {', '.join(CLIENT_AUTH)} (got {value!r})")
        return value

    @field_validator("client_allowed_sans")
    @classmethod
    def _sans_need_certificates(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if value and info.data.get("client_auth_type") != "RequireAndVerifyClientCert":
            raise ValueError("needs client_auth_type: RequireAndVerifyClientCert (a client without a verified certificate has no SAN to match)")
        return value

    @field_validator("cipher_suites")
    @classmethod
    def _suites(cls, value: list[str]) -> list[str]:
        unknown = [s for s in value if s not in CIPHER_SUITES]
        if unknown:
            raise ValueError(
                f"unknown or insecure cipher suite {unknown[0]!r}; known: Go's tls.CipherSuites() names, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
            )
        return value


class Headers(_Strict):
    content_security_policy: str | None = Field(None, alias="Content-Security-Policy")
    x_frame_options: Literal["deny", "sameorigin", "DENY", "SAMEORIGIN"] | None = Field(None, alias="X-Frame-Options")
    x_content_type_options: Literal["nosniff"] | None = Field(None, alias="X-Content-Type-Options")
    x_xss_protection: str | None = Field(None, alias="X-XSS-Protection")
    strict_transport_security: str | None = Field(None, alias="Strict-Transport-Security")

    def items(self) -> list[tuple[str, str]]:
        return [(info.alias, value) for name, info in type(self).model_fields.items() if (value := getattr(self, name))]


class HTTPServerConfig(_Strict):
    http2: bool = True  # accepted for compatibility; the listener speaks HTTP/1.1
    headers: Headers = Field(default_factory=Headers)


def _bcrypt_hash(value: str) -> str:
    if not _BCRYPT.match(value):
        raise ValueError("not a bcrypt hash ($2y$10$ and 53 characters; make one with htpasswd -nBC 10 \"\" | tr -d ':\\n')")
    return value


class WebConfigFile(_Strict):
    tls_server_config: TLSServerConfig | None = None
    http_server_config: HTTPServerConfig = Field(default_factory=HTTPServerConfig)
    basic_auth_users: dict[str, Annotated[str, AfterValidator(_bcrypt_hash)]] = Field(default_factory=dict)


@dataclass
class WebConfig:
    """A loaded web config: the TLS context (None: plain HTTP), the users and headers."""

    path: str | None = None
    tls: ssl.SSLContext | None = None
    users: dict[str, bytes] = field(default_factory=dict)  # user -> bcrypt hash
    headers: list[tuple[str, str]] = field(default_factory=list)
    tls_policy: dict[str, object] = field(default_factory=dict)  # the TLS fields a reload cannot change (see WebListener.reload)
    allowed_sans: frozenset[str] = frozenset()  # client_allowed_sans: a client certificate must carry one of them


def load(path: str | os.PathLike) -> WebConfig:
    """Read and check ``path`` (certificates and keys loaded, so a wrong path or a key that
    does not match its certificate fails here, at the field's line). Raises :class:`WebConfigError`."""
    filename = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:  # no line to point at: the file itself is the problem
        raise WebConfigError([f"web config file {filename}: {yamlsource.unopenable(exc)}"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise WebConfigError([f"{filename}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"]) from None
    try:
        data, source = yamlsource.load(text)
    except yamlsource.YamlSourceError as exc:
        raise WebConfigError([f"{filename}:{exc.line}: {exc.message}"]) from None
    if data in (None, {}):
        return WebConfig(path=filename)
    if not isinstance(data, dict):
        raise WebConfigError([f"{filename}:1: the web config must be a mapping (tls_server_config, http_server_config, basic_auth_users)"])
    problems = _refused(data, source, filename)
    if problems:
        raise WebConfigError(problems)
    try:
        model = WebConfigFile.model_validate(data)
    except ValidationError as exc:
        raise WebConfigError(_format(exc, data, source, filename)) from None
    base = Path(filename).parent
    tls = _context(model.tls_server_config, base, source, filename) if model.tls_server_config else None
    users = {user: hashed.encode("ascii") for user, hashed in model.basic_auth_users.items()}
    policy = model.tls_server_config.model_dump(include=set(_POLICY)) if model.tls_server_config else {}
    sans = frozenset(model.tls_server_config.client_allowed_sans) if model.tls_server_config else frozenset()
    return WebConfig(path=filename, tls=tls, users=users, headers=model.http_server_config.headers.items(), tls_policy=policy, allowed_sans=sans)


# Set on each connection when it is created from the listening socket's context; switching a
# handshake to a reloaded context (the SNI callback) changes its certificate and CA store only.
_POLICY = ("client_auth_type", "min_version", "max_version", "cipher_suites", "prefer_server_cipher_suites")


def _refused(data: dict, source: yamlsource.SourceMap, filename: str) -> list[str]:
    out = []
    for section, keys in (((), ("rate_limit",)), (("tls_server_config",), ("cert", "key", "curve_preferences"))):
        node: Any = data
        for part in section:
            node = node.get(part) if isinstance(node, dict) else None
        for key in keys:
            if isinstance(node, dict) and key in node:
                path = (*section, key)
                out.append(f"{filename}:{source.line_for(path)}: {yamlsource.dotted(path)}: {_REFUSED[key]}")
    return out


def _format(exc: ValidationError, data: Any, source: yamlsource.SourceMap, filename: str) -> list[str]:
    problems = []
    for err in exc.errors():
        path: list = []
        node = data
        for part in err["loc"]:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            elif isinstance(node, dict) and isinstance(part, str):
                node = None  # a missing field: its parent's line, its own name
            else:
                continue
            path.append(part)
        where = yamlsource.dotted(tuple(path)) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (exporter-toolkit web config format; see docs/listener.md)"
        line = f"{filename}:{source.line_for(tuple(path))}: {where}: {msg}"
        if line not in problems:
            problems.append(line)
    return problems


def _context(tls: TLSServerConfig, base: Path, source: yamlsource.SourceMap, filename: str) -> ssl.SSLContext:
    def fail(field_: str, message: str) -> WebConfigError:
        path = ("tls_server_config", field_)
        return WebConfigError([f"{filename}:{source.line_for(path)}: tls_server_config.{field_}: {message}"])

    def resolve(name: str, value: str) -> str:
        resolved = base / value
        if not resolved.is_file() or not os.access(resolved, os.R_OK):
            raise fail(name, f"{resolved}: {'not readable' if resolved.is_file() else 'no such file'}")
        return str(resolved)

    if VERSIONS[tls.min_version] > VERSIONS[tls.max_version]:
        raise fail("min_version", f"{tls.min_version} is above max_version {tls.max_version}")
    cert, key = resolve("cert_file", tls.cert_file), resolve("key_file", tls.key_file)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        ctx.minimum_version = VERSIONS[tls.min_version]
        ctx.maximum_version = VERSIONS[tls.max_version]
    except ValueError as exc:  # pragma: no cover - an OpenSSL built without that version
        raise fail("min_version", str(exc)) from None
    try:
        ctx.load_cert_chain(cert, key)
    except ssl.SSLError as exc:
        raise fail("key_file", f"the key does not match cert_file, or one of them is not PEM ({exc.reason or exc})") from None
    if tls.cipher_suites:
        try:
            ctx.set_ciphers(":".join(CIPHER_SUITES[s] for s in tls.cipher_suites))
        except ssl.SSLError:
            raise fail("cipher_suites", "none of these suites is available in this OpenSSL") from None
    if tls.prefer_server_cipher_suites:
        ctx.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
    ctx.verify_mode = CLIENT_AUTH[tls.client_auth_type]
    if tls.client_ca_file and tls.client_ca:
        raise fail("client_ca", "give client_ca or client_ca_file, not both")
    if ctx.verify_mode != ssl.CERT_NONE and not (tls.client_ca_file or tls.client_ca):
        raise fail("client_auth_type", f"{tls.client_auth_type} needs client_ca_file (the CA that signs client certificates)")
    try:
        if tls.client_ca_file:
            ctx.load_verify_locations(cafile=resolve("client_ca_file", tls.client_ca_file))
        elif tls.client_ca:
            ctx.load_verify_locations(cadata=tls.client_ca)
    except ssl.SSLError as exc:
        raise fail("client_ca_file" if tls.client_ca_file else "client_ca", f"not a PEM CA certificate ({exc.reason or exc})") from None
    return ctx


# ---------------------------------------------------------------------- serving


_DUMMY_HASH = b"$2b$10$" + b"." * 53  # well-formed, matches no password: an unknown user costs a cost-10 check, as htpasswd -B makes
_CACHE_SIZE = 1024


class WebListener:
    """The web config in force: the TLS context handed to the server socket, and the auth
    and headers middleware. :meth:`reload` swaps them without a restart."""

    def __init__(self, config: WebConfig):
        self.config = config
        self._verdicts: dict[bytes, bool] = {}
        self._checks = asyncio.Semaphore(2)  # bcrypt is slow on purpose: a flood of guesses keeps two threads, not the pool
        self.ssl_context: ssl.SSLContext | None = None
        if config.tls is not None:
            # The socket keeps this context; each handshake switches to the current one
            # (called with or without SNI), so a reload's new certificate applies at once.
            self.ssl_context = config.tls
            config.tls.sni_callback = self._current_context
        if config.users and config.tls is None:
            log.warning("basic auth without TLS: passwords cross the network in clear text", extra={"web_config": config.path})

    def _current_context(self, sslobj: ssl.SSLObject, _server_name: str | None, _ctx: ssl.SSLContext) -> None:
        current = self.config.tls
        if current is not None and sslobj.context is not current:
            sslobj.context = current

    def reload(self) -> bool:
        """Read the file again; on an error log it and keep the config in force."""
        if self.config.path is None:
            return True
        try:
            config = load(self.config.path)
        except WebConfigError as exc:
            log.error("web config reload rejected; keeping the previous one", extra={"problems": exc.problems})
            return False
        if (config.tls is None) != (self.config.tls is None):
            log.error("web config reload rejected: turning TLS on or off needs a restart", extra={"web_config": config.path})
            return False
        changed = [name for name in _POLICY if config.tls_policy.get(name) != self.config.tls_policy.get(name)]
        if changed:
            log.error(
                "web config reload rejected: a TLS policy change needs a restart",
                extra={"web_config": config.path, "fields": ",".join(f"tls_server_config.{name}" for name in changed)},
            )
            return False
        self.config = config
        self._verdicts.clear()
        log.info("web config reloaded", extra={"web_config": config.path, "tls": config.tls is not None, "users": len(config.users)})
        return True

    async def authorized(self, header: str | None) -> bool:
        users = self.config.users
        if not users:
            return True
        if not header or not header[:6].lower() == "basic ":
            return False
        try:
            user, sep, password = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        if not sep:
            return False
        hashed = users.get(user)
        key = hashlib.sha256(b"\0".join([user.encode(), password.encode(), hashed or b""])).digest()
        verdict = self._verdicts.get(key)
        if verdict is None:
            async with self._checks:
                # An unknown user costs a bcrypt check too, so timing does not tell which users exist.
                match = await asyncio.to_thread(bcrypt.checkpw, password.encode(), hashed or _DUMMY_HASH)
            verdict = match and hashed is not None
            if len(self._verdicts) >= _CACHE_SIZE:
                self._verdicts.clear()
            self._verdicts[key] = verdict
        return verdict

    def install(self, app: web.Application) -> None:
        """Basic auth in front of every route, and the configured headers on every answer."""

        @web.middleware
        async def basic_auth(request: web.Request, handler):
            allowed = self.config.allowed_sans
            if allowed and not allowed.intersection(_sans(request.transport.get_extra_info("peercert") if request.transport else None)):
                # exporter-toolkit ends such a handshake; here the handshake is over, so answer and close
                return web.Response(status=403, text="client certificate not allowed\n", headers={"Connection": "close"})
            if not await self.authorized(request.headers.get("Authorization")):
                return web.Response(status=401, text="Unauthorized\n", headers={"WWW-Authenticate": 'Basic realm="chainwatch"'})
            return await handler(request)

        async def add_headers(_request: web.Request, response: web.StreamResponse) -> None:
            for name, value in self.config.headers:
                response.headers[name] = value

        app.middlewares.insert(0, basic_auth)
        app.on_response_prepare.append(add_headers)


def _sans(peercert: dict | None) -> list[str]:
    """The Subject Alternative Names of a verified client certificate (DNS, IP, e-mail, URI),
    as ``ssl.SSLSocket.getpeercert()`` gives them: ``(("DNS", "x"), ("IP Address", "10.0.0.1"), ...)``."""
    return [value for _kind, value in (peercert or {}).get("subjectAltName", ())]
