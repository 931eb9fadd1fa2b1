"""The page audit: for every fault recipe, how many pages reach a human (``OUT/rules/audit/``).

The promtool tests (:mod:`chainwatch.rules.unittests`) prove each alert alone. The audit proves
the *incident model*: one fault, one page. For every recipe of every alert (the fault that
provokes it, :class:`~chainwatch.core.alertkit.Recipe`) and for the chain's healthy extremes
(a healthy run with every recipe's series on their healthy values, and each
:class:`~chainwatch.core.alertkit.Quiet` case), a scenario feeds a fresh Prometheus (the fault
starts 10 steps after the first sample, as right after a restart, when the SLO windows hold
little) with

- a healthy **world** for the chain: every node endpoint probed and up, fast, in sync (the SLI
  inputs), and the exporter scraped;
- the recipe's series on top (the same name and labels replace the world's), and what the
  exporter counts while they say so: an endpoint whose probes fail (``probe_success`` 0, a
  ``probe_failure_reason`` 1) counts no successes, which the availability SLI reads;

then the fault ends and the scenario runs on for ``AFTER`` (longer than the burn alerts'
page windows remember an incident), so a page opened by the recovery counts too.

Every rule file of the chain is loaded (recording, the chain's alerts, its SLO rules, the
exporter's). What Alertmanager delivers is computed in PromQL from ``ALERTS``, with the
generated inhibit rules (:func:`chainwatch.assembly.names.inhibit_rules`) translated one to one:
a rule with source matchers S, target matchers T and ``equal`` E removes ``ALERTS{T} and on (E)
ALERTS{S}`` (Alertmanager compares absent labels as empty, as ``on`` does; no rule's source and
target match the same alert, so the self-inhibition exception never applies). Inhibition is
sampled at every rule evaluation, without Alertmanager's ``group_wait`` grace: stricter than
Alertmanager. A **page** is a delivered critical alert of a chain whose critical alerts reach a
pager; pages are grouped as Alertmanager groups them (``alertname, chain, team, endpoint, account``), one
notification (one PagerDuty incident) per group.

The generated files (``<chain>.audit.yml``, promtool test files) assert the policy: per
scenario and team, at most one page group for a fault, none for a healthy run. ``run`` runs
them with promtool, also asking for the firing and delivered sets (discovery: promtool prints
what it got), and returns the report: per scenario the alerts that fired, what inhibition
leaves, and the notifications per receiver (the routes of the generated Alertmanager config).
"""

from __future__ import annotations

import math
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from prometheus_client.utils import floatToGoString

from chainwatch.core.matchers import matches
from chainwatch.assembly import names
from chainwatch.assembly.catalog import LATENCY_BUCKETS, PRIMARY_METHOD
from chainwatch.assembly.config import Config

from chainwatch.rules.common import Alert, Series, notation, seconds
from chainwatch.rules.files import EXPORTER_FILE, accounts_file, chain_file, recording_file, slo_file

AUDIT_DIR = "audit"
PROBES_PER_STEP = 60
LEAD = 10  # steps before the fault: a fresh Prometheus
AFTER = 35 * 60.0  # seconds observed after the fault ends (the burn page's 30m memory, + margin)
HEALTHY_RUN = 70  # steps of the healthy run
REPLICAS = ("chainwatch-0", "chainwatch-1")  # the unit tests' exporter replicas (rules/unittests.py)
FIRING = 'ALERTS{alertstate="firing"}'
# Alertmanager's group_by (alertmanager/generate.py GROUP_BY): one notification per group.
GROUP_BY = ("alertname", "chain", "team", "endpoint", "account")  # as alertmanager/generate.py groups


@dataclass
class Scenario:
    name: str
    chain: str
    step: float
    series: list[tuple[str, list]]  # (series text, values per step)
    healthy: bool

    @property
    def steps(self) -> int:
        return max(len(v) for _, v in self.series)


# --------------------------------------------------------------------------- the world


def _world(config: Config, name: str) -> list[Series]:
    """A healthy chain as the exporter exports it: the SLI inputs of every node endpoint."""
    chain = config.chains[name]
    out = [Series("up", {"job": config.generate.exporter_job, "instance": "chainwatch:9877"}, 1, 1)]
    method = PRIMARY_METHOD[chain.kind]
    for node in chain.nodes:
        e = {"chain": name, "network": chain.network, "endpoint": node.name, "role": node.role.value}
        batch = {**e, "method": method}
        out += [
            Series("chainwatch_probe_success", e, 1, 1),
            Series("chainwatch_probes_total", e, PROBES_PER_STEP, PROBES_PER_STEP, "counter"),
            Series("chainwatch_probe_successes_total", e, PROBES_PER_STEP, PROBES_PER_STEP, "counter"),
            Series("chainwatch_sync_lag_blocks", e, 0, 0),
            Series("chainwatch_rpc_request_duration_seconds_count", batch, PROBES_PER_STEP, PROBES_PER_STEP, "counter"),
        ]
        out += [
            Series("chainwatch_rpc_request_duration_seconds_bucket", {**batch, "le": le}, PROBES_PER_STEP, PROBES_PER_STEP, "counter")
            for le in [_le(b) for b in LATENCY_BUCKETS if b >= 0.05] + ["+Inf"]
        ]
    return out


def _le(b: float) -> str:
    return floatToGoString(b)


def _key(s: Series) -> tuple:
    return (s.name, tuple(sorted(s.labels.items())))


def _own(series: list[Series]) -> list[Series]:
    """A recipe's series once: the unit tests replicate chain series per exporter replica."""
    out, seen = [], set()
    for s in series:
        labels = s.labels
        if labels.get("instance") in REPLICAS:
            labels = {k: v for k, v in labels.items() if k != "instance"}
        s = Series(s.name, labels, s.healthy, s.fault, s.kind, s.start)
        if _key(s) not in seen:
            seen.add(_key(s))
            out.append(s)
    return out


def _failing(series: list[Series]) -> dict[tuple, str]:
    """Endpoints whose probes fail during the fault (endpoint labels -> failure reason)."""
    out: dict[tuple, str] = {}
    for s in series:
        e = tuple(sorted((k, v) for k, v in s.labels.items() if k in ("chain", "network", "endpoint", "role")))
        if s.name == "chainwatch_probe_success" and s.fault == 0 and s.kind == "gauge":
            out.setdefault(e, "timeout")
        if s.name == "chainwatch_probe_failure_reason" and s.fault == 1 and s.kind in ("gauge", "fault_only"):
            out[e] = s.labels.get("reason", "timeout")
    return out


def _inputs(world: list[Series], recipe_series: list[Series], faulty: list[bool], step: float) -> list[tuple[str, list]]:
    mine = {_key(s): s for s in recipe_series}
    failing = _failing(recipe_series)
    out: list[tuple[str, list]] = []
    for s in world:
        e = tuple(sorted((k, v) for k, v in s.labels.items() if k in ("chain", "network", "endpoint", "role")))
        if s.name == "chainwatch_probe_successes_total" and e in failing:
            s = Series(s.name, s.labels, PROBES_PER_STEP, 0, "counter")
        if _key(s) in mine:
            continue
        out.append((s.text(), s.values(faulty, step)))
    out += [(s.text(), s.values(faulty, step)) for s in recipe_series]
    return out


# --------------------------------------------------------------------------- scenarios


def _steps(secs: float, step: float) -> int:
    return int(math.ceil(secs / step))


def _fault_scenario(world: list[Series], alert: Alert, index: int, recipe) -> Scenario:
    step = recipe.step if seconds(alert.for_) % recipe.step == 0 else 15.0
    step = min(step, recipe.step)
    for_steps, win = _steps(seconds(alert.for_), step), _steps(recipe.window, step)
    lead = max(LEAD, win + 2)
    fault = max(for_steps + win + 3, _steps(recipe.lasts, step) + 3)
    total = lead + fault + _steps(AFTER, step)
    ends = total if recipe.event else lead + fault  # an event (a status change) persists
    faulty = [lead <= i < ends for i in range(total)]
    slo = f" slo={alert.extra_labels['slo']}" if "slo" in alert.extra_labels else ""
    what = recipe.note or "the fault"
    name = f"{alert.name} {alert.severity} {alert.chain}{slo}: {what}" + (f" (#{index + 1})" if index else "")
    return Scenario(name, alert.chain, step, _inputs(world, _own(recipe.series), faulty, step), healthy=False)


def _healthy_scenarios(world: list[Series], chain: str, alerts: list[Alert]) -> list[Scenario]:
    every: dict[tuple, Series] = {}
    for alert in alerts:
        for recipe in alert.recipes:
            for s in _own(recipe.series):
                every.setdefault(_key(s), s)
    out = [
        Scenario(
            f"{chain}: healthy, every recipe's series on its healthy value",
            chain,
            60.0,
            _inputs(world, list(every.values()), [False] * HEALTHY_RUN, 60.0),
            True,
        )
    ]
    seen = set()
    for alert in alerts:
        for case in alert.quiet:
            if case.note in seen:
                continue
            seen.add(case.note)
            total = max(len(v) for _, _, v in case.series)
            quiet = {(n, tuple(sorted(labels.items()))) for n, labels, _ in case.series}
            series = [(s.text(), s.values([False] * total, case.step)) for s in world if _key(s) not in quiet]
            series += [(Series(n, labels, 0, 0).text(), list(values)) for n, labels, values in case.series]
            out.append(Scenario(f"{chain}: {'healthy' if case.healthy else 'quiet for ' + alert.name}, {case.note}", chain, case.step, series, case.healthy))
    return out


def scenarios(config: Config, files) -> dict[str, list[Scenario]]:
    """Scenarios per chain (in config order of the rule files), the exporter's under ``*``."""
    out: dict[str, list[Scenario]] = {}
    for f in files:
        chain = f.slo_chain or next((a.chain for a in f.alerts if a.chain in config.chains), None)
        if not f.alerts or chain is None or f.slo_chain:
            continue
        world = _world(config, chain)
        mine = out.setdefault(chain, [])
        for alert in f.alerts:
            for index, recipe in enumerate(alert.recipes):
                mine.append(_fault_scenario(world, alert, index, recipe))
        mine += _healthy_scenarios(world, chain, f.alerts)
    return out


# --------------------------------------------------------------------------- Alertmanager, in PromQL


def _sel(matchers: list[str]) -> str:
    return "ALERTS{" + ",".join(['alertstate="firing"', *matchers]) + "}"


def delivered(rules: list[dict] | None = None) -> str:
    """The firing alerts Alertmanager's inhibit rules leave, as PromQL over ``ALERTS``."""
    rules = names.inhibit_rules() if rules is None else rules
    out = FIRING
    for r in rules:
        equal = ", ".join(r.get("equal", []))
        out += f" unless ({_sel(r['target_matchers'])} and on ({equal}) {_sel(r['source_matchers'])})"
    return out


def paging_chains(config: Config) -> list[str]:
    """Chains whose critical alerts reach a pager (not sent to tickets or nowhere by ``routing``)."""
    return sorted(n for n, c in config.chains.items() if c.routing is None or c.routing.critical_to not in ("warnings", "none"))


def pages(config: Config, window: str, step: str) -> str:
    """Page groups (one notification each) over the last ``window``, per team."""
    quiet = sorted(set(config.chains) - set(paging_chains(config)))
    chains = [f'chain!~"{"|".join(re.escape(c) for c in quiet)}"'] if quiet else []
    severity = ['severity="critical"', *chains]
    critical = f"max_over_time((({delivered(names.inhibit_rules(config))}) and {_sel(severity)})[{window}:{step}])"
    return f"count by (team) (group by ({', '.join(GROUP_BY)}) ({critical}))"


def _dur(secs: float) -> str:
    return f"{int(secs)}s"


def _interval(step: float) -> str:
    return f"{int(step) // 60}m" if step % 60 == 0 else f"{int(step)}s"


def documents(config: Config, files, rule_file_names: dict[str, list[str]]) -> list[tuple[str, dict]]:
    """(file name, promtool test document) per chain: the policy, asserted per scenario."""
    out: list[tuple[str, dict]] = []
    for chain, every in scenarios(config, files).items():
        # One file per step: rules are evaluated at the file's finest step, and the 15s ones
        # (short windows) would make every 1m scenario four times as slow.
        for interval in sorted({s.step for s in every}, reverse=True):
            items = [s for s in every if s.step == interval]
            name = f"{chain}.audit.yml" if interval == 60 else f"{chain}-{_interval(interval)}.audit.yml"
            out.append((name, _document(config, items, interval, rule_file_names[chain])))
    return out


def _document(config: Config, items: list[Scenario], interval: float, rule_files: list[str]) -> dict:
    tests = []
    for index, s in enumerate(items):
        span = _dur(s.steps * s.step)
        end = _dur((s.steps - 1) * s.step)
        limit = 0 if s.healthy else 1
        tests.append(
            {
                "name": f"page audit: {s.name}: " + ("no page" if s.healthy else "at most one page per team"),
                "interval": _interval(s.step),
                "input_series": [{"series": text, "values": notation(values)} for text, values in s.series],
                "promql_expr_test": [
                    {
                        "expr": f'label_replace({pages(config, span, _dur(interval))}, "audit", "policy {index}", "", "") > {limit}',
                        "eval_time": end,
                        "exp_samples": [],
                    }
                ],
            }
        )
    return {"rule_files": [f"../{n}" for n in rule_files], "evaluation_interval": _interval(interval), "tests": tests}


def test_files(config: Config, files) -> list[tuple[str, dict]]:
    """What ``generate`` writes into ``OUT/rules/audit/``."""
    rule_files = {
        name: [recording_file(name), EXPORTER_FILE, chain_file(name), slo_file(name), *([accounts_file(name)] if chain.accounts else [])]
        for name, chain in config.chains.items()
    }
    return documents(config, files, rule_files)


# --------------------------------------------------------------------------- running it


@dataclass
class Result:
    scenario: str
    healthy: bool
    fired: list[dict] = field(default_factory=list)
    delivered: list[dict] = field(default_factory=list)
    notifications: dict[str, int] = field(default_factory=dict)  # receiver -> groups notified
    pages: dict[str, int] = field(default_factory=dict)  # team -> page groups
    policy_failed: bool = False

    @property
    def ok(self) -> bool:
        limit = 0 if self.healthy else 1
        return not self.policy_failed and all(n <= limit for n in self.pages.values())


_SAMPLE = re.compile(r"\{([^{}]*)\} \S+")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
_FAILURE = re.compile(r'expr: "((?:[^"\\]|\\.)*)", time: (\S+),\s*\n\s*exp: .*\n\s*got: (.*)')


def _parse_got(text: str) -> list[dict]:
    return [dict(_LABEL.findall(m.group(1))) for m in _SAMPLE.finditer(text)]


def _discovery(doc: dict, interval: str) -> dict:
    """The same document asking promtool what fired and what was delivered (``exp_samples: []``:
    promtool prints what it got), each labelled with its scenario's index."""
    doc = yaml.safe_load(yaml.safe_dump(doc))
    keep = ("alertname", "severity", "chain", "team", "endpoint", "group", "slo", "reason")
    for i, test in enumerate(doc["tests"]):
        check = test["promql_expr_test"][0]
        span = re.search(r"\[(\d+s):", check["expr"]).group(1)
        for what, expr in (("fired", FIRING), ("delivered", delivered())):
            probe = f'label_replace(group by ({", ".join(keep)}) (max_over_time(({expr})[{span}:{interval}])), "audit", "{what} {i}", "", "")'
            test["promql_expr_test"].append({"expr": probe, "eval_time": check["eval_time"], "exp_samples": []})
    return doc


def route(tree: dict, labels: dict[str, str]) -> list[tuple[str, tuple]]:
    """Receivers an alert reaches, with its group key: Alertmanager's routing (first matching
    child unless ``continue``; a route no child takes is the receiver), as ``amtool config routes
    test`` shows it (tests/test_page_audit.py checks the two agree)."""

    def walk(node: dict, path: tuple, group_by: list[str]) -> list[tuple[str, tuple]]:
        group_by = node.get("group_by", group_by)
        found = []
        for i, child in enumerate(node.get("routes", [])):
            if all(matches(m, labels) for m in child.get("matchers", [])):
                found += walk(child, path + (i,), group_by)
                if not child.get("continue"):
                    break
        if found:
            return found
        return [(node["receiver"], (path, tuple(labels.get(k, "") for k in group_by)))]

    return walk(tree, (), [])


def run(out: Path, config: Config, promtool: str = "promtool", workers: int = 2) -> list[Result]:
    """Run the generated audit (``out/rules/audit/*.audit.yml``) with promtool; the results.

    Receivers come from ``out/alertmanager/alertmanager.yml`` when it was generated."""
    audit = Path(out) / "rules" / AUDIT_DIR
    am_file = Path(out) / "alertmanager" / "alertmanager.yml"
    tree = yaml.safe_load(am_file.read_text())["route"] if am_file.exists() else None
    paging = set(paging_chains(config)) | {"*"}
    paths = sorted(audit.glob("*.audit.yml"))
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        found = list(pool.map(lambda p: _run_file(p, promtool), paths))
    results: list[Result] = []
    for mine in found:
        for r in mine:
            groups: dict[str, set] = {}
            page_groups: dict[str, set] = {}
            for a in r.delivered:
                key = tuple(a.get(k, "") for k in GROUP_BY)
                if a.get("severity") == "critical" and a.get("chain") in paging:
                    page_groups.setdefault(a.get("team", ""), set()).add(key)
                if tree is not None:
                    for receiver, group in route(tree, a):
                        if receiver != "null":
                            groups.setdefault(receiver, set()).add(group)
            r.notifications = {k: len(v) for k, v in sorted(groups.items())}
            r.pages = {k: len(v) for k, v in sorted(page_groups.items())}
        results += mine
    return results


def _run_file(path: Path, promtool: str) -> list[Result]:
    doc = yaml.safe_load(path.read_text())
    interval = re.sub(r"^(\d+)m$", lambda m: f"{int(m.group(1)) * 60}s", doc["evaluation_interval"])
    work = path.with_name(path.stem + ".discovery.yml")
    work.write_text(yaml.safe_dump(_discovery(doc, interval), sort_keys=False))
    try:
        proc = subprocess.run([promtool, "test", "rules", work.name], cwd=path.parent, capture_output=True, text=True)
    finally:
        work.unlink()
    mine = [Result(t["name"].removeprefix("page audit: ").rsplit(": ", 1)[0], t["name"].endswith("no page")) for t in doc["tests"]]
    text = proc.stdout + proc.stderr
    if proc.returncode != 0 and "got:" not in text:
        raise RuntimeError(f"promtool could not run {path.name}: {text[-3000:]}")
    for m in _FAILURE.finditer(text):
        expr, got = m.group(1).encode().decode("unicode_escape"), m.group(3)
        tag = re.search(r'"audit", "(\w+) (\d+)"', expr)
        if tag is None:
            continue
        r = mine[int(tag.group(2))]
        if tag.group(1) == "policy":
            r.policy_failed = True
            continue
        samples = [{k: v for k, v in s.items() if k != "audit"} for s in _parse_got(got)]
        setattr(r, tag.group(1), sorted(samples, key=lambda s: sorted(s.items())))
    return mine


def _alert(a: dict) -> str:
    where = a.get("endpoint") or a.get("group") or a.get("slo") or ""
    extra = f" slo={a['slo']}" if a.get("slo") and where != a.get("slo") else ""
    return f"{a.get('alertname', '').removeprefix('Chainwatch')} {a.get('severity', '')} {a.get('chain', '')}" + (f"/{where}" if where else "") + extra


def report(results: list[Result]) -> str:
    """Markdown: one row per scenario."""
    lines = [
        "| scenario | fired | delivered (after inhibition) | notifications per receiver | verdict |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        fired = ", ".join(_alert(a) for a in r.fired) or "—"
        left = ", ".join(_alert(a) for a in r.delivered) or "—"
        sent = ", ".join(f"{k}: {v}" for k, v in r.notifications.items()) or "—"
        lines.append(f"| {r.scenario} | {fired} | {left} | {sent} | {'ok' if r.ok else 'FAIL'} |")
    bad = [r for r in results if not r.ok]
    lines.append("")
    lines.append(f"{len(results)} scenarios, {sum(not r.healthy for r in results)} faults, {len(bad)} failing.")
    return "\n".join(lines) + "\n"
