"""Alert rules, generated per configured chain from the alert declarations.

The declarations (:class:`~chainwatch.core.alertkit.AlertSpec`) are in
:mod:`chainwatch.core.alerts` (shared) and ``kinds/<kind>/alerts.py`` (each kind's own);
:func:`chainwatch.core.alertkit.build` renders one of them with a chain's resolved thresholds
into :class:`~chainwatch.core.alertkit.Alert` objects, each carrying the
:class:`~chainwatch.core.alertkit.Recipe` of its promtool unit test.
"""

from __future__ import annotations

from chainwatch.core import alerts as shared
from chainwatch import kinds
from chainwatch.assembly import catalog, names
from chainwatch.core.alertkit import EXECUTIVE, OPERATIONAL, Alert, Ctx, build  # noqa: F401 (EXECUTIVE: rules/slo.py)
from chainwatch.assembly.config import Config


def exporter_absent(config: Config) -> list[Alert]:
    return shared.EXPORTER_ABSENT.build(shared.EXPORTER_ABSENT, config)


def watchdog(config: Config) -> list[Alert]:
    return shared.WATCHDOG.build(shared.WATCHDOG, config)


def chain_alerts(config: Config, name: str) -> list[Alert]:
    c = Ctx(config, name, kinds.get(config.chains[name].kind), catalog.METRICS)
    out: list[Alert] = []
    for spec in names.for_kind(c.kind):
        out.extend(build(spec, c))
    return out
