"""Time, memory and row limits: a long or memory-hungry query is stopped and the server keeps
answering; big answers are cut."""

from __future__ import annotations

import threading
import time

import pytest

from .conftest import QUERY_TIMEOUT, ROW_LIMIT, start_server, stop_server

# Four-way cross product of ~10,000 triples: about 10^16 rows, far beyond any time limit.
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
# Not a one-subject lookup (guard.is_subject_lookup), so it needs an evaluator child like ENDLESS.
SMALL = "ASK { ?s ?p <https://w3id.org/coalition-kg/id/morocco> }"


def test_time_limit_stops_the_query_and_others_are_served(server):
    outcome = {}

    def slow():
        started = time.monotonic()
        response = server.sparql(ENDLESS)
        outcome.update(status=response.status_code, text=response.text, took=time.monotonic() - started)

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.3)
    # While the long query runs, other clients are answered at once.
    during = []
    for _ in range(5):
        started = time.monotonic()
        response = server.sparql(SMALL)
        during.append((response.status_code, response.json()["boolean"], time.monotonic() - started))
    assert thread.is_alive(), "the endless query finished early: the test proves nothing"
    thread.join(timeout=QUERY_TIMEOUT + 20)
    assert all(status == 200 and value is True for status, value, _ in during)
    assert max(took for *_, took in during) < QUERY_TIMEOUT
    assert outcome["status"] == 503
    assert "time limit" in outcome["text"]
    assert QUERY_TIMEOUT <= outcome["took"] < QUERY_TIMEOUT + 5


def test_server_answers_after_timeouts(server):
    for _ in range(2):
        assert server.sparql(ENDLESS).status_code == 503
    # Every worker thread's evaluator may have been replaced: all of them must still answer.
    for _ in range(12):
        response = server.sparql(SMALL)
        assert response.status_code == 200 and response.json()["boolean"] is True


def test_row_cap_truncates_and_says_so(server):
    response = server.sparql("SELECT ?s ?p ?o WHERE { ?s ?p ?o }")
    assert response.status_code == 200
    assert len(response.json()["results"]["bindings"]) == ROW_LIMIT
    assert response.headers["Result-Truncated"] == "true"
    assert response.headers["Result-Row-Limit"] == str(ROW_LIMIT)


def test_row_cap_on_graphs(server):
    response = server.sparql("CONSTRUCT WHERE { ?s ?p ?o }", accept="application/n-triples")
    assert len(response.text.strip().splitlines()) == ROW_LIMIT
    assert response.headers["Result-Truncated"] == "true"


def test_answer_under_the_cap_is_not_truncated(server):
    response = server.sparql(f"SELECT ?s WHERE {{ ?s ?p ?o }} LIMIT {ROW_LIMIT}")
    assert len(response.json()["results"]["bindings"]) == ROW_LIMIT
    assert response.headers["Result-Truncated"] == "false"
    assert response.headers["Result-Rows"] == str(ROW_LIMIT)


# Sorting a cross product of the whole graph with itself: ~10^8 rows held in memory at once.
MEMORY_HUNGRY = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"


# The memory-hungry query reaches 1 GiB in about a second on a quiet machine, but several on a busy
# one; this server's time limit is far above that, so only the memory limit can stop it.
MEMORY_SERVER_TIMEOUT = 60


@pytest.fixture(scope="module")
def small_memory_server(built_var, tmp_path_factory):
    log = tmp_path_factory.mktemp("log") / "serve-memory.log"
    running = start_server(built_var, log, "--evaluator-memory-mb", "1024",
                           "--query-timeout", str(MEMORY_SERVER_TIMEOUT))
    yield running
    stop_server(running)


def test_memory_limit_stops_a_query_and_the_server_goes_on(small_memory_server):
    started = time.monotonic()
    response = small_memory_server.sparql(MEMORY_HUNGRY)
    took = time.monotonic() - started
    assert response.status_code == 503
    # Stopped by the memory limit (the message says which limit), long before the time limit.
    assert "1024 MiB of memory" in response.text, response.text
    assert took < MEMORY_SERVER_TIMEOUT / 2
    for _ in range(6):  # the evaluator was replaced: every worker thread still answers
        response = small_memory_server.sparql(SMALL)
        assert response.status_code == 200 and response.json()["boolean"] is True


def test_evaluator_children_keep_few_malloc_arenas():
    """Under the address-space cap, glibc's per-thread arenas (64 MiB reserved each) made the store's
    threads fail to start in a fresh child while other queries ran: children run with two arenas."""
    from coalition_kg.server.evaluator import Evaluator

    child = Evaluator(1 << 30)
    try:
        child._wait_until_ready()  # its environment is the new program's only once it has started
        environ = open(f"/proc/{child.process.pid}/environ", "rb").read().split(b"\0")
        assert b"MALLOC_ARENA_MAX=2" in environ
    finally:
        child.close()
