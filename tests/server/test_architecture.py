"""The server's shape (issue 12, ../shared/DESIGN.md): one router, views over the query service, the
backend below without the web, and one table from domain errors to statuses."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from coalition_kg.server import errors, http

SERVER = Path(__file__).resolve().parents[2] / "server"


def _imports(path: Path) -> set[str]:
    """Every module a file imports, relative imports resolved against the server package."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module or ""
            else:
                base = "coalition_kg.server" if node.level == 1 else "coalition_kg"
                base += "." + node.module if node.module else ""
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


WEB = ("flask", "werkzeug", "coalition_kg.server.http", "coalition_kg.server.router", "coalition_kg.server.views",
       "coalition_kg.server.linked_data", "coalition_kg.server.statements", "coalition_kg.server.app",
       "coalition_kg.server.front")


@pytest.mark.parametrize("module", ["backend", "evaluator", "live_store", "writers", "sandbox", "remote_backend",
                                    "virtuoso", "virtuoso_refusals", "sparql_text", "query_service"])
def test_the_backend_never_imports_the_web_layer(module):
    reached = {name for name in _imports(SERVER / f"{module}.py") if name.startswith(WEB)}
    assert reached == set(), module


@pytest.mark.parametrize("module", ["views", "router", "http", "query_service"])
def test_views_never_open_or_build_a_store(module):
    imported = _imports(SERVER / f"{module}.py")
    assert not {name for name in imported if name.startswith(("coalition_kg.graph.store", "coalition_kg.graph.build",
                                                                  "coalition_kg.server.live_store",
                                                                  "coalition_kg.server.evaluator"))}
    assert "Store(" not in (SERVER / f"{module}.py").read_text(encoding="utf-8")


def test_there_is_one_router():
    """No second dispatcher beside router.py: the old fast path is gone, and no module but the router
    matches URLs."""
    assert not (SERVER / "fast.py").exists()
    matching = [p.name for p in SERVER.glob("*.py") if "ROUTES" in p.read_text(encoding="utf-8")]
    assert matching == ["router.py"]


def test_every_domain_error_has_its_status_in_the_one_table():
    kinds = [k for k in vars(errors).values() if inspect.isclass(k) and issubclass(k, errors.ServiceError)
             and k is not errors.ServiceError]
    assert len(kinds) >= 20
    unmapped = [k.__name__ for k in kinds if not any(base in http.STATUS for base in k.__mro__)]
    assert unmapped == []
    assert http.status_of(errors.QuerySyntaxError("x")) == 400
    assert http.status_of(errors.IncompleteAnswer("x")) == 503
    assert http.status_of(errors.MethodNotAllowed("x", ("GET",))) == 405
    # No error type carries a status of its own: the table is the one home.
    assert not [k.__name__ for k in kinds if "status" in vars(k)]


def test_no_domain_error_carries_headers():
    """What an error knows is typed (retry_after, allowed); only http.error_reply writes it as headers."""
    kinds = [k for k in vars(errors).values() if inspect.isclass(k) and issubclass(k, errors.ServiceError)]
    made = [k("x", ("GET",)) if k is errors.MethodNotAllowed else k("x") for k in kinds]
    assert [k.__name__ for k in kinds if "headers" in inspect.signature(k).parameters] == []
    assert [type(e).__name__ for e in made if hasattr(e, "headers")] == []
    assert errors.ServerBusy("x", 4).retry_after == 4 and errors.TooManyRequests("x").retry_after is None
    assert errors.MethodNotAllowed("x", ("GET", "HEAD")).allowed == ("GET", "HEAD")


def test_the_error_reply_writes_what_the_error_knows_as_headers():
    assert ("Allow", "GET, HEAD") in http.error_reply(errors.MethodNotAllowed("no", ("GET", "HEAD"))).headers
    busy = http.error_reply(errors.ServerBusy("busy", 12))
    assert busy.status == 503 and ("Retry-After", "12") in busy.headers
    unknown = http.error_reply(errors.ServerBusy("busy"))
    assert not [name for name, _ in unknown.headers if name == "Retry-After"]


def test_the_error_reply_names_status_title_and_reason():
    reply = http.error_reply(errors.TooManyRequests("slow down", retry_after=7))
    assert reply.status == 429 and reply.body == b"429 Too Many Requests: slow down\n"
    assert ("Retry-After", "7") in reply.headers


@pytest.fixture(scope="module")
def project_app(built_var):
    from coalition_kg.server.app import create_app
    from coalition_kg.server.settings import Settings

    from .conftest import PROJECT_QUERIES

    app = create_app(Settings(var=built_var, queries=PROJECT_QUERIES, evaluators=2))
    yield app
    app.extensions["ckg"].backend.close()


def test_a_repeated_page_takes_the_fast_lane(project_app):
    """The second identical request for a page is answered whole from the router's lane: the query
    service is not asked again. A conditional request never takes the lane (its answer is a 304)."""
    service = project_app.extensions["ckg"]
    asked = []
    original = service.answer
    service.answer = lambda info, job: asked.append(job.query) or original(info, job)
    client = project_app.test_client()
    first = client.get("/id/morocco")
    count = len(asked)
    second = client.get("/id/morocco")
    assert first.status_code == second.status_code == 200 and first.data == second.data
    assert count > 0 and len(asked) == count
    assert client.get("/id/morocco", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    head = client.head("/id/morocco")
    assert head.status_code == 200 and head.data == b"" and head.headers["ETag"] == first.headers["ETag"]


def test_every_answer_carries_the_page_headers(project_app):
    client = project_app.test_client()
    for path in ("/", "/sparql?query=ASK%7B%7D", "/nowhere", "/static/app.js", "/queries/nope"):
        response = client.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path
        assert response.headers["Access-Control-Allow-Origin"] == "*", path
