"""Config of a Cosmos SDK / CometBFT chain (`kind: cosmos`).

An endpoint is a CometBFT RPC ``url`` (``:26657``) and, optionally, the node's Cosmos SDK
REST ``lcd_url`` (``:1317``), which the validator monitor needs for x/slashing and x/staking.
Validators are watched in user-named groups, each member by its consensus address (hex,
as CometBFT shows it in ``/validators`` and commits) and/or its operator address
(``cosmosvaloper1…``, resolved to the consensus address through x/staking). A consumer
chain without a staking module (Interchain Security) sets ``staking: false``: members are
then named by consensus address only, and jailing is read from x/slashing alone.

Example::

    chains:
      cosmoshub:
        kind: cosmos
        network: mainnet
        chain_id: cosmoshub-4
        endpoints:
          - {name: hub-1, url: "http://10.0.0.5:26657", lcd_url: "http://10.0.0.5:1317"}
          - {name: hub-ref, url: "https://rpc.example.com", lcd_url: "https://lcd.example.com", role: reference}
        validators:
          groups:
            ops:
              - {name: ours, operator_address: cosmosvaloper1…}
              - {consensus_address: "4748B1921F9D6CF16D8B3D5DECC5CEC3442203D5"}
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, PrivateAttr, field_validator, model_validator

from chainwatch.core.chain import NAME_PATTERN, Adjusted, ChainBase, Durations, Endpoint, FieldError, Strict, Thresholds
from chainwatch.core.versions import Upgrades

CHAIN_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$"  # CometBFT: at most 50 characters
CONSENSUS_ADDRESS_PATTERN = r"^[0-9A-Fa-f]{40}$"  # SHA-256(pubkey)[:20] in hex
OPERATOR_ADDRESS_PATTERN = r"^[a-z][a-z0-9]{0,30}valoper1[02-9ac-hj-np-z]{38,90}$"  # bech32 <hrp>valoper1...
DEFAULT_BLOCK_TIME = 6.0  # seconds; most Cosmos SDK chains target 5-7 s (timeout_commit)


class CosmosEndpoint(Endpoint):
    """A CometBFT RPC endpoint, with the same node's (or provider's) Cosmos SDK REST API."""

    lcd_url: str | None = None
    _lcd: Endpoint | None = PrivateAttr(default=None)

    @field_validator("lcd_url")
    @classmethod
    def _lcd_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https"):
            raise ValueError("must be an http:// or https:// URL")
        if not parts.hostname:
            raise ValueError("has no host")
        return value

    @property
    def urls(self) -> tuple[str, ...]:
        return (self.url,) + ((self.lcd_url,) if self.lcd_url else ())

    @property
    def lcd(self) -> Endpoint | None:
        """The LCD as an endpoint of its own (same name, headers and secrets) for the transport."""
        if self.lcd_url is None:
            return None
        if self._lcd is None:
            lcd = Endpoint(name=self.name, url=self.lcd_url, role=self.role, headers=self.headers, timeout_seconds=self.timeout_seconds, provider=self.provider)
            lcd._secrets = self.secrets
            self._lcd = lcd
        return self._lcd


class CosmosValidator(Strict):
    """One watched validator: its consensus address (hex) and/or operator address (bech32)."""

    name: Annotated[str, Field(pattern=NAME_PATTERN)] | None = None
    consensus_address: Annotated[str, Field(pattern=CONSENSUS_ADDRESS_PATTERN)] | None = None
    operator_address: Annotated[str, Field(pattern=OPERATOR_ADDRESS_PATTERN)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value):
        """A bare string is a consensus address (40 hex digits) or an operator address (…valoper1…)."""
        if isinstance(value, str):
            return {"operator_address": value} if "valoper1" in value else {"consensus_address": value}
        return value

    @field_validator("consensus_address")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value else value

    @model_validator(mode="after")
    def _one_address(self):
        if self.consensus_address is None and self.operator_address is None:
            raise ValueError("set consensus_address (hex) and/or operator_address (…valoper1…)")
        return self

    @property
    def label(self) -> str:
        return self.name or (self.consensus_address or self.operator_address or "")[:16].lower()


class CosmosValidators(Strict):
    endpoint: str | None = None  # default: the first reference, else the first node
    fallbacks: list[str] = Field(default_factory=list)  # tried in order when `endpoint` fails a round
    groups: dict[Annotated[str, Field(pattern=NAME_PATTERN)], list[CosmosValidator]]
    interval_seconds: float = Field(5, ge=0.1, le=600)  # round cadence: every new block since the last round is read
    lcd_interval_seconds: float = Field(30, ge=0.1, le=3600)  # x/slashing + x/staking cadence
    max_blocks_per_round: int = Field(200, ge=1, le=10000)  # catch-up pace after a pause
    max_backfill_blocks: int = Field(2000, ge=1, le=1_000_000)  # older unread blocks are skipped (counted)
    state_file: str | None = None  # default: <state_dir>/<chain>-validators.json


class CosmosDurations(Durations):
    cosmos_signing: str = "0m"  # consecutive misses, jailed, tombstoned
    cosmos_miss_ratio: str = "5m"
    cosmos_jail: str = "2m"


class CosmosThresholds(Thresholds):
    """Cosmos alert thresholds on top of the shared ones."""

    cosmos_consecutive_misses: int = Field(10, ge=1)  # blocks in a row (1 min at 6 s)
    cosmos_solo_miss_ratio: float = Field(0.05, gt=0, le=1)  # of checked blocks, over the window below
    cosmos_miss_ratio_window: str = "1h"
    cosmos_jail_headroom_critical_hours: float = Field(2, gt=0)  # time until jail below this pages
    cosmos_jail_headroom_warning_hours: float = Field(6, gt=0)
    durations: CosmosDurations = Field(default_factory=CosmosDurations)

    @field_validator("cosmos_miss_ratio_window")
    @classmethod
    def _window(cls, value: str) -> str:
        return Durations._duration(value)

    @model_validator(mode="after")
    def _order(self):
        if self.cosmos_jail_headroom_warning_hours < self.cosmos_jail_headroom_critical_hours:
            raise ValueError("cosmos_jail_headroom_warning_hours must not be below cosmos_jail_headroom_critical_hours")
        return self


class SlashingParams(Strict):
    """The chain's x/slashing parameters (``/cosmos/slashing/v1beta1/params``), so the generator
    knows the whole jail headroom; the validator monitor reads them from the chain at run time."""

    signed_blocks_window: int = Field(gt=0)
    min_signed_per_window: float = Field(ge=0, le=1)


class CosmosChain(ChainBase):
    """A Cosmos SDK / CometBFT chain. `chain_id` is required: an endpoint whose
    `/status` `node_info.network` is another chain id fails with reason `wrong_chain`."""

    kind: Literal["cosmos"]
    chain_id: Annotated[str, Field(pattern=CHAIN_ID_PATTERN)]
    staking: bool = True  # false: a consumer chain without x/staking (jailing from x/slashing only)
    bech32_prefix: Annotated[str, Field(pattern=r"^[a-z][a-z0-9]{0,30}$")] | None = None  # e.g. cosmos; default: learned
    endpoints: list[CosmosEndpoint] = Field(min_length=1)
    thresholds: CosmosThresholds = Field(default_factory=CosmosThresholds)
    validators: CosmosValidators | None = None
    slashing: SlashingParams | None = None  # the chain's x/slashing params: checks the jail thresholds against them
    upgrades: Upgrades | None = None  # the next scheduled upgrade and the client version it needs (core/versions.py)

    @property
    def block_time(self) -> float:
        return self.block_time_seconds or DEFAULT_BLOCK_TIME

    @property
    def jail_headroom_seconds(self) -> float | None:
        """Time until jail of a validator with no missed block in its window (``None``: the
        slashing params are not configured): the largest value time-to-jail can take."""
        p = self.slashing
        if p is None:
            return None
        return (p.signed_blocks_window - round(p.signed_blocks_window * p.min_signed_per_window)) * self.block_time

    def jail_threshold(self, level: str) -> float:
        """Seconds of time-to-jail below which ``ChainwatchCosmosValidatorCloseToJail`` fires."""
        return self._jail_thresholds()[0][level]

    def _jail_thresholds(self) -> tuple[dict[str, float], list[Adjusted]]:
        """The configured thresholds, scaled when the whole headroom is not above them: a
        threshold at or above the headroom fires with zero missed blocks. Both scale by the
        factor that puts the warning at half the headroom (the critical keeps its ratio)."""
        t = self.thresholds
        hours = {"warning": t.cosmos_jail_headroom_warning_hours, "critical": t.cosmos_jail_headroom_critical_hours}
        configured = {k: v * 3600 for k, v in hours.items()}
        headroom = self.jail_headroom_seconds
        if headroom is None or configured["warning"] < headroom:
            return configured, []
        factor = headroom / 2 / configured["warning"]
        used = {k: round(v * factor, 3) for k, v in configured.items()}
        w, m = self.slashing.signed_blocks_window, self.slashing.min_signed_per_window
        why = (
            f"h is not below the whole jail headroom of a validator with no missed block ({headroom:g}s: {w} - round({w} x {m:g}) "
            f"blocks of {self.block_time:g}s): it fires with zero missed blocks; scaled to keep the warning at half the headroom"
        )
        found = [
            Adjusted(setting=f"thresholds.cosmos_jail_headroom_{k}_hours", configured=hours[k], used=round(used[k] / 3600, 6), why=why)
            for k in ("warning", "critical")
        ]
        return used, found

    def adjustments(self) -> list[Adjusted]:
        return super().adjustments() + (self._jail_thresholds()[1] if self.validators is not None else [])

    @model_validator(mode="after")
    def _upgrade_clients(self):
        if self.upgrades is not None:  # judged by the application's version, which names no client (kinds/cosmos/upgrade.py)
            self.upgrades.check_clients((), "/abci_info response.version, e.g. gaiad's v17.2.0")
        return self

    @model_validator(mode="after")
    def _validators(self):
        v = self.validators
        if v is None:
            return self
        names = {e.name for e in self.endpoints}
        for path, n in ([(("validators", "endpoint"), v.endpoint)] if v.endpoint else []) + [
            (("validators", "fallbacks", i), f) for i, f in enumerate(v.fallbacks)
        ]:
            if n not in names:
                raise FieldError(path, f"{n!r} is not an endpoint of this chain (endpoints: {', '.join(sorted(names))})")
        used = [self.endpoint(n) for n in ([v.endpoint] if v.endpoint else []) + v.fallbacks] or [(self.references or self.nodes)[0]]
        if not any(e.lcd_url for e in used):
            raise ValueError("validators: the monitor's endpoint needs an lcd_url (x/slashing signing infos are read there)")
        if not self.staking:
            for group, members in v.groups.items():
                for m in members:
                    if m.consensus_address is None:
                        raise ValueError(
                            f"validators.groups.{group}: with staking: false, name validators by consensus_address "
                            "(an operator address needs x/staking to resolve)"
                        )
        return self
