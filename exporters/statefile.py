"""A background monitor's JSON state file: written atomically, read defensively.

- Written as a temp file in the same directory, fsynced, then renamed over the old one
  (``os.replace``), so a reader or a restart sees the old state or the new, never half of one.
- A temp file a kill left between the write and the rename (``.<name>.<random>``) is removed
  when the monitor starts (:meth:`StateFile.clean`).
- A file that cannot be read (not JSON, not an object, a field of the wrong type: the loader
  validates every field it reads) is kept aside as ``<name>.corrupt-<UTC time>`` and the
  monitor starts fresh, with one warning ``validator state file unreadable; starting fresh``
  naming the file and where the old one went, and no traceback.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

log = logging.getLogger("chainwatch.validators")

T = TypeVar("T")


class Unreadable(ValueError):
    """The state file's content has the wrong shape or type; the message names the field."""


class Foreign(ValueError):
    """The state file belongs to another chain or format version: ignored, not kept aside."""


def whole(value: Any, what: str, *, optional: bool = False) -> int | None:
    """A non-negative whole number as the state file holds it (``5``, not ``"5"``, ``5.0`` or ``true``)."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Unreadable(f"{what}: expected a whole number, got {str(value)[:40]!r}")
    return value


def mapping(value: Any, what: str) -> dict:
    if not isinstance(value, dict):
        raise Unreadable(f"{what}: expected an object, got {type(value).__name__}")
    return value


def sequence(value: Any, what: str) -> list:
    if not isinstance(value, list):
        raise Unreadable(f"{what}: expected a list, got {type(value).__name__}")
    return value


class StateFile:
    def __init__(self, path: Path | str, chain: str):
        self.path = Path(path)
        self.chain = chain

    @property
    def _temp_prefix(self) -> str:
        return f".{self.path.name}."

    def clean(self) -> list[Path]:
        """Remove the temp files a kill left between write and rename; returns what was removed."""
        removed = []
        try:
            leftovers = [p for p in self.path.parent.iterdir() if p.name.startswith(self._temp_prefix) and p.is_file()]
        except OSError:
            return removed
        for p in leftovers:
            try:
                p.unlink()
                removed.append(p)
            except OSError:
                pass
        if removed:
            log.info("removed temp state files left by an interrupted write", extra={"chain": self.chain, "files": ",".join(p.name for p in removed)})
        return removed

    def load(self, read: Callable[[dict], T]) -> T | None:
        """``read(data)`` of the file's JSON object, or None: no file yet, a foreign one (warned),
        or an unreadable one (kept aside, warned). ``read`` raises :class:`Unreadable` (or
        ``ValueError``/``TypeError``/``KeyError``) for a wrong shape, :class:`Foreign` for a file
        of another chain or version."""
        self.clean()
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:  # a directory, no permission: nothing to keep aside
            self._unreadable(exc.strerror or str(exc), None)
            return None
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise Unreadable(f"expected a JSON object, got {type(data).__name__}")
            return read(data)
        except Foreign as exc:
            log.warning(
                "validator state file belongs to another chain or version; starting fresh",
                extra={"chain": self.chain, "path": str(self.path), "detail": str(exc)[:200]},
            )
            return None
        except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:  # json errors are ValueErrors
            self._unreadable(str(exc), self.keep_aside())
            return None

    def _unreadable(self, detail: str, kept: Path | None) -> None:
        extra = {"chain": self.chain, "path": str(self.path), "detail": " ".join(detail.split())[:200]}
        if kept is not None:
            extra["kept_as"] = str(kept)
        log.warning("validator state file unreadable; starting fresh", extra=extra)

    def keep_aside(self) -> Path | None:
        """Rename the file to ``<name>.corrupt-<UTC time>`` (the next save would overwrite it)."""
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while target.exists():
            n += 1
            target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
        try:
            os.replace(self.path, target)
        except OSError:
            return None
        return target

    def save(self, data: dict) -> None:
        """Write ``data`` atomically (temp file, fsync, rename)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=self._temp_prefix, dir=self.path.parent)
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(data, f, sort_keys=True, separators=(",", ":"))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
