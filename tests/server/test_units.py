"""The pure parts, without a server: the lexical guard, content negotiation, result writers."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from coalition_kg.server import formats, guard, writers
from coalition_kg.server.errors import Refused


@pytest.mark.parametrize("query, form, has_from", [
    ("SELECT * WHERE { ?s ?p ?o }", "SELECT", False),
    ("PREFIX ex: <http://example.org/select#> CONSTRUCT { ?s ?p ?o } FROM ex:g WHERE { ?s ?p ?o }", "CONSTRUCT", True),
    ("# SELECT in a comment\nASK { ?s ?p 'DESCRIBE' }", "ASK", False),
    ("describe <http://example.org/x>", "DESCRIBE", False),
])
def test_shape(query, form, has_from):
    assert guard.inspect(query) == guard.QueryShape(form, has_from)


@pytest.mark.parametrize("query", [
    "SELECT * { SERVICE <http://x/> { ?s ?p ?o } }",
    "SELECT * { sErViCe ?endpoint { ?s ?p ?o } }",
    "SELECT * { SERVIC\\u0045 <http://x/> {} }",
    "SELECT * { \\u0053ERVICE <http://x/> {} }",
    "LOAD <http://x/>",
    "INSERT DATA { <a:b> <a:b> <a:b> }",
    "ADD DEFAULT TO <http://x/>",
])
def test_refused(query):
    with pytest.raises(Refused):
        guard.inspect(query)


@pytest.mark.parametrize("query", [
    'SELECT * { ?s ?p "SERVICE" }',
    "SELECT * { ?s ?p '''LOAD\n''' }",
    "SELECT * { ?s <http://example.org/service> ?o } # SERVICE",
    "PREFIX insert: <http://example.org/> SELECT * { ?s insert:delete ?o }",
    "SELECT ?load WHERE { ?load ?p ?o }",
    'SELECT * { ?s ?p "x"@en-drop }',
])
def test_not_refused(query):
    guard.inspect(query)


@pytest.mark.parametrize("accept, expected", [
    (None, "json"),
    ("*/*", "json"),
    ("text/csv", "csv"),
    ("application/sparql-results+xml;q=0.9, application/sparql-results+json;q=0.8", "xml"),
    ("application/json", "json"),
    ("text/*", "csv"),
    ("text/html", None),
    ("text/csv;q=0, */*;q=0.1", "json"),
])
def test_negotiate_results(accept, expected):
    chosen = formats.negotiate(accept, formats.RESULT_FORMATS)
    assert (chosen.name if chosen else None) == expected


def test_negotiate_prefers_html_for_browsers():
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert formats.negotiate(accept, (formats.HTML, *formats.GRAPH_FORMATS)) is formats.HTML
    assert formats.negotiate("*/*", (formats.HTML, *formats.GRAPH_FORMATS)) is formats.HTML
    assert formats.negotiate("text/turtle", (formats.HTML, *formats.GRAPH_FORMATS)).name == "turtle"


def test_format_parameter_names():
    assert formats.by_parameter("ttl", formats.GRAPH_FORMATS).name == "turtle"
    assert formats.by_parameter("json", formats.GRAPH_FORMATS).name == "jsonld"
    assert formats.by_parameter("text/csv", formats.RESULT_FORMATS).name == "csv"
    assert formats.by_parameter("yaml", formats.RESULT_FORMATS) is None


def test_writers_cap_and_escape():
    store = ox.Store()
    for i in range(5):
        store.add(ox.Quad(ox.NamedNode(f"http://example.org/{i}"), ox.NamedNode("http://example.org/p"),
                          ox.Literal(f'a "quoted", line\n{i}', language="ar")))
    query = "SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?s"
    body, rows, truncated = writers.write_solutions(store.query(query), "json", 3)
    assert (rows, truncated) == (3, True)
    doc = json.loads(body)
    assert doc["results"]["bindings"][0]["o"] == {"type": "literal", "value": 'a "quoted", line\n0', "xml:lang": "ar"}
    parsed = ox.parse_query_results(writers.write_solutions(store.query(query), "xml", 10)[0],
                                    format=ox.QueryResultsFormat.XML)
    assert len(list(parsed)) == 5
    csv_body = writers.write_solutions(store.query(query), "csv", 10)[0].decode()
    assert '"a ""quoted"", line\n0"' in csv_body
    tsv = ox.parse_query_results(writers.write_solutions(store.query(query), "tsv", 10)[0],
                                 format=ox.QueryResultsFormat.TSV)
    assert [s["o"] for s in tsv][0] == ox.Literal('a "quoted", line\n0', language="ar")
