"""The remote backend's own parts, without a real engine: substitutions written as VALUES (the same answers
as pyoxigraph's substitutions, on every query the server sends), the outline of a query, Virtuoso's
rewrites (evaluated here on Oxigraph, they give Oxigraph's own answer back once restored) and refusals,
and a fake engine on loopback for what a real one does not do on demand (a 200 whose body is cut, an
answer slower than the time limit)."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

import engines
from conftest import REPO
from coalition_kg.graph import publish, query_outline, saved_queries
from coalition_kg.server import sparql_text, virtuoso
from coalition_kg.server.app import create_app
from coalition_kg.server.errors import NotAnsweredHere
from coalition_kg.server.settings import Settings

ID = "https://w3id.org/coalition-kg/id/"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SERVER_QUERIES = sorted((REPO / "server" / "sparql").glob("*.rq"))
SAVED = saved_queries.load_all(REPO / "queries")
# What the server's own queries are given: a resource (entity, article, statement) or a graph.
BOUND = {"resource": [ID + "morocco", ID + "marrakesh-ministerial-2022", ID + "nasser-bourita",
                      "https://w3id.org/coalition-kg/article/001_eef99b9cc9c1a199",
                      "https://w3id.org/coalition-kg/article/001_eef99b9cc9c1a199/R6"],
         "graph": ["https://w3id.org/coalition-kg/graph/ontology", "https://w3id.org/coalition-kg/graph/curation"]}
_SEPARATOR = re.compile(r'separator\s*=\s*"((?:[^"\\]|\\.)*)"\)\s+AS\s+\?(\w+)', re.IGNORECASE)


def _rows(results, text: str) -> list:
    """Any answer in one comparable form: rows (or triples) sorted, each GROUP_CONCAT's parts sorted (SPARQL
    leaves both orders open, and a VALUES join may give another order than a substitution)."""
    if isinstance(results, ox.QueryBoolean):
        return [bool(results)]
    if not isinstance(results, ox.QuerySolutions):
        return sorted(str(triple) for triple in results)
    separators = {column: sparql_text.unescape(separator) for separator, column in _SEPARATOR.findall(text)}
    names = [v.value for v in results.variables]
    rows = []
    for solution in results:
        row = []
        for name in names:
            term = solution[name]
            if name in separators and isinstance(term, ox.Literal):
                parts = sorted(term.value.split(separators[name]))
                row.append((separators[name].join(parts), term.language or term.datatype.value))
            else:
                row.append(str(term))
        rows.append(tuple(row))
    return sorted(rows)


def _cases():
    for path in SERVER_QUERIES:
        text = path.read_text(encoding="utf-8")
        for variable, values in BOUND.items():
            if f"?{variable}" in text:
                for value in values:
                    yield pytest.param(text, {variable: ox.NamedNode(value)}, id=f"{path.stem}-{value.rsplit('/', 1)[-1]}")
    for name, saved in sorted(SAVED.items()):
        text, substitutions = saved.bound({})
        if substitutions:
            yield pytest.param(text, {v.value: t for v, t in substitutions.items()}, id=name)


@pytest.mark.parametrize(("text", "bindings"), list(_cases()))
def test_values_give_the_substitutions_answer(graph_store, text, bindings):
    expected = _rows(graph_store.query(text, substitutions={ox.Variable(k): v for k, v in bindings.items()}), text)
    sent = query_outline.with_values(text, bindings)
    assert sent != text and sent.count("VALUES (") >= 1
    assert _rows(graph_store.query(sent), text) == expected


def test_each_query_has_a_case_with_rows(graph_store):
    """Else the comparisons above would prove nothing for it."""
    empty = {text for text, bindings in (case.values for case in _cases())}
    for case in _cases():
        text, bindings = case.values
        if _rows(graph_store.query(text, substitutions={ox.Variable(k): v for k, v in bindings.items()}), text):
            empty.discard(text)
    assert not empty


def test_values_reach_a_subquery_that_cuts_its_answer(graph_store):
    """graph-preview.rq keeps 200 triples of a graph in a subquery (LIMIT): a VALUES row joined only after
    it would keep the ontology's triples among any 200 of all graphs."""
    text = (REPO / "server" / "sparql" / "graph-preview.rq").read_text(encoding="utf-8")
    sent = query_outline.with_values(text, {"graph": ox.NamedNode(publish.GRAPH + "ontology")})
    assert sent.count("VALUES (?graph) { (<https://w3id.org/coalition-kg/graph/ontology>) }") == 2
    assert len(list(graph_store.query(sent))) == 200


def test_the_outline_reads_tokens_not_characters():
    text = ('PREFIX x: <http://e/{}> # a comment { with a brace\nCONSTRUCT { ?s x:p "}{" } FROM <http://g> '
            'WHERE { ?s ?p ?o }')
    outline = query_outline.outline(text)
    assert (outline.form, outline.has_dataset, outline.short_construct) == ("CONSTRUCT", True, False)
    assert text[outline.where:] == "{ ?s ?p ?o }"
    assert query_outline.outline("CONSTRUCT WHERE { ?s ?p ?o }").short_construct
    with pytest.raises(ValueError, match="short form"):
        query_outline.with_values("CONSTRUCT WHERE { ?s ?p ?o }", {"s": ox.NamedNode(ID + "morocco")})
    assert query_outline.outline("ASK { ?s ?p ?o }").where == 4 and query_outline.outline("DESCRIBE <http://e/x>").where is None


# --- Virtuoso's rewrites: the rewritten query, evaluated by Oxigraph and restored, is the original's answer ---

GROUP_CONCATS = """PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT ?k (GROUP_CONCAT(?x; separator=" … ") AS ?all) (GROUP_CONCAT(DISTINCT ?x; separator=", ") AS ?distinct)
       (GROUP_CONCAT(CONCAT(STR(?x), ":", STR(?y))) AS ?pairs)
WHERE { VALUES (?k ?x ?y) { (1 UNDEF 1) (2 "a"@en 1) (2 "b"@en 1) (2 "a"@en UNDEF) (3 "c"@en 1) (3 "d" 1) (4 1 1) (4 "e" 1)
                           (5 <http://e/x> 1) (6 "f"^^xsd:string 1) (6 "g"@ar 1) (7 "h"@en-GB 1) (7 "i"@en-gb 1) } }
GROUP BY ?k ORDER BY ?k"""
IN_A_UNION = """SELECT ?k ?all WHERE { { SELECT ?k (GROUP_CONCAT(?x; separator=" … ") AS ?all) WHERE {
  VALUES (?k ?x) { (1 "a"@en) (1 "b"@en) (2 UNDEF) } } GROUP BY ?k } UNION { BIND(3 AS ?k) } }"""
BOOLEANS = """SELECT ?x (EXISTS { VALUES ?y { 1 } FILTER(?y = ?x) } AS ?one) (?x > 1 AS ?big) (?x + 1 AS ?next)
WHERE { VALUES ?x { 1 2 } BIND(!BOUND(?nothing) AS ?unbound) }"""


VALUES_ALONE_IN_A_UNION = """SELECT ?s ?n WHERE { { ?s a <https://w3id.org/coalition-kg/ontology#Meeting> }
  UNION { VALUES (?s ?n) { (<https://w3id.org/coalition-kg/id/morocco> 1) (UNDEF 2) } } }"""


@pytest.mark.parametrize("text", [GROUP_CONCATS, IN_A_UNION, BOOLEANS, VALUES_ALONE_IN_A_UNION, *(SAVED[name].text for name in (
    "claims", "entity-facts", "repatriations", "who-spoke-for-whom")), *(
    (REPO / "server" / "sparql" / f"{name}.rq").read_text(encoding="utf-8") for name in ("ontology-terms",))])
def test_a_rewrite_restored_is_the_answer_oxigraph_gives(graph_store, text):
    sent, restore = virtuoso.rewrite(text)
    assert sent != text
    restored = virtuoso.restore(json.loads(graph_store.query(sent).serialize(format=ox.QueryResultsFormat.JSON)), restore)
    expected = json.loads(graph_store.query(text).serialize(format=ox.QueryResultsFormat.JSON))
    if "ORDER BY" not in text.upper():  # rows in any order (Oxigraph's own order of groups varies from run to run)
        for answer in (restored, expected):
            answer["results"]["bindings"].sort(key=lambda row: json.dumps(row, sort_keys=True))
    assert restored == expected


ORDERED = {**{name: saved.text for name, saved in SAVED.items()},
           **{path.stem: path.read_text(encoding="utf-8") for path in SERVER_QUERIES
              if "ORDER BY" in path.read_text(encoding="utf-8")},
           # ordered by what it does not project, made distinct after, then cut
           "unprojected": f"""PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?kind WHERE {{ ?e a ?kind ; rdfs:label ?l FILTER(lang(?l) = "ar") }}
ORDER BY DESC(STRLEN(STR(?l))) ?l ?kind OFFSET 2 LIMIT 5""",
           # a projected EXISTS holds a group, which does not end the projection
           "exists projected": """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX ckg: <https://w3id.org/coalition-kg/ontology#>
SELECT ?m (IF(EXISTS { ?m <http://schema.org/location> ?where }, "located", "nowhere") AS ?place) WHERE {
  ?m a ckg:Meeting ; rdfs:label ?l FILTER(lang(?l) = "ar") } GROUP BY ?m ?l ORDER BY ?place ?l""",
           # ordered by aggregates it does not project (made columns of their own), then cut
           "aggregates": """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?e WHERE { ?e rdfs:label ?l } GROUP BY ?e ORDER BY DESC(COUNT(?l)) (MAX(STR(?l))) ?e LIMIT 12""",
           "cut": """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?e (SAMPLE(?l) AS ?label) WHERE { ?e rdfs:label ?l FILTER(lang(?l) = "ar") } GROUP BY ?e
ORDER BY ?label ?e LIMIT 7 OFFSET 3"""}


@pytest.mark.parametrize("name", sorted(ORDERED))
def test_an_answer_put_in_order_here_is_in_the_local_order(graph_store, name):
    """Virtuoso orders literals otherwise than by their values (Arabic text in the order the store took it
    in): a query's ORDER BY, LIMIT and OFFSET are applied here, by Oxigraph, from any order the engine
    gives, as the local store applies them."""
    text = ORDERED[name]
    # bound as the server binds it, to the first resource or graph it says much of
    values = next((values for variable in BOUND if f"?{variable}" in text for values in
                   (f"VALUES ?{variable} {{ <{iri}> }}" for iri in BOUND[variable])
                   if len(list(graph_store.query(text + "\n" + values))) >= 4), "")
    sent, restore = virtuoso.rewrite(text + "\n" + values)
    assert restore.ordering is not None and restore.ordering.order_by.startswith("ORDER BY")
    assert restore.ordering.order_by not in sent  # nor the query's own LIMIT and OFFSET
    assert re.search(r"\}\s*(LIMIT|OFFSET)\s+\d+\s*$", sent.split("VALUES")[0].rstrip()) is None
    answer = json.loads(graph_store.query(sent).serialize(format=ox.QueryResultsFormat.JSON))
    answer["results"]["bindings"].reverse()  # as if the engine had ordered them otherwise
    expected = json.loads(graph_store.query(text + "\n" + values).serialize(format=ox.QueryResultsFormat.JSON))
    restored = virtuoso.restore(answer, restore)
    assert len(expected["results"]["bindings"]) >= 4
    assert restored["head"] == expected["head"]
    # The same rows, in the same order of what ORDER BY names and the query projects (rows it ties stay
    # in any order, as SPARQL says)
    keys = [key for key in re.findall(r"\?(\w+)", restore.ordering.order_by) if key in expected["head"]["vars"]]
    keys = keys or expected["head"]["vars"]  # ordered by none of its columns: the rows themselves
    assert [[row.get(k) for k in keys] for row in restored["results"]["bindings"]] == \
        [[row.get(k) for k in keys] for row in expected["results"]["bindings"]]
    assert _rows(restored, text) == _rows(expected, text)


def test_what_the_order_needs_is_projected_and_taken_away_again():
    sent, restore = virtuoso.rewrite(SAVED["attendance"].text)
    assert restore.ordering.added == ["start"] and restore.distinct
    assert re.search(r"\?capacity_ar \?words \?article\s+\?start\s+WHERE", sent)
    rows = [{"m": {"type": "literal", "value": m}, "start": {"type": "literal", "value": start}}
            for m, start in [("b", "2"), ("a", "3"), ("b", "1"), ("a", "4")]]
    restored = virtuoso.restore({"head": {"vars": ["m", "start"]}, "results": {"bindings": rows}}, restore)
    assert restored["head"]["vars"] == ["m"]  # ordered by ?start, then one row for each ?m: b (1), then a (3)
    assert [row["m"]["value"] for row in restored["results"]["bindings"]] == ["b", "a"]


def test_virtuoso_s_rewrites_keep_the_separator_out_of_the_query():
    sent, restore = virtuoso.rewrite(SAVED["entity-facts"].text)
    assert " … " not in sent.split("WHERE", 1)[0] and restore.separators == {"~ckg-sep-0~": " … "}
    assert restore.columns == ["words", "sentence"] and "?ckg_words_tags" in sent
    assert virtuoso.restore({"results": {"bindings": [{"b": {"type": "typed-literal", "value": "1",
                                                            "datatype": virtuoso.XSD_BOOLEAN}}]}},
                            virtuoso.Restore()) == \
        {"results": {"bindings": [{"b": {"type": "typed-literal", "value": "true", "datatype": virtuoso.XSD_BOOLEAN}}]}}


@pytest.mark.parametrize(("text", "refusal"), [
    ("""SELECT ?e ?l ?c WHERE { { SELECT ?e (SAMPLE(?x) AS ?city) WHERE { ?e ?p ?x } GROUP BY ?e }
        OPTIONAL { ?city ?label ?l OPTIONAL { ?city ?in ?c } } }""",
     r"an OPTIONAL that holds another OPTIONAL and joins on \?city"),
    ("SELECT * WHERE { { ?s ?p ?o } UNION { ?o ?p ?s } OPTIONAL { ?s ?q ?x FILTER NOT EXISTS { ?x a ?t } } }",
     r"an OPTIONAL holding a FILTER \(NOT\) EXISTS, in a query with a UNION"),
    ('SELECT (STRLEN(GROUP_CONCAT(?x)) AS ?n) WHERE { VALUES ?x { "a" } }', "GROUP_CONCAT inside a larger expression"),
    ('SELECT ?all WHERE { { SELECT (GROUP_CONCAT(?x) AS ?all) WHERE { VALUES ?x { "a" } } } FILTER(?all != "") }',
     r"\?all is a GROUP_CONCAT or a boolean"),
    ('SELECT (GROUP_CONCAT(?x; separator="…") AS ?all) WHERE { VALUES ?x { "a" } } ORDER BY ?all',
     r"\?all is a GROUP_CONCAT or a boolean"),
    ('SELECT (COALESCE(?x > 1, false) AS ?big) WHERE { VALUES ?x { 1 } }', "a boolean value inside COALESCE"),
    ('SELECT ("~ckg-gc~" AS ?x) WHERE {}', "markers"),
    ('SELECT DISTINCT (GROUP_CONCAT(?x) AS ?all) WHERE { VALUES (?k ?x) { (1 "a") (2 "a") } } GROUP BY ?k LIMIT 1',
     "SELECT DISTINCT of a GROUP_CONCAT with a LIMIT or OFFSET"),
    ('SELECT ?e WHERE { { SELECT ?e WHERE { ?e ?p ?l } ORDER BY ?l LIMIT 3 } }',
     "an ORDER BY in a subquery with a LIMIT or OFFSET"),
    ('SELECT ?e WHERE { ?e ?p ?l } ORDER BY (EXISTS { ?e a ?t }) ?e', r"ORDER BY an expression with a graph pattern \(EXISTS\)"),
    ('SELECT ?e WHERE { ?e ?p ?l } GROUP BY ?e ORDER BY ?l', r"ORDER BY \?l, which this grouped query does not"),
    ('CONSTRUCT { ?e ?p ?l } WHERE { ?e ?p ?l } ORDER BY ?l LIMIT 3', "ORDER BY with a LIMIT or OFFSET in a CONSTRUCT"),
])
def test_what_virtuoso_would_answer_wrong_is_refused(text, refusal):
    with pytest.raises(NotAnsweredHere, match=refusal):
        virtuoso.rewrite(text)


def test_every_other_query_goes_to_virtuoso_as_it_is_or_rewritten():
    refused = set()
    for name, saved in SAVED.items():
        try:
            virtuoso.rewrite(saved.text)
        except NotAnsweredHere:
            refused.add(name)
    assert not refused


# --- a fake engine: answers the metadata query properly, and every other query as the test says -----------


def _app(engine: FakeEngine, tmp_path: Path, **settings):
    config = Settings(var=tmp_path, queries=REPO / "queries", backend_url=engine.url, backend_engine="oxigraph",
                      **settings)
    return create_app(config)


def test_a_cut_answer_is_an_error_and_is_never_kept(tmp_path):
    """Oxigraph's server sends a 200 before it evaluates; a query it cancels midway ends the body early."""
    engine = engines.FakeEngine(lambda: b'{"head":{"vars":["s"]},"results":{"bindings":[{"s":{"type":"uri","value":"http://e/1"}},')
    try:
        client = _app(engine, tmp_path).test_client()
        for _ in range(2):
            response = client.get("/sparql", query_string={"query": "SELECT ?s WHERE { ?s ?p ?o }"},
                                  headers={"Accept": "application/sparql-results+json"})
            assert response.status_code == 503
            assert "is not complete SPARQL JSON results" in response.text
        assert len(engine.queries) == 2  # asked again: the first, incomplete, was not kept
        assert engine.queries[0] == "SELECT ?s WHERE { ?s ?p ?o }"
    finally:
        engine.close()


def test_a_connection_closed_before_the_end_is_an_error(tmp_path):
    engine = engines.FakeEngine(lambda: b'{"head":{"vars":["s"]},"results":{"bindings":[]}}', declared_length=10_000)
    try:
        response = _app(engine, tmp_path).test_client().get(
            "/sparql", query_string={"query": "SELECT ?s WHERE { ?s ?p ?o }"}, headers={"Accept": "application/sparql-results+json"})
        assert response.status_code == 503 and "answer is not whole" in response.text
    finally:
        engine.close()


# Three triples as the seed build has them: Arabic and English labels, a date.
TRIPLES = [ox.Triple(ox.NamedNode(ID + "morocco"), ox.NamedNode(RDFS_LABEL), ox.Literal("المغرب", language="ar")),
           ox.Triple(ox.NamedNode(ID + "niger"), ox.NamedNode(RDFS_LABEL), ox.Literal("Niger", language="en")),
           ox.Triple(ox.NamedNode(ID + "marrakesh-ministerial-2022"), ox.NamedNode("http://schema.org/startDate"),
                     ox.Literal("2022-05-11", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")))]
CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
GRAPH_TYPES = {ox.RdfFormat.N_TRIPLES: "application/n-triples", ox.RdfFormat.TURTLE: "text/turtle",
               ox.RdfFormat.RDF_XML: "application/rdf+xml", ox.RdfFormat.JSON_LD: "application/ld+json"}


def _cut_cleanly(rdf_format) -> bytes:
    """The three triples as the engine would write them, ended cleanly after the second: at a line break,
    after an element closed, after an object."""
    whole = ox.serialize(TRIPLES, format=rdf_format)
    if rdf_format == ox.RdfFormat.RDF_XML:
        return whole[:whole.rindex(b"\t<rdf:Description")]
    if rdf_format == ox.RdfFormat.JSON_LD:
        return whole[:whole.rindex(b',{"@id"')]
    return b"".join(whole.splitlines(keepends=True)[:2])


@pytest.mark.parametrize("rdf_format", list(GRAPH_TYPES), ids=lambda f: f.name)
def test_triples_ended_cleanly_before_their_end_are_an_error_and_never_kept(tmp_path, rdf_format):
    """A 200 streamed in chunks (no declared length) whose last chunk comes early, at a clean place: the
    parsers take every such cut but JSON-LD's, so a format without an end mark is not taken without a length."""
    cut = _cut_cleanly(rdf_format)
    if rdf_format == ox.RdfFormat.JSON_LD:
        with pytest.raises(SyntaxError):
            list(ox.parse(cut, rdf_format))
    else:  # read alone, the cut passes as two whole triples
        assert len(list(ox.parse(cut, rdf_format))) == 2
    engine = engines.FakeEngine(lambda: cut, content_type=GRAPH_TYPES[rdf_format], chunked=True)
    try:
        client = _app(engine, tmp_path).test_client()
        for _ in range(2):
            response = client.get("/sparql", query_string={"query": CONSTRUCT}, headers={"Accept": "application/n-triples"})
            assert response.status_code == 503
            assert ("not complete JSON-LD" if rdf_format == ox.RdfFormat.JSON_LD else
                    f"sent its triples as {rdf_format.name}, which has no end mark, and did not declare") in response.text
        assert engine.queries == [CONSTRUCT, CONSTRUCT]  # asked again: the first, incomplete, was not kept
        assert engine.accepts[0] == "application/ld+json"  # what Oxigraph's server is asked for
    finally:
        engine.close()


@pytest.mark.parametrize("rdf_format", list(GRAPH_TYPES), ids=lambda f: f.name)
def test_whole_triples_are_the_answer_in_whatever_format_they_come(tmp_path, rdf_format):
    """JSON-LD ends with its bracket, so it may be streamed; the others come with their length."""
    streamed = rdf_format == ox.RdfFormat.JSON_LD
    engine = engines.FakeEngine(lambda: ox.serialize(TRIPLES, format=rdf_format), content_type=GRAPH_TYPES[rdf_format],
                        chunked=streamed, exact_length=not streamed)
    try:
        response = _app(engine, tmp_path).test_client().get(
            "/sparql", query_string={"query": CONSTRUCT}, headers={"Accept": "application/n-triples"})
        assert response.status_code == 200, response.text
        assert {quad.triple for quad in ox.parse(response.data, ox.RdfFormat.N_TRIPLES)} == set(TRIPLES)
    finally:
        engine.close()


def test_triples_in_a_format_not_read_here_are_an_error(tmp_path):
    engine = engines.FakeEngine(lambda: b"<html></html>", content_type="text/html", exact_length=True)
    try:
        response = _app(engine, tmp_path).test_client().get(
            "/sparql", query_string={"query": CONSTRUCT}, headers={"Accept": "application/n-triples"})
        assert response.status_code == 503 and "in a format not read here: text/html" in response.text
    finally:
        engine.close()


def test_the_query_is_checked_here_without_being_evaluated(tmp_path):
    """The check before sending (pyoxigraph's syntax verdict) evaluates nothing: an ASK whose local
    evaluation would take hours (four VALUES of 200 in a cross product) is checked at once and sent; a
    function pyoxigraph does not know (Virtuoso's bif:file_to_string) is refused and never sent."""
    engine = engines.FakeEngine(lambda: b'{"head":{},"boolean":false}')
    values = " ".join(str(n) for n in range(200))
    ask = "ASK { " + " ".join(f"VALUES ?{v} {{ {values} }}" for v in "abcd") + " FILTER(?a + ?b + ?c + ?d < 0) }"
    answers = []
    try:
        client = _app(engine, tmp_path).test_client()
        asking = threading.Thread(target=lambda: answers.append(client.post(
            "/sparql", data=ask, headers={"Content-Type": "application/sparql-query",
                                          "Accept": "application/sparql-results+json"})))
        asking.start()
        asking.join(120)  # evaluated here, it would still run in an hour
        assert not asking.is_alive() and answers[0].status_code == 200 and answers[0].json["boolean"] is False
        assert engine.queries == [ask]
        refused = client.get("/sparql", query_string={
            "query": 'SELECT * WHERE { BIND(<bif:file_to_string>("/etc/passwd") AS ?x) }'})
        assert refused.status_code == 400 and "custom function <bif:file_to_string> is not supported" in refused.text
        assert engine.queries == [ask]  # never sent
    finally:
        engine.close()


def _slowly():
    time.sleep(8)
    return b'{"head":{"vars":[]},"results":{"bindings":[]}}'


def _trickle():
    """A byte every tenth of a second: each wait on the socket is short, the whole is not."""
    for byte in b'{"head":{"vars":["s"]},"results":{"bindings":[' + b" " * 100 + b"]}}":
        time.sleep(0.1)
        yield bytes([byte])


@pytest.mark.parametrize("answer", [_slowly, _trickle])  # 8 s before the first byte; 15 s, a byte at a time
def test_an_answer_slower_than_the_time_limit_is_a_timeout(tmp_path, answer):
    engine = engines.FakeEngine(answer)
    try:
        client = _app(engine, tmp_path, query_timeout=1.0).test_client()
        started = time.monotonic()
        response = client.get("/sparql", query_string={"query": "SELECT ?s WHERE { ?s ?p ?o }"},
                              headers={"Accept": "application/sparql-results+json"})
        assert response.status_code == 503 and "did not answer within the time limit of 1 s" in response.text
        assert time.monotonic() - started < 7  # the limit and some, not the engine's 8 or 15 s
    finally:
        engine.close()


def test_search_needs_the_build_folder_of_the_published_build(tmp_path):
    engine = engines.FakeEngine(lambda: b"")
    try:
        response = _app(engine, tmp_path).test_client().get("/search", query_string={"q": "morocco", "format": "json"})
        assert response.status_code == 503
        assert "build fa4eb01d00000000 has no build folder on this machine" in response.text
    finally:
        engine.close()



def test_serve_says_which_flags_go_together(tmp_path):
    from dataclasses import replace

    from coalition_kg.server import serve

    settings = Settings(var=tmp_path, queries=REPO / "queries")
    assert serve.check_settings(replace(settings, backend_url="http://127.0.0.1:9", backend_engine="oxigraph")) is None
    assert serve.check_settings(replace(settings, backend_url="http://127.0.0.1:9", backend_engine="sparql11")) == \
        "--engine sparql11 takes --query-url (and not --backend)"
    assert serve.check_settings(replace(settings, backend_query_url="http://127.0.0.1:9/q")) == \
        "--query-url is for --engine sparql11; --engine oxigraph takes --backend URL"
    # An engine named without its address would serve the local store, as if no engine had been named.
    assert serve.check_settings(replace(settings, backend_engine="virtuoso")) == \
        "--engine virtuoso needs --backend URL: the engine's address"
    assert serve.check_settings(replace(settings, backend_engine="sparql11")) == \
        "--engine sparql11 needs --query-url: the engine's SPARQL query endpoint"
    assert serve.check_settings(settings) is None  # the local store
