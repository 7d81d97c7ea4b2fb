"""The pipeline's and the store's own SPARQL, graph/sparql/NAME.rq: the one home of each text.

A value that varies reaches a query as a pyoxigraph substitution (a projected variable) or, for a remote
engine, through query_outline.with_values; never pasted into the text by hand.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Callable


def reader(folder: Path) -> Callable[[str], str]:
    """NAME -> the text of FOLDER/NAME.rq, each file read once (the server's own queries use it too)."""

    @lru_cache(maxsize=None)
    def read(name: str) -> str:
        return (folder / f"{name}.rq").read_text(encoding="utf-8")

    return read


SPARQL_DIR = Path(__file__).parent / "sparql"
internal_query = reader(SPARQL_DIR)  # the text of graph/sparql/NAME.rq
