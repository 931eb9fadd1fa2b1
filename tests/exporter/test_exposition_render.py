"""The hand-written exposition renderer must write exactly what prometheus_client writes.

``render`` replaced prometheus_client's ``generate_latest`` on the scrape path for speed
(docs/benchmark.md); ``render_with_client`` is the old path, kept as the reference.
"""

from __future__ import annotations

import math

import pytest

from chainwatch.assembly import catalog
from chainwatch.assembly.catalog import Type
from chainwatch.exporters.exposition import render, render_with_client
from chainwatch.exporters.scheduler import Histogram

TRICKY = ["plain", 'with "quotes"', "back\\slash", "new\nline", "ünïcode-✓", "", "0x1f"]
VALUES = [0, 1, True, 2.5e7, 20_000_000, 1e-7, 0.1, -3.5, math.inf, -math.inf, math.nan, 123456789.123, 1e21]


def every_metric_samples() -> list:
    samples = []
    for i, metric in enumerate(catalog.METRICS):
        for j in range(3):
            shared = {label: TRICKY[(i + j + k) % len(TRICKY)] + str(j) for k, label in enumerate(metric.all_labels)}
            if metric.type is Type.HISTOGRAM:
                hist = Histogram()
                for v in (0.001, 0.1, 0.3, 7.0, 42.0)[: j + 2]:
                    hist.observe(v)
                samples.append((metric.name, shared, (hist.buckets(), hist.sum)))
            else:
                samples.append((metric.name, shared, VALUES[(i + j) % len(VALUES)]))
                if metric.all_labels:  # the same dict object reused for another sample, as round_samples does
                    samples.append((metric.name, {**shared, metric.all_labels[-1]: "other"}, VALUES[(i + j + 5) % len(VALUES)]))
    return samples


def test_render_is_byte_identical_to_prometheus_client():
    samples = every_metric_samples()
    assert render(samples) == render_with_client(samples)
    assert render(iter(samples)) == render_with_client(samples)


def test_render_rejects_what_the_catalog_rejects():
    endpoint = {"chain": "c", "network": "n", "endpoint": "e", "role": "node"}
    with pytest.raises(KeyError):
        render([("chainwatch_not_a_metric", {}, 1)])
    with pytest.raises(KeyError, match="lacks label"):
        render([("chainwatch_probe_success", {"chain": "c"}, 1)])
    with pytest.raises(KeyError, match="unexpected labels"):
        render([("chainwatch_probe_success", {**endpoint, "region": "x"}, 1)])
    with pytest.raises(KeyError, match="lacks label"):  # a dict valid for one family, reused for a family with more labels
        render([("chainwatch_probe_success", endpoint, 1), ("chainwatch_probe_failure_reason", endpoint, 1)])
    with pytest.raises(KeyError, match="unexpected labels"):  # ... or fewer
        render([("chainwatch_probe_success", endpoint, 1), ("chainwatch_references_configured", endpoint, 1)])
