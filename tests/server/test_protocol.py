"""SPARQL 1.1 Protocol rules, each checked against the running server with plain HTTP."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest
import rdflib

from coalition_kg.namespaces import BASE

from .conftest import entity

MARRAKESH_DATE = """PREFIX schema: <http://schema.org/>
SELECT DISTINCT ?date WHERE { <https://w3id.org/coalition-kg/id/marrakesh-ministerial-2022> schema:startDate ?date }"""
NIAMEY_DATES = """PREFIX schema: <http://schema.org/>
SELECT DISTINCT ?start ?end WHERE { <https://w3id.org/coalition-kg/id/niamey-plenary-2023> schema:startDate ?start ; schema:endDate ?end }"""
MARRAKESH_GRAPH = """PREFIX schema: <http://schema.org/>
CONSTRUCT { ?m schema:startDate ?d } WHERE { BIND(<https://w3id.org/coalition-kg/id/marrakesh-ministerial-2022> AS ?m) ?m schema:startDate ?d }"""
ARTICLE_004 = BASE + "graph/004_9eb9693275b328fe"
ARTICLE_000 = BASE + "graph/000_5ed4d548c76f9435"
SCHEMA_START = rdflib.URIRef("http://schema.org/startDate")


def dates(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [row["date"]["value"] for row in response.json()["results"]["bindings"]]


def test_get_query(server):
    response = server.get("/sparql", params={"query": MARRAKESH_DATE}, headers={"Accept": "application/sparql-results+json"})
    assert response.headers["Content-Type"].startswith("application/sparql-results+json")
    assert dates(response) == ["2022-05-11"]


def test_urlencoded_post(server):
    response = server.post("/sparql", data={"query": MARRAKESH_DATE}, headers={"Accept": "application/sparql-results+json"})
    assert dates(response) == ["2022-05-11"]


def test_direct_post(server):
    assert dates(server.sparql(MARRAKESH_DATE)) == ["2022-05-11"]


def test_niamey_dates_typed(server):
    row = server.sparql(NIAMEY_DATES).json()["results"]["bindings"][0]
    assert (row["start"]["value"], row["end"]["value"]) == ("2023-03-01", "2023-03-02")
    assert row["start"]["datatype"] == "http://www.w3.org/2001/XMLSchema#date"


def test_arabic_label_keeps_language_tag(server):
    response = server.sparql('SELECT ?l WHERE { <%s> <http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER(lang(?l) = "ar") }'
                             % entity("morocco"))
    labels = response.json()["results"]["bindings"]
    assert labels and all(l["l"]["xml:lang"] == "ar" for l in labels)
    assert "المغرب" in {l["l"]["value"] for l in labels}


CKG = "PREFIX ckg: <https://w3id.org/coalition-kg/ontology#>\n"
MEETINGS = {BASE + "id/" + m for m in ("brussels-ministerial-2018", "rome-ministerial-2021",
                                       "marrakesh-ministerial-2022", "riyadh-ministerial-2023")}


def test_default_graph_is_the_merge_of_the_named_graphs(server):
    """Each triple once, however many named graphs hold it: fewer than the quads of the named graphs."""
    merged = server.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"]
    distinct = server.select("SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }")
    per_graph = server.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")[0]["n"]
    assert int(merged) == int(distinct[0]["n"]) > 10000
    assert int(merged) < int(per_graph)


def test_a_fact_is_counted_once_without_distinct(server):
    """The four ministerial meetings are stated in nine places (articles, curation, inferred): a query that
    names no graph counts four, and a LIMIT 2 gives two different meetings."""
    count = server.select(CKG + "SELECT (COUNT(*) AS ?n) WHERE { ?m a ckg:MinisterialMeeting }")
    assert count[0]["n"] == "4"
    listed = [row["m"] for row in server.select(CKG + "SELECT ?m WHERE { ?m a ckg:MinisterialMeeting }")]
    assert sorted(listed) == sorted(MEETINGS)
    two = [row["m"] for row in server.select(CKG + "SELECT ?m WHERE { ?m a ckg:MinisterialMeeting } LIMIT 2")]
    assert len(set(two)) == 2 and set(two) <= MEETINGS


def test_provenance_is_still_one_row_per_graph(server):
    """GRAPH ?g ranges over the named graphs only: the nine statements of the meetings' type, each with the
    graph that holds it, and no row for the default graph."""
    rows = server.select(CKG + "SELECT ?m ?g WHERE { GRAPH ?g { ?m a ckg:MinisterialMeeting } }")
    assert len(rows) == len({(r["m"], r["g"]) for r in rows}) == 9
    assert {r["m"] for r in rows} == MEETINGS
    graphs = {r["g"] for r in rows}
    assert BASE + "graph/curation" in graphs and all(g.startswith(BASE + "graph/") for g in graphs)
    named = [r["g"] for r in server.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")]
    assert len(named) == len(set(named)) == 8 and all(g.startswith(BASE + "graph/") for g in named)


def test_default_graph_uri_restricts_the_default_graph(server):
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    one = server.get("/sparql", params={"query": query, "default-graph-uri": ARTICLE_004}).json()
    two = server.get("/sparql", params=[("query", query), ("default-graph-uri", ARTICLE_004),
                                        ("default-graph-uri", ARTICLE_000)]).json()
    union = server.select(query)[0]["n"]
    n_one, n_two = (int(r["results"]["bindings"][0]["n"]["value"]) for r in (one, two))
    assert 0 < n_one < n_two < int(union)


def test_named_graph_uri_limits_graph_patterns(server):
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"
    response = server.post("/sparql", data=[("query", query), ("named-graph-uri", ARTICLE_004),
                                            ("named-graph-uri", ARTICLE_000)])
    graphs = [row["g"]["value"] for row in response.json()["results"]["bindings"]]
    assert graphs == [ARTICLE_000, ARTICLE_004]


def test_direct_post_takes_dataset_from_url(server):
    response = server.post("/sparql", params={"named-graph-uri": ARTICLE_004},
                           data=b"SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
                           headers={"Content-Type": "application/sparql-query"})
    assert [r["g"]["value"] for r in response.json()["results"]["bindings"]] == [ARTICLE_004]


def test_from_clause_is_honoured(server):
    rows = server.select(f"SELECT (COUNT(*) AS ?n) FROM <{ARTICLE_004}> WHERE {{ ?s ?p ?o }}")
    in_graph = server.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{ARTICLE_004}> {{ ?s ?p ?o }} }}")
    union = server.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert 0 < int(rows[0]["n"]) == int(in_graph[0]["n"]) < int(union[0]["n"])


def test_the_query_dataset_replaces_the_merged_default_graph(server):
    """FROM and FROM NAMED make the query's own dataset: the merge is not read beside it, and GRAPH ?g
    sees only the graphs named."""
    nowhere = server.select("SELECT (COUNT(*) AS ?n) FROM <https://example.org/no-graph> WHERE { ?s ?p ?o }")
    assert nowhere[0]["n"] == "0"
    two = server.select(f"SELECT (COUNT(*) AS ?n) FROM <{ARTICLE_004}> FROM <{ARTICLE_000}> WHERE {{ ?s ?p ?o }}")
    one = server.select(f"SELECT (COUNT(*) AS ?n) FROM <{ARTICLE_004}> WHERE {{ ?s ?p ?o }}")
    assert int(one[0]["n"]) < int(two[0]["n"])
    graphs = server.select(f"SELECT DISTINCT ?g FROM NAMED <{ARTICLE_004}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}")
    assert [r["g"] for r in graphs] == [ARTICLE_004]
    default = server.select(f"SELECT (COUNT(*) AS ?n) FROM NAMED <{ARTICLE_004}> WHERE {{ ?s ?p ?o }}")
    assert default[0]["n"] == "0"  # FROM NAMED alone: an empty default graph, as SPARQL says


# --- result formats -----------------------------------------------------------------------------

def test_xml_results(server):
    response = server.sparql(MARRAKESH_DATE, accept="application/sparql-results+xml")
    assert response.headers["Content-Type"].startswith("application/sparql-results+xml")
    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    root = ET.fromstring(response.content)
    literal = root.find("r:results/r:result/r:binding/r:literal", ns)
    assert literal.text == "2022-05-11"
    assert literal.get("datatype") == "http://www.w3.org/2001/XMLSchema#date"


def test_csv_results(server):
    response = server.sparql(NIAMEY_DATES, accept="text/csv")
    assert response.headers["Content-Type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(response.text))) == [["start", "end"], ["2023-03-01", "2023-03-02"]]
    assert response.content.endswith(b"\r\n")


def test_tsv_results(server):
    response = server.sparql(NIAMEY_DATES, accept="text/tab-separated-values")
    lines = response.text.splitlines()
    assert lines[0] == "?start\t?end"
    assert lines[1] == ('"2023-03-01"^^<http://www.w3.org/2001/XMLSchema#date>\t'
                        '"2023-03-02"^^<http://www.w3.org/2001/XMLSchema#date>')


def test_ask_in_json_and_xml(server):
    ask = f"ASK {{ <{entity('marrakesh-ministerial-2022')}> ?p ?o }}"
    assert server.sparql(ask).json() == {"head": {}, "boolean": True}
    xml = server.sparql("ASK { <http://example.org/nothing> ?p ?o }", accept="application/sparql-results+xml").text
    assert "<boolean>false</boolean>" in xml


@pytest.mark.parametrize("media_type, rdflib_format", [
    ("text/turtle", "turtle"), ("application/n-triples", "nt"), ("application/ld+json", "json-ld"),
    ("application/rdf+xml", "xml"), ("application/trig", "trig"), ("application/n-quads", "nquads"),
])
def test_graph_formats(server, media_type, rdflib_format):
    response = server.sparql(MARRAKESH_GRAPH, accept=media_type)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith(media_type)
    graph = rdflib.Dataset() if rdflib_format in ("trig", "nquads") else rdflib.Graph()
    graph.parse(data=response.text, format=rdflib_format)
    values = {str(o) for s, p, o, *_ in (graph.quads() if isinstance(graph, rdflib.Dataset) else graph) if p == SCHEMA_START}
    assert values == {"2022-05-11"}


def test_describe(server):
    response = server.sparql(f"DESCRIBE <{entity('niamey-plenary-2023')}>", accept="text/turtle")
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    assert {str(o) for o in graph.objects(rdflib.URIRef(entity("niamey-plenary-2023")), SCHEMA_START)} == {"2023-03-01"}


def test_format_parameter_overrides_accept(server):
    response = server.get("/sparql", params={"query": MARRAKESH_DATE, "format": "csv"}, headers={"Accept": "application/json"})
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.text.splitlines() == ["date", "2022-05-11"]


def test_accept_with_q_values(server):
    response = server.sparql(MARRAKESH_DATE, accept="application/sparql-results+json;q=0.5, text/csv;q=0.9")
    assert response.headers["Content-Type"].startswith("text/csv")


def test_406_when_no_format_fits(server):
    response = server.sparql(MARRAKESH_DATE, accept="image/png")
    assert response.status_code == 406
    assert "application/sparql-results+json" in response.text


def test_406_for_a_graph_in_a_results_format(server):
    response = server.sparql(MARRAKESH_GRAPH, accept="application/sparql-results+json")
    assert response.status_code == 406


def test_406_for_unknown_format_parameter(server):
    response = server.get("/sparql", params={"query": MARRAKESH_DATE, "format": "yaml"})
    assert response.status_code == 406 and "yaml" in response.text


# --- malformed requests -----------------------------------------------------------------------

def test_two_query_parameters(server):
    response = server.get("/sparql", params=[("query", MARRAKESH_DATE), ("query", "ASK {}")])
    assert response.status_code == 400 and "exactly one" in response.text


def test_query_in_url_and_body(server):
    response = server.post("/sparql", params={"query": "ASK {}"}, data={"query": MARRAKESH_DATE})
    assert response.status_code == 400


def test_wrong_content_type(server):
    response = server.post("/sparql", data=MARRAKESH_DATE.encode(), headers={"Content-Type": "text/plain"})
    assert response.status_code == 415 and "text/plain" in response.text


def test_missing_content_type(server):
    response = server.post("/sparql", data=MARRAKESH_DATE.encode(), headers={"Content-Type": ""})
    assert response.status_code == 415


def test_non_utf8_charset(server):
    response = server.post("/sparql", data=MARRAKESH_DATE.encode("latin-1"),
                           headers={"Content-Type": "application/sparql-query; charset=ISO-8859-1"})
    assert response.status_code == 415 and "UTF-8" in response.text


def test_body_that_is_not_utf8(server):
    response = server.post("/sparql", data='SELECT * WHERE { ?s ?p "é" }'.encode("latin-1"),
                           headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 400 and "UTF-8" in response.text


def test_syntax_error_has_line_and_column(server):
    response = server.sparql("SELECT ?s\nWHERE { ?s ?p }")
    assert response.status_code == 400
    assert "2:" in response.text and "syntax" in response.text.lower()
    assert "Traceback" not in response.text


def test_empty_direct_post(server):
    response = server.post("/sparql", data=b"  ", headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 400


def test_form_post_without_query(server):
    response = server.post("/sparql", data={"default-graph-uri": ARTICLE_004})
    assert response.status_code == 400


def test_dataset_parameter_must_be_an_iri(server):
    response = server.get("/sparql", params={"query": MARRAKESH_DATE, "default-graph-uri": "not an iri"})
    assert response.status_code == 400


# --- the service description -------------------------------------------------------------------

def test_service_description_for_rdf_clients(server):
    response = server.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    endpoint = rdflib.URIRef(server.url + "/sparql")
    assert (endpoint, rdflib.RDF.type, sd.Service) in graph
    assert (endpoint, sd.feature, sd.UnionDefaultGraph) in graph
    names = {str(n) for n in graph.objects(None, sd.name)}
    assert {ARTICLE_004, BASE + "graph/curation", BASE + "graph/inferred"} <= names
    # The default graph's size is the merge's: its distinct triples, not the quads of the named graphs.
    void = rdflib.Namespace("http://rdfs.org/ns/void#")
    default = next(graph.objects(None, sd.defaultGraph))
    merged = server.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"]
    assert int(graph.value(default, void.triples)) == int(merged)
    sizes = [int(graph.value(g, void.triples)) for g in graph.objects(None, sd.graph)]
    assert len(sizes) == len(names) == 8 and sum(sizes) > int(merged)
    description = str(next(graph.objects(endpoint, rdflib.DCTERMS.description)))
    assert "RDF merge of all named graphs" in description and "each triple once" in description
    # the whole dataset, for linked-data consumers: the dump beside the endpoint, which a client can fetch
    dump = graph.value(default_dataset := next(graph.objects(endpoint, sd.defaultDataset)), void.dataDump)
    assert (default_dataset, rdflib.RDF.type, void.Dataset) in graph and str(dump) == server.url + "/dump.nq"
    assert server.get("/dump.nq").headers["Content-Type"].startswith("application/n-quads")


def test_service_description_in_json_ld(server):
    response = server.get("/sparql", headers={"Accept": "application/ld+json"})
    assert response.headers["Content-Type"].startswith("application/ld+json")
    assert json.loads(response.text)


def test_browser_gets_the_query_page(server):
    response = server.get("/sparql", headers={"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
    assert response.headers["Content-Type"].startswith("text/html")
    assert 'id="query-text"' in response.text
