"""The pipeline's and the store's own SPARQL lives in graph/sparql/*.rq, read by
graph/internal_queries.py; none is written inline in graph/ but the queries made from the shapes."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pyoxigraph as ox
import pytest

from coalition_kg.graph import internal_queries, query_outline, sparql_http
from coalition_kg.graph.internal_queries import SPARQL_DIR, internal_query

ROOT = Path(__file__).resolve().parent.parent
NAMES = sorted(path.stem for path in SPARQL_DIR.glob("*.rq"))
# graph/'s queries are read in graph/, and one in server/backend.py (a named graph's triples, for either backend)
GRAPH_CODE = sorted((ROOT / "graph").glob("*.py")) + [ROOT / "server" / "backend.py"]
_CALLED = re.compile(r"internal_query\(\"([\w-]+)\"\)")
# A SPARQL query form followed, on its line, by a variable or a group: SQLite's SELECTs have neither.
_INLINE = re.compile(r"[\"'][^\"'\n]*\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b[^\"'\n]*(\?[A-Za-z_]|\{)")
# validation.py translates each constraint of the shapes into a query: those texts are made, not written.
GENERATED = {"validation.py"}
_UPDATE = re.compile(r"^(DELETE|INSERT)\b", re.MULTILINE)


def test_every_query_file_is_read_and_every_name_read_has_its_file():
    called = {name for path in GRAPH_CODE for name in _CALLED.findall(path.read_text(encoding="utf-8"))}
    assert called == set(NAMES)
    assert {"search-named-labels", "count-per-graph", "published-build", "count-graph"} <= called


@pytest.mark.parametrize("name", NAMES)
def test_every_query_file_parses(name):
    text = internal_query(name)
    if "?graph" in text and "count" in name:  # bound as a remote engine gets it
        text = query_outline.with_values(text, {"graph": ox.NamedNode("https://w3id.org/coalition-kg/graph/x")})
    substitutions = {ox.Variable("base"): ox.Literal("x")} if "?base" in text else None
    if _UPDATE.search(text):  # an update (the publish lock's renewal), applied to an empty store
        ox.Store().update(text)
    else:
        ox.Store().query(text, substitutions=substitutions)  # raises SyntaxError if it does not parse


def test_a_renewal_rewrites_the_time_of_its_own_lock_only_while_it_is_there():
    from coalition_kg.graph import publish

    store = ox.Store()
    locks, renewed = ox.NamedNode(publish.LOCKS), ox.NamedNode(publish.MODIFIED)
    ours, other = (ox.NamedNode(f"{publish.LOCKS}/0123456789abcdef-{n}-00000000") for n in (1, 2))
    then = ox.Literal("2026-01-01T00:00:00Z", datatype=ox.NamedNode(publish.XSD_DATETIME))
    now = ox.Literal("2026-01-01T00:10:00Z", datatype=ox.NamedNode(publish.XSD_DATETIME))
    for lock in (ours, other):
        store.add(ox.Quad(lock, ox.NamedNode(publish.CREATED), then, locks))
        store.add(ox.Quad(lock, renewed, then, locks))
    renewal = query_outline.with_values(internal_query("renew-publish-lock"), {"lock": ours, "now": now})
    store.update(renewal)
    assert {(q.subject, q.object) for q in store.quads_for_pattern(None, renewed, None, locks)} == {(ours, now), (other, then)}
    store.update(f"DELETE WHERE {{ GRAPH <{publish.LOCKS}> {{ <{ours.value}> ?p ?o }} }}")  # given back, or expired
    store.update(renewal)
    assert {q.subject for q in store.quads_for_pattern(None, None, None, locks)} == {other}  # not written again


def test_no_sparql_is_written_inline_in_the_pipeline():
    inline = [f"{path.name}: {match.group(0)}" for path in GRAPH_CODE if path.name not in GENERATED
              for match in _INLINE.finditer(path.read_text(encoding="utf-8"))]
    assert inline == []


def test_with_values_binds_as_a_substitution_does():
    store = ox.Store()
    graph = ox.NamedNode("https://w3id.org/coalition-kg/graph/a")
    for n in range(3):
        store.add(ox.Quad(ox.NamedNode(f"https://example.org/{n}"), ox.NamedNode("https://example.org/p"), ox.Literal(n), graph))
    store.add(ox.Quad(ox.NamedNode("https://example.org/x"), ox.NamedNode("https://example.org/p"), ox.Literal("x"),
                      ox.NamedNode("https://w3id.org/coalition-kg/graph/b")))
    text = query_outline.with_values(internal_query("count-graph"), {"graph": graph})
    assert "VALUES (?graph) { (<https://w3id.org/coalition-kg/graph/a>) }" in text
    assert [row["n"].value for row in store.query(text)] == ["3"]
    literal = query_outline.with_values("SELECT ?s WHERE { ?s ?p ?o }", {"o": ox.Literal('1" } ?s ?p ?o . {')})
    assert [row["s"] for row in store.query(literal)] == []  # the quote is escaped: the literal stays a literal
    with pytest.raises(ValueError):  # no WHERE group to bind in
        query_outline.with_values("DESCRIBE <https://example.org/x>", {"o": graph})


def test_the_pipelines_count_gets_its_values_where_it_always_did():
    """Client.count once bound ?graph with a regex of its own, just after the first `WHERE {` outside a
    comment; the one token-based with_values, the server's too, puts the row in the same place."""
    sent = []

    class Recording(sparql_http.Client):
        def select(self, query):
            sent.append(query)
            return [{"n": {"type": "literal", "value": "3"}}]

    client = Recording(sparql_http.Endpoints("http://127.0.0.1:9/q", "http://127.0.0.1:9/u", "http://127.0.0.1:9/g"))
    assert client.count("https://w3id.org/coalition-kg/graph/a") == 3
    text = internal_query("count-graph")
    values = " VALUES (?graph) { (<https://w3id.org/coalition-kg/graph/a>) }"
    at = text.index("WHERE {") + len("WHERE {")
    assert sent == [text[:at] + values + text[at:]]
    assert sent[0].splitlines()[-1] == ("SELECT (COUNT(*) AS ?n) WHERE { VALUES (?graph) { "
                                        "(<https://w3id.org/coalition-kg/graph/a>) } GRAPH ?graph { ?s ?p ?o } }")


def test_the_query_files_are_package_data():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    assert "sparql/*.rq" in data["coalition_kg.graph"]
    assert internal_queries.SPARQL_DIR == ROOT / "graph" / "sparql"


def test_the_dataset_goes_where_the_outline_says_the_where_clause_starts():
    """with_dataset finds the outermost WHERE by tokens too: not in a comment, a string or an IRI, and
    before the group when the keyword is left out."""
    graphs = (["http://g/m"], ["http://g/1"])
    dataset = "FROM <http://g/m>\nFROM NAMED <http://g/1>\n"
    text = 'SELECT ?x # WHERE { no\n WHERE { ?x ?p "WHERE {" }'
    assert sparql_http.with_dataset(text, *graphs) == text.replace(" WHERE { ?x", f" {dataset}WHERE {{ ?x")
    assert sparql_http.with_dataset("ASK { ?s ?p ?o }", *graphs) == f"ASK {dataset}{{ ?s ?p ?o }}"
    construct = "CONSTRUCT { ?s ?p ?o } { ?s ?p ?o }"
    assert sparql_http.with_dataset(construct, *graphs) == f"CONSTRUCT {{ ?s ?p ?o }} {dataset}{{ ?s ?p ?o }}"
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p"), ox.Literal("o"), ox.NamedNode("http://g/m")))
    assert bool(store.query(sparql_http.with_dataset("ASK { ?s ?p ?o }", *graphs)))  # it parses, and reads g/m
    assert not bool(store.query(sparql_http.with_dataset("ASK { ?s ?p ?o }", ["http://g/1"], [])))
    with pytest.raises(ValueError):
        sparql_http.with_dataset("DESCRIBE <http://e/s>", *graphs)
