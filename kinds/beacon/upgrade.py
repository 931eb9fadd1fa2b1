"""The beacon kind's scheduled upgrade: the next fork of the node's fork schedule, when it
starts, and whether the node's client version is below the minimum (``upgrades:`` of the chain;
:mod:`chainwatch.core.versions`).

``GET /eth/v1/config/fork_schedule``
(https://ethereum.github.io/beacon-APIs/#/Config/getForkSchedule): ``data``, every fork the
node knows as ``{previous_version, current_version, epoch}`` (versions 0x + 8 hex digits, the
epoch a decimal string). The next fork is the lowest epoch after the current wall-clock epoch;
``FAR_FUTURE_EPOCH`` (2^64 - 1) is "not scheduled". Its start: genesis time + epoch x
SLOTS_PER_EPOCH x SECONDS_PER_SLOT (the probe's :class:`~chainwatch.kinds.beacon.probe.Clock`).
Its name comes from the node's spec (``<NAME>_FORK_VERSION`` equal to the fork's
``current_version``: ``ALTAIR_FORK_VERSION`` -> ``altair``); without one, the version itself.

A node whose schedule lacks a fork the others know is exactly a node on a release that does not
know it: it exports no (or a later) upgrade, and the minimum version says which ones they are.
Asked every ``upgrades.interval_seconds`` per endpoint (kept in between).
"""

from __future__ import annotations

import re
import time

from chainwatch.core.versions import upgrade_samples
from chainwatch.exporters.failures import invalid
from chainwatch.exporters.transport import Reply

FAR_FUTURE_EPOCH = 2**64 - 1
_FORK_VERSION = re.compile(r"0x[0-9a-fA-F]{8}")


def fork_names(spec: dict) -> dict[str, str]:
    """``{fork version (lower-case hex): name}`` from a spec's ``<NAME>_FORK_VERSION`` entries."""
    out: dict[str, str] = {}
    for key, value in spec.items():
        if isinstance(key, str) and key.endswith("_FORK_VERSION") and isinstance(value, str) and _FORK_VERSION.fullmatch(value):
            out.setdefault(value.lower(), key.removesuffix("_FORK_VERSION").lower())
    return out


def next_fork(data: object, epoch_now: int, names: dict[str, str], uint) -> tuple[str, int] | None:
    """``(name, epoch)`` of the first fork after ``epoch_now`` in a ``fork_schedule`` ``data``
    list; None when none is scheduled. Raises ``ProbeFailure`` (``invalid_response``) for
    another shape."""
    if not isinstance(data, list):
        raise invalid("fork_schedule: 'data' is not a list")
    best: tuple[int, str] | None = None
    for i, fork in enumerate(data):
        if not isinstance(fork, dict):
            raise invalid(f"fork_schedule.data[{i}]: not an object")
        epoch = uint(fork.get("epoch"), f"fork_schedule.data[{i}].epoch")
        version = fork.get("current_version")
        if not isinstance(version, str) or not _FORK_VERSION.fullmatch(version):
            raise invalid(f"fork_schedule.data[{i}].current_version: expected 0x and 8 hex digits")
        if epoch_now < epoch < FAR_FUTURE_EPOCH and (best is None or epoch < best[0]):
            best = (epoch, names.get(version.lower(), version.lower()))
    return None if best is None else (best[1], best[0])


async def read(request, ctx, result, clock, data_of, uint) -> None:
    """Set the upgrade values of ``result``; ``request(label, path) -> Reply`` is the probe's
    GET, ``clock`` its Clock (with ``fork_names`` from the spec)."""
    watch = ctx.chain.upgrades
    cache = ctx.cache
    if time.monotonic() - cache.get("upgrade_at", -1e18) >= watch.interval_seconds:
        cache["upgrade_at"] = time.monotonic()  # asked once per interval, answered or not
        with result.optional("fork_schedule"):
            reply: Reply = await request("fork_schedule", "/eth/v1/config/fork_schedule")
            cache["upgrade_fork"] = next_fork(data_of(reply, "fork_schedule"), clock.epoch_at(time.time()), clock.fork_names, uint)
    fork = cache.get("upgrade_fork")
    if fork is not None and fork[1] <= clock.epoch_at(time.time()):
        fork = None  # it started: the next one is read at the next interval
    plan = None if fork is None else (fork[0], fork[1] * clock.slots_per_epoch, clock.epoch_start(fork[1]))
    upgrade_samples(result, watch, plan, cache.get("client_version"))
