"""Read-only and safe: no updates, no writes, no outgoing requests, bounded bodies, no stack traces."""

from __future__ import annotations

import http.server
import threading

import pytest

from .conftest import MAX_BODY, entity

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


@pytest.fixture
def listener():
    """A loopback HTTP server that records every request it gets: SERVICE must never reach it."""
    hits = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.end_headers()
            self.wfile.write(b'{"head":{"vars":[]},"results":{"bindings":[{}]}}')

        do_POST = do_GET

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/sparql", hits
    httpd.shutdown()
    httpd.server_close()


def size(server) -> int:
    return int(server.select(COUNT)[0]["n"])


def test_update_by_content_type_is_refused(server):
    before = size(server)
    response = server.post("/sparql", data=f"INSERT DATA {{ <{entity('x')}> <{entity('p')}> 1 }}".encode(),
                           headers={"Content-Type": "application/sparql-update"})
    assert response.status_code == 403 and "read-only" in response.text
    assert size(server) == before


def test_update_parameter_is_refused(server):
    before = size(server)
    response = server.post("/sparql", data={"update": "CLEAR ALL"})
    assert response.status_code == 403
    assert size(server) == before


@pytest.mark.parametrize("text", [
    "INSERT DATA { <http://example.org/a> <http://example.org/b> 1 }",
    "DELETE WHERE { ?s ?p ?o }",
    "CLEAR DEFAULT",
    "DROP ALL",
    "PREFIX ex: <http://example.org/> WITH ex:g DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
])
def test_update_as_query_is_refused(server, text):
    before = size(server)
    response = server.sparql(text)
    assert response.status_code == 403
    assert size(server) == before


@pytest.mark.parametrize("template", [
    "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "select * where {{ service silent <{url}> {{ ?s ?p ?o }} }}",
    # SPARQL applies \\u escapes before parsing, so this is SERVICE too.
    "SELECT * WHERE {{ SERVIC\\u0045 <{url}> {{ ?s ?p ?o }} }}",
])
def test_service_is_refused_before_evaluation(server, listener, template):
    url, hits = listener
    response = server.sparql(template.format(url=url))
    assert response.status_code == 403 and "SERVICE" in response.text
    assert hits == []


def test_load_is_refused_before_evaluation(server, listener):
    url, hits = listener
    response = server.post("/sparql", data={"update": f"LOAD <{url}>"})
    assert response.status_code == 403
    response = server.sparql(f"LOAD <{url}>")
    assert response.status_code == 403
    assert hits == []


def test_keywords_inside_strings_iris_and_comments_are_fine(server):
    query = ('SELECT ?x WHERE { BIND("SERVICE LOAD INSERT" AS ?x) '
             'FILTER(?x != <http://example.org/SERVICE>) } # DROP ALL')
    response = server.sparql(query)
    assert response.status_code == 200
    assert response.json()["results"]["bindings"][0]["x"]["value"] == "SERVICE LOAD INSERT"


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_graph_store_writes_are_refused(server, method):
    import requests

    response = requests.request(method, server.url + "/sparql", data=b"<a> <b> <c> .",
                                headers={"Content-Type": "text/turtle"}, timeout=10)
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    response = requests.request(method, server.url + "/id/morocco", data=b"", timeout=10)
    assert response.status_code == 405


def test_body_over_the_limit(server):
    padding = "#" + "x" * MAX_BODY + "\n"
    response = server.post("/sparql", data=(padding + "ASK {}").encode(),
                           headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 413
    response = server.post("/sparql", data={"query": padding + "ASK {}"})
    assert response.status_code == 413


def test_chunked_body_over_the_limit(server):
    def chunks():
        for _ in range(4):
            yield b"#" + b"x" * MAX_BODY + b"\n"

    response = server.post("/sparql", data=chunks(), headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 413


def test_errors_are_plain_messages(server):
    for response in (server.sparql("SELECT"), server.get("/no/such/page"), server.get("/queries/nope"),
                     server.sparql("SELECT * WHERE { ?s ?p ?o FILTER(", accept="text/csv")):
        assert 400 <= response.status_code < 500
        assert "Traceback" not in response.text and 'File "' not in response.text
        assert response.headers["Content-Type"].startswith(("text/plain", "text/html"))
