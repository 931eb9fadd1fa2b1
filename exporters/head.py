"""``HEAD`` on the exporter's pages: headers only, and no probe.

aiohttp answers ``HEAD`` with the ``GET`` handler by default: ``HEAD /metrics`` ran a full
probe round and, because the exposition is streamed, sent the ~260 KB body after the
headers, which a keep-alive client reads as the next response (RFC 9110 §9.3.2: a HEAD
response has no content). Here every page answers ``HEAD`` with its status and
``Content-Type`` only, without probing anything, so a link checker or an uptime monitor
costs the watched nodes nothing. ``Content-Length`` is not sent: the length of the ``GET``
answer is only known after a probe round.

``/health`` is the exception: its status *is* the probe's verdict, and a load balancer
that checks with ``HEAD`` must not be told 200 without a probe, so it answers 405 with
``Allow: GET``.
"""

from __future__ import annotations

from aiohttp import web


def headers_only(content_type: str):
    """A ``HEAD`` handler answering 200 with ``content_type`` and no body."""

    async def handler(_request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": content_type})
        resp.content_length = None
        return resp

    return handler


async def use_get(_request: web.Request) -> web.Response:
    return web.Response(status=405, text="use GET: the status of /health is a probe's verdict\n", headers={"Allow": "GET"})


def add(router: web.UrlDispatcher, pages: dict[str, str]) -> None:
    """``HEAD`` routes for ``pages`` (path -> the ``Content-Type`` of its ``GET`` answer);
    the ``GET`` routes must be added with ``allow_head=False``."""
    for path, content_type in pages.items():
        router.add_head(path, headers_only(content_type))
    router.add_head("/health", use_get)
