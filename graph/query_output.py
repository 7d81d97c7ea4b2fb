"""Writing query results for `ckg query`: an aligned text table, or SPARQL JSON, CSV and TSV."""

from __future__ import annotations

import sys
import unicodedata
from typing import TextIO

import pyoxigraph as ox

# `ckg query --format`: these, or an aligned text table ("table")
FORMATS = {"json": ox.QueryResultsFormat.JSON, "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}


def write_results(results, fmt: str, out: TextIO = sys.stdout) -> None:
    if isinstance(results, ox.QueryBoolean):
        out.write(("true" if bool(results) else "false") + "\n")
        return
    if isinstance(results, ox.QueryTriples):
        out.write(ox.serialize(results, format=ox.RdfFormat.TURTLE).decode("utf-8"))
        return
    if fmt in FORMATS:
        out.write(results.serialize(format=FORMATS[fmt]).decode("utf-8"))
        return
    variables = [v.value for v in results.variables]
    rows = [[_cell(solution[name]) for name in variables] for solution in results]
    write_table(variables, rows, out)


def _cell(term) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.Literal):
        return term.value
    return term.value


def _width(text: str) -> int:
    return sum(0 if unicodedata.combining(c) else 1 for c in text)


def write_table(header: list[str], rows: list[list[str]], out: TextIO) -> None:
    widths = [max([_width(h)] + [_width(r[i]) for r in rows]) for i, h in enumerate(header)]

    def line(cells):
        return " | ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths)).rstrip()

    out.write(line(header) + "\n")
    out.write("-+-".join("-" * w for w in widths) + "\n")
    for row in rows:
        out.write(line(row) + "\n")
    out.write(f"({len(rows)} row{'s' if len(rows) != 1 else ''})\n")
