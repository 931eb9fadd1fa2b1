"""The demo's REAL Litecoin Core regtest pair (Debian ``litecoind``) as chain ``ltc-regtest``.

``ltc-ref`` (the reference) mines a block every ``ltc_block_seconds`` (a miner thread),
``ltc-node`` follows it over P2P; both are read with their cookie file. Only when litecoind is
installed. Faults use litecoind's own RPC (``setnetworkactive``) or stop the process.
"""

from __future__ import annotations

import base64
import json
import shutil
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

from chainwatch.devnet.part import DURATIONS, TEAM, DemoPart, Fault
from chainwatch.devnet.procs import Fatal, Proc, free_port, wait_until

if TYPE_CHECKING:
    from chainwatch.devnet.stack import Stack

CHAIN = "ltc-regtest"
NODES = ("ltc-ref", "ltc-node")  # ltc-node connects to ltc-ref; ltc-ref mines
DESCRIPTOR = "raw(51)#8lvh9jxk"  # anyone-can-spend output: mining needs no wallet


class LitecoinPair(DemoPart):
    name = "bitcoin"
    what = "the litecoind regtest pair"
    flag_help = "Do not start the litecoind regtest pair even when litecoind is installed."
    order = 40
    chains = (CHAIN,)
    settings = {"ltc_block_seconds": 2.0}

    def __init__(self, stack: "Stack"):
        super().__init__(stack)
        self.nodes: dict[str, dict] = {}  # node name -> {"url", "cookie", "datadir", "p2p", "rpc"}
        self._miner_stop = threading.Event()

    @property
    def block_seconds(self) -> float:
        return self.setting("ltc_block_seconds")

    def missing(self) -> str | None:
        if shutil.which("litecoind") is None:
            return "litecoind is not installed (Debian package litecoind; .ci/setup installs it where the release ships it)"
        return None

    def components(self) -> tuple[tuple[str, str], ...]:
        return (*((f"litecoind-{name}", "process") for name in NODES), ("ltc-miner", "thread"))

    def rpc(self, name: str, method: str, *params, timeout: float = 10.0):
        """JSON-RPC 1.0 call to one of the regtest nodes, with its cookie."""
        node = self.nodes[name]
        token = base64.b64encode(Path(node["cookie"]).read_bytes().strip()).decode()
        body = json.dumps({"jsonrpc": "1.0", "id": 1, "method": method, "params": list(params)}).encode()
        req = urllib.request.Request(node["url"], body, {"Content-Type": "application/json", "Authorization": f"Basic {token}"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                answer = json.loads(r.read())
        except urllib.error.HTTPError as e:  # RPC errors come with HTTP 500 and a JSON body
            answer = json.loads(e.read() or b"{}")
        if answer.get("error"):
            raise RuntimeError(f"{name} {method}: {answer['error']}")
        return answer["result"]

    def start_node(self, name: str) -> Proc:
        """Start (or restart, same datadir and ports) one regtest node and wait for its RPC."""
        stack = self.stack
        node = self.nodes[name]
        comp = f"litecoind-{name}"
        stack.set_status(comp, "starting", node["url"], "regtest")
        args = [
            shutil.which("litecoind") or "litecoind",
            "-regtest",
            f"-datadir={node['datadir']}",
            "-server=1",
            "-listen=1",
            "-bind=127.0.0.1",
            f"-port={node['p2p']}",
            "-rpcbind=127.0.0.1",
            "-rpcallowip=127.0.0.1",
            f"-rpcport={node['rpc']}",
            "-dnsseed=0",
            "-discover=0",
            "-listenonion=0",
            "-upnp=0",
            "-disablewallet=1",
            "-printtoconsole=0",
        ]
        if name != "ltc-ref":
            args.append(f"-connect=127.0.0.1:{self.nodes['ltc-ref']['p2p']}")
        proc = stack.spawn(comp, args, grace=15.0)

        def ready():
            if not proc.alive():
                raise Fatal(f"litecoind {name} exited: see {node['datadir']}/regtest/debug.log")
            try:
                return self.rpc(name, "getblockcount", timeout=2) is not None
            except (OSError, RuntimeError):
                return False

        wait_until(ready, 60, f"litecoind {name} did not answer", proc)
        stack.set_status(comp, "up", detail=f"pid {proc.pid}, REAL regtest node")
        return proc

    def start(self) -> None:
        stack = self.stack
        base = stack.run_dir / "litecoind"
        for name in NODES:
            datadir = base / name
            datadir.mkdir(parents=True, exist_ok=True)
            rpc_port, p2p = free_port(), free_port()
            self.nodes[name] = {
                "url": f"http://127.0.0.1:{rpc_port}",
                "cookie": str(datadir / "regtest" / ".cookie"),
                "datadir": str(datadir),
                "p2p": p2p,
                "rpc": rpc_port,
            }
        for name in NODES:
            self.start_node(name)
        wait_until(lambda: self.rpc("ltc-node", "getconnectioncount") >= 1, 30, "ltc-node did not connect to ltc-ref")
        self.rpc("ltc-ref", "generatetodescriptor", 10, DESCRIPTOR)  # out of initial block download
        wait_until(lambda: self.rpc("ltc-node", "getblockcount") >= 10, 30, "ltc-node did not sync the first blocks")
        stack.set_status("ltc-miner", "starting")
        threading.Thread(target=self._mine, name="chainwatch-demo-ltc-miner", daemon=True).start()
        stack.set_status("ltc-miner", "up", detail=f"ltc-ref mines a block every {self.block_seconds:g} s")

    def _mine(self) -> None:
        while not self._miner_stop.wait(self.block_seconds):
            try:
                self.rpc("ltc-ref", "generatetodescriptor", 1, DESCRIPTOR)
            except (OSError, RuntimeError):
                pass  # ltc-ref restarting or stopping: mine again next time

    def stop(self) -> None:
        self._miner_stop.set()
        if "ltc-miner" in self.stack.components:
            self.stack.components["ltc-miner"].status = "stopped"
        super().stop()

    def chain_blocks(self, slo: dict) -> dict[str, dict]:
        return {
            CHAIN: {
                "kind": "bitcoin",
                "network": "regtest",
                "chain": "regtest",
                "team": TEAM,
                "block_time_seconds": self.block_seconds,
                "thresholds": {
                    "sync_lag_blocks_warning": 1,
                    "sync_lag_blocks_critical": 3,
                    "sync_lag_seconds_warning": 10,
                    "sync_lag_seconds_critical": 30,
                    # generatetoaddress can stall on a loaded machine: a minute without a block before a page
                    "head_stale_blocks": 30,
                    "head_stale_min_seconds": 60,
                    "chain_halt_blocks": 30,
                    "chain_halt_min_seconds": 60,
                    "peers_min": 1,
                    "rpc_latency_p95_seconds": 0.25,
                    "durations": DURATIONS,
                },
                "signal_for": "30s",
                "slo": slo,
                "endpoints": [
                    {"name": n, "url": self.nodes[n]["url"], "role": "reference" if n == "ltc-ref" else "node", "cookie_file": self.nodes[n]["cookie"]}
                    for n in NODES
                ],
            }
        }


# --------------------------------------------------------------------------- faults


def _pair(stack: "Stack") -> LitecoinPair:
    return stack.part(LitecoinPair.name)


def network(stack: "Stack", active: bool) -> None:
    """``setnetworkactive`` on ltc-node: false cuts it off (peers 0) while ltc-ref keeps mining."""
    _pair(stack).rpc("ltc-node", "setnetworkactive", active)
    comp = stack.components["litecoind-ltc-node"]
    comp.detail = f"pid {comp.proc.pid}, REAL regtest node" + ("" if active else " (network off: isolate-ltc-node)")


def stop_node(stack: "Stack") -> None:
    comp = stack.components["litecoind-ltc-node"]
    comp.proc.stop()
    comp.status, comp.detail = "stopped", "stopped by the stop-ltc-node fault"


def start_node(stack: "Stack") -> None:
    comp = stack.components["litecoind-ltc-node"]
    if comp.proc is None or not comp.proc.alive():
        _pair(stack).start_node("ltc-node")


LitecoinPair.faults = (
    Fault(
        "isolate-ltc-node",
        "ltc-node (real litecoind) is cut off the network (setnetworkactive false) while ltc-ref keeps mining",
        CHAIN,
        ("ChainwatchSyncLagHigh",),
        ("ChainwatchSyncLagSecondsHigh", "ChainwatchPeersLow"),
        {"endpoint": "ltc-node"},
        "sync_lag",
        lambda s: 4 * _pair(s).block_seconds + 2,
        lambda s: network(s, False),
        lambda s: network(s, True),
    ),
    Fault(
        "stop-ltc-node",
        "the litecoind of ltc-node is stopped",
        CHAIN,
        ("ChainwatchEndpointDown",),
        ("ChainwatchProbeFailing",),
        {"endpoint": "ltc-node"},
        "down",
        lambda s: 3,
        stop_node,
        start_node,
    ),
)

DEMO = LitecoinPair
