"""Real servers for integration tests: anvil nodes, the exporter, Prometheus (each a
:class:`chainwatch.devnet.procs.Proc`, the demo's own process helper).

Everything binds to 127.0.0.1 on a free port and is stopped by the fixture that started it.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import yaml

from chainwatch.devnet.procs import Proc, free_port, rpc, wait_http

from . import anvil, require_binary
from .poll import StopWaiting, wait_until


class Anvil(Proc):
    def __init__(self, log_dir: Path, *, block_time: float = 1.0, chain_id: int | None = None, name: str = "anvil"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [anvil(), "--host", "127.0.0.1", "--port", str(self.port), "--block-time", str(block_time), "--silent", "--prune-history"]
        if chain_id:
            args += ["--chain-id", str(chain_id)]
        super().__init__(name, args, log=log_dir / f"{name}-{self.port}.log")
        self.start()

        def answers():
            if self.proc.poll() is not None:
                raise StopWaiting(f"anvil exited with {self.proc.returncode}")
            return rpc(self.url, "eth_blockNumber", timeout=1)

        wait_until(answers, 15, f"anvil {name} on {self.url} answering", interval=0.05, errors=(OSError,))

    def call(self, method: str, params: list | None = None):
        return rpc(self.url, method, params)

    def head(self) -> int:
        return int(self.call("eth_blockNumber"), 16)

    def freeze(self) -> None:
        self.call("evm_setAutomine", [False])
        self.call("evm_setIntervalMining", [0])

    def resume(self, interval: int = 1) -> None:
        self.call("evm_setIntervalMining", [interval])


DEV_ACCOUNT = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"


class Exporter(Proc):
    def __init__(self, config_path: Path, log_dir: Path, *, extra_env: dict | None = None, extra_args: list[str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, **(extra_env or {})}
        args = [sys.executable, "-m", "chainwatch.cli", "serve", "--config.file", str(config_path), "--web.listen-address", f"127.0.0.1:{self.port}"]
        args += extra_args or []
        self.log_path = log_dir / f"exporter-{self.port}.log"
        super().__init__("exporter", args, env=env, log=self.log_path)
        self.start()
        wait_http(self.url + "/-/healthy", proc=self)

    def get(self, path: str, headers: dict | None = None, timeout: float = 30) -> tuple[int, str]:
        req = urllib.request.Request(self.url + path, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def post(self, path: str) -> tuple[int, str]:
        req = urllib.request.Request(self.url + path, data=b"", method="POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def metrics(self, path: str = "/metrics", headers: dict | None = None) -> "Samples":
        status, text = self.get(path, headers)
        assert status == 200, text
        return Samples.parse(text)


class Samples:
    """Parsed exposition: ``samples.value("chainwatch_peers", endpoint="geth-1")``."""

    def __init__(self, rows):
        self.rows = rows

    @classmethod
    def parse(cls, text: str) -> "Samples":
        from prometheus_client.parser import text_string_to_metric_families

        rows = []
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                rows.append((s.name, dict(s.labels), s.value))
        return cls(rows)

    def find(self, name: str, **labels) -> list[tuple[dict, float]]:
        return [(l, v) for n, l, v in self.rows if n == name and all(l.get(k) == v2 for k, v2 in labels.items())]

    def value(self, name: str, **labels) -> float | None:
        found = self.find(name, **labels)
        assert len(found) <= 1, f"{name}{labels} matches {len(found)} series"
        return found[0][1] if found else None


class Prometheus(Proc):
    def __init__(
        self,
        workdir: Path,
        scrape_configs: list[dict],
        *,
        rule_files: list[str] | None = None,
        interval: str = "1s",
        alertmanager: str | None = None,
        extra_config: dict | None = None,
        extra_args: list[str] | None = None,
    ):
        """``extra_config`` merges top-level keys (``remote_write``, ``external_labels`` under ``global``);
        ``extra_args`` adds flags (``--web.enable-remote-write-receiver``)."""
        binary = require_binary("prometheus")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = {"global": {"scrape_interval": interval, "evaluation_interval": interval, "scrape_timeout": interval}, "scrape_configs": scrape_configs}
        if rule_files:
            config["rule_files"] = rule_files
        if alertmanager:
            config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]}
        for key, value in (extra_config or {}).items():
            config[key] = {**config[key], **value} if isinstance(config.get(key), dict) else value
        workdir.mkdir(parents=True, exist_ok=True)
        path = workdir / "prometheus.yml"
        path.write_text(yaml.safe_dump(config))
        args = [
            binary,
            f"--config.file={path}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            f"--web.external-url={self.url}/",
            *(extra_args or []),
        ]
        super().__init__("prometheus", args, log=workdir / "prometheus.log")
        self.start()
        wait_http(self.url + "/-/ready", proc=self, timeout=30)

    def query(self, expr: str) -> list[dict]:
        url = self.url + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        with urllib.request.urlopen(url, timeout=10) as r:
            data = json.loads(r.read())
        assert data["status"] == "success", data
        return data["data"]["result"]

    def wait_for(self, expr: str, timeout: float = 30.0) -> list[dict]:
        return wait_until(lambda: self.query(expr), timeout, f"{expr} returning a series", interval=0.25)


def write_config(path: Path, chains: dict, **top) -> Path:
    path.write_text(yaml.safe_dump({**top, "chains": chains}, sort_keys=False))
    return path
