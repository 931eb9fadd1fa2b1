"""Background monitors that run per epoch rather than per scrape (validator duties).

A monitor is created per chain whose config asks for one, started with the server and
stopped on reload or shutdown. Scrapes only read its latest samples, so a scrape never
waits on an epoch's worth of queries.

Every kind's monitor builds on :class:`chainwatch.exporters.monitorbase.ValidatorMonitor`
(round loop, freshness, failures, position check, state file); the interface the server uses::

    class Monitor:
        async def start(self) -> None: ...
        async def stop(self) -> None: ...
        def samples(self) -> list[tuple[str, dict, float]]:
            '''(catalog metric name, all labels incl. scope labels, value)'''
"""

from __future__ import annotations

from chainwatch import kinds


def monitor_for(chain_name: str, chain, transport, settings):
    """The monitor for this chain, or None when it watches no validators."""
    create = kinds.get(chain.kind).monitor_factory()
    if create is None or getattr(chain, "validators", None) is None:
        return None
    return create(chain_name, chain, transport, settings)
