"""The bad-input matrix for EVM endpoints, through the real exporter (``chainwatch serve``).

One exporter watches one endpoint per misbehaviour (tests/support/hostile.py, a local
server that misbehaves on purpose; it is not a node) plus two well-behaved endpoints.
A single scrape must report each broken endpoint with exactly its bounded reason, the
healthy ones with full data, within the scrape deadline, and the exporter must say
each problem at most once (one warning per endpoint per minute).
"""

from __future__ import annotations

import time

import pytest

from tests.support.hostile import DNS_FAIL_URL, TRANSPORT_CASES, HostileServer, evm_kind, refused_url

from .harness import assert_quiet_logs, reasons, start

EVM_CASES: dict[str, str | None] = {
    **TRANSPORT_CASES,
    "batch_reversed": None,  # out of order is legal: matched by id
    "batch_ids_shifted": "invalid_response",
    "batch_ids_strings": "invalid_response",
    "batch_ids_duplicated": "invalid_response",
    "batch_missing_items": "invalid_response",
    "batch_as_object": "rpc_error",
    "batch_items_not_objects": "invalid_response",
    "wrong_chain": "wrong_chain",
    "decimal_numbers": "invalid_response",
    "json_numbers": "invalid_response",
    "nulls": "invalid_response",
    "negative_height": "invalid_response",
    "rpc_error_objects": "rpc_error",
    "error_code_not_int": "rpc_error",
    "optional_wrong_type": "invalid_response",
}
NO_SERVER_CASES = {"conn_refused": "connect", "dns_failure": "connect", "tls_self_signed": "tls"}
SCRAPE = {"X-Prometheus-Scrape-Timeout-Seconds": "3"}  # deadline 2.5 s


def name(case: str) -> str:
    return case.replace("_", "-")


@pytest.fixture(scope="module")
def evm_stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("evm-matrix")
    kind = evm_kind(chain_id=1)
    with HostileServer(kind) as srv, HostileServer(kind, tls=True, workdir=tmp) as tls:
        endpoints = [
            {"name": "ref-good", "url": srv.url("ok", "ref"), "role": "reference"},
            *({"name": name(c), "url": srv.url(c), "role": "node"} for c in EVM_CASES),
            {"name": "conn-refused", "url": refused_url(), "role": "node"},
            {"name": "dns-failure", "url": DNS_FAIL_URL, "role": "node"},
            {"name": "tls-self-signed", "url": tls.url("ok"), "role": "node"},
        ]
        chains = {"eth": {"kind": "evm", "network": "mainnet", "chain_id": 1, "endpoints": endpoints}}
        with start(tmp, chains, min_probe_interval_seconds=1, reference_max_age_seconds=1) as exporter:
            started = time.monotonic()
            first = exporter.metrics(headers=SCRAPE)
            took = time.monotonic() - started
            time.sleep(1.2)  # past min_probe_interval: a second real round
            second = exporter.metrics(headers=SCRAPE)
            yield {"srv": srv, "tls": tls, "exporter": exporter, "first": first, "second": second, "took": took,
                   "names": [e["name"] for e in endpoints]}


ALL = {**EVM_CASES, **NO_SERVER_CASES}


@pytest.mark.parametrize("case", list(ALL))
def test_each_case_has_its_bounded_reason_in_a_shared_scrape(evm_stack, case):
    expected = ALL[case]
    for samples in (evm_stack["first"], evm_stack["second"]):
        ep = name(case)
        if expected is None:
            assert samples.value("chainwatch_probe_success", endpoint=ep) == 1, reasons(samples, ep)
            assert samples.value("chainwatch_head_height", endpoint=ep) == 16
            assert samples.value("chainwatch_sync_lag_blocks", endpoint=ep) == 0
        else:
            assert samples.value("chainwatch_probe_success", endpoint=ep) == 0
            assert reasons(samples, ep) == [expected]
            # A failed endpoint contributes no stale or made-up data.
            assert samples.value("chainwatch_head_height", endpoint=ep) is None
            assert samples.find("chainwatch_sync_lag_blocks", endpoint=ep) == []


def test_scrape_stays_within_its_deadline_and_healthy_endpoints_are_complete(evm_stack):
    assert evm_stack["took"] < 3.0  # 3 s scrape timeout, 0.5 s offset: stalls cut at 2.5 s
    s = evm_stack["first"]
    assert s.value("chainwatch_probe_success", endpoint="ref-good") == 1
    assert s.value("chainwatch_peers", endpoint="ok") == 50
    assert s.value("chainwatch_mempool_transactions", endpoint="ok", state="pending") == 7
    assert s.value("chainwatch_references_reachable", chain="eth") == 1
    assert s.value("chainwatch_reference_head_height", chain="eth") == 16
    assert s.value("chainwatch_endpoints_configured") == len(evm_stack["names"])


def test_exporter_stays_up_and_says_each_problem_once(evm_stack):
    exporter = evm_stack["exporter"]
    assert exporter.proc.poll() is None
    assert exporter.get("/-/healthy")[0] == 200
    counts = assert_quiet_logs(exporter.log_path, evm_stack["names"])
    failing = {name(c) for c, r in ALL.items() if r is not None}
    assert set(counts) == failing  # every failing endpoint said once, healthy ones never


def test_rate_limited_endpoint_is_not_hammered(evm_stack):
    # Retry-After: 120 -> the second round reports rate_limited without asking again.
    assert evm_stack["srv"].count("rate_limited") == 1
    s = evm_stack["second"]
    assert s.value("chainwatch_probe_failures_total", endpoint="rate-limited", reason="rate_limited") == 2


def test_broken_endpoints_count_errors_per_request(evm_stack):
    s = evm_stack["second"]
    assert s.value("chainwatch_rpc_requests_total", endpoint="status-502", method="batch") == 2
    assert s.value("chainwatch_rpc_errors_total", endpoint="status-502", method="batch") == 2
    # A 200 with an unusable body is an error of that request too.
    assert s.value("chainwatch_rpc_errors_total", endpoint="wrong-chain", method="batch") == 2
    assert s.value("chainwatch_rpc_errors_total", endpoint="ok", method="batch") == 0
