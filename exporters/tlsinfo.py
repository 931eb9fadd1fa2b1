"""TLS per endpoint: the client context an endpoint's ``tls:`` asks for, and the expiry of
the certificate chain its server presented — read on the probe's own connection.

Expiry is ``probe_ssl_earliest_cert_expiry`` of blackbox_exporter: the earliest ``notAfter``
of every certificate the server *sent* (its served chain, leaf and intermediates), as a unix
time. blackbox reads Go's ``ConnectionState().PeerCertificates``; here it is the handshake's
own chain, taken from the connection's ``ssl_object`` after the request, so no extra
connection or request is made per scrape.

Where the chain comes from (decided for Python 3.11+, no extra dependency):
- Python >= 3.13: ``SSLObject.get_unverified_chain()`` (public API, the served chain);
- Python 3.10-3.12: the same method on the private ``SSLObject._sslobj`` (present since
  3.10, made public in 3.13 unchanged);
- otherwise: the leaf only, from ``getpeercert()`` (empty when verification is off).
Each certificate's ``get_info()["notAfter"]`` (``"Jan  5 09:34:43 2027 GMT"``) is turned
into seconds by :func:`ssl.cert_time_to_seconds`. One parse per TLS connection: the result
is kept on a weak map keyed by the connection's ``SSLObject``, so keep-alive scrapes read
a cached number.
"""

from __future__ import annotations

import ssl
import weakref

from chainwatch.core.chain import TLSConfig

_EXPIRY: "weakref.WeakKeyDictionary[object, float | None]" = weakref.WeakKeyDictionary()
_CONTEXTS: dict[TLSConfig, ssl.SSLContext] = {}


class TLSConfigError(ValueError):
    """A ``tls:`` file that cannot be loaded (missing, not PEM, key not matching the certificate)."""


def context(tls: TLSConfig | None) -> ssl.SSLContext | None:
    """The client context of an endpoint's ``tls:`` block; None means the defaults (system CAs).

    Built once per distinct block (the model is frozen and hashable). Raises
    :class:`TLSConfigError` naming the field when a file cannot be loaded.
    """
    if tls is None:
        return None
    ctx = _CONTEXTS.get(tls)
    if ctx is not None:
        return ctx
    ctx = ssl.create_default_context()
    try:
        if tls.ca_file:
            ctx.load_verify_locations(cafile=tls.ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise TLSConfigError(f"tls.ca_file: cannot load ({type(exc).__name__}: {getattr(exc, 'strerror', None) or exc})") from None
    try:
        if tls.cert_file:
            ctx.load_cert_chain(tls.cert_file, tls.key_file)
    except (OSError, ssl.SSLError) as exc:
        raise TLSConfigError(f"tls.cert_file/key_file: cannot load ({type(exc).__name__}: {getattr(exc, 'strerror', None) or exc})") from None
    if tls.insecure_skip_verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    _CONTEXTS[tls] = ctx
    return ctx


def served_chain(ssl_object) -> list:
    """The certificates the server sent, as ``_ssl.Certificate`` objects (may be empty)."""
    getter = getattr(ssl_object, "get_unverified_chain", None)  # Python >= 3.13
    if getter is None:
        getter = getattr(getattr(ssl_object, "_sslobj", None), "get_unverified_chain", None)  # 3.10 - 3.12
    if getter is None:
        return []
    try:
        return list(getter() or [])
    except (ValueError, ssl.SSLError):
        return []


def earliest_expiry(ssl_object) -> float | None:
    """Unix time of the earliest ``notAfter`` in the served chain; None when unknown. Cached per connection."""
    if ssl_object is None:
        return None
    try:
        return _EXPIRY[ssl_object]
    except (KeyError, TypeError):
        pass
    stamps = []
    for cert in served_chain(ssl_object):
        try:
            stamps.append(ssl.cert_time_to_seconds(cert.get_info()["notAfter"]))
        except (KeyError, ValueError, TypeError):
            continue
    if not stamps:
        try:
            leaf = ssl_object.getpeercert() or {}
            if leaf.get("notAfter"):
                stamps.append(ssl.cert_time_to_seconds(leaf["notAfter"]))
        except (ValueError, ssl.SSLError):
            pass
    value = float(min(stamps)) if stamps else None
    try:
        _EXPIRY[ssl_object] = value
    except TypeError:
        pass
    return value


def connection_expiry(resp) -> float | None:
    """The expiry for the connection an aiohttp response arrived on; None for plain HTTP.

    Call right after the headers arrived. A small body arrives with them and aiohttp has then
    already handed the connection back to its pool (``resp.connection`` is None), so the
    response's protocol (aiohttp's ``ClientResponse._protocol``, set in ``start()``) is the
    fallback: its transport is the same TLS connection until the loop closes it.
    """
    conn = getattr(resp, "connection", None)
    protocol = conn.protocol if conn is not None else getattr(resp, "_protocol", None)
    transport = getattr(protocol, "transport", None)
    if transport is None:
        return None
    return earliest_expiry(transport.get_extra_info("ssl_object"))
