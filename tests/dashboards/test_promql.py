"""Every PromQL expression of every dashboard parses, and names only metrics that exist.

"Exist" means: in the metric catalog (assembly/catalog.py, kinds/*/metrics.py), a recording rule declared in
rules/names.py RECORDING, or Prometheus's own ALERTS series. Label matchers on catalog
metrics must use labels the metric carries, or the panel silently matches nothing.
"""

from __future__ import annotations

import promql_parser
import pytest

from chainwatch.assembly import catalog
from chainwatch.assembly.names import RECORDING

from .support import dashboards, example_config, queries, substitute

ALL = dashboards()
SCRAPE_LABELS = {"job", "instance"}
# Labels a recording rule keeps, by its level (rules/recording.py and rules/slo.py aggregate `by` these).
RECORDING_LABELS = {
    "chain": set(catalog.SCOPE_LABELS["chain"]),
    "endpoint": set(catalog.SCOPE_LABELS["endpoint"]),
    "endpoint_le": set(catalog.SCOPE_LABELS["endpoint"]) | {"le"},
    "group": set(catalog.SCOPE_LABELS["group"]),
    "chain_slo": set(catalog.SCOPE_LABELS["chain"]) | {"slo"},
    "account": set(catalog.SCOPE_LABELS["chain"]) | {"account", "purpose", "team"},
    "provider": {"provider"},
}
VALUES = {"chain": "ethereum", "role": ".*", "endpoint": ".*", "datasource": "Prometheus"}


def selectors(expr: str) -> list:
    found = []

    def visit(node):
        if isinstance(node, promql_parser.VectorSelector):
            found.append(node)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return found


@pytest.mark.parametrize("stem", sorted(ALL))
def test_every_expression_parses_and_names_known_metrics(stem):
    series = catalog.series_names()
    count = 0
    for where, expr in queries(ALL[stem]):
        concrete = substitute(expr, VALUES)
        assert "$" not in concrete, f"{stem} {where}: unsubstituted variable in {concrete}"
        try:
            found = selectors(concrete)
        except Exception as exc:  # the parser raises its own error type
            pytest.fail(f"{stem} {where}: does not parse: {exc}\n{concrete}")
        assert found or "vector(" in concrete, f"{stem} {where}: queries no series"
        for sel in found:
            assert sel.name in series or sel.name in RECORDING or sel.name == "ALERTS", f"{stem} {where}: unknown metric {sel.name}"
            metric = catalog.metric_for_series(sel.name)
            if metric is not None:
                allowed = set(metric.all_labels) | SCRAPE_LABELS | ({"le"} if sel.name.endswith("_bucket") else set())
            elif sel.name in RECORDING:
                allowed = RECORDING_LABELS[sel.name.split(":")[0]]
            else:  # ALERTS: every alert carries chain, severity and its scope's labels
                allowed = {"alertname", "alertstate", "severity", "chain", "network", "endpoint", "role", "team", "group"}
            used = {m.name for m in sel.matchers.matchers}
            assert used <= allowed, f"{stem} {where}: {sel.name} has no label(s) {used - allowed}"
            count += 1
    assert count > 5


@pytest.mark.parametrize("stem", sorted(s for s in ALL if s.startswith("chain-")))
def test_per_chain_dashboards_use_only_metrics_their_kind_exports(stem):
    kind = example_config().chains[stem.removeprefix("chain-")].kind
    for where, expr in queries(ALL[stem]):
        for sel in selectors(substitute(expr, VALUES)):
            metric = catalog.metric_for_series(sel.name)
            if metric is not None:
                assert kind in metric.kinds, f"{stem} {where}: {sel.name} is not exported for {kind} chains"


def test_the_parser_check_is_real():
    with pytest.raises(Exception):  # noqa: B017 - promql-parser raises its own (unexported) error type
        promql_parser.parse("sum by (chain) (rate(chainwatch_probes_total[5m])")
    assert [s.name for s in selectors('max by (chain) (chain:chainwatch_probe_success:avg{chain=~".*"}) or on() vector(0)')] == [
        "chain:chainwatch_probe_success:avg"
    ]
