"""``pytest -p tests.support.throwaway_kind.plugin``: registers the throwaway kind before any
test module imports ``chainwatch.assembly`` (which assembles the config model, the metric
catalog and the alert names from the registry once)."""

from chainwatch import kinds
from tests.support.throwaway_kind import KIND

kinds.register(KIND)
