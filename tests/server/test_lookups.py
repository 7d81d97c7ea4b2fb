"""One-subject lookups are answered by the web process itself, with the same bytes a child would give."""

from __future__ import annotations

import pytest

from coalition_kg.project import Project
from coalition_kg.server.app import create_app
from coalition_kg.server.settings import Settings

from .conftest import entity, start_server, stop_server

SCHEMA = "PREFIX schema: <http://schema.org/>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
LOOKUPS = [
    SCHEMA + f"ASK {{ <{entity('niamey')}> a schema:City }}",
    SCHEMA + f"ASK {{ <{entity('niamey')}> a schema:Country }}",
    SCHEMA + f"SELECT ?label WHERE {{ <{entity('niamey')}> rdfs:label ?label }}",
    f"SELECT * {{ <{entity('global-coalition')}> ?p ?o }}",
    f"SELECT ?p ?o {{ <{entity('global-coalition')}> ?p ?o }} LIMIT 7",
    SCHEMA + f'SELECT ?p {{ <{entity("niamey")}> ?p "Niamey"@en }}',
]
ACCEPTS = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv",
           "text/tab-separated-values"]
DESCRIBE = f"DESCRIBE <{entity('niamey')}>"


@pytest.fixture(scope="module")
def children_only(built_var, tmp_path_factory):
    """The same server, but every query goes to an evaluator child."""
    log = tmp_path_factory.mktemp("log") / "serve-no-inline.log"
    running = start_server(built_var, log, "--no-inline-lookups")
    yield running
    stop_server(running)


def _answer(response):
    return (response.status_code, response.headers["Content-Type"], response.headers["Result-Rows"],
            response.headers["Result-Truncated"], response.content)


@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize("query", LOOKUPS)
def test_lookup_answers_are_the_evaluator_answers(server, children_only, query, accept):
    inline = server.sparql(query, accept=accept)
    assert inline.status_code == 200, inline.text
    assert _answer(inline) == _answer(children_only.sparql(query, accept=accept))


@pytest.mark.parametrize("accept", ["text/turtle", "application/n-triples"])
def test_describe_lookup_is_the_evaluator_answer(server, children_only, accept):
    inline = server.sparql(DESCRIBE, accept=accept)
    assert inline.status_code == 200 and "نيامي" in inline.text
    assert _answer(inline) == _answer(children_only.sparql(DESCRIBE, accept=accept))


def test_lookup_values_come_from_the_seeds(server):
    assert server.sparql(LOOKUPS[0]).json()["boolean"] is True
    assert server.sparql(LOOKUPS[1]).json()["boolean"] is False
    labels = {(row["label"]["value"], row["label"].get("xml:lang")) for row in
              server.sparql(LOOKUPS[2]).json()["results"]["bindings"]}
    assert {("Niamey", "en"), ("نيامي", "ar")} <= labels
    rows = server.sparql(LOOKUPS[4])
    assert len(rows.json()["results"]["bindings"]) == 7 and rows.headers["Result-Rows"] == "7"


def test_lookup_with_a_syntax_error_is_a_400(server):
    response = server.sparql("ASK { ex:niamey a ex:City }")  # the prefix is never declared
    assert response.status_code == 400
    assert "syntax" in response.text.lower() and "ex" in response.text


def _service(built_var, **overrides):
    app = create_app(Settings.for_project(Project.locate(var=built_var), **overrides))
    return app, app.extensions["ckg"]


def _post(app, query):
    return app.test_client().post("/sparql", data=query.encode(), headers={
        "Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"})


def test_lookups_start_no_evaluator_child(built_var):
    app, service = _service(built_var)
    try:
        assert _post(app, LOOKUPS[0]).get_json()["boolean"] is True
        assert service.backend.pool._started == 0  # answered in this process
        joined = f"ASK {{ <{entity('niamey')}> ?p ?o . ?o ?q ?r }}"
        assert _post(app, joined).get_json()["boolean"] is True
        assert service.backend.pool._started == 1  # anything else needs a child, for the time limit
    finally:
        service.backend.pool.close()


def test_inline_lookups_can_be_turned_off(built_var):
    app, service = _service(built_var, inline_lookups=False)
    try:
        assert _post(app, LOOKUPS[0]).get_json()["boolean"] is True
        assert service.backend.pool._started == 1
    finally:
        service.backend.pool.close()
