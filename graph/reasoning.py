"""The OWL RL closure of the ontology, the alignment and every asserted or curated statement.

owlrl (over rdflib) computes the closure; what it adds goes into its own graph, <graph/inferred>, so that
asserted and inferred knowledge stay apart. Of what owlrl derives we keep the statements about this
project's resources (entities, articles, mentions, ontology terms) and drop the closure's bookkeeping:
reflexive axioms (x owl:sameAs x, C rdfs:subClassOf C), owl:Thing and rdfs:Resource typing, blank nodes.
"""

from __future__ import annotations

from typing import Iterable

import owlrl
import pyoxigraph as ox
import rdflib

from coalition_kg.project import BASE, GRAPH

INFERRED = ox.NamedNode(GRAPH + "inferred")
_TRIVIAL_OBJECTS = {
    "http://www.w3.org/2002/07/owl#Thing",
    "http://www.w3.org/2000/01/rdf-schema#Resource",
    "http://www.w3.org/2002/07/owl#NamedIndividual",
}


def _to_rdflib(triples: Iterable[ox.Triple]) -> rdflib.Graph:
    data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    graph = rdflib.Graph()
    graph.parse(data=data.decode("utf-8"), format="nt")
    return graph


def closure(quads: list[ox.Quad]) -> list[ox.Quad]:
    """The inferred quads (in <graph/inferred>) that the asserted quads, in all graphs, entail."""
    graph = _to_rdflib({q.triple for q in quads})
    asserted = set(graph)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(graph)
    inferred = []
    for s, p, o in graph:
        if (s, p, o) in asserted or not _worth_keeping(s, o):
            continue
        inferred.append(ox.Quad(ox.NamedNode(str(s)), ox.NamedNode(str(p)), _term(o), INFERRED))
    return inferred


def _term(node: rdflib.term.Node) -> ox.NamedNode | ox.Literal:
    if isinstance(node, rdflib.URIRef):
        return ox.NamedNode(str(node))
    if node.language:
        return ox.Literal(str(node), language=node.language)
    return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype)) if node.datatype else None)


def _worth_keeping(s: rdflib.term.Node, o: rdflib.term.Node) -> bool:
    if not isinstance(s, rdflib.URIRef) or not str(s).startswith(BASE):
        return False
    if isinstance(o, rdflib.BNode) or s == o:
        return False
    return not (isinstance(o, rdflib.URIRef) and str(o) in _TRIVIAL_OBJECTS)
