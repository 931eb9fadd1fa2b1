"""The one HTTP layer every probe uses.

Choice of client (measured on this project's 2-core machine against 100 ms loopback
endpoints, CPU per request): one shared ``httpx.AsyncClient`` degrades quadratically with
concurrent connections (24 ms at 200, httpcore rescans its pool per request); httpx2
6.4 ms at 1000; one httpx client per endpoint ~0.6 ms flat; one aiohttp session 0.14 ms
flat to 1000. Probing hundreds of endpoints inside a scrape timeout is the exporter's
whole job, so the transport is a single aiohttp session with keep-alive (aiohttp already
comes with web3). Tests mock it with ``aioresponses`` or, better, real loopback servers.

What every probe gets from here, so no probe re-implements it:
- a hard deadline (``asyncio.timeout_at``) shared with the scrape;
- response bodies capped at ``max_response_bytes`` *after* decompression (gzip bombs);
- failures mapped onto the bounded reason set, with messages scrubbed of secrets;
- the round trip measured from send to last byte.
"""

from __future__ import annotations

import asyncio
import json
import re
import math
import os
import ssl
import time
import weakref
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import orjson
from yarl import URL

from chainwatch.core.chain import Endpoint
from chainwatch.exporters.failures import ProbeFailure
from chainwatch.exporters.redact import clip, scrub, use, use_exact
from chainwatch.exporters import tlsinfo

USER_AGENT = "chainwatch"
_WIDE_INT = re.compile(rb"\d{20}")


@dataclass(slots=True)
class Reply:
    status: int
    body: bytes
    elapsed: float
    retry_after: float | None = None
    tls_expiry: tlsinfo.ChainExpiry | None = None  # earliest notAfter of the served and of the verified chain (unix time), https only

    def json(self) -> Any:
        """The body parsed as JSON (RFC 8259). orjson first (``json`` was a few per cent of
        the exporter's CPU in a 1000-endpoint profile); what orjson refuses but ``json`` takes
        (integers past 64 bits, ``NaN``, UTF-16/32 bodies, nesting past 1024) falls back to
        ``json``, so the answers accepted and their values are exactly those of ``json``.
        Raises :class:`ProbeFailure` ``invalid_json`` when neither parses."""
        # orjson does not refuse an integer past 64 bits: it reads it as a float, which no
        # longer says "integer" (and the readers refuse floats); a run of 20 digits is cheap to
        # spot and is the only way such an integer can be written.
        if _WIDE_INT.search(self.body) is None:
            try:
                return orjson.loads(self.body)
            except orjson.JSONDecodeError:
                pass
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: "[[[[..." nested past the limit
            snippet = clip(self.body[:400].decode("utf-8", "replace"), 40)
            raise ProbeFailure("invalid_json", f"{type(exc).__name__} at {snippet!r}") from None


def encode(body: Any) -> bytes:
    """A request body as compact JSON: orjson (the 1000-endpoint profile had ``json.dumps``
    at ~3 % of the exporter's CPU), ``json`` for what orjson refuses (integers past 64 bits).
    Our bodies are ASCII method names and hex parameters, where both give the same bytes."""
    try:
        return orjson.dumps(body)
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(body, separators=(",", ":")).encode()


def join_url(base: str, path: str) -> str:
    """Append an API route to an endpoint URL, keeping the URL's query (``?apikey=``) a query.

    ``https://host/key?apikey=K`` + ``/eth/v1/node/peers?state=connected`` ->
    ``https://host/key/eth/v1/node/peers?apikey=K&state=connected``; plain concatenation
    put the route inside the query and every REST call went to the provider's root.
    """
    if not path:
        return base
    parts = urlsplit(base)
    route, _, query = path.partition("?")
    joined = parts.path.rstrip("/") + "/" + route.lstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, joined, "&".join(q for q in (parts.query, query) if q), parts.fragment))


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header; None when absent or unusable (the caller's default)."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None  # HTTP-date form: callers fall back to their default back-off
    if not math.isfinite(seconds):
        return None  # "nan" read as 0.0 and "inf" as an hour
    return max(0.0, min(seconds, 3600.0))


_JSON = {"Content-Type": "application/json", "Accept": "application/json"}
_PLAIN = {"Accept": "application/json"}


class _Plan:
    """What every request to one endpoint needs and its config fixes: computed once per
    ``Endpoint`` object instead of per request (the secrets are a pydantic private attribute,
    ~4 % of a 1000-endpoint round's CPU read per request; parsing the URL string, ~3 %)."""

    __slots__ = ("endpoint", "text", "secrets", "scrubbed", "base", "urls", "json_headers", "plain_headers")

    MAX_PATHS = 64  # REST routes carry slots and epochs: a bounded number of parsed URLs kept

    def __init__(self, endpoint: Endpoint, ref: weakref.ref):
        self.endpoint = ref  # weak: the plan goes when the config that made the endpoint goes
        self.text = endpoint.url
        self.secrets = endpoint.secrets
        self.scrubbed = tuple(s for s in (endpoint.url, *self.secrets) if s)
        self.base = URL(endpoint.url)
        self.urls: dict[str, URL] | None = None  # by route, for the kinds that call routes
        # Shared by every endpoint without headers of its own (most): aiohttp copies them.
        self.plain_headers = {**_PLAIN, **endpoint.headers} if endpoint.headers else _PLAIN
        self.json_headers = {**_JSON, **endpoint.headers} if endpoint.headers else _JSON

    def url(self, path: str) -> URL:
        if not path:
            return self.base
        if self.urls is None:
            self.urls = {}
        url = self.urls.get(path)
        if url is None:
            url = URL(join_url(self.text, path))
            if len(self.urls) < self.MAX_PATHS:
                self.urls[path] = url
        return url


class Transport:
    def __init__(self, max_response_bytes: int = 10 * 1024 * 1024):
        self.max_response_bytes = max_response_bytes
        self._session: aiohttp.ClientSession | None = None
        self._lock = asyncio.Lock()
        self._plans: dict[int, _Plan] = {}
        # exporters.credits.CreditMeter: counts what endpoints with ``provider:`` are billed.
        self.meter = None

    def _plan(self, endpoint: Endpoint) -> _Plan:
        """The endpoint's :class:`_Plan`, by ``id()``: pydantic models are not hashable. The
        entry is removed when the endpoint object dies (a reload's old config), before its
        id can be reused."""
        key = id(endpoint)
        plans = self._plans
        plan = plans.get(key)
        if plan is None or plan.endpoint() is not endpoint:
            plan = plans[key] = _Plan(endpoint, weakref.ref(endpoint, lambda _, key=key: plans.pop(key, None)))
        return plan

    async def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            async with self._lock:
                if self._session is None or self._session.closed:
                    # No per-host cap: endpoints often share a host (one provider, many keys or
                    # chains; a hostile test server), and a cap of N lets N stalled requests of
                    # one endpoint starve every other endpoint on that host until the deadline
                    # (and inflates their measured latency with pool waiting). Load per endpoint
                    # is bounded by the scheduler instead: one probe in flight per endpoint.
                    connector = aiohttp.TCPConnector(limit=0, limit_per_host=0, ttl_dns_cache=300, keepalive_timeout=60)
                    self._session = aiohttp.ClientSession(
                        connector=connector,
                        timeout=aiohttp.ClientTimeout(total=None),
                        headers={"User-Agent": USER_AGENT},
                        trust_env=False,
                    )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def request(
        self,
        endpoint: Endpoint,
        *,
        method: str = "POST",
        path: str = "",
        body: Any = None,
        deadline: float,
        ok_statuses: tuple[int, ...] = (),
        headers: dict[str, str] | None = None,
        secrets: tuple[str, ...] = (),
    ) -> Reply:
        """Send one request; raise :class:`ProbeFailure` on anything but a usable answer.

        ``deadline`` is an event-loop time. Statuses in ``ok_statuses`` (e.g. 404 for an
        optional Beacon API route, 206/503 for /node/health) are returned, not raised.
        ``headers`` are added to the endpoint's own (e.g. credentials a probe read from a
        file); ``secrets`` are scrubbed from every message like the endpoint's.
        """
        plan = self._plans.get(id(endpoint))
        if plan is None or plan.endpoint() is not endpoint:
            plan = self._plan(endpoint)
        if secrets:
            secrets = (*plan.secrets, *secrets)
            use((endpoint.url, *secrets))  # so details quoting this answer are scrubbed before they are cut
        else:
            secrets = plan.secrets
            use_exact(plan.scrubbed)
        session = self._session if self._session is not None and not self._session.closed else await self.session()
        url = plan.url(path)
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else encode(body)  # bytes: a binary protocol (gRPC-web frames) sent as is
        if headers:
            headers = {**endpoint.headers, **headers}
            if data is not None:
                headers.setdefault("Content-Type", "application/json")
            headers.setdefault("Accept", "application/json")
        else:
            headers = plan.json_headers if data is not None else plan.plain_headers
        extra = tls_options(endpoint) if endpoint.tls is not None else {}
        started = time.perf_counter()
        try:
            async with asyncio.timeout_at(deadline):
                async with session.request(method, url, data=data, headers=headers, allow_redirects=False, **extra) as resp:
                    tls_expiry = tlsinfo.connection_expiry(resp)
                    status = resp.status
                    retry_after = _retry_after(resp.headers.get("Retry-After"))
                    length = resp.content_length
                    if length is not None and length > self.max_response_bytes:
                        raise ProbeFailure("response_too_large", f"Content-Length {length} exceeds {self.max_response_bytes} bytes")
                    payload = await self._read_capped(resp)
        except ProbeFailure:
            raise
        except TimeoutError:
            raise ProbeFailure("timeout", f"no complete answer within the deadline ({time.perf_counter() - started:.3f}s)") from None
        except Exception as exc:  # noqa: BLE001 - every transport error maps to a bounded reason
            raise _classify(exc, endpoint, secrets) from None
        elapsed = time.perf_counter() - started
        # Answers that arrived together wake their probes in one loop iteration: yield once so
        # every one of them is timed before any of them is parsed (keeps JSON parsing and
        # probe logic of other endpoints out of the measured latency).
        await asyncio.sleep(0)
        if self.meter is not None and endpoint.provider is not None and status != 429:  # providers bill answers, not rate limits
            self.meter.count(endpoint.provider, body, endpoint.name)
        if status == 429:
            told = f"Retry-After {retry_after:g}s" if retry_after is not None else "no usable Retry-After"
            raise ProbeFailure("rate_limited", f"HTTP 429 ({told})", retry_after=retry_after)
        if not (200 <= status < 300) and status not in ok_statuses:
            raise ProbeFailure("http_status", f"HTTP {status}", status=status)
        return Reply(status, payload, elapsed, retry_after, tls_expiry)

    async def _read_capped(self, resp: aiohttp.ClientResponse) -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(65536):
            size += len(chunk)
            if size > self.max_response_bytes:
                raise ProbeFailure("response_too_large", f"body exceeds {self.max_response_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)


def tls_options(endpoint: Endpoint) -> dict:
    """aiohttp request options for the endpoint's ``tls:`` (empty: aiohttp's defaults).

    Raises ProbeFailure("tls") when a configured CA or client certificate cannot be loaded.
    """
    if endpoint.tls is None:
        return {}
    try:
        options: dict = {"ssl": tlsinfo.context(endpoint.tls)}
    except tlsinfo.TLSConfigError as exc:
        raise ProbeFailure("tls", str(exc)) from None
    if endpoint.tls.server_name:
        options["server_hostname"] = endpoint.tls.server_name
    return options


def _classify(exc: BaseException, endpoint: Endpoint, secrets: tuple[str, ...] = ()) -> ProbeFailure:
    secrets = secrets or endpoint.secrets
    message = scrub(f"{type(exc).__name__}: {exc}", [endpoint.url, *secrets])
    if isinstance(exc, (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError, ssl.SSLError)):
        return ProbeFailure("tls", message)
    if isinstance(exc, aiohttp.ClientConnectorError):
        # aiohttp's own text ("Cannot connect to host h:p ssl:default [Connect call failed ...]")
        # names its SSL setting even for http://; say what failed, as the OS says it.
        err = exc.os_error
        code = getattr(err, "errno", None)  # > 0: an errno (refused, unreachable); < 0: a resolver error, its own text
        why = (os.strerror(code) if isinstance(code, int) and code > 0 else getattr(err, "strerror", None)) or str(err) or type(err).__name__
        return ProbeFailure("connect", scrub(f"cannot connect to {exc.host}:{exc.port}: {why}", [endpoint.url, *secrets]))
    if isinstance(exc, aiohttp.ClientPayloadError):
        return ProbeFailure("invalid_response", message)
    if isinstance(exc, (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError, ConnectionError)):
        return ProbeFailure("connect", message, dropped=True)
    if isinstance(exc, aiohttp.ClientResponseError):
        # Statuses are checked by hand (no raise_for_status, no redirects), so this is
        # aiohttp's parser refusing the answer (not HTTP, header over 8 KB, 100+ headers,
        # bad chunk size) with a made-up 400: a malformed answer, not an HTTP status.
        detail = scrub(f"malformed HTTP answer: {exc.message}", [endpoint.url, *secrets])
        return ProbeFailure("invalid_response", detail)
    return ProbeFailure("connect", message)
