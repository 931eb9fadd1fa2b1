"""The lifecycle endpoint (``POST``/``PUT /-/reload``), off unless ``--web.enable-lifecycle``.

As in Prometheus: anyone who reaches the port could otherwise make the exporter re-read its
config (and, with a bad file on disk, stop its monitors and restart them) as often as they
like. Without the flag the endpoint answers 403 ``Lifecycle API is not enabled.``; SIGHUP
always reloads. The request body is never read, with or without the flag: the listener
closes a connection whose body was not read (``lingering_time=0`` in
:mod:`chainwatch.exporters.limits`) instead of draining it.
"""

from __future__ import annotations

from aiohttp import web

FLAG = "--web.enable-lifecycle"


async def disabled(_request: web.Request) -> web.Response:
    return web.Response(status=403, text="Lifecycle API is not enabled.\n")


def add(router: web.UrlDispatcher, reload_handler, *, enabled: bool) -> None:
    handler = reload_handler if enabled else disabled
    router.add_post("/-/reload", handler)
    router.add_put("/-/reload", handler)
