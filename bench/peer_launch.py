"""Start smartcontractkit/Blockchain-RPC-Exporter's ``src/exporter.py`` bound to loopback ports.

    <peer venv>/bin/python bench/peer_launch.py CHECKOUT METRICS_PORT LIVENESS_PORT

Run by ``bench/peer.py`` with the peer's own interpreter (its venv under ``build/``), so this
file imports nothing of chainwatch. The peer calls ``wsgiref.simple_server.make_server('',
8000, ...)`` and ``make_server('', 8001, ...)`` (``src/exporter.py``): every interface, fixed
ports. Our benches touch loopback only, on free ports, so ``make_server`` is replaced before
the peer's module runs: the host becomes 127.0.0.1 and 8000/8001 the ports given. The peer's
code is run unchanged from the checkout (``runpy``, as ``python exporter.py`` would).
"""

from __future__ import annotations

import runpy
import sys
import wsgiref.simple_server
from pathlib import Path


def main(argv: list[str]) -> None:
    checkout, metrics_port, liveness_port = Path(argv[0]), int(argv[1]), int(argv[2])
    ports = {8000: metrics_port, 8001: liveness_port}
    original = wsgiref.simple_server.make_server

    def loopback_make_server(host, port, app, *args, **kwargs):
        if port not in ports:
            raise SystemExit(f"peer_launch: the peer asked for port {port}; only 8000 and 8001 are mapped")
        return original("127.0.0.1", ports[port], app, *args, **kwargs)

    wsgiref.simple_server.make_server = loopback_make_server
    src = checkout / "src"
    sys.path.insert(0, str(src))
    sys.argv = [str(src / "exporter.py")]
    runpy.run_path(str(src / "exporter.py"), run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
