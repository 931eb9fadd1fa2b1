"""promtool unit tests generated from the same config as the rules (``OUT/rules/tests/``).

For every alert rule (per chain, per severity) four checks, on the chain's real endpoint
and group names and with its own thresholds:

- **fault**: healthy, then the fault until it fires (chain and group series duplicated as
  two exporter replicas would export them: still one alert), asserting the exact labels and
  annotations (value and endpoint in the description, runbook and dashboard links); and
  silence again once the fault is over (*resolves*);
- **healthy**: a series sitting exactly on the threshold never fires;
- **blip**: the fault for less than ``for:`` (minus the expression's own look-back
  window) never fires. Rules with no ``for:`` fire on the first evaluation by design
  (events such as a slashing or a missed proposal); they get no blip test.

SLO burn-rate alerts are tested with counters burning the budget at ~15x (the page must
fire, and resolve) and at 0.5x (nothing may fire). Expected values come from a small
simulation of the same windows (Prometheus 2.x ranges include both ends).
Recording rules get ``promql_expr_test`` cases (see :mod:`chainwatch.rules.recording`).

**One test per distinct rule, not per chain** (issue #26). Most rules are the same for every
chain of a kind (and many for every chain): the same expression, threshold and ``for:``, only
the chain's names differ. A test group is written once, in the file of the first chain (in
file order) that has it; a later chain's test group is left out when it is that one with the
chain's names renamed (chain, network, team, endpoint and group names, as whole label
values) *and* so are the rules it runs against: the rules it asserts on and every rule they
read (``ALERTS{alertname=...}``, recording rules), transitively, in evaluation order, under the
same ``evaluation_interval``. promtool's verdict cannot tell such renamed copies apart, so the
kept test proves both rules; its name lists the chains it stands for (``(the same rule of:
bsc, polygon)``). A different threshold, ``for:``, recipe or dependency makes a different
test, which is kept.
"""

from __future__ import annotations

import json
import math
import re

from prometheus_client.utils import floatToGoString

from chainwatch.assembly import names
from chainwatch.core import alertkit
from chainwatch.core import alerts as alert_defs
from chainwatch.assembly.catalog import LATENCY_BUCKETS
from chainwatch.assembly.config import Config
from chainwatch.core.uids import chain_uid

from chainwatch.rules import recording, slo as slo_rules
from chainwatch.rules.common import Alert, Recipe, Series, notation, seconds
from chainwatch.rules.files import accounts_file, chain_file, recording_file


def _steps(secs: float, step: float) -> int:
    return int(math.ceil(secs / step))


def _minutes(step_index: int, step: float) -> str:
    secs = int(step_index * step)
    return f"{secs // 60}m" if secs % 60 == 0 else f"{secs}s"


def _input(series: list[Series], faulty: list[bool], step: float) -> list[dict]:
    return [{"series": s.text(), "values": notation(s.values(faulty, step))} for s in series]


def _interval(step: float) -> str:
    return f"{int(step) // 60}m" if step % 60 == 0 else f"{int(step)}s"


REPLICAS = ("chainwatch-0", "chainwatch-1")


def _replicated(alert: Alert, series: list[Series]) -> list[Series]:
    """Chain and group series come from every exporter replica; the alert must still fire once."""
    if alert.scope not in ("chain", "group"):
        return series
    return [Series(s.name, {**s.labels, "instance": r}, s.healthy, s.fault, s.kind, s.start) for s in series for r in REPLICAS]


def alert_tests(alert: Alert) -> list[dict]:
    out = []
    for index, recipe in enumerate(alert.recipes):
        recipe.series = _replicated(alert, recipe.series)
        # Whole minutes unless `for:` is not one: a blip must be able to be shorter than `for:`.
        step = recipe.step if seconds(alert.for_) % recipe.step == 0 else 15.0
        step = min(step, recipe.step)
        for_steps = _steps(seconds(alert.for_), step)
        win = _steps(recipe.window, step)
        lead = max(10, win + 2)
        title = f"{alert.name} {alert.severity} {alert.chain}" + (f" slo={alert.extra_labels['slo']}" if "slo" in alert.extra_labels else "")
        recovery = not recipe.event and (recipe.blip if recipe.recovers is None else recipe.recovers)
        if recipe.event:
            fault = for_steps + win + 5
            fire = lead + for_steps + 1
            resolved = [lead + for_steps + win + 3]
            total = lead + fault
        elif not recovery:  # an event held in a look-back window: it resolves when the window has passed
            fault = for_steps + win + 3
            fire = lead + fault - 1
            resolved = [lead + fault + win + 3]
            total = resolved[0] + 1
        else:
            # Recovered at `healed`: resolved within the alert's resolve time, and nothing fires
            # again while its long window still remembers the fault (issue #15).
            fault = for_steps + win + 3
            fire = lead + fault - 1
            healed = lead + fault
            first = healed + max(1, _steps(alert.resolve_within, step))
            resolved = list(range(first, max(first, healed + win + for_steps + 3) + 1))
            total = resolved[-1] + 1
        faulty = [lead <= i < lead + fault for i in range(total)]
        value = recipe.value_at(fire - lead + 1, step) if recipe.value_at else recipe.value
        value = recipe.value_at_check(fire * step) if recipe.value_at_check else value
        expected = [a.expected(recipe, value) for a in [alert, *recipe.companions]]
        expected.sort(key=lambda e: sorted(e["exp_labels"].items()))
        then = f"then resolves within {_minutes(first - healed, step)} of the recovery and nothing fires after it" if recovery else "then resolves"
        out.append(
            {
                "name": f"{title}: fires on {recipe.note or 'the fault'}, {then}",
                "interval": _interval(step),
                "input_series": _input(recipe.series, faulty, step),
                "alert_rule_test": [
                    {"eval_time": _minutes(lead - 1, step), "alertname": alert.name, "exp_alerts": []},
                    {"eval_time": _minutes(fire, step), "alertname": alert.name, "exp_alerts": expected},
                ]
                + [{"eval_time": _minutes(t, step), "alertname": alert.name, "exp_alerts": []} for t in resolved],
            }
        )
        if not recipe.full or index:
            continue
        total = lead + 30
        out.append(
            {
                "name": f"{title}: silent on a healthy series (on the threshold)",
                "interval": _interval(step),
                "input_series": _input(recipe.series, [False] * total, step),
                "alert_rule_test": [{"eval_time": _minutes(t, step), "alertname": alert.name, "exp_alerts": []} for t in range(lead, total, 5)],
            }
        )
        if for_steps == 0 or not recipe.blip:
            continue
        blip = max(1, for_steps - win - 1)
        total = lead + blip + win + for_steps + 3
        faulty = [lead <= i < lead + blip for i in range(total)]
        out.append(
            {
                "name": f"{title}: silent on a {_minutes(blip, step)} blip (for: {alert.for_})",
                "interval": _interval(step),
                "input_series": _input(recipe.series, faulty, step),
                "alert_rule_test": [{"eval_time": _minutes(t, step), "alertname": alert.name, "exp_alerts": []} for t in range(lead, total)],
            }
        )
    for case in alert.quiet:
        total = max(len(values) for _, _, values in case.series)
        checks = sorted(set(range(0, total, case.every)) | {total - 1})
        out.append(
            {
                "name": f"{alert.name} {alert.severity} {alert.chain}: silent on {case.note}",
                "interval": _interval(case.step),
                "input_series": [{"series": Series(name, labels, 0, 0).text(), "values": notation(values)} for name, labels, values in case.series],
                "alert_rule_test": [{"eval_time": _minutes(t, case.step), "alertname": alert.name, "exp_alerts": []} for t in checks],
            }
        )
    return out


# --------------------------------------------------------------------------- a dominant alert's recovery


def down_recovery_tests(alerts: list[Alert]) -> list[dict]:
    """The endpoint is down long enough for every window to fill, then answers again.

    Its error, latency and probe-failure alerts (those ``EndpointDown`` inhibits, from the
    declarations) fire at no point once ``EndpointDown`` fires, nor after the recovery, while
    their long windows still hold the outage: the inhibition ended with ``EndpointDown``, so a
    firing one would be a new page about an incident that is over (issue #15). ``EndpointDown``
    itself resolves within 2 minutes.
    """
    down = next((a for a in alerts if a.name == "ChainwatchEndpointDown" and a.recipes), None)
    if down is None:
        return []
    symptoms = sorted({a.name for a in alerts if alertkit.DOWN in names.ALERT_BY_NAME[a.name].inhibited_by})
    if not symptoms:
        return []
    mine = [a for a in alerts if a.name in symptoms or a is down]
    step = alert_defs.SHORT_STEP  # a scrape interval: the short windows hold two samples
    recipe = down.recipes[0]
    e = recipe.labels
    batch = {**e, "method": "batch"}
    bucket = "chainwatch_rpc_request_duration_seconds_bucket"
    # Every request fails, and slowly: each symptom's condition holds during the outage.
    series = (
        list(recipe.series)
        + [
            Series("chainwatch_rpc_requests_total", batch, 60, 60, "counter"),
            Series("chainwatch_rpc_errors_total", batch, 0, 60, "counter"),
        ]
        + [Series(bucket, {**batch, "le": floatToGoString(b)}, 60, 60 if b >= LATENCY_BUCKETS[-1] else 0, "counter") for b in LATENCY_BUCKETS]
        + [Series(bucket, {**batch, "le": "+Inf"}, 60, 60, "counter")]
    )
    longest = max(seconds(w) for w in ("15m", "5m")) + max(seconds(a.for_) for a in mine)
    lead = 10
    down_for = _steps(seconds(down.for_), step)
    fault = _steps(longest, step) + 5
    healed = lead + fault
    first = healed + _steps(down.resolve_within, step)
    total = healed + _steps(longest, step) + 5
    faulty = [lead <= i < healed for i in range(total)]
    checks = [{"eval_time": _minutes(healed - 1, step), "alertname": down.name, "exp_alerts": [down.expected(recipe)]}]
    checks += [{"eval_time": _minutes(t, step), "alertname": down.name, "exp_alerts": []} for t in range(first, total)]
    for name in symptoms:
        checks += [{"eval_time": _minutes(t, step), "alertname": name, "exp_alerts": []} for t in range(lead + down_for + 1, total)]
    return [
        {
            "name": f"ChainwatchEndpointDown {down.chain}: down, then up again: none of the {len(symptoms)} alerts it inhibits fires while it fires or after it",
            "interval": _interval(step),
            "input_series": _input(series, faulty, step),
            "alert_rule_test": checks,
        }
    ]


# --------------------------------------------------------------------------- SLO burn tests

PROBES_PER_STEP = 10000
SLO_LEAD, SLO_BURN = 30, 70
SLO_TOTAL = SLO_LEAD + SLO_BURN + 32  # page resolved, ticket still open (its 2h and 6h windows hold the burn)
SLO_STEADY = 70  # a steady 0.5x burn from t=0: every window shows 0.5x after the first hour


def _window_steps(window: str) -> int:
    return int(seconds(window) // 60)


class _Sim:
    """Error ratios of one SLO over the windows, as Prometheus 2.42 computes them (1m steps)."""

    def __init__(self, kind: str, error: list[float]):
        self.kind = kind
        self.error = error  # error ratio of the increments (counters) or samples (freshness) at each step

    def ratio(self, t: int, window: str) -> float | None:
        if window in slo_rules.DERIVED:  # the average of the recorded 5m ratio over the window, both ends in
            # every evaluation (1m), or a tiled window's subquery steps: multiples of the tile from t - window on
            tile = _window_steps(slo_rules.TILES.get(window, "1m"))
            first = -(-(t - _window_steps(window)) // tile) * tile
            recorded = [r for r in (self.ratio(u, "5m") for u in range(first, t + 1, tile) if u >= 0) if r is not None]
            return sum(recorded) / len(recorded) if recorded else None
        w = _window_steps(window)
        first = max(0, t - w)
        if self.kind == "freshness":
            samples = self.error[first : t + 1]
            return sum(samples) / len(samples)
        if first == t:
            return None
        inc = self.error[first + 1 : t + 1]
        return sum(inc) / len(inc)  # same number of events each step: the ratio of the sums

    def burn(self, s: slo_rules.Slo, t: int, windows, for_steps: int = 0) -> float | None:
        """The alert's value at ``t``: firing once the burn held at every step of its ``for:``."""
        if t < for_steps or any(self.burn(s, t - k, windows) is None for k in range(1, for_steps + 1)):
            return None
        for w in windows:
            long, short = self.ratio(t, w.long), self.ratio(t, w.short)
            if long is None or short is None:
                continue
            if long / s.budget > w.factor and short / s.budget > w.factor:
                return long / s.budget
        return None


def _freshness_fleet(budget: float, burn: float) -> tuple[int, int] | None:
    """n synthetic endpoints of which k lag all the time, so k/n burns at ``burn`` x budget."""
    for n in range(1, 401):
        k = round(burn * budget * n)
        if k >= 1 and k <= n and abs(k / n / budget - burn) <= (0.05 * burn if burn < 1 else 0.3 * burn) and (burn < 1 or k / n / budget > 14.4):
            return n, k
    return None


def _slo_inputs(s: slo_rules.Slo, burn: float, faulty: list[bool]) -> tuple[list[dict], list[float]] | None:
    base = {"chain": s.chain, "network": s.network, "endpoint": "slo-probe", "role": "node"}
    error = burn * s.budget
    if s.name in ("availability", "latency"):
        if error >= 1:
            return None
        if s.name == "availability":
            series = [
                Series("chainwatch_probes_total", base, PROBES_PER_STEP, PROBES_PER_STEP, "counter"),
                Series("chainwatch_probe_successes_total", base, PROBES_PER_STEP, (1 - error) * PROBES_PER_STEP, "counter"),
            ]
        else:
            le = slo_rules.latency_bucket(s.threshold)
            b = {**base, "method": s.method}
            series = [
                Series("chainwatch_rpc_request_duration_seconds_count", b, PROBES_PER_STEP, PROBES_PER_STEP, "counter"),
                Series("chainwatch_rpc_request_duration_seconds_bucket", {**b, "le": le}, PROBES_PER_STEP, (1 - error) * PROBES_PER_STEP, "counter"),
            ]
        return _input(series, faulty, 60), [error if bad else 0.0 for bad in faulty]
    fleet = _freshness_fleet(s.budget, burn)
    if fleet is None:
        return None
    n, k = fleet
    series = []
    lag_ok = s.threshold
    for i in range(n):
        labels = {**base, "endpoint": f"slo-node-{i:03d}"}
        stale = i < k
        series.append(Series("chainwatch_sync_lag_blocks", labels, lag_ok, lag_ok + 10 if stale else lag_ok))
    return _input(series, faulty, 60), [(k / n) if bad else 0.0 for bad in faulty]


def slo_tests(alerts: list[Alert], s: slo_rules.Slo) -> list[dict]:
    by_severity = {a.severity: a for a in alerts if a.extra_labels.get("slo") == s.name}
    out = []
    for burn, lead, length, total in ((15.0, SLO_LEAD, SLO_BURN, SLO_TOTAL), (0.5, 0, SLO_STEADY, SLO_STEADY)):
        faulty = [lead <= i < lead + length for i in range(total)]
        made = _slo_inputs(s, burn, faulty)
        if made is None:
            continue
        inputs, error = made
        sim = _Sim("freshness" if s.name == "freshness" else "counter", error)
        actual_burn = max(error) / s.budget if max(error) else 0
        evals = [lead - 1, lead + 65, lead + length + 31] if burn > 1 else [5, 30, 65, total - 1]
        checks = []
        for t in evals:
            expected = []
            for severity, windows in (("critical", slo_rules.PAGE), ("warning", slo_rules.TICKET)):
                value = sim.burn(s, t, windows, _steps(seconds(by_severity[severity].for_), 60))
                if value is not None:
                    recipe = Recipe([], value, {"chain": s.chain, "network": s.network, "slo": s.name})
                    expected.append(by_severity[severity].expected(recipe))
            expected.sort(key=lambda e: sorted(e["exp_labels"].items()))
            checks.append({"eval_time": f"{t}m", "alertname": "ChainwatchSLOErrorBudgetBurn", "exp_alerts": expected})
        if burn > 1:
            fired = checks[1]["exp_alerts"]
            if actual_burn > 14.4 and not any(e["exp_labels"]["severity"] == "critical" for e in fired):
                raise AssertionError(f"{s.chain} {s.name}: a {actual_burn:.1f}x burn must page")
        else:
            if not (all(not c["exp_alerts"] for c in checks)):
                raise ValueError(f"{s.chain} {s.name}: a quiet-after-recovery case expects no alert")
        what = f"burning {actual_burn:.3g}x the error budget" + (f" for {length}m" if burn > 1 else "")
        out.append(
            {
                "name": f"ChainwatchSLOErrorBudgetBurn {s.chain} slo={s.name}: {what}",
                "interval": "1m",
                "input_series": inputs,
                "alert_rule_test": checks,
            }
        )
    return out


# --------------------------------------------------------------------------- one test per distinct rule

SAME_RULE = " (the same rule of: {})"
_TOKEN = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


def renaming(config: Config, chain_name: str) -> dict[str, str]:
    """The chain's own names (whole label values) -> placeholders: what may differ between
    two chains whose rules and tests are otherwise the same. Values without a letter (a
    numeric name could be a threshold) are not renamed."""
    chain = config.chains[chain_name]
    validators = getattr(chain, "validators", None)
    named = [("chain", chain_name), ("dashboard", chain_uid(chain_name)), ("network", chain.network), ("team", chain.team)]
    named += [(f"endpoint{i}", e.name) for i, e in enumerate(chain.endpoints)]
    named += [(f"group{i}", g) for i, g in enumerate(sorted(validators.groups) if validators else [])]
    out: dict[str, str] = {}
    for role, value in named:
        if value and re.search(r"[A-Za-z]", value) and value not in out:
            out[value] = f"\u27e8{role}\u27e9"
    return out


def _renamer(names: dict[str, str], config: Config):
    pattern = re.compile(r"(?<![\w.-])(" + "|".join(re.escape(v) for v in sorted(names, key=len, reverse=True)) + r")(?![\w.-])")
    # The links every chain shares go first: a name must not be found inside them ("/blob/main/").
    shared = [(u, f"\u27e8{k}\u27e9") for k, u in (("runbooks", config.generate.runbook_base_url), ("grafana", config.generate.grafana_url)) if u]

    def rename(obj):
        if isinstance(obj, str):
            for url, token in shared:
                obj = obj.replace(url, token)
            return pattern.sub(lambda m: names[m.group(1)], obj) if names else obj
        if isinstance(obj, dict):
            return {rename(k): rename(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [rename(v) for v in obj]
        return obj

    return rename


def _rules_read(rule_files: list[list[dict]], test: dict) -> list:
    """The rules a test group's outcome depends on: those it asserts on and, transitively,
    every rule whose name (alert or record) their expressions mention, in evaluation order."""
    wanted = {check["alertname"] for check in test.get("alert_rule_test", [])}
    wanted |= set(_TOKEN.findall(" ".join(check["expr"] for check in test.get("promql_expr_test", []))))
    while True:
        found = {
            name
            for groups in rule_files
            for group in groups
            for rule in group["rules"]
            if (rule.get("alert") or rule.get("record")) in wanted
            for name in _TOKEN.findall(rule["expr"])
        }
        if found <= wanted:
            break
        wanted |= found
    read = [
        ((f, g), rule)
        for f, groups in enumerate(rule_files)
        for g, group in enumerate(groups)
        for rule in group["rules"]
        if (rule.get("alert") or rule.get("record")) in wanted
    ]
    # Groups are ranked among those read, not numbered in their file: evaluation order between
    # the groups read is what matters, not how many other groups a file has in between.
    rank = {at: i for i, at in enumerate(dict.fromkeys(at for at, _ in read))}
    return [[rank[at], rule] for at, rule in read]


def deduplicate(docs: list[tuple[str, dict, str | None]], groups_of: dict[str, list[dict]], config: Config) -> list[tuple[str, dict]]:
    """Leave out every test group that is an earlier chain's, renamed (see the module docstring).

    ``docs``: (file name, test document, chain or None) in file order; ``groups_of``: rule file
    name -> its groups."""
    kept: dict[str, tuple[str, dict]] = {}  # signature -> (chain, the test group that stands for it)
    also: dict[int, list[str]] = {}  # id(kept test) -> the other chains it stands for
    out = []
    for name, doc, chain in docs:
        if chain is None:
            out.append((name, doc))
            continue
        rename = _renamer(renaming(config, chain), config)
        rule_files = [groups_of[f.removeprefix("../")] for f in doc["rule_files"]]
        tests = []
        for test in doc["tests"]:
            # The name too (renamed): it says which rule the test stands for (two severities' tests may be alike).
            signature = json.dumps(rename([doc["evaluation_interval"], _rules_read(rule_files, test), test]), sort_keys=True)
            owner, first = kept.setdefault(signature, (chain, test))
            if owner == chain:
                tests.append(test)
            elif chain not in also.setdefault(id(first), []):
                also[id(first)].append(chain)
        if tests or not doc["tests"]:  # a file left with no test of its own is not written
            out.append((name, {**doc, "tests": tests}))
    for _, test in kept.values():
        if also.get(id(test)):
            test["name"] += SAME_RULE.format(", ".join(sorted(also[id(test)])))
    return out


def watchdog_tests(alerts: list[Alert]) -> list[dict]:
    """The watchdogs (one per team) fire from the first evaluation on and never stop, on no
    input at all: their labels (the team's, which routes each to its heartbeat) and annotations exactly."""
    if not alerts:
        return []
    expected = sorted((a.expected(Recipe([], 1, {})) for a in alerts), key=lambda e: sorted(e["exp_labels"].items()))
    return [
        {
            "name": f"{alerts[0].name}: one per team ({', '.join(a.team for a in alerts)}) fires from the first evaluation on, on no input at all, and never resolves",
            "interval": "1m",
            "input_series": [],
            "alert_rule_test": [{"eval_time": t, "alertname": alerts[0].name, "exp_alerts": json.loads(json.dumps(expected))} for t in ("0m", "1h", "24h")],
        }
    ]


def by_interval(rule_file: str, rule_files: list[str], tests: list[dict]) -> list[tuple[str, dict]]:
    """One promtool test document per test step: each test group's rules are evaluated at its
    own step, not the finest step of the file. promtool evaluates every rule of the files at every
    ``evaluation_interval`` of a group's time range, so a day-long 1m test in a 15s file cost four
    times its own evaluations (issue #26). The finest step keeps the file's plain name
    (``chainwatch-x.test.yml``), a coarser one is named after it (``chainwatch-x.1m.test.yml``)."""
    steps = sorted({t.get("interval", "1m") for t in tests}, key=seconds)
    base = rule_file.removesuffix(".rules.yml")
    return [
        (
            f"{base}.test.yml" if i == 0 else f"{base}.{step}.test.yml",
            {"rule_files": rule_files, "evaluation_interval": step, "tests": [t for t in tests if t.get("interval", "1m") == step]},
        )
        for i, step in enumerate(steps)
    ]


def test_files(config: Config, files, dedupe: bool = True) -> list[tuple[str, dict]]:
    """(file name, promtool test document) for every rule file that has alerts, plus recording
    rules; ``dedupe``: one test per distinct rule (the module docstring), not one per chain."""
    chain_of = {chain_file(name): name for name in config.chains}
    records_of = {**chain_of, **{accounts_file(name): name for name in config.chains}}  # whose records its alerts read
    docs: list[tuple[str, dict, str | None]] = [
        (
            "recording.test.yml",
            {
                "rule_files": [f"../{recording_file(name)}" for name in sorted(config.chains)],
                "evaluation_interval": "1m",
                "tests": recording.tests(config),
            },
            None,
        )
    ]
    for f in files:
        if not f.alerts:
            continue
        tests: list[dict] = []
        if f.slo_chain:
            for s in slo_rules.slos(config, f.slo_chain):
                tests += slo_tests(f.alerts, s)
            rule_files = [f"../{f.name}"]
        else:
            tests += watchdog_tests([a for a in f.alerts if a.name == names.WATCHDOG])
            for alert in f.alerts:
                tests += [] if alert.name == names.WATCHDOG else alert_tests(alert)
            tests += down_recovery_tests(f.alerts)
            owner = records_of.get(f.name)
            rule_files = ([f"../{recording_file(owner)}"] if owner else []) + [f"../{f.name}"]
        docs += [(name, doc, f.slo_chain or chain_of.get(f.name)) for name, doc in by_interval(f.name, rule_files, tests)]
    if not dedupe:
        return [(name, doc) for name, doc, _ in docs]
    return deduplicate(docs, {f.name: f.groups for f in files}, config)
