"""The SPARQL translation of the shapes (graph/validation.py) reports exactly what pyshacl reports:
nothing on the seeds, and the same violations, value by value, on a deliberately broken graph."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from coalition_kg.graph import build, reasoning, validation
from coalition_kg.graph.errors import BuildError
from coalition_kg.graph.store import with_merge
from coalition_kg.project import Project

REPO = Path(__file__).resolve().parent.parent
SHAPES = REPO / "ontology" / "shapes.ttl"
ID = "https://w3id.org/coalition-kg/id/"
ART = "https://w3id.org/coalition-kg/article/"
SCHEMA = "http://schema.org/"
ORG = "http://www.w3.org/ns/org#"
OA = "http://www.w3.org/ns/oa#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
G = ox.NamedNode("https://w3id.org/coalition-kg/graph/test")
STEM = "000_5ed4d548c76f9435"


def n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


@pytest.fixture(scope="module")
def seed_quads() -> list[ox.Quad]:
    quads = build.asserted_quads(Project.locate(REPO))
    return quads + reasoning.closure(quads)


def sparql(quads) -> list[validation.Result]:
    store = ox.Store()
    store.extend(with_merge(quads))
    return validation.sparql_results(store, SHAPES)


def keys(results) -> set[tuple]:
    return {r.key() for r in results}


def broken(quads: list[ox.Quad]) -> list[ox.Quad]:
    """The seeds with one of each kind of mistake the shapes should catch."""
    def drop(s=None, p=None, o=None):
        return lambda q: (s is None or q.subject.value == s) and (p is None or q.predicate.value == p) and (
            o is None or q.object == o)

    drops = [
        drop(ID + "skhirat-2018", SCHEMA + "startDate"),  # a meeting without a start date
        drop(ID + "skhirat-2018", "https://w3id.org/coalition-kg/ontology#startDate"),
        drop(ID + "brussels", SCHEMA + "containedInPlace"),  # a city in no country
        drop(ID + "brussels", "https://w3id.org/coalition-kg/ontology#containedIn"),
        drop(ID + "morocco", RDFS + "label", ox.Literal("Morocco", language="en")),  # no English label
        drop(ID + "morocco", SKOS + "prefLabel", ox.Literal("Morocco", language="en")),
        drop(ART + STEM, DCTERMS + "identifier"),
        drop(ART + STEM, SCHEMA + "inLanguage"),  # replaced by "en" below
    ]
    kept = [q for q in quads if not any(d(q) for d in drops)]
    membership = next(q.subject for q in quads if q.predicate.value == ORG + "role")
    mention = n(ART + STEM + "/T1")
    added = [
        (n(ID + "marrakesh-ministerial-2022"), n(SCHEMA + "startDate"), ox.Literal("2022-05-11")),  # not a date
        (n(ID + "rome-ministerial-2021"), n(SCHEMA + "endDate"), ox.Literal("2021-6-28", datatype=n(XSD + "date"))),
        (n(ID + "skhirat-2018"), n(SCHEMA + "location"), n(ID + "antony-blinken")),  # not a place
        (n(ID + "antony-blinken"), n(SCHEMA + "jobTitle"), ox.Literal("Secretary of State")),  # no language
        (n(ID + "antony-blinken"), n(SCHEMA + "affiliation"), ox.Literal("USA")),  # not an IRI
        (n(ID + "someone"), n(SCHEMA + "jobTitle"), ox.Literal("Envoy", language="en")),  # post, no affiliation
        (membership, n(ORG + "role"), n(ID + "morocco")),  # two roles, one not a role
        (membership, n(ORG + "organization"), ox.Literal("NATO")),
        (n(ART + STEM), n(SCHEMA + "inLanguage"), ox.Literal("en")),
        (n(ART + STEM), n(DCTERMS + "identifier"), ox.Literal("article.txt")),  # wrong pattern
        (n(ART + STEM), n(SCHEMA + "text"), ox.Literal("another text")),  # two texts
        (mention, n(OA + "hasBody"), ox.Literal("x")),
        (mention, n(OA + "hasTarget"), n(ART + STEM + "/T2/target")),  # two targets, four selectors
        (n(ART + STEM + "/T3/position"), n(OA + "start"), ox.Literal("-1", datatype=n(XSD + "integer"))),
        (n(ART + STEM + "/T3/position"), n(OA + "end"), ox.Literal("twelve")),
        (n(ART + STEM + "/T4/quote"), n(OA + "exact"), ox.Literal("")),
    ]
    return kept + [ox.Quad(s, p, o, G) for s, p, o in added]


def test_both_validators_accept_the_seeds(seed_quads):
    assert validation.pyshacl_results(seed_quads, SHAPES) == []
    assert sparql(seed_quads) == []


def test_both_validators_report_the_same_violations(seed_quads):
    quads = broken(seed_quads)
    expected = keys(validation.pyshacl_results(quads, SHAPES))
    found = keys(sparql(quads))
    assert found == expected
    components = {component for _, _, component, _ in found}
    assert len(found) >= 20 and {
        "MinCountConstraintComponent", "MaxCountConstraintComponent", "QualifiedMinCountConstraintComponent",
        "OrConstraintComponent", "ClassConstraintComponent", "NodeKindConstraintComponent",
        "HasValueConstraintComponent", "PatternConstraintComponent", "MinInclusiveConstraintComponent",
        "DatatypeConstraintComponent", "MinLengthConstraintComponent"} <= components


def test_the_build_stops_on_violations_whichever_validator(seed_quads, monkeypatch):
    quads = broken(seed_quads)
    for engine in ("pyshacl", "sparql"):
        with pytest.raises(BuildError, match="shape violation"):
            validation.validate(quads, SHAPES, engine=engine)


def test_unsupported_shapes_fall_back_to_pyshacl(tmp_path):
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(SHAPES.read_text(encoding="utf-8") + """
ckgsh:Closed a sh:NodeShape ; sh:targetClass schema:Person ; sh:closed true .
""", encoding="utf-8")
    with pytest.raises(validation.UnsupportedShape):
        validation.compile_shapes(shapes)
    assert validation.choose_engine(10**7, shapes, "auto") == "pyshacl"
    assert validation.choose_engine(10**7, SHAPES, "auto") == "sparql"
    assert validation.choose_engine(100, SHAPES, "auto") == "pyshacl"


def test_a_store_is_validated_by_either_validator(seed_quads):
    """The build validates the new store itself: pyshacl reads it back for small graphs."""
    bad = ox.Store()
    bad.extend(with_merge(broken(seed_quads)))
    for engine in ("pyshacl", "sparql"):
        with pytest.raises(BuildError, match=r"(?s)shape violation.*article/000_5ed4d548c76f9435"):
            validation.validate_store(bad, SHAPES, engine=engine)
    good = ox.Store()
    good.extend(with_merge(seed_quads))
    validation.validate_store(good, SHAPES)
    validation.validate_store(good, SHAPES, size=10**7)  # as if large: the SPARQL translation
