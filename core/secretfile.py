"""Secret file paths of an endpoint (a Sui bearer token, a bitcoin RPC password, the files of
its ``tls:`` block): declared once with :func:`secret_file`, checked when the exporter loads the
config, never printed.

The exporter reads such a file at every probe. A path that does not exist used to show only
then, as probe failure reason ``auth`` (``tls`` for a ``tls:`` file); :func:`problems` finds it at load time, so ``chainwatch
check``, ``serve`` and a reload refuse the config at the field's line. Only the path and what
is wrong with it are reported: of the file, at most one byte is read, to tell an empty file.

A field is declared ``token_file: secret_file("the bearer token") | None = None``; a file
the node itself rewrites and removes (bitcoind's ``.cookie``) is not a secret_file: its absence
while the node is down is no config error.
"""

from __future__ import annotations

import os
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Iterator

from pydantic import BaseModel, Field


@dataclass(frozen=True)
class ReadAtProbe:
    """The mark of a secret file field: ``what`` the exporter reads from it and ``when`` (for the message)."""

    what: str
    when: str = "at every probe"


def secret_file(what: str, when: str = "at every probe") -> type[str]:
    """A non-empty path of a file the exporter reads ``what`` from ``when``."""
    return Annotated[str, Field(min_length=1), ReadAtProbe(what, when)]  # type: ignore[return-value]


def unreadable(path: Path) -> str | None:
    """Why ``path`` cannot serve as a secret file (``no such file``, ``is a directory, not a
    file``, ``not readable by this user``, ``is empty``, ``cannot read (<strerror>)``), None when it can."""
    try:
        if not path.exists():
            return "no such file"
        if path.is_dir():
            return "is a directory, not a file"
        if not os.access(path, os.R_OK):
            return "not readable by this user"
        with path.open("rb") as handle:
            if not handle.read(1):
                return "is empty"
    except OSError as exc:
        return f"cannot read ({exc.strerror})"
    return None


def _mark(annotation) -> ReadAtProbe | None:
    """The :class:`ReadAtProbe` inside an annotation (through ``Annotated`` and ``X | None``)."""
    for meta in getattr(annotation, "__metadata__", ()):
        if isinstance(meta, ReadAtProbe):
            return meta
    for arg in typing.get_args(annotation):
        found = _mark(arg)
        if found is not None:
            return found
    return None


def problems(model: BaseModel, path: tuple = ()) -> Iterator[tuple[tuple, str, str]]:
    """``(field path, file path, reason)`` of every secret file below ``model`` that cannot be read."""
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        mark = _mark(field.annotation) or next((m for m in field.metadata if isinstance(m, ReadAtProbe)), None)
        if mark is not None and isinstance(value, str):
            reason = unreadable(Path(value))
            if reason:
                yield path + (name,), value, f"{reason} (the exporter reads {mark.what} from it {mark.when})"
            continue
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, (list, tuple)) else [(None, value)]
        for key, item in items:
            if isinstance(item, BaseModel):
                yield from problems(item, path + (name,) + (() if key is None else (key,)))
