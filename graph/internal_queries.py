"""The pipeline's and the store's own SPARQL, graph/sparql/NAME.rq: the one home of each text.

A value that varies reaches a query as a pyoxigraph substitution (a projected variable) or, for a remote
engine, through sparql_http.with_values; never pasted into the text by hand.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

SPARQL_DIR = Path(__file__).parent / "sparql"


@lru_cache(maxsize=None)
def internal_query(name: str) -> str:
    """The text of graph/sparql/NAME.rq."""
    return (SPARQL_DIR / f"{name}.rq").read_text(encoding="utf-8")
