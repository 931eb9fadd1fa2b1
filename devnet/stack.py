"""The whole chainwatch stack on loopback: devnets, exporter, Prometheus, Alertmanager.

:class:`Stack` starts, in order, each on a free 127.0.0.1 port:

1. the capture receiver standing in for PagerDuty and Opsgenie (``capture.py``);
2. anvil nodes for the EVM chain ``devnet``: two references (``ref-1``, ``ref-2``), the
   operated node ``node-1`` and a second operated anvil served through the fault proxy as
   three RPC front-ends ``node-2``, ``node-3``, ``node-4`` (``proxy.py``);
3. the SIMULATED Solana cluster (``chainwatch.kinds.solana.simulator``) as ``solana-sim``,
   when that module is present;
4. the SIMULATED graph-node (``chainwatch.kinds.subgraph.simulator``) as ``subgraph-sim``: one
   subgraph (endpoint ``graph-sim``) following the head of ``ref-1``'s anvil, indexing ``devnet``;
5. the SIMULATED CometBFT + LCD chain (``chainwatch.kinds.cosmos.simulator``) as ``cosmos-sim``,
   when that module is present: 5 validators, val-1 and val-2 watched (group ``main``);
6. a REAL Litecoin Core regtest pair as ``ltc-regtest`` when Debian's ``litecoind`` is installed:
   ``ltc-ref`` mines a block every ``ltc_block_seconds`` (a miner thread), ``ltc-node`` follows it
   over P2P; both read with their cookie file;
7. an OP Stack rollup: an anvil playing the sequencer's L2 chain ``rollup-l2`` (chain id 901)
   and the SIMULATED op-node (``chainwatch.kinds.opnode.simulator``) deriving it from ``ref-1``
   as its L1, watched as the ``opnode`` chain ``rollup`` (L1 = ``devnet``);
5. Lodestar's dev beacon chain as ``beacon-dev`` when ``.ci/install-lodestar`` installed it:
   8 genesis validators: 0..5 in one validator client (group ``main``), 6 in another
   (group ``spare``, the one ``miss-attestations`` freezes), 7 never started (offline from
   genesis, not watched);
6. ``chainwatch serve`` with the generated config, ``chainwatch generate`` output, real
   Prometheus loading the generated rules and real Alertmanager with the generated config.

Thresholds and ``for:`` durations are shortened (see :func:`demo_config`) so a fault pages
within seconds; the SLO objectives are relaxed because burn-rate windows (1 h to 3 d) mean
nothing on a stack that lives for minutes. Everything stops with :meth:`Stack.stop`.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import json
import os
import re
import shutil
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import yaml

from chainwatch.devnet.capture import CaptureServer
from chainwatch.devnet.pages import interpret
from chainwatch.devnet.procs import (
    Fatal,
    MissingTool,
    Proc,
    anvil_binary,
    find_tool,
    free_port,
    http_get,
    http_json,
    lodestar_paths,
    rpc,
    wait_http,
    wait_until,
)
from chainwatch.devnet.proxy import FaultProxy

EVM_CHAIN = "devnet"
SOLANA_CHAIN = "solana-sim"
BEACON_CHAIN = "beacon-dev"
SUBGRAPH_CHAIN = "subgraph-sim"
COSMOS_CHAIN = "cosmos-sim"
BITCOIN_CHAIN = "ltc-regtest"
LTC_NODES = ("ltc-ref", "ltc-node")  # ltc-node connects to ltc-ref; ltc-ref mines
LTC_DESCRIPTOR = "raw(51)#8lvh9jxk"  # anyone-can-spend output: mining needs no wallet
ROLLUP_CHAIN = "rollup"  # the op-node (kind opnode)
ROLLUP_L2_CHAIN = "rollup-l2"  # its L2 execution chain (kind evm), L1 = EVM_CHAIN
ROLLUP_L2_CHAIN_ID = 901
TEAM = "demo-ops"
REFERENCES = ("ref-1", "ref-2")
PROXIED = ("node-2", "node-3", "node-4")  # RPC front-ends of one anvil, through the fault proxy
SOLANA_NODES = ("sol-rpc-1", "sol-ref-1", "sol-ref-2", "sol-ref-3")
SOLANA_WATCHED = ("val-1", "val-2")
COSMOS_NODES = ("cos-rpc-1", "cos-ref-1", "cos-ref-2", "cos-ref-3")
COSMOS_WATCHED = ("val-1", "val-2")
COSMOS_BLOCK_SECONDS = 1.0
BEACON_GENESIS_VALIDATORS = 8
BEACON_GROUPS = {"main": [0, 1, 2, 3, 4, 5], "spare": [6]}

# Short enough to see a page within seconds, long enough that a scrape hiccup does not page.
DURATIONS = {
    "down": "10s",
    "sync_lag": "10s",
    "head_stale": "15s",
    "peers_low": "10m",
    "mempool": "10s",
    "rpc_latency": "10s",
    "rpc_errors": "10s",
    "reference_quorum": "20s",
    "chain_halt": "5s",
    "validator": "0m",
}
# A kind's own alerts' `for:` (its Durations subclass): only on chains of that kind.
SOLANA_DURATIONS = {**DURATIONS, "solana": "10s"}
BEACON_DURATIONS = {**DURATIONS, "finality": "10s"}
COSMOS_DURATIONS = {**DURATIONS, "cosmos_signing": "0m", "cosmos_miss_ratio": "10s", "cosmos_jail": "5s"}
# Every `for:` of the demo by key (a fault's budget looks its alert's up here).
ALL_DURATIONS = {**SOLANA_DURATIONS, **BEACON_DURATIONS, **COSMOS_DURATIONS}
# The simulated op-node keeps its safe head 2 blocks (2 s) behind; the L1 view lags 0-1 blocks.
ROLLUP_SAFE_LAG_SECONDS = 10
ROLLUP_L1_LAG_BLOCKS = 3
FAST_AM = {"group_wait": "1s", "group_interval": "1s", "repeat_interval": "1h"}
PAGERDUTY_KEY = "demo-pagerduty-routing-key"
OPSGENIE_KEY = "demo-opsgenie-api-key"


@dataclass
class Component:
    name: str
    kind: str  # process | thread | external | hook
    status: str = "waiting"  # waiting | starting | up | failed | missing | stopped
    address: str = ""
    detail: str = ""
    proc: Proc | None = None


@dataclass
class Options:
    run_dir: Path
    scrape_interval: float = 2.0
    evaluation_interval: float = 1.0
    beacon: bool | None = None  # None: when Lodestar is installed
    solana: bool = True
    subgraph: bool = True
    cosmos: bool = True
    bitcoin: bool = True  # when litecoind is installed
    ltc_block_seconds: float = 2.0
    rollup: bool = True
    seconds_per_slot: int = 2  # Lodestar dev chain
    start_gate: Path | None = None  # test hook: see Stack._hold_start_up


def seconds(duration: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    return sum(float(n) * units[u] for n, u in re.findall(r"(\d+)(ms|s|m|h|d)", duration))


class Stack:
    def __init__(self, options: Options, progress: Callable[["Stack"], None] | None = None):
        self.options = options
        self.run_dir = Path(options.run_dir)
        self.progress = progress or (lambda _s: None)
        self.components: dict[str, Component] = {}
        self.capture = CaptureServer()
        self.proxy: FaultProxy | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: threading.Thread | None = None
        self.anvils: dict[str, str] = {}  # anvil name -> url
        self.endpoints: dict[str, str] = {}  # endpoint name -> url probed by the exporter
        self.solana_url = ""
        self.subgraph_url = ""
        self.cosmos_url = ""
        self.ltc: dict[str, dict] = {}  # ltc node name -> {"url", "cookie", "datadir", "p2p", "rpc"}
        self._miner_stop = threading.Event()
        self.rollup_l2_url = ""  # the L2 anvil: not in `anvils`, so halt-chain leaves the rollup's L2 running
        self.opnode_url = ""
        self.beacon_url = ""
        self.exporter_port = 0
        self.prometheus_url = ""
        self.alertmanager_url = ""
        self.config_path = self.run_dir / "chainwatch.yaml"
        self.generated = self.run_dir / "generated"
        self.started_at = 0.0
        self.ready_at = 0.0
        self.active_faults: dict[str, float] = {}
        self.skipped: dict[str, str] = {}  # optional piece -> why it is not running
        self._stopped = False

    # ------------------------------------------------------------------ helpers

    def _component(self, name: str, kind: str = "process") -> Component:
        comp = self.components.setdefault(name, Component(name, kind))
        return comp

    def _set(self, name: str, status: str, address: str | None = None, detail: str | None = None) -> None:
        comp = self._component(name)
        comp.status = status
        if address is not None:
            comp.address = address
        if detail is not None:
            comp.detail = detail
        self.progress(self)

    def _spawn(self, name: str, args: list[str], *, cwd: Path | None = None, env: dict | None = None, grace: float = 5.0) -> Proc:
        proc = Proc(name, args, log=self.run_dir / "logs" / f"{name}.log", cwd=cwd, env=env, grace=grace).start()
        self._component(name).proc = proc
        self._component(name).detail = f"pid {proc.pid}"
        return proc

    def run_async(self, coro, timeout: float = 30):
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call_soon(self, fn, *args) -> None:
        assert self.loop is not None
        self.loop.call_soon_threadsafe(fn, *args)

    @property
    def has_solana(self) -> bool:
        return SOLANA_CHAIN in self.chains

    @property
    def has_subgraph(self) -> bool:
        return SUBGRAPH_CHAIN in self.chains

    @property
    def has_cosmos(self) -> bool:
        return COSMOS_CHAIN in self.chains

    @property
    def has_bitcoin(self) -> bool:
        return BITCOIN_CHAIN in self.chains

    @property
    def has_rollup(self) -> bool:
        return ROLLUP_CHAIN in self.chains

    @property
    def has_beacon(self) -> bool:
        return BEACON_CHAIN in self.chains

    @property
    def exporter_url(self) -> str:
        return f"http://127.0.0.1:{self.exporter_port}"

    # ------------------------------------------------------------------ start

    def plan(self) -> None:
        """Decide which optional pieces run and register every component (for the status table)."""
        self.chains = [EVM_CHAIN]
        for name in ("capture", "fault-proxy"):
            self._component(name, "thread")
        for name in (*(f"anvil-{r}" for r in REFERENCES), "anvil-node-1", "anvil-node-2"):
            self._component(name)
        if self.options.solana:
            if importlib.util.find_spec("chainwatch.kinds.solana.simulator") is None:
                self.skipped["solana"] = "the Solana simulator (chainwatch.kinds.solana.simulator) is not part of this build"
            else:
                self.chains.append(SOLANA_CHAIN)
                self._component("solana-sim")
        else:
            self.skipped["solana"] = "disabled with --no-solana"
        if not self.options.subgraph:
            self.skipped["subgraph"] = "disabled with --no-subgraph"
        elif importlib.util.find_spec("chainwatch.kinds.subgraph.simulator") is None:
            self.skipped["subgraph"] = "the graph-node simulator (chainwatch.kinds.subgraph.simulator) is not part of this build"
        else:
            self.chains.append(SUBGRAPH_CHAIN)
            self._component("subgraph-sim")
        if self.options.cosmos:
            if importlib.util.find_spec("chainwatch.kinds.cosmos.simulator") is None:
                self.skipped["cosmos"] = "the CometBFT simulator (chainwatch.kinds.cosmos.simulator) is not part of this build"
            else:
                self.chains.append(COSMOS_CHAIN)
                self._component("cosmos-sim")
        else:
            self.skipped["cosmos"] = "disabled with --no-cosmos"
        if not self.options.bitcoin:
            self.skipped["bitcoin"] = "disabled with --no-bitcoin"
        elif shutil.which("litecoind") is None:
            self.skipped["bitcoin"] = "litecoind is not installed (Debian package litecoind; .ci/setup installs it where the release ships it)"
        else:
            self.chains.append(BITCOIN_CHAIN)
            for name in LTC_NODES:
                self._component(f"litecoind-{name}")
            self._component("ltc-miner", "thread")
        if not self.options.rollup:
            self.skipped["rollup"] = "disabled with --no-rollup"
        elif importlib.util.find_spec("chainwatch.kinds.opnode.simulator") is None:
            self.skipped["rollup"] = "the op-node simulator (chainwatch.kinds.opnode.simulator) is not part of this build"
        else:
            self.chains += [ROLLUP_L2_CHAIN, ROLLUP_CHAIN]
            self._component("anvil-rollup-l2")
            self._component("opnode-sim")
        want_beacon = self.options.beacon
        if want_beacon is False:
            self.skipped["beacon"] = "disabled with --no-beacon"
        elif lodestar_paths() is None:
            msg = "Lodestar is not installed (.ci/setup runs .ci/install-lodestar)"
            if want_beacon:
                raise MissingTool(msg)
            self.skipped["beacon"] = msg
        elif importlib.util.find_spec("chainwatch.kinds.beacon.probe") is None:
            self.skipped["beacon"] = "the beacon probe is not part of this build"
        else:
            self.chains.append(BEACON_CHAIN)
            self._component("lodestar")
            self._component("lodestar-validators")
            self._component("lodestar-validator-spare")
        for name in ("exporter", "prometheus", "alertmanager"):
            self._component(name)

    def check_tools(self) -> dict[str, str]:
        """Every binary the demo needs, or :class:`MissingTool` naming the set-up command."""
        return {
            "anvil": anvil_binary(),
            "prometheus": find_tool("prometheus", what="prometheus (Debian package prometheus)"),
            "alertmanager": find_tool("prometheus-alertmanager", what="Alertmanager (Debian package prometheus-alertmanager)")
            if shutil.which("prometheus-alertmanager")
            else find_tool("alertmanager", what="Alertmanager (Debian package prometheus-alertmanager)"),
        }

    def start(self) -> "Stack":
        self.started_at = time.time()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "logs").mkdir(exist_ok=True)
        tools = self.check_tools()
        self.plan()
        self.progress(self)
        try:
            self._start_loop()
            self._set("capture", "starting")
            self.capture.start()
            self._set("capture", "up", self.capture.url, "PagerDuty + Opsgenie stand-in")
            if self.has_beacon:
                self._start_beacon()  # first: its genesis clock runs while the rest starts
            self._start_anvils(tools["anvil"])
            self._start_proxy()
            if self.options.start_gate is not None:
                self._hold_start_up(self.options.start_gate)
            if self.has_solana:
                self._start_solana()
            if self.has_subgraph:
                self._start_subgraph()
            if self.has_cosmos:
                self._start_cosmos()
            if self.has_bitcoin:
                self._start_litecoind()
            if self.has_rollup:
                self._start_rollup(tools["anvil"])
            if self.has_beacon:
                self._wait_validators_live()
            self._write_config()
            self._generate()
            self.start_exporter()
            self._start_alertmanager(tools["alertmanager"])
            self._start_prometheus(tools["prometheus"])
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise
        self.ready_at = time.time()
        self.progress(self)
        return self

    def _start_loop(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._loop_thread = threading.Thread(target=self.loop.run_forever, name="chainwatch-demo-loop", daemon=True)
        self._loop_thread.start()

    def _hold_start_up(self, gate: Path) -> None:
        """Test hook (``chainwatch demo --start-gate FILE``, hidden): with the anvils running and
        the rest not started, start-up waits here until FILE exists. The status table says so
        (``start-gate: starting ... held until FILE exists``), so a test can signal a demo that is
        certainly still starting instead of racing its start-up (issue #36). A signal ends the
        wait like any other start-up step (the sleep is in the main thread)."""
        self._component("start-gate", "hook")
        self._set("start-gate", "starting", detail=f"held until {gate} exists (test hook)")
        while not gate.exists():
            time.sleep(0.1)
        self._set("start-gate", "up", detail=f"released: {gate} exists")

    def _start_anvils(self, binary: str) -> None:
        procs = {}
        for name in (*REFERENCES, "node-1", "node-2"):
            comp = f"anvil-{name}"
            port = free_port()
            self._set(comp, "starting", f"http://127.0.0.1:{port}")
            args = [binary, "--host", "127.0.0.1", "--port", str(port), "--block-time", "1", "--silent", "--prune-history", "--chain-id", "31337"]
            procs[name] = (self._spawn(comp, args), f"http://127.0.0.1:{port}")
        for name, (proc, url) in procs.items():
            wait_until(lambda url=url: rpc(url, "eth_blockNumber", timeout=1), 20, f"anvil {name} did not answer", proc)
            self.anvils[name] = url
            self._set(f"anvil-{name}", "up")
        for r in REFERENCES:
            self.endpoints[r] = self.anvils[r]
        self.endpoints["node-1"] = self.anvils["node-1"]

    def _start_proxy(self) -> None:
        self._set("fault-proxy", "starting")
        self.proxy = FaultProxy({name: self.anvils["node-2"] for name in PROXIED})
        self.run_async(self.proxy.start())
        for name in PROXIED:
            self.endpoints[name] = self.proxy.url(name)
        self._set("fault-proxy", "up", f"http://127.0.0.1:{self.proxy.port}/<node>", "node-2..4 -> anvil-node-2")

    def _start_solana(self) -> None:
        port = free_port()
        self.solana_url = f"http://127.0.0.1:{port}"
        self._set("solana-sim", "starting", self.solana_url, "SIMULATED cluster")
        args = [
            sys.executable,
            "-m",
            "chainwatch.kinds.solana.simulator",
            "--port",
            str(port),
            "--nodes",
            ",".join(SOLANA_NODES),
            "--validators",
            "4",
            "--delinquent-slots",
            "20",
        ]
        proc = self._spawn("solana-sim", args)
        wait_http(self.solana_url + "/-/state", 30, proc)
        self.solana_state = http_json(self.solana_url + "/-/state")
        self._set("solana-sim", "up", detail=f"pid {proc.pid}, SIMULATED cluster")

    def _start_subgraph(self) -> None:
        port = free_port()
        self.subgraph_url = f"http://127.0.0.1:{port}"
        self._set("subgraph-sim", "starting", self.subgraph_url, "SIMULATED graph-node")
        args = [
            sys.executable,
            "-m",
            "chainwatch.kinds.subgraph.simulator",
            "--chain-url",
            self.anvils[REFERENCES[0]],
            "--port",
            str(port),
            "--name",
            "sim",
            "--poll-ms",
            "250",
        ]
        proc = self._spawn("subgraph-sim", args)
        wait_http(self.subgraph_url + "/-/state", 30, proc)
        self._set("subgraph-sim", "up", detail=f"pid {proc.pid}, SIMULATED graph-node following anvil-{REFERENCES[0]}")

    def _start_cosmos(self) -> None:
        port = free_port()
        self.cosmos_url = f"http://127.0.0.1:{port}"
        self._set("cosmos-sim", "starting", self.cosmos_url, "SIMULATED CometBFT chain")
        # A 100-block signing window at 50 %: a validator that stops signing is 50 blocks (50 s) from jail.
        args = [
            sys.executable,
            "-m",
            "chainwatch.kinds.cosmos.simulator",
            "--port",
            str(port),
            "--nodes",
            ",".join(COSMOS_NODES),
            "--validators",
            "5",
            "--block-ms",
            str(int(COSMOS_BLOCK_SECONDS * 1000)),
            "--window",
            "100",
        ]
        proc = self._spawn("cosmos-sim", args)
        wait_http(self.cosmos_url + "/-/state", 30, proc)
        self.cosmos_state = http_json(self.cosmos_url + "/-/state")
        self._set("cosmos-sim", "up", detail=f"pid {proc.pid}, SIMULATED CometBFT chain")

    # ------------------------------------------------------------------ litecoind regtest pair

    def ltc_rpc(self, name: str, method: str, *params, timeout: float = 10.0):
        """JSON-RPC 1.0 call to one of the regtest nodes, with its cookie."""
        import base64
        import urllib.error
        import urllib.request

        node = self.ltc[name]
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

    def start_litecoind(self, name: str) -> Proc:
        """Start (or restart, same datadir and ports) one regtest node and wait for its RPC."""
        node = self.ltc[name]
        comp = f"litecoind-{name}"
        self._set(comp, "starting", node["url"], "regtest")
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
            args.append(f"-connect=127.0.0.1:{self.ltc['ltc-ref']['p2p']}")
        proc = self._spawn(comp, args, grace=15.0)

        def ready():
            if not proc.alive():
                raise Fatal(f"litecoind {name} exited: see {node['datadir']}/regtest/debug.log")
            try:
                return self.ltc_rpc(name, "getblockcount", timeout=2) is not None
            except (OSError, RuntimeError):
                return False

        wait_until(ready, 60, f"litecoind {name} did not answer", proc)
        self._set(comp, "up", detail=f"pid {proc.pid}, REAL regtest node")
        return proc

    def _start_litecoind(self) -> None:
        base = self.run_dir / "litecoind"
        for name in LTC_NODES:
            datadir = base / name
            datadir.mkdir(parents=True, exist_ok=True)
            rpc_port, p2p = free_port(), free_port()
            self.ltc[name] = {
                "url": f"http://127.0.0.1:{rpc_port}",
                "cookie": str(datadir / "regtest" / ".cookie"),
                "datadir": str(datadir),
                "p2p": p2p,
                "rpc": rpc_port,
            }
        for name in LTC_NODES:
            self.start_litecoind(name)
        wait_until(lambda: self.ltc_rpc("ltc-node", "getconnectioncount") >= 1, 30, "ltc-node did not connect to ltc-ref")
        self.ltc_rpc("ltc-ref", "generatetodescriptor", 10, LTC_DESCRIPTOR)  # out of initial block download
        wait_until(lambda: self.ltc_rpc("ltc-node", "getblockcount") >= 10, 30, "ltc-node did not sync the first blocks")
        self._set("ltc-miner", "starting")
        threading.Thread(target=self._mine, name="chainwatch-demo-ltc-miner", daemon=True).start()
        self._set("ltc-miner", "up", detail=f"ltc-ref mines a block every {self.options.ltc_block_seconds:g} s")

    def _mine(self) -> None:
        while not self._miner_stop.wait(self.options.ltc_block_seconds):
            try:
                self.ltc_rpc("ltc-ref", "generatetodescriptor", 1, LTC_DESCRIPTOR)
            except (OSError, RuntimeError):
                pass  # ltc-ref restarting or stopping: mine again next time

    def _start_rollup(self, binary: str) -> None:
        port = free_port()
        self.rollup_l2_url = f"http://127.0.0.1:{port}"
        self._set("anvil-rollup-l2", "starting", self.rollup_l2_url, "the sequencer's L2 chain")
        args = [binary, "--host", "127.0.0.1", "--port", str(port), "--block-time", "1", "--silent", "--prune-history", "--chain-id", str(ROLLUP_L2_CHAIN_ID)]
        proc = self._spawn("anvil-rollup-l2", args)
        wait_until(lambda: rpc(self.rollup_l2_url, "eth_blockNumber", timeout=1), 20, "anvil rollup-l2 did not answer", proc)
        self._set("anvil-rollup-l2", "up")
        port = free_port()
        self.opnode_url = f"http://127.0.0.1:{port}"
        self._set("opnode-sim", "starting", self.opnode_url, "SIMULATED op-node")
        args = [sys.executable, "-m", "chainwatch.kinds.opnode.simulator", "--port", str(port), "--l1", self.anvils[REFERENCES[0]], "--l2", self.rollup_l2_url]
        proc = self._spawn("opnode-sim", args)
        wait_http(self.opnode_url + "/-/state", 30, proc)
        self._set("opnode-sim", "up", detail=f"pid {proc.pid}, SIMULATED op-node (L1 {REFERENCES[0]}, L2 anvil-rollup-l2)")

    def _start_beacon(self) -> None:
        node, index = lodestar_paths()
        port, p2p = free_port(), free_port()
        self.beacon_url = f"http://127.0.0.1:{port}"
        work = self.run_dir / "lodestar"
        work.mkdir(parents=True, exist_ok=True)
        sps = str(self.options.seconds_per_slot)
        self._set("lodestar", "starting", self.beacon_url, "dev chain")
        args = [
            str(node),
            str(index),
            "dev",
            "--genesisValidators",
            str(BEACON_GENESIS_VALIDATORS),
            "--genesisTime",
            str(int(time.time()) + 8),
            "--reset",
            "--dataDir",
            str(work / "data"),
            "--rest.address",
            "127.0.0.1",
            "--rest.port",
            str(port),
            "--server",
            self.beacon_url,
            "--port",
            str(p2p),
            "--listenAddress",
            "127.0.0.1",
            "--discv5",
            "false",
            "--params.SECONDS_PER_SLOT",
            sps,
        ]
        proc = self._spawn("lodestar", args, cwd=work, grace=3.0)
        wait_http(self.beacon_url + "/eth/v1/node/syncing", 90, proc)
        self._set("lodestar", "up")
        self.start_validators()

    def start_validators(self) -> None:
        """Validator clients: indexes 0..5 (group main) and 6 (group spare); 7 stays offline."""
        node, index = lodestar_paths()
        work = self.run_dir / "lodestar"
        for comp, indexes in (("lodestar-validators", "0..5"), ("lodestar-validator-spare", "6..6")):
            self._set(comp, "starting", detail=f"indexes {indexes}")
            args = [
                str(node),
                str(index),
                "validator",
                "--network",
                "dev",
                "--interopIndexes",
                indexes,
                "--server",
                self.beacon_url,
                "--dataDir",
                str(work / f"vdata-{comp}"),
                "--params.SECONDS_PER_SLOT",
                str(self.options.seconds_per_slot),
            ]
            proc = self._spawn(comp, args, cwd=work, grace=3.0)
            self._set(comp, "up", detail=f"pid {proc.pid}, indexes {indexes}")

    def _wait_validators_live(self) -> None:
        """Every watched validator attested in the previous epoch: only then is the chain "healthy".

        The validator clients need a few seconds after genesis; the epochs they missed while
        starting would otherwise be the demo's first (bogus) page.
        """
        watched = sorted(i for group in BEACON_GROUPS.values() for i in group)
        self._set("lodestar-validators", "starting", detail="waiting until every watched validator attests")

        beacon = self.components["lodestar"].proc

        def live():
            if not beacon.alive():
                raise Fatal(f"lodestar exited with {beacon.proc.returncode}:\n{beacon.tail()}")
            slot = int(http_json(self.beacon_url + "/eth/v1/node/syncing")["data"]["head_slot"])
            epoch = slot // 8
            if epoch < 1:
                return False
            query = "&".join(f"indices={i}" for i in watched)
            rows = http_json(f"{self.beacon_url}/eth/v1/validator/liveness?{query}&epoch={epoch - 1}")["data"]
            return len(rows) == len(watched) and all(r.get("is_live") for r in rows)

        wait_until(live, 120, "the Lodestar validators did not start attesting", self.components["lodestar-validators"].proc, 1.0)
        self._set("lodestar-validators", "up", detail=f"pid {self.components['lodestar-validators'].proc.pid}, indexes 0..5 (7 offline)")

    # ------------------------------------------------------------------ config

    def demo_config(self) -> dict:
        secrets = self.run_dir / "secrets"
        secrets.mkdir(exist_ok=True, mode=0o700)
        pd_key, og_key = secrets / "pagerduty.key", secrets / "opsgenie.key"
        pd_key.write_text(PAGERDUTY_KEY)
        og_key.write_text(OPSGENIE_KEY)
        for f in (pd_key, og_key):
            f.chmod(0o600)
        relaxed_slo = {"availability": 0.5, "latency": {"threshold_seconds": 0.5, "target": 0.5}, "freshness": {"target": 0.5}}
        chains: dict = {
            EVM_CHAIN: {
                "kind": "evm",
                "network": "anvil",
                "chain_id": 31337,
                "team": TEAM,
                "block_time_seconds": 1,
                "thresholds": {
                    "sync_lag_blocks_warning": 5,
                    "sync_lag_blocks_critical": 20,
                    "sync_lag_seconds_warning": 5,
                    "sync_lag_seconds_critical": 20,
                    "head_stale_blocks": 5,
                    "head_stale_min_seconds": 5,
                    "chain_halt_blocks": 5,
                    "chain_halt_min_seconds": 5,
                    "mempool_pending_max": 20,
                    "rpc_latency_p95_seconds": 0.25,
                    "rpc_error_ratio": 0.05,
                    "peers_min": 0,
                    "durations": DURATIONS,
                },
                "slo": relaxed_slo,
                "endpoints": [{"name": r, "url": self.endpoints[r], "role": "reference"} for r in REFERENCES]
                + [{"name": n, "url": self.endpoints[n], "role": "node"} for n in ("node-1", *PROXIED)],
            }
        }
        if self.has_solana:
            validators = {v["name"]: v for v in self.solana_state["validators"]}
            chains[SOLANA_CHAIN] = {
                "kind": "solana",
                "network": "simulated",
                "team": TEAM,
                "thresholds": {
                    "sync_lag_blocks_warning": 50,
                    "sync_lag_blocks_critical": 200,
                    "sync_lag_seconds_warning": 20,
                    "sync_lag_seconds_critical": 80,
                    "head_stale_blocks": 10,
                    "head_stale_min_seconds": 5,
                    "chain_halt_blocks": 10,
                    "chain_halt_min_seconds": 5,
                    "solana_vote_lag_slots": 30,
                    "solana_behind_slots": 100,
                    "rpc_latency_p95_seconds": 0.25,
                    "durations": SOLANA_DURATIONS,
                },
                "slo": relaxed_slo,
                "endpoints": [{"name": n, "url": f"{self.solana_url}/{n}", "role": "reference" if "ref" in n else "node"} for n in SOLANA_NODES],
                "validators": {
                    "endpoint": "sol-ref-1",
                    "fallbacks": ["sol-ref-2"],
                    "interval_seconds": 3,
                    "groups": {
                        "main": [{"name": v, "vote_account": validators[v]["vote_account"], "identity": validators[v]["identity"]} for v in SOLANA_WATCHED]
                    },
                },
            }
        if self.has_subgraph:
            from chainwatch.kinds.subgraph.simulator import SIM_DEPLOYMENT

            chains[SUBGRAPH_CHAIN] = {
                "kind": "subgraph",
                "network": "anvil",
                "indexes": EVM_CHAIN,
                "team": TEAM,
                "deployment": SIM_DEPLOYMENT,
                "stall_seconds": 10,
                "thresholds": {
                    # The article's indexer alert: 100 blocks (here 1 s blocks, so also 100 s); warning at half.
                    "sync_lag_blocks_warning": 50,
                    "sync_lag_blocks_critical": 100,
                    "sync_lag_seconds_warning": 50,
                    "sync_lag_seconds_critical": 100,
                    "rpc_latency_p95_seconds": 0.25,
                    "durations": DURATIONS,
                },
                "slo": relaxed_slo,
                "endpoints": [{"name": "graph-sim", "url": f"{self.subgraph_url}/subgraphs/name/sim", "index_node_url": f"{self.subgraph_url}/graphql"}],
            }
        if self.has_cosmos:
            validators = {v["name"]: v for v in self.cosmos_state["validators"]}
            chains[COSMOS_CHAIN] = {
                "kind": "cosmos",
                "network": "simulated",
                "team": TEAM,
                "chain_id": self.cosmos_state["chain_id"],
                "block_time_seconds": COSMOS_BLOCK_SECONDS,
                "thresholds": {
                    "sync_lag_blocks_warning": 5,
                    "sync_lag_blocks_critical": 20,
                    "sync_lag_seconds_warning": 5,
                    "sync_lag_seconds_critical": 20,
                    "head_stale_blocks": 5,
                    "head_stale_min_seconds": 5,
                    "chain_halt_blocks": 5,
                    "chain_halt_min_seconds": 5,
                    "rpc_latency_p95_seconds": 0.25,
                    "peers_min": 0,
                    "cosmos_consecutive_misses": 5,
                    "cosmos_solo_miss_ratio": 0.5,
                    "cosmos_miss_ratio_window": "1m",
                    # 100-block window at 1 s blocks: at most 50 s until jail, so the headrooms are seconds here (14.4 s, 7.2 s).
                    "cosmos_jail_headroom_warning_hours": 0.004,
                    "cosmos_jail_headroom_critical_hours": 0.002,
                    "durations": COSMOS_DURATIONS,
                },
                "slo": relaxed_slo,
                "endpoints": [
                    {"name": n, "url": f"{self.cosmos_url}/{n}", "lcd_url": f"{self.cosmos_url}/{n}/lcd", "role": "reference" if "ref" in n else "node"}
                    for n in COSMOS_NODES
                ],
                "validators": {
                    "endpoint": "cos-ref-1",
                    "fallbacks": ["cos-ref-2"],
                    "interval_seconds": 1,
                    "lcd_interval_seconds": 2,
                    "groups": {
                        "main": [
                            {"name": "val-1", "consensus_address": validators["val-1"]["address"]},
                            {"name": "val-2", "operator_address": validators["val-2"]["valoper"]},
                        ]
                    },
                },
            }
        if self.has_bitcoin:
            chains[BITCOIN_CHAIN] = {
                "kind": "bitcoin",
                "network": "regtest",
                "chain": "regtest",
                "team": TEAM,
                "block_time_seconds": self.options.ltc_block_seconds,
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
                "slo": relaxed_slo,
                "endpoints": [
                    {"name": n, "url": self.ltc[n]["url"], "role": "reference" if n == "ltc-ref" else "node", "cookie_file": self.ltc[n]["cookie"]}
                    for n in LTC_NODES
                ],
            }
        if self.has_rollup:
            fast = {
                "head_stale_blocks": 5,
                "head_stale_min_seconds": 5,
                "chain_halt_blocks": 5,
                "chain_halt_min_seconds": 5,
                "rpc_latency_p95_seconds": 0.25,
                "peers_min": 0,
                "durations": DURATIONS,
            }
            chains[ROLLUP_L2_CHAIN] = {
                "kind": "evm",
                "network": "anvil",
                "chain_id": ROLLUP_L2_CHAIN_ID,
                "team": TEAM,
                "block_time_seconds": 1,
                "thresholds": fast,
                "slo": relaxed_slo,
                "endpoints": [
                    {"name": "l2-seq", "url": self.rollup_l2_url, "role": "reference"},
                    {"name": "l2-node-1", "url": self.rollup_l2_url, "role": "node"},
                ],
            }
            chains[ROLLUP_CHAIN] = {
                "kind": "opnode",
                "network": "anvil",
                "team": TEAM,
                "block_time_seconds": 1,
                "l1_chain": EVM_CHAIN,
                "l2_chain": ROLLUP_L2_CHAIN,
                "l2_chain_id": ROLLUP_L2_CHAIN_ID,
                "thresholds": fast,
                "slo": relaxed_slo,
                "rollup": {
                    "safe_lag_seconds": ROLLUP_SAFE_LAG_SECONDS,
                    "safe_lag_for": DURATIONS["sync_lag"],
                    "l1_lag_blocks": ROLLUP_L1_LAG_BLOCKS,
                    "l1_lag_for": DURATIONS["sync_lag"],
                    "finality_lag_seconds": 600,
                    "finality_lag_for": "1m",
                },
                "endpoints": [{"name": "op-node-1", "url": self.opnode_url, "role": "node"}],
            }
        if self.has_beacon:
            sps = self.options.seconds_per_slot
            chains[BEACON_CHAIN] = {
                "kind": "beacon",
                "network": "dev",
                "team": TEAM,
                "seconds_per_slot": sps,
                "slots_per_epoch": 8,
                "thresholds": {
                    "head_stale_blocks": 4,
                    "head_stale_min_seconds": 8,
                    "chain_halt_blocks": 6,
                    "chain_halt_min_seconds": 10,
                    "sync_lag_blocks_warning": 4,
                    "sync_lag_blocks_critical": 16,
                    "sync_lag_seconds_warning": 8,
                    "sync_lag_seconds_critical": 32,
                    # 8 epochs (128 s at 2 s slots): a loaded laptop's dev chain can slip finality by an epoch or two
                    # while validators are offline; the demo must page for the misses, not for that.
                    "finality_epochs": 8,
                    "attestation_consecutive_misses": 2,
                    "attestation_miss_ratio": 0.5,
                    "peers_min": 0,
                    "durations": BEACON_DURATIONS,
                },
                "slo": relaxed_slo,
                "endpoints": [{"name": "lodestar-1", "url": self.beacon_url, "role": "node"}],
                "validators": {"endpoint": "lodestar-1", "groups": BEACON_GROUPS},
            }
        timing = {"critical": FAST_AM, "warning": FAST_AM, "info": FAST_AM}
        return {
            "exporter": {"state_dir": str(self.run_dir / "state"), "min_probe_interval_seconds": 1.0, "reference_max_age_seconds": 1.0},
            "generate": {"runbook_base_url": (self.generated / "runbooks").as_uri(), "grafana_url": "http://127.0.0.1:3000"},
            "alertmanager": {**timing, "external_url": self.alertmanager_url or "http://127.0.0.1:9093"},
            "teams": {
                TEAM: {
                    "pagerduty": {"routing_key_file": str(pd_key), "url": self.capture.pagerduty_url},
                    "opsgenie": {"api_key_file": str(og_key), "api_url": self.capture.opsgenie_url, "responders": [{"type": "team", "name": TEAM}]},
                    "warnings_to": "opsgenie",
                }
            },
            "chains": chains,
        }

    def _write_config(self) -> None:
        self.am_port = free_port()
        self.alertmanager_url = f"http://127.0.0.1:{self.am_port}"
        text = "# chainwatch demo config (written by `chainwatch demo`; short thresholds for a local devnet)\n"
        text += yaml.safe_dump(self.demo_config(), sort_keys=False)
        self.config_path.write_text(text)

    def _generate(self) -> None:
        from chainwatch.core.config import load

        config = load(self.config_path, need_secrets=False)
        for part in ("rules", "alertmanager"):
            module = importlib.import_module(f"chainwatch.{part}.generate")
            module.write(config, self.generated)
        try:
            importlib.import_module("chainwatch.dashboards.generate").write(config, self.generated)
        except Exception as exc:  # noqa: BLE001 - dashboards are for Grafana, which the demo does not run
            self.skipped["dashboards"] = f"dashboard generation failed: {exc}"

    # ------------------------------------------------------------------ servers

    def start_exporter(self) -> None:
        if not self.exporter_port:
            self.exporter_port = free_port()
        self._set("exporter", "starting", self.exporter_url)
        args = [
            sys.executable,
            "-m",
            "chainwatch.cli",
            "serve",
            "--config.file",
            str(self.config_path),
            "--web.listen-address",
            f"127.0.0.1:{self.exporter_port}",
        ]
        proc = self._spawn("exporter", args)
        wait_http(self.exporter_url + "/-/healthy", 30, proc)
        self._set("exporter", "up", detail=f"pid {proc.pid}")

    def _start_alertmanager(self, binary: str) -> None:
        self._set("alertmanager", "starting", self.alertmanager_url)
        args = [
            binary,
            f"--config.file={self.generated / 'alertmanager' / 'alertmanager.yml'}",
            f"--storage.path={self.run_dir / 'alertmanager-data'}",
            f"--web.listen-address=127.0.0.1:{self.am_port}",
            "--cluster.listen-address=",
            f"--web.external-url={self.alertmanager_url}",
        ]
        proc = self._spawn("alertmanager", args)
        wait_http(self.alertmanager_url + "/-/ready", 30, proc)
        self._set("alertmanager", "up", detail=f"pid {proc.pid}")

    def _start_prometheus(self, binary: str) -> None:
        port = free_port()
        self.prometheus_url = f"http://127.0.0.1:{port}"
        self._set("prometheus", "starting", self.prometheus_url)
        interval = f"{self.options.scrape_interval:g}s"
        config = {
            "global": {"scrape_interval": interval, "scrape_timeout": interval, "evaluation_interval": f"{self.options.evaluation_interval:g}s"},
            "rule_files": [str(self.generated / "rules" / "*.rules.yml")],
            "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{self.am_port}"]}]}]},
            "scrape_configs": [{"job_name": "chainwatch", "static_configs": [{"targets": [f"127.0.0.1:{self.exporter_port}"]}]}],
        }
        path = self.run_dir / "prometheus.yml"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        args = [
            binary,
            f"--config.file={path}",
            f"--storage.tsdb.path={self.run_dir / 'prometheus-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            f"--web.external-url={self.prometheus_url}/",
            "--storage.tsdb.retention.time=1d",
            # The demo runs on a 1 s clock; Prometheus' 1 min resend of resolved alerts would hold
            # a resolve that an inhibition muted (SyncLagHigh under HeadStale) for a minute.
            "--rules.alert.resend-delay=10s",
        ]
        proc = self._spawn("prometheus", args)
        wait_http(self.prometheus_url + "/-/ready", 60, proc)
        self._set("prometheus", "up", detail=f"pid {proc.pid}")

    def _wait_healthy(self) -> None:
        """Ready when Prometheus has scraped the exporter and evaluated the chainwatch rules."""

        def scraped():
            data = self.prom_query('up{job="chainwatch"} == 1')
            return bool(data)

        wait_until(scraped, 60, "Prometheus did not scrape the exporter", self.components["prometheus"].proc, 0.5)

        def rules_loaded():
            status, body = http_get(self.prometheus_url + "/api/v1/rules", 2)
            groups = json.loads(body)["data"]["groups"] if status == 200 else []
            return groups and all(g.get("lastEvaluation", "").startswith("20") for g in groups)

        wait_until(rules_loaded, 30, "Prometheus did not evaluate the generated rules", self.components["prometheus"].proc, 0.5)

    # ------------------------------------------------------------------ queries

    def prom_query(self, expr: str) -> list[dict]:
        import urllib.parse

        data = http_json(self.prometheus_url + "/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
        return data["data"]["result"]

    def firing(self) -> list[dict]:
        """Alerts Prometheus currently has (pending and firing)."""
        data = http_json(self.prometheus_url + "/api/v1/alerts")
        return data["data"]["alerts"]

    def pages(self, since: float = 0.0):
        return [p for p in interpret(self.capture.received()) if p.received_at >= since]

    # ------------------------------------------------------------------ state file / stop

    def state(self) -> dict:
        return {
            "pid": os.getpid(),
            "started_at": self.started_at,
            "ready_at": self.ready_at,
            "run_dir": str(self.run_dir),
            "config": str(self.config_path),
            "generated": str(self.generated),
            "prometheus": self.prometheus_url,
            "alertmanager": self.alertmanager_url,
            "exporter": self.exporter_url,
            "capture": self.capture.url,
            "pages_log": str(self.run_dir / "pages.log"),
            "chains": list(self.chains),
            "skipped": self.skipped,
            "active_faults": self.active_faults,
            "components": {
                c.name: {"status": c.status, "address": c.address, "detail": c.detail, "pid": c.proc.pid if c.proc else None} for c in self.components.values()
            },
        }

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._miner_stop.set()
        if "ltc-miner" in self.components:
            self.components["ltc-miner"].status = "stopped"
        order = [
            "prometheus",
            "alertmanager",
            "exporter",
            "lodestar-validator-spare",
            "lodestar-validators",
            "lodestar",
            "solana-sim",
            "subgraph-sim",
            "cosmos-sim",
            "opnode-sim",
            *(f"litecoind-{n}" for n in reversed(LTC_NODES)),
            *(n for n in self.components if n.startswith("anvil-")),
        ]
        for name in order:
            comp = self.components.get(name)
            if comp is not None and comp.proc is not None:
                comp.proc.stop()
                comp.status = "stopped"
        if self.proxy is not None and self.loop is not None:
            try:
                self.run_async(self.proxy.stop(), 10)
            except Exception:  # noqa: BLE001 - stopping must go on
                pass
            self.components["fault-proxy"].status = "stopped"
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.loop.stop)
            if self._loop_thread is not None:
                self._loop_thread.join(5)
            self.loop.close() if not self.loop.is_running() else None
        self.capture.stop()
        if "capture" in self.components:
            self.components["capture"].status = "stopped"

    def pids(self) -> list[int]:
        return [c.proc.pid for c in self.components.values() if c.proc is not None and c.proc.pid]

    def __enter__(self) -> "Stack":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
