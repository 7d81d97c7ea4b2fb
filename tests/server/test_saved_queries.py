"""Saved queries over HTTP: listed with titles and parameters, runnable by URL in every format."""

from __future__ import annotations

import csv
import io

import pytest
import rdflib

from coalition_kg.graph import saved_queries
from coalition_kg.project import Project

from .conftest import entity

CO_CHAIRS = {"Morocco", "United States", "Italy", "Niger"}


def test_list_as_json(server):
    listing = server.get("/queries.json").json()["queries"]
    by_name = {q["name"]: q for q in listing}
    assert set(by_name) == {"co-chairs", "labels-of", "meetings"}
    assert by_name["co-chairs"]["title"] == "Co-chairs of a group"
    assert by_name["co-chairs"]["params"] == [{"name": "group", "kind": "iri", "default": "africa-focus-group",
                                               "description": "The group (an IRI or a registry id)"}]


def test_list_negotiates_html_and_json(server):
    assert "Co-chairs of a group" in server.get("/queries", headers={"Accept": "text/html"}).text
    assert server.get("/queries", headers={"Accept": "application/json"}).json()["queries"]


def test_run_with_default_parameter(server):
    rows = server.get("/queries/co-chairs", params={"format": "json"}).json()["results"]["bindings"]
    assert {r["label"]["value"] for r in rows} == CO_CHAIRS


def test_run_with_explicit_parameter_by_id_and_by_iri(server):
    by_id = server.get("/queries/co-chairs", params={"group": "africa-focus-group", "format": "csv"})
    by_iri = server.get("/queries/co-chairs", params={"group": entity("africa-focus-group"), "format": "csv"})
    assert by_id.text == by_iri.text
    assert {row["label"] for row in csv.DictReader(io.StringIO(by_id.text))} == CO_CHAIRS


def test_parameter_changes_the_answer(server):
    response = server.get("/queries/co-chairs", params={"group": "global-coalition", "format": "json"})
    assert response.json()["results"]["bindings"] == []


@pytest.mark.parametrize("fmt, media_type", [("json", "application/sparql-results+json"),
                                             ("xml", "application/sparql-results+xml"),
                                             ("csv", "text/csv"), ("tsv", "text/tab-separated-values")])
def test_every_result_format(server, fmt, media_type):
    by_param = server.get("/queries/meetings", params={"format": fmt})
    by_accept = server.get("/queries/meetings", headers={"Accept": media_type})
    assert by_param.headers["Content-Type"].startswith(media_type)
    assert by_param.content == by_accept.content
    for expected in ("2018-06", "2022-05-11", "2023-03-01", "2023-06-08"):
        assert expected in by_param.text


def test_construct_saved_query_in_graph_formats(server):
    response = server.get("/queries/labels-of", params={"entity": "italy", "format": "turtle"})
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    labels = {str(o) for o in graph.objects(rdflib.URIRef(entity("italy")), rdflib.RDFS.label)}
    assert {"Italy", "إيطاليا"} <= labels


def test_unknown_parameter_is_400(server):
    response = server.get("/queries/co-chairs", params={"country": "morocco", "format": "json"})
    assert response.status_code == 400 and "group" in response.text


def test_malformed_parameter_is_400(server):
    response = server.get("/queries/co-chairs", params={"group": "not an iri!", "format": "json"})
    assert response.status_code == 400


def test_unknown_query_is_404(server):
    response = server.get("/queries/no-such-query")
    assert response.status_code == 404 and "co-chairs" in response.text


def test_html_page_with_table_and_downloads(server):
    page = server.get("/queries/co-chairs", headers={"Accept": "text/html"}).text
    for label in CO_CHAIRS:
        assert label in page
    assert 'href="/id/morocco"' in page
    assert "/queries/co-chairs?format=csv" in page


def test_sparql_text(server):
    response = server.get("/queries/meetings.rq")
    assert response.headers["Content-Type"].startswith("application/sparql-query")
    assert "schema:startDate" in response.text


def test_project_saved_queries_run_through_the_app(built_var):
    """Whatever the project ships in queries/ loads and runs over HTTP with its defaults."""
    from coalition_kg.server.app import create_app
    from coalition_kg.server.settings import Settings

    project = Project.locate()
    shipped = saved_queries.load_all(project.queries)
    if not shipped:
        pytest.skip("the project ships no saved queries yet")
    app = create_app(Settings(var=built_var, queries=project.queries, evaluators=1))
    try:
        client = app.test_client()
        for name, saved in shipped.items():
            response = client.get(f"/queries/{name}", query_string={"format": "json"},
                                  headers={"Accept": "application/json"})
            if response.status_code == 406:  # a CONSTRUCT: ask for a graph instead
                response = client.get(f"/queries/{name}", query_string={"format": "turtle"})
            assert response.status_code == 200, (name, response.get_data(as_text=True))
    finally:
        app.extensions["ckg"].backend.close()
