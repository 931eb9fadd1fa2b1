"""Every relative link in the README and docs/ points at a file or folder of the repository.

A user reading the docs follows links to files (``docs/transport.md`` was linked from the
README's design notes and pyproject.toml and did not exist). External links are not fetched
(no network here); anchors (``#section``) are checked against the target's headings.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = sorted([REPO / "README.md", REPO / "CHANGELOG.md", *(REPO / "docs").rglob("*.md"), *(REPO / "devnet").glob("*.md")])
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)|!\[[^\]]*\]\(([^)\s]+)\)")


def anchors(path: Path) -> set[str]:
    out = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            out.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return out


def links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)  # code blocks are not links
    return [a or b for a, b in LINK.findall(text)]


@pytest.mark.parametrize("doc", DOCS, ids=[str(d.relative_to(REPO)) for d in DOCS])
def test_relative_links_resolve(doc):
    broken = []
    for target in links(doc):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        file, _, anchor = target.partition("#")
        dest = (doc.parent / file).resolve() if file else doc
        if not dest.exists():
            broken.append(target)
        elif anchor and dest.suffix == ".md" and anchor.lower() not in anchors(dest):
            broken.append(target)
    assert not broken, f"{doc.relative_to(REPO)}: {broken}"


def test_no_reference_to_a_missing_doc_in_code_comments():
    missing = []
    for path in [REPO / "pyproject.toml", *REPO.glob("*/**/*.py")]:
        if ".venv" in path.parts or ".tools" in path.parts or path.name == "test_doc_links.py":
            continue
        for ref in re.findall(r"(?<![\w/.-])docs/[\w./-]+\.md\b", path.read_text(encoding="utf-8", errors="replace")):
            if not (REPO / ref).exists():
                missing.append(f"{path.relative_to(REPO)}: {ref}")
    assert not missing, missing
