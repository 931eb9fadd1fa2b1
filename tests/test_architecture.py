"""The layout that keeps chain kinds plug-ins and generators independent (issue #13).

- Only a kind's own package and the registry (``kinds/__init__.py``) name a chain kind;
  everything else asks the registry or selects by capability, the demo (``devnet/``) too: each
  kind holds its demo part (``test_kind_names.py`` scans the kinds' packages among each other too).
- The module import graph has no cycle, imports inside functions included (a function-level
  import only hides a circle), the generators never import each other, and the core is a
  ground floor: it imports nothing of the kinds, the assembly of every kind (``assembly/``),
  the exporter, the generators, the demo or the CLI (issue #27).
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

from chainwatch import kinds

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "kinds", "assembly", "exporters", "rules", "dashboards", "alertmanager", "status", "devnet", "cli")
# What core/ may not import: everything above it.
ABOVE_CORE = ("kinds", "assembly", "exporters", "rules", "dashboards", "alertmanager", "status", "devnet", "cli")
GENERATORS = ("rules", "dashboards", "alertmanager")


@cache
def modules() -> dict[str, Path]:
    out = {}
    for top in PACKAGES:
        for path in sorted((REPO / top).rglob("*.py")):
            rel = path.relative_to(REPO).with_suffix("")
            parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
            out["chainwatch." + ".".join(parts)] = path
    return out


def imports(path: Path, *, nested: bool = True) -> dict[str, int]:
    """Absolute chainwatch imports of a module -> the line of the first one; ``nested``: also the
    imports inside functions and classes (they run later, but they are edges all the same)."""
    found: dict[str, int] = {}
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree) if nested else tree.body:
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("chainwatch"):
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names if a.name.startswith("chainwatch")]
        for name in names:
            found.setdefault(name, node.lineno)
    return found


@cache
def graph(*, nested: bool = True) -> dict[str, dict[str, int]]:
    """module -> {imported chainwatch module: line}."""
    mods = modules()
    return {m: {i: line for i, line in imports(p, nested=nested).items() if i in mods and i != m} for m, p in mods.items()}


def where(module: str, imported: str, g: dict[str, dict[str, int]]) -> str:
    return f"{modules()[module].relative_to(REPO)}:{g[module][imported]}: {module} imports {imported}"


def test_only_kind_packages_and_the_registry_name_a_kind():
    offenders = []
    for name, path in modules().items():
        if name == "chainwatch.kinds" or name.startswith(tuple(f"chainwatch.kinds.{k}" for k in kinds.NAMES)):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and node.value in kinds.NAMES:
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}: {node.value!r}")
            if isinstance(node, ast.ImportFrom) and node.module and any(node.module.startswith(f"chainwatch.kinds.{k}") for k in kinds.NAMES):
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}: imports {node.module}")
    assert not offenders, "a kind is named outside its package (select by capability or ask the registry):\n" + "\n".join(offenders)


def cycles(g: dict[str, dict[str, int]]) -> list[list[str]]:
    """Every import circle, each once (as the strongly connected components of the graph, and
    one concrete circle through each)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    components: list[list[str]] = []

    def strong(v: str) -> None:  # Tarjan
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(g[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for v in sorted(g):
        if v not in index:
            strong(v)
    out = []
    for component in components:
        inside = set(component)
        path, seen = [component[0]], {component[0]}
        while True:  # walk inside the component until a module repeats
            nxt = sorted(n for n in g[path[-1]] if n in inside)[0]
            if nxt in seen:
                out.append(path[path.index(nxt) :] + [nxt])
                break
            path.append(nxt)
            seen.add(nxt)
    return out


def test_the_module_import_graph_has_no_cycle():
    """Function-level imports count: one that closes a circle only postpones it to run time."""
    g = graph()
    found = cycles(g)
    report = ["import cycle: " + " -> ".join(c) + "\n  " + "\n  ".join(where(a, b, g) for a, b in zip(c, c[1:])) for c in found]
    assert not found, "\n".join(report)


def test_cycles_finds_a_circle_hidden_in_a_function():
    g = {"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}
    assert cycles(g) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b": 1}, "b": {}}) == []


def test_core_imports_nothing_above_it():
    """core/ holds types and pure helpers (chain and alert declarations, PromQL/selector/duration
    helpers, rule-test specs, the generated-file writer); what assembles every kind lives in
    assembly/, the kinds' registry in kinds/."""
    g = graph()
    wrong = [where(m, i, g) for m, deps in sorted(g.items()) if m.split(".")[1] == "core" for i in sorted(deps) if i.split(".")[1] in ABOVE_CORE]
    assert not wrong, "core/ imports from above it:\n" + "\n".join(wrong)


@pytest.mark.parametrize("package", GENERATORS)
def test_generators_stay_in_their_lane(package):
    allowed = {"core", "kinds", "assembly", package}
    g = graph()
    wrong = sorted(where(m, i, g) for m, deps in g.items() if m.split(".")[1] == package for i in deps if i.split(".")[1] not in allowed)
    assert not wrong, "\n".join(wrong)


def test_every_registered_kind_fills_in_the_plug_in_shape():
    for kind in kinds.all_kinds():
        assert kind.config.model_fields["kind"].annotation.__args__ == (kind.name,)
        assert callable(kind.probe().run)
        assert callable(kind.dashboard())
        assert all(m.kinds == (kind.name,) for m in kind.metrics)


def test_every_kinds_monitor_is_on_the_monitor_base():
    """One round loop, freshness, failure count and position check for every kind (issues #27,
    #35): a kind's ``monitor.create`` returns a :class:`ValidatorMonitor`, never a loop of its own."""
    import typing

    from chainwatch.exporters.monitorbase import ValidatorMonitor

    made = {kind.name: typing.get_type_hints(create)["return"] for kind in kinds.all_kinds() if (create := kind.monitor_factory()) is not None}
    assert made, "no kind has a monitor"
    wrong = sorted(name for name, cls in made.items() if not issubclass(cls, ValidatorMonitor))
    assert not wrong, f"monitors with a loop of their own: {wrong}"
    own_loop = sorted(name for name, cls in made.items() if "_loop" in vars(cls) or "start" in vars(cls))
    assert not own_loop, f"monitors overriding the base's round loop: {own_loop}"


def test_shared_thresholds_hold_only_what_shared_code_reads():
    """``core/chain.py``'s Thresholds and Durations hold what every kind (or a capability) uses:
    each field is read (``.field``) by a module outside the kind packages. A setting only one
    kind's alerts read belongs in that kind's subclass (``kinds/<kind>/config.py``)."""
    from chainwatch.core.chain import Durations, Thresholds

    shared = "\n".join(p.read_text() for name, p in modules().items() if not name.startswith(tuple(f"chainwatch.kinds.{k}" for k in kinds.NAMES)))
    unread = [f"{model.__name__}.{field}" for model in (Thresholds, Durations) for field in model.model_fields if not re.search(rf"\.{field}\b", shared)]
    assert not unread, f"only a kind reads these: move them to its Thresholds/Durations subclass: {unread}"


TOOLKIT = ("failures", "transport", "redact", "tlsinfo", "jsonrpc", "rest", "numbers", "sentinels")


@pytest.mark.parametrize("module", TOOLKIT)
def test_the_probing_toolkit_does_not_pull_the_assembly(module):
    """What a kind's probe builds on (``exporters/<toolkit>.py``) reaches core and the toolkit
    only: importing it must not assemble every kind (the registry, the catalog, the config)."""
    g = graph()
    start = f"chainwatch.exporters.{module}"
    reached, todo, via = {start}, [start], {}
    while todo:
        m = todo.pop()
        for n in g[m]:
            if n not in reached:
                reached.add(n)
                via[n] = m
                todo.append(n)
    wrong = sorted(m for m in reached if m.split(".")[1] not in ("core", "exporters"))
    chains = []
    for m in wrong:
        path = [m]
        while path[-1] != start:
            path.append(via[path[-1]])
        chains.append(" <- ".join(path))
    assert not wrong, "\n".join(chains)
