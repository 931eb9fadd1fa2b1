"""The chain-kind registry: the one place that lists the kinds chainwatch knows.

Adding a kind is its package (``chainwatch.kinds.<name>``, shape in
:mod:`chainwatch.kinds.base`) plus its name in :data:`NAMES`. Nothing outside a kind's
package names a kind; everything else asks the registry.
"""

from __future__ import annotations

import importlib
from functools import cache

from chainwatch.kinds.base import ChainKind

NAMES: tuple[str, ...] = ("evm", "beacon", "solana", "subgraph", "cosmos", "bitcoin", "opnode", "avalanche", "aptos", "sui")

# Kinds added by register(): a kind whose package lives outside chainwatch.kinds (a test's throwaway kind).
_REGISTERED: dict[str, ChainKind] = {}


def register(kind: ChainKind) -> None:
    """Add ``kind`` (its modules under ``kind.package``) after the listed ones.

    Call it before anything is assembled from the registry: the config model, the metric
    catalog and the alert names are built when ``chainwatch.assembly`` is first imported.
    Raises ``ValueError`` for a name already registered."""
    global NAMES
    if kind.name in NAMES:
        raise ValueError(f"chain kind {kind.name!r} is already registered")
    _REGISTERED[kind.name] = kind
    NAMES = (*NAMES, kind.name)
    get.cache_clear()


@cache
def get(name: str) -> ChainKind:
    if name not in NAMES:
        raise KeyError(f"unknown chain kind {name!r} (known: {', '.join(NAMES)})")
    if name in _REGISTERED:
        return _REGISTERED[name]
    return importlib.import_module(f"{__name__}.{name}").KIND


def all_kinds() -> tuple[ChainKind, ...]:
    return tuple(get(name) for name in NAMES)


def chain_models() -> tuple[type, ...]:
    return tuple(k.config for k in all_kinds())


def with_capability(capability: str) -> tuple[str, ...]:
    return tuple(k.name for k in all_kinds() if capability in k.capabilities)


def demo_parts() -> tuple[type, ...]:
    """The demo parts of every kind that has one (``ChainKind.demo``), in their demo order."""
    return tuple(sorted((part for k in all_kinds() if (part := k.demo()) is not None), key=lambda part: part.order))
