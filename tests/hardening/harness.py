"""Shared pieces of the hardening tests: an exporter subprocess pointed at hostile servers,
and a reader for its log that counts what was said above INFO, per endpoint."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from tests.support.stack import Exporter, Samples, write_config

LEVEL = re.compile(r"\blevel=(\w+)")
ENDPOINT = re.compile(r"\bendpoint=(\S+)")
CHAIN = re.compile(r"\bchain=(\S+)")
LOGGER = re.compile(r"\blogger=(\S+)")


def loud_lines(log_path: Path) -> list[str]:
    """Log lines above INFO (warning, error, critical) and anything that is not logfmt (tracebacks)."""
    out = []
    for line in log_path.read_text(errors="replace").splitlines():
        if not line.strip():
            continue
        match = LEVEL.search(line)
        if match is None or match.group(1) not in ("debug", "info"):
            out.append(line)
    return out


def assert_quiet_logs(log_path: Path, endpoints: list[str]) -> Counter:
    """At most one line above INFO per component and endpoint (the tests run well within a
    minute), each naming its endpoint (or chain, for validator monitors), none at error level
    and no traceback. Returns the count per endpoint/chain."""
    lines = loud_lines(log_path)
    per_endpoint: Counter = Counter()
    per_source: Counter = Counter()
    for line in lines:
        level = LEVEL.search(line)
        assert level is not None, f"unstructured line in the exporter's log: {line[:300]}"
        assert level.group(1) == "warning", f"logged above warning: {line[:300]}"
        name = ENDPOINT.search(line) or CHAIN.search(line)  # validator monitors speak per chain
        assert name is not None, f"warning without an endpoint or chain: {line[:300]}"
        logger = LOGGER.search(line)
        per_source[(logger.group(1) if logger else "", name.group(1))] += 1
        per_endpoint[name.group(1)] += 1
    # Per component and endpoint: a probe and a validator monitor reading the same broken
    # endpoint are two problems, each said once.
    noisy = {n: c for n, c in per_source.items() if c > 1}
    assert not noisy, f"more than one warning per endpoint within a minute: {noisy}"
    unknown = set(per_endpoint) - set(endpoints)
    assert not unknown, f"warnings for endpoints that are not configured: {unknown}"
    return per_endpoint


def start(tmp_path: Path, chains: dict, *, env: dict | None = None, args: tuple[str, ...] = (), **exporter) -> Exporter:
    path = write_config(tmp_path / "chainwatch.yaml", chains, exporter=exporter or {})
    return Exporter(path, tmp_path, extra_env=env, extra_args=list(args))


def reasons(samples: Samples, endpoint: str) -> list[str]:
    return [labels["reason"] for labels, value in samples.find("chainwatch_probe_failure_reason", endpoint=endpoint) if value == 1]


class DebugExporter(Exporter):
    """``chainwatch serve`` at a chosen log level (the stack fixture's is fixed at info)."""

    def __init__(self, config_path: Path, log_dir: Path, *, extra_env: dict | None = None, log_level: str = "debug", log_format: str = "logfmt"):
        import os
        import sys

        from chainwatch.devnet.procs import Proc, free_port, wait_http

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [
            sys.executable,
            "-m",
            "chainwatch.cli",
            "serve",
            "--config.file",
            str(config_path),
            "--web.listen-address",
            f"127.0.0.1:{self.port}",
            "--log.level",
            log_level,
            "--log.format",
            log_format,
        ]
        self.log_path = log_dir / f"exporter-{self.port}.log"
        Proc.__init__(self, "exporter", args, env={**os.environ, **(extra_env or {})}, log=self.log_path)
        self.start()
        wait_http(self.url + "/-/healthy", proc=self)
