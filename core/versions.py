"""Client versions across a chain's fleet: the alert that a chain's nodes run more than one
client version for longer than a rolling upgrade takes.

It reads ``chainwatch_node_info{client_version}`` (1 per endpoint, the version the node
reports: ``web3_clientVersion``, ``/eth/v1/node/version``, CometBFT ``/status``
``node_info.version``...) of the chain's nodes (references are other people's fleets) and
counts the distinct versions: a warning after ``durations.versions_mixed`` (default 12h,
longer than a rolling upgrade of a fleet takes: an upgrade that stopped half way, or a
forgotten node). One severity: an info variant with a shorter ``for:`` would fire on every
upgrade and on the warning's own way to firing.
"""

from __future__ import annotations

import re
import time

from packaging.version import InvalidVersion, Version
from pydantic import Field, field_validator, model_validator

from chainwatch.core import durations
from chainwatch.core.alertkit import CHAIN_LABELS, ENDPOINT_LABELS, AlertSpec, Ctx, Quiet, Recipe, Series, by, duration as duration_text, fmt
from chainwatch.core.chain import FieldError, Strict
from chainwatch.core.generated import number


def _expr(c: Ctx) -> str:
    versions = f"count by ({by((*CHAIN_LABELS, 'client_version'))}) ({c.sel('chainwatch_node_info')})"
    return f"count by ({by(CHAIN_LABELS)}) ({versions}) > 1"


def _test(c: Ctx) -> list[Recipe]:
    a = {**c.endpoint_labels, "endpoint": "node-a", "client_version": "v1.0.0"}
    b_old = {**c.endpoint_labels, "endpoint": "node-b", "client_version": "v1.0.0"}
    b_new = {**c.endpoint_labels, "endpoint": "node-b", "client_version": "v1.1.0"}
    return [
        Recipe(
            [
                Series("chainwatch_node_info", a, 1, 1),
                Series("chainwatch_node_info", b_old, 1, 0, "presence"),
                Series("chainwatch_node_info", b_new, 0, 1, "fault_only"),
            ],
            2,
            c.chain_labels,
            note="node-b upgraded, node-a not",
            # Hours of `for:`: 5m steps (the look-back still sees every sample) keep the test a fifth of 1m's.
            step=300.0,
        )
    ]


VERSIONS_MIXED = AlertSpec(
    "ChainwatchClientVersionsMixed",
    "chain",
    ("warning",),
    expr=_expr,
    for_=lambda c: c.d.versions_mixed,
    summary="The nodes of {chain} run {value:%.0f} different client versions",
    description=lambda c: (
        "The nodes of {chain}/{network} (references left out) have reported {value:%.0f} different client versions (chainwatch_node_info client_version) for "
        + c.d.versions_mixed
        + ": an upgrade that stopped half way, or a node that was forgotten. Before a scheduled chain upgrade every node needs the new version."
    ),
    value="{value:%.0f} versions",
    test=_test,
)


# --------------------------------------------------------------------------- scheduled upgrades
#
# The next scheduled upgrade of a chain (Cosmos x/upgrade plan, beacon fork schedule) is read
# by the kind's probe of every endpoint every ``upgrades.interval_seconds``, each endpoint
# saying what its own node knows; the probe also says whether the endpoint's client version is
# below the configured minimum. Exposition (endpoint scope)::
#
#     chainwatch_upgrade_time_until_seconds{chain="cosmoshub",endpoint="hub-1",network="mainnet",role="node",upgrade="v17"} 86400
#     chainwatch_upgrade_height{...,upgrade="v17"} 2.35e+07
#     chainwatch_node_version_below_minimum{chain="cosmoshub",endpoint="hub-1",network="mainnet",role="node"} 1

# A version inside a client's text: "Lodestar/v1.23.0/abc", "cometbft/0.38.17", "v17.2.0-rc1":
# the release numbers and a pre-release tag; a build suffix ("-d6ba8c3", "+dirty") is left out.
_VERSION = re.compile(r"(\d+(?:\.\d+)+)(?:[-.]?((?:rc|alpha|beta|a|b)\.?\d*))?(?![\w.])|(\d+(?:\.\d+)+)", re.IGNORECASE)


def parse_version(text: object) -> Version | None:
    """The version in a client's version text as a :class:`packaging.version.Version`, or None
    when it holds none. PEP 440 ordering (``packaging``) is what client releases need: 1.10 after
    1.9, a release candidate before its release; string or tuple comparison gets either wrong.

        parse_version("Lodestar/v1.23.0/6d5cf0c")  # Version("1.23.0")
        parse_version("v17.2.0-rc1")  # Version("17.2.0rc1")
    """
    if not isinstance(text, str):
        return None
    for match in _VERSION.finditer(text):
        release, pre, plain = match.groups()
        try:
            return Version(release + (pre or "") if release else plain)
        except InvalidVersion:
            continue
    return None


def client_of(text: str) -> str:
    """The client name of a version text, lower case (``"Lodestar/v1.23.0/x"`` -> ``"lodestar"``;
    ``""`` when the text has no ``name/`` part)."""
    head, sep, _ = text.partition("/")
    return head.strip().lower() if sep else ""


class Upgrades(Strict):
    """Scheduled upgrades of a chain (``upgrades:``): read the next one and warn when nodes run
    a client version below the minimum it needs.

    ``min_version`` applies to every node; ``min_versions`` per client name (the part before
    ``/`` of the version the node reports, lower case: ``lodestar``, ``lighthouse``) wins over
    it. A node whose version the minimum cannot be applied to (no minimum for its client, no
    version in its text) is not judged. ``warning_before`` / ``critical_before``: how long before
    the upgrade ``ChainwatchUpgradeVersionBelowMinimum`` fires at each severity."""

    min_version: str | None = None
    min_versions: dict[str, str] = Field(default_factory=dict)
    warning_before: str = "48h"
    critical_before: str = "1h"
    interval_seconds: float = Field(300.0, ge=10)  # how often each endpoint is asked the plan

    @field_validator("min_version")
    @classmethod
    def _version(cls, value: str | None) -> str | None:
        if value is not None and parse_version(value) is None:
            raise ValueError(f"{value[:40]!r} holds no version such as 1.2.3 or v17.0.0-rc1")
        return value

    @field_validator("min_versions")
    @classmethod
    def _versions(cls, value: dict[str, str]) -> dict[str, str]:
        for client, text in value.items():
            if parse_version(text) is None:
                raise ValueError(f"{client}: {text[:40]!r} holds no version such as 1.2.3 or v17.0.0-rc1")
        return {k.lower(): v for k, v in value.items()}

    @field_validator("warning_before", "critical_before")
    @classmethod
    def _duration(cls, value: str) -> str:
        if not durations.valid(value):
            raise ValueError(f"{value!r} is not a Prometheus duration such as 30s, 5m or 1h")
        return value

    @model_validator(mode="after")
    def _order(self) -> "Upgrades":
        if durations.seconds(self.critical_before) >= durations.seconds(self.warning_before):
            raise ValueError(f"critical_before ({self.critical_before}) must be shorter than warning_before ({self.warning_before})")
        return self

    @property
    def judged(self) -> bool:
        """Whether a minimum is configured (else only the plan is exported, and nothing pages)."""
        return self.min_version is not None or bool(self.min_versions)

    def check_clients(self, known: tuple[str, ...], reported: str) -> None:
        """Refuse a ``min_versions`` key that names none of the ``known`` clients of the chain's
        kind (lower case; ``()``: its nodes report no client name): such a minimum applies to no
        node, so a typo would leave every node unjudged. ``reported``: where the kind reads the
        version text, for the message. Raises :class:`FieldError` at the key (below the chain)."""
        for client in self.min_versions:
            if client in known:
                continue
            path = ("upgrades", "min_versions", client)
            if not known:
                raise FieldError(path, f"{client!r}: these nodes report no client name ({reported}): set min_version instead")
            raise FieldError(path, f'{client!r} is no known client name (known: {", ".join(known)}; the text before "/" in {reported})')

    def minimum_for(self, version_text: str) -> str | None:
        """The minimum that applies to a node reporting ``version_text``."""
        return self.min_versions.get(client_of(version_text), self.min_version)

    def below_minimum(self, version_text: object) -> bool | None:
        """Whether ``version_text`` (what the node reports) is below its minimum; None when
        it cannot be judged (no minimum for its client, no version in the text)."""
        if not isinstance(version_text, str):
            return None
        minimum = self.minimum_for(version_text)
        got = parse_version(version_text)
        if minimum is None or got is None:
            return None
        return got < parse_version(minimum)


def upgrade_samples(result, watch: Upgrades, plan: tuple[str, int, float] | None, version_text: object) -> None:
    """Set a probe's upgrade values on ``result``: the plan ``(name, height, unix time expected)``
    (None: nothing scheduled, no series) and whether ``version_text`` is below the minimum."""
    if plan is not None:
        name, height, at = plan
        upgrade = upgrade_label(name)
        result.set("chainwatch_upgrade_time_until_seconds", round(at - time.time(), 3), upgrade=upgrade)
        result.set("chainwatch_upgrade_height", height, upgrade=upgrade)
    below = watch.below_minimum(version_text)
    if below is not None:
        result.set("chainwatch_node_version_below_minimum", int(below))


def upgrade_label(name: object) -> str:
    """The ``upgrade`` label: the plan's name, at most 64 characters of ``[A-Za-z0-9._-]``."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", str(name))[:64] or "unnamed"


def _upgrade_expr(c: Ctx) -> str:
    soon = f"min by ({by(CHAIN_LABELS)}) ({c.csel('chainwatch_upgrade_time_until_seconds')}) < {fmt(c.threshold)}"
    below = f"max by ({by(ENDPOINT_LABELS)}) ({c.sel('chainwatch_node_version_below_minimum')}) == 1"
    return f"({soon}) * on ({by(CHAIN_LABELS)}) group_right () ({below})"


def _upgrade_threshold(c: Ctx) -> float:
    watch = c.chain.upgrades
    return durations.seconds(watch.warning_before if c.severity == "warning" else watch.critical_before)


def _upgrade_test(c: Ctx) -> list[Recipe]:
    """The upgrade is near at this severity (half its lead time away) and the node moves from
    the minimum to a version below it: the page carries the time left."""
    left = number(c.threshold / 2)
    return [
        Recipe(
            [
                Series("chainwatch_upgrade_time_until_seconds", {**c.endpoint_labels, "upgrade": "v2"}, left, left),
                Series("chainwatch_node_version_below_minimum", c.endpoint_labels, 0, 1),
            ],
            left,
            c.endpoint_labels,
            companions=[c.rules["warning"]] if c.severity == "critical" else [],
            note="a node below the upgrade's minimum version",
        )
    ]


def _upgrade_quiet(c: Ctx) -> list[Quiet]:
    """Nodes below the minimum with no upgrade near (the warning's lead time x 2), and nodes at
    the minimum with the upgrade an hour past due: silent."""
    far = number(durations.seconds(c.chain.upgrades.warning_before) * 2)
    steps = 20
    return [
        Quiet(
            "nodes below the minimum, the upgrade twice the warning lead time away",
            [
                ("chainwatch_upgrade_time_until_seconds", {**c.endpoint_labels, "upgrade": "v2"}, [far] * steps),
                ("chainwatch_node_version_below_minimum", c.endpoint_labels, [1.0] * steps),
            ],
        ),
        Quiet(
            "every node at the minimum, the upgrade due",
            [
                ("chainwatch_upgrade_time_until_seconds", {**c.endpoint_labels, "upgrade": "v2"}, [-3600.0] * steps),
                ("chainwatch_node_version_below_minimum", c.endpoint_labels, [0.0] * steps),
            ],
        ),
    ]


UPGRADE_VERSION_BELOW = AlertSpec(
    "ChainwatchUpgradeVersionBelowMinimum",
    "endpoint",
    ("warning", "critical"),
    needs="upgrades",
    when=lambda c: getattr(c.chain, "upgrades", None) is not None and c.chain.upgrades.judged,
    threshold=_upgrade_threshold,
    expr=_upgrade_expr,
    for_="0m",
    summary="{endpoint} on {chain} runs a client version below the next upgrade's minimum, {value:%.0f}s before it",
    description=lambda c: (
        "The next scheduled upgrade of {chain}/{network} is expected in {value:%.0f}s (threshold "
        + duration_text(c.threshold)
        + ") and {endpoint} ({role}) reports a client version below the configured minimum (upgrades: in the chain's config): "
        "at the upgrade it halts or follows the old chain. Upgrade its binary before the upgrade height."
    ),
    value="upgrade in {value:%.0f}s",
    test=_upgrade_test,
    quiet=_upgrade_quiet,
    ahead=True,
)
