"""Shared fixtures: the real graph, built once per test session from the seeds into a temporary store."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from coalition_kg.graph import dump as dumping, store
from coalition_kg.graph.build import build
from coalition_kg.project import Project

REPO = Path(__file__).resolve().parent.parent
ID = "https://w3id.org/coalition-kg/id/"
GRAPH = "https://w3id.org/coalition-kg/graph/"
# The five seed articles; tests assert their facts and pass when more articles have been added.
STEMS = [
    "000_5ed4d548c76f9435",
    "001_eef99b9cc9c1a199",
    "002_ecb604b8a81b9122",
    "003_922b375491f8e4de",
    "004_9eb9693275b328fe",
]


@pytest.fixture(scope="session")
def built_project(tmp_path_factory) -> Project:
    """The repository's seeds built into a store under a temporary var directory."""
    project = Project.locate(REPO, var=tmp_path_factory.mktemp("var"))
    build(project)
    return project


@pytest.fixture(scope="session")
def graph_store(built_project):
    return store.current(built_project.var).open_read_only()


@pytest.fixture()
def project_copy(tmp_path) -> Project:
    """A writable copy of the project's inputs, for tests that break them on purpose."""
    root = tmp_path / "project"
    for folder in ("seeds", "ontology", "queries"):
        shutil.copytree(REPO / folder, root / folder)
    return Project.locate(root, var=tmp_path / "var")


def select(graph_store, query: str, **bindings) -> list[dict[str, str]]:
    """Run a SELECT over the default graph (the merge of the named graphs); rows as {variable: lexical value}."""
    prefixes = """
PREFIX ckg: <https://w3id.org/coalition-kg/ontology#>
PREFIX id: <https://w3id.org/coalition-kg/id/>
PREFIX schema: <http://schema.org/>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
"""
    results = graph_store.query(prefixes + query)
    names = [v.value for v in results.variables]
    return [{n: (s[n].value if s[n] is not None else None) for n in names} for s in results]


def ask(graph_store, query: str) -> bool:
    rows = select(graph_store, f"SELECT (IF(EXISTS {{ {query} }}, 1, 0) AS ?x) WHERE {{}}")
    return rows[0]["x"] == "1"


def dumped(store: ox.Store, fmt: str) -> bytes:
    """What `ckg dump --format fmt` writes of the store."""
    out = io.BytesIO()
    dumping.dump(store, fmt, out)
    return out.getvalue()
