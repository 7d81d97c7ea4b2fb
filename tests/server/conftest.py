"""Fixtures: the real seeds built into a temporary store, and the real server on a loopback port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from coalition_kg.namespaces import BASE
from coalition_kg.project import Project
from engines import free_port  # tests/engines.py: one helper for a free loopback port

HERE = Path(__file__).parent
QUERIES = HERE / "queries"
ARTIFACTS = HERE.parent / "artifacts"
CKG = [sys.executable, "-m", "coalition_kg.cli"]

# Small limits so that tests can reach them: rows, time, body size.
ROW_LIMIT = 50
QUERY_TIMEOUT = 2.0
MAX_BODY = 8192


@dataclass
class Server:
    url: str
    var: Path
    process: subprocess.Popen
    log: Path

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.url + path, timeout=30, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return requests.post(self.url + path, timeout=30, **kwargs)

    def sparql(self, query: str, accept: str = "application/sparql-results+json", **kwargs) -> requests.Response:
        return self.post("/sparql", data=query.encode("utf-8"),
                         headers={"Content-Type": "application/sparql-query", "Accept": accept}, **kwargs)

    def select(self, query: str) -> list[dict]:
        response = self.sparql(query)
        assert response.status_code == 200, response.text
        return [{k: v["value"] for k, v in row.items()} for row in response.json()["results"]["bindings"]]


def start_server(var: Path, log: Path, *extra: str, port: int | None = None) -> Server:
    """`ckg serve` over var on a loopback port (a free one unless given), once its /health answers."""
    port = port or free_port()
    env = {**os.environ, "CKG_VAR": str(var)}
    out = open(log, "wb")
    process = subprocess.Popen(
        [*CKG, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2", "--threads", "3",
         "--queries", str(QUERIES), "--query-timeout", str(QUERY_TIMEOUT), "--row-limit", str(ROW_LIMIT),
         "--max-body", str(MAX_BODY), "--no-build",
         # Every client of the suite is 127.0.0.1: no per-client cap unless a test asks for one.
         "--per-client-queries", "0", *extra],
        env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
    )
    server = Server(f"http://127.0.0.1:{port}", var, process, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"ckg serve exited: {log.read_text()}")
        try:
            if requests.get(server.url + "/health", timeout=2).status_code == 200:
                return server
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    stop_server(server)
    raise RuntimeError(f"ckg serve did not come up: {log.read_text()}")


def stop_server(server: Server) -> None:
    # The server runs in its own session: signal its process group (gunicorn, workers, evaluators).
    try:
        os.killpg(server.process.pid, signal.SIGTERM)
        server.process.wait(timeout=15)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait()


@pytest.fixture(scope="session")
def built_var(tmp_path_factory) -> Path:
    """The real seeds, built once per test session into a temporary var directory."""
    from coalition_kg.graph.build import build

    var = tmp_path_factory.mktemp("var")
    build(Project.locate(var=var))
    return var


@pytest.fixture(scope="session")
def server(built_var, tmp_path_factory) -> Server:
    log = tmp_path_factory.mktemp("log") / "serve.log"
    running = start_server(built_var, log)
    yield running
    stop_server(running)


# The project's own saved queries (the test server above serves tests/server/queries).
PROJECT_QUERIES = HERE.parents[1] / "queries"


@pytest.fixture(scope="module")
def project_server(built_var, tmp_path_factory) -> Server:
    """A server over the seeds with the project's saved queries, as `ckg serve` runs: the pages' tests.
    Its limits are generous (the last option given wins): these tests are about pages, not limits, and a
    crawl of every link on a busy 2-CPU machine must not meet a 503 that a 2 s limit would give it."""
    log = tmp_path_factory.mktemp("log") / "serve.log"
    running = start_server(built_var, log, "--queries", str(PROJECT_QUERIES), "--query-timeout", "30",
                           "--queue-timeout", "60")
    yield running
    stop_server(running)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def entity(name: str) -> str:
    return BASE + "id/" + name
