"""Three `ckg serve` replicas behind nginx (deploy/nginx.conf, as shipped but for its ports), under load
while a new build is rolled out to each replica in turn (`ckg install`; the second replica is also
restarted, as it would be for new code): no request fails, every answer is the right one for the build it
names, and after the roll every replica and nginx serve the new build; nginx's cache answers from its copy,
answers conditional requests by our ETags, and serves no answer of the old build two seconds after the roll.

The figures (roll time, requests during it, cache hits) go to tests/artifacts/replicas-report.md."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

from coalition_kg.graph import store
from coalition_kg.graph.build import build
from coalition_kg.project import Project

from .conftest import CKG, free_port, start_server, stop_server

REPO = Path(__file__).resolve().parents[2]
CONF = REPO / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
DROPPED = "004_9eb9693275b328fe"  # the new build is the seeds without this article
# How long nginx may serve a copy without revalidating it: proxy_cache_valid's 1 s in deploy/nginx.conf,
# which nginx counts in whole seconds of its clock (a copy stored at 10.9 s is used until 12.0 s).
CACHE_SECONDS = 2
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
JSON = "application/sparql-results+json"
# What the clients ask, over and over: saved queries, ad-hoc queries by GET and POST, pages.
REQUESTS = {
    "saved-meetings": ("GET", "/queries/meetings", {"format": "json"}, None, JSON),
    "saved-co-chairs": ("GET", "/queries/co-chairs", {"format": "json", "group": "africa-focus-group"}, None, JSON),
    "sparql-get": ("GET", "/sparql", {"query": COUNT}, None, JSON),
    "sparql-post": ("POST", "/sparql", None, COUNT, JSON),
    "page-niger": ("GET", "/id/niger", None, None, "text/html"),
    "page-meeting": ("GET", "/id/marrakesh-ministerial-2022", None, None, "text/html"),
}

pytestmark = pytest.mark.skipif(not os.access(NGINX, os.X_OK),
                                reason="Debian's nginx is not installed (`make setup-test` installs it)")


@pytest.fixture(scope="module")
def builds(built_var, tmp_path_factory) -> tuple[Path, Path]:
    """Two real builds: the seeds (the session's), and the seeds without one article (a different graph)."""
    root = tmp_path_factory.mktemp("smaller") / "project"
    for folder in ("seeds", "ontology", "queries"):
        shutil.copytree(REPO / folder, root / folder)
    for path in (root / "seeds").glob(DROPPED + ".*"):
        path.unlink()
    sums = root / "seeds" / "SHA256SUMS"
    sums.write_text("".join(line for line in sums.read_text().splitlines(True) if DROPPED not in line))
    new = build(Project.locate(root, var=root.parent / "var"))
    old = store.current(built_var)
    assert new.build_id != old.build_id and new.quads < old.quads
    return old.directory, new.directory


def install(store_dir: Path, var: Path) -> str:
    done = subprocess.run([*CKG, "install", str(store_dir), "--var", str(var)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


class Nginx:
    def __init__(self, prefix: Path, ports: list[int]):
        self.prefix, self.port = prefix, free_port()
        text = CONF.read_text()
        for shipped, port in zip(("8001", "8002", "8003"), ports):
            text = text.replace(f"server 127.0.0.1:{shipped} ", f"server 127.0.0.1:{port} ")
        text = text.replace("listen 127.0.0.1:8080;", f"listen 127.0.0.1:{self.port};")
        if os.geteuid() == 0:  # nginx run by root hands its workers to `nobody`, who cannot write here
            text = "user root;\n" + text
        prefix.mkdir(parents=True)
        (prefix / "nginx.conf").write_text(text)
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", str(prefix / "error.log"),
             "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (prefix / "error.log").read_text()
            try:
                if requests.get(self.url + "/health", timeout=5).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("nginx did not come up: " + (prefix / "error.log").read_text())

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGQUIT)  # graceful: finish what is under way
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def log_lines(self) -> list[str]:
        return (self.prefix / "access.log").read_text().splitlines()


@pytest.fixture(scope="module")
def deployment(builds, tmp_path_factory):
    old, _ = builds
    base = tmp_path_factory.mktemp("replicas")
    replicas = []
    try:
        for i in range(3):
            var = base / f"replica{i}" / "var"
            install(old, var)
            replicas.append(start_server(var, base / f"replica{i}.log", "--workers", "1"))
        proxy = Nginx(base / "nginx", [int(r.url.rsplit(":", 1)[1]) for r in replicas])
    except BaseException:
        for replica in replicas:
            stop_server(replica)
        raise
    yield replicas, proxy
    proxy.stop()
    for replica in replicas:
        stop_server(replica)


def ask(session: requests.Session, url: str, name: str, headers: dict | None = None) -> requests.Response:
    method, path, params, body, accept = REQUESTS[name]
    headers = {"Accept": accept, **(headers or {})}
    if body is not None:
        headers["Content-Type"] = "application/sparql-query"
    return session.request(method, url + path, params=params, data=body and body.encode(), headers=headers,
                           timeout=60)


def digest(response: requests.Response) -> str:
    return hashlib.sha256(response.content).hexdigest()


def references(replica, host: str) -> dict[str, str]:
    """Each request's answer straight from one replica (with nginx's Host, as nginx passes it on)."""
    with requests.Session() as session:
        answers = {name: ask(session, replica.url, name, {"Host": host}) for name in REQUESTS}
    assert all(a.status_code == 200 for a in answers.values()), {n: a.status_code for n, a in answers.items()}
    return {name: digest(answer) for name, answer in answers.items()}


class Load:
    """Client threads asking REQUESTS in turn through nginx until stopped; one of them revalidates its copies
    with If-None-Match, as a browser or a polite client does."""

    def __init__(self, url: str, threads: int = 4):
        self.url, self.stop_event = url, threading.Event()
        self.results: list[tuple] = []  # (name, start, end, status, build, digest, etag sent, etag got, cache)
        self.failures: list[str] = []
        self.threads = [threading.Thread(target=self._run, args=(i == 0,)) for i in range(threads)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        for thread in self.threads:
            thread.join()

    def _run(self, conditional: bool) -> None:
        etags: dict[str, str] = {}
        with requests.Session() as session:
            while not self.stop_event.is_set():
                for name in REQUESTS:
                    sent = etags.get(name) if conditional and REQUESTS[name][0] == "GET" else None
                    start = time.monotonic()
                    try:
                        response = ask(session, self.url, name, {"If-None-Match": sent} if sent else None)
                    except requests.RequestException as error:
                        self.failures.append(f"{name}: {error!r}")
                        continue
                    if response.status_code not in (200, 304):
                        self.failures.append(f"{name}: {response.status_code} {response.text[:200]}")
                        continue
                    got = response.headers.get("ETag")
                    if response.status_code == 200:
                        etags[name] = got
                    self.results.append((name, start, time.monotonic(), response.status_code,
                                         response.headers.get("Graph-Build"), digest(response), sent, got,
                                         response.headers.get("X-Cache-Status")))


def wait_for_build(url: str, build_id: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            health = requests.get(url + "/health", timeout=10)
            if health.status_code == 200 and health.json()["build_id"] == build_id:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"{url} does not serve build {build_id}")


def test_rolling_a_new_build_through_three_replicas_fails_no_request(deployment, builds, artifacts):
    replicas, proxy = deployment
    old_dir, new_dir = builds
    old, new = store.read_info(old_dir).build_id, store.read_info(new_dir).build_id
    host = proxy.url.removeprefix("http://")
    expected = {old: references(replicas[0], host)}

    with Load(proxy.url) as load:
        while len(load.results) < 60:  # the cache is warm and every thread is asking
            time.sleep(0.05)
        roll_start = time.monotonic()
        for i, replica in enumerate(replicas):
            if i == 1:  # a restart as well, as new code needs: nginx skips the replica while it is down
                stop_server(replica)
                install(new_dir, replica.var)
                replicas[i] = replica = start_server(replica.var, replica.log, "--workers", "1",
                                                     port=int(replica.url.rsplit(":", 1)[1]))
            else:  # the running replica follows var/current on its next request
                install(new_dir, replica.var)
            wait_for_build(replica.url, new)
        roll_end = time.monotonic()
        while sum(1 for r in load.results if r[1] > roll_end) < 60:  # and some more after it
            time.sleep(0.05)

    # No request failed: every answer a 200 or a 304, none a 5xx or a broken connection.
    assert load.failures == []
    expected[new] = references(replicas[0], host)
    for name, start, end, status, build_id, body, sent, got, cache in load.results:
        assert build_id in (old, new), (name, build_id)
        if status == 200:  # the very answer the replica gives for the build the answer names
            assert body == expected[build_id][name], (name, build_id, cache)
            assert got.startswith(f'"{build_id[:12]}-')
        else:  # a 304 confirms only the copy the client has, of the build it was made from
            assert got == sent and sent.startswith(f'"{build_id[:12]}-'), (name, sent, got)
    during = [r for r in load.results if roll_start <= r[1] and r[2] <= roll_end]
    assert {r[4] for r in during} == {old, new}  # the roll was under load, both builds answered

    # After the roll every replica and nginx serve the new build; nginx's copies of the old build are gone
    # two seconds after the last replica moved on.
    for replica in replicas:
        assert requests.get(replica.url + "/health", timeout=30).json()["build_id"] == new
    time.sleep(CACHE_SECONDS + 0.5)
    with requests.Session() as session:
        health = session.get(proxy.url + "/health", timeout=30)
        assert health.json()["build_id"] == new and health.headers["X-Cache-Status"] != "HIT"
        for name in REQUESTS:
            answer = ask(session, proxy.url, name)
            assert (answer.status_code, answer.headers["Graph-Build"], digest(answer)) == (200, new, expected[new][name]), \
                (name, answer.headers.get("X-Cache-Status"))

    # While the second replica was down, nginx asked another for what it could not ask it: no client saw it.
    retried = [line for line in proxy.log_lines() if re.search(r"upstream=\S+, ", line)]
    assert retried and all(re.search(r'" (200|304) ', line) for line in retried), retried

    cache = Counter(r[8] or "none (a POST: not cached)" for r in load.results)
    gets = sum(count for status, count in cache.items() if not status.startswith("none"))
    report = [
        "# Three replicas behind nginx: a rolling rebuild under load",
        "",
        f"- roll: {roll_end - roll_start:.2f} s for 3 replicas (the second one restarted as well)",
        f"- requests answered during the roll: {len(during)}; in all: {len(load.results)}; failed: {len(load.failures)}",
        f"- requests nginx passed to another replica while the second was down: {len(retried)}",
        f"- 304s to conditional requests: {sum(1 for r in load.results if r[3] == 304)}",
        f"- nginx cache statuses (X-Cache-Status): {dict(cache.most_common())}",
        f"- hit ratio (HIT among GETs): {cache['HIT'] / gets:.0%}",
    ]
    (artifacts / "replicas-report.md").write_text("\n".join(report) + "\n")
    print("\n".join(report))
    assert cache["HIT"] > 0  # nginx answered from its copies under load


def test_nginx_answers_conditional_requests_by_our_etags(deployment):
    _, proxy = deployment
    with requests.Session() as session:
        first = ask(session, proxy.url, "page-niger")
        etag = first.headers["ETag"]
        again = ask(session, proxy.url, "page-niger", {"If-None-Match": etag})
        assert (again.status_code, again.headers["ETag"], again.content) == (304, etag, b"")
        stale = f'"{"0" * 12}-{etag.strip(chr(34)).split("-", 1)[1]}"'  # another build's tag for the same answer
        assert ask(session, proxy.url, "page-niger", {"If-None-Match": stale}).status_code == 200
        # Repeated within its second of validity, an answer comes from nginx's copy (on a busy machine the
        # second may pass between two requests: a few tries).
        statuses = [ask(session, proxy.url, "saved-meetings").headers["X-Cache-Status"] for _ in range(10)]
        assert "HIT" in statuses, statuses
        # The answers vary by Accept, and nginx keeps them apart: a page's copy is never the Turtle's.
        for _ in range(3):
            assert ask(session, proxy.url, "page-niger").headers["Content-Type"].startswith("text/html")
            turtle = session.get(proxy.url + "/id/niger", headers={"Accept": "text/turtle"}, timeout=30)
            assert turtle.headers["Content-Type"].startswith("text/turtle") and "@prefix" in turtle.text
        # What the replicas mark no-store is never stored: /health is always asked of a replica.
        assert {session.get(proxy.url + "/health", timeout=30).headers["X-Cache-Status"] for _ in range(5)} == {"MISS"}


def test_refusals_pass_through_nginx_once(deployment):
    """Our refusals are answers: nginx passes them on as they are and does not ask another replica."""
    _, proxy = deployment
    marker = f"refused-{time.monotonic_ns()}"
    bad = requests.get(proxy.url + "/sparql", params={"query": f"SELEC * WHERE {{ ?s ?p ?o }} # {marker}"},
                       timeout=30)
    assert bad.status_code == 400 and bad.headers["X-Cache-Status"] == "MISS"
    missing = requests.get(proxy.url + "/queries/no-such-query", params={"m": marker}, timeout=30)
    assert missing.status_code == 404
    deadline = time.monotonic() + 30  # nginx logs a request once it has answered it: wait for both lines
    while len(lines := [line for line in proxy.log_lines() if marker in line]) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(lines) == 2
    for line in lines:  # one upstream address: no second replica was asked
        upstream = re.search(r"upstream=(\S+)", line).group(1)
        assert "," not in upstream and ":" in upstream, line
