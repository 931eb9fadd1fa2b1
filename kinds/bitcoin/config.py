"""Config of a ``bitcoin`` chain: Bitcoin Core's JSON-RPC, with credentials only from files.

```yaml
chains:
  bitcoin:
    kind: bitcoin
    network: mainnet
    chain: main                    # what getblockchaininfo calls it: main, test, testnet4, signet, regtest
    endpoints:
      - name: btc-1
        url: http://10.0.0.5:8332
        cookie_file: /var/lib/bitcoind/.cookie          # written by the node at every start
      - name: btc-2
        url: http://10.0.0.6:8332
        auth: {username: chainwatch, password_file: /etc/chainwatch/btc-2.password}   # rpcauth= user
```

Bitcoin Core accepts HTTP basic auth only. The password (or the cookie, ``__cookie__:<hex>``)
is read from its file at every probe, so a node restart that writes a new cookie needs no
reload; it is never part of the config, a label, a log line or an error text.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator

from chainwatch.core.chain import ChainBase, Endpoint, Strict
from chainwatch.core.secretfile import secret_file

# Checked when the exporter loads the config (core/secretfile.py). Not cookie_file: the node
# writes it at every start and removes it at shutdown, so a node that is down has none.
PasswordFile = secret_file("the RPC password")

# Names getblockchaininfo reports in "chain" (chainparams strNetworkID; testnet4 since Bitcoin Core 28).
CHAIN_NAMES = ("main", "test", "testnet4", "signet", "regtest")
DEFAULT_BLOCK_TIME = 600.0
FEE_TARGETS = (2, 6, 144)  # estimatesmartfee conf_target: next block or two, about an hour, about a day
# A random block gap longer than the head-stale threshold is a false page: at most this many a year.
FALSE_PAGES_PER_YEAR = 1.0
YEAR_SECONDS = 365 * 86400


def stale_after_seconds(block_time: float, false_pages_per_year: float = FALSE_PAGES_PER_YEAR) -> float:
    """Head age past which a healthy chain pages at most ``false_pages_per_year`` times a year.

    Block gaps are exponential with mean ``T``: P(gap > t) = e^(-t/T). With N = year/T gaps a year,
    the expected false pages are N·e^(-t/T); solving for the target rate r gives t = T·ln(N/r),
    rounded up to whole minutes. 10-minute blocks: 6540 s (109 min); 2.5-minute blocks: 1860 s (31 min).
    """
    gaps = YEAR_SECONDS / block_time
    return math.ceil(block_time * math.log(gaps / false_pages_per_year) / 60) * 60


class BitcoinAuth(Strict):
    """HTTP basic credentials of an ``rpcauth=``/``rpcuser=`` user: the name here, the password in a file."""

    username: Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[^:\s]+$")]
    password_file: PasswordFile


class BitcoinEndpoint(Endpoint):
    """An endpoint of a bitcoin chain: `auth` (user + `password_file`) or `cookie_file`, never a
    password in the URL or an inline Authorization header."""

    auth: BitcoinAuth | None = None
    cookie_file: Annotated[str, Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _credentials_from_files(self):
        if self.auth is not None and self.cookie_file is not None:
            raise ValueError("set either auth (username + password_file) or cookie_file, not both")
        parts = urlsplit(self.url)
        if parts.username or parts.password:
            raise ValueError("url has user:password@ credentials: put the password in a file and use auth: {username, password_file} or cookie_file")
        if any(k.lower() == "authorization" for k in self.headers):
            raise ValueError("headers set Authorization: use auth: {username, password_file} or cookie_file (read from the file at probe time)")
        return self


class BitcoinChain(ChainBase):
    """A Bitcoin-family chain (Bitcoin Core, Litecoin Core, ...). `chain` is the name `getblockchaininfo`
    reports (`main`, `test`, `testnet4`, `signet`, `regtest`); an endpoint on another one fails with
    reason `wrong_chain`. `block_time_seconds` defaults to 600 (Litecoin: 150). Unless set, the
    head-stale and halt thresholds follow from random block arrival (about 109 min for 10-minute
    blocks, 31 min for 2.5-minute blocks, see docs/rules.md), lag alerts fire at 1 block (warning) and
    2 blocks (critical) behind the references, and `peers_min` is 4. `fee_targets` are the
    `estimatesmartfee` confirmation targets exported."""

    kind: Literal["bitcoin"]
    chain: Literal["main", "test", "testnet4", "signet", "regtest"]
    endpoints: list[BitcoinEndpoint] = Field(min_length=1)
    fee_targets: list[Annotated[int, Field(ge=1, le=1008)]] = Field(default_factory=lambda: list(FEE_TARGETS), max_length=8)
    headers_behind_max_blocks: Annotated[int, Field(ge=1)] = 1  # headers - blocks above this, sustained, warns
    signal_for: Annotated[str, Field(pattern=r"^(\d+(ms|s|m|h|d|w|y))+$")] = "10m"  # `for:` of the headers/IBD alerts

    @model_validator(mode="before")
    @classmethod
    def _random_arrival_defaults(cls, data):
        """Thresholds the user did not set, sized for exponential block gaps instead of the
        fixed-interval defaults (5 block times, 10 peers) that suit slot-based chains."""
        if not isinstance(data, dict):
            return data
        block_time = data.get("block_time_seconds") or DEFAULT_BLOCK_TIME
        if not isinstance(block_time, (int, float)) or isinstance(block_time, bool) or block_time <= 0:
            return data  # the field validator reports it
        thresholds = data.get("thresholds", {})
        if not isinstance(thresholds, dict):
            return data
        stale_blocks = stale_after_seconds(block_time) / block_time
        defaults = {
            "head_stale_blocks": stale_blocks,
            "chain_halt_blocks": stale_blocks,
            "sync_lag_blocks_warning": 0,  # > 0: one block behind the references for `sync_lag`
            "sync_lag_blocks_critical": 1,  # > 1: two blocks behind
            "peers_min": 4,  # a non-listening node has 10 outbound at best; churn dips below 8 briefly
            "mempool_pending_max": 300_000,  # a busy Bitcoin mempool holds 100k+ transactions; not a node fault
        }
        return {**data, "thresholds": {**defaults, **thresholds}}

    @property
    def block_time(self) -> float:
        return self.block_time_seconds or DEFAULT_BLOCK_TIME

    @property
    def freshness_max_lag_blocks(self) -> float:
        # A node is one block behind for the second or two a new block takes to reach it: at
        # 2.5-minute blocks that alone is ~1% of samples, the whole freshness budget at 0 blocks.
        return self.slo.freshness.max_lag_blocks or 1

    def random_gaps(self) -> list[float]:
        """Typical gaps (one block time, half, double) and last the longest gap a healthy chain
        shows about once a month, T·ln(gaps a month): 84 min at 10-minute blocks."""
        t = self.block_time
        return [t, t / 2, 2 * t, t, t * math.log(YEAR_SECONDS / 12 / t)]
