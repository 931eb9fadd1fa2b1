"""Probes by chain kind."""

from __future__ import annotations

import importlib

_MODULES = {"evm": "evm", "beacon": "beacon", "solana": "solana"}


def probe_for(kind: str):
    module = importlib.import_module(f"{__name__}.{_MODULES[kind]}")
    return module.PROBE
