"""Background monitors that run per epoch rather than per scrape (validator duties).

A monitor is created per chain whose config asks for one, started with the server and
stopped on reload or shutdown. Scrapes only read its latest samples, so a scrape never
waits on an epoch's worth of queries.

Interface (duck-typed)::

    class Monitor:
        async def start(self) -> None: ...
        async def stop(self) -> None: ...
        def samples(self) -> list[tuple[str, dict, float]]:
            '''(catalog metric name, all labels incl. scope labels, value)'''
"""

from __future__ import annotations

import importlib
import logging

log = logging.getLogger("chainwatch.validators")

_FACTORIES = {"beacon": "beacon_monitor", "solana": "solana_monitor"}


def monitor_for(chain_name: str, chain, transport, settings):
    """The monitor for this chain, or None when it watches no validators."""
    if getattr(chain, "validators", None) is None or chain.kind not in _FACTORIES:
        return None
    try:
        module = importlib.import_module(f"{__name__}.{_FACTORIES[chain.kind]}")
    except ImportError:
        log.warning("no validator monitor available for kind %s", chain.kind)
        return None
    return module.create(chain_name, chain, transport, settings)
