"""The documents' links: every relative link in README.md, SECURITY.md and docs/*.md names a file of the
repository (and, with a #fragment, a heading of it), and nothing points outside the repository, neither a
link nor a path written in code (`../shared/…` is on the author's machine, not in a clone)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DOCUMENTS = sorted([REPO / "README.md", REPO / "SECURITY.md", *(REPO / "docs").glob("*.md")])
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
CODE_PATH = re.compile(r"`(\.\./[^`\s]*)`")
FENCE = re.compile(r"^```.*?^```$", re.M | re.S)


def prose(document: Path) -> str:
    """The document without its fenced code blocks, where `](` and `#` mean other things."""
    return FENCE.sub("", document.read_text(encoding="utf-8"))


def anchors(document: Path) -> set[str]:
    """The fragments GitHub gives the document's headings: lower case, punctuation dropped, spaces to dashes."""
    names = set()
    for heading in re.findall(r"^#{1,6} (.+)$", prose(document), re.M):
        names.add(re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-"))
    return names


def inside(path: Path) -> bool:
    return path.resolve().is_relative_to(REPO)


def test_the_documents_are_there():
    names = [str(d.relative_to(REPO)) for d in DOCUMENTS]
    assert {"README.md", "SECURITY.md", "docs/INTERNALS.md", "docs/CONTRACT.md"} <= set(names)


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: str(d.relative_to(REPO)))
def test_relative_links_name_files_of_the_repository(document):
    broken = []
    for target in LINK.findall(prose(document)):
        if re.match(r"[a-z]+:", target):  # https:, mailto: — not a file of ours
            continue
        path, _, fragment = target.partition("#")
        file = (document.parent / path) if path else document
        if path.startswith("/") or not inside(file):
            broken.append(f"{target}: outside the repository")
        elif not file.exists():
            broken.append(f"{target}: no such file")
        elif fragment and file.suffix == ".md" and fragment not in anchors(file):
            broken.append(f"{target}: no heading #{fragment} in {file.relative_to(REPO)}")
    assert not broken, broken


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: str(d.relative_to(REPO)))
def test_no_path_in_code_leaves_the_repository(document):
    text = document.read_text(encoding="utf-8")
    outside = [path for path in CODE_PATH.findall(text) if not inside(document.parent / path)]
    assert not outside, outside


def test_the_readme_links_the_internals_and_the_tour_stays_first():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "](docs/INTERNALS.md)" in readme and "](SECURITY.md)" in readme
    headings = re.findall(r"^## (.+)$", readme, re.M)
    assert headings[:2] == ["The two commands", "A five-minute tour"]
