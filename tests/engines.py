"""Real SPARQL engines for the publish tests, started on loopback in a temporary directory and stopped after.

Oxigraph's server comes with the `oxigraph` package (a test extra); Virtuoso with Debian's
virtuoso-opensource-7-bin (installed by `make setup-test`). Each listens on 127.0.0.1 only."""

from __future__ import annotations

import http.server
import json
import socket
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs

import pytest

from coalition_kg.graph import publish, saved_queries, sparql_http
from coalition_kg.graph.internal_queries import internal_query

START_SECONDS = 60
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
VIRTUOSO_USER, VIRTUOSO_PASSWORD = "dba", "dba"  # a fresh database's administrator, on loopback only


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A running engine: its process, base URL and the seconds it took to answer its first request."""

    def __init__(self, command: list[str], cwd: Path, base: str, probe: str, log: Path):
        self.base = base
        self.command, self.cwd, self.log_path = command, cwd, log
        self.process: subprocess.Popen | None = None
        self.probe = probe
        self.start_seconds = 0.0
        self.start()

    def start(self) -> None:
        started = time.monotonic()
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.command, cwd=self.cwd, stdout=self._log, stderr=subprocess.STDOUT)
        while time.monotonic() - started < START_SECONDS:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.command[0]} exited with {self.process.returncode}: "
                                   f"{self.log_path.read_text(errors='replace')[-2000:]}")
            try:
                urllib.request.urlopen(self.base + self.probe, timeout=2).close()
                self.start_seconds = time.monotonic() - started
                return
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.command[0]} did not answer within {START_SECONDS} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def oxigraph(directory: Path) -> Server:
    binary = str(Path(sys.executable).with_name("oxigraph"))  # the test extra, beside this Python
    port = free_port()
    return Server([binary, "serve", "--location", str(directory / "data"), "--bind", f"127.0.0.1:{port}"],
                  directory, f"http://127.0.0.1:{port}", "/query?query=ASK%7B%7D", directory / "oxigraph.log")


VIRTUOSO_INI = """[Database]
DatabaseFile = db/virtuoso.db
ErrorLogFile = db/virtuoso.log
LockFile = db/virtuoso.lck
TransactionFile = db/virtuoso.trx
xa_persistent_file = db/virtuoso.pxa
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = db/virtuoso-temp.db
TransactionFile = db/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
DirsAllowed = .
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = vsp
ServerThreads = 4
Charset = UTF-8
[SPARQL]
ResultSetMaxRows = 10000
MaxQueryExecutionTime = 60
"""


def virtuoso(directory: Path) -> Server:
    """A new Virtuoso database in directory, both its SQL and HTTP ports on loopback."""
    (directory / "db").mkdir(parents=True)
    (directory / "vsp").mkdir()
    http_port = free_port()
    (directory / "virtuoso.ini").write_text(VIRTUOSO_INI.format(sql_port=free_port(), http_port=http_port))
    return Server(["virtuoso-t", "+foreground", "+configfile", "virtuoso.ini"], directory,
                  f"http://127.0.0.1:{http_port}", "/sparql?query=ASK%7B%7D", directory / "virtuoso.out")


def client(server: Server, engine: str) -> sparql_http.Client:
    endpoints = publish.ENGINES[engine].endpoints(server.base)
    if engine == "virtuoso":
        return sparql_http.Client(endpoints, VIRTUOSO_USER, VIRTUOSO_PASSWORD)
    return sparql_http.Client(endpoints)


# --- a publish that runs longer than its lock's lifetime -------------------------------------------

LOCK_LIFETIME = 3.0  # seconds, by the clock below: the lock is renewed every half second of real time


class Clock:
    """A clock that moves only when the test moves it (publish's `clock`), on whole seconds."""

    def __init__(self, now: float):
        self.now = float(int(now))

    def __call__(self) -> float:
        return self.now


def lock_renewals(client: sparql_http.Client) -> dict[str, str]:
    """Each publish lock on the engine, with when it last said it was alive."""
    return {row["lock"]["value"]: row.get("alive", row["at"])["value"]
            for row in client.select(internal_query("publish-locks"))}


def outlive_the_lock(client: sparql_http.Client, engine: publish.Engine, info, rival) -> tuple[publish.Report, str]:
    """Publish `info` with a lock that lives LOCK_LIFETIME seconds by a Clock: after its first upload the clock
    is moved on by ten lifetimes, and once the engine shows the lock renewed at that time, a publish of
    `rival` is tried, by the same clock and lifetime. The report, and the rival's error ("" if it went on)."""
    clock = Clock(time.time())
    real_put = sparql_http.Client.put_graph
    rival_said: list[str] = []

    def meanwhile(self, graph, ntriples):
        real_put(self, graph, ntriples)
        if rival_said:
            return
        clock.now += 10 * LOCK_LIFETIME  # the publish has now run for ten lifetimes of its lock
        now = publish.iso_of(clock.now)
        waited = time.monotonic()
        while now not in lock_renewals(client).values():
            if time.monotonic() - waited > 60:
                raise AssertionError(f"the lock was not renewed at {now}: {lock_renewals(client)}")
            time.sleep(0.05)
        try:
            publish.publish(rival, engine, client, lock_seconds=LOCK_LIFETIME, clock=clock)
            rival_said.append("")
        except publish.PublishError as error:
            rival_said.append(str(error))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sparql_http.Client, "put_graph", meanwhile)
        report = publish.publish(info, engine, client, lock_seconds=LOCK_LIFETIME, clock=clock)
    return report, rival_said[0]


def renewals_running() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == publish.RENEWAL_THREAD]


def build_without(info, graph: str, folder: Path):
    """Another build: the one of `info` without its named graph `graph`, written as a new store in folder."""
    from coalition_kg.graph import build_id, store

    quads = [quad for quad in store.named_quads(info.open_read_only()) if quad.graph_name.value != graph]
    return store.write_new_store(folder, build_id.build_id(quads), quads)


def graph_counts(client: sparql_http.Client) -> dict[str, int]:
    """Triples per named graph on the engine, for the graphs under our base."""
    rows = client.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
                         f"FILTER(STRSTARTS(STR(?g), \"{publish.GRAPH}\")) }} GROUP BY ?g")
    return {row["g"]["value"]: int(row["n"]["value"]) for row in rows}


# --- a saved query's rows, locally and from an engine, in one comparable form -------------------

Adjust = Callable[[str, tuple], tuple]  # (column, term) -> the term to compare


def published_counts(info) -> dict[str, int]:
    """The triples per graph an engine holds once the build described by info is published: its named
    graphs, their merge, and the metadata (the build id, two times, and for each graph and the merge its
    part and its triple count)."""
    return {**info.graphs, publish.MERGED: info.triples, publish.METADATA: 3 + 2 * (len(info.graphs) + 1)}


def published_graphs(info) -> tuple[str, ...]:
    return tuple(sorted([*info.graphs, publish.MERGED]))


def local_rows(graph_store, saved: saved_queries.SavedQuery, adjust: Adjust | None = None) -> list[tuple]:
    text, substitutions = saved.bound({})  # as the server and `ckg query` bind them
    results = graph_store.query(text, substitutions=substitutions)
    names = [v.value for v in results.variables]
    return _comparable(saved, names, [[_local_term(row[name]) for name in names] for row in results], adjust)


def remote_rows(client: sparql_http.Client, saved: saved_queries.SavedQuery, adjust: Adjust | None = None,
                written: Callable[[str], str] = lambda separator: separator) -> list[tuple]:
    """The rows over the published build only, queried as our endpoint answers (Published.dataset). An
    engine takes no SEP-0007 substitutions, so the default values are written into the text (saved_queries.inline, the `inline` binding). written: how the
    engine writes a GROUP_CONCAT separator back."""
    text, substitutions = saved.bound({})
    if substitutions:
        text = saved_queries.inline(text, substitutions)
    names, bindings = client.results(sparql_http.with_dataset(text, *publish.published(client).dataset()))
    return _comparable(saved, names, [[_remote_term(row.get(name)) for name in names] for row in bindings],
                       adjust, written)


_CONCATENATION = re.compile(r'GROUP_CONCAT\((?:DISTINCT\s+)?\?\w+\s*;\s*separator\s*=\s*"([^"]+)"\)\s+AS\s+\?(\w+)',
                            re.IGNORECASE)


def concatenations(saved: saved_queries.SavedQuery) -> dict[str, str]:
    """The columns that are GROUP_CONCATs, with their separators."""
    return {column: separator for separator, column in _CONCATENATION.findall(saved.text)}


def _comparable(saved, names: list[str], rows: list[list[tuple]], adjust: Adjust | None,
                written: Callable[[str], str] = lambda separator: separator) -> list[tuple]:
    """Rows in one order, and each GROUP_CONCAT's parts in one order: SPARQL leaves the order of both
    open, and two stores holding the same quads under other internal ids do give other orders."""
    separators = concatenations(saved)
    for row in rows:
        for index, name in enumerate(names):
            kind, value, tag = row[index]
            if name in separators and kind == "literal":
                parts = sorted(value.split(written(separators[name])))
                row[index] = (kind, separators[name].join(parts), tag)
            if adjust is not None:
                row[index] = adjust(name, row[index])
    return sorted(tuple(row) for row in rows)


UNBOUND = ("unbound", "", "")


def _local_term(term) -> tuple:
    if term is None:
        return UNBOUND
    if hasattr(term, "language"):  # a literal
        if term.language:
            return ("literal", term.value, "@" + term.language)
        datatype = term.datatype.value
        return ("literal", term.value, "" if datatype == XSD_STRING else datatype)
    return ("iri", term.value, "")


def _remote_term(binding: dict | None) -> tuple:
    if binding is None:
        return UNBOUND
    if binding["type"] == "uri":
        return ("iri", binding["value"], "")
    if "xml:lang" in binding:
        return ("literal", binding["value"], "@" + binding["xml:lang"])
    datatype = binding.get("datatype", "")
    return ("literal", binding["value"], "" if datatype == XSD_STRING else datatype)


# --- a fake engine, for what a real one does not do on demand ---------------------------------------

class FakeEngine:
    """An engine on loopback whose metadata says a build is published (`build`, with `graphs` and their
    triple counts; by default the merge and the curation graph, a triple each) and which answers other
    queries with `answer()`, as `content_type`. The body ends where the connection is closed (HTTP/1.0), or is sent in chunks with the
    last, empty chunk that ends it (chunked=True: an answer streamed, and ended cleanly), or with its
    exact length (exact_length=True) or a declared length greater than it (declared_length)."""

    def __init__(self, answer, declared_length: int | None = None, content_type: str = "application/sparql-results+json",
                 chunked: bool = False, exact_length: bool = False, graphs: dict[str, int] | None = None,
                 build: str = "fa4eb01d00000000"):
        self.answer, self.queries, self.accepts = answer, [], []
        graphs = graphs or {publish.MERGED: 1, publish.GRAPH + "curation": 1}
        engine = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if chunked else "HTTP/1.0"

            def do_POST(self):
                query = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())["query"][0]
                if query == internal_query("published-build"):
                    body = json.dumps({"head": {"vars": ["id", "graph", "triples", "created"]}, "results": {"bindings": [
                        {"id": {"type": "literal", "value": build},
                         "graph": {"type": "uri", "value": graph}, "triples": {"type": "literal", "value": str(count)},
                         "created": {"type": "literal", "value": "2026-01-01T00:00:00Z"}}
                        for graph, count in graphs.items()]}}).encode()
                    metadata = True
                else:
                    engine.queries.append(query)
                    engine.accepts.append(self.headers["Accept"])
                    body, metadata = engine.answer(), False
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/sparql-results+json" if metadata else content_type)
                    if metadata:
                        if chunked:  # HTTP/1.1: the body's end must be said
                            self.send_header("Content-Length", str(len(body)))
                    elif chunked:
                        self.send_header("Transfer-Encoding", "chunked")
                    elif declared_length is not None:
                        self.send_header("Content-Length", str(declared_length))  # more than is sent
                        self.close_connection = True
                    elif exact_length:
                        self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    for chunk in [body] if isinstance(body, bytes) else body:  # a generator: a trickle
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked and not metadata else chunk)
                        self.wfile.flush()
                    if chunked and not metadata:
                        self.wfile.write(b"0\r\n\r\n")  # the last chunk: the stream ends cleanly here
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up first (the time-limit test)

            def log_message(self, *args):
                pass

        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"

    def close(self):
        self.http.shutdown()
        self.http.server_close()
