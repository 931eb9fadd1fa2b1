"""The client_version label every kind's probe sets (``exporters.probe.client_version_label``):
whatever text an endpoint reports, the label stays plain, bounded and says "unknown" for nothing."""

from __future__ import annotations

import pytest

from chainwatch.exporters.probe import CLIENT_VERSION_MAX, ProbeResult, client_version_label


@pytest.mark.parametrize(
    ("raw", "kw", "label"),
    [
        ("Geth/v1.14.8-stable/linux-amd64/go1.22.6", {}, "Geth/v1.14.8-stable/linux-amd64/go1.22.6"),
        ("0.38.17", {"prefix": "cometbft/"}, "cometbft/0.38.17"),
        ('v1"}\n{evil="1', {}, "v1____evil__1"),  # nothing that could close the label or start a line
        ("/Satoshi:28.1.0(bitcore)/", {"keep": "() "}, "/Satoshi:28.1.0(bitcore)/"),
        ("/Satoshi:28.1.0(bitcore)/", {}, "/Satoshi:28.1.0_bitcore_/"),
        ("", {"prefix": "solana-core/"}, "unknown"),
        (None, {}, "unknown"),
        (42, {}, "unknown"),
        ({"version": "x"}, {}, "unknown"),
    ],
)
def test_label_is_plain_and_says_unknown_for_no_text(raw, kw, label):
    assert client_version_label(raw, **kw) == label


def test_label_is_bounded_and_set_as_node_info():
    label = client_version_label("v" * 10_000, prefix="node/")
    assert len(label) == CLIENT_VERSION_MAX and label.startswith("node/v")
    result = ProbeResult(success=True)
    result.client_version(label)
    assert result.get("chainwatch_node_info", client_version=label) == 1
