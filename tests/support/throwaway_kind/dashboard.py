"""The throwaway kind's dashboard: the shared sections only."""

from __future__ import annotations

from chainwatch.dashboards.sections import C, E, Limits, chain_dashboard, chain_header_row, head_vs_references, probe_row, rpc_row, sync_row
from chainwatch.dashboards.panels import Grid


def build(config, name: str, chain) -> dict:
    lim = Limits.of(chain)
    grid = Grid()
    chain_header_row(grid, E, C)
    grid.row("Head")
    grid.add(head_vs_references("Head vs references", "Head of each endpoint and the median of the references."), w=24, h=8)
    sync_row(grid, E, lim)
    rpc_row(grid, E, lim)
    probe_row(grid, E, title="Probe detail")
    return chain_dashboard(config, name, chain, kind_title="Throwaway", grid=grid, about=f"{name}: the throwaway kind of the tests.")
