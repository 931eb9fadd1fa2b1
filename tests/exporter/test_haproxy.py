"""A real load balancer on /health: Debian HAProxy in front of two real anvil nodes.

HAProxy checks each server through the exporter (``option httpchk`` with
``http-check send meth GET uri-lf /health?target=%[srv_name]``: one backend, server names =
endpoint names, the configuration docs/endpoints.md shows). When one anvil stops mining
(``evm_setAutomine false`` + ``evm_setIntervalMining 0``) it falls behind the other; HAProxy
must take it out of rotation, and put it back once it has caught up.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.request
from pathlib import Path

import pytest

from chainwatch.devnet.procs import Proc, free_port
from tests.support import require_binary
from tests.support.poll import wait_until
from tests.support.stack import Anvil, Exporter, write_config

pytestmark = pytest.mark.anvil

CHECK_INTER_MS = 300


def haproxy_config(path: Path, listen: int, sock: Path, exporter_port: int, servers: dict[str, int]) -> Path:
    lines = [
        "global",
        f"    stats socket {sock} level admin",
        "defaults",
        "    mode http",
        "    timeout connect 1s",
        "    timeout client 10s",
        "    timeout server 10s",
        "    timeout check 2s",
        "frontend rpc",
        f"    bind 127.0.0.1:{listen}",
        "    default_backend nodes",
        "backend nodes",
        "    balance roundrobin",
        "    option httpchk",
        "    http-check send meth GET uri-lf /health?target=%[srv_name]",
        "    http-check expect status 200",
        *(
            f"    server {name} 127.0.0.1:{port} check addr 127.0.0.1 port {exporter_port} inter {CHECK_INTER_MS}ms fall 2 rise 2"
            for name, port in servers.items()
        ),
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def server_states(sock: Path) -> dict[str, str]:
    """``show stat`` over HAProxy's stats socket: server name -> status (UP, DOWN, ...)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(str(sock))
        s.sendall(b"show stat\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    rows = data.decode().splitlines()
    header = rows[0].lstrip("# ").split(",")
    out = {}
    for row in rows[1:]:
        cells = dict(zip(header, row.split(",")))
        if cells.get("pxname") == "nodes" and cells.get("svname") not in ("FRONTEND", "BACKEND", None):
            out[cells["svname"]] = cells["status"].split(" ")[0]
    return out


def wait_states(sock: Path, want: dict[str, str], timeout: float = 30.0) -> None:
    seen: dict[str, str] = {}

    def reached() -> bool:
        seen.clear()
        seen.update(server_states(sock))
        return all(seen.get(k) == v for k, v in want.items())

    wait_until(reached, timeout, f"HAProxy servers {want}", describe=lambda _: f"servers {seen}")


def head_through(port: int) -> int:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        return int(json.loads(r.read())["result"], 16)


def test_haproxy_drops_the_lagging_node_and_takes_it_back(tmp_path):
    haproxy = require_binary("haproxy")
    a = Anvil(tmp_path, block_time=1, name="node-a")
    b = Anvil(tmp_path, block_time=1, name="node-b")
    managed = [a, b]
    try:
        gap = b.head() - a.head()  # started apart: align the heads so both start healthy
        (a if gap > 0 else b).call("anvil_mine", [hex(abs(gap) + 1)])
        cfg = write_config(
            tmp_path / "chainwatch.yaml",
            {
                "local": {
                    "kind": "evm",
                    "network": "devnet",
                    "chain_id": 31337,
                    "block_time_seconds": 1,
                    "thresholds": {"sync_lag_blocks_warning": 3, "sync_lag_blocks_critical": 40},
                    "endpoints": [{"name": "node-a", "url": a.url}, {"name": "node-b", "url": b.url}],
                }
            },
            exporter={"min_probe_interval_seconds": 0.5, "reference_max_age_seconds": 0.5},
        )
        exporter = Exporter(cfg, tmp_path)
        managed.append(exporter)
        listen, sock = free_port(), tmp_path / "haproxy.sock"
        conf = haproxy_config(tmp_path / "haproxy.cfg", listen, sock, exporter.port, {"node-a": a.port, "node-b": b.port})
        proxy = Proc("haproxy", [haproxy, "-f", str(conf), "-db"], log=tmp_path / "haproxy.log").start()
        managed.append(proxy)
        wait_until(sock.exists, 10, "HAProxy's stats socket", interval=0.05, describe=lambda _: proxy.tail())
        wait_states(sock, {"node-a": "UP", "node-b": "UP"})

        a.freeze()
        frozen = a.head()
        started = time.monotonic()
        wait_states(sock, {"node-a": "DOWN", "node-b": "UP"})
        # 3 blocks of 1 s, two failed checks 300 ms apart, a probe interval: well within 15 s.
        assert time.monotonic() - started < 15
        assert exporter.get("/health?target=node-a")[0] == 503
        heads = [head_through(listen) for _ in range(10)]
        assert min(heads) > frozen  # every answer through HAProxy came from the healthy node

        a.call("anvil_mine", [hex(b.head() - a.head() + 1)])  # catches up ...
        a.resume(1)  # ... and keeps mining at the other node's pace
        wait_states(sock, {"node-a": "UP", "node-b": "UP"})
        assert exporter.get("/health?target=node-a")[0] == 200
    finally:
        for proc in reversed(managed):
            proc.stop()
