"""The evaluator children cannot reach the network, enforced by the kernel, whatever the guard lets
through: a listening endpoint on loopback must receive nothing, with the guard switched off."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from coalition_kg.project import Project
from coalition_kg.server import app as app_module, evaluator, guard, http
from coalition_kg.server.backend import Job
from coalition_kg.server.settings import Settings
from coalition_kg.server.errors import ServiceError

from .listener import Listener

# The red-team pass's three shapes, and plain SERVICE in its forms.
SHAPES = [
    "PREFIX : <{url}> SELECT * {{ SERVICE:{{ ?s ?p ?o }} }}",
    "PREFIX ex: <http://e/> SELECT * {{ VALUES ?v {{ ex:a\\#b }} SERVICE <{url}> {{ ?x ?y ?z }} }}",
    'SELECT * {{ BIND("x\\u0022" AS ?a) SERVICE <{url}> {{ }} BIND("\\u0022y" AS ?b) }}',
    "SELECT * {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
    "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "ASK {{ SERVICE <{url}> {{ }} }}",
]


@pytest.fixture()
def listener():
    witness = Listener()
    yield witness
    witness.close()


@pytest.fixture(scope="module")
def small_store(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("sandbox") / "store")
    store = ox.Store(path)
    store.add(ox.Quad(ox.NamedNode("http://x/s"), ox.NamedNode("http://x/p"), ox.Literal("o")))
    store.flush()
    del store
    return path


def _job(query: str) -> Job:
    return Job(query, "json", "TURTLE", 10)


def test_an_unconfined_process_does_reach_the_listener(listener):
    """The witness works: the same queries, evaluated by pyoxigraph without the sandbox, arrive."""
    for shape in SHAPES:
        listener.reset()
        evaluator.evaluate(ox.Store(), _job(shape.format(url=listener.url)))
        assert listener.reached, shape


def test_evaluator_children_cannot_reach_the_network(listener, small_store):
    child = evaluator.Evaluator()
    try:
        for shape in SHAPES:
            try:
                child.run(small_store, _job(shape.format(url=listener.url)), 30)
            except ServiceError as error:
                assert http.status_of(error) < 500, error.message
            if not child.alive:  # a killed child is no proof: it must have refused, and go on
                pytest.fail(f"the evaluator died on {shape}")
        answer = child.run(small_store, _job("SELECT ?o { <http://x/s> ?p ?o }"), 30)
        assert b'"o"' in answer.body
    finally:
        child.close()
    assert listener.connections == 0 and listener.requests == []


def test_the_server_sends_nothing_with_the_guard_switched_off(listener, built_var, monkeypatch):
    """The whole request path (protocol, the evaluator pool, the answer) with a guard that lets
    everything through: every SERVICE query is refused by the kernel, answered 403, and nothing leaves."""
    monkeypatch.setattr(guard, "inspect", lambda query: guard.QueryShape("SELECT", False))
    settings = Settings.for_project(Project.locate(var=built_var), evaluators=1, cache_bytes=0)
    app = app_module.create_app(settings)
    client = app.test_client()
    try:
        for shape in SHAPES:
            query = shape.format(url=listener.url)
            response = client.post("/sparql", data=query.encode(), content_type="application/sparql-query",
                                   headers={"Accept": "application/sparql-results+json"})
            assert response.status_code in (200, 403), (query, response.status_code, response.data)
            if response.status_code == 403:
                assert b"no network" in response.data
        assert listener.connections == 0
    finally:
        app.extensions["ckg"].backend.close()


def test_a_name_to_look_up_is_not_looked_up(small_store):
    """No resolver traffic either: an endpoint named by a host name fails to resolve in the child."""
    child = evaluator.Evaluator()
    try:
        with pytest.raises(ServiceError) as caught:
            child.run(small_store, _job("SELECT * { SERVICE <http://ckg-sandbox-test.invalid/x> { ?s ?p ?o } }"), 30)
        assert http.status_of(caught.value) == 403
        assert "no network" in caught.value.message
    finally:
        child.close()


def test_the_red_team_shapes_against_the_running_server(server, listener):
    """The three shapes that got past the old scanner, sent to `ckg serve` as a client would: 403
    before evaluation, and the endpoint they name hears nothing."""
    for shape in SHAPES[:3]:
        response = server.sparql(shape.format(url=listener.url))
        assert response.status_code == 403, response.text
        assert "SERVICE is refused" in response.text
    assert listener.connections == 0
