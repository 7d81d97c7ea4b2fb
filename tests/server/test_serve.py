"""`ckg serve` as operators run it: a production server, a health route, an access log."""

from __future__ import annotations

import time


def test_health(server):
    health = server.get("/health").json()
    assert health["status"] == "ok" and health["quads"] > 1000 and len(health["build_id"]) == 16


def test_served_by_gunicorn_not_the_development_server(server):
    assert server.get("/health").headers["Server"].startswith("gunicorn")


def test_access_log(server):
    server.get("/id/morocco", headers={"Accept": "text/turtle"})
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        log = server.log.read_text(errors="replace")
        if '"GET /id/morocco HTTP/1.1" 200' in log:
            break
        time.sleep(0.1)
    assert '"GET /id/morocco HTTP/1.1" 200' in log
