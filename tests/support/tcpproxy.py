"""A loopback TCP proxy that can stop forwarding or drop its connections (test code).

Sits between the exporter and a real node's WebSocket / SSE port to cause the faults a
subscription meets in production: ``stall()`` stops forwarding what the server sends (a
proxy or node that stops pushing while the connection stays open), ``drop()`` closes every
open connection (a restart, a load balancer reset), ``resume()`` forwards again. Runs on the
caller's event loop; only the upstream given at construction is ever contacted.
"""

from __future__ import annotations

import asyncio


class TcpProxy:
    def __init__(self, upstream_port: int, host: str = "127.0.0.1"):
        self.upstream = (host, upstream_port)
        self.host = host
        self.port = 0
        self.stalled = asyncio.Event()
        self.connections = 0
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> "TcpProxy":
        self._server = await asyncio.start_server(self._handle, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        self.drop()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def stall(self) -> None:
        self.stalled.set()

    def resume(self) -> None:
        self.stalled.clear()

    def drop(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, downstream: bool) -> None:
            try:
                while data := await src.read(65536):
                    if downstream and self.stalled.is_set():
                        continue  # swallowed: the client hears nothing more
                    dst.write(data)
                    await dst.drain()
            except (OSError, asyncio.CancelledError):
                pass
            finally:
                dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer, False), pipe(up_reader, writer, True))
        self._writers.discard(writer)
        self._writers.discard(up_writer)
