"""Search: an SQLite FTS5 index beside each store, built with it and answering `/search`.

The build writes the index into the new store's directory (`search.sqlite`, beside `store/`) before the
manifest, so the manifest covers it and it is swapped with its store; a store built before search has
none, and the server says to rebuild (`IndexMissing`).

What is indexed, each as one row of plain words (the matching key of graph/arabic.py, case-folded):
entities (every rdfs:label, skos:prefLabel, skos:altLabel and skos:hiddenLabel the store holds for an
IRI under id/, membership records aside: their labels are their parts'), articles (their labels) and
sentences (their Arabic text, rdf:value).

Proclitics are handled on the query side, so the index holds only the words as written: a query word
stands for itself and for the stems its readings leave when that stem is a word the index knows
(«بمراكش» -> مراكش), and each of those for the same stem with any proclitic (مراكش -> بمراكش، ومراكش;
الرياض -> للرياض) and with or without the article ال.

Ranking (`search`): entities, then articles, then sentences. Within entities, a label equal to the query
first, then a label that starts with it, then the rest; within each group, and within articles and
sentences, the more query words a hit holds the higher, then FTS5's bm25, then the label or the
article's order.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import arabic
from .internal_queries import internal_query
from coalition_kg.namespaces import ARTICLE, ENTITY

INDEX_FILE = "search.sqlite"
MAX_QUERY_WORDS = 12  # a query longer than this is cut to its first words: search is for names, not texts
MAX_HITS = 50


class IndexMissing(Exception):
    """The store has no search index: it was built before search existed."""


# --- words ---------------------------------------------------------------------------------------

def key_words(text: str) -> list[str]:
    """The words of a text as the index holds them: the Arabic key, case-folded, split into words."""
    keyed = arabic.normalise(text)
    return [keyed[a:b].casefold() for a, b in arabic.words(keyed)]


def _with_proclitics(stem: str) -> set[str]:
    """The stem as it may be written: bare, with or without ال, behind any conjunction and preposition
    (ل before ال drops the alif: الرياض -> للرياض)."""
    stems = {stem}
    if stem.startswith(arabic.ARTICLE) and len(stem) > len(arabic.ARTICLE) + 1:
        stems.add(stem[len(arabic.ARTICLE):])
    elif _is_arabic(stem):
        stems.add(arabic.ARTICLE + stem)
    forms = set()
    for base in stems:
        forms.add(base)
        if not _is_arabic(base):
            continue
        for conjunction in ("",) + arabic.CONJUNCTIONS:
            for preposition in ("",) + arabic.PREPOSITIONS:
                prefix = conjunction + preposition
                if not prefix:
                    continue
                if preposition == "ل" and base.startswith(arabic.ARTICLE):
                    forms.add(prefix + base[1:])  # ل + الرياض = للرياض
                else:
                    forms.add(prefix + base)
    return forms


def _is_arabic(word: str) -> bool:
    return any("\u0600" <= char <= "\u06ff" for char in word)


# --- the index file ------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE hit (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, iri TEXT NOT NULL, label_en TEXT, label_ar TEXT,
                  article TEXT, text TEXT, position INTEGER NOT NULL);
CREATE TABLE label (hit INTEGER NOT NULL, key TEXT NOT NULL);
CREATE INDEX label_of_hit ON label (hit);
CREATE TABLE vocabulary (word TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE curated_title (article TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE VIRTUAL TABLE words USING fts5(body, tokenize = 'unicode61 remove_diacritics 0');
"""


def build(store: ox.Store, path: Path) -> int:
    """Write the search index of `store` to `path` (a new file); the number of rows indexed."""
    if path.exists():
        path.unlink()
    connection = sqlite3.connect(path)
    try:
        connection.executescript(_SCHEMA)
        rows = 0
        vocabulary: set[str] = set()
        for kind, base in (("entity", ENTITY), ("article", ARTICLE)):
            labels = _labels(store, base)
            display = _display(store, base)
            for position, iri in enumerate(sorted(labels)):
                if kind == "article" and "/" in iri[len(base):]:
                    continue  # sentences and mentions are not articles
                if kind == "entity" and iri.startswith(ENTITY + "membership/"):
                    continue  # membership records are labelled from their parts, which are found themselves
                rows += 1
                en, ar = display.get(iri, {}).get("en"), display.get(iri, {}).get("ar")
                connection.execute("INSERT INTO hit VALUES (?, ?, ?, ?, ?, NULL, NULL, ?)",
                                   (rows, kind, iri, en, ar, position))
                words: list[str] = []
                for label in sorted(labels[iri]):
                    keyed = key_words(label)
                    words += keyed
                    connection.execute("INSERT INTO label VALUES (?, ?)", (rows, " ".join(keyed)))
                vocabulary.update(words)
                connection.execute("INSERT INTO words(rowid, body) VALUES (?, ?)", (rows, " ".join(words)))
        sentences = store.query(internal_query("search-sentences"))
        for row in sorted(sentences, key=lambda r: (r["article"].value, int(r["index"].value))):
            rows += 1
            text = row["text"].value
            connection.execute("INSERT INTO hit VALUES (?, 'sentence', ?, NULL, NULL, ?, ?, ?)",
                               (rows, row["sentence"].value, row["article"].value, text, int(row["index"].value)))
            words = key_words(text)
            vocabulary.update(words)
            connection.execute("INSERT INTO words(rowid, body) VALUES (?, ?)", (rows, " ".join(words)))
        connection.executemany("INSERT INTO vocabulary VALUES (?)", ((w,) for w in sorted(vocabulary)))
        connection.executemany("INSERT INTO curated_title VALUES (?)", sorted(
            (row["article"].value,) for row in store.query(internal_query("search-curated-titles"))))
        connection.commit()
    finally:
        connection.close()
    return rows


def _under(base: str) -> dict:
    """The substitutions for a query over the IRIs under `base`, a namespace of the project's."""
    return {ox.Variable("base"): ox.Literal(base)}


def _labels(store: ox.Store, base: str) -> dict[str, set[str]]:
    labels: dict[str, set[str]] = {}
    for row in store.query(internal_query("search-named-labels"), substitutions=_under(base)):
        labels.setdefault(row["thing"].value, set()).add(row["label"].value)
    return labels


def _display(store: ox.Store, base: str) -> dict[str, dict[str, str]]:
    shown: dict[str, dict[str, str]] = {}
    for row in store.query(internal_query("search-display-labels"), substitutions=_under(base)):
        shown.setdefault(row["thing"].value, {})[row["lang"].value] = row["text"].value
    return shown


def article_titles(connection: sqlite3.Connection) -> dict[str, tuple[str | None, str | None]]:
    """Each article's English and Arabic label, to name a sentence's article."""
    return {iri: (en, ar) for iri, en, ar in
            connection.execute("SELECT iri, label_en, label_ar FROM hit WHERE kind = 'article'")}


def curated_titles(connection: sqlite3.Connection) -> set[str]:
    """The articles whose Arabic title is the curators' own: a page that shows it must say so."""
    return {iri for (iri,) in connection.execute("SELECT article FROM curated_title")}


def open_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection to an index (the file is never written after the build: immutable)."""
    if not path.is_file():
        raise IndexMissing(f"this graph store has no search index ({path.name}): rebuild it with `ckg build`")
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False)


# --- answering -----------------------------------------------------------------------------------

@dataclass
class Hit:
    kind: str  # entity, article, sentence
    iri: str
    label_en: str | None
    label_ar: str | None
    article: str | None = None  # a sentence's article
    text: str | None = None  # a sentence's verbatim text
    index: int | None = None  # a sentence's number in its article
    words: int = 0  # how many query words it holds
    tier: int = 2  # entities: 0 a label equals the query, 1 a label starts with it, 2 otherwise
    highlights: list[tuple[int, int]] = field(default_factory=list)  # verbatim spans in text


@dataclass(frozen=True)
class Query:
    """A query's words and, for each, the indexed forms it stands for; the last word also matches as the
    start of a word (`prefix`), if it has MIN_PREFIX letters or more, so that a name can be typed in part."""

    words: tuple[str, ...]
    forms: tuple[frozenset[str], ...]
    prefix: str | None = None

    def matches(self, position: int, word: str) -> bool:
        """Whether an indexed word is the query's word at `position`."""
        if word in self.forms[position]:
            return True
        return position == len(self.words) - 1 and self.prefix is not None and word.startswith(self.prefix)

    def holds(self, position: int, words: set[str]) -> bool:
        return bool(self.forms[position] & words) or any(self.matches(position, word) for word in words)

    def held(self, words: set[str]) -> int:
        """How many of the query's words are among `words` (in one of their forms)."""
        return sum(1 for position in range(len(self.words)) if self.holds(position, words))

    def fts(self) -> str:
        """The FTS5 expression: any form of any word. Every form is a plain word of letters and digits
        (arabic.words), quoted all the same, so nothing in a query is FTS5 syntax."""
        terms = [f'"{form}"' for forms in self.forms for form in sorted(forms)]
        if self.prefix:
            terms.append(f'"{self.prefix}"*')
        return " OR ".join(terms)


MIN_PREFIX = 3


def parse(connection: sqlite3.Connection, text: str) -> Query:
    """The query's words (at most MAX_QUERY_WORDS) and their forms, by the readings the index knows."""
    words = tuple(dict.fromkeys(key_words(text)))[:MAX_QUERY_WORDS]
    forms = []
    for word in words:
        stems = {word}
        for reading in arabic.readings(word, article=True)[1:]:
            if _known(connection, reading.stem):
                stems.add(reading.stem)
        found: set[str] = set()
        for stem in stems:
            found |= _with_proclitics(stem)
        forms.append(frozenset(found))
    prefix = words[-1] if words and len(words[-1]) >= MIN_PREFIX else None
    return Query(words, tuple(forms), prefix)


def _known(connection: sqlite3.Connection, word: str) -> bool:
    return connection.execute("SELECT 1 FROM vocabulary WHERE word = ?", (word,)).fetchone() is not None


def search(connection: sqlite3.Connection, text: str, limit: int = MAX_HITS) -> tuple[Query, list[Hit], int]:
    """The first `limit` hits for a query text, ranked (see the module's docstring), and how many there
    are in all; no words, no hits."""
    query = parse(connection, text)
    if not query.words:
        return query, [], 0
    # A common word matches most sentences: rank on what is small (kind, bm25, the indexed words only
    # when there are several query words to count), then read the texts of the hits kept.
    several = len(query.words) > 1
    rows = connection.execute(
        "SELECT hit.id, kind, position, coalesce(label_en, label_ar, article, ''), bm25(words), "
        + ("words.body " if several else "NULL ")
        + "FROM words JOIN hit ON hit.id = words.rowid WHERE words MATCH ?", (query.fts(),)).fetchall()
    ranked = []
    for hit_id, kind, position, name, score, indexed in rows:
        held = query.held(set(indexed.split())) if several else 1
        tier = _tier(connection, hit_id, query) if kind == "entity" else 2
        ranked.append((_order(kind), tier, -held, score, name, position, hit_id))
    ranked.sort()
    kept = []
    for _, tier, held, _, _, _, hit_id in ranked[:limit]:
        kind, iri, en, ar, article, verbatim, position = connection.execute(
            "SELECT kind, iri, label_en, label_ar, article, text, position FROM hit WHERE id = ?", (hit_id,)).fetchone()
        hit = Hit(kind, iri, en, ar, article, verbatim, position if kind == "sentence" else None, -held, tier)
        if kind == "sentence":
            hit.highlights = highlights(verbatim, query)
        kept.append(hit)
    return query, kept, len(ranked)


def _order(kind: str) -> int:
    return ("entity", "article", "sentence").index(kind)


def _tier(connection: sqlite3.Connection, hit_id: int, query: Query) -> int:
    """0 if a label is the query (each word in one of its forms), 1 if a label starts with it (or with
    its last word typed in part), else 2."""
    best = 2
    for (label,) in connection.execute("SELECT key FROM label WHERE hit = ?", (hit_id,)):
        words = label.split()
        if len(words) < len(query.words):
            continue
        if len(words) == len(query.words) and all(word in forms for word, forms in zip(words, query.forms)):
            return 0
        if all(query.matches(position, word) for position, word in enumerate(words[:len(query.words)])):
            best = 1
    return best


def highlights(verbatim: str, query: Query) -> list[tuple[int, int]]:
    """The verbatim spans (code points, end exclusive) of the words of `verbatim` that match the query:
    whole words as written, with their proclitics, marks and tatweel."""
    keyed = arabic.key(verbatim)
    spans = []
    for start, end in arabic.words(keyed.text):
        word = keyed.text[start:end].casefold()
        if any(query.matches(position, word) for position in range(len(query.words))):
            spans.append(keyed.span(start, end))
    return spans
