"""The ontology declares every term the build emits, in both languages, and the build uses no other."""

from __future__ import annotations

from coalition_kg.graph.vocabulary import EVENTS, RELATIONS
from conftest import select


def test_ontology_header_and_version(graph_store):
    rows = select(graph_store, """SELECT ?v ?iri WHERE { GRAPH <https://w3id.org/coalition-kg/graph/ontology> {
        <https://w3id.org/coalition-kg/ontology> a owl:Ontology ; owl:versionInfo ?v ; owl:versionIRI ?iri } }""")
    assert rows and rows[0]["v"] == "0.1.0" and rows[0]["iri"].endswith("/0.1.0")


def test_every_ckg_term_in_use_is_declared_with_bilingual_labels(graph_store):
    undeclared = select(graph_store, """
        SELECT DISTINCT ?term WHERE {
          { ?s ?term ?o } UNION { ?s a ?term }
          FILTER(STRSTARTS(STR(?term), "https://w3id.org/coalition-kg/ontology#"))
          FILTER NOT EXISTS { GRAPH <https://w3id.org/coalition-kg/graph/ontology> {
            ?term rdfs:label ?en , ?ar FILTER(lang(?en) = "en" && lang(?ar) = "ar") } }
        }""")
    assert undeclared == []


def test_every_relation_of_the_annotation_guide_maps_to_a_declared_property(graph_store):
    declared = {r["p"].rsplit("#", 1)[1] for r in select(graph_store, """
        SELECT ?p WHERE { GRAPH <https://w3id.org/coalition-kg/graph/ontology> {
          { ?p a owl:ObjectProperty } UNION { ?p a owl:DatatypeProperty } } }""")}
    assert {kind.predicate for kind in RELATIONS.values()} <= declared


def test_every_event_role_and_attribute_maps_to_a_declared_property_and_each_event_to_a_class(graph_store):
    """graph/vocabulary.py's EVENTS say which ckg: term each role, attribute and event becomes."""
    def declared(kinds: str) -> set[str]:
        return {r["t"].rsplit("#", 1)[1] for r in select(graph_store, f"""
            SELECT ?t WHERE {{ GRAPH <https://w3id.org/coalition-kg/graph/ontology> {{ VALUES ?k {{ {kinds} }} ?t a ?k }} }}""")}

    properties = declared("owl:ObjectProperty owl:DatatypeProperty")
    roles = {role.predicate for kind in EVENTS.values() for role in kind.roles.values()}
    attributes = {attribute.predicate for kind in EVENTS.values() for attribute in kind.attributes.values()}
    assert roles <= properties and attributes <= properties
    assert {"countOf", "claimedBy", "participantIn", "states"} <= roles and attributes == {"measure", "bound", "returnees", "attribution"}
    assert {kind.class_of(name) for name, kind in EVENTS.items()} <= declared("owl:Class")
    assert EVENTS["Count"].class_of("Count") == "CountObservation" and EVENTS["Claim"].class_of("Claim") == "Claim"


def test_core_classes_reach_the_standard_vocabularies(graph_store):
    rows = select(graph_store, """SELECT ?c ?super WHERE { GRAPH <https://w3id.org/coalition-kg/graph/ontology> {
        ?c rdfs:subClassOf ?super FILTER(STRSTARTS(STR(?c), STR(ckg:))) } }""")
    supers = {(r["c"].rsplit("#", 1)[1], r["super"]) for r in rows}
    assert ("Coalition", "http://www.w3.org/ns/org#OrganizationalCollaboration") in supers
    assert ("Meeting", "http://schema.org/Event") in supers and ("Meeting", "http://www.w3.org/ns/prov#Activity") in supers
    assert ("Role", "http://www.w3.org/ns/org#Role") in supers
    assert ("Country", "http://schema.org/Country") in supers
