"""`ckg serve` as operators run it: a production server, a health route, an access log."""

from __future__ import annotations

import time


def test_health(server):
    health = server.get("/health").json()
    assert health["status"] == "ok" and health["quads"] > 1000 and len(health["build_id"]) == 16


def test_served_by_granian_not_the_development_server(server):
    assert server.get("/health").headers["Server"].startswith("granian")


def test_gunicorn_still_serves(built_var, tmp_path):
    """`--server gunicorn` (the measured alternative) answers the same, fast path included."""
    from .conftest import start_server, stop_server

    other = start_server(built_var, tmp_path / "gunicorn.log", "--server", "gunicorn")
    try:
        assert other.get("/health").headers["Server"].startswith("gunicorn")
        assert other.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"] == \
            str(other.get("/health").json()["triples"])
        assert other.get("/queries/meetings", headers={"Accept": "text/csv"}).status_code == 200
        assert other.sparql("SELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }").status_code == 403
    finally:
        stop_server(other)


def test_access_log(server):
    server.get("/id/morocco", headers={"Accept": "text/turtle"})
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        log = server.log.read_text(errors="replace")
        if '"GET /id/morocco HTTP/1.1" 200' in log:
            break
        time.sleep(0.1)
    assert '"GET /id/morocco HTTP/1.1" 200' in log
