"""Runbooks: ``runbooks/<AlertName>.md`` for every alert the config generates, from Markdown templates.

Each alert's declaration names its template (``AlertSpec.runbook``, default the alert's
name), which lives beside the declaring package: ``rules/runbooks/*.md`` for the shared
alerts, ``kinds/<kind>/runbooks/*.md`` for a kind's own. A template says what the alert
means, the likely causes on each chain kind, the first checks and the mitigation; it may use
``${name}``, ``${severities}``, ``${scope}`` and ``${kinds}`` (from the declaration; the kinds
among the config's chains). The
rendered runbook ends with the exact rules generated from the config (chain, severity,
expression, ``for:``), so the on-call engineer sees the threshold that fired.
An alert no chain of the config can fire gets no runbook (a kind the config does not use adds
no file to the output); its template is still in the package.
``examples/generated/runbooks/`` in the repository (its one committed copy) is this output for ``examples/chainwatch.yaml``;
``runbook_url`` annotations point at ``<generate.runbook_base_url>/<AlertName>.md``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from string import Template

from chainwatch.assembly import names
from chainwatch.core.alertkit import ALL_CHAINS, Alert, AlertSpec
from chainwatch.assembly.config import Config
from chainwatch.core.generated import header, write as write_file


def template(spec: AlertSpec) -> str:
    """The runbook template of ``spec``; a missing one fails the build, not the page."""
    path = resources.files(spec.package) / "runbooks" / f"{spec.template}.md"
    if not path.is_file():
        raise FileNotFoundError(f"{spec.name}: no runbook template {spec.package}:runbooks/{spec.template}.md")
    return path.read_text(encoding="utf-8")


def render(name: str, config: Config, alerts: list[Alert]) -> str:
    spec = names.ALERT_BY_NAME[name]
    body = Template(template(spec)).substitute(
        name=name,
        severities=" / ".join(spec.severities),
        scope=spec.scope,
        kinds=", ".join(k for k in spec.kinds if k in names.kinds_of(config)),  # of the config's chains: an unused kind changes nothing
    )
    out = ["<!--\n" + header(config.path, " ") + "-->\n", body]
    mine = [a for a in alerts if a.name == name]
    out.append(f"## Rules generated from {Path(config.path).name}\n\n")
    out.append("| chain | team | severity | for | expression |\n|---|---|---|---|---|\n")
    for a in mine:
        chain = "all chains" if a.chain == ALL_CHAINS else a.chain
        slo = f" (slo {a.extra_labels['slo']})" if "slo" in a.extra_labels else ""
        expr = a.expr.replace("|", "\\|")
        out.append(f"| {chain}{slo} | {a.team} | {a.severity} | {a.for_ or '—'} | `{expr}` |\n")
    return "".join(out)


def write(config: Config, out: Path, alerts: list[Alert]) -> list[Path]:
    """One runbook per alert of ``alerts`` (the generated rules), in declaration order."""
    fired = {a.name for a in alerts}
    return [write_file(out / f"{spec.name}.md", render(spec.name, config, alerts)) for spec in names.ALERTS if spec.name in fired]
