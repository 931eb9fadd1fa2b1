"""Stable dashboard uids: a contract with the rules generator's ``dashboard_url``.

Grafana caps a uid at 40 characters. Chain names may be up to 63, so a per-chain uid that
would be too long keeps as much of the name as fits and ends in 8 hex digits of the
name's SHA-256 — the same name always gives the same uid, two long names never collide
in practice, and short names (every realistic one) stay readable.
"""

from __future__ import annotations

import hashlib

UID_MAX = 40
EXECUTIVE = "chainwatch-executive"
OPERATIONAL = "chainwatch-operational"
_CHAIN_PREFIX = "chainwatch-chain-"


def chain_uid(chain: str) -> str:
    uid = _CHAIN_PREFIX + chain
    if len(uid) <= UID_MAX:
        return uid
    digest = hashlib.sha256(chain.encode()).hexdigest()[:8]
    return uid[: UID_MAX - len(digest) - 1] + "-" + digest


def url(uid: str, **variables: str) -> str:
    """Relative dashboard URL with ``var-<name>=<value>`` set (Grafana resolves ``/d/<uid>``)."""
    query = "&".join(f"var-{k}={v}" for k, v in variables.items())
    return f"/d/{uid}" + (f"?{query}" if query else "")
