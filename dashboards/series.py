"""Names a dashboard query may use, checked where the dashboards are built: a typo or a renamed
metric or record fails ``chainwatch generate``, not a panel in front of a user."""

from __future__ import annotations

from chainwatch.assembly import catalog, names


def m(name: str) -> str:
    """A metric or series name, checked against the catalog."""
    return catalog.check(name)


def r(name: str) -> str:
    """A recording rule name, checked against ``assembly/names.py`` RECORDING."""
    if name not in names.RECORDING:
        raise KeyError(f"{name} is not declared in assembly/names.py RECORDING")
    return name
