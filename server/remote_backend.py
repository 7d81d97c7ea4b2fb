"""The remote backend: the build `ckg publish` put into an existing SPARQL engine, read over the SPARQL 1.1
Protocol, as `ckg serve --backend URL --engine oxigraph|virtuoso|sparql11` serves it.

Every answer is ours: the engine is asked for SPARQL JSON results or triples (GRAPH_ACCEPT), which pyoxigraph parses
and backend.answer_of writes in the format the client asked for, with our row cap, so that an answer is
byte for byte the local store's wherever the engine's rows are the local rows. What the engine does
otherwise is absorbed here or refused, never passed on as an answer:

- the dataset: each query reads exactly the published build (the protocol's default-graph-uri, the
  merged graph, and named-graph-uri, each other graph the metadata lists), or the dataset the request or
  the query itself names, never the engine's union default graph (staging graphs, Virtuoso's own);
- substitutions (pyoxigraph's way of binding a saved query's parameters and a page's resource) become
  a VALUES row at the start of the outermost WHERE group (graph/query_outline.py with_values);
- an answer that is not whole is an error (IncompleteAnswer), which the query service never caches: a
  body that is not complete results (Oxigraph's server reports a query it cancelled midway in the body
  of a 200), triples in a format without an end mark and without a declared length (GRAPH_ACCEPT),
  Virtuoso's row cap reached (its X-SPARQL-MaxRows header, with as many rows) where our cap is not below
  it, Virtuoso's partial "anytime" answer (its X-SQL-State header);
- Virtuoso's wrong answers are rewritten or refused (server/virtuoso.py).

The time limit: the engine's whole answer must arrive within it (sparql_http.Client.fetch), and Virtuoso
is also given it as its own `timeout`, so that it stops working on the query too. Oxigraph's server takes
no per-query limit (only the operator's `oxigraph serve --timeout-s`).

Which build serves is read from the engine's metadata graph at most once a second (REFRESH_SECONDS): a
publish is seen by a request that starts at most about a second after its swap. Every query of one
request reads the snapshot the request took, so the build id in its headers is that of the dataset it
named; a Virtuoso publish swaps graph by graph (graph/publish.py), and a request during such a swap may
read a mix of two builds, which is publish's stated limit there.
"""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import pyoxigraph as ox

from ..graph import publish, query_outline, sparql_http
from . import sparql_text, virtuoso
from .backend import Answer, Job, Snapshot, answer_of, graph_job
from .errors import (BackendUnavailable, EvaluationFailed, IncompleteAnswer, NoGraph, QueryNotEvaluable,
                     QuerySyntaxError, QueryTimeout)

_BUILD_ID = re.compile(r"[0-9a-f]{16}")
REFRESH_SECONDS = 1.0  # how stale the build a request reads may be
METADATA_SECONDS = 10.0  # the metadata query's own time limit
EMPTY_GRAPH = publish.GRAPH + "empty"  # a graph no build has: the default graph of a request that names none
RESULTS = "application/sparql-results+json"
# What each engine is asked for a CONSTRUCT's or DESCRIBE's triples: a format whose end can be checked, so
# that an answer the engine ended cleanly before its end is not taken as whole (docs/remote-engines.md has
# the measures). Oxigraph's server streams its answer (chunked, no declared length): JSON-LD, whose closing
# bracket pyoxigraph's parser requires. Virtuoso sends a whole answer with its length; its JSON-LD drops
# language tags (and datatypes not its own) in a larger answer, and its RDF/XML the triples whose predicate
# it cannot write as an XML name, both silently: N-Triples, held to that length. Any other engine: JSON-LD first; RDF/XML is not
# asked for (an engine may lose triples writing it), but read if sent.
GRAPH_ACCEPT = {
    "oxigraph": "application/ld+json",
    "virtuoso": "application/n-triples",
    "sparql11": "application/ld+json, application/n-triples;q=0.9, text/turtle;q=0.8",
}
# The graph formats whose end pyoxigraph's parser checks: JSON-LD cut at any byte does not parse. Every
# other one is taken only with a declared length (sparql_http.Client.fetch holds the body to it): N-Triples
# and Turtle end at any line break, and pyoxigraph's RDF/XML parser takes a document whose elements are
# left open at its end.
END_MARKED = {ox.RdfFormat.JSON_LD}


def target_problem(engine: str, url: str | None, query_url: str | None) -> str | None:
    """What is wrong with the engine named to serve from and its address, in the words of `ckg serve`'s
    options, or None (oxigraph with no address: the local store)."""
    if engine == "sparql11":
        if url:
            return "--engine sparql11 takes --query-url (and not --backend)"
        if not query_url:
            return "--engine sparql11 needs --query-url: the engine's SPARQL query endpoint"
    elif query_url:
        return f"--query-url is for --engine sparql11; --engine {engine} takes --backend URL"
    elif engine != "oxigraph" and not url:
        # an engine named without its address would silently serve the local store
        return f"--engine {engine} needs --backend URL: the engine's address"
    return None


def endpoints_for(engine: str, url: str | None, query_url: str | None) -> sparql_http.Endpoints:
    """The engine's query endpoint (the others are not used to serve): Virtuoso's is its anonymous,
    read-only /sparql, whatever the environment holds."""
    problem = target_problem(engine, url, query_url)
    if problem is not None:
        raise ValueError(problem)
    if engine == "sparql11":
        return sparql_http.Endpoints(query_url, query_url, query_url)
    endpoints = publish.ENGINES[engine].endpoints(url)
    if engine == "virtuoso":  # its anonymous, read-only /sparql: serving never holds the publish account
        return sparql_http.Endpoints(url.rstrip("/") + "/sparql", endpoints.update, endpoints.gsp)
    return endpoints


class RemoteBackend:
    def __init__(self, engine: str, endpoints: sparql_http.Endpoints, var: Path, time_limit: float,
                 refresh_seconds: float = REFRESH_SECONDS):
        self.engine = engine
        # No credentials: the publish account (CKG_PUBLISH_USER) may write, and a server that only reads
        # must not hold it.
        self.client = sparql_http.Client(endpoints, timeout=METADATA_SECONDS)
        self.where = endpoints.query
        self.var = Path(var)
        self.time_limit = time_limit
        self.refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._current: tuple[float, Snapshot] | None = None
        self._failed: tuple[float, Exception] | None = None  # the last failure to ask the engine, and when
        self._snapshots: dict[str, tuple[Snapshot, publish.Published]] = {}  # by key, the last few builds
        self._parser = ox.Store()  # empty: parses queries (pyoxigraph's own syntax errors) without evaluating

    # --- which build serves -------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """The build the engine serves, asked at most once every refresh_seconds: while one thread asks,
        the others read the build known before (or wait for the answer when there is none yet); a failure
        to ask is remembered as long, so that requests do not queue up to ask a dead engine in turn."""
        current = self._current
        if current is not None and time.monotonic() - current[0] < self.refresh_seconds:
            return current[1]
        if not self._lock.acquire(blocking=current is None):
            return current[1]
        try:
            current = self._current
            if current is not None and time.monotonic() - current[0] < self.refresh_seconds:
                return current[1]
            failed = self._failed
            if failed is not None and time.monotonic() - failed[0] < self.refresh_seconds:
                raise failed[1]
            try:
                snapshot = self._ask()
            except (BackendUnavailable, NoGraph) as error:
                self._failed = (time.monotonic(), error)
                raise
            self._failed = None
            self._current = (time.monotonic(), snapshot)
            return snapshot
        finally:
            self._lock.release()

    def _ask(self) -> Snapshot:
        try:
            served = publish.published(self.client)
        except sparql_http.EngineError as error:
            raise BackendUnavailable(f"the {self.engine} engine at {self.where} did not say which build it "
                                     f"serves: {error}") from None
        if served is None:
            raise NoGraph(f"nothing has been published to the {self.engine} engine at {self.where}: "
                          f"run `ckg publish --engine {self.engine} …` first")
        if not _BUILD_ID.fullmatch(served.build_id):  # it names folders and keys: it must be one
            raise BackendUnavailable(f"the {self.engine} engine at {self.where} names a build id that is not one: "
                                     f"{served.build_id[:40]!r}")
        key = f"{self.engine} {self.where} {served.build_id}"
        known = self._snapshots.get(key)
        snapshot = known[0] if known is not None and known[1].counts == served.counts else self._snapshot_of(served, key)
        if len(self._snapshots) > 8:
            self._snapshots.clear()
        self._snapshots[key] = (snapshot, served)
        return snapshot

    def current_key(self) -> str | None:
        """The key of the build known to serve, without asking the engine (the router asks this in granian's
        event loop, where no request may wait on the network); None when it is older than refresh_seconds:
        then the request takes a thread, and snapshot() asks."""
        current = self._current
        if current is None or time.monotonic() - current[0] >= self.refresh_seconds:
            return None
        return current[1].key

    def _snapshot_of(self, served: publish.Published, key: str) -> Snapshot:
        counts = dict(served.counts)
        for graph in served.graphs:  # a build published before the counts were written: counted once
            if graph not in counts:
                try:
                    counts[graph] = self.client.count(graph)
                except sparql_http.EngineError as error:
                    raise BackendUnavailable(f"the {self.engine} engine at {self.where} did not count <{graph}>: "
                                             f"{error}") from None
        graphs = {graph: count for graph, count in counts.items() if graph != publish.MERGED}
        epoch = publish.epoch_of(served.built_at)
        return Snapshot(served.build_id, served.built_at, epoch, sum(graphs.values()), graphs,
                        counts.get(publish.MERGED, 0), key, self._local_folder(served.build_id))

    def _local_folder(self, build_id: str) -> Path | None:
        """The local build folder of the same build (its search index), if this machine has one."""
        folders = sorted((self.var / "stores").glob(f"*-{build_id}")) if (self.var / "stores").is_dir() else []
        return folders[-1] if folders else None

    # --- answers ------------------------------------------------------------------------------

    def _check(self, text: str, outline: query_outline.Outline) -> None:
        """pyoxigraph's verdict on the query and its message, the local store's, without evaluating it: an
        empty store plans a SELECT, CONSTRUCT or DESCRIBE and evaluates nothing until asked for rows, but
        answers an ASK at once (with no time limit: a cross product of VALUES would hold this thread), so an
        ASK is checked as the SELECT of its pattern. A function pyoxigraph does not know (Virtuoso's bif:
        and sql: among them) is refused here, and never reaches the engine."""
        probe = text if outline.form != "ASK" else sparql_text.ask_as_select(text)
        try:
            self._parser.query(probe)
        except SyntaxError as error:
            raise QuerySyntaxError(f"SPARQL syntax {error}") from None
        except RuntimeError as error:
            raise QueryNotEvaluable(f"the query cannot be evaluated: {error}") from None

    def evaluate(self, snapshot: Snapshot, job: Job) -> Answer:
        outline = query_outline.outline(job.query)  # the same with the values in (with_values says why)
        try:
            text = query_outline.with_values(job.query, job.substitutions, outline)
        except ValueError as error:
            raise EvaluationFailed(f"the query cannot be sent to the engine: {error}") from None
        self._check(text, outline)
        if job.default_graphs is None and job.named_graphs is None:
            text = sparql_text.with_whole_dataset(text, outline, EMPTY_GRAPH)
        restore = None
        if self.engine == "virtuoso":
            text, restore = virtuoso.rewrite(text)
        parameters = [("query", text)] + self._dataset(snapshot, job, outline)
        if self.engine == "virtuoso":
            parameters.append(("timeout", str(max(1, int(self.time_limit * 1000)))))
        graph = outline.form in ("CONSTRUCT", "DESCRIBE")
        reply = self._fetch(parameters, GRAPH_ACCEPT[self.engine] if graph else RESULTS)
        self._check_complete(reply)
        if graph:
            return self._graph_answer(reply, job)
        return self._results_answer(reply, job, restore, outline.form == "ASK")

    def graph_ntriples(self, snapshot: Snapshot, iri: str) -> bytes:
        """One named graph, by one CONSTRUCT (graph_job) capped one triple above the publish's count of
        it, so that its caller's count sees a graph that came with more (or fewer) triples."""
        expected = snapshot.graphs.get(iri)
        if expected is None:
            raise NoGraph(f"the build {snapshot.build_id} has no graph <{iri}>")
        return self.evaluate(snapshot, graph_job(iri, "N_TRIPLES", expected + 1)).body

    def warm(self) -> None:
        pass

    def close(self) -> None:
        pass

    def _dataset(self, snapshot: Snapshot, job: Job, outline: query_outline.Outline) -> list[tuple[str, str]]:
        """The protocol's dataset parameters: the request's own, else none if the query names its own,
        else exactly the published build."""
        if job.default_graphs is not None or job.named_graphs is not None:
            default, named = list(job.default_graphs or ()), list(job.named_graphs or ())
        elif outline.has_dataset:
            return []
        else:  # the build's merge, and its named graphs (Published.dataset, as the snapshot holds them)
            default, named = [publish.MERGED], list(snapshot.graphs)
        # Either half left empty is said to be a graph that holds nothing (sparql_text.with_whole_dataset)
        return ([("default-graph-uri", graph) for graph in default or [EMPTY_GRAPH]]
                + [("named-graph-uri", graph) for graph in named or [EMPTY_GRAPH]])

    def _fetch(self, parameters: list[tuple[str, str]], accept: str) -> sparql_http.Reply:
        try:
            return self.client.fetch(parameters, accept, self.time_limit)
        except sparql_http.EngineTimeout:
            raise QueryTimeout(f"the {self.engine} engine did not answer within the time limit of "
                               f"{self.time_limit:g} s") from None
        except sparql_http.EngineCutShort as error:
            raise IncompleteAnswer(f"the {self.engine} engine's answer is not whole: {error}") from None
        except sparql_http.EngineRefused as error:
            if error.status == 400:
                raise QuerySyntaxError(f"the {self.engine} engine refused the query: {error}") from None
            raise BackendUnavailable(f"the {self.engine} engine answered the query with an error: {error}") from None
        except sparql_http.EngineError as error:
            raise BackendUnavailable(f"the {self.engine} engine did not answer: {error}") from None

    def _check_complete(self, reply: sparql_http.Reply) -> None:
        state = reply.headers.get("x-sql-state")
        if state:  # Virtuoso's partial answer: its own time limit ("anytime" queries) or another stop
            message = reply.headers.get("x-sql-message", "")
            if state.startswith("S1T"):
                raise QueryTimeout(f"the {self.engine} engine stopped the query at the time limit of "
                                   f"{self.time_limit:g} s ({state}); its answer would be partial")
            raise IncompleteAnswer(f"the {self.engine} engine's answer is partial ({state} {message})".strip())

    def _cut_by_engine(self, reply: sparql_http.Reply, rows: int, job: Job, reordered: bool) -> None:
        """Virtuoso cuts an answer at its ResultSetMaxRows silently but for a header, which it also sends
        with an answer of exactly that many rows. Above our own row cap the cut does no harm (we keep the
        first row_cap rows, and say the answer was cut), unless the answer is to be put in order again here
        (its first rows may be among those cut); at or below it, the rows may be missing."""
        cap = reply.headers.get("x-sparql-maxrows")
        if cap and cap.isdigit() and rows >= int(cap) and (int(cap) <= job.row_cap or reordered):
            raise IncompleteAnswer(f"the {self.engine} engine stopped at its own limit of {cap} rows (its "
                                   f"ResultSetMaxRows), at or below this answer's limit of {job.row_cap}: the "
                                   "answer may be incomplete, so it is not given")

    def _results_answer(self, reply: sparql_http.Reply, job: Job, restore, ask: bool) -> Answer:
        try:
            document = json.loads(reply.body)
            complete = isinstance(document.get("boolean"), bool) or isinstance(
                document["results"]["bindings"], list) and isinstance(document["head"]["vars"], list)
        except (ValueError, KeyError, TypeError, AttributeError):
            complete = False
        if not complete:
            raise IncompleteAnswer(f"the {self.engine} engine's answer is not complete SPARQL JSON results "
                                   f"(a query it stopped midway?): {reply.body[-200:]!r}")
        if ask and "boolean" not in document:
            document = _boolean(document)
        if "boolean" not in document:
            self._cut_by_engine(reply, len(document["results"]["bindings"]), job,
                                restore is not None and restore.ordering is not None)
        if restore is not None:
            document = virtuoso.restore(document, restore)
        try:
            results = ox.parse_query_results(json.dumps(document), ox.QueryResultsFormat.JSON)
            return answer_of(results, job)
        except (SyntaxError, ValueError) as error:
            raise IncompleteAnswer(f"the {self.engine} engine's results could not be read: {error}") from None

    def _graph_answer(self, reply: sparql_http.Reply, job: Job) -> Answer:
        """The triples in whatever format the engine says it sent, if pyoxigraph reads it and the answer is
        known to be whole: by the format's own end mark, else by the length the engine declared."""
        media_type = reply.headers.get("content-type", "").split(";")[0].strip().lower()
        rdf_format = ox.RdfFormat.from_media_type(media_type) if media_type else None
        if rdf_format is None:
            raise BackendUnavailable(f"the {self.engine} engine answered with triples in a format not read here: "
                                     f"{media_type or 'it named none'}")
        if rdf_format not in END_MARKED and not reply.headers.get("content-length", "").strip().isdigit():
            raise IncompleteAnswer(f"the {self.engine} engine sent its triples as {rdf_format.name}, which has no "
                                   "end mark, and did not declare their length: whether the answer is whole "
                                   "cannot be told")
        try:
            triples = [quad if isinstance(quad, ox.Triple) else quad.triple
                       for quad in ox.parse(reply.body, rdf_format)]
        except (SyntaxError, ValueError) as error:
            raise IncompleteAnswer(f"the {self.engine} engine's triples are not complete {rdf_format.name}: "
                                   f"{error}") from None
        self._cut_by_engine(reply, len(triples), job, False)
        return answer_of(iter(triples), job)


def _boolean(document: dict) -> dict:
    """An ASK's answer that came back as one row of one value (Virtuoso: `__ASK_RETVAL`, 1 or 0) as the
    boolean it is; anything else is not an answer to an ASK."""
    rows = document["results"]["bindings"]
    values = [term.get("value") for row in rows for term in row.values()]
    if len(rows) == 1 and len(values) == 1 and values[0] in ("1", "0", "true", "false"):
        return {"head": {}, "boolean": values[0] in ("1", "true")}
    raise IncompleteAnswer(f"the engine answered an ASK with {len(rows)} rows, not a boolean")
