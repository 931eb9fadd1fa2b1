"""The whole chainwatch stack on loopback: devnets, exporter, Prometheus, Alertmanager.

:class:`Stack` knows no chain kind: it asks the registry for the kinds that have a demo part
(``kinds/<kind>/demo.py``, :class:`~chainwatch.devnet.part.DemoPart`) and starts, in order,
each on a free 127.0.0.1 port:

1. the capture receiver standing in for PagerDuty and Opsgenie (``capture.py``);
2. the parts that need a head start (``early``: a genesis clock that runs meanwhile);
3. the base part, the chain the others follow (an L1, the chain a subgraph indexes);
4. every other part in its ``order``, each unless ``--no-<name>`` or what it needs is missing
   (then the status table and ``state.json`` say why, under ``skipped``);
5. ``chainwatch serve`` with the generated config, ``chainwatch generate`` output, real
   Prometheus loading the generated rules and real Alertmanager with the generated config,
   once every part is ready.

Thresholds and ``for:`` durations are shortened (each part's chain block, the shared
:data:`~chainwatch.devnet.part.DURATIONS`) so a fault pages within seconds; the SLO objectives
are relaxed because burn-rate windows (1 h to 3 d) mean nothing on a stack that lives for
minutes. Everything stops with :meth:`Stack.stop`. ``docs/demo.md`` lists what runs.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import shutil
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import yaml

from chainwatch import kinds
from chainwatch.assembly.names import WATCHDOG
from chainwatch.devnet.capture import CaptureServer
from chainwatch.devnet.pages import interpret
from chainwatch.devnet.part import DURATIONS, TEAM, BasePart, DemoPart, seconds
from chainwatch.devnet.procs import MissingTool, Proc, find_tool, free_port, http_get, http_json, wait_http, wait_until

__all__ = ["DURATIONS", "Component", "Options", "Stack", "seconds"]

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
    without: frozenset[str] = frozenset()  # demo parts left out (`--no-<name>`)
    require: frozenset[str] = frozenset()  # parts that must run: what they miss is an error, not a skip
    settings: dict[str, float] = field(default_factory=dict)  # a part's knobs (DemoPart.settings) over its defaults
    start_gate: Path | None = None  # test hook: see Stack._hold_start_up


class Stack:
    def __init__(self, options: Options, progress: Callable[["Stack"], None] | None = None):
        self.options = options
        self.run_dir = Path(options.run_dir)
        self.progress = progress or (lambda _s: None)
        self.components: dict[str, Component] = {}
        self.capture = CaptureServer()
        self.loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: threading.Thread | None = None
        self.parts: dict[str, DemoPart] = {part.name: part(self) for part in kinds.demo_parts()}
        self.running: list[DemoPart] = []  # the parts that run, in order (plan)
        self.chains: list[str] = []
        self.tools: dict[str, str] = {}
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

    # ------------------------------------------------------------------ parts

    def part(self, name: str) -> DemoPart:
        return self.parts[name]

    @property
    def base(self) -> BasePart:
        """The part whose chain the others follow."""
        (base,) = (p for p in self.parts.values() if p.base)
        return base

    def runs(self, name: str) -> bool:
        return self.parts[name] in self.running

    def part_of_chain(self, chain: str) -> DemoPart | None:
        return next((p for p in self.parts.values() if chain in p.chains), None)

    def durations(self) -> dict[str, str]:
        """Every `for:` of the demo by key, the shared ones and each part's own (a fault's budget looks its alert's up here)."""
        out = dict(DURATIONS)
        for part in self.parts.values():
            out.update(part.durations)
        return out

    # ------------------------------------------------------------------ helpers

    def _component(self, name: str, kind: str = "process") -> Component:
        comp = self.components.setdefault(name, Component(name, kind))
        return comp

    def set_status(self, name: str, status: str, address: str | None = None, detail: str | None = None) -> None:
        comp = self._component(name)
        comp.status = status
        if address is not None:
            comp.address = address
        if detail is not None:
            comp.detail = detail
        self.progress(self)

    def spawn(self, name: str, args: list[str], *, cwd: Path | None = None, env: dict | None = None, grace: float = 5.0) -> Proc:
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
    def exporter_url(self) -> str:
        return f"http://127.0.0.1:{self.exporter_port}"

    # ------------------------------------------------------------------ start

    def plan(self) -> None:
        """Decide which parts run and register every component (for the status table)."""
        self.chains, self.running = [], []
        self._component("capture", "thread")
        for part in self.parts.values():
            if part.base:
                why = None
            elif part.name in self.options.without:
                why = f"disabled with --no-{part.name}"
            else:
                why = part.missing()
                if why is not None and part.name in self.options.require:
                    raise MissingTool(why)
            if why is not None:
                self.skipped[part.name] = why
                continue
            self.running.append(part)
            self.chains += part.chains
            for name, kind in part.components():
                self._component(name, kind)
        for name in ("exporter", "prometheus", "alertmanager"):
            self._component(name)

    def check_tools(self) -> dict[str, str]:
        """Every binary the demo needs, or :class:`MissingTool` naming the set-up command."""
        return {
            **self.base.tools(),
            "prometheus": find_tool("prometheus", what="prometheus (Debian package prometheus)"),
            "alertmanager": find_tool("prometheus-alertmanager", what="Alertmanager (Debian package prometheus-alertmanager)")
            if shutil.which("prometheus-alertmanager")
            else find_tool("alertmanager", what="Alertmanager (Debian package prometheus-alertmanager)"),
        }

    def start(self) -> "Stack":
        self.started_at = time.time()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "logs").mkdir(exist_ok=True)
        self.tools = self.check_tools()
        self.plan()
        self.progress(self)
        try:
            self._start_loop()
            self.set_status("capture", "starting")
            self.capture.start()
            self.set_status("capture", "up", self.capture.url, "PagerDuty + Opsgenie stand-in")
            for part in self.running:
                if part.early:
                    part.prepare()  # first: its clock runs while the rest starts
            self.base.start()
            if self.options.start_gate is not None:
                self._hold_start_up(self.options.start_gate)
            for part in self.running:
                if not part.base:
                    part.start()
            for part in self.running:
                part.wait_ready()
            self._write_config()
            self._generate()
            self.start_exporter()
            self._start_alertmanager(self.tools["alertmanager"])
            self._start_prometheus(self.tools["prometheus"])
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
        """Test hook (``chainwatch demo --start-gate FILE``, hidden): with the base part running and
        the rest not started, start-up waits here until FILE exists. The status table says so
        (``start-gate: starting ... held until FILE exists``), so a test can signal a demo that is
        certainly still starting instead of racing its start-up (issue #36). A signal ends the
        wait like any other start-up step (the sleep is in the main thread)."""
        self._component("start-gate", "hook")
        self.set_status("start-gate", "starting", detail=f"held until {gate} exists (test hook)")
        while not gate.exists():
            time.sleep(0.1)
        self.set_status("start-gate", "up", detail=f"released: {gate} exists")

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
        chains: dict = {}
        for part in self.running:
            chains.update(part.chain_blocks(relaxed_slo))
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
        from chainwatch.assembly.config import load

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
        self.set_status("exporter", "starting", self.exporter_url)
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
        proc = self.spawn("exporter", args)
        wait_http(self.exporter_url + "/-/healthy", 30, proc)
        self.set_status("exporter", "up", detail=f"pid {proc.pid}")

    def _start_alertmanager(self, binary: str) -> None:
        self.set_status("alertmanager", "starting", self.alertmanager_url)
        args = [
            binary,
            f"--config.file={self.generated / 'alertmanager' / 'alertmanager.yml'}",
            f"--storage.path={self.run_dir / 'alertmanager-data'}",
            f"--web.listen-address=127.0.0.1:{self.am_port}",
            "--cluster.listen-address=",
            f"--web.external-url={self.alertmanager_url}",
        ]
        proc = self.spawn("alertmanager", args)
        wait_http(self.alertmanager_url + "/-/ready", 30, proc)
        self.set_status("alertmanager", "up", detail=f"pid {proc.pid}")

    def _start_prometheus(self, binary: str) -> None:
        port = free_port()
        self.prometheus_url = f"http://127.0.0.1:{port}"
        self.set_status("prometheus", "starting", self.prometheus_url)
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
        proc = self.spawn("prometheus", args)
        wait_http(self.prometheus_url + "/-/ready", 60, proc)
        self.set_status("prometheus", "up", detail=f"pid {proc.pid}")

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
        """Alerts Prometheus currently has (pending and firing), but the always-firing
        ChainwatchWatchdog: it says the alert path is alive, not that anything is wrong."""
        data = http_json(self.prometheus_url + "/api/v1/alerts")
        return [a for a in data["data"]["alerts"] if a["labels"].get("alertname") != WATCHDOG]

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
        for name in ("prometheus", "alertmanager", "exporter"):
            comp = self.components.get(name)
            if comp is not None and comp.proc is not None:
                comp.proc.stop()
                comp.status = "stopped"
        for part in reversed(self.running):
            part.stop()
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
