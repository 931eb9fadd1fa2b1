"""``chainwatch check``: the first thing an operator runs after writing a config.

Probes every endpoint once, through the same scheduler as the server, and prints one
row per endpoint. Exit status 1 when an endpoint we operate (role ``node``) fails, so the
command can gate a deploy. An endpoint that answers but would be drained by ``/health`` (behind
past its warning threshold, no safe head yet, a sync flag that counts) says so in the status
column with ``/health``'s own words: ``check`` and the load balancer never disagree.
Only endpoint names and hosts are printed, never URLs' paths.

With ``accounts:`` configured, each account's balance is read once, as ``serve``'s accounts
watch reads it (the kind's reader, the chain's first node that answers, then its references),
and a second table says its balance in the chain's native unit or why it could not be read. An
unreadable account does not fail the command: it is no failing node. No runway: that needs a
spend rate, which one read cannot give.
"""

from __future__ import annotations

import asyncio
import time

import click

from chainwatch import kinds
from chainwatch.assembly.config import Config, Role
from chainwatch.core import durations
from chainwatch.core.alerttext import humanize_duration
from chainwatch.exporters.accounts import AccountsWatch, watches_for
from chainwatch.exporters.credits import CreditMeter
from chainwatch.exporters.health import verdict
from chainwatch.exporters.redact import scrub
from chainwatch.exporters.scheduler import Scheduler
from chainwatch.exporters.transport import Transport

COLUMNS = ("chain", "endpoint", "role", "chain id", "head", "lag", "head age", "peers", "mempool", "latency", "cert expiry", "status")


def _fmt(value, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.2f}{unit}"
    return f"{int(value)}{unit}"


async def _probe_all(config: Config, timeout: float, meter: CreditMeter | None = None):
    transport = Transport(config.exporter.max_response_bytes)
    transport.meter = meter
    try:
        scheduler = Scheduler(config, transport)
        deadline = asyncio.get_running_loop().time() + timeout
        return await scheduler.round(list(scheduler.states.values()), sorted(config.chains), deadline)
    finally:
        await transport.close()


async def _read_accounts(config: Config, timeout: float) -> dict[str, AccountsWatch]:
    """One accounts round of every chain with ``accounts:``, on a transport of its own (balance
    reads come on top of the credits table, as in ``serve``); a round not done in ``timeout``
    seconds leaves its accounts unread, with that reason."""
    transport = Transport(config.exporter.max_response_bytes)

    async def once(watch: AccountsWatch) -> None:
        try:
            await asyncio.wait_for(watch.round(), timeout)
        except TimeoutError:
            watch.why = {a.name: f"no endpoint answered within --timeout {timeout:g}s" for a in watch.chain.accounts}
        except Exception as exc:  # noqa: BLE001 - a bug or a bad answer is a row here, as it is a log line in serve
            secrets = [s for e in watch.endpoints for s in (e.url, *e.secrets)]
            watch.why = {a.name: scrub(f"{type(exc).__name__}: {exc}", secrets) for a in watch.chain.accounts}

    try:
        watches = watches_for(config, transport)
        await asyncio.gather(*(once(w) for w in watches.values()))
        return watches
    finally:
        await transport.close()


async def _check(config: Config, timeout: float, meter: CreditMeter):
    return await asyncio.gather(_probe_all(config, timeout, meter), _read_accounts(config, timeout))


# The setting each kind checks every answer against (a node of another network fails with
# reason wrong_chain): EVM chain_id, Cosmos chain_id, Solana genesis_hash, beacon
# genesis_validators_root, bitcoin chain, op-node l2_chain_id, subgraph deployment.
IDENTITY_FIELDS = ("chain_id", "genesis_hash", "genesis_validators_root", "l2_chain_id", "deployment", "chain")


def _identity(chain, result) -> str:
    """The "chain id" column: ``ok`` when the answer matched the configured identity, ``WRONG``
    when it did not (the status says what it saw), ``-`` when none is set or the probe failed first."""
    if result.reason == "wrong_chain":
        return "WRONG"
    expected = next((getattr(chain, f) for f in IDENTITY_FIELDS if isinstance(getattr(chain, f, None), (int, str))), None)
    if expected is None or not result.success:
        return "-"
    return "ok"


def _has_references(config: Config, chain) -> bool:
    measured_on = config.chains.get(chain.lag_chain() or "", chain)
    return bool(measured_on.references)


def rows(config: Config, snap) -> list[tuple[str, ...]]:
    out = []
    for state in snap.states:
        r = snap.results[state.endpoint.name]
        name = state.endpoint.name
        id_ok = _identity(state.chain, r)
        # No reference to measure against (none in the chain, nor in the chain its lag is read from): no lag, not 0.
        lag = snap.lag.get(name) if _has_references(config, state.chain) else None
        pending = r.get("chainwatch_mempool_transactions", state="pending")
        batch = next((c.seconds for c in r.calls if c.ok and c.seconds is not None), None)
        status = f"FAIL {r.reason}: {r.detail}" if not r.success else _served(state, snap)
        # https only: days left of the chain the handshake verified, not of every certificate served
        # (an unused expired cross certificate is no reason to print EXPIRED); unverified: the served one
        expiry, note = r.get("chainwatch_tls_verified_chain_expiry_timestamp_seconds"), ""
        if expiry is None:  # insecure_skip_verify: nothing verified, the served chain is all there is
            expiry, note = r.get("chainwatch_tls_earliest_cert_expiry_timestamp_seconds"), " (unverified)"
        cert = "-" if expiry is None else ("EXPIRED" if expiry <= time.time() else _time_left(expiry - time.time())) + note
        out.append(
            (
                state.chain_name,
                name,
                state.endpoint.role.value,
                id_ok,
                _fmt(r.head_height),
                _fmt(lag[0] if lag else None),
                _fmt(r.get("chainwatch_head_age_seconds"), "s"),
                _fmt(r.get("chainwatch_peers")),
                _fmt(pending),
                _fmt(batch * 1000 if batch is not None else None, "ms"),
                cert,
                status,
            )
        )
    return out


def _time_left(seconds: float) -> str:
    """Whole days from a day up (``80d``); below, hours and minutes (``9h 12m 3s``), never ``0d``."""
    return f"{seconds / 86400:.0f}d" if seconds >= 86400 else humanize_duration(seconds)


def _served(state, snap) -> str:
    """``ok``, or ``UNHEALTHY`` and why, as ``/health`` would answer for this endpoint."""
    said = verdict(state, snap)
    return "ok" if said.healthy else "UNHEALTHY " + said.line.removeprefix("unhealthy: ")


COST_COLUMNS = ("endpoint", "provider", "credits/round", "credits/day", "cost/day")


NOT_MEASURED = "not measured (the probe failed)"


def cost_rows(config: Config, meter: CreditMeter, interval: float, snap=None) -> list[tuple[str, ...]]:
    """What monitoring costs at paid providers: per endpoint with ``provider:``, the credits of
    one round (every batch element the round sends every time) and the credits per day: those ×
    rounds per day at ``interval`` seconds, plus what the probe asks less often (the kind's
    ``occasional_calls``: EVM ``web3_clientVersion`` every 10 minutes, which the first round
    also sent) at its own rate; in dollars where the table has a price. An endpoint whose probe
    failed in ``snap`` sent no full round: "not measured", never a 0 that reads as free."""
    tables = config.providers()
    out = []
    for _, chain, endpoint in config.endpoints():
        if endpoint.provider is None:
            continue
        occasional = dict(kinds.get(chain.kind).occasional_calls)
        table = tables[endpoint.provider]
        result = snap.results.get(endpoint.name) if snap is not None else None
        if result is not None and not result.success:
            out.append((endpoint.name, endpoint.provider, NOT_MEASURED, "-", "-"))
            continue
        spent = {method: credits for (name, method), credits in meter.by_endpoint.items() if name == endpoint.name}
        per_round = sum(credits for method, credits in spent.items() if method not in occasional)
        per_day = per_round * 86400 / interval + sum(
            credits * 86400 / max(occasional[method], interval) for method, credits in spent.items() if method in occasional
        )
        price = table.price_per_million_credits
        dollars = "-" if price is None else f"${per_day * price / 1e6:.4f}"
        out.append((endpoint.name, endpoint.provider, _fmt(per_round), _fmt(round(per_day)), dollars))
    return out


ACCOUNT_COLUMNS = ("chain", "account", "purpose", "balance", "status")
MAX_WHY = 120  # characters of why an account was not read: a row, not a log


def _amount(value: float) -> str:
    """A balance as a person reads it: up to 9 decimals (gwei, satoshi, lamport), no trailing zeros."""
    return f"{value:.9f}".rstrip("0").rstrip(".")


def account_rows(watches: dict[str, AccountsWatch]) -> list[tuple[str, ...]]:
    """Per account: its balance in the chain's native unit and ``ok``, ``LOW`` when below its
    ``minimum`` (``ChainwatchAccountBalanceLow`` would page), or ``FAIL`` and why it was not read
    (endpoint name and failure reason, scrubbed of the endpoint's URL and secrets, bounded)."""
    out = []
    for chain_name, watch in watches.items():
        for account in watch.chain.accounts:
            read = watch.balances.get(account.name)
            if not watch.readable.get(account.name) or read is None:
                why = watch.why.get(account.name, "not read")
                why = why if len(why) <= MAX_WHY else why[: MAX_WHY - 3] + "..."
                out.append((chain_name, account.name, account.purpose, "-", f"FAIL {why}"))
                continue
            balance = f"{_amount(read[0])} {watch.symbol}"
            low = account.minimum and read[0] < account.minimum
            status = f"LOW: below its minimum of {_amount(account.minimum)} {watch.symbol}" if low else "ok"
            out.append((chain_name, account.name, account.purpose, balance, status))
    return out


def _runway_line(watches: dict[str, AccountsWatch]) -> str:
    windows = sorted({w.chain.thresholds.account_spend_window for w in watches.values()})
    by_chain = ", ".join(f"{name} {w.chain.thresholds.account_spend_window}" for name, w in watches.items())
    window = windows[0] if len(windows) == 1 else by_chain
    return f"runway: needs serve's spend window (thresholds.account_spend_window: {window}); one read gives no spend rate"


def _print(table: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]) - 1)]
    for row in table:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1])


def run_check(config: Config, timeout: float, interval: float | None = None) -> int:
    """``interval``: seconds between probe rounds (the scrape interval), for credits per day;
    default ``generate.prometheus_operator.probe_interval``."""
    interval = interval or durations.seconds(config.generate.prometheus_operator.probe_interval)
    meter = CreditMeter()
    meter.configure(config.providers())
    snap, watches = asyncio.run(_check(config, timeout, meter))
    _print([COLUMNS, *rows(config, snap)])
    if watches:
        click.echo("\nAccount balances, one read each (docs/accounts.md):")
        _print([ACCOUNT_COLUMNS, *account_rows(watches)])
        click.echo(_runway_line(watches))
    costs = cost_rows(config, meter, interval, snap)
    if costs:
        accounts = any(getattr(chain, "accounts", None) for chain in config.chains.values())
        on_top = "; balance reads (accounts:) come on top" if accounts else ""
        click.echo(f"\nWhat monitoring costs at paid providers, one round every {_fmt(interval)}s{on_top} (docs/cost.md):")
        _print([COST_COLUMNS, *costs])
    failed = [s.endpoint.name for s in snap.states if s.endpoint.role is Role.NODE and not snap.results[s.endpoint.name].success]
    if failed:
        click.echo(f"\n{len(failed)} operated node(s) failing: {', '.join(failed)}", err=True)
        return 1
    return 0
