"""`GET /search?q=…`: the search index of the store a request reads (graph/search_index.py), as a page for
people and as JSON for scripts.

Each thread keeps one read-only connection to the index of the store it last searched, and opens the new
store's index when a rebuild swaps stores. A store built before search has no index: a 503 asks for a
rebuild, and the rest of the server answers as before.
"""

from __future__ import annotations

import sqlite3
import threading

from ..graph import search_index
from .backend import Snapshot
from .errors import BadParameter, NoSearchIndex
from .linked_data import local_href

MAX_QUERY_CHARS = 500  # a search is a few names; a longer text is refused, not cut silently

MATCH = {0: "label", 1: "label prefix", 2: "words"}


class SearchIndexes:
    """A read-only connection per thread to the index beside the store it reads."""

    def __init__(self):
        self._local = threading.local()

    def connection(self, info: Snapshot) -> sqlite3.Connection:
        opened = getattr(self._local, "opened", None)
        if opened is not None and opened[0] == info.directory:
            return opened[1]
        if info.directory is None:  # a remote engine's build, with no build folder of it on this machine
            raise NoSearchIndex(f"no search index: build {info.build_id} has no build folder on this machine "
                                "(`ckg build` of the same inputs makes one, with its index)")
        try:
            connection = search_index.open_read_only(info.directory / search_index.INDEX_FILE)
        except search_index.IndexMissing as error:
            raise NoSearchIndex(str(error)) from None
        if opened is not None:
            opened[1].close()
        self._local.opened = (info.directory, connection)
        return connection


def read_query(args) -> str:
    """The `q` parameter: once, and at most MAX_QUERY_CHARS characters."""
    values = args.getlist("q")
    if len(values) > 1:
        raise BadParameter("parameter q is given more than once")
    text = values[0] if values else ""
    if len(text) > MAX_QUERY_CHARS:
        raise BadParameter(f"a search is at most {MAX_QUERY_CHARS} characters; this one has {len(text)}")
    return text


def results(connection: sqlite3.Connection, text: str) -> dict:
    """The answer as JSON and the page both show it: the query's words and the ranked hits, each with
    the site's own path to it."""
    query, hits, total = search_index.search(connection, text)
    titles = search_index.article_titles(connection) if any(h.kind == "sentence" for h in hits) else {}
    # Arabic titles that are the curators' own: only an article's or a sentence's hit shows one
    curated = search_index.curated_titles(connection) if any(h.kind in ("article", "sentence") for h in hits) else set()
    shown = []
    for rank, hit in enumerate(hits, start=1):
        entry = {"rank": rank, "kind": hit.kind, "iri": hit.iri, "href": local_href(hit.iri), "words": hit.words}
        if hit.kind == "sentence":
            en, ar = titles.get(hit.article, (None, None))
            entry.update(href=local_href(hit.article),
                         article={"iri": hit.article, "label": {"en": en, "ar": ar},
                                  "title_by_curators": hit.article in curated},
                         index=hit.index, text=hit.text, highlights=[list(span) for span in hit.highlights])
        else:
            entry["label"] = {"en": hit.label_en, "ar": hit.label_ar}
            if hit.kind == "article":
                entry["title_by_curators"] = hit.iri in curated
            if hit.kind == "entity":
                entry["match"] = MATCH[hit.tier]
        shown.append(entry)
    return {"query": text, "words": list(query.words), "total": total, "hits": shown}
