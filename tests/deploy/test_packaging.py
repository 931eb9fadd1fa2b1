"""What `pip install .` ships: every kind, every runbook template, under the one import root.

Package discovery is in setup.py (every package under the product's top-level folders, with
the ``chainwatch.`` prefix), so a new ``kinds/<name>/`` package and its ``runbooks/*.md``
must reach the wheel with no packaging edit. These tests build the real wheel from this
checkout (a clean copy of its files; setuptools through pip, no network: the build backend comes from the configured
index), read its file list, then install it non-editable into a fresh venv and run
``chainwatch generate`` there: the installed copy must find every runbook and Alertmanager
template and write exactly ``examples/generated``. The dev venv (``pip install -e .``) is
checked the same way in-process.
"""

from __future__ import annotations

import filecmp
import importlib
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from importlib import resources
from pathlib import Path

import pytest

from chainwatch import kinds

REPO = Path(__file__).resolve().parents[2]
# The folders `pip install .` ships, each as chainwatch.<folder>; tests/ and bench/ are not.
PRODUCT = ("core", "kinds", "assembly", "exporters", "devnet", "rules", "dashboards", "alertmanager", "cli", "status")


def source_packages() -> list[Path]:
    """Every folder of the checkout that holds a kind's package: kinds/<x>/__init__.py."""
    return sorted(p.parent for p in (REPO / "kinds").glob("*/__init__.py"))


def shipped_data() -> list[str]:
    """Wheel paths of every template file in the checkout that the product reads at run time."""
    files = [*REPO.glob("kinds/*/runbooks/*.md"), *REPO.glob("rules/runbooks/*.md"), *REPO.glob("alertmanager/templates/*.tmpl")]
    return sorted(f"chainwatch/{f.relative_to(REPO).as_posix()}" for f in files)


def clean_copy(dest: Path) -> Path:
    """The checkout's files as a fresh clone plus untracked work would have them.

    Building in the checkout itself would reuse a stale ``build/lib`` left by an earlier build
    and hide a package that discovery no longer finds.
    """
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO, capture_output=True, check=False)
    if listed.returncode != 0:  # not a git checkout: everything but build output and environments
        skip = shutil.ignore_patterns(".git", ".venv", ".tools", "build", "dist", "*.egg-info", "__pycache__", "node_modules")
        return Path(shutil.copytree(REPO, dest, ignore=skip))
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = REPO / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    source = clean_copy(tmp_path_factory.mktemp("source") / "chainwatch")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-3000:]
    [path] = out.glob("chainwatch-*.whl")
    return path


@pytest.fixture(scope="module")
def names(wheel) -> set[str]:
    return set(zipfile.ZipFile(wheel).namelist())


def test_the_wheel_installs_only_under_chainwatch(names):
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"chainwatch"}, f"top-level entries besides chainwatch/: {sorted(tops - {'chainwatch'})}"
    assert "chainwatch/__init__.py" not in names, "chainwatch must stay a namespace package"
    assert not [n for n in names if n.startswith(("chainwatch/tests/", "chainwatch/bench/"))]
    shipped = {n.split("/")[1] for n in names if n.startswith("chainwatch/") and n.count("/") >= 2}
    assert shipped == set(PRODUCT)


def test_every_kind_package_in_the_checkout_is_in_the_wheel(names):
    """A kinds/<x>/ package the wheel lacks would import in the dev venv and fail installed."""
    found = source_packages()
    assert {p.name for p in found} >= set(kinds.NAMES)
    for package in found:
        for module in package.glob("*.py"):
            wanted = f"chainwatch/{module.relative_to(REPO).as_posix()}"
            assert wanted in names, f"{wanted} is missing from the wheel: setup.py must find kinds/{package.name}/"


def test_every_runbook_and_alertmanager_template_is_in_the_wheel(names):
    wanted = shipped_data()
    assert any("/kinds/" in w for w in wanted) and any(w.endswith(".tmpl") for w in wanted)
    assert [w for w in wanted if w not in names] == []
    # ... and only those: no stray data (caches, editor files) beside them.
    data = sorted(n for n in names if not n.endswith(".py") and not n.split("/")[0].endswith(".dist-info"))
    assert data == wanted


def test_the_dev_install_imports_every_kind_and_finds_its_runbooks():
    """`pip install -e .` maps chainwatch.kinds to kinds/: a new kind imports without reinstalling."""
    for package in source_packages():
        module = importlib.import_module(f"chainwatch.kinds.{package.name}")
        assert Path(module.__file__).resolve().parent == package.resolve()
        for md in (package / "runbooks").glob("*.md"):
            assert (resources.files(module.__name__) / "runbooks" / md.name).is_file()


def test_a_non_editable_install_generates_exactly_the_examples(wheel, tmp_path):
    """A fresh venv with only the wheel installed (its dependencies seen through a .pth line to
    this venv's site-packages, whose editable finder is not loaded from there) writes
    examples/generated byte for byte: every kind imported, every runbook and template found."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin/python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True, check=True)
    deps = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    Path(site.stdout.strip(), "dependencies.pth").write_text("\n".join(deps) + "\n")
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], capture_output=True, text=True, env=clean, timeout=300
    )
    assert installed.returncode == 0, installed.stderr[-3000:]

    where = subprocess.run(
        [str(python), "-c", "import chainwatch.kinds as k; print(k.__file__); print(len(k.all_kinds()))"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=clean,
    )
    assert where.returncode == 0, where.stderr[-3000:]
    lines = where.stdout.split()
    assert lines[-2].startswith(str(env_dir)), f"chainwatch imported from {lines[-2]}, not the fresh venv"
    assert int(lines[-1]) == len(kinds.NAMES)

    out = tmp_path / "generated"
    generated = subprocess.run(
        [str(env_dir / "bin/chainwatch"), "generate", "--config.file", "examples/chainwatch.yaml", "--out", str(out), "--no-check-secret-files"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=clean,
        timeout=300,
    )
    assert generated.returncode == 0, generated.stderr[-3000:]
    assert_same_tree(REPO / "examples/generated", out)


def assert_same_tree(expected: Path, actual: Path) -> None:
    want = sorted(p.relative_to(expected).as_posix() for p in expected.rglob("*") if p.is_file())
    got = sorted(p.relative_to(actual).as_posix() for p in actual.rglob("*") if p.is_file())
    assert got == want
    _, mismatch, errors = filecmp.cmpfiles(expected, actual, want, shallow=False)
    assert mismatch == [] and errors == [], f"installed chainwatch generated different files: {mismatch or errors}"
