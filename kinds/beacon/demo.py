"""The demo's REAL Lodestar dev beacon chain as ``beacon-dev``, when ``.ci/install-lodestar`` installed it.

8 genesis validators: 0..5 in one validator client (group ``main``), 6 in another (group
``spare``, the one ``miss-attestations`` freezes with SIGSTOP), 7 never started (offline from
genesis, not watched). Lodestar starts before the other parts: its genesis clock runs while
they start, and the stack is ready only once every watched validator attested.
"""

from __future__ import annotations

import importlib.util
import signal
import time
from typing import TYPE_CHECKING

from chainwatch.devnet.part import DURATIONS, TEAM, DemoPart, Fault, FaultUnavailable
from chainwatch.devnet.procs import Fatal, free_port, http_json, lodestar_paths, wait_http, wait_until

if TYPE_CHECKING:
    from chainwatch.devnet.stack import Stack

CHAIN = "beacon-dev"
GENESIS_VALIDATORS = 8
SLOTS_PER_EPOCH = 8
GROUPS = {"main": [0, 1, 2, 3, 4, 5], "spare": [6]}


class BeaconDemo(DemoPart):
    name = "beacon"
    what = "the Lodestar dev chain"
    flag_help = "Do not start the Lodestar dev chain even when it is installed."
    order = 60
    chains = (CHAIN,)
    early = True
    durations = {"finality": "10s"}
    settings = {"seconds_per_slot": 2}

    def __init__(self, stack: "Stack"):
        super().__init__(stack)
        self.url = ""

    @property
    def seconds_per_slot(self) -> int:
        return int(self.setting("seconds_per_slot"))

    def missing(self) -> str | None:
        if lodestar_paths() is None:
            return "Lodestar is not installed (.ci/setup runs .ci/install-lodestar)"
        if importlib.util.find_spec("chainwatch.kinds.beacon.probe") is None:
            return "the beacon probe is not part of this build"
        return None

    def components(self) -> tuple[tuple[str, str], ...]:
        return (("lodestar", "process"), ("lodestar-validators", "process"), ("lodestar-validator-spare", "process"))

    def prepare(self) -> None:
        stack = self.stack
        node, index = lodestar_paths()
        port, p2p = free_port(), free_port()
        self.url = f"http://127.0.0.1:{port}"
        work = stack.run_dir / "lodestar"
        work.mkdir(parents=True, exist_ok=True)
        stack.set_status("lodestar", "starting", self.url, "dev chain")
        args = [
            str(node),
            str(index),
            "dev",
            "--genesisValidators",
            str(GENESIS_VALIDATORS),
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
            self.url,
            "--port",
            str(p2p),
            "--listenAddress",
            "127.0.0.1",
            "--discv5",
            "false",
            "--params.SECONDS_PER_SLOT",
            str(self.seconds_per_slot),
        ]
        proc = stack.spawn("lodestar", args, cwd=work, grace=3.0)
        wait_http(self.url + "/eth/v1/node/syncing", 90, proc)
        stack.set_status("lodestar", "up")
        self.start_validators()

    def start_validators(self) -> None:
        """Validator clients: indexes 0..5 (group main) and 6 (group spare); 7 stays offline."""
        stack = self.stack
        node, index = lodestar_paths()
        work = stack.run_dir / "lodestar"
        for comp, indexes in (("lodestar-validators", "0..5"), ("lodestar-validator-spare", "6..6")):
            stack.set_status(comp, "starting", detail=f"indexes {indexes}")
            args = [
                str(node),
                str(index),
                "validator",
                "--network",
                "dev",
                "--interopIndexes",
                indexes,
                "--server",
                self.url,
                "--dataDir",
                str(work / f"vdata-{comp}"),
                "--params.SECONDS_PER_SLOT",
                str(self.seconds_per_slot),
            ]
            proc = stack.spawn(comp, args, cwd=work, grace=3.0)
            stack.set_status(comp, "up", detail=f"pid {proc.pid}, indexes {indexes}")

    def wait_ready(self) -> None:
        """Every watched validator attested in the previous epoch: only then is the chain "healthy".

        The validator clients need a few seconds after genesis; the epochs they missed while
        starting would otherwise be the demo's first (bogus) page.
        """
        stack = self.stack
        watched = sorted(i for group in GROUPS.values() for i in group)
        stack.set_status("lodestar-validators", "starting", detail="waiting until every watched validator attests")
        beacon = stack.components["lodestar"].proc

        def live():
            if not beacon.alive():
                raise Fatal(f"lodestar exited with {beacon.proc.returncode}:\n{beacon.tail()}")
            slot = int(http_json(self.url + "/eth/v1/node/syncing")["data"]["head_slot"])
            epoch = slot // SLOTS_PER_EPOCH
            if epoch < 1:
                return False
            query = "&".join(f"indices={i}" for i in watched)
            rows = http_json(f"{self.url}/eth/v1/validator/liveness?{query}&epoch={epoch - 1}")["data"]
            return len(rows) == len(watched) and all(r.get("is_live") for r in rows)

        wait_until(live, 120, "the Lodestar validators did not start attesting", stack.components["lodestar-validators"].proc, 1.0)
        stack.set_status("lodestar-validators", "up", detail=f"pid {stack.components['lodestar-validators'].proc.pid}, indexes 0..5 (7 offline)")

    def chain_blocks(self, slo: dict) -> dict[str, dict]:
        return {
            CHAIN: {
                "kind": "beacon",
                "network": "dev",
                "team": TEAM,
                "seconds_per_slot": self.seconds_per_slot,
                "slots_per_epoch": SLOTS_PER_EPOCH,
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
                    "durations": {**DURATIONS, **self.durations},
                },
                "slo": slo,
                "endpoints": [{"name": "lodestar-1", "url": self.url, "role": "node"}],
                "validators": {"endpoint": "lodestar-1", "groups": GROUPS},
            }
        }


# --------------------------------------------------------------------------- faults


def spare_validator(stack: "Stack", stop: bool) -> None:
    comp = stack.components.get("lodestar-validator-spare")
    if comp is None or comp.proc is None:
        raise FaultUnavailable("the spare validator client is not running")
    comp.proc.signal(signal.SIGSTOP if stop else signal.SIGCONT)
    comp.status = "stopped" if stop else "up"
    comp.detail = f"pid {comp.proc.pid}, index 6" + (" (SIGSTOPped by miss-attestations)" if stop else "")


def _epochs(stack: "Stack", n: float) -> float:
    return n * SLOTS_PER_EPOCH * stack.part(BeaconDemo.name).seconds_per_slot


BeaconDemo.faults = (
    Fault(
        "miss-attestations",
        "the validator client of group spare (index 6) is frozen with SIGSTOP",
        CHAIN,
        ("ChainwatchAttestationsMissed",),
        ("ChainwatchAttestationMissRatioHigh", "ChainwatchProposalMissed"),
        {"chain": CHAIN},
        "validator",
        lambda s: _epochs(s, 4.5),
        lambda s: spare_validator(s, True),
        lambda s: spare_validator(s, False),
    ),
)

DEMO = BeaconDemo
