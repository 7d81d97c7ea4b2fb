"""Each namespace has one home, coalition_kg/namespaces.py: the code reads it there, and every SPARQL or
Turtle text that declares a prefix of its table declares the same namespace."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coalition_kg import namespaces
from coalition_kg.namespaces import ALL_PREFIXES, PREFIXES, compact

ROOT = Path(__file__).resolve().parent.parent
SPARQL_TEXTS = sorted([*ROOT.glob("queries/*.rq"), *ROOT.glob("server/sparql/*.rq"), *ROOT.glob("graph/sparql/*.rq"),
                       *ROOT.glob("tests/server/queries/*.rq")])
CODE = sorted(p for folder in ("coalition_kg", "graph", "server") for p in (ROOT / folder).rglob("*")
              if p.suffix in (".py", ".js", ".html") and p.name != "namespaces.py")
_SPARQL_PREFIX = re.compile(r"^\s*PREFIX\s+([\w-]*):\s*<([^>]*)>", re.IGNORECASE | re.MULTILINE)
_TURTLE_PREFIX = re.compile(r"^\s*@prefix\s+([\w-]*):\s*<([^>]*)>", re.MULTILINE)
_README_ROW = re.compile(r"^\| `([\w-]+):` \| `([^`]+)`", re.MULTILINE)  # the README's table of prefixes


def _declarations() -> list[tuple[str, str, str]]:
    found = []
    for path in SPARQL_TEXTS:
        found += [(path.name, name, iri) for name, iri in _SPARQL_PREFIX.findall(path.read_text(encoding="utf-8"))]
    for path in sorted(ROOT.glob("ontology/*.ttl")):
        found += [(path.name, name, iri) for name, iri in _TURTLE_PREFIX.findall(path.read_text(encoding="utf-8"))]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found += [("README.md", name, iri) for pattern in (_SPARQL_PREFIX, _README_ROW) for name, iri in pattern.findall(readme)]
    return found


def test_the_texts_declare_prefixes():
    assert len(SPARQL_TEXTS) > 30
    declared = {(name, iri) for _, name, iri in _declarations()}
    assert ("ckg", "https://w3id.org/coalition-kg/ontology#") in declared and ("sh", "http://www.w3.org/ns/shacl#") in declared
    assert ("wd", "http://www.wikidata.org/entity/") in {(n, i) for where, n, i in _declarations() if where == "README.md"}


@pytest.mark.parametrize("where, name, iri", _declarations())
def test_a_declared_prefix_is_the_tables(where, name, iri):
    if name in ALL_PREFIXES:
        assert iri == ALL_PREFIXES[name], f"{where}: {name}: is <{iri}>, the table says <{ALL_PREFIXES[name]}>"
    else:  # a prefix of the text's own (ckgsh: in the shapes): not a second name for one of the table's
        assert iri not in ALL_PREFIXES.values(), f"{where}: {name}: names <{iri}>, which the table calls otherwise"


def test_no_code_spells_a_namespace_of_the_table():
    """A namespace IRI as a string literal ("http://schema.org/...) anywhere but namespaces.py is a copy."""
    quoted = re.compile("[\"'](" + "|".join(re.escape(ns) for ns in set(ALL_PREFIXES.values())) + ")")
    copies = [f"{path.relative_to(ROOT)}: {match.group(1)}" for path in CODE
              for match in quoted.finditer(path.read_text(encoding="utf-8"))]
    assert copies == []


def test_the_graph_prefixes_are_the_contracts():
    """The dumps and pages write these, and no more: the contract's vocabularies and the graph's own."""
    assert set(PREFIXES) == {"ckg", "id", "article", "graph", "rdf", "rdfs", "owl", "xsd", "schema", "org", "prov",
                             "oa", "skos", "dcterms", "wd"}
    assert PREFIXES["id"] == namespaces.BASE + "id/" and PREFIXES["wd"] == "http://www.wikidata.org/entity/"
    assert len(set(PREFIXES.values())) == len(PREFIXES)


def test_compact_takes_the_longest_namespace():
    assert compact("https://w3id.org/coalition-kg/id/morocco") == "id:morocco"
    assert compact("https://w3id.org/coalition-kg/ontology#Meeting") == "ckg:Meeting"
    assert compact("http://www.wikidata.org/entity/Q1028") == "wd:Q1028"
    assert compact("https://w3id.org/coalition-kg/shapes#X") == "https://w3id.org/coalition-kg/shapes#X"
    assert compact("http://xmlns.com/foaf/0.1/name") == "http://xmlns.com/foaf/0.1/name"
    assert compact("http://www.w3.org/ns/sparql-service-description#Service", namespaces.SERVICE_PREFIXES) == "sd:Service"
