"""The pure parts, without a server: the lexical guard, content negotiation, result writers."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from coalition_kg.graph import sparql_tokens
from coalition_kg.server import formats, guard, writers
from coalition_kg.server.errors import Refused


@pytest.mark.parametrize("query, form", [
    ("SELECT * WHERE { ?s ?p ?o }", "SELECT"),
    ("PREFIX ex: <http://example.org/select#> CONSTRUCT { ?s ?p ?o } FROM ex:g WHERE { ?s ?p ?o }", "CONSTRUCT"),
    ("# SELECT in a comment\nASK { ?s ?p 'DESCRIBE' }", "ASK"),
    ("# a comment that mentions FROM\nSELECT ?from { ?s ?p ?from }", "SELECT"),
    ("SELECT ?s\nfrom <http://example.org/g> { ?s ?p ?o }", "SELECT"),
    ("SELECT ?s\n  FROM NAMED <http://example.org/g> { GRAPH ?g { ?s ?p ?o } }", "SELECT"),
])
def test_shape(query, form):
    shape = guard.inspect(query)
    assert (shape.form, shape.lookup) == (form, False)


LOOKUPS = [
    "PREFIX schema: <http://schema.org/>\nASK { <https://w3id.org/coalition-kg/id/niamey> a schema:City }",
    "ASK { <http://x/s> ?p ?o }",
    "# one entity\nSELECT ?p ?o WHERE { <http://x/s> ?p ?o . } LIMIT 10",
    "SELECT * { <http://x/s> a <http://x/C> }",
    'PREFIX s: <http://schema.org/> SELECT ?o { s:x s:name "Niamey"@en }',
    'PREFIX s: <http://schema.org/> SELECT ?o { s:x s:name "x"^^s:Text }',
    "describe <http://example.org/x>",
]

NOT_LOOKUPS = [
    "SELECT ?o { ?s ?p ?o }",  # no constant subject: a scan of everything
    "PREFIX s: <http://schema.org/> SELECT ?o { s:x s:knows* ?o }",  # paths can reach the whole graph
    "PREFIX s: <http://schema.org/> SELECT ?o { s:x s:a/s:b ?o }",
    "SELECT ?o { <http://x/s> <http://x/p>+ ?o }",
    "SELECT ?o { <http://x/s> ^<http://x/p> ?o }",
    "SELECT ?o { <http://x/s> <http://x/p>|<http://x/q> ?o }",
    "SELECT DISTINCT ?o { <http://x/s> ?p ?o }",
    "SELECT ?o { <http://x/s> ?p ?o } ORDER BY ?o",
    "SELECT ?o { <http://x/s> ?p ?o . ?o ?q ?r }",
    "SELECT ?o { <http://x/s> ?p ?o ; ?q ?r }",
    "SELECT ?o { <http://x/s> ?p ?o , ?r }",
    "SELECT ?o { <http://x/s> ?p ?o FILTER(?o) }",
    "SELECT ?o { <http://x/s> ?p 12 }",
    "SELECT ?o FROM <http://g> { <http://x/s> ?p ?o }",
    "SELECT (COUNT(*) AS ?n) { <http://x/s> ?p ?o }",
    "DESCRIBE ?x { ?x ?p ?o }",
    "ASK { GRAPH ?g { <http://x/s> ?p ?o } }",
    "SELECT ?o { <http://x/s> ?p ?o } LIMIT",
    "SELECT ?o { <http://x/s> ?p ?o } GROUP BY ?o",
    "BASE <http://x/> SELECT ?o { <s> ?p ?o }",
]


@pytest.mark.parametrize("query", LOOKUPS)
def test_one_subject_lookups(query):
    assert guard.inspect(query).lookup


@pytest.mark.parametrize("query", NOT_LOOKUPS)
def test_not_lookups(query):
    assert not guard.inspect(query).lookup


def test_the_whole_text_checks_see_every_keyword_the_token_scan_finds():
    """inspect() checks the words of a query only for what a search of the whole text finds in it (in
    any case, glued to anything); wherever a token holds such a keyword, that search must see it."""
    keywords = sorted({*guard.UPDATE_KEYWORDS, "SERVICE"})
    contexts = ["{k} <http://x/>", "SELECT * {{ ?s ?p 1{k} <http://x/> {{}} }}", "SELECT * {{}}\n{k}",
                "SELECT * {{ ?s ?p ?o }}.{k}", "SELECT * {{ <http://x/>{k} }}", 'SELECT * {{ "x"{k} }}',
                "SELECT * {{ ?s ?p ?o }} #c\n{k}", "SELECT *({k})", "SELECT * {{ ?s ?p ?o }}-{k}",
                "SELECT * {{ ?s ?p 'x'@en {k} }}", "SELECT * {{ ?s ?p true{k}<http://x/>{{}} }}"]
    for keyword in keywords:
        for spelling in (keyword, keyword.lower(), keyword.title()):
            for context in contexts:
                query = context.format(k=spelling)
                runs = [token.upper() for kind, token, _ in sparql_tokens.tokens(query) if kind == "run"]
                assert any(keyword in run for run in runs), query
                assert (guard.SERVICE_WORD if keyword == "SERVICE" else guard._KEYWORDS).search(query), query


@pytest.mark.parametrize("query", [
    "SELECT * { SERVICE <http://x/> { ?s ?p ?o } }",
    "SELECT * { sErViCe ?endpoint { ?s ?p ?o } }",
    "SELECT * { SERVIC\\u0045 <http://x/> {} }",  # Oxigraph would not parse it; SPARQL 1.1 would
    "SELECT * { \\u0053ERVICE <http://x/> {} }",
    # The three shapes the red-team pass found past the old token scanner:
    "PREFIX : <http://127.0.0.1:8119/a> SELECT * { SERVICE:{ ?s ?p ?o } }",
    "PREFIX ex: <http://e/> SELECT * { VALUES ?v { ex:a\\#b } SERVICE <http://x/> { ?x ?y ?z } }",
    'SELECT * { BIND("x\\u0022" AS ?a) SERVICE <http://x/> { } BIND("\\u0022y" AS ?b) }',
    # Keywords glued to what precedes or follows them, as Oxigraph's parser accepts them:
    "SELECT * { SERVICESILENT<http://x/>{} }",
    "SELECT * { ?s ?p true SERVICE<http://x/>{} }",
    "SELECT * { ?s ?p 1SERVICE<http://x/>{} }",
    # `<` read as less-than, hiding the rest of the line as a comment from a naive IRI reading:
    "BASE <http://x/> SELECT * { FILTER(1<2)SERVICE<http://x/>#>\n{} }",
    "SELECT * { FILTER((?a)<?b)SERVICE?x#>\n{} }",
    "PREFIX sd: <http://www.w3.org/ns/sparql-service-description#> SELECT * { ?s a sd:Service }",
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
    "SELECT * { ?s a <http://www.w3.org/ns/sparql-service-description#Service> }",
    "SELECT ?service { ?service ?p ?o FILTER(?p = <http://www.w3.org/ns/sparql-service-description#endpoint>) }",
    "SELECT * { ?s ?p ?o FILTER(?o < 3 && ?o > <http://x/a#b>) }",
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


def test_the_early_stop_agrees_with_a_scan_of_every_token():
    """inspect() stops reading when nothing is left to find; on every query of the project, and on each
    with a long tail of brackets and words added, the shape is the one a scan of every token gives."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    texts = [p.read_text(encoding="utf-8") for folder in ("queries", "benchmarks/queries", "tests/server/queries")
             for p in sorted((root / folder).glob("*.rq"))]
    texts += LOOKUPS + NOT_LOOKUPS
    assert len(texts) > 40
    for text in texts:
        every = _every_token_shape(text)
        assert guard.inspect_all(text) == every, text
        assert guard.inspect_all(text + "\n# tail\n") == every, text


def _every_token_shape(text: str) -> guard.QueryShape:
    """The shape by the plainest reading: every token, nothing skipped."""
    found = [(kind, token) for kind, token, _ in sparql_tokens.tokens(text)]
    runs = [token.upper() for kind, token in found if kind == "run"]
    form = next((run for run in runs if run in guard.QUERY_FORMS), None)
    head = [(guard._word_kind(kind, token), token) for kind, token in found]
    lookup = len(head) <= guard.LOOKUP_TOKENS and guard.is_subject_lookup(head) and guard._plain_for_lookup(text)
    return guard.QueryShape(form, lookup)
