"""A chain kind is named outside its own package only by its registry line (issue #27).

Scanned: every module of the installed product (the top-level folders ``setup.py`` packages,
the demo ``devnet/`` included, and the other kinds' packages: ``kinds/opnode/`` may not name
``evm``). A kind is *named* by a string that is its name (``"kind": "solana"``), an import of
its package, a string holding its module path (``python -m chainwatch.kinds.solana.simulator``,
``find_spec("chainwatch.kinds.cosmos.simulator")``), or its demo flag (``--no-beacon``, a
``no_beacon`` parameter). Allowed:

- the registry, ``kinds/__init__.py``: the one line that lists the kinds;
- docstrings: documentation, which may give examples (``docs/`` is not scanned either);
- ``tests/``, ``bench/``: a test sets up chains of the kind it tests (the per-kind answer
  tables that would remove those lists are another part of #27).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from chainwatch import kinds

REPO = Path(__file__).resolve().parents[1]


def product_folders() -> tuple[str, ...]:
    """``TOP`` of setup.py: the folders installed as ``chainwatch.*`` (read, not imported: it runs setup())."""
    for node in ast.walk(ast.parse((REPO / "setup.py").read_text())):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "TOP" for t in node.targets):
            return tuple(ast.literal_eval(node.value))
    raise AssertionError("setup.py has no TOP")


def docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring constants (module, class, function)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                out.add(id(first.value))
    return out


def names_of(source: str, kind: str) -> list[tuple[int, str]]:
    """(line, what) for every place ``source`` names ``kind``."""
    tree = ast.parse(source)
    skip = docstrings(tree)
    package = f"chainwatch.kinds.{kind}"
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            text = node.value
            if text == kind:
                found.append((node.lineno, f"the kind string {text!r}"))
            elif re.search(rf"{re.escape(package)}(?![\w])", text):
                found.append((node.lineno, f"its package in {text!r}"))
            elif re.search(rf"--no-{kind}\b", text):
                found.append((node.lineno, f"its flag in {text!r}"))
        elif isinstance(node, ast.arg) and node.arg in (f"no_{kind}", f"without_{kind}"):
            found.append((node.lineno, f"its flag as the parameter {node.arg}"))
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == package or node.module.startswith(package + "."):
                found.append((node.lineno, f"imports {node.module}"))
            elif node.module == "chainwatch.kinds" and any(a.name == kind for a in node.names):
                found.append((node.lineno, f"imports {package}"))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, f"imports {a.name}") for a in node.names if a.name == package or a.name.startswith(package + ".")]
    return found


def product_modules() -> list[Path]:
    return [p for top in product_folders() for p in sorted((REPO / top).rglob("*.py"))]


def test_a_kind_is_named_outside_its_package_only_by_the_registry():
    registry = REPO / "kinds" / "__init__.py"
    offenders = []
    for path in product_modules():
        if path == registry:
            continue
        source = path.read_text()
        for kind in kinds.NAMES:
            if path.is_relative_to(REPO / "kinds" / kind):
                continue
            offenders += [f"{path.relative_to(REPO)}:{line}: names {kind}: {what}" for line, what in names_of(source, kind)]
    assert not offenders, "a kind is named outside its package (ask the registry, select by capability):\n" + "\n".join(offenders)


def test_the_scan_covers_the_demo_and_the_kinds_packages():
    scanned = {p.relative_to(REPO).parts[0] for p in product_modules()}
    assert {"devnet", "kinds", "core", "exporters", "cli"} <= scanned
    assert REPO / "devnet" / "stack.py" in product_modules()


def test_the_scan_finds_what_the_hand_written_demo_had():
    """What devnet/stack.py, faults.py and cli.py held before each kind owned its demo part."""
    before = '''
"""The SIMULATED Solana cluster (``chainwatch.kinds.solana.simulator``): a docstring may say so."""
import importlib.util
from chainwatch.kinds.subgraph.simulator import SIM_DEPLOYMENT
from chainwatch.kinds import cosmos

chains = {"sol": {"kind": "solana"}}
args = ["-m", "chainwatch.kinds.opnode.simulator"]
spec = importlib.util.find_spec("chainwatch.kinds.beacon.probe")
other = "chainwatch.kinds.solanalike"  # another package that only starts alike


@click.option("--no-bitcoin", is_flag=True, help="Do not start the litecoind regtest pair.")
def demo(no_bitcoin: bool) -> None:
    pass
'''
    assert [what for _, what in names_of(before, "solana")] == ["the kind string 'solana'"]
    assert [what for _, what in names_of(before, "subgraph")] == ["imports chainwatch.kinds.subgraph.simulator"]
    assert [what for _, what in names_of(before, "cosmos")] == ["imports chainwatch.kinds.cosmos"]
    assert [what for _, what in names_of(before, "opnode")] == ["its package in 'chainwatch.kinds.opnode.simulator'"]
    assert [what for _, what in names_of(before, "beacon")] == ["its package in 'chainwatch.kinds.beacon.probe'"]
    assert sorted(what for _, what in names_of(before, "bitcoin")) == ["its flag as the parameter no_bitcoin", "its flag in '--no-bitcoin'"]


def test_every_kind_with_a_demo_part_is_found_through_the_registry():
    parts = kinds.demo_parts()
    assert [p for p in parts if p.base] and len([p for p in parts if p.base]) == 1
    for kind in kinds.all_kinds():
        part = kind.demo()
        if part is not None:
            assert part in parts and part.chains and (part.base or part.flag_help), kind.name
    assert len({p.name for p in parts}) == len(parts)  # one --no-<name> each
