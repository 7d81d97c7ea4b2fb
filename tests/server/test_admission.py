"""Idle and greedy clients against the real server: bodies that never come (or come a byte at a time)
hold no thread and get 408; runaway queries hold at most all threads but one, so /health, pages, saved
queries and lookups are answered meanwhile; a client over its cap gets 429 and a query that finds no
free evaluator in time 503, both at once; every evaluator child's memory limit is its share of the
budget."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from .conftest import CKG, start_server, stop_server

BODY_TIMEOUT = 6.0  # long enough that cheap requests are judged well before the idle bodies' 408
QUERY_TIMEOUT = 6.0  # the runaways hold their slots this long; cheap requests must not wait for it
QUEUE_TIMEOUT = 1.0
THREADS = 3  # one worker: two threads for ad-hoc SPARQL, one kept for everything else
PROMPT = 3.0  # generous, for a busy machine; the old server made these wait for QUERY_TIMEOUT or forever

# A cross product far beyond any time limit; the comment makes each client's text (and so its
# evaluation) its own, since identical queries would share one evaluation (cache.Flights).
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE {{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }} # {}"
# Small, and not a one-subject lookup: it needs an evaluator child.
SMALL = "ASK { ?s ?p <https://w3id.org/coalition-kg/id/morocco> }"
LOOKUP = "ASK { <https://w3id.org/coalition-kg/id/morocco> ?p ?o }"


@pytest.fixture(scope="module")
def guarded(built_var, tmp_path_factory):
    log = tmp_path_factory.mktemp("log") / "serve-admission.log"
    running = start_server(built_var, log, "--workers", "1", "--threads", str(THREADS),
                           "--query-timeout", str(QUERY_TIMEOUT), "--body-timeout", str(BODY_TIMEOUT),
                           "--queue-timeout", str(QUEUE_TIMEOUT), "--per-client-queries", "1")
    yield running
    stop_server(running)


def _port(server) -> int:
    return int(server.url.rsplit(":", 1)[1])


def _request(server, method: str, path: str, body: bytes | None = None, source: str = "127.0.0.1",
             headers: dict | None = None, timeout: float = 30) -> tuple[int, http.client.HTTPMessage, bytes, float]:
    """One request from a chosen loopback address (each is a client of its own to the server); the
    answer's headers are read case-blind."""
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", _port(server), timeout=timeout,
                                            source_address=(source, 0))
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read(), time.monotonic() - started
    finally:
        connection.close()


def _sparql(server, query: str, source: str = "127.0.0.1", timeout: float = 30):
    return _request(server, "POST", "/sparql", query.encode(), source,
                    {"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
                    timeout)


def _open_idle_post(server) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", _port(server)), timeout=60)
    sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
                 b"Content-Length: 100\r\n\r\n")
    return sock


def _read_until_closed(sock: socket.socket) -> bytes:
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def _cheap_requests_are_prompt(server) -> None:
    """/health, a lookup, a small query, a saved query and an entity page, each answered promptly."""
    for method, path, body, headers in (
            ("GET", "/health", None, {}),
            ("POST", "/sparql", LOOKUP.encode(), {"Content-Type": "application/sparql-query"}),
            ("GET", "/queries/meetings?format=json", None, {}),
            ("GET", "/id/morocco", None, {"Accept": "text/html"})):
        status, _, _, took = _request(server, method, path, body, headers=headers, timeout=PROMPT + 10)
        assert status == 200 and took < PROMPT, (path, status, took)


def test_idle_bodies_hold_no_thread_and_get_408(guarded):
    idle = [_open_idle_post(guarded) for _ in range(3 * THREADS + 1)]
    try:
        opened = time.monotonic()
        time.sleep(0.3)
        _cheap_requests_are_prompt(guarded)
        status, _, body, took = _sparql(guarded, SMALL, timeout=PROMPT + 10)
        assert status == 200 and b"true" in body and took < PROMPT
        assert time.monotonic() - opened < BODY_TIMEOUT, "too slow to tell: the idle bodies' deadline passed"
        # Past the deadline each idle request is answered 408 and its connection closed.
        for sock in idle:
            answer = _read_until_closed(sock)
            assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
            assert b"connection: close" in answer.lower() and b"did not arrive within 6 s" in answer
        assert BODY_TIMEOUT - 0.5 <= time.monotonic() - opened < BODY_TIMEOUT + 15
    finally:
        for sock in idle:
            sock.close()
    # The front logs what it answers itself, like every other answer (in batches: at most ¼ s late).
    deadline = time.monotonic() + 5
    while (guarded.log.read_text(errors="replace").count('"POST /sparql HTTP/1.1" 408 ') < len(idle)
           and time.monotonic() < deadline):
        time.sleep(0.1)
    assert guarded.log.read_text(errors="replace").count('"POST /sparql HTTP/1.1" 408 ') >= len(idle)


def test_a_slow_drip_body_gets_408_at_the_deadline(guarded):
    sock = _open_idle_post(guarded)
    try:
        started, answer = time.monotonic(), b""
        sock.settimeout(0.5)
        # A byte every half second would take 50 s for the 100 declared: the deadline is for the whole
        # body, not for silence between bytes.
        while time.monotonic() - started < BODY_TIMEOUT + 15:
            try:
                sock.sendall(b"#")
            except OSError:  # closed after the answer
                break
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                break
            answer += chunk
        took = time.monotonic() - started
        assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
        assert BODY_TIMEOUT - 0.5 <= took < BODY_TIMEOUT + 15
    finally:
        sock.close()


def test_a_body_in_pieces_within_the_deadline_is_answered(guarded):
    query = SMALL.encode()
    sock = socket.create_connection(("127.0.0.1", _port(guarded)), timeout=30)
    try:
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
                     b"Accept: application/sparql-results+json\r\nConnection: close\r\n"
                     b"Content-Length: " + str(len(query)).encode() + b"\r\n\r\n")
        for start in range(0, len(query), 20):
            sock.sendall(query[start:start + 20])
            time.sleep(0.2)
        answer = _read_until_closed(sock)
        assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b'"boolean":true}'), answer[-200:]
    finally:
        sock.close()


def _runaways(server, sources: list[str]) -> tuple[list[threading.Thread], list]:
    outcomes = []

    def run(source):
        status, headers, body, took = _sparql(server, RUNAWAY.format(source), source, timeout=QUERY_TIMEOUT + 30)
        outcomes.append((status, headers.get("Retry-After"), body.decode(), took))

    threads = [threading.Thread(target=run, args=(source,)) for source in sources]
    for thread in threads:
        thread.start()
    return threads, outcomes


def test_cheap_requests_are_answered_while_runaways_hold_the_evaluators(guarded):
    # More runaway clients than the worker has threads: two are admitted, the rest wait and get 503.
    sources = [f"127.0.0.{n}" for n in range(2, THREADS + 4)]
    threads, outcomes = _runaways(guarded, sources)
    try:
        time.sleep(0.5)
        _cheap_requests_are_prompt(guarded)
        _cheap_requests_are_prompt(guarded)
    finally:
        for thread in threads:
            thread.join(QUERY_TIMEOUT + 40)
    stopped = [o for o in outcomes if "time limit" in o[2]]
    refused = [o for o in outcomes if "stayed busy" in o[2]]
    assert len(stopped) == THREADS - 1 and len(refused) == len(sources) - (THREADS - 1), outcomes
    assert all(status == 503 and took >= QUERY_TIMEOUT for status, _, _, took in stopped)
    # A waiter is refused after the admission wait, long before a runaway ends, and told when to retry.
    assert all(status == 503 and retry == str(int(QUERY_TIMEOUT)) and QUEUE_TIMEOUT - 0.2 <= took < PROMPT
               for status, retry, _, took in refused), refused


def test_a_client_over_its_cap_gets_429_at_once(guarded):
    threads, outcomes = _runaways(guarded, ["127.0.0.20"])
    try:
        time.sleep(0.5)
        status, headers, body, took = _sparql(guarded, RUNAWAY.format("again"), "127.0.0.20", timeout=PROMPT + 10)
        assert status == 429 and took < PROMPT, (status, body, took)
        assert headers["Retry-After"] == str(int(QUERY_TIMEOUT)) and b"already has 1 SPARQL" in body
        # The cap is the client's: another address is admitted to the free slot and answered.
        status, _, body, took = _sparql(guarded, SMALL, "127.0.0.21", timeout=PROMPT + 10)
        assert status == 200 and b"true" in body and took < PROMPT
    finally:
        for thread in threads:
            thread.join(QUERY_TIMEOUT + 40)
    assert [o[0] for o in outcomes] == [503] and "time limit" in outcomes[0][2]
    # Its slot given back, the client is admitted again.
    status, _, body, _ = _sparql(guarded, SMALL + " # after", "127.0.0.20")
    assert status == 200 and b"true" in body


def _evaluator_children(server_pid: int) -> list[int]:
    """The evaluator processes in the server's process group (it runs in a session of its own)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        group = int(stat.rsplit(")", 1)[1].split()[2])
        if group == server_pid and b"coalition_kg.server.evaluator" in command:
            found.append(int(entry.name))
    return found


def _address_space_limit(pid: int) -> tuple[str, str]:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max address space"):
            soft, hard = line.split()[3:5]
            return soft, hard
    raise AssertionError(f"no address space line for {pid}")


def test_each_evaluator_child_gets_its_share_of_the_memory_budget(built_var, tmp_path):
    # 4608 MiB for 2 workers x 3 threads: 768 MiB each, below the per-child 4096.
    server = start_server(built_var, tmp_path / "serve-budget.log", "--workers", "2", "--threads", "3",
                          "--memory-budget-mb", "4608", "--evaluator-memory-mb", "4096")
    try:
        share = str(768 << 20)
        # The workers start all their children at once; each sets its limit as its interpreter starts.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            children = _evaluator_children(server.process.pid)
            limits = {_address_space_limit(pid) for pid in children}
            if len(children) == 6 and limits == {(share, share)}:
                break
            time.sleep(0.2)
        assert len(children) == 6, children
        assert limits == {(share, share)}
        assert server.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"] == \
            str(server.get("/health").json()["triples"])
    finally:
        stop_server(server)


def test_a_budget_too_small_for_the_evaluators_is_refused(built_var):
    result = subprocess.run([*CKG, "serve", "--no-build", "--port", "1", "--workers", "2", "--threads", "4",
                             "--memory-budget-mb", "2048"],
                            env={**os.environ, "CKG_VAR": str(built_var)}, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2
    assert "each evaluator child would get 256 MiB" in result.stderr and "at least 768" in result.stderr


def test_a_body_cut_short_gets_400(guarded):
    sock = _open_idle_post(guarded)
    try:
        sock.sendall(b"ASK {}")
        sock.shutdown(socket.SHUT_WR)  # 6 bytes of the 100 declared, and no more will come
        answer = _read_until_closed(sock)
        assert answer.startswith(b"HTTP/1.1 400 ") and b"ended before the length it declared" in answer, answer
    finally:
        sock.close()
