"""The demo's base chain: REAL anvil nodes as the EVM chain ``devnet``, and its faults.

Two references (``ref-1``, ``ref-2``), the operated node ``node-1`` and a second operated anvil
served through the fault proxy (``chainwatch.devnet.proxy``) as three RPC front-ends ``node-2``,
``node-3``, ``node-4``; each anvil mines a block a second. The other parts build on it: the
simulated graph-node indexes it, the rollup derives from it as its L1 and runs its L2 on another
anvil (:meth:`EvmDevnet.start_chain`). Faults change anvil's mining (its ``evm_*``/``anvil_*``
RPC methods, https://book.getfoundry.sh/reference/anvil/) or the proxy, never the metrics.

The operational account ``batcher`` (anvil's second dev account, unlocked, 10000 ETH at genesis)
posts a "batch" to :data:`BATCH_INBOX` on every anvil every :data:`BATCH_SECONDS`,
:data:`BATCH_ETH` at a time, one transaction in flight per anvil (a frozen node queues no pile):
its balance falls and its runway is about a day (``ChainwatchAccountRunwayLow``, issue #31).
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Callable

from chainwatch.devnet.part import (
    ACCOUNT_THRESHOLDS,
    ACCOUNTS_INTERVAL_SECONDS,
    DRAINED_SHARE,
    DURATIONS,
    TEAM,
    THRESHOLDS,
    BasePart,
    Fault,
    LAG_ALERTS,
)
from chainwatch.devnet.procs import anvil_binary, free_port, http_json, rpc, wait_until

if TYPE_CHECKING:
    from chainwatch.devnet.stack import Stack

CHAIN = "devnet"
CHAIN_ID = 31337
REFERENCES = ("ref-1", "ref-2")
PROXIED = ("node-2", "node-3", "node-4")  # RPC front-ends of one anvil, through the fault proxy
DEV_ACCOUNT = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
DEFAULT_GAS_LIMIT = 30_000_000
BATCHER = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"  # anvil's second dev account (unlocked)
BATCH_INBOX = "0xff00000000000000000000000000000000031337"  # the OP Stack's batch inbox form: 0xff00..<chain id>
BATCH_ETH = 0.5  # every BATCH_SECONDS: 0.1 ETH a second, 10000 ETH last about 28 hours (~1.2 days of runway)
# A batch waits up to a block (1 s) in the pool: one every 5 s leaves most scrapes an empty pool.
# One a second kept a transaction pending at nearly every scrape, and a pool that never shrinks
# between scrapes is ChainwatchMempoolNotMined (it paged in an e2e trial).
BATCH_SECONDS = 5.0
WEI = 10**18


def _head(url: str) -> int:
    return int(rpc(url, "eth_blockNumber"), 16)


def _freeze(url: str) -> None:
    rpc(url, "evm_setAutomine", [False])
    rpc(url, "evm_setIntervalMining", [0])


def _mine_every(url: str, interval: int) -> None:
    rpc(url, "evm_setIntervalMining", [interval])


class EvmDevnet(BasePart):
    name = "evm"
    kind = "evm"
    what = "the anvil devnet"
    order = 0
    chains = (CHAIN,)

    def __init__(self, stack: "Stack"):
        super().__init__(stack)
        self.anvils: dict[str, str] = {}  # anvil name -> url
        self.endpoints: dict[str, str] = {}  # endpoint name -> url probed by the exporter
        self.proxy = None
        self._batcher_stop = threading.Event()
        self.before_drain: dict[str, int] = {}  # anvil url -> the batcher's wei before the drain

    def tools(self) -> dict[str, str]:
        return {"anvil": anvil_binary()}

    def components(self) -> tuple[tuple[str, str], ...]:
        return (("fault-proxy", "thread"), *((f"anvil-{name}", "process") for name in (*REFERENCES, "node-1", "node-2")), ("batcher", "thread"))

    def _anvil_args(self, port: int, chain_id: int) -> list[str]:
        return [
            self.stack.tools["anvil"],
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--block-time",
            "1",
            "--silent",
            "--prune-history",
            "--chain-id",
            str(chain_id),
        ]

    def start(self) -> None:
        stack = self.stack
        procs = {}
        for name in (*REFERENCES, "node-1", "node-2"):
            comp = f"anvil-{name}"
            port = free_port()
            stack.set_status(comp, "starting", f"http://127.0.0.1:{port}")
            procs[name] = (stack.spawn(comp, self._anvil_args(port, CHAIN_ID)), f"http://127.0.0.1:{port}")
        for name, (proc, url) in procs.items():
            wait_until(lambda url=url: rpc(url, "eth_blockNumber", timeout=1), 20, f"anvil {name} did not answer", proc)
            self.anvils[name] = url
            stack.set_status(f"anvil-{name}", "up")
        for r in REFERENCES:
            self.endpoints[r] = self.anvils[r]
        self.endpoints["node-1"] = self.anvils["node-1"]
        self._start_proxy()
        stack.set_status("batcher", "starting")
        threading.Thread(target=self._batch, name="chainwatch-demo-batcher", daemon=True).start()
        stack.set_status("batcher", "up", detail=f"{BATCHER} sends {BATCH_ETH:g} ETH every {BATCH_SECONDS:g} s on every anvil")

    def _batch(self) -> None:
        """One batch every :data:`BATCH_SECONDS` per anvil, only once its previous one is mined (a
        frozen or flooded node keeps one pending, not a pile)."""
        counts = [{"jsonrpc": "2.0", "id": tag, "method": "eth_getTransactionCount", "params": [BATCHER, tag]} for tag in ("pending", "latest")]
        while not self._batcher_stop.wait(BATCH_SECONDS):
            for url in list(self.anvils.values()):
                try:
                    nonces = {answer["id"]: answer.get("result") for answer in http_json(url, counts, 2)}  # one request for both
                    if nonces["pending"] == nonces["latest"]:
                        rpc(url, "eth_sendTransaction", [{"from": BATCHER, "to": BATCH_INBOX, "value": hex(int(BATCH_ETH * WEI))}], 2)
                except (OSError, RuntimeError, KeyError, TypeError, ValueError):
                    pass  # an anvil stopping, or the balance too low to pay: batch again next time

    def drain(self) -> None:
        """The batcher's balance drops to :data:`DRAINED_SHARE` on every anvil (``anvil_setBalance``:
        mined or not, whatever the node-1 faults do meanwhile)."""
        for url in self.anvils.values():
            wei = int(rpc(url, "eth_getBalance", [BATCHER, "latest"]), 16)
            self.before_drain[url] = wei
            rpc(url, "anvil_setBalance", [BATCHER, hex(int(wei * DRAINED_SHARE))])

    def top_up(self) -> None:
        """Back to the balance before the drain, on every anvil."""
        for url, wei in self.before_drain.items():
            rpc(url, "anvil_setBalance", [BATCHER, hex(wei)])
        self.before_drain.clear()

    def _start_proxy(self) -> None:
        from chainwatch.devnet.proxy import FaultProxy

        stack = self.stack
        stack.set_status("fault-proxy", "starting")
        self.proxy = FaultProxy({name: self.anvils["node-2"] for name in PROXIED})
        stack.run_async(self.proxy.start())
        for name in PROXIED:
            self.endpoints[name] = self.proxy.url(name)
        stack.set_status("fault-proxy", "up", f"http://127.0.0.1:{self.proxy.port}/<node>", "node-2..4 -> anvil-node-2")

    def stop(self) -> None:
        self._batcher_stop.set()
        if "batcher" in self.stack.components:
            self.stack.components["batcher"].status = "stopped"
        super().stop()
        stack = self.stack
        if self.proxy is not None and stack.loop is not None:
            try:
                stack.run_async(self.proxy.stop(), 10)
            except Exception:  # noqa: BLE001 - stopping must go on
                pass
            stack.components["fault-proxy"].status = "stopped"

    # ------------------------------------------------------------------ for the parts on top

    @property
    def reference_url(self) -> str:
        return self.anvils[REFERENCES[0]]

    @property
    def reference_name(self) -> str:
        return REFERENCES[0]

    @property
    def reference_component(self) -> str:
        return f"anvil-{REFERENCES[0]}"

    def start_chain(self, component: str, chain_id: int, detail: str) -> str:
        stack = self.stack
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        stack.set_status(component, "starting", url, detail)
        proc = stack.spawn(component, self._anvil_args(port, chain_id))
        wait_until(lambda: rpc(url, "eth_blockNumber", timeout=1), 20, f"anvil {component.removeprefix('anvil-')} did not answer", proc)
        stack.set_status(component, "up")
        return url

    def halt(self) -> None:
        for url in self.anvils.values():
            _freeze(url)

    def resume(self) -> None:
        # Nodes first, references a moment later: the per-node "head stale" symptoms must be gone
        # before the chain-wide alert that inhibits them resolves, or they would page on the way out.
        for name in ("node-1", "node-2"):
            _mine_every(self.anvils[name], 1)
        time.sleep(self.stack.options.scrape_interval + 1.5)
        for name in REFERENCES:
            _mine_every(self.anvils[name], 1)
        time.sleep(1.2)
        for name in ("node-1", "node-2"):
            self.resync(name)

    def resync(self, name: str) -> None:
        """Mine the node up to the references' head (timestamps now, not in the future), then 1 block/s."""
        url = self.anvils[name]
        target = max(_head(self.anvils[r]) for r in REFERENCES)
        missing = target - _head(url)
        if missing > 0:
            rpc(url, "anvil_mine", [hex(missing), "0x0"])
        _mine_every(url, 1)

    # ------------------------------------------------------------------ config

    def chain_blocks(self, slo: dict) -> dict[str, dict]:
        return {
            CHAIN: {
                "kind": self.kind,
                "network": "anvil",
                "chain_id": CHAIN_ID,
                "team": TEAM,
                "block_time_seconds": 1,
                "thresholds": {
                    **THRESHOLDS,
                    "mempool_pending_max": 20,
                    "rpc_error_ratio": 0.05,
                    "peers_min": 0,
                    **ACCOUNT_THRESHOLDS,
                    "durations": DURATIONS,
                },
                "slo": slo,
                # Each anvil mines its own blocks: the same heights, other hashes. Not one chain's
                # copies, so not compared (a real chain's nodes are: see docs/rules.md, divergence).
                "compare_block_hashes": False,
                "endpoints": [{"name": r, "url": self.endpoints[r], "role": "reference"} for r in REFERENCES]
                + [{"name": n, "url": self.endpoints[n], "role": "node"} for n in ("node-1", *PROXIED)],
                "accounts": [{"name": "batcher", "address": BATCHER, "purpose": "batcher"}],
                "accounts_interval_seconds": ACCOUNTS_INTERVAL_SECONDS,
            }
        }


# --------------------------------------------------------------------------- faults


def _devnet(stack: "Stack") -> EvmDevnet:
    return stack.part(EvmDevnet.name)


def _since_start(stack: "Stack") -> float:
    return time.time() - (stack.ready_at or stack.started_at)


def _window_fill(fraction: float) -> Callable[["Stack"], float]:
    """Seconds until a fault that affects ``fraction`` of requests passes 5% of the 5m rate window."""

    def threshold(stack: "Stack") -> float:
        window = min(300.0, _since_start(stack) + 30)
        return 0.05 * window / fraction + 3

    return threshold


def stall_inject(stack: "Stack") -> None:
    _freeze(_devnet(stack).anvils["node-1"])


def stall_heal(stack: "Stack") -> None:
    _devnet(stack).resync("node-1")


def lag_inject(stack: "Stack") -> None:
    _mine_every(_devnet(stack).anvils["node-1"], 3)  # one block every 3 s while the chain makes one a second


def flood_inject(stack: "Stack") -> None:
    url = _devnet(stack).anvils["node-1"]
    rpc(url, "evm_setBlockGasLimit", [hex(21000)])  # one transfer per block: the pool cannot drain
    # anvil may already be building the next block with the old limit, which would take most of
    # the flood at once: send only once a block carries the new one.
    wait_until(lambda: int(rpc(url, "eth_getBlockByNumber", ["latest", False])["gasLimit"], 16) == 21000, 15, "node-1 mining with the one-transfer gas limit")
    for _ in range(100):
        rpc(url, "eth_sendTransaction", [{"from": DEV_ACCOUNT, "to": DEV_ACCOUNT, "value": "0x1"}])


def flood_heal(stack: "Stack") -> None:
    url = _devnet(stack).anvils["node-1"]
    rpc(url, "evm_setBlockGasLimit", [hex(DEFAULT_GAS_LIMIT)])
    rpc(url, "anvil_dropAllTransactions")


def _account_threshold(stack: "Stack") -> float:
    """The drained balance is read within an accounts round, then scraped and evaluated."""
    return ACCOUNTS_INTERVAL_SECONDS + 1


def _proxy(stack: "Stack", node: str, fault: str | None, **kw) -> None:
    proxy = _devnet(stack).proxy
    assert proxy is not None
    if fault is None:
        stack.call_soon(proxy.clear, node)
    else:
        stack.call_soon(lambda: proxy.set_fault(node, fault, **kw))


EvmDevnet.faults = (
    Fault(
        "stall-node",
        "node-1 stops producing blocks (anvil mining frozen)",
        CHAIN,
        ("ChainwatchHeadStale",),
        LAG_ALERTS,
        {"endpoint": "node-1"},
        "head_stale",
        lambda s: 6,
        stall_inject,
        stall_heal,
    ),
    Fault(
        "lag-node",
        "node-1 imports a block every 3 s while the chain makes one a second",
        CHAIN,
        ("ChainwatchSyncLagHigh",),
        ("ChainwatchSyncLagSecondsHigh",),
        {"endpoint": "node-1"},
        "sync_lag",
        lambda s: 9,
        lag_inject,
        stall_heal,
    ),
    Fault(
        "flood-mempool",
        "100 transactions sent to node-1 while its block gas limit fits one per block",
        CHAIN,
        ("ChainwatchMempoolHigh",),
        ("ChainwatchMempoolNotMined",),
        {"endpoint": "node-1"},
        "mempool",
        lambda s: 3,
        flood_inject,
        flood_heal,
    ),
    Fault(
        "slow-rpc",
        "the proxy delays every request to node-2 by 0.6 s",
        CHAIN,
        ("ChainwatchRpcLatencyHigh",),
        (),
        {"endpoint": "node-2"},
        "rpc_latency",
        _window_fill(1.0),
        lambda s: _proxy(s, "node-2", "slow", delay=0.6),
        lambda s: _proxy(s, "node-2", None),
    ),
    Fault(
        "rpc-errors",
        "the proxy answers every second request to node-3 with HTTP 503",
        CHAIN,
        ("ChainwatchRpcErrorRatioHigh",),
        ("ChainwatchProbeFailing",),
        {"endpoint": "node-3"},
        "rpc_errors",
        _window_fill(0.5),
        lambda s: _proxy(s, "node-3", "errors", every=2),
        lambda s: _proxy(s, "node-3", None),
    ),
    Fault(
        "wrong-chain",
        "node-4 answers eth_chainId 1 (mainnet) on the 31337 devnet",
        CHAIN,
        ("ChainwatchWrongChain",),
        (),  # EndpointDown fires too, inhibited by WrongChain: one page
        {"endpoint": "node-4"},
        "down",
        lambda s: 3,
        lambda s: _proxy(s, "node-4", "wrong_chain", chain_id=1),
        lambda s: _proxy(s, "node-4", None),
    ),
    Fault(
        "drain-batcher",
        f"the batcher account is drained to {DRAINED_SHARE:.0%} of its balance (its runway falls to seconds); heal tops it up",
        CHAIN,
        ("ChainwatchAccountRunwayLow",),
        (),
        {"chain": CHAIN},
        "account_runway",
        _account_threshold,
        lambda s: _devnet(s).drain(),
        lambda s: _devnet(s).top_up(),
    ),
)

DEMO = EvmDevnet
