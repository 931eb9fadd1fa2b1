"""Dashboard row for scheduled upgrades (``upgrades:`` on a chain; :mod:`chainwatch.core.versions`):
the next upgrade each endpoint knows, and the nodes below the minimum client version it needs."""

from __future__ import annotations

from chainwatch.assembly import catalog
from chainwatch.core import durations
from chainwatch.dashboards.panels import NONE, SECONDS, YES_NO_BAD, Grid, lower_is_worse, q, table, timeseries


def upgrades_row(grid: Grid, chain) -> None:
    """Time until the next upgrade per endpoint (alert lead times as lines) and the nodes'
    verdicts against the minimum (its dashboard has ``$chain`` fixed)."""
    watch = chain.upgrades
    e = 'chain="$chain", endpoint=~"$endpoint"'
    warning, critical = durations.seconds(watch.warning_before), durations.seconds(watch.critical_before)
    grid.row("Scheduled upgrade")
    grid.add(
        timeseries(
            "Time until the next upgrade",
            "Seconds until the next scheduled upgrade as each endpoint knows it (Cosmos: the x/upgrade plan's height at the observed block time; "
            "beacon: the next fork of /eth/v1/config/fork_schedule). No line: nothing scheduled. An endpoint without the line the others have "
            f"runs a release that does not know the upgrade. Lines: the alert lead times ({watch.warning_before} warning, {watch.critical_before} critical).",
            q(f"min by (endpoint, upgrade) ({catalog.check('chainwatch_upgrade_time_until_seconds')}{{{e}}})", "{{endpoint}} {{upgrade}}"),
            unit=SECONDS,
            thresholds=lower_is_worse(critical, warning),
            min_zero=False,
        ),
        w=12,
        h=8,
    )
    grid.add(
        table(
            "Nodes below the upgrade's minimum version",
            "Per node: whether its client version (Cosmos: the application's, /abci_info) is below the minimum configured under upgrades: "
            "(yes pages as ChainwatchUpgradeVersionBelowMinimum once the upgrade is within the lead time), and the version it reports.",
            q(f'max by (endpoint) ({catalog.check("chainwatch_node_version_below_minimum")}{{{e}, role!="reference"}})', instant=True, table=True),
            q(f'max by (endpoint, client_version) ({catalog.check("chainwatch_node_info")}{{{e}, role!="reference"}})', instant=True, table=True),
            unit=NONE,
            mappings=[YES_NO_BAD],
            hide=("Time", "Value #B"),
        ),
        w=12,
        h=8,
    )
