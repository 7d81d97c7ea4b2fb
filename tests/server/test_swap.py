"""A rebuild moves `var/current`; the running server follows without a restart, never mixing stores."""

from __future__ import annotations

import threading

import pyoxigraph as ox
import pytest

from coalition_kg.graph import store

from .conftest import start_server, stop_server

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"  # the named graphs' quads
MARKER = ox.Quad(ox.NamedNode("https://w3id.org/coalition-kg/id/test-marker"),
                 ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), ox.Literal("rebuilt", language="en"),
                 ox.NamedNode("https://w3id.org/coalition-kg/graph/curation"))


@pytest.fixture
def own_server(built_var, tmp_path):
    """A server over a var directory of its own, so that swapping stores disturbs no other test."""
    var = tmp_path / "var"
    info = store.current(built_var)
    quads = list(store.named_quads(info.open_read_only()))
    store.make_current(var, store.write_new_store(var, "aaaaaaaaaaaaaaaa", iter(quads)))
    running = start_server(var, tmp_path / "serve.log")
    yield running, quads
    stop_server(running)


def count_and_build(server) -> tuple[int, str]:
    response = server.sparql(COUNT)
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"]), response.headers["Graph-Build"]


def test_rebuild_is_picked_up_without_restart(own_server):
    server, quads = own_server
    old_count, old_build = count_and_build(server)
    old_etag = server.get("/sparql", params={"query": COUNT}).headers["ETag"]
    assert server.get("/sparql", params={"query": COUNT}, headers={"If-None-Match": old_etag}).status_code == 304
    assert (old_count, old_build) == (len(quads), "aaaaaaaaaaaaaaaa")

    results, stop = [], threading.Event()

    def hammer():
        while not stop.is_set():
            results.append(count_and_build(server))

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for thread in threads:
        thread.start()
    new = store.write_new_store(server.var, "bbbbbbbbbbbbbbbb", iter([*quads, MARKER]))
    store.make_current(server.var, new)
    # Keep hammering until every thread has seen the new build at least once.
    deadline = threading.Event()
    for _ in range(200):
        if sum(1 for _, build in results if build == "bbbbbbbbbbbbbbbb") >= 6:
            break
        deadline.wait(0.05)
    stop.set()
    for thread in threads:
        thread.join()

    # Every answer is consistent with the build it says it came from: no request mixed the two stores.
    expected = {"aaaaaaaaaaaaaaaa": len(quads), "bbbbbbbbbbbbbbbb": len(quads) + 1}
    assert results and all(count == expected[build] for count, build in results)
    assert count_and_build(server) == (len(quads) + 1, "bbbbbbbbbbbbbbbb")
    response = server.get("/sparql", params={"query": COUNT}, headers={"If-None-Match": old_etag})
    assert response.status_code == 200 and response.headers["ETag"] != old_etag
    page = server.get("/id/test-marker", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "rebuilt" in page.text
