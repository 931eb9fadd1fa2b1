"""The Prometheus alerts page the demo prints exists on the Prometheus it runs.

Debian's Prometheus 2.x ships without the React UI: ``/alerts`` is a 404 there and the page is
``/classic/alerts``; Prometheus 3 has only ``/alerts``. The demo asks which one answers.
"""

from __future__ import annotations

import urllib.request

import pytest

from chainwatch.devnet.cli import alerts_page
from tests.support.stack import Prometheus


@pytest.mark.prometheus
def test_printed_alerts_page_answers_200(tmp_path):
    with Prometheus(tmp_path / "prom", []) as prom:
        page = alerts_page(prom.url)
        assert page.startswith(prom.url + "/") and not page.endswith("/api/v1/alerts")
        with urllib.request.urlopen(page, timeout=10) as answer:
            assert answer.status == 200
            assert "Alerts" in answer.read().decode()
