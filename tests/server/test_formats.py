"""The formats are declared once (server/formats.py), from pyoxigraph's format objects; every other list
of them (the service description, the query page's script, the saved queries' page, the docs) reads it;
Accept is read by werkzeug with this server's rules on top."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from coalition_kg.server import formats, http
from coalition_kg.server.formats import BY_NAME, GRAPH_FORMATS, HTML, RESULT_FORMATS

README = Path(__file__).parents[2] / "README.md"


def test_media_types_and_iris_are_pyoxigraph_s():
    for fmt in GRAPH_FORMATS:
        assert (fmt.media_type, fmt.label) == (fmt.rdf_format.media_type, fmt.rdf_format.name)
        assert fmt.iri == fmt.rdf_format.iri or fmt.name == "jsonld"
    assert [f.name for f in RESULT_FORMATS] == ["json", "xml", "csv", "tsv"]
    assert [f.name for f in GRAPH_FORMATS] == ["turtle", "ntriples", "jsonld", "rdfxml", "trig", "nquads"]
    assert BY_NAME["json"].iri == ox.QueryResultsFormat.JSON.iri == "http://www.w3.org/ns/formats/SPARQL_Results_JSON"
    # pyoxigraph says "text/csv; charset=utf-8": the bare type is the one negotiated, the charset is sent.
    assert (BY_NAME["csv"].media_type, BY_NAME["csv"].content_type) == ("text/csv", "text/csv; charset=utf-8")
    # pyoxigraph's JSON-LD IRI is outside the W3C registry; the registry's is kept (see formats.py).
    assert ox.RdfFormat.JSON_LD.iri == "https://www.w3.org/ns/formats/data/JSON-LD"
    assert BY_NAME["jsonld"].iri == "http://www.w3.org/ns/formats/JSON-LD"
    assert BY_NAME["turtle"].rdf_format is ox.RdfFormat.TURTLE and not BY_NAME["json"].is_graph
    assert HTML.media_type == "text/html" and HTML.iri is None


@pytest.mark.parametrize("value, offered, expected", [
    ("srj", RESULT_FORMATS, "json"), ("srx", RESULT_FORMATS, "xml"), ("ttl", GRAPH_FORMATS, "turtle"),
    ("nt", GRAPH_FORMATS, "ntriples"), ("n-quads", GRAPH_FORMATS, "nquads"), ("owl", GRAPH_FORMATS, "rdfxml"),
    ("json-ld", GRAPH_FORMATS, "jsonld"), ("xml", GRAPH_FORMATS, "rdfxml"), ("text/xml", RESULT_FORMATS, "xml"),
    ("rdf/xml", GRAPH_FORMATS, None), ("ttl", RESULT_FORMATS, None),
])
def test_format_parameter(value, offered, expected):
    chosen = formats.by_parameter(value, offered)
    assert (chosen.name if chosen else None) == expected


@pytest.mark.parametrize("accept, expected", [
    # werkzeug's parse, with parameters other than q dropped as this server always did
    ("text/csv; charset=utf-8", "csv"), ("TEXT/CSV", "csv"), ("   ", "json"),
    # the canonical type beats an alias: XML's own type says 0.2, so JSON's 0.5 wins
    ("application/sparql-results+xml;q=0.2, text/xml, application/sparql-results+json;q=0.5", "json"),
    ("application/json;q=0, */*", "xml"),  # an alias refused refuses its format; the next one fits
    ("text/*;q=0.3, */*;q=0.9", "json"),  # text/* (CSV's range) is more specific than */*: CSV gets 0.3
    ("text/xml", "xml"),
    # werkzeug's rule (RFC 9110's grammar): a range with an invalid q is ignored, not read as q=0 or 1
    ("text/csv;q=2", None), ("text/csv;q=abc, */*;q=0.1", "json"),
])
def test_accept(accept, expected):
    chosen = formats.negotiate(accept, RESULT_FORMATS)
    assert (chosen.name if chosen else None) == expected


def test_ties_go_to_the_server_s_order():
    assert formats.negotiate("text/turtle, application/n-triples", GRAPH_FORMATS).name == "turtle"
    assert formats.negotiate("application/n-triples, text/turtle", GRAPH_FORMATS).name == "turtle"
    assert formats.negotiate("application/json", (HTML, *GRAPH_FORMATS)).name == "jsonld"


def test_the_readme_names_the_formats_of_the_table():
    text = " ".join(README.read_text(encoding="utf-8").split())
    results = ", ".join(f.label for f in RESULT_FORMATS[:-1]) + " or " + RESULT_FORMATS[-1].label
    graphs = ", ".join(f.label for f in GRAPH_FORMATS)
    assert f"answers in {results}; graphs in {graphs})" in text
    assert f"*As RDF* links ({graphs})" in text
    assert f"download links ({', '.join(f.label for f in RESULT_FORMATS)})" in text
    names = ", ".join(f"`{f.name}`" for f in RESULT_FORMATS[:-1]) + f" or `{RESULT_FORMATS[-1].name}`"
    assert f"(`?format=` is {names})" in text


# --- the lists that read the table, served ---------------------------------------------------------

def test_service_description_lists_each_format_s_iri(server):
    response = server.get("/sparql", headers={"Accept": "text/turtle"})
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    listed = {str(o) for o in graph.objects(rdflib.URIRef(server.url + "/sparql"), sd.resultFormat)}
    assert listed == {f.iri for f in (*RESULT_FORMATS, *GRAPH_FORMATS)}
    assert "http://www.w3.org/ns/formats/SPARQL_Results_TSV" in listed and len(listed) == 10


def test_the_query_page_gets_the_formats_from_the_server(server):
    page = server.get("/", headers={"Accept": "text/html"}).text
    data = json.loads(re.search(r'<script type="application/json" id="page-data">(.*?)</script>', page, re.S)[1])
    assert data["formats"] == formats.for_pages()
    assert [f["name"] for f in data["formats"]["graph"]] == ["turtle", "ntriples", "jsonld", "rdfxml", "trig", "nquads"]
    assert data["formats"]["results"][0] == {"name": "json", "mediaType": "application/sparql-results+json",
                                             "label": "JSON"}


def test_the_saved_queries_page_links_each_result_format(server):
    page = server.get("/queries", headers={"Accept": "text/html"}).text
    for fmt in RESULT_FORMATS:
        assert f'href="/queries/co-chairs?format={fmt.name}"' in page
    assert "<code>?format=json</code>, <code>xml</code>, <code>csv</code>, <code>tsv</code>, or by" in page


def test_a_stuffed_accept_header_is_read_up_to_its_first_32_ranges():
    junk = ", ".join(f"x{i}/y" for i in range(40))
    assert formats.negotiate(f"text/csv, {junk}", RESULT_FORMATS).name == "csv"
    # 40 ranges as specific and as wanted come before CSV's: it is not among the 32 read.
    assert formats.negotiate(f"{junk}, text/csv;q=0.9", RESULT_FORMATS) is None
    assert http.choose_formats(None, f"{junk}, text/csv;q=0.9") == http._choice(
        None, f"{junk}, text/csv;q=0.9", False)  # the remembered answer is the worked-out one
