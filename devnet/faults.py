"""Faults the demo can inject into its running stack, what each must page, and its budget.

Each fault changes a real piece (an anvil's mining, the RPC proxy, a simulator, a Lodestar
validator client, the exporter process) — never the metrics or the alerts — so what pages is
what chainwatch actually detected. A kind's faults live with its demo part
(``kinds/<kind>/demo.py``, :class:`~chainwatch.devnet.part.Fault`); the stack's own are here:
the base chain halting (which also stops the rollup's L1 and the chain the subgraph indexes)
and the killed exporter (which silences every chain).

``expect``: alerts that must reach the capture receiver; ``allow``: alerts that may page
too because they describe the same fault (a stalled node also lags); anything else is an
unexpected page. ``budget(stack)``: time to cross the threshold + the rule's ``for:`` +
2 x scrape interval + Alertmanager group wait + a few seconds.
"""

from __future__ import annotations

import signal
import time

from chainwatch import kinds
from chainwatch.devnet.part import SLACK_SECONDS, Fault, FaultUnavailable
from chainwatch.devnet.procs import wait_until
from chainwatch.devnet.rundir import demo_command
from chainwatch.devnet.stack import Stack

__all__ = ["FAULTS", "SLACK_SECONDS", "Fault", "FaultUnavailable", "heal", "inject", "wait_healthy_node"]


def kill_exporter(stack: Stack) -> None:
    proc = stack.components["exporter"].proc
    proc.signal(signal.SIGKILL)
    proc.proc.wait(5)
    stack.components["exporter"].status = "failed"
    stack.components["exporter"].detail = "killed by the kill-exporter fault"


def restart_exporter(stack: Stack) -> None:
    if stack.components["exporter"].proc.alive():
        return
    stack.start_exporter()


def _catalog() -> dict[str, Fault]:
    parts = kinds.demo_parts()
    (base,) = (p for p in parts if p.base)
    own = (
        Fault(
            "halt-chain",
            "every anvil stops (references and nodes): one page for the chain, not one per node",
            base.chains[0],
            ("ChainwatchChainHalted",),
            (),
            {"chain": base.chains[0]},
            "chain_halt",
            lambda s: 7,
            lambda s: s.base.halt(),
            lambda s: s.base.resume(),
        ),
        Fault(
            "kill-exporter",
            "the chainwatch exporter process is killed (SIGKILL)",
            base.chains[0],
            ("ChainwatchExporterAbsent",),
            (),
            {},
            "down",
            lambda s: s.options.scrape_interval + 1,
            kill_exporter,
            restart_exporter,
        ),
    )
    faults = [*base.faults, *own, *(f for p in parts if not p.base for f in p.faults)]
    return {f.name: f for f in faults}


FAULTS: dict[str, Fault] = _catalog()


def inject(stack: Stack, name: str) -> Fault:
    fault = FAULTS.get(name)
    if fault is None:
        raise KeyError(f"unknown fault {name!r}; faults: {', '.join(FAULTS)}")
    fault.available(stack)
    if name in stack.active_faults:
        raise ValueError(f"{name} is already injected; run `{demo_command(stack.run_dir)} heal` first")
    fault.inject(stack)
    stack.active_faults[name] = time.time()
    stack.progress(stack)
    return fault


def heal(stack: Stack, names: list[str] | None = None) -> list[str]:
    """Undo the given (default: every active) fault, most recent first."""
    todo = sorted(stack.active_faults.copy().items(), key=lambda kv: -kv[1])  # a copy: the e2e suite injects from several threads
    healed = []
    for name, _ in todo:
        if names and name not in names:
            continue
        FAULTS[name].heal(stack)
        stack.active_faults.pop(name, None)
        healed.append(name)
    stack.progress(stack)
    return healed


def wait_healthy_node(stack: Stack, name: str = "node-1", timeout: float = 20) -> None:
    """After a heal: wait until the exporter sees the base chain's node close to the references again."""

    def ok():
        rows = stack.prom_query(f'chainwatch_sync_lag_blocks{{chain="{stack.base.chain}",endpoint="{name}"}} <= 2')
        return bool(rows)

    wait_until(ok, timeout, f"{name} did not catch up after heal", interval=0.5)
