"""YAML loading that remembers where every value came from.

A config error is only useful when it points at the line to fix, so the loader keeps a
map from each value's path (``("chains", "ethereum", "endpoints", 2, "url")``) to its
1-based line number. Duplicate keys, which PyYAML would silently collapse to the last
one, are reported instead: a second ``url:`` under one endpoint is always a mistake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]


class YamlSourceError(ValueError):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass
class SourceMap:
    lines: dict[Path, int] = field(default_factory=dict)

    def line_for(self, path: Path) -> int:
        """Line of the deepest known prefix of ``path`` (a missing key points at its parent)."""
        for cut in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:cut]))
            if line is not None:
                return line
        return 1


def unopenable(exc: OSError) -> str:
    """Why a file could not be read, for a message with no line to point at: ``not found``,
    ``is a directory, not a file``, ``cannot read (Permission denied)``."""
    if isinstance(exc, FileNotFoundError):
        return "not found"
    if isinstance(exc, IsADirectoryError):
        return "is a directory, not a file"
    return f"cannot read ({exc.strerror or exc})"


def load(text: str) -> tuple[Any, SourceMap]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlSourceError(line, f"invalid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:  # pragma: no cover - composer errors are marked
        raise YamlSourceError(1, f"invalid YAML: {exc}") from None
    source = SourceMap()
    if root is None:
        return {}, source
    source.lines[()] = root.start_mark.line + 1
    _walk(root, (), source)
    data = yaml.SafeLoader(text).get_single_data()
    return data, source


def _walk(node: yaml.Node, path: Path, source: SourceMap) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen:
                raise YamlSourceError(line, f"{_dotted(path + (key,))}: duplicate key (first at line {seen[key]})")
            seen[key] = line
            source.lines[path + (key,)] = line
            _walk(value_node, path + (key,), source)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            source.lines[path + (index,)] = item.start_mark.line + 1
            _walk(item, path + (index,), source)


def _dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


dotted = _dotted
