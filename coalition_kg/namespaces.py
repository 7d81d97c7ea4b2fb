"""Every namespace the project writes or reads, and the prefix it goes by: the one table behind the dumps'
prefixes, the pages' compact names and RDF prefixes, the shapes' messages and the page script's names
(the server hands the table to server/static/app.js, which keeps no copy).

The project's own IRIs come first: every entity, article, mention and graph lives under one base. A
SPARQL text (.rq) declares its prefixes as SPARQL does, and tests/test_namespaces.py checks that every
such declaration names the namespace this table gives that prefix.
"""

from __future__ import annotations

# The IRI scheme of the graph itself.
BASE = "https://w3id.org/coalition-kg/"
ONTOLOGY = BASE + "ontology#"
ENTITY = BASE + "id/"
ARTICLE = BASE + "article/"
GRAPH = BASE + "graph/"

# The vocabularies the graph uses.
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SCHEMA = "http://schema.org/"
ORG = "http://www.w3.org/ns/org#"
PROV = "http://www.w3.org/ns/prov#"
OA = "http://www.w3.org/ns/oa#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
WD = "http://www.wikidata.org/entity/"

# Vocabularies of documents about the graph rather than in it.
SH = "http://www.w3.org/ns/shacl#"  # the shapes (ontology/shapes.ttl) and validation reports
SD = "http://www.w3.org/ns/sparql-service-description#"  # the endpoint's service description
VOID = "http://rdfs.org/ns/void#"
FORMATS = "http://www.w3.org/ns/formats/"

# The graph's prefixes: what the dumps (TriG, Turtle, the JSON-LD context), the pages' RDF twins and
# their compact names, and the page script use.
PREFIXES = {
    "ckg": ONTOLOGY,
    "id": ENTITY,
    "article": ARTICLE,
    "graph": GRAPH,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "schema": SCHEMA,
    "org": ORG,
    "prov": PROV,
    "oa": OA,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "wd": WD,
}

# The service description's prefixes (GET /sparql in Turtle or TriG).
SERVICE_PREFIXES = {"sd": SD, "void": VOID, "dcterms": DCTERMS, "formats": FORMATS}

# Every prefix the project's texts may declare, and what it must stand for.
ALL_PREFIXES = {**PREFIXES, **SERVICE_PREFIXES, "sh": SH}


def compact(iri: str, prefixes: dict[str, str] = PREFIXES) -> str:
    """prefix:local for the longest namespace of `prefixes` that the IRI starts with; else the IRI."""
    best = max((name for name, namespace in prefixes.items() if iri.startswith(namespace)),
               key=lambda name: len(prefixes[name]), default=None)
    return f"{best}:{iri[len(prefixes[best]):]}" if best else iri
