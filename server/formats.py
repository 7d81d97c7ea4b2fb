"""The serializations the endpoint speaks and HTTP content negotiation between them.

Two families: SPARQL results (SELECT, ASK) and RDF graphs (CONSTRUCT, DESCRIBE, entity descriptions).
Each format has a short name for the `format` parameter and the file-like URLs, a canonical media type,
and other media types clients send for it. The first format of a family is its default for `*/*`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox


@dataclass(frozen=True)
class Format:
    name: str
    media_type: str
    aliases: tuple[str, ...] = ()
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


RESULT_FORMATS = (
    Format("json", "application/sparql-results+json", ("application/json",)),
    Format("xml", "application/sparql-results+xml", ("application/xml", "text/xml")),
    Format("csv", "text/csv"),
    Format("tsv", "text/tab-separated-values"),
)

GRAPH_FORMATS = (
    Format("turtle", "text/turtle", ("application/x-turtle",), "TURTLE"),
    Format("ntriples", "application/n-triples", ("text/plain",), "N_TRIPLES"),
    Format("jsonld", "application/ld+json", ("application/json",), "JSON_LD"),
    Format("rdfxml", "application/rdf+xml", ("application/xml", "text/xml"), "RDF_XML"),
    Format("trig", "application/trig", (), "TRIG"),
    Format("nquads", "application/n-quads", (), "N_QUADS"),
)

HTML = Format("html", "text/html", ("application/xhtml+xml",))

# Names the `format` parameter accepts besides the canonical ones (and any media type).
_NAME_ALIASES = {"ttl": "turtle", "nt": "ntriples", "n-triples": "ntriples", "json-ld": "jsonld",
                 "rdf": "rdfxml", "owl": "rdfxml", "nq": "nquads", "n-quads": "nquads", "srj": "json",
                 "srx": "xml"}

BY_NAME = {f.name: f for f in (*RESULT_FORMATS, *GRAPH_FORMATS, HTML)}
BY_RDF_NAME = {f.rdf_name: f for f in GRAPH_FORMATS}


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """Media ranges with their q values; malformed parts are skipped, not fatal."""
    if not header:
        return [("*/*", 1.0)]
    ranges = []
    for part in header.split(","):
        fields = part.strip().split(";")
        media = fields[0].strip().lower()
        if "/" not in media:
            continue
        q = 1.0
        for param in fields[1:]:
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        ranges.append((media, q))
    return ranges


def _quality(media_types: tuple[str, ...], ranges: list[tuple[str, float]]) -> float:
    """The q a client gives a format: from its most specific matching range (RFC 9110 12.5.1)."""
    best_specificity, best_q = -1, 0.0
    for media, q in ranges:
        for index, offered in enumerate(media_types):
            kind = offered.split("/")[0]
            if media == offered:
                specificity = 3 if index == 0 else 2  # the canonical type beats an alias
            elif media == kind + "/*" and index == 0:  # text/* means CSV, not XML sent as text/xml
                specificity = 1
            elif media == "*/*":
                specificity = 0
            else:
                continue
            if specificity > best_specificity:
                best_specificity, best_q = specificity, q
    return best_q


def negotiate(accept: str | None, offered: tuple[Format, ...]) -> Format | None:
    """The offered format the client likes best; ties go to the server's order; None if none fits."""
    ranges = parse_accept(accept)
    best, best_q = None, 0.0
    for fmt in offered:
        q = _quality((fmt.media_type, *fmt.aliases), ranges)
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
