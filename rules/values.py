"""The ``value`` annotation of every alert: the measured value, short, in the description's unit.

Pages show it on its own (PagerDuty ``custom_details.value``, Opsgenie ``details.value``),
so it carries its unit: ``42 blocks``, ``93s``, ``0.951s p95``, ``50% errors``. Each alert's
declaration says it (``AlertSpec.value``), in the placeholders of
:mod:`chainwatch.core.alertkit` (``{value:%.0f}``, ``{value:pct}``, ``{value:humanize}``,
``{failure_reason}`` ...), so the rule's Go template and the promtool unit test's expected
string come from one text and cannot drift apart. The default is ``{value:humanize}``
(Prometheus' ``humanize``: 42 -> ``42``, 0.5 -> ``500m``).
"""

from __future__ import annotations

import re

from chainwatch import kinds
from chainwatch.assembly import names
from chainwatch.core.alertkit import Alert

DEFAULT = "{value:humanize}"


def value_text(alert: Alert, kind: str | None) -> str:
    """The value text of ``alert`` on a chain of ``kind`` (None: the exporter's own alert)."""
    text = names.ALERT_BY_NAME[alert.name].value_text(kinds.get(kind) if kind is not None else None)
    if "{window}" in text:  # the look-back of the rule's first range selector (it may follow the chain's block clock)
        found = re.search(r"\[(\w+)\]", alert.expr)
        text = text.replace("{window}", found.group(1) if found else "the window")
    return text
