"""A store whose files are not those its manifest records is never served: the running server answers 503
naming the damaged file, and serves again as soon as a build makes a good store current."""

from __future__ import annotations

import os

import pytest

from coalition_kg.graph import store
from coalition_kg.graph.build import build
from coalition_kg.project import Project

from .conftest import start_server, stop_server

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"  # the named graphs' quads


@pytest.fixture
def own_server(built_var, tmp_path):
    """A server over a var directory of its own, so that damaging its store disturbs no other test."""
    var = tmp_path / "var"
    quads = list(store.named_quads(store.current(built_var).open_read_only()))
    store.make_current(var, store.write_new_store(var, "aaaaaaaaaaaaaaaa", iter(quads)))
    running = start_server(var, tmp_path / "serve.log")
    yield running, quads
    stop_server(running)


def test_a_damaged_store_is_refused_and_the_next_build_is_served(own_server):
    server, quads = own_server
    assert server.sparql(COUNT).headers["Graph-Build"] == "aaaaaaaaaaaaaaaa"

    damaged = store.write_new_store(server.var, "bbbbbbbbbbbbbbbb", iter(quads))
    table = max((damaged.store_path).glob("*.sst"), key=lambda p: p.stat().st_size)
    with open(table, "r+b") as data:  # one byte flipped, the size unchanged
        data.seek(table.stat().st_size // 2)
        byte = data.read(1)
        data.seek(-1, os.SEEK_CUR)
        data.write(bytes([byte[0] ^ 0xFF]))
    store.make_current(server.var, damaged)  # damaged after its build, before any request used it

    for path in ("/health", f"/sparql?query={COUNT}"):
        response = server.get(path)
        assert response.status_code == 503, response.text
        assert f"is damaged and is not served: store/{table.name} does not have the SHA-256" in response.text
        assert str(server.var) not in response.text  # the client is not told where the files lie
    assert server.sparql(COUNT).status_code == 503

    fresh = build(Project.locate(var=server.var))
    response = server.sparql(COUNT)
    assert response.status_code == 200, response.text
    assert response.headers["Graph-Build"] == fresh.build_id
    assert int(response.json()["results"]["bindings"][0]["n"]["value"]) == fresh.quads
