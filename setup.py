"""Package discovery for the one import root, ``chainwatch`` (metadata is in pyproject.toml).

The repository's top-level folders are ``chainwatch``'s sub-packages (``core/`` is
``chainwatch.core``, ``kinds/evm/`` is ``chainwatch.kinds.evm``). pyproject.toml alone cannot
say "every package found under these folders, with a ``chainwatch.`` prefix": its ``find``
rule returns bare names (``core``, ``kinds.evm``) that would install as generic top-level
packages. So this file finds them and adds the prefix, and a new chain kind
(``kinds/<name>/`` with its ``runbooks/*.md``) is packaged with no edit here or in
pyproject.toml. ``chainwatch`` itself stays a namespace package (the repository root has no
``__init__.py``), and ``tests/``, ``bench/``, ``docs/`` and ``examples/`` are never installed.
"""

from pathlib import Path

from setuptools import find_namespace_packages, setup

HERE = Path(__file__).resolve().parent

# The folders that make up the installed product; tests/ and bench/ are not among them.
TOP = ("core", "kinds", "assembly", "exporters", "devnet", "rules", "dashboards", "alertmanager", "status", "cli")
# Folders of templates inside a package: shipped as package data below, not as packages.
DATA = {"runbooks": "*.md", "templates": "*.tmpl"}

found = find_namespace_packages(where=str(HERE), include=[*TOP, *(f"{t}.*" for t in TOP)], exclude=["*.__pycache__", *(f"*.{d}" for d in DATA)])

setup(
    packages=[f"chainwatch.{name}" for name in found],
    package_dir={"chainwatch": "."},
    package_data={"": [f"{folder}/{pattern}" for folder, pattern in DATA.items()]},
)
