"""The serializations the endpoint speaks, and HTTP content negotiation between them.

Two families: SPARQL results (SELECT, ASK) and RDF graphs (CONSTRUCT, DESCRIBE, entity descriptions).
What a format is (its media type, its IRI in the W3C formats registry, its file extension, its name for
people) comes from pyoxigraph's format objects (QueryResultsFormat, RdfFormat), the writers' own; this
table adds what is ours: a short name for the `format` parameter and the file-like URLs, the other media
types clients send for a format, and the order of each family (its first format is its default for
`*/*`). HTML, the pages' format, is ours alone. Every list of formats elsewhere (the service description,
the page script, the templates, the docs) reads this table.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from coalition_kg.namespaces import FORMATS as FORMATS_REGISTRY


@dataclass(frozen=True)
class Format:
    name: str  # the `format` parameter's value, and the key of BY_NAME
    media_type: str  # canonical, without parameters
    aliases: tuple[str, ...] = ()  # other media types clients send for it
    label: str = ""  # what people call it: JSON, Turtle …
    iri: str | None = None  # the W3C formats registry's IRI (http://www.w3.org/ns/formats/…)
    extension: str | None = None  # a file's extension, also accepted as a `format` name
    rdf_name: str | None = None  # graph formats only: the pyoxigraph RdfFormat member, by name

    @property
    def content_type(self) -> str:
        # Every format here is text; say UTF-8 so browsers and clients never guess.
        return f"{self.media_type}; charset=utf-8"

    @property
    def is_graph(self) -> bool:
        return self.rdf_name is not None

    @property
    def rdf_format(self) -> ox.RdfFormat:
        return getattr(ox.RdfFormat, self.rdf_name)


def _results(name: str, fmt: ox.QueryResultsFormat, aliases: tuple[str, ...] = ()) -> Format:
    # pyoxigraph says "text/csv; charset=utf-8" for CSV and TSV: the bare type is the one clients ask for.
    return Format(name, fmt.media_type.split(";")[0].strip(), aliases, fmt.name.removeprefix("SPARQL Results in "),
                  fmt.iri, fmt.file_extension)


def _graph(name: str, member: str, aliases: tuple[str, ...] = (), iri: str | None = None) -> Format:
    fmt = getattr(ox.RdfFormat, member)
    return Format(name, fmt.media_type, aliases, fmt.name, iri or fmt.iri, fmt.file_extension, member)


RESULT_FORMATS = (
    _results("json", ox.QueryResultsFormat.JSON, ("application/json",)),
    _results("xml", ox.QueryResultsFormat.XML, ("application/xml", "text/xml")),
    _results("csv", ox.QueryResultsFormat.CSV),
    _results("tsv", ox.QueryResultsFormat.TSV),
)

GRAPH_FORMATS = (
    _graph("turtle", "TURTLE", ("application/x-turtle",)),
    _graph("ntriples", "N_TRIPLES", ("text/plain",)),
    # The one IRI not taken from pyoxigraph: 0.5 says https://www.w3.org/ns/formats/data/JSON-LD; the
    # service description has always said the one below, which the W3C's formats registry
    # (https://www.w3.org/ns/formats/) lists and other engines' descriptions use.
    _graph("jsonld", "JSON_LD", ("application/json",), iri=FORMATS_REGISTRY + "JSON-LD"),
    _graph("rdfxml", "RDF_XML", ("application/xml", "text/xml")),
    _graph("trig", "TRIG"),
    _graph("nquads", "N_QUADS"),
)

HTML = Format("html", "text/html", ("application/xhtml+xml",), "HTML", extension="html")

BY_NAME = {f.name: f for f in (*RESULT_FORMATS, *GRAPH_FORMATS, HTML)}
BY_RDF_NAME = {f.rdf_name: f for f in GRAPH_FORMATS}

# Names the `format` parameter accepts besides the short ones (and any media type): each format's file
# extension (ttl, nt, rdf, nq, srj, srx) and its name for people where that is one word (n-triples,
# json-ld, n-quads); "owl" for RDF/XML, the ontologies' habit.
_NAME_ALIASES = {
    **{f.extension: f.name for f in BY_NAME.values() if f.extension},
    **{f.label.lower(): f.name for f in BY_NAME.values() if "/" not in f.label and " " not in f.label},
    "owl": "rdfxml",
}


def parameter_names(fmt: Format) -> list[str]:
    """Every name the `format` parameter accepts for a format, its short name first."""
    return [fmt.name, *sorted(alias for alias, name in _NAME_ALIASES.items() if name == fmt.name and alias != fmt.name)]


def for_pages() -> dict[str, list[dict[str, str]]]:
    """The two families as the page script and the templates read them, each family's default first."""
    def listed(family):
        return [{"name": f.name, "mediaType": f.media_type, "label": f.label} for f in family]

    return {"results": listed(RESULT_FORMATS), "graph": listed(GRAPH_FORMATS)}


def accept_ranges(accept: str | None) -> MIMEAccept:
    """The client's media ranges, parsed by werkzeug (RFC 9110: a range with an invalid q is skipped);
    parameters other than q are dropped, as this server always did, so that `text/csv; charset=utf-8`
    still asks for CSV (werkzeug would match it only to a type with the same parameters). No header, or
    an empty one, is `*/*`."""
    if not accept or not accept.strip():
        return MIMEAccept([("*/*", 1)])
    ranges = {}  # each media range once: the first is the one werkzeug's order would match
    for value, q in parse_accept_header(accept, MIMEAccept):
        ranges.setdefault(value.split(";")[0].strip().lower(), q)
    # Matching costs each range some 5 µs per format: a header stuffed with hundreds of ranges would
    # cost tens of milliseconds. Real clients send a handful; the most specific, most wanted are kept.
    return MIMEAccept(list(ranges.items())[:_MAX_RANGES])


_MAX_RANGES = 32


def _quality(fmt: Format, ranges: MIMEAccept) -> float:
    """The q a client gives a format, from its most specific range that covers it (RFC 9110 12.5.1):
    a range naming the canonical type, then one naming an alias (the canonical type beats an alias),
    then a wildcard, which covers the canonical type only (text/* means CSV, not XML sent as text/xml)."""
    for media in (fmt.media_type, *fmt.aliases):
        index = ranges.find(media)  # werkzeug sorts the ranges most specific first
        if index >= 0 and "*" not in ranges[index][0]:
            return ranges[index][1]
    return ranges.quality(fmt.media_type)


def negotiate(accept: str | None, offered: tuple[Format, ...]) -> Format | None:
    """The offered format the client likes best; ties go to the server's order; None if none fits."""
    return best_of(accept_ranges(accept), offered)


def best_of(ranges: MIMEAccept, offered: tuple[Format, ...]) -> Format | None:
    """negotiate() with the client's ranges parsed already (accept_ranges), for more than one family.

    werkzeug's matching costs some 70 µs a negotiation (it normalises both media types for every pair it
    compares): http.choose_formats remembers the outcome by header."""
    best, best_q = None, 0.0
    for fmt in offered:
        q = _quality(fmt, ranges)
        if q > best_q:
            best, best_q = fmt, q
    return best


def by_parameter(value: str, offered: tuple[Format, ...]) -> Format | None:
    """The `format` parameter: a short name (json, ttl …) or a media type."""
    value = value.strip().lower()
    if "/" in value:
        for fmt in offered:
            if value == fmt.media_type or value in fmt.aliases:
                return fmt
        return None
    fmt = BY_NAME.get(_NAME_ALIASES.get(value, value))
    if fmt not in offered and fmt is not None and offered and offered[0].is_graph:
        # "json" and "xml" on a graph mean the graph's JSON (JSON-LD) and XML (RDF/XML).
        fmt = BY_NAME.get({"json": "jsonld", "xml": "rdfxml"}.get(fmt.name, ""))
    return fmt if fmt in offered else None
