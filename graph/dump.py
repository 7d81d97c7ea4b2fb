"""`ckg dump`: the graph in a deterministic serialization, so that consumers can diff releases.

Quads are sorted (graph, subject, predicate, object, by their N-Quads form) before serializing and the
graph has no blank nodes, so the same input gives the same bytes. TriG and N-Quads keep the named
graphs; Turtle and JSON-LD give the merged graph (the union of all named graphs).
"""

from __future__ import annotations

import json
from typing import BinaryIO

import pyoxigraph as ox

from coalition_kg.project import ARTICLE, ENTITY, GRAPH, ONTOLOGY

PREFIXES = {
    "ckg": ONTOLOGY,
    "id": ENTITY,
    "article": ARTICLE,
    "graph": GRAPH,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "schema": "http://schema.org/",
    "org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#",
    "oa": "http://www.w3.org/ns/oa#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "wd": "http://www.wikidata.org/entity/",
}
FORMATS = ("turtle", "trig", "nquads", "jsonld")


def sorted_quads(store: ox.Store) -> list[ox.Quad]:
    return sorted(store, key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object)))


def merged_triples(store: ox.Store) -> list[ox.Triple]:
    return sorted({q.triple for q in store}, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))


def dump(store: ox.Store, fmt: str, out: BinaryIO) -> None:
    if fmt == "trig":
        ox.serialize(sorted_quads(store), out, ox.RdfFormat.TRIG, prefixes=PREFIXES)
    elif fmt == "nquads":
        ox.serialize(sorted_quads(store), out, ox.RdfFormat.N_QUADS)
    elif fmt == "turtle":
        ox.serialize(merged_triples(store), out, ox.RdfFormat.TURTLE, prefixes=PREFIXES)
    elif fmt == "jsonld":
        out.write(jsonld(merged_triples(store)).encode("utf-8"))
    else:
        raise ValueError(f"unknown dump format {fmt!r}; known: {', '.join(FORMATS)}")


def jsonld(triples: list[ox.Triple]) -> str:
    """Compact JSON-LD with the prefixes as its context, one node object per subject, in sorted order.

    Written here rather than with rdflib's serializer because that one orders nodes by Python's
    per-process string hashing, which would make each dump differ."""
    nodes: dict[str, dict] = {}
    for triple in triples:
        node = nodes.setdefault(triple.subject.value, {"@id": _compact(triple.subject.value)})
        if triple.predicate.value == PREFIXES["rdf"] + "type" and isinstance(triple.object, ox.NamedNode):
            node.setdefault("@type", []).append(_compact(triple.object.value))
            continue
        node.setdefault(_compact(triple.predicate.value), []).append(_value(triple.object))
    document = {"@context": PREFIXES, "@graph": [nodes[key] for key in sorted(nodes)]}
    return json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def _compact(iri: str) -> str:
    best = max((ns for ns in PREFIXES.values() if iri.startswith(ns)), key=len, default=None)
    if best is None:
        return iri
    prefix = next(name for name, ns in PREFIXES.items() if ns == best)
    return f"{prefix}:{iri[len(best):]}"


def _value(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"@id": _compact(term.value)}
    if isinstance(term, ox.BlankNode):
        return {"@id": f"_:{term.value}"}
    if term.language:
        return {"@value": term.value, "@language": term.language}
    if term.datatype.value == PREFIXES["xsd"] + "string":
        return {"@value": term.value}
    return {"@value": term.value, "@type": _compact(term.datatype.value)}
