"""``deploy/chainwatch.service``: systemd accepts it, and it keeps what an operator relies on
(a transient unprivileged user, reload by SIGHUP, a state directory for the validator
monitors, the hardening options)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from tests.support import REPO

UNIT = REPO / "deploy" / "chainwatch.service"


def _parse(text: str) -> dict[str, dict[str, list[str]]]:
    """section -> key -> values (systemd keys may repeat: ``SystemCallFilter=``)."""
    sections: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    section = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, sep, value = line.partition("=")
        assert section is not None and sep, f"not a key=value line in a section: {raw!r}"
        sections[section][key.strip()].append(value.strip())
    return sections


def test_unit_has_what_operators_rely_on():
    unit = _parse(UNIT.read_text())
    service = unit["Service"]
    assert service["DynamicUser"] == ["yes"]
    assert service["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert service["StateDirectory"] == ["chainwatch"]
    assert service["WorkingDirectory"] == ["%S/chainwatch"]  # the default state_dir (./chainwatch-state) lands in it
    exec_start = service["ExecStart"][0].split()
    assert exec_start[1:3] == ["serve", "--config.file=/etc/chainwatch/chainwatch.yaml"]
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "CapabilityBoundingSet": "",
        "RestrictSUIDSGID": "yes",
        "SystemCallArchitectures": "native",
    }.items():
        assert service[key] == [value], key
    assert set(service["RestrictAddressFamilies"][0].split()) == {"AF_INET", "AF_INET6", "AF_UNIX"}  # AF_UNIX: --workers
    assert unit["Install"]["WantedBy"] == ["multi-user.target"]


def test_exec_start_flags_are_accepted_by_serve(tmp_path):
    """The unit's own flag spelling (``--config.file=...``) reaches the config loader."""
    done = subprocess.run(
        [sys.executable, "-m", "chainwatch.cli", "serve", f"--config.file={tmp_path / 'missing.yaml'}"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and f"error: config file {tmp_path / 'missing.yaml'}: not found" in done.stderr


def test_systemd_analyze_verify_accepts_the_unit(tmp_path):
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed; test_unit_has_what_operators_rely_on checks the keys")
    chainwatch = Path(sys.executable).with_name("chainwatch")  # the unit's /opt/chainwatch/bin/chainwatch, here
    unit = tmp_path / "chainwatch.service"
    unit.write_text(UNIT.read_text().replace("/opt/chainwatch/bin/chainwatch", str(chainwatch)))
    done = subprocess.run([tool, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    # verify exits 0 on unknown keys and bad values too: it only warns, so any output is a failure
    assert done.returncode == 0 and done.stdout == "" and done.stderr == "", done.stdout + done.stderr
