"""Every metric chainwatch exports, declared once.

Exporters build their metric families from these entries, the rules and dashboards
generators reference metrics only through them, and ``docs/metrics.md`` is generated
from them — so renaming a metric here breaks the build of every alert that used it,
instead of silently breaking the alert.

The rows here are the ones every chain kind shares (the one schema: head, lag, peers,
RPC, references); each kind's package adds its own rows (``chainwatch.kinds.<kind>``'s
``KIND.metrics``), and :data:`METRICS` is both, with ``kinds`` resolved from the registry.
Scopes and their labels: :mod:`chainwatch.core.declarations`.
"""

from __future__ import annotations

import re
from dataclasses import replace

from chainwatch import kinds as registry
from chainwatch.core.declarations import C, G, H, SCOPE_LABELS, Metric, Type, metric as _m  # noqa: F401

# The bounded label values, declared in core (the probing toolkit needs them without the assembly).
from chainwatch.core.declarations import FAILURE_REASONS, LATENCY_BUCKETS, RESYNC_REASONS, UNRESOLVED_REASONS  # noqa: F401

# The request whose round trip stands for "the endpoint's latency" per chain kind (latency
# SLO, RPC latency alert, dashboards): the JSON-RPC batch, or the beacon node's
# /eth/v1/node/syncing read, the one request a beacon probe cannot do without.
PRIMARY_METHOD = {k.name: k.primary_method for k in registry.all_kinds()}


SHARED: tuple[Metric, ...] = (
    # ----------------------------------------------------------------- probe outcome
    _m(
        "chainwatch_probe_success",
        G,
        "",
        "1 if the last probe of the endpoint succeeded, 0 if it failed.",
        example='chainwatch_probe_success{chain="ethereum",endpoint="geth-1",network="mainnet",role="node"} 1',
    ),
    _m("chainwatch_probe_duration_seconds", G, "seconds", "Wall time of the last probe of the endpoint."),
    _m(
        "chainwatch_probe_failure_reason",
        G,
        "",
        "1 with the reason the last probe failed; absent while the last probe succeeded (one series, not one per reason).",
        labels=("reason",),
        example='chainwatch_probe_failure_reason{...,reason="timeout"} 1',
    ),
    _m("chainwatch_probes_total", C, "", "Probes of the endpoint since the exporter started."),
    _m("chainwatch_probe_successes_total", C, "", "Successful probes of the endpoint since the exporter started (the availability SLI's numerator)."),
    _m(
        "chainwatch_probe_failures_total",
        C,
        "",
        "Failed probes of the endpoint by reason since the exporter started; a reason appears with its first failure and stays.",
        labels=("reason",),
    ),
    _m("chainwatch_probe_deadline_exceeded_total", C, "", "Scrapes that reported this endpoint as timed out because the scrape deadline ran out."),
    _m(
        "chainwatch_probe_backoff_seconds",
        G,
        "seconds",
        "Seconds the endpoint is still not probed for after timeouts in a row or a rate limit; it is reported as failed meanwhile (absent: probed as usual).",
    ),
    _m(
        "chainwatch_probe_dropped_values_total",
        C,
        "",
        "Optional values the endpoint answered in a shape that could not be read (or with an error), by field; their metric was left absent, the probe did not fail.",
        labels=("field",),
        example='chainwatch_probe_dropped_values_total{...,field="txpool_status.pending"} 3',
    ),
    _m(
        "chainwatch_probe_value_unknown",
        G,
        "",
        "1 for each field the endpoint's last answer filled with a sentinel meaning \"not known yet\" (a zero block ref, an epoch-0 or Go-zero time, a zero hash, a null list); the field's own series and those derived from it are absent, never a value that pages.",
        labels=("field",),
        example='chainwatch_probe_value_unknown{...,field="safe_l2"} 1',
    ),
    # ----------------------------------------------------------------- RPC
    _m(
        "chainwatch_rpc_request_duration_seconds",
        H,
        "seconds",
        "Round trip of RPC requests to the endpoint; method=batch is the probe's batched request, others are individually timed calls.",
        labels=("method",),
    ),
    _m("chainwatch_rpc_last_request_duration_seconds", G, "seconds", "Round trip of the last RPC request to the endpoint.", labels=("method",)),
    _m("chainwatch_rpc_requests_total", C, "", "HTTP requests sent to the endpoint (one batch counts once).", labels=("method",)),
    _m("chainwatch_rpc_errors_total", C, "", "Requests to the endpoint that failed (transport, HTTP status or JSON-RPC error).", labels=("method",)),
    # ----------------------------------------------------------------- head and sync
    _m("chainwatch_head_height", G, "", "Latest block number (EVM), head slot (beacon) or confirmed slot (Solana) of the endpoint."),
    _m(
        "chainwatch_head_age_seconds",
        G,
        "seconds",
        "Seconds since the endpoint's head block was produced (from its timestamp, or slot time for beacon/Solana).",
    ),
    _m("chainwatch_sync_lag_blocks", G, "", "Blocks (slots) the endpoint is behind the median head of the chain's reachable references; 0 when ahead."),
    _m("chainwatch_sync_lag_seconds", G, "seconds", "Seconds the endpoint's head is behind the references' head, from block timestamps."),
    _m(
        "chainwatch_syncing",
        G,
        "",
        "1 if the endpoint reports itself syncing (eth_syncing / is_syncing / catching_up / getHealth behind / initialblockdownload; an op-node with no safe head yet): the node's own opinion, shown beside the measured chainwatch_sync_lag_blocks, which /health and alerts judge by.",
    ),
    _m("chainwatch_peers", G, "", "Connected peers reported by the endpoint (absent when the node does not expose it).", needs="peers"),
    _m(
        "chainwatch_mempool_transactions",
        G,
        "",
        "Transactions in the node's mempool by state (absent when txpool_status is unsupported). Solana has no public mempool.",
        labels=("state",),
        needs="mempool",
    ),
    _m("chainwatch_node_info", G, "", "Client version reported by the endpoint; value is always 1.", labels=("client_version",)),
    # ----------------------------------------------------------------- TLS
    _m(
        "chainwatch_tls_earliest_cert_expiry_timestamp_seconds",
        G,
        "seconds",
        "Unix time the earliest certificate of the endpoint's served TLS chain expires (notAfter), read on the probe's own connection; https:// endpoints only (as blackbox_exporter's probe_ssl_earliest_cert_expiry).",
        example='chainwatch_tls_earliest_cert_expiry_timestamp_seconds{chain="ethereum",endpoint="geth-1",network="mainnet",role="node"} 1.7986176e+09',
    ),
    _m(
        "chainwatch_tls_verified_chain_expiry_timestamp_seconds",
        G,
        "seconds",
        "Unix time the earliest certificate of the chain the probe's TLS handshake verified (leaf to trust anchor) expires; what the expiry alert and `chainwatch check` read. Later than the served-chain expiry when the server also sends an expired certificate no client uses (an expired cross-signed root, the AddTrust case); absent with insecure_skip_verify, when nothing is verified (as blackbox_exporter's probe_ssl_last_chain_expiry_timestamp_seconds).",
        example='chainwatch_tls_verified_chain_expiry_timestamp_seconds{chain="ethereum",endpoint="geth-1",network="mainnet",role="node"} 1.7986176e+09',
    ),
    # ----------------------------------------------------------------- subscriptions (endpoints with ws_url)
    _m(
        "chainwatch_stream_connected",
        G,
        "",
        "1 while the endpoint's head subscription (ws_url: WebSocket or Server-Sent Events) is connected and subscribed.",
        needs="stream",
    ),
    _m(
        "chainwatch_stream_reconnects_total",
        C,
        "",
        "Times the head subscription was connected again after it closed or failed since the exporter started.",
        needs="stream",
    ),
    _m(
        "chainwatch_stream_last_message_age_seconds",
        G,
        "seconds",
        "Seconds since the head subscription last delivered a head (or since the watch started, before the first).",
        needs="stream",
    ),
    _m(
        "chainwatch_stream_head_height",
        G,
        "",
        "Latest head announced by the endpoint's subscription (newHeads block number, slotNotification slot, beacon head event slot).",
        needs="stream",
    ),
    _m(
        "chainwatch_stream_lag_blocks",
        G,
        "",
        "Blocks (slots) the subscription's head is behind the endpoint's own HTTP head; 0 when not behind.",
        needs="stream",
    ),
    # ----------------------------------------------------------------- chain-wide (references)
    _m("chainwatch_reference_head_height", G, "", "Median head of the chain's reachable reference endpoints.", scope="chain"),
    _m("chainwatch_references_configured", G, "", "Reference endpoints configured for the chain.", scope="chain"),
    _m("chainwatch_references_reachable", G, "", "Reference endpoints that answered the last round.", scope="chain"),
    _m("chainwatch_references_agreeing", G, "", "Reachable references within tolerance of the median reference head.", scope="chain"),
    _m(
        "chainwatch_reference_head_stall_seconds",
        G,
        "seconds",
        "Seconds since any reference's head last advanced, i.e. how long every reference has been stuck — a chain-wide halt, not one node lagging.",
        scope="chain",
    ),
    # ----------------------------------------------------------------- divergence (exporters/divergence.py)
    _m(
        "chainwatch_block_hash_diverged",
        G,
        "",
        "1 if the endpoint's block hash at the compared height differs from the hash a majority of the chain's references gave there (a node on another chain at the same height); absent while it matches (chainwatch_block_hash_compared_height says it was compared, and where) and until first compared (chains with references only).",
        needs="divergence",
        example='chainwatch_block_hash_diverged{chain="ethereum",endpoint="geth-1",network="mainnet",role="node"} 1',
    ),
    _m(
        "chainwatch_block_hash_compared_height",
        G,
        "",
        "Height (slot) of the endpoint's last hash comparison: the references' lowest head minus the kind's confirmation depth, a round ago.",
        needs="divergence",
    ),
    _m(
        "chainwatch_reference_hashes_disagree",
        G,
        "",
        "1 if the chain's references answered different block hashes at the height they were last asked (a reference on another chain: a quorum problem, not a node's), 0 if they agree.",
        scope="chain",
        needs="divergence",
    ),
    # ----------------------------------------------------------------- scheduled upgrades (core/versions.py)
    _m(
        "chainwatch_upgrade_time_until_seconds",
        G,
        "seconds",
        "Seconds until the next scheduled upgrade the endpoint knows (Cosmos x/upgrade current_plan height at the chain's observed block time; beacon fork_schedule epoch from genesis); negative once due and not yet applied; absent when none is scheduled or upgrades: is not configured.",
        labels=("upgrade",),
        needs="upgrades",
        example='chainwatch_upgrade_time_until_seconds{chain="cosmoshub",endpoint="hub-1",network="mainnet",role="node",upgrade="v17"} 86400',
    ),
    _m(
        "chainwatch_upgrade_height",
        G,
        "",
        "Height (beacon: first slot of the fork epoch) of the next scheduled upgrade the endpoint knows.",
        labels=("upgrade",),
        needs="upgrades",
    ),
    _m(
        "chainwatch_node_version_below_minimum",
        G,
        "",
        "1 if the endpoint's client version (Cosmos: the application version of /abci_info) is below the upgrades: minimum configured for its client, 0 if at or above; absent when it cannot be judged (no minimum for its client, no version in its text).",
        needs="upgrades",
    ),
    # ----------------------------------------------------------------- background monitors
    _m(
        "chainwatch_validator_monitor_last_success_timestamp_seconds",
        G,
        "seconds",
        "Unix time the validator monitor last made progress (processed an epoch, counted blocks up to the node's head, read the vote accounts; a round whose saved position is ahead of the chain is not one); the exporter's start time until it first does, so a monitor that never succeeds is seen.",
        scope="chain",
        needs="validators",
    ),
    _m(
        "chainwatch_validator_monitor_failures_total",
        C,
        "",
        "Validator monitor rounds or cycles that failed since the exporter started.",
        scope="chain",
        needs="validators",
    ),
    _m(
        "chainwatch_validator_monitor_resyncs_total",
        C,
        "",
        "Times the validator monitor restarted from another position than its saved one, by reason: ahead_of_chain (the saved block/epoch was ahead of the chain for 3 rounds: "
        "a node restored from an older snapshot, a reset devnet, the clock stepped back; it restarts from the chain's head), behind_retention (the saved position is older than the node keeps; it resumes at what the node keeps). "
        "Every reason is exported, 0 when none.",
        scope="chain",
        labels=("reason",),
        example='chainwatch_validator_monitor_resyncs_total{chain="cosmoshub",network="mainnet",reason="ahead_of_chain"} 1',
        needs="validators",
    ),
    _m(
        "chainwatch_validator_monitor_dropped_entries_total",
        C,
        "",
        "Entries of a list answer the validator monitor could not read and left out (one vote account, validator row, duty or liveness row), by field.",
        scope="chain",
        labels=("field",),
        needs="validators",
    ),
    _m(
        "chainwatch_validator_monitor_unresolved_validators",
        G,
        "",
        "Configured validators (keys, vote accounts, operator addresses) the monitor cannot resolve to something it can count, by reason: "
        "not_found (the chain does not know it), no_identity (its identity needs data the chain left empty: no consensus key, an unsupported key type, no LCD), "
        "unreadable (the answer about it could not be read). Every reason is exported per group, 0 when none: a configured validator is never silently unwatched.",
        scope="group",
        labels=("reason",),
        example='chainwatch_validator_monitor_unresolved_validators{chain="cosmoshub",group="ops",network="mainnet",reason="no_identity"} 1',
        needs="validators",
    ),
    # ----------------------------------------------------------------- operational accounts (accounts:)
    _m(
        "chainwatch_account_balance",
        G,
        "",
        "Balance of the configured account in the chain's native unit, as a person reads it (ether = wei / 1e18 on EVM chains, SOL = lamports / 1e9, BTC or LTC = satoshis / 1e8; "
        "chainwatch_account_info names the coin); absent once unread for 3 rounds.",
        scope="chain",
        labels=("account", "purpose", "team"),
        example='chainwatch_account_balance{account="batcher",chain="base",network="mainnet",purpose="batcher",team="rollup"} 4.8125',
        needs="accounts",
    ),
    _m(
        "chainwatch_account_spent_total",
        C,
        "",
        "Falls of the account's balance between two reads, added up since the exporter started, in the chain's native unit: rate() of it is the spend rate, which a top-up does not disturb.",
        scope="chain",
        labels=("account", "purpose", "team"),
        needs="accounts",
    ),
    _m(
        "chainwatch_account_received_total",
        C,
        "",
        "Rises of the account's balance between two reads (top-ups, rewards), added up since the exporter started, in the chain's native unit.",
        scope="chain",
        labels=("account", "purpose", "team"),
        needs="accounts",
    ),
    _m(
        "chainwatch_account_info",
        G,
        "",
        "The configured account's address and the chain's coin symbol; value is always 1 (addresses are public; endpoint URLs never appear).",
        scope="chain",
        labels=("account", "address", "symbol"),
        example='chainwatch_account_info{account="batcher",address="0x6887246668a3b87F54DeB3b94Ba47a6f63F32985",chain="optimism",network="mainnet",symbol="ETH"} 1',
        needs="accounts",
    ),
    _m(
        "chainwatch_account_read_success",
        G,
        "",
        "1 if the account's last balance round read its balance, 0 if it did not (no endpoint answered, or the answer for this account was an error); "
        "absent until the first round ends. The reason is in the exporter's log (account balances round failed).",
        scope="chain",
        labels=("account", "purpose", "team"),
        example='chainwatch_account_read_success{account="batcher",chain="base",network="mainnet",purpose="batcher",team="rollup"} 1',
        needs="accounts",
    ),
    _m(
        "chainwatch_account_read_last_success_timestamp_seconds",
        G,
        "seconds",
        "Unix time every configured account of the chain was last read; the exporter's start until the first such round.",
        scope="chain",
        needs="accounts",
    ),
    _m(
        "chainwatch_account_read_failures_total",
        C,
        "",
        "Account balance rounds of the chain that failed (no endpoint answered, or an account was unreadable).",
        scope="chain",
        needs="accounts",
    ),
    # ----------------------------------------------------------------- exporter
    _m("chainwatch_build_info", G, "", "Version of the running exporter; value is always 1.", scope="exporter", labels=("version",)),
    _m("chainwatch_config_last_reload_successful", G, "", "1 if the last config (re)load succeeded.", scope="exporter"),
    _m("chainwatch_config_last_reload_success_timestamp_seconds", G, "seconds", "Unix time of the last successful config load.", scope="exporter"),
    _m("chainwatch_scrape_duration_seconds", G, "seconds", "Wall time the exporter spent producing the previous /metrics answer.", scope="exporter"),
    _m("chainwatch_endpoints_configured", G, "", "Endpoints in the loaded config.", scope="exporter"),
    # ----------------------------------------------------------------- paid providers (provider: + pricing:)
    _m(
        "chainwatch_provider_requests_total",
        C,
        "",
        "JSON-RPC elements (each element of a batch, each single call) and REST requests chainwatch sent to the provider and got an answer to (HTTP 429 not counted), "
        "by method (REST requests: rest); the provider label is the pricing table's name, never a URL.",
        scope="exporter",
        labels=("provider", "method"),
        example='chainwatch_provider_requests_total{method="eth_blockNumber",provider="alchemy"} 240',
    ),
    _m(
        "chainwatch_provider_credits_total",
        C,
        "",
        "Credits (the provider's billing unit: Alchemy compute units, Infura credits, QuickNode API credits, Chainstack request units) of chainwatch's requests "
        "at the provider's pricing table, by method (as chainwatch_provider_requests_total), since the exporter started.",
        scope="exporter",
        labels=("provider", "method"),
        example='chainwatch_provider_credits_total{method="eth_blockNumber",provider="alchemy"} 2400',
    ),
    _m(
        "chainwatch_provider_period_credits",
        G,
        "",
        "Credits of chainwatch's requests in the provider's current billing period (pricing period_start_day, UTC), counted since the period or the exporter started, "
        "whichever is later; 0 again when a new period starts. With usage_api, the provider's own count of the period while its API answers.",
        scope="exporter",
        labels=("provider",),
    ),
    _m(
        "chainwatch_provider_usage_read_success",
        G,
        "",
        "1 if the provider's usage API (pricing usage_api, QuickNode /v0/usage/rpc) answered its last read: chainwatch_provider_period_credits is then the provider's own count "
        "of the period (every request of the key); 0: chainwatch's own count. Absent without usage_api.",
        scope="exporter",
        labels=("provider",),
    ),
    _m(
        "chainwatch_provider_erpc_read_success",
        G,
        "",
        "1 if eRPC's erpc_upstream_credit_units_total (pricing erpc) answered its last read: chainwatch_provider_period_credits then includes what eRPC spent at the "
        "provider for the traffic it proxies; 0: it does not (the log line says why). Absent without erpc.",
        scope="exporter",
        labels=("provider",),
    ),
    _m(
        "chainwatch_provider_period_end_timestamp_seconds",
        G,
        "seconds",
        "Unix time the provider's current billing period ends (the next period_start_day, 00:00 UTC): the horizon of the projected use and cost.",
        scope="exporter",
        labels=("provider",),
    ),
)


def _resolve(m: Metric) -> Metric:
    if m.kinds:
        return m
    return replace(m, kinds=tuple(k.name for k in registry.all_kinds() if not m.needs or m.needs in k.capabilities))


METRICS: tuple[Metric, ...] = tuple(_resolve(m) for m in SHARED + tuple(row for k in registry.all_kinds() for row in k.metrics))

BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}


def get(name: str) -> Metric:
    return BY_NAME[name]


def series_names() -> frozenset[str]:
    """Every series name a PromQL expression may reference."""
    return _SERIES_NAMES


_SERIES_NAMES = frozenset(s for m in METRICS for s in m.series_names)


def check(name: str) -> str:
    """``name`` if the catalog has it, else ``KeyError``: the one metric-name check, used by the
    rules (:func:`check_expr`) and dashboards generators, so a renamed metric breaks the build
    of every alert and panel that used it. A series name (``_bucket``/``_sum``/``_count`` of a
    histogram) or a histogram's own name."""
    known = series_names()
    if name not in known and f"{name}_count" not in known:
        raise KeyError(f"{name} is not in the metric catalog (assembly/catalog.py, kinds/*/metrics.py)")
    return name


# A chainwatch series name in PromQL: not inside a string, not part of a recording rule's
# level:metric:operations name.
_SERIES = re.compile(r'"(?:[^"\\]|\\.)*"|(?<![\w:])(chainwatch_\w+)(?![\w:])')


def check_expr(expr: str) -> str:
    """``expr`` if every ``chainwatch_*`` series it selects is in the catalog (:func:`check`)."""
    for match in _SERIES.finditer(expr):
        if match.group(1):
            check(match.group(1))
    return expr


def metric_for_series(series: str) -> Metric | None:
    for m in METRICS:
        if series in m.series_names:
            return m
    return None


def _check() -> None:
    """Naming rules of the Prometheus exporter guide; a broken row fails the import, loudly."""
    seen: set[str] = set()
    for m in METRICS:
        problem = (
            "must start with chainwatch_"
            if not m.name.startswith("chainwatch_")
            else "declared twice"
            if m.name in seen
            else "_total is for counters only, and every counter ends in it"
            if (m.type is Type.COUNTER) != m.name.endswith("_total")
            else "a metric in seconds ends in _seconds"
            if m.unit == "seconds" and not m.name.endswith("_seconds")
            else f"unknown scope {m.scope!r}"
            if m.scope not in SCOPE_LABELS
            else ""
        )
        if problem:
            raise ValueError(f"metric catalog: {m.name}: {problem}")
        seen.add(m.name)


_check()
