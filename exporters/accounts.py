"""The accounts watch: every ``accounts_interval_seconds`` (60 s by default) the balances of a
chain's configured ``accounts:`` are read with the kind's own call (``kinds/<kind>/accounts.py``
``READER``: EVM ``eth_getBalance``, Solana ``getBalance``, Bitcoin-family ``scantxoutset``),
from the chain's first node that answers, then its references, through the shared transport.
Scrapes only read the last round, so any number of Prometheus servers cost one read a round.

Exposition (native unit: ether, SOL, LTC; ``chainwatch_account_info`` names the coin)::

    chainwatch_account_balance{account="batcher",chain="base",network="mainnet",purpose="batcher",team="rollup"} 4.8125
    chainwatch_account_spent_total{account="batcher",chain="base",...} 0.3711
    chainwatch_account_received_total{account="batcher",chain="base",...} 5
    chainwatch_account_info{account="batcher",address="0x7f…",chain="base",network="mainnet",symbol="ETH"} 1
    chainwatch_account_read_last_success_timestamp_seconds{chain="base",network="mainnet"} 1.7e+09
    chainwatch_account_read_failures_total{chain="base",network="mainnet"} 0
    chainwatch_account_read_success{account="batcher",chain="base",...} 1

``spent_total`` / ``received_total`` add up the falls and rises of the balance between two
reads, from 0 at the exporter's start (the first read only sets the baseline): the spend rate
is ``rate(chainwatch_account_spent_total[window])``, which a top-up does not disturb, and the
runway ``balance / spend rate`` (``ChainwatchAccountRunwayLow``). A balance unread for
:data:`STALE_ROUNDS` rounds disappears rather than freezing; the counters stay, and
``read_success`` 0 says which account is unread (``ChainwatchAccountUnreadable``; the reason is
in the exporter's log line ``account balances round failed``).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import Counter

from chainwatch import kinds
from chainwatch.exporters.failures import ProbeFailure
from chainwatch.exporters.probe import ProbeContext
from chainwatch.exporters.redact import scrub
from chainwatch.exporters.tasks import Loop

log = logging.getLogger("chainwatch.accounts")

STALE_ROUNDS = 3  # a balance older than this many intervals is no longer exported
WARN_EVERY_SECONDS = 60.0
ROUND_TIMEOUT_SECONDS = 30.0  # per endpoint; a scantxoutset over a large UTXO set takes long


class AccountsWatch(Loop):
    """One chain's accounts: ``start``/``stop`` and ``samples()`` like a validator monitor."""

    def __init__(self, chain_name: str, chain, transport):
        self.chain_name = chain_name
        self.chain = chain
        self.transport = transport
        self.reader = kinds.get(chain.kind).module("accounts").READER
        self.interval = chain.accounts_interval_seconds
        endpoints = [*chain.nodes, *chain.references]
        self.endpoints = endpoints
        self.caches: dict[str, dict] = {e.name: {} for e in endpoints}
        self.balances: dict[str, tuple[float, float]] = {}  # account -> (balance, unix time read)
        # account -> whether its last read gave a balance (absent until the first round ends)
        self.readable: dict[str, bool] = {}
        # account -> why its last read gave no balance (scrubbed, bounded): the log line's words, for ``check``
        self.why: dict[str, str] = {}
        self.spent: Counter[str] = Counter({a.name: 0.0 for a in chain.accounts})
        self.received: Counter[str] = Counter({a.name: 0.0 for a in chain.accounts})
        self.started = time.time()
        self.last_success: float | None = None
        self.failures = 0
        self.symbol = chain.accounts_symbol or self.reader.symbol(chain)
        self._last_warning = -math.inf

    def task_name(self) -> str:
        return f"accounts-{self.chain_name}"

    async def _loop(self) -> None:
        while True:
            started = time.monotonic()
            try:
                await self.round()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a bug or a bad answer must not stop the watch
                self.failures += 1
                self.warn(f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(max(0.05, self.interval - (time.monotonic() - started)))

    async def round(self) -> None:
        """Read every account from the first endpoint that answers; note falls and rises."""
        problems = []
        for endpoint in self.endpoints:
            loop = asyncio.get_running_loop()
            timeout = min(endpoint.timeout_seconds or ROUND_TIMEOUT_SECONDS, self.interval, ROUND_TIMEOUT_SECONDS)
            ctx = ProbeContext(self.transport, loop.time() + timeout, self.caches[endpoint.name], self.chain)
            try:
                got = await asyncio.wait_for(self.reader.read(endpoint, ctx, self.chain.accounts), timeout)
            except ProbeFailure as failure:
                problems.append(self._scrub(f"{endpoint.name}: {failure.reason}: {failure.detail}", endpoint))
                continue
            except TimeoutError:
                problems.append(f"{endpoint.name}: timeout after {timeout:g}s")
                continue
            self.note(got)
            bad = {name: value for name, value in got.items() if isinstance(value, ProbeFailure)}
            self.readable = {a.name: a.name in got and a.name not in bad for a in self.chain.accounts}
            self.why = {
                a.name: self._scrub(f"{endpoint.name}: {bad[a.name].reason}: {bad[a.name].detail}", endpoint)
                if a.name in bad
                else f"{endpoint.name}: no balance in its answer"
                for a in self.chain.accounts
                if not self.readable[a.name]
            }
            if bad:
                self.failures += 1
                name, failure = next(iter(sorted(bad.items())))
                self.warn(self._scrub(f"{endpoint.name}: account {name}: {failure.reason}: {failure.detail}", endpoint))
            else:
                self.last_success = time.time()
            return
        self.failures += 1
        self.readable = {a.name: False for a in self.chain.accounts}
        why = "; ".join(problems)[:300] or "no endpoint to read"
        self.why = {a.name: why for a in self.chain.accounts}
        self.warn(why)

    def note(self, got: dict) -> None:
        now = time.time()
        for name, value in got.items():
            if isinstance(value, ProbeFailure):
                continue
            previous = self.balances.get(name)
            if previous is not None:
                change = value - previous[0]
                if change < 0:
                    self.spent[name] += -change
                elif change > 0:
                    self.received[name] += change
            self.balances[name] = (value, now)

    def _scrub(self, text: str, endpoint) -> str:
        return scrub(text, [endpoint.url, *endpoint.secrets])

    def warn(self, detail: str) -> None:
        now = time.monotonic()
        if now - self._last_warning >= WARN_EVERY_SECONDS:
            self._last_warning = now
            log.warning("account balances round failed; retrying", extra={"chain": self.chain_name, "detail": detail[:300]})

    def samples(self) -> list[tuple[str, dict, float]]:
        base = {"chain": self.chain_name, "network": self.chain.network}
        out = []
        now = time.time()
        for account in self.chain.accounts:
            labels = {**base, "account": account.name, "purpose": account.purpose, "team": account.team or self.chain.team}
            read = self.balances.get(account.name)
            if read is not None and now - read[1] <= STALE_ROUNDS * self.interval:
                out.append(("chainwatch_account_balance", labels, read[0]))
            if account.name in self.readable:
                out.append(("chainwatch_account_read_success", labels, 1 if self.readable[account.name] else 0))
            out.append(("chainwatch_account_spent_total", labels, self.spent[account.name]))
            out.append(("chainwatch_account_received_total", labels, self.received[account.name]))
            out.append(("chainwatch_account_info", {**base, "account": account.name, "address": account.address, "symbol": self.symbol}, 1))
        out.append(("chainwatch_account_read_last_success_timestamp_seconds", base, round(self.last_success or self.started, 3)))
        out.append(("chainwatch_account_read_failures_total", base, self.failures))
        return out


def watches_for(config, transport) -> dict[str, AccountsWatch]:
    """One watch per chain that configures accounts."""
    return {name: AccountsWatch(name, chain, transport) for name, chain in sorted(config.chains.items()) if chain.accounts}
