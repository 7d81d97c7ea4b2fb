"""/dump.nq: the whole build for linked-data consumers, every named graph in N-Quads, the same bytes as
`ckg dump --format nquads`, under both production servers, with its length and validators; written once
per build from the backend's graphs, each whole and counted: a graph the backend cannot give whole is an
error before any byte is sent, and nothing of it is kept."""

from __future__ import annotations

import fcntl
import os
import shutil
import time

import pyoxigraph as ox
import pytest
import requests

import engines
from coalition_kg.graph import publish, store
from coalition_kg.server.app import create_app
from coalition_kg.server.settings import Settings

from conftest import dumped

from .conftest import PROJECT_QUERIES, start_server, stop_server


def _ckg_dump(var) -> bytes:
    return dumped(store.current(var).open_read_only(), "nquads")


@pytest.fixture(scope="module")
def gunicorn_server(built_var, tmp_path_factory):
    running = start_server(built_var, tmp_path_factory.mktemp("log") / "serve.log", "--server", "gunicorn")
    yield running
    stop_server(running)


@pytest.mark.parametrize("which", ["server", "gunicorn_server"])
def test_the_dump_is_ckg_dump_s_bytes_with_validators(request, built_var, which):
    served = request.getfixturevalue(which)
    response = served.get("/dump.nq")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/n-quads")
    assert response.content == _ckg_dump(built_var)
    assert response.headers["Content-Length"] == str(len(response.content))
    assert (built_var / "dumps" / f"{store.current(built_var).build_id}.nq").read_bytes() == response.content
    quads = list(ox.parse(response.content, ox.RdfFormat.N_QUADS))
    info = store.current(built_var)
    assert len(quads) == info.quads  # every named graph whole, whatever the row limit (the test server's is 50)
    assert {quad.graph_name.value for quad in quads} == set(info.graphs)
    again = served.get("/dump.nq", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["Graph-Build"] == info.build_id
    head = requests.head(served.url + "/dump.nq", timeout=30)
    assert head.status_code == 200 and head.content == b"" and head.headers["ETag"] == response.headers["ETag"]
    assert head.headers["Content-Length"] == response.headers["Content-Length"]


TRIPLE = b'<http://example.org/s> <http://example.org/p> "x" .\n'


def short_engine(graphs: dict[str, int]) -> engines.FakeEngine:
    """An engine whose metadata says the given graphs are published with the given triple counts, and
    which gives one triple for each: a graph said to hold more comes back short."""
    return engines.FakeEngine(lambda: TRIPLE, content_type="application/n-triples", exact_length=True, graphs=graphs,
                              build="0123456789abcdef")


def test_a_dump_that_cannot_be_written_is_an_error_and_the_rest_serves(built_var, tmp_path):
    var, client = _app_over_a_copy(built_var, tmp_path)
    (var / "dumps").write_text("a file where the dumps' folder would be")
    response = client.get("/dump.nq")
    assert response.status_code == 503
    assert response.text.startswith(f"503 Service Unavailable: the dump of build {store.current(var).build_id} "
                                    f"cannot be written under {var / 'dumps'}")
    assert client.get("/id/morocco", headers={"Accept": "text/turtle"}).status_code == 200


def _app_over_a_copy(built_var, tmp_path):
    var = tmp_path / "var"
    shutil.copytree(built_var, var, symlinks=True, ignore=shutil.ignore_patterns("dumps"))
    return var, create_app(Settings(var=var, queries=PROJECT_QUERIES)).test_client()


def test_a_dump_being_written_is_come_back_later_and_holds_no_thread(built_var, tmp_path):
    var, client = _app_over_a_copy(built_var, tmp_path)
    (var / "dumps").mkdir()
    with open(var / "dumps" / ".lock", "ab") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # as another worker writing the dump holds it
        response = client.get("/dump.nq")
        assert response.status_code == 503 and response.headers["Retry-After"] == "5"
        assert "is being written; ask again in a few seconds" in response.text
    assert client.get("/dump.nq").data == _ckg_dump(var)


def test_old_dumps_and_half_written_ones_are_removed_when_a_dump_is_written(built_var, tmp_path):
    var, client = _app_over_a_copy(built_var, tmp_path)
    folder = var / "dumps"
    folder.mkdir()
    old, recent, dead = folder / "00000000000000aa.nq", folder / "00000000000000bb.nq", folder / ".00000000000000cc.nq.1.part"
    for path in (old, recent, dead):
        path.write_bytes(b"")
    hours_ago = time.time() - 2 * 3600
    os.utime(old, (hours_ago, hours_ago))
    assert client.get("/dump.nq").status_code == 200
    # the dump of a build that may still serve elsewhere (an hour's grace) stays; the others go
    assert sorted(path.name for path in folder.iterdir()) == [
        ".lock", "00000000000000bb.nq", f"{store.current(var).build_id}.nq"]


def _serve_from(engine: engines.FakeEngine, tmp_path, server_name: str):
    return start_server(tmp_path, tmp_path / "serve.log", "--engine", "sparql11", "--query-url", engine.url,
                        "--server", server_name)


@pytest.mark.parametrize("server_name", ["granian", "gunicorn"])
def test_a_graph_the_engine_gives_short_is_an_error_and_nothing_is_kept(tmp_path, server_name):
    engine = short_engine({publish.GRAPH + "a": 1, publish.GRAPH + "b": 2})
    running = _serve_from(engine, tmp_path, server_name)
    try:
        for _ in range(2):  # asked again at once: the failure is remembered, and the engine not asked again
            response = requests.get(running.url + "/dump.nq", timeout=30)
            assert response.status_code == 503, response.text
            assert "gave 1 triples of the graph <https://w3id.org/coalition-kg/graph/b>" in response.text
        assert [("graph/a" in query, "graph/b" in query) for query in engine.queries] == [(True, False), (False, True)]
        assert "Retry-After" in response.headers  # the second: answered from the note of the failure
        # nothing of the dump: the lock, and the note of the failure, for every process of the server
        assert sorted(path.name for path in (tmp_path / "dumps").iterdir()) == [".0123456789abcdef.failed", ".lock"]
    finally:
        stop_server(running)
        engine.close()


def test_a_whole_remote_build_is_dumped_once(tmp_path):
    engine = short_engine({publish.GRAPH + "b": 1, publish.GRAPH + "a": 1})
    running = _serve_from(engine, tmp_path, "granian")
    try:
        first = requests.get(running.url + "/dump.nq", timeout=30)
        assert first.status_code == 200
        assert first.content == (b'<http://example.org/s> <http://example.org/p> "x" <https://w3id.org/coalition-kg/graph/a> .\n'
                                 b'<http://example.org/s> <http://example.org/p> "x" <https://w3id.org/coalition-kg/graph/b> .\n')
        assert requests.get(running.url + "/dump.nq", timeout=30).content == first.content
        assert len(engine.queries) == 2  # once per graph: the second answer is the file
    finally:
        stop_server(running)
        engine.close()
