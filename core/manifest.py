"""``chainwatch generate`` owns what it wrote in its output directory, and only that.

Each run records, per part (``rules``, ``dashboards``, ``alertmanager``), every file it wrote
and the SHA-256 of its content in ``OUT/.chainwatch-generated.json``. The next run of the same
part removes the files of the previous run that it no longer writes: the rule file and the
dashboard of a chain removed from the config, a preview no longer asked for. Grafana's and
Prometheus' file providers load every file of their folder, so a stale dashboard or rule file
would stay live otherwise.

A file is removed only if the manifest names it *and* its content is still what chainwatch
wrote: a file a user added to the folder is never named, and one a user edited since is kept
(and reported). Directories left empty by a removal are removed too. The manifest itself is
deterministic (sorted, no timestamps), so the committed example output stays drift-checked.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

NAME = ".chainwatch-generated.json"


@dataclass
class Pruned:
    removed: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)  # named by the manifest but changed since: a user's now


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read(out: Path) -> dict[str, dict[str, str]]:
    try:
        data = json.loads((out / NAME).read_text(encoding="utf-8"))
        parts = data.get("parts", {})
        return {p: dict(files) for p, files in parts.items() if isinstance(files, dict)}
    except (OSError, ValueError, AttributeError):
        return {}  # no manifest (first run, or an output written before it existed): remove nothing


def record(out: str | Path, part: str, written: list[Path]) -> Pruned:
    """Record ``written`` (paths under ``out``) as ``part``'s files, and remove what the previous
    run of ``part`` wrote and this one did not (unless edited since)."""
    out = Path(out)
    parts = _read(out)
    now = {p.resolve().relative_to(out.resolve()).as_posix(): _digest(p) for p in written}
    result = Pruned()
    for rel, digest in sorted(parts.get(part, {}).items()):
        if rel in now or ".." in Path(rel).parts or Path(rel).is_absolute():
            continue
        path = out / rel
        if not path.is_file():
            continue
        if _digest(path) != digest:
            result.kept.append(path)
            continue
        path.unlink()
        result.removed.append(path)
        _remove_empty_parents(path.parent, out)
    parts[part] = now
    body = {"about": "Files chainwatch generate wrote here, per part, with their SHA-256: the next run removes those it no longer writes.", "parts": parts}
    (out / NAME).write_text(json.dumps(body, sort_keys=True, indent=2) + "\n", encoding="utf-8")
    return result


def _remove_empty_parents(directory: Path, out: Path) -> None:
    out = out.resolve()
    while directory.resolve() != out and directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent
