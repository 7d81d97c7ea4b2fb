"""SPARQL results serialized with a row cap.

pyoxigraph serializes a whole result set or nothing; a capped answer needs to stop after N rows and
know whether there were more, so SELECT results are written here. The four formats follow the W3C
specs: JSON (sparql11-results-json), XML (rdf-sparql-XMLres), CSV and TSV (sparql11-results-csv-tsv).
Graph results go through pyoxigraph's own serializers, which take any list of triples.
"""

from __future__ import annotations

import io
import json
from itertools import islice
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from coalition_kg.namespaces import XSD

XSD_STRING = XSD + "string"


def take(iterator, cap: int) -> tuple[list, bool]:
    """At most `cap` items, and whether the iterator had more."""
    items = list(islice(iterator, cap + 1))
    return items[:cap], len(items) > cap


# --- JSON -------------------------------------------------------------------------------------

def _json_term(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    # A quoted triple (RDF 1.2 / SPARQL-star), in the JSON form Jena and Oxigraph use.
    return {"type": "triple", "value": {"subject": _json_term(term.subject),
                                         "predicate": _json_term(term.predicate),
                                         "object": _json_term(term.object)}}


def _solutions_json(names: list[str], rows: list) -> bytes:
    bindings = []
    for row in rows:
        binding = {}
        for name, term in zip(names, row):
            if term is not None:
                binding[name] = _json_term(term)
        bindings.append(binding)
    doc = {"head": {"vars": names}, "results": {"bindings": bindings}}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --- XML --------------------------------------------------------------------------------------

def _xml_term(term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    return (f"<triple><subject>{_xml_term(term.subject)}</subject><predicate>{_xml_term(term.predicate)}"
            f"</predicate><object>{_xml_term(term.object)}</object></triple>")


_XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n'


def _solutions_xml(names: list[str], rows: list) -> bytes:
    out = io.StringIO()
    out.write(_XML_HEAD)
    out.write("<head>" + "".join(f"<variable name={quoteattr(n)}/>" for n in names) + "</head>\n<results>\n")
    for row in rows:
        out.write("<result>")
        for name, term in zip(names, row):
            if term is not None:
                out.write(f"<binding name={quoteattr(name)}>{_xml_term(term)}</binding>")
        out.write("</result>\n")
    out.write("</results>\n</sparql>\n")
    return out.getvalue().encode("utf-8")


# --- CSV and TSV ------------------------------------------------------------------------------

def _csv_field(term) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        value = "_:" + term.value
    elif isinstance(term, (ox.NamedNode, ox.Literal)):
        value = term.value
    else:
        value = str(term)
    if any(c in value for c in '",\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _solutions_csv(names: list[str], rows: list) -> bytes:
    lines = [",".join(_csv_field(ox.Literal(n)) for n in names)]
    lines.extend(",".join(_csv_field(term) for term in row) for row in rows)
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _solutions_tsv(names: list[str], rows: list) -> bytes:
    # TSV cells are terms in Turtle/N-Triples syntax, which is what str() of a pyoxigraph term gives.
    lines = ["\t".join("?" + n for n in names)]
    lines.extend("\t".join("" if term is None else str(term) for term in row) for row in rows)
    return ("\n".join(lines) + "\n").encode("utf-8")


_SOLUTION_WRITERS = {"json": _solutions_json, "xml": _solutions_xml, "csv": _solutions_csv, "tsv": _solutions_tsv}


def write_solutions(solutions: ox.QuerySolutions, format_name: str, cap: int) -> tuple[bytes, int, bool]:
    """(body, rows written, truncated) for a SELECT result."""
    names = [v.value for v in solutions.variables]
    rows, truncated = take(solutions, cap)
    rows = [tuple(solution) for solution in rows]
    return _SOLUTION_WRITERS[format_name](names, rows), len(rows), truncated


def write_boolean(value: bool, format_name: str) -> bytes:
    word = "true" if value else "false"
    if format_name == "json":
        return b'{"head":{},"boolean":' + word.encode() + b"}"
    if format_name == "xml":
        return (_XML_HEAD + f"<head/>\n<boolean>{word}</boolean>\n</sparql>\n").encode("utf-8")
    # CSV and TSV have no boolean form in the spec; a one-line answer is what clients of both expect.
    return (word + ("\r\n" if format_name == "csv" else "\n")).encode("utf-8")


def write_triples(triples, rdf_format: ox.RdfFormat, cap: int, prefixes: dict[str, str] | None = None) -> tuple[bytes, int, bool]:
    """(body, triples written, truncated) for a CONSTRUCT or DESCRIBE result."""
    kept, truncated = take(triples, cap)
    if rdf_format.supports_datasets:
        kept = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in kept]
    # pyoxigraph uses the prefixes where the format has them (Turtle, TriG, RDF/XML's namespaces) and
    # leaves them out where it has none.
    return ox.serialize(kept, format=rdf_format, prefixes=prefixes), len(kept), truncated
