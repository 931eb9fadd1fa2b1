"""Every registered chain kind put together: the layer above :mod:`chainwatch.core`.

``core/`` holds types and pure helpers (chain and alert declarations, PromQL/selector/duration
helpers, rule-test specs, the generated-file writer) and imports nothing of the kinds;
``kinds/`` is the registry and each kind's package. What needs all of them at once lives
here, assembled at import time from the registry:

- :mod:`~chainwatch.assembly.catalog`: the metric catalog (shared rows + every kind's);
- :mod:`~chainwatch.assembly.names`: the alert declarations in rule order, inhibitions;
- :mod:`~chainwatch.assembly.config`: the config model (a chain of any registered kind);
- :mod:`~chainwatch.assembly.metricsdoc` / :mod:`~chainwatch.assembly.configdoc`: the
  renderers of ``docs/metrics.md`` and ``docs/config.md``.

The exporter, the generators, the demo and the CLI import core and this assembly, never
each other's internals (``tests/test_architecture.py`` checks the import graph).
"""
