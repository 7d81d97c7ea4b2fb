"""Entity pages: what the graph says about one resource, gathered for HTML and for RDF clients.

The graph's IRIs live under https://w3id.org/coalition-kg/ while the server runs wherever it runs, so
a resource BASE + "id/morocco" is served at /id/morocco, and every link to such an IRI in a page points
to the local path. The resource's IRI reaches the queries as a substitution, never as text pasted
into them (pyoxigraph only substitutes projected variables, hence ?resource in every SELECT).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

# PREFIXES: the pages' RDF twins are written with the graph's prefixes, as the dumps are (views.py reads
# them here); compact: a term's short name on a page (the templates read it here).
from coalition_kg.namespaces import ARTICLE, BASE, ENTITY, GRAPH, ONTOLOGY, OWL, PREFIXES, compact  # noqa: F401
from ..graph import internal_queries
from ..graph.article_names import STEM_PATTERN
from .errors import NotAnIri, shown

# The paths that dereference: the IRI's path under BASE is the URL's path here (id/, article/, graph/). The
# ontology's terms are hash IRIs (…/ontology#Meeting): they dereference to /ontology, where each term has its
# anchor, as do the ontology's own IRI and its versions' (…/ontology/0.1.0).
LOCAL_ROOTS = tuple(namespace[len(BASE):] for namespace in (ENTITY, ARTICLE, GRAPH)) + (ONTOLOGY[len(BASE):].rstrip("#"),)

SPARQL_DIR = Path(__file__).parent / "sparql"
# One of the server's own queries, server/sparql/NAME.rq: the one home of its SPARQL text.
internal_query = internal_queries.reader(SPARQL_DIR)


# What an RDF client gets at a resource's IRI (the benchmarks read it here too).
DESCRIPTION = internal_query("resource-description")


# The pages' other queries, by the names the routes use.
GRAPH_PREVIEW = internal_query("graph-preview")
ENTITY_INDEX = internal_query("entity-index")
ENTITY_INDEX_GRAPH = internal_query("entity-index-graph")
ARTICLE_INDEX = internal_query("article-index")
ARTICLE_INDEX_GRAPH = internal_query("article-index-graph")
ONTOLOGY_VERSIONS = internal_query("ontology-versions")
ONTOLOGY_TERMS = internal_query("ontology-terms")
MEETINGS_TIMELINE = internal_query("meetings-timeline")  # the query page runs it from its script


def resource_iri(path: str) -> str:
    """The graph's IRI for a local path (id/…, article/…, graph/…, ontology/…), as the router decoded it.

    NotAnIri when no IRI has that path, judged by Oxigraph's own IRI parser (the one the store uses):
    such a path could only fail later, inside a query, as a 500."""
    iri = BASE + path
    try:
        ox.NamedNode(iri)
    except (ValueError, UnicodeError) as error:  # UnicodeError: a lone surrogate cannot even be encoded
        # The router decodes bytes that are not UTF-8 to U+FFFD, which no IRI may hold either.
        reason = "its percent-escapes are not UTF-8" if "\ufffd" in path else shown(str(error))
        raise NotAnIri(f"/{shown(path)} cannot be the path of an IRI: {reason}") from None
    return iri


# The only schemes a page links to: a link made from the data (any IRI a query can produce, such as
# IRI("javascript:…")) must never run script or open a local file when followed. Anything else is text.
# Case is ignored for ASCII letters only, as JavaScript's "i" flag does: with Unicode case folding Python
# took "httpſ://" (a long s) for https, which the page script did not.
LINKABLE = r"https?://[^\x00-\x20\x7f]*"
_LINKABLE = re.compile(LINKABLE, re.IGNORECASE | re.ASCII)


def local_href(iri: str) -> str | None:
    """Where a page for this IRI is: here for the graph's own resources, the IRI itself for other
    http(s) IRIs, and None (no link) for any other scheme."""
    if iri.startswith(BASE):
        rest = iri[len(BASE):]
        if rest.startswith(LOCAL_ROOTS):
            return "/" + rest
    # Browsers drop tabs and newlines inside a URL and spaces around it; refusing every control
    # character and space keeps "java\tscript:" from reading as http here and as script there.
    return iri if _LINKABLE.fullmatch(iri) else None


# A seed article's file name, exactly (graph/article_names.py's rule): a literal that is one, such as an
# article's dcterms:identifier in a result, links to the article's page. Nothing else in a literal links.
ARTICLE_FILE = f"({STEM_PATTERN})\\.txt"
_ARTICLE_FILE = re.compile(ARTICLE_FILE, re.ASCII)


def article_file_href(value: str) -> str | None:
    """The page of the article whose file name `value` is, or None."""
    match = _ARTICLE_FILE.fullmatch(value)
    return local_href(ARTICLE + match.group(1)) if match else None


# What the page script (server/static/app.js) needs to link and name a term as local_href, compact and
# article_file_href do: their inputs, handed over in the page (a JSON data block the Content-Security-Policy
# allows), so that the script keeps no copy of them. The patterns mean the same to JavaScript's RegExp.
TERM_RULES = {"base": BASE, "localRoots": list(LOCAL_ROOTS), "linkable": LINKABLE, "prefixes": PREFIXES,
              "articleFile": ARTICLE_FILE}


def binding_value(binding: dict | None) -> str | None:
    """The lexical value of a SPARQL JSON binding, None when unbound."""
    return None if binding is None else binding["value"]


def binding_int(binding: dict | None) -> int | None:
    """A SPARQL JSON binding as an integer, None when unbound or not a number."""
    try:
        return int(binding["value"]) if binding else None
    except ValueError:
        return None


@dataclass
class Term:
    """A term as a page shows it: text, a link if it has one, its language, a second-language label."""

    text: str
    href: str | None = None
    lang: str | None = None
    label_ar: str | None = None
    title: str | None = None  # the full IRI, shown on hover

    @classmethod
    def of(cls, binding: dict, label_en: dict | None = None, label_ar: dict | None = None) -> "Term":
        if binding["type"] == "uri":
            iri = binding["value"]
            return cls(binding_value(label_en) or compact(iri), local_href(iri), None, binding_value(label_ar), iri)
        if binding["type"] == "bnode":
            return cls("_:" + binding["value"])
        datatype = binding.get("datatype")
        return cls(binding["value"], None, binding.get("xml:lang"), None, compact(datatype) if datatype else None)


# The graphs that are no article's, by name, with the kind of source each is.
SHARED_GRAPHS = {"curation": "curated", "inferred": "inferred", "ontology": "ontology"}


@dataclass
class Sentence:
    article: Term
    index: int | None
    pieces: list[tuple[str, bool]]  # the sentence's text, cut where mentions start and end


def highlight(text: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """Cut `text` into plain and marked pieces; overlapping spans merge into one mark."""
    pieces, cursor = [], 0
    for start, end in sorted(spans):
        start, end = max(start, cursor), min(end, len(text))
        if start >= end:
            continue
        if start > cursor:
            pieces.append((text[cursor:start], False))
        pieces.append((text[start:end], True))
        cursor = end
    if cursor < len(text):
        pieces.append((text[cursor:], False))
    return pieces


def mention_sentences(rows: list[dict]) -> list[Sentence]:
    """Rows of resource-mentions.rq as sentences, each with its mentions of the resource marked."""
    by_sentence: dict[str, tuple[dict, list]] = {}
    for row in rows:
        first, spans = by_sentence.setdefault(row["sentence"]["value"], (row, []))
        offset = binding_int(row["sentence_start"]) or 0
        start, end = binding_int(row["mention_start"]), binding_int(row["mention_end"])
        if start is not None and end is not None:
            spans.append((start - offset, end - offset))
    return [Sentence(Term.of(row["article"], row.get("article_en"), row.get("article_ar")), binding_int(row.get("index")),
                     highlight(row["text"]["value"], spans))
            for row, spans in by_sentence.values()]


@dataclass
class TextPart:
    """A stretch of an article's text: a sentence (with its number, for links to it) or what lies between."""

    index: int | None
    pieces: list[tuple[str, Term | None]]


def article_text(text: str, rows: list[dict]) -> list[TextPart]:
    """The article's text, sentence by sentence (rows of article-text.rq), each mention linked to what it
    refers to (where mentions overlap, the first wins: article-text.rq puts the longest of those that start
    together first)."""
    sentences = [(binding_int(r["start"]), binding_int(r["end"]), binding_int(r["index"])) for r in rows if r["row"]["value"] == "sentence"]
    mentions = [r for r in rows if r["row"]["value"] == "mention"]
    parts, cursor = [], 0
    for start, end, index in sorted(s for s in sentences if None not in s):
        if start < cursor or end > len(text):
            continue
        if start > cursor:
            parts.append(TextPart(None, [(text[cursor:start], None)]))
        parts.append(TextPart(index, _mark(text, start, end, mentions)))
        cursor = end
    if cursor < len(text):
        parts.append(TextPart(None, _mark(text, cursor, len(text), mentions)))
    return parts


def _mark(text: str, begin: int, finish: int, mentions: list[dict]) -> list[tuple[str, Term | None]]:
    pieces, cursor = [], begin
    for row in mentions:
        start, end = binding_int(row["start"]), binding_int(row["end"])
        if start is None or end is None or start < cursor or end > finish or start >= end:
            continue
        if start > cursor:
            pieces.append((text[cursor:start], None))
        pieces.append((text[start:end], Term.of(row["body"], row.get("body_en"))))
        cursor = end
    if cursor < finish:
        pieces.append((text[cursor:finish], None))
    return pieces


# --- named graphs and the ontology --------------------------------------------------------------

@dataclass
class Triple:
    subject: Term
    predicate: Term
    object: Term


@dataclass
class GraphPage:
    iri: str
    name: str  # the part after graph/: an article's stem, or curation, inferred, ontology
    quads: int
    article: Term | None = None  # the article an article graph was read from
    triples: list[Triple] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return SHARED_GRAPHS.get(self.name, "article")

    @property
    def preview_is_partial(self) -> bool:
        return len(self.triples) < self.quads


def article_term(article_iri: str) -> Term:
    """An article as a link: its number (000, 001…) to its page."""
    stem = article_iri[len(ARTICLE):]
    return Term(stem.split("_", 1)[0], local_href(article_iri), title=article_iri)


def graph_page(iri: str, quads: int, rows: list[dict]) -> GraphPage:
    name = iri[len(GRAPH):]
    page = GraphPage(iri, name, quads)
    if name not in SHARED_GRAPHS:
        page.article = article_term(ARTICLE + name)
    page.triples = [Triple(Term.of(r["s"], r.get("s_en")), Term.of(r["p"], r.get("p_label")), Term.of(r["o"], r.get("o_en")))
                    for r in rows]
    return page


@dataclass
class OntologyTerm:
    iri: str
    anchor: str  # the IRI's fragment: /ontology#anchor
    kind: str  # class, object property, datatype property
    label_en: str | None
    label_ar: str | None
    comment: str | None
    domain: Term | None
    range: Term | None
    parents: list[Term]
    equivalents: list[Term]


_KINDS = {OWL + "Class": "class", OWL + "ObjectProperty": "object property", OWL + "DatatypeProperty": "datatype property"}


def _iri_terms(binding: dict | None) -> list[Term]:
    return [Term(compact(iri), local_href(iri), title=iri) for iri in sorted(binding_value(binding).split())] if binding and binding_value(binding) else []


def ontology_terms(rows: list[dict]) -> list[OntologyTerm]:
    terms = []
    for r in rows:
        iri = r["term"]["value"]
        terms.append(OntologyTerm(
            iri, iri[len(ONTOLOGY):], _KINDS.get(r["kind"]["value"], compact(r["kind"]["value"])),
            binding_value(r.get("label_en")), binding_value(r.get("label_ar")), binding_value(r.get("comment")),
            Term.of(r["domain"]) if r.get("domain") else None, Term.of(r["range"]) if r.get("range") else None,
            _iri_terms(r.get("parents")), _iri_terms(r.get("equivalents"))))
    return terms


# --- the indexes ------------------------------------------------------------------------------

@dataclass
class IndexEntry:
    term: Term  # with both labels
    key: str = ""  # the entity's key in the registry, or the article's stem
    sentences: int | None = None
    mentions: int | None = None
    title_note: str | None = None  # an article's: why its Arabic title is the curators' own, when it is


@dataclass
class IndexGroup:
    kind: Term
    entries: list[IndexEntry]


def entity_index(rows: list[dict]) -> list[IndexGroup]:
    """The entities grouped by kind, the kinds in the order of their English labels."""
    groups: dict[str, IndexGroup] = {}
    for row in rows:
        kind = row["kind"]["value"]
        group = groups.get(kind)
        if group is None:
            group = groups[kind] = IndexGroup(Term.of(row["kind"], row.get("kind_label")), [])
        iri = row["entity"]["value"]
        group.entries.append(IndexEntry(Term.of(row["entity"], row.get("label_en"), row.get("label_ar")),
                                        iri[len(ENTITY):]))
    return list(groups.values())


def article_index(rows: list[dict]) -> list[IndexEntry]:
    return [IndexEntry(Term.of(row["article"], row.get("label_en"), row.get("label_ar")),
                       row["article"]["value"][len(ARTICLE):], binding_int(row.get("sentences")),
                       binding_int(row.get("mentions")), (row.get("title_note") or {}).get("value"))
            for row in rows]


def nearest_entities(wanted: str, groups: list[IndexGroup], most: int = 5) -> list[IndexEntry]:
    """The entities whose key or English or Arabic label is closest to a key that names none (a guessed
    /id/bourita finds Nasser Bourita), for the 404 page; difflib's ratio, case and separators aside."""
    def folded(text: str | None) -> str:
        return re.sub(r"[\s_-]+", " ", (text or "").casefold()).strip()

    target = folded(wanted)
    scored = []
    for entry in (e for g in groups for e in g.entries):
        names = [folded(n) for n in (entry.key, entry.term.text, entry.term.label_ar) if n]
        words = [w for n in names for w in n.split()]
        score = max([difflib.SequenceMatcher(None, target, n).ratio() for n in names + words] or [0])
        scored.append((score, entry.key, entry))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [entry for score, _, entry in scored[:most] if score >= 0.5]
