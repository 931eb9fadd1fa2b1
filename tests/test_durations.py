"""Prometheus durations, parsed in one place (core/durations.py) for the config, the alert
declarations and the rule generators."""

import pytest

from chainwatch.core import durations
from chainwatch.core.alertkit import duration, seconds
from chainwatch.core.chain import Durations, duration_seconds


@pytest.mark.parametrize(("text", "secs"), [("30s", 30), ("1h30m", 5400), ("500ms", 0.5), ("2d", 172800), ("1y", 31536000), ("", 0), ("0m", 0)])
def test_every_reader_gets_the_same_seconds(text, secs):
    assert durations.seconds(text) == seconds(text) == duration_seconds(text) == secs


@pytest.mark.parametrize("text", ["5", "1.5h", "5 m", "m", "", "10M"])
def test_the_config_refuses_what_prometheus_refuses(text):
    assert not durations.valid(text)
    with pytest.raises(ValueError, match="not a Prometheus duration"):
        Durations(head_stale=text)


def test_written_back_largest_unit_first():
    assert [duration(s) for s in (0, 59.6, 90, 3600, 90061)] == ["0s", "1m", "1m30s", "1h", "1d1h1m1s"]
    assert durations.text(durations.seconds("1h30m")) == "1h30m"
