"""The tables of docs/INTERNALS.md that code declares: `ckg serve`'s options (settings.SETTINGS) and the
endpoint's formats (formats.py). Each sits in the file between two marker comments;

    python -m coalition_kg.server.docs_tables            # prints them
    python -m coalition_kg.server.docs_tables --update   # writes them into docs/INTERNALS.md

and tests/server/test_settings_table.py fails while the file's copy differs from the code's.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from coalition_kg.project import Project
from . import formats, settings


def formats_table() -> str:
    """The formats as a Markdown table, each family's default first."""
    lines = ["| answers | format | `format=` | media type | also accepted | IRI |", "|---|---|---|---|---|---|"]
    for answers, family in (("SELECT, ASK", formats.RESULT_FORMATS),
                            ("CONSTRUCT, DESCRIBE, a page's RDF", formats.GRAPH_FORMATS)):
        for index, fmt in enumerate(family):
            names = ", ".join(f"`{name}`" for name in formats.parameter_names(fmt))
            aliases = ", ".join(f"`{alias}`" for alias in fmt.aliases)
            lines.append(f"| {answers if index == 0 else ''} | {fmt.label} | {names} | `{fmt.media_type}` | {aliases} "
                         f"| {fmt.iri} |")
    return "\n".join(lines) + "\n"


TABLES = {"serve-options": settings.options_table, "formats": formats_table}
_BLOCK = re.compile(r"(<!-- generated: (?P<name>[a-z-]+) \(python -m coalition_kg\.server\.docs_tables --update\) -->\n)"
                    r"(?P<body>.*?)(<!-- end of generated: (?P=name) -->)", re.S)


def document(project: Project | None = None) -> Path:
    return (project or Project.locate()).root / "docs" / "INTERNALS.md"


def blocks(text: str) -> dict[str, str]:
    """The generated tables a document holds, by name, as it holds them."""
    return {match["name"]: match["body"] for match in _BLOCK.finditer(text)}


def updated(text: str) -> str:
    """The document with each generated table as the code declares it."""
    return _BLOCK.sub(lambda match: match[1] + TABLES[match["name"]]() + match[4], text)


def main(argv: list[str]) -> int:
    if argv == ["--update"]:
        path = document()
        path.write_text(updated(path.read_text(encoding="utf-8")), encoding="utf-8")
        return 0
    for name, table in TABLES.items():
        print(f"{name}:\n{table()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
