"""TLS per endpoint: the client context an endpoint's ``tls:`` asks for, and two expiries of
the certificates of its handshake — read on the probe's own connection.

- ``served``: ``probe_ssl_earliest_cert_expiry`` of blackbox_exporter, the earliest ``notAfter``
  of every certificate the server *sent* (leaf, intermediates and whatever else it appends);
- ``verified``: blackbox's ``probe_ssl_last_chain_expiry_timestamp_seconds`` (PR #636), the
  earliest ``notAfter`` of the chain the handshake actually *verified*, leaf to trust anchor.

They differ when a server still sends a certificate no client uses: after the AddTrust root
expired (2020-05-30) servers kept sending the expired "USERTrust RSA (AddTrust)" cross
certificate while clients built the path to the self-signed USERTrust root
(blackbox_exporter#637, #340, #589). The served expiry then lies 400 days in the past on a
handshake that verifies; only the verified one says when clients will refuse the endpoint,
so the alert and ``chainwatch check`` read it. When verification is off
(``insecure_skip_verify``) nothing is verified — OpenSSL still hands back the chain it built,
untrusted — so ``verified`` is None then.

Where the chains come from (Python 3.11+, no extra dependency): OpenSSL's
``SSL_get_peer_cert_chain`` / ``SSL_get0_verified_chain``, exposed as
``SSLObject.get_unverified_chain()`` / ``get_verified_chain()`` — public since Python 3.13,
present unchanged on the private ``SSLObject._sslobj`` since 3.10. Without them: the leaf
only, from ``getpeercert()`` (empty when verification is off), for both. Each certificate's
``get_info()["notAfter"]`` (``"Jan  5 09:34:43 2027 GMT"``) is turned into seconds by
:func:`ssl.cert_time_to_seconds`. One parse per TLS connection: the result is kept on a weak
map keyed by the connection's ``SSLObject``, so keep-alive scrapes read a cached pair.
"""

from __future__ import annotations

import ssl
import weakref
from typing import NamedTuple

from chainwatch.core.chain import TLSConfig


class ChainExpiry(NamedTuple):
    """Unix times of the earliest ``notAfter``: of the served chain, of the verified chain (None: unknown)."""

    served: float | None
    verified: float | None


_EXPIRY: "weakref.WeakKeyDictionary[object, ChainExpiry]" = weakref.WeakKeyDictionary()
_NONE = ChainExpiry(None, None)
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


def _chain(ssl_object, name: str) -> list:
    getter = getattr(ssl_object, name, None)  # Python >= 3.13
    if getter is None:
        getter = getattr(getattr(ssl_object, "_sslobj", None), name, None)  # 3.10 - 3.12
    if getter is None:
        return []
    try:
        return list(getter() or [])
    except (ValueError, ssl.SSLError):
        return []


def served_chain(ssl_object) -> list:
    """The certificates the server sent, as ``_ssl.Certificate`` objects (may be empty)."""
    return _chain(ssl_object, "get_unverified_chain")


def verified_chain(ssl_object) -> list:
    """The chain the handshake verified, leaf to trust anchor; empty when verification is off."""
    context = getattr(ssl_object, "context", None)
    if context is None or context.verify_mode == ssl.CERT_NONE:
        return []  # OpenSSL still returns the chain it built, but nobody trusted it
    return _chain(ssl_object, "get_verified_chain")


def _earliest(certs) -> float | None:
    stamps = []
    for cert in certs:
        try:
            stamps.append(ssl.cert_time_to_seconds(cert.get_info()["notAfter"]))
        except (KeyError, ValueError, TypeError):
            continue
    return float(min(stamps)) if stamps else None


def _leaf(ssl_object) -> float | None:
    try:
        leaf = ssl_object.getpeercert() or {}
        return float(ssl.cert_time_to_seconds(leaf["notAfter"])) if leaf.get("notAfter") else None
    except (ValueError, ssl.SSLError):
        return None


def expiry(ssl_object) -> ChainExpiry:
    """Earliest ``notAfter`` of the served and of the verified chain. Cached per connection."""
    if ssl_object is None:
        return _NONE
    try:
        return _EXPIRY[ssl_object]
    except (KeyError, TypeError):
        pass
    served = _earliest(served_chain(ssl_object))
    verifying = getattr(getattr(ssl_object, "context", None), "verify_mode", ssl.CERT_NONE) != ssl.CERT_NONE
    verified = _earliest(verified_chain(ssl_object)) if verifying else None
    if served is None or (verifying and verified is None):
        leaf = _leaf(ssl_object)  # no chain API: the leaf is what is known (getpeercert is empty unverified)
        served = leaf if served is None else served
        verified = leaf if verifying and verified is None else verified
    value = ChainExpiry(served, verified)
    try:
        _EXPIRY[ssl_object] = value
    except TypeError:
        pass
    return value


def connection_expiry(resp) -> ChainExpiry | None:
    """The expiries for the connection an aiohttp response arrived on; None for plain HTTP.

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
    found = expiry(transport.get_extra_info("ssl_object"))
    return None if found == _NONE else found
