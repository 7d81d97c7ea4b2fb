"""Validators tied to the build, conditional requests, the answer cache, and CORS."""

from __future__ import annotations

import requests


QUERY = "SELECT ?l WHERE { <https://w3id.org/coalition-kg/id/niger> <http://www.w3.org/2000/01/rdf-schema#label> ?l }"


def get(server, **headers):
    return server.get("/sparql", params={"query": QUERY}, headers=headers)


def test_etag_and_last_modified(server):
    first, second = get(server), get(server)
    assert first.headers["ETag"] == second.headers["ETag"]
    assert first.headers["Last-Modified"]
    build = server.get("/health").json()["build_id"]
    assert first.headers["Graph-Build"] == build
    assert build[:12] in first.headers["ETag"]


def test_if_none_match_gives_304(server):
    etag = get(server).headers["ETag"]
    response = get(server, **{"If-None-Match": etag})
    assert response.status_code == 304 and response.content == b""
    assert response.headers["ETag"] == etag
    assert get(server, **{"If-None-Match": '"something-else"'}).status_code == 200


def test_if_modified_since_gives_304(server):
    last_modified = get(server).headers["Last-Modified"]
    assert get(server, **{"If-Modified-Since": last_modified}).status_code == 304
    assert get(server, **{"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code == 200


def test_etag_depends_on_format_and_query(server):
    json_tag = get(server).headers["ETag"]
    csv_tag = get(server, Accept="text/csv").headers["ETag"]
    other = server.get("/sparql", params={"query": QUERY + " LIMIT 1"}).headers["ETag"]
    assert len({json_tag, csv_tag, other}) == 3


def test_entity_pages_are_conditional_too(server):
    first = server.get("/id/niger", headers={"Accept": "text/html"})
    assert first.status_code == 200
    again = server.get("/id/niger", headers={"Accept": "text/html", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_repeated_query_is_served_from_the_cache(built_var):
    """In process, with real evaluator children: the second identical request evaluates nothing."""
    from coalition_kg.server.app import create_app
    from coalition_kg.server.settings import Settings

    from .conftest import QUERIES

    # QUERY is a one-subject lookup: without inline_lookups=False it would never reach the pool.
    app = create_app(Settings(var=built_var, queries=QUERIES, evaluators=1, inline_lookups=False))
    service = app.extensions["ckg"]
    evaluated = []
    run = service.backend.pool.run
    service.backend.pool.run = lambda store, job, limit: evaluated.append(job.query) or run(store, job, limit)
    try:
        client = app.test_client()
        first = client.get("/sparql", query_string={"query": QUERY})
        second = client.get("/sparql", query_string={"query": QUERY})
        as_csv = client.get("/sparql", query_string={"query": QUERY, "format": "csv"})
    finally:
        service.backend.pool.close()
    assert first.data == second.data and first.headers["ETag"] == second.headers["ETag"]
    assert {row["l"]["value"] for row in first.json["results"]["bindings"]} >= {"Niger", "النيجر"}
    assert evaluated == [QUERY, QUERY]  # the JSON once, then the CSV: a different format is a different key
    assert as_csv.status_code == 200


def test_cors_on_reads(server):
    response = get(server, Origin="http://elsewhere.example")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Result-Truncated" in response.headers["Access-Control-Expose-Headers"]


def test_cors_preflight(server):
    response = requests.options(server.url + "/sparql", timeout=10, headers={
        "Origin": "http://elsewhere.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]


# Three hops from every subject: about a quarter of a second on the seeds, long enough to overlap.
SLOW = """SELECT ?s (COUNT(*) AS ?n) WHERE { ?s ?p ?o . ?o ?q ?r . ?r ?x ?y } GROUP BY ?s ORDER BY DESC(?n) LIMIT 3"""


def _concurrent_evaluations(built_var, cache_bytes: int) -> tuple[int, list]:
    import threading

    from coalition_kg.server.app import create_app
    from coalition_kg.server.settings import Settings
    from coalition_kg.server.backend import Job

    from .conftest import QUERIES

    app = create_app(Settings(var=built_var, queries=QUERIES, evaluators=4, cache_bytes=cache_bytes))
    service = app.extensions["ckg"]
    service.backend.pool.warm()
    evaluated = []
    run = service.backend.pool.run
    service.backend.pool.run = lambda store, job, limit: evaluated.append(job.query) or run(store, job, limit)
    info = service.snapshot()
    job = Job(SLOW, "json", None, 100)
    bodies = []
    together = threading.Barrier(4)

    def ask():
        together.wait()
        bodies.append(service.answer(info, job).body)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        service.backend.pool.close()
    return len(evaluated), bodies


def test_concurrent_identical_queries_share_one_evaluation(built_var):
    # A cache of one byte is on but keeps nothing: only the sharing can spare the other evaluations.
    evaluations, bodies = _concurrent_evaluations(built_var, 1)
    assert evaluations == 1
    assert len(bodies) == 4 and len(set(bodies)) == 1 and b'"n"' in bodies[0]


def test_without_a_cache_every_request_evaluates(built_var):
    evaluations, bodies = _concurrent_evaluations(built_var, 0)
    assert evaluations == 4 and len(set(bodies)) == 1
