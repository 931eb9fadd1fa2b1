"""The layout that keeps chain kinds plug-ins and generators independent (issue #13).

- Only a kind's own package and the registry (``kinds/__init__.py``) name a chain kind;
  everything else asks the registry or selects by capability, the demo (``devnet/``) too: each
  kind holds its demo part (``test_kind_names.py`` scans the kinds' packages among each other too).
- The module import graph has no cycle, the generators never import each other, and the
  core imports no generator and no exporter.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from chainwatch import kinds

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "kinds", "exporters", "rules", "dashboards", "alertmanager", "devnet", "cli")
GENERATORS = ("rules", "dashboards", "alertmanager")


def modules() -> dict[str, Path]:
    out = {}
    for top in PACKAGES:
        for path in sorted((REPO / top).rglob("*.py")):
            rel = path.relative_to(REPO).with_suffix("")
            parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
            out["chainwatch." + ".".join(parts)] = path
    return out


def imports(path: Path) -> set[str]:
    """Absolute chainwatch imports at module level (imports inside functions are lazy on purpose)."""
    found = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("chainwatch"):
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("chainwatch"))
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {m: {i for i in imports(p) if i in mods and i != m} for m, p in mods.items()}


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


def test_the_module_import_graph_has_no_cycle():
    g = graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(g[m]):
            if state.get(n) == 1:
                pytest.fail("import cycle: " + " -> ".join(stack[stack.index(n) :] + [n]))
            if n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(g):
        if m not in state:
            visit(m)


@pytest.mark.parametrize("package", GENERATORS + ("core",))
def test_generators_and_core_stay_in_their_lane(package):
    allowed = {"core", "kinds", package}
    wrong = sorted(f"{m} imports {i}" for m, deps in graph().items() if m.split(".")[1] == package for i in deps if i.split(".")[1] not in allowed)
    assert not wrong, "\n".join(wrong)


def test_every_registered_kind_fills_in_the_plug_in_shape():
    for kind in kinds.all_kinds():
        assert kind.config.model_fields["kind"].annotation.__args__ == (kind.name,)
        assert callable(kind.probe().run)
        assert callable(kind.dashboard())
        assert all(m.kinds == (kind.name,) for m in kind.metrics)


def test_shared_thresholds_hold_only_what_shared_code_reads():
    """``core/chain.py``'s Thresholds and Durations hold what every kind (or a capability) uses:
    each field is read (``.field``) by a module outside the kind packages. A setting only one
    kind's alerts read belongs in that kind's subclass (``kinds/<kind>/config.py``)."""
    from chainwatch.core.chain import Durations, Thresholds

    shared = "\n".join(p.read_text() for name, p in modules().items() if not name.startswith(tuple(f"chainwatch.kinds.{k}" for k in kinds.NAMES)))
    unread = [f"{model.__name__}.{field}" for model in (Thresholds, Durations) for field in model.model_fields if not re.search(rf"\.{field}\b", shared)]
    assert not unread, f"only a kind reads these: move them to its Thresholds/Durations subclass: {unread}"
