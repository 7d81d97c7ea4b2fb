"""The build's fast OWL RL closure (graph/reasoning.py) gives exactly owlrl's closure."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from coalition_kg.graph import build, reasoning
from coalition_kg.project import Project

REPO = Path(__file__).resolve().parent.parent
CKG = "https://w3id.org/coalition-kg/ontology#"
ID = "https://w3id.org/coalition-kg/id/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
G = ox.NamedNode("https://w3id.org/coalition-kg/graph/test")


def n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def quads(*triples) -> list[ox.Quad]:
    return [ox.Quad(n(s), n(p), o if isinstance(o, ox.Literal) else n(o), G) for s, p, o in triples]


def assert_same_closure(asserted: list[ox.Quad]) -> set[ox.Quad]:
    fast = reasoning.fast_closure(asserted)
    reference = reasoning.owlrl_closure(asserted)
    assert len(fast) == len(set(fast))
    assert set(fast) == set(reference)
    return set(fast)


def test_seeds():
    inferred = assert_same_closure(build.asserted_quads(Project.locate(REPO)))
    assert len(inferred) > 700


def test_synthetic_corpus(tmp_path):
    spec = importlib.util.spec_from_file_location("corpus", REPO / "benchmarks" / "corpus.py")
    corpus = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = corpus  # dataclasses look their module up
    spec.loader.exec_module(corpus)
    corpus.generate(tmp_path / "root", scale=1, seed=7)
    assert_same_closure(build.asserted_quads(Project.locate(tmp_path / "root")))


def test_axioms_the_ontology_does_not_use_yet():
    """Rules are read off the axioms, whatever they are: ranges, equivalent classes, inverses with
    domains, subproperty and subclass cycles, classes declared only by their use, odd literals."""
    ontology = list(build.ontology_quads(REPO / "ontology"))
    extra = quads(
        (CKG + "hostedBy", RDFS + "range", CKG + "Country"),
        (CKG + "Host", OWL + "equivalentClass", CKG + "Country"),
        (CKG + "Host", RDF + "type", OWL + "Class"),
        (CKG + "hosted", OWL + "inverseOf", CKG + "hostedBy"),
        (CKG + "hosted", RDFS + "domain", CKG + "Host"),
        (CKG + "hosted", RDFS + "subPropertyOf", CKG + "involvedIn"),
        (CKG + "involvedIn", RDFS + "subPropertyOf", CKG + "hosted"),
        (CKG + "A", RDFS + "subClassOf", CKG + "B"),
        (CKG + "B", RDFS + "subClassOf", CKG + "A"),
        (CKG + "B", RDFS + "subClassOf", CKG + "Meeting"),
        (CKG + "ordinal", RDFS + "subPropertyOf", CKG + "number"),
        (CKG + "number", RDFS + "range", XSD + "integer"),
        (ID + "m1", RDF + "type", CKG + "A"),
        (ID + "m1", CKG + "hostedBy", ID + "c1"),
        (ID + "m1", CKG + "ordinal", ox.Literal("09", datatype=n(XSD + "integer"))),
        (ID + "m1", CKG + "startDate", ox.Literal("2020-1-1", datatype=n(XSD + "date"))),
        (ID + "c1", CKG + "involvedIn", ID + "m2"),
        (ID + "p1", CKG + "participant", ID + "x"),
        (ID + "x", CKG + "spokeAt", ID + "m2"),
        # a class known only through a range: scm-cls applies to it too (a second round)
        (CKG + "classifiedAs", RDFS + "range", OWL + "Class"),
        (ID + "m1", CKG + "classifiedAs", CKG + "Special"),
        (ID + "m3", RDF + "type", CKG + "Special"),
        # the inverse of a property with literal values: generalized triples, with literal subjects
        (CKG + "codeOf", OWL + "inverseOf", CKG + "code"),
        (ID + "m1", CKG + "code", ox.Literal("M-1")),
    )
    inferred = assert_same_closure(ontology + extra)
    expected = quads(
        (ID + "c1", RDF + "type", CKG + "Host"),  # range, then equivalent class
        (ID + "m1", CKG + "number", ox.Literal("9", datatype=n(XSD + "integer"))),  # rdflib's normal form, as owlrl
        (ID + "m2", CKG + "hostedBy", ID + "c1"),  # equivalent (cyclic) subproperty, then inverse
        (ID + "m1", RDF + "type", CKG + "B"),
        (CKG + "A", OWL + "equivalentClass", CKG + "B"),
        (CKG + "hosted", RDFS + "domain", CKG + "Country"),
        (CKG + "Special", RDF + "type", OWL + "Class"),
    )
    assert {ox.Quad(q.subject, q.predicate, q.object, reasoning.INFERRED) for q in expected} <= inferred


@pytest.mark.parametrize("axiom", [
    (CKG + "containedIn", RDF + "type", OWL + "TransitiveProperty"),
    (ID + "rome", OWL + "sameAs", ID + "roma"),
    (CKG + "Capital", OWL + "intersectionOf", RDF + "nil"),
])
def test_vocabulary_beyond_the_fast_rules_goes_to_owlrl(axiom, capsys):
    asserted = list(build.ontology_quads(REPO / "ontology")) + quads(
        axiom,
        (ID + "rome", CKG + "containedIn", ID + "italy"),
        (ID + "italy", CKG + "containedIn", ID + "europe"),
    )
    with pytest.raises(reasoning.UnsupportedVocabulary):
        reasoning.fast_closure(asserted)
    assert set(reasoning.closure(asserted)) == set(reasoning.owlrl_closure(asserted))
    assert "reasoning with owlrl" in capsys.readouterr().err


def test_batches_give_the_same_closure_whatever_comes_first():
    """The build gives the reasoner one graph at a time. Schema axioms after instance data (here the
    ontology last), or a second round for a derived owl:Class, make it read everything again."""
    ontology = list(build.ontology_quads(REPO / "ontology"))
    data = quads(
        (ID + "m1", CKG + "classifiedAs", CKG + "Special"),
        (ID + "m3", RDF + "type", CKG + "Special"),
        (ID + "m1", CKG + "heldIn", ID + "rome"),
    )
    extra = quads((CKG + "classifiedAs", RDFS + "range", OWL + "Class"))
    everything = ontology + extra + data
    expected = set(reasoning.owlrl_closure(everything))
    replays = []

    def replay():
        replays.append(1)
        return everything

    for batches in ([ontology, extra, data], [data, extra, ontology], [data[:1], ontology, data[1:], extra]):
        replays.clear()
        reasoner = reasoning.Reasoner()
        for batch in batches:
            reasoner.add(batch)
        assert set(reasoner.finish(replay)) == expected
        assert replays  # the derived class calls for a second round, whatever the order
    assert ox.Quad(n(ID + "m1"), n("http://schema.org/location"), n(ID + "rome"), reasoning.INFERRED) in expected


def test_batches_read_once_when_the_schema_comes_first():
    asserted = build.asserted_quads(Project.locate(REPO))
    ontology = [q for q in asserted if q.graph_name.value.endswith("/graph/ontology")]
    rest = [q for q in asserted if not q.graph_name.value.endswith("/graph/ontology")]
    reasoner = reasoning.Reasoner()
    reasoner.add(ontology)
    for start in range(0, len(rest), 1000):
        reasoner.add(rest[start:start + 1000])

    def replay():
        raise AssertionError("no need to read the quads again")

    assert set(reasoner.finish(replay)) == set(reasoning.fast_closure(asserted))


def test_unsupported_vocabulary_in_a_later_batch_goes_to_owlrl(capsys):
    ontology = list(build.ontology_quads(REPO / "ontology"))
    later = quads((CKG + "containedIn", RDF + "type", OWL + "TransitiveProperty"),
                  (ID + "rome", CKG + "containedIn", ID + "italy"),
                  (ID + "italy", CKG + "containedIn", ID + "europe"))
    reasoner = reasoning.Reasoner()
    reasoner.add(ontology)
    reasoner.add(later)
    assert set(reasoner.finish(lambda: ontology + later)) == set(reasoning.owlrl_closure(ontology + later))
    assert "reasoning with owlrl" in capsys.readouterr().err
