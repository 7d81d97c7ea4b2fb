"""The endpoint described in the SPARQL 1.1 Service Description vocabulary, for a GET of /sparql without a query."""

from __future__ import annotations

import pyoxigraph as ox

from coalition_kg.namespaces import DCTERMS, RDF, SD, VOID, XSD
from .backend import Snapshot
from .formats import GRAPH_FORMATS, RESULT_FORMATS


def service_description(endpoint: str, info: Snapshot) -> list[ox.Triple]:
    """What the endpoint is (SPARQL 1.1 Service Description), including that its default graph is the
    RDF merge of the named graphs (sd:UnionDefaultGraph: a triple that several graphs hold is in it once),
    which named graphs there are with their sizes, and where the whole dataset is (void:dataDump, the
    server's /dump.nq beside the endpoint)."""
    nn, lit = ox.NamedNode, ox.Literal
    a = nn(RDF + "type")
    service, dataset, default = nn(endpoint), ox.BlankNode("dataset"), ox.BlankNode("default")
    integer = nn(XSD + "integer")
    triples = [
        ox.Triple(service, a, nn(SD + "Service")),
        ox.Triple(service, nn(SD + "endpoint"), service),
        ox.Triple(service, nn(SD + "supportedLanguage"), nn(SD + "SPARQL11Query")),
        ox.Triple(service, nn(SD + "feature"), nn(SD + "UnionDefaultGraph")),
        ox.Triple(service, nn(DCTERMS + "description"), lit(
            "Read-only SPARQL 1.1 endpoint of coalition-kg. The default graph is the RDF merge of all "
            "named graphs (one per article, plus curation, ontology and inferred): each triple once, however "
            "many graphs hold it. GRAPH ?g patterns range over the named graphs only and tell where a triple "
            "comes from. SERVICE, LOAD and SPARQL Update are refused.", language="en")),
        ox.Triple(service, nn(SD + "defaultDataset"), dataset),
        ox.Triple(dataset, a, nn(SD + "Dataset")),
        ox.Triple(dataset, a, nn(VOID + "Dataset")),
        ox.Triple(dataset, nn(VOID + "dataDump"), nn(endpoint.rsplit("/", 1)[0] + "/dump.nq")),
        ox.Triple(dataset, nn(SD + "defaultGraph"), default),
        ox.Triple(default, a, nn(SD + "Graph")),
        ox.Triple(default, nn(VOID + "triples"), lit(str(info.triples), datatype=integer)),
    ]
    triples += [ox.Triple(service, nn(SD + "resultFormat"), nn(fmt.iri)) for fmt in (*RESULT_FORMATS, *GRAPH_FORMATS)]
    for index, (name, count) in enumerate(info.graphs.items()):
        named, graph = ox.BlankNode(f"named{index}"), ox.BlankNode(f"graph{index}")
        triples += [
            ox.Triple(dataset, nn(SD + "namedGraph"), named),
            ox.Triple(named, a, nn(SD + "NamedGraph")),
            ox.Triple(named, nn(SD + "name"), nn(name)),
            ox.Triple(named, nn(SD + "graph"), graph),
            ox.Triple(graph, a, nn(SD + "Graph")),
            ox.Triple(graph, nn(VOID + "triples"), lit(str(count), datatype=integer)),
        ]
    return triples
