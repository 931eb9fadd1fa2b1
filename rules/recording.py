"""Recording rules shared by every chain (``level:metric:operations``).

They aggregate across chains with ``by (chain, network)`` so the dashboards (which use
exactly these names, see :data:`chainwatch.assembly.names.RECORDING`) stay cheap with many
chains. A recording rule that no alert, dashboard panel or SLO reads is not generated
(``docs/metrics.md`` lists what reads each metric). Endpoints with ``role="reference"`` are someone else's provider: they are left
out of our own lag, success and availability figures.

Each rule comes with a ``promql_expr_test`` case (:func:`tests`) that feeds a node, a
second node and a reference and checks the exact output sample.
"""

from __future__ import annotations

from dataclasses import replace

from chainwatch.core.alerts import SHORT
from chainwatch.assembly.config import Config

from chainwatch import kinds
from chainwatch.assembly import catalog, names
from chainwatch.rules.common import CHAIN_LABELS, ENDPOINT_LABELS, GROUP_LABELS, Record, Series, by, metric, notation, seconds, selector

RATE = "5m"


def _name(record: str) -> str:
    if record not in names.RECORDING:
        raise KeyError(f"{record} is not declared in assembly/names.py RECORDING")
    return record


def _reads(series: str, kind: str) -> bool:
    """Whether a chain of this kind exports the series (a record over nothing is a rule for nothing)."""
    m = catalog.metric_for_series(series)
    return m is None or kind in m.kinds


def records(name: str, kind: str) -> list[Record]:
    """One chain's shared records, in evaluation order: a record that reads another comes after
    it, so it reads this evaluation's value."""
    chain, endpoint, group = by(CHAIN_LABELS), by(ENDPOINT_LABELS), by(GROUP_LABELS)

    def raw(series: str, nodes: bool = False) -> str:
        return selector(metric(series), name, nodes=nodes)

    out = [
        Record(
            _name("chain:chainwatch_probe_success:ratio_rate5m"),
            f"sum by ({chain}) (rate({raw('chainwatch_probe_successes_total', True)}[{RATE}]))"
            f" / sum by ({chain}) (rate({raw('chainwatch_probes_total', True)}[{RATE}]))",
        ),
        Record(_name("chain:chainwatch_probe_success:avg"), f"avg by ({chain}) ({raw('chainwatch_probe_success', True)})"),
    ]

    # The p95 reads the raw buckets itself: recording their rates for it (12 series per endpoint,
    # appended every evaluation) cost more than the one read it saved; the dashboards' p50 and
    # p99 read the raw buckets at query time, for the endpoints they show (issue #34).
    def p95(window: str) -> str:
        return f"histogram_quantile(0.95, sum by ({endpoint}, le) (rate({raw('chainwatch_rpc_request_duration_seconds_bucket')}[{window}])))"

    out += [
        Record(_name("endpoint:chainwatch_rpc_request_duration_seconds:p95_5m"), p95(RATE)),
        # The short windows of the multi-window alerts: they resolve within a minute of the recovery.
        Record(_name(f"endpoint:chainwatch_rpc_request_duration_seconds:p95_{SHORT}"), p95(SHORT)),
    ]
    for window in (RATE, SHORT):
        out.append(
            Record(
                _name(f"endpoint:chainwatch_rpc_errors:ratio_rate{window}"),
                f"sum by ({endpoint}) (rate({raw('chainwatch_rpc_errors_total')}[{window}]))"
                f" / sum by ({endpoint}) (rate({raw('chainwatch_rpc_requests_total')}[{window}]))",
            )
        )
    if _reads("chainwatch_validator_attestations_checked_total", kind):
        out.append(
            Record(
                _name("group:chainwatch_validator_attestations_missed:ratio_rate1h"),
                f"sum by ({group}) (rate({raw('chainwatch_validator_attestations_missed_total')}[1h]))"
                f" / sum by ({group}) (rate({raw('chainwatch_validator_attestations_checked_total')}[1h]))",
            )
        )
    return out


ACCOUNT_LABELS = (*CHAIN_LABELS, "account", "purpose", "team")


def account_records(name: str, chain) -> list[Record]:
    """Spend rate (native unit a second) and runway (seconds) of a chain's configured accounts,
    over its ``thresholds.account_spend_window``, after the balances its kind records itself. The
    spend counter adds up only falls of the balance, so a top-up is no negative spend; ``> 0``
    leaves an account that is not spending without a runway series (not +Inf)."""
    # Balances a kind watches itself (Avalanche L1 validators), in the same schema.
    own = [Record(_name(r.record), r.expr, r.labels) for r in kinds.get(chain.kind).account_records(name, chain)]
    if not chain.accounts:
        return own
    labels = by(ACCOUNT_LABELS)
    window = chain.thresholds.account_spend_window
    spent = _name("account:chainwatch_account_spent:rate")
    return own + [
        Record(spent, f"max by ({labels}) (rate({selector('chainwatch_account_spent_total', name)}[{window}]))"),
        Record(
            _name("account:chainwatch_account_runway:seconds"),
            f"max by ({labels}) ({selector('chainwatch_account_balance', name)}) / on ({labels}) ({selector(spent, name)} > 0)",
        ),
    ]


def group_name(chain: str) -> str:
    """Named as the chain's other groups (``chainwatch-<chain>-alerts``, ``-slo``) and its file."""
    return f"chainwatch-{chain}-recording"


def group(config: Config, name: str) -> dict:
    """The chain's group, ``chainwatch-<chain>-recording``, in its own file
    (:func:`chainwatch.rules.files.recording_file`). Prometheus evaluates groups side by side (the
    rules of one group run one after the other), so the longest group, not the sum, is how late the
    last record of an evaluation is, and a fleet of many chains spreads over the cores (issue #34:
    one group over every endpoint's buckets took seconds at 5000 endpoints)."""
    chain = config.chains[name]
    # The chain's own name as a static label: the value every record has anyway, and what tells
    # the chains' records apart for promtool's duplicate-rule lint.
    rules = [replace(r, labels={**r.labels, "chain": name}) for r in records(name, chain.kind) + account_records(name, chain)]
    return {"name": group_name(name), "rules": [r.rule() for r in rules]}


def groups(config: Config) -> list[dict]:
    """Every chain's group, in chain order."""
    return [group(config, name) for name in sorted(config.chains)]


# --------------------------------------------------------------------------- promql_expr_test cases


def _endpoint(config: Config) -> tuple[dict, dict, dict]:
    """Labels of two nodes and a reference (synthetic names where the config has fewer)."""
    cname = sorted(config.chains)[0]
    chain = config.chains[cname]
    nodes = chain.nodes
    base = {"chain": cname, "network": chain.network}
    a = {**base, "endpoint": nodes[0].name if nodes else "node-a", "role": nodes[0].role.value if nodes else "node"}
    b = {**base, "endpoint": nodes[1].name if len(nodes) > 1 else "node-b", "role": nodes[1].role.value if len(nodes) > 1 else "node"}
    refs = chain.references
    ref = {**base, "endpoint": refs[0].name if refs else "reference-a", "role": "reference"}
    return a, b, ref


def tests(config: Config) -> list[dict]:
    """One promtool test group per recording rule: input series and the exact expected samples."""
    a, b, ref = _endpoint(config)
    chain = {k: a[k] for k in CHAIN_LABELS}
    endpoint_a = {k: a[k] for k in ENDPOINT_LABELS}
    at = "10m"
    cases: list[tuple[str, list[Series], list[tuple[dict, float]]]] = []

    def gauges(name: str, va: float, vb: float, vref: float) -> list[Series]:
        return [Series(name, a, va, va), Series(name, b, vb, vb), Series(name, ref, vref, vref)]

    cases.append(("chain:chainwatch_probe_success:avg", gauges("chainwatch_probe_success", 1, 0, 0), [(chain, 0.5)]))
    # 120 probes a minute on each node (rates exact in binary); node a fails half of them, the
    # reference fails all (ignored).
    cases.append(
        (
            "chain:chainwatch_probe_success:ratio_rate5m",
            [
                Series("chainwatch_probes_total", a, 120, 120, "counter"),
                Series("chainwatch_probes_total", b, 120, 120, "counter"),
                Series("chainwatch_probes_total", ref, 120, 120, "counter"),
                Series("chainwatch_probe_successes_total", a, 60, 60, "counter"),
                Series("chainwatch_probe_successes_total", b, 120, 120, "counter"),
                Series("chainwatch_probe_successes_total", ref, 0, 0, "counter"),
            ],
            [(chain, 0.75)],
        )
    )
    # Latency: 60 requests a minute, all in the (0.25, 0.5] bucket: linear interpolation inside it.
    hist = "chainwatch_rpc_request_duration_seconds_bucket"
    buckets = []
    for le, count in (("0.1", 0), ("0.25", 0), ("0.5", 60), ("+Inf", 60)):
        buckets.append(Series(hist, {**a, "method": "batch", "le": le}, count, count, "counter"))
    cases.append(("endpoint:chainwatch_rpc_request_duration_seconds:p95_5m", buckets, [(endpoint_a, 0.4875)]))
    cases.append(("endpoint:chainwatch_rpc_request_duration_seconds:p95_1m", buckets, [(endpoint_a, 0.4875)]))
    cases.append(
        (
            "endpoint:chainwatch_rpc_errors:ratio_rate5m",
            [
                Series("chainwatch_rpc_requests_total", {**a, "method": "batch"}, 30, 30, "counter"),
                Series("chainwatch_rpc_requests_total", {**a, "method": "eth_getLogs"}, 10, 10, "counter"),
                Series("chainwatch_rpc_errors_total", {**a, "method": "batch"}, 0, 0, "counter"),
                Series("chainwatch_rpc_errors_total", {**a, "method": "eth_getLogs"}, 10, 10, "counter"),
            ],
            [(endpoint_a, 0.25)],
        )
    )
    cases.append(
        (
            "endpoint:chainwatch_rpc_errors:ratio_rate1m",
            [
                Series("chainwatch_rpc_requests_total", {**a, "method": "batch"}, 30, 30, "counter"),
                Series("chainwatch_rpc_errors_total", {**a, "method": "batch"}, 3, 3, "counter"),
            ],
            [(endpoint_a, 0.1)],
        )
    )
    # The attestation record is in the groups of chains whose kind counts attestations.
    beacon = next((n for n, c in sorted(config.chains.items()) if _reads("chainwatch_validator_attestations_checked_total", c.kind)), None)
    if beacon is not None:
        group = {"chain": beacon, "network": config.chains[beacon].network, "group": "test-group"}
        cases.append(
            (
                "group:chainwatch_validator_attestations_missed:ratio_rate1h",
                [
                    Series("chainwatch_validator_attestations_checked_total", group, 64, 64, "counter"),
                    Series("chainwatch_validator_attestations_missed_total", group, 2, 2, "counter"),
                ],
                [(group, 0.03125)],
            )
        )
    out = []
    for record, series, samples in cases:
        n = 70 if record.endswith("1h") else 15
        out.append(_case(record, series, samples, n, "65m" if record.endswith("1h") else at))
    out += _account_cases(config)
    return out


def _account_cases(config: Config) -> list[dict]:
    """The first chain with accounts: 60 units spent a minute (1/s, exact in binary) over a full
    window, a balance of 3 days' spend; an account that only receives has no runway."""
    name = next((n for n, c in sorted(config.chains.items()) if c.accounts), None)
    if name is None:
        return []
    chain = config.chains[name]
    window = seconds(chain.thresholds.account_spend_window)
    spending = {"chain": name, "network": chain.network, "account": "spender", "purpose": "fees", "team": chain.team}
    idle = {**spending, "account": "idle"}
    series = [
        Series("chainwatch_account_spent_total", spending, 60, 60, "counter"),
        Series("chainwatch_account_balance", spending, 3 * 86400, 3 * 86400),
        Series("chainwatch_account_spent_total", idle, 0, 0, "counter"),
        Series("chainwatch_account_balance", idle, 5, 5),
    ]
    n = int(window // 60) + 15
    at = f"{int(window // 60) + 10}m"
    return [
        _case("account:chainwatch_account_spent:rate", series, [(spending, 1.0), (idle, 0.0)], n, at),
        _case("account:chainwatch_account_runway:seconds", series, [(spending, 3 * 86400.0)], n, at),
    ]


def _case(record: str, series: list[Series], samples: list[tuple[dict, float]], n: int, at: str) -> dict:
    return {
        "name": f"recording rule {record}",
        "interval": "1m",
        "input_series": [{"series": s.text(), "values": notation(s.values([False] * n, 60))} for s in series],
        "promql_expr_test": [
            {
                "expr": record,
                "eval_time": at,
                "exp_samples": [
                    {"labels": record + "{" + ",".join(f'{k}="{v}"' for k, v in sorted(lbl.items())) + "}", "value": value} for lbl, value in samples
                ],
            }
        ],
    }
