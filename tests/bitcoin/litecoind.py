"""A real Litecoin Core regtest pair on loopback, for the bitcoin-kind tests.

Debian's ``litecoind`` (0.21.2.1, built from the Bitcoin Core 0.21 code base: same RPC surface)
is installed by .ci/setup. Where the distribution has no such package the tests that need it are
skipped (failed under CI), and the parser tests' docs-shaped answers still run.

Facts relied on (devnet notes): JSON-RPC batches work; ``getblockchaininfo`` has no ``time`` in
0.21; ``estimatesmartfee`` answers ``errors`` on regtest; ``setnetworkactive false`` cuts a node
off; the cookie file ``<datadir>/regtest/.cookie`` is written at start and deleted on shutdown.
Mining needs no wallet: ``generatetodescriptor N raw(51)`` pays an anyone-can-spend script.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from pathlib import Path

from chainwatch.devnet.procs import Proc, free_port
from tests.support import require_binary
from tests.support.poll import StopWaiting, wait_until

DESCRIPTOR = "raw(51)#8lvh9jxk"  # OP_TRUE output; checksum as getdescriptorinfo "raw(51)" reports it


def litecoind_binary() -> str:
    return require_binary("litecoind", "/usr/bin/litecoind")


def rpcauth_line(user: str, password: str) -> str:
    """``-rpcauth=`` value as share/rpcauth/rpcauth.py builds it: user:salt$HMAC-SHA256(salt, password)."""
    salt = secrets.token_hex(16)
    digest = hmac.new(salt.encode(), password.encode(), hashlib.sha256).hexdigest()
    return f"{user}:{salt}${digest}"


class Litecoind(Proc):
    """One regtest node: RPC on ``self.url``, P2P on ``self.p2p_port``; ``call`` uses its cookie."""

    def __init__(
        self,
        datadir: Path,
        *,
        name: str,
        connect: "Litecoind | None" = None,
        rpcauth: str | None = None,
        p2p_port: int | None = None,
        rpc_port: int | None = None,
    ):
        self.datadir = datadir
        datadir.mkdir(parents=True, exist_ok=True)
        self.p2p_port = p2p_port or free_port()
        self.rpc_port = rpc_port or free_port()
        self.url = f"http://127.0.0.1:{self.rpc_port}"
        self.cookie = datadir / "regtest" / ".cookie"
        args = [
            litecoind_binary(),
            "-regtest",
            f"-datadir={datadir}",
            "-server=1",
            "-listen=1",
            "-bind=127.0.0.1",
            f"-port={self.p2p_port}",
            "-rpcbind=127.0.0.1",
            "-rpcallowip=127.0.0.1",
            f"-rpcport={self.rpc_port}",
            "-dnsseed=0",
            "-discover=0",
            "-listenonion=0",
            "-upnp=0",
            "-disablewallet=1",
            "-printtoconsole=0",
            "-rpcthreads=4",
        ]
        if connect is not None:
            args.append(f"-connect=127.0.0.1:{connect.p2p_port}")
        if rpcauth:
            args.append(f"-rpcauth={rpcauth}")
        self.rpcauth = rpcauth
        self.connect_to = connect
        super().__init__(name, args, log=datadir / f"{name}.stdout", grace=20)
        self.start()
        self.wait_ready()

    def restart(self) -> "Litecoind":
        """The same node (datadir, ports) started again."""
        return Litecoind(self.datadir, name=self.name, connect=self.connect_to, rpcauth=self.rpcauth, p2p_port=self.p2p_port, rpc_port=self.rpc_port)

    def wait_ready(self, timeout: float = 60.0) -> None:
        def answers():
            if not self.alive():
                raise StopWaiting(f"litecoind {self.name} exited with {self.proc.returncode}: see {self.datadir}/regtest/debug.log")
            return self.call("getblockchaininfo")

        # Not listening yet, no cookie yet, -28 warming up: not ready yet.
        wait_until(answers, timeout, f"litecoind {self.name} ready", errors=(OSError, RuntimeError))

    def call(self, method: str, *params, timeout: float = 30.0):
        token = base64.b64encode(self.cookie.read_bytes().strip()).decode()
        body = json.dumps({"jsonrpc": "1.0", "id": 1, "method": method, "params": list(params)}).encode()
        req = urllib.request.Request(self.url, body, {"Content-Type": "application/json", "Authorization": f"Basic {token}"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                answer = json.loads(r.read())
        except urllib.error.HTTPError as e:  # Bitcoin Core answers RPC errors with HTTP 500 + JSON
            answer = json.loads(e.read() or b"{}")
        if answer.get("error"):
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    def mine(self, blocks: int = 1) -> list[str]:
        return self.call("generatetodescriptor", blocks, DESCRIPTOR)

    def height(self) -> int:
        return self.call("getblockcount")

    def peers(self) -> int:
        return self.call("getconnectioncount")
