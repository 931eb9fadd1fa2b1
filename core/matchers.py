"""Alertmanager's label matchers (``name="v"``, ``!=``, ``=~``, ``!~``) evaluated against a label
set, as the generated routes and inhibitions write them (Alertmanager docs, configuration,
``<matcher>``): regexes anchored as Alertmanager anchors them, a missing label the empty string.
Used where chainwatch walks its own generated tree: the page audit and the watchdog check."""

from __future__ import annotations

import re

_MATCHER = re.compile(r'(\w+)(=~|!~|!=|=)"(.*)"')


def matches(matcher: str, labels: dict[str, str]) -> bool:
    """Whether ``labels`` satisfy one matcher string. Raises ``AttributeError`` for a string that
    is no matcher (only generated matchers are given)."""
    name, op, value = _MATCHER.fullmatch(matcher).groups()
    value = value.replace("\\\\", "\\")
    have = labels.get(name, "")
    if op == "=":
        return have == value
    if op == "!=":
        return have != value
    hit = re.fullmatch(value, have) is not None
    return hit if op == "=~" else not hit
