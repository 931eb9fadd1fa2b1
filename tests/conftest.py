import sys
from pathlib import Path

# Make `tests.support` importable however pytest is invoked.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


# The longest tests first (the slowest of a CI run, docs/testing.md), longest first: a worker
# that draws one of them last ends the run alone while the other workers idle. The order is
# otherwise the collection's (a stable sort), so tests of one module stay together.
SLOW_FIRST = (
    "tests/dashboards/test_e2e.py::test_every_panel_of_the_beacon_dashboard",
    "tests/test_rules.py::test_generated_promtool_unit_tests_pass",
    "tests/dashboards/test_e2e.py",
    "tests/avalanche/test_evm_one_page.py",
    "tests/beacon/test_lodestar.py",
    "tests/demo/test_no_survivors.py",
    "tests/scaleout/",
    "tests/e2e/test_demo_cli.py",
    "tests/alertmanager/test_heartbeat.py",
    "tests/deploy/",
    "tests/test_page_audit.py",
    "tests/test_rules.py",
    "tests/beacon/test_lodestar_stream.py",
    "tests/test_throwaway_kind.py",
    "tests/subgraph/test_exporter.py",
)


def pytest_collection_modifyitems(config, items):
    def rank(item) -> int:
        return next((i for i, prefix in enumerate(SLOW_FIRST) if item.nodeid.startswith(prefix)), len(SLOW_FIRST))

    items.sort(key=rank)
