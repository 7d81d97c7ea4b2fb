"""Real SPARQL clients against the running endpoint: SPARQLWrapper and rdflib's SPARQLStore."""

from __future__ import annotations

import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, TURTLE, XML, SPARQLWrapper

from .conftest import entity

CO_CHAIRS = """PREFIX ckg: <https://w3id.org/coalition-kg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?label WHERE {
  ?c ckg:coChairOf <https://w3id.org/coalition-kg/id/africa-focus-group> ; rdfs:label ?label FILTER(lang(?label) = "en")
} ORDER BY ?label"""


def wrapper(server, fmt, method="GET"):
    client = SPARQLWrapper(server.url + "/sparql")
    client.setReturnFormat(fmt)
    client.setMethod(method)
    return client


def test_sparqlwrapper_json_get_and_post(server):
    for method in ("GET", "POST"):
        client = wrapper(server, JSON, method)
        client.setQuery(CO_CHAIRS)
        rows = client.query().convert()["results"]["bindings"]
        assert [r["label"]["value"] for r in rows] == ["Italy", "Morocco", "Niger", "United States"]


def test_sparqlwrapper_xml_and_csv(server):
    client = wrapper(server, XML)
    client.setQuery(CO_CHAIRS)
    document = client.query().convert()
    assert [n.firstChild.data for n in document.getElementsByTagName("literal")] == ["Italy", "Morocco", "Niger", "United States"]
    client = wrapper(server, CSV)
    client.setQuery(CO_CHAIRS)
    assert client.query().convert().decode().split() == ["label", "Italy", "Morocco", "Niger", "United", "States"]


def test_sparqlwrapper_construct_and_ask(server):
    client = wrapper(server, TURTLE)
    client.setQuery(f"DESCRIBE <{entity('marrakesh-ministerial-2022')}>")
    graph = rdflib.Graph().parse(data=client.query().convert(), format="turtle")
    assert rdflib.Literal("2022-05-11", datatype=rdflib.XSD.date) in set(
        graph.objects(rdflib.URIRef(entity("marrakesh-ministerial-2022")), rdflib.URIRef("http://schema.org/startDate")))
    client = wrapper(server, JSON)
    client.setQuery(f"ASK {{ <{entity('niger')}> ?p ?o }}")
    assert client.query().convert()["boolean"] is True


def test_sparqlwrapper_sees_refusal(server):
    import urllib.error

    client = wrapper(server, JSON, "POST")
    client.setQuery("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
    try:
        client.query()
    except urllib.error.HTTPError as error:  # SPARQLWrapper passes a 403 through as urllib's error
        assert error.code == 403 and b"SERVICE" in error.read()
    else:
        raise AssertionError("the SERVICE query was not refused")


def test_rdflib_sparqlstore(server):
    graph = rdflib.Graph(SPARQLStore(server.url + "/sparql", returnFormat="json"))
    rows = list(graph.query(CO_CHAIRS))
    assert [str(r.label) for r in rows] == ["Italy", "Morocco", "Niger", "United States"]
    dates = set(graph.objects(rdflib.URIRef(entity("niamey-plenary-2023")), rdflib.URIRef("http://schema.org/endDate")))
    assert dates == {rdflib.Literal("2023-03-02", datatype=rdflib.XSD.date)}
