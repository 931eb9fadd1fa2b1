"""What a chain kind adds to the demo: its :class:`DemoPart`, its :class:`Fault` records, and
the settings every part shares (team, shortened ``for:`` durations).

A kind that has a demo part holds it in ``kinds/<kind>/demo.py`` as ``DEMO``, a subclass of
:class:`DemoPart` (:meth:`chainwatch.kinds.base.ChainKind.demo`); :class:`~chainwatch.devnet.stack.Stack`
asks the registry for them and knows no kind itself. A part runs its nodes or simulator, writes
its chain block(s) of the demo config and declares the faults it can inject; ``--no-<name>``
leaves it out. Cross-kind faults (the base chain halting, the killed exporter) are the stack's
own (``devnet/faults.py``).
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from typing import Any, Callable, ClassVar

from chainwatch.core.durations import seconds
from chainwatch.devnet.procs import free_port, http_json, wait_http

# The running devnet.stack.Stack; not imported, as the stack imports this module.
RunningStack = Any

TEAM = "demo-ops"
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
    "account_runway": "10s",
    "account_minimum": "10s",
    "account_unreadable": "30s",
}
# The demo's thresholds of a chain of 1 s blocks, in blocks and seconds: small, so that a fault
# pages within seconds (each part adds its kind's own).
THRESHOLDS = {
    "sync_lag_blocks_warning": 5,
    "sync_lag_blocks_critical": 20,
    "sync_lag_seconds_warning": 5,
    "sync_lag_seconds_critical": 20,
    "head_stale_blocks": 5,
    "head_stale_min_seconds": 5,
    "chain_halt_blocks": 5,
    "chain_halt_min_seconds": 5,
    "rpc_latency_p95_seconds": 0.25,
}
# Operational accounts (``accounts:``, issue #31). A runway of days cannot page within a demo's
# minutes: the demo's healthy accounts hold about a day at their pace, far above a warning of
# 0.002 days (173 s); a drained one (:data:`DRAINED_SHARE` of its balance left) has seconds.
# The spend window is the product's shortest (5m), so the drain stays in the spend rate for
# 5 minutes after the heal: the top-up back to the balance before the drain is what brings the
# runway back above the warning at once (balance x 300 s / drained amount, about 316 s).
ACCOUNT_THRESHOLDS = {"account_runway_days_warning": 0.002, "account_runway_days_critical": 0.001, "account_spend_window": "5m"}
ACCOUNTS_INTERVAL_SECONDS = 2
DRAINED_SHARE = 0.05
SLACK_SECONDS = 6.0
LAG_ALERTS = ("ChainwatchSyncLagHigh", "ChainwatchSyncLagSecondsHigh")


class FaultUnavailable(RuntimeError):
    """The piece this fault needs is not running (not installed, or not in this build)."""


@dataclass(frozen=True)
class Fault:
    """One fault: what it does, what must page (``expect``), what may page too because it describes
    the same fault (``allow``), and its budget: time to cross the threshold + the rule's ``for:`` +
    2 x scrape interval + Alertmanager group wait + a few seconds."""

    name: str
    help: str
    chain: str
    expect: tuple[str, ...]
    allow: tuple[str, ...]
    target: dict  # labels every expected page carries, e.g. {"endpoint": "node-1"}
    duration: str  # key of thresholds.durations that is the alert's for:
    threshold_seconds: Callable[[RunningStack], float]
    inject: Callable[[RunningStack], None]
    heal: Callable[[RunningStack], None]

    def budget(self, stack: RunningStack) -> float:
        scrape = stack.options.scrape_interval
        return self.threshold_seconds(stack) + seconds(stack.durations()[self.duration]) + 2 * scrape + stack.options.evaluation_interval + 1 + SLACK_SECONDS

    def available(self, stack: RunningStack) -> None:
        part = stack.part_of_chain(self.chain)
        if part is not None and self.chain not in stack.chains:
            raise FaultUnavailable(f"{self.name} needs {part.what}, which is not running: {stack.skipped.get(part.name, 'unknown reason')}")


class DemoPart:
    """One kind's piece of the demo, made once per :class:`~chainwatch.devnet.stack.Stack`.

    The stack calls, for each part that runs: :meth:`components` (status table), :meth:`prepare`
    (parts with ``early``, before anything else starts), :meth:`start` (the ``base`` part first),
    :meth:`wait_ready` (after every part started), :meth:`chain_blocks` (the demo config) and
    :meth:`stop` (reverse order). Faults reach their part with ``stack.part(name)``.
    """

    name: ClassVar[str]  # `--no-<name>`, the key of Stack.skipped
    what: ClassVar[str]  # what a fault needing it says is not running: "the Solana simulator"
    flag_help: ClassVar[str] = ""  # help of `--no-<name>`; the base part has no flag
    order: ClassVar[int]  # place in the status table, the config and the fault list
    chains: ClassVar[tuple[str, ...]]  # the chains it adds to the config, in order
    base: ClassVar[bool] = False  # the chain the others follow (an L1, a chain to index): always runs, starts first
    early: ClassVar[bool] = False  # prepare() runs before every other start (its genesis clock runs meanwhile)
    durations: ClassVar[dict[str, str]] = {}  # its kind's own alerts' `for:` (its Durations subclass)
    settings: ClassVar[dict[str, float]] = {}  # its knobs and their defaults (Options.settings overrides)
    faults: ClassVar[tuple[Fault, ...]] = ()

    def __init__(self, stack: RunningStack):
        self.stack = stack

    def setting(self, key: str) -> float:
        return self.stack.options.settings.get(key, self.settings[key])

    def missing(self) -> str | None:
        """Why this build or machine cannot run the part (None: it can)."""
        return None

    def tools(self) -> dict[str, str]:
        """The binaries the base part needs, by name (:class:`~chainwatch.devnet.procs.MissingTool` when one is missing)."""
        return {}

    def components(self) -> tuple[tuple[str, str], ...]:
        """(name, kind) of each piece it runs, kind ``process`` or ``thread``."""
        return ()

    def prepare(self) -> None:
        pass

    def start(self) -> None:
        pass

    def wait_ready(self) -> None:
        pass

    def chain_blocks(self, slo: dict) -> dict[str, dict]:
        """Its chains of the demo config; ``slo`` is the relaxed SLO every chain shares."""
        raise NotImplementedError

    def stop(self) -> None:
        for name, _ in reversed(self.components()):
            comp = self.stack.components.get(name)
            if comp is not None and comp.proc is not None:
                comp.proc.stop()
                comp.status = "stopped"


class BasePart(DemoPart):
    """The part whose chain the others build on (``base = True``): what they may ask of it."""

    base = True
    kind: ClassVar[str]  # the chain kind of its chains (and of the chains it starts for others)

    @property
    def chain(self) -> str:
        return self.chains[0]

    @property
    def reference_url(self) -> str:
        """The URL of a reference node: the chain a simulator follows or derives from."""
        raise NotImplementedError

    @property
    def reference_name(self) -> str:
        """That reference's endpoint name (``ref-1``)."""
        raise NotImplementedError

    @property
    def reference_component(self) -> str:
        """That reference's component in the status table (``anvil-ref-1``)."""
        raise NotImplementedError

    def start_chain(self, component: str, chain_id: int, detail: str) -> str:
        """Start another chain of its kind as ``component`` for a part on top of it (a rollup's
        L2 execution chain); returns its URL. It stops with the component."""
        raise NotImplementedError

    def halt(self) -> None:
        """Every node of the chain, references too, stops making blocks."""
        raise NotImplementedError

    def resume(self) -> None:
        """Undo :meth:`halt` without a page on the way out."""
        raise NotImplementedError


class SimulatedPart(DemoPart):
    """A part whose chain is one simulator process (``kinds/<kind>/simulator.py`` on
    :class:`~chainwatch.devnet.simulator.Simulation`): ``simulator`` (its module, run with
    ``python -m``), ``component`` (its row in the status table), ``simulated`` (what it is: the
    "not part of this build" reason and the status detail). :meth:`start` spawns it on a free
    loopback port with ``--port`` and :meth:`arguments`, waits for ``GET /-/state`` (30 s) and
    keeps its answer in ``state``; faults go through :meth:`control` (``POST /-/control``)."""

    simulator: ClassVar[str]
    component: ClassVar[str]
    simulated: ClassVar[str]
    serves: ClassVar[str] = "SIMULATED chain"  # the status table's detail: "SIMULATED CometBFT chain"

    def __init__(self, stack: RunningStack):
        super().__init__(stack)
        self.url = ""
        self.state: dict = {}

    def missing(self) -> str | None:
        if importlib.util.find_spec(self.simulator) is None:
            return f"the {self.simulated} ({self.simulator}) is not part of this build"
        return None

    def components(self) -> tuple[tuple[str, str], ...]:
        return ((self.component, "process"),)

    def arguments(self) -> list[str]:
        """The simulator's own command-line flags (after ``--port``)."""
        return []

    def detail(self) -> str:
        """What the status table says of the running simulator."""
        return self.serves

    def start(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.stack.set_status(self.component, "starting", self.url, self.detail())
        proc = self.stack.spawn(self.component, [sys.executable, "-m", self.simulator, "--port", str(port), *self.arguments()])
        wait_http(self.url + "/-/state", 30, proc)
        self.state = http_json(self.url + "/-/state")
        self.stack.set_status(self.component, "up", detail=f"pid {proc.pid}, {self.detail()}")

    def control(self, *bodies: dict) -> None:
        """Send each body to the simulator's ``POST /-/control``, in order."""
        for body in bodies:
            http_json(self.url + "/-/control", body)

    @classmethod
    def send(cls, stack: RunningStack, *bodies: dict) -> None:
        """:meth:`control` of this part of ``stack``: what a fault's inject and heal call."""
        stack.part(cls.name).control(*bodies)
