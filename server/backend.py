"""The backend seam: where answers come from, whatever holds the graph.

A backend has these jobs; the query service (server/query_service.py) asks the first two, the router
current_key() (its fast lane), and the server warm() and close():

- `snapshot()`: the build that answers now (a Snapshot, with its id), asked once per request, so that
  everything a request does reads one build, and cheap (a readlink for the local store);
- `evaluate(snapshot, job)`: one query's answer in the asked format, within the backend's time limit and
  the job's row cap; the answer says how many rows it has and whether rows were cut;
- `current_key()`: the key of the build known to answer now, at once and without I/O (the router's
  fast lane asks it in granian's event loop), or None;
- a named graph's triples are the answer of graph_job(), evaluated like any query (capped, cached);
- `graph_ntriples(snapshot, iri)`: one named graph whole, as N-Triples, a triple a line (the dump,
  server/dump_files.py, counts them against the build's own count of them).

Two implementations: LocalBackend, the on-disk Oxigraph store of `ckg build` with its killable evaluator
children (server/evaluator.py), and the remote SPARQL 1.1 engine a build was published to
(server/remote_backend.py). Backends raise the domain errors of server/errors.py, never HTTP statuses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Protocol

from ..graph.store import StoreInfo


@dataclass(frozen=True)
class Snapshot:
    """One build as it serves: the same whichever backend holds it."""

    build_id: str
    built_at: str  # ISO 8601, UTC
    built_at_epoch: float
    quads: int  # in the named graphs
    graphs: dict[str, int]  # triples per named graph
    triples: int  # in the default graph, the merge of the named graphs
    # What a cache key says for this build in this backend: the local store's name under var/ (it ends in
    # the build id), or the remote engine's address with the build id.
    key: str
    # The build's own folder on this machine (the search index beside the store), if it has one.
    directory: Path | None = None

    @classmethod
    def of_store(cls, info: StoreInfo, key: str) -> "Snapshot":
        return cls(info.build_id, info.built_at, info.built_at_epoch, info.quads, info.graphs, info.triples,
                   key, info.directory)


@lru_cache(maxsize=8)  # worked out once per build: a Path join and its str() cost more than a small job
def _store_path(directory: Path) -> str:
    return str(directory / "store")


@dataclass(frozen=True)
class Job:
    """One query to evaluate, with everything a backend needs to answer it."""

    query: str
    result_format: str | None  # a writers name for SELECT/ASK (json, xml, csv, tsv) or None
    graph_format: str | None  # an RdfFormat name for CONSTRUCT/DESCRIBE (TURTLE …) or None
    row_cap: int
    # The protocol's default-graph-uri and named-graph-uri, which replace the query's own dataset (its
    # FROM clauses, if any); without them the query reads the build's default graph, the merge of the
    # named graphs (graph/store.py), or the dataset its FROM clauses name.
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    substitutions: dict = field(default_factory=dict)  # variable name -> pyoxigraph term
    prefixes: dict | None = None
    # A one-subject lookup (guard.is_subject_lookup): its work is bounded, so the local backend may
    # evaluate it in the web process instead of a child. It does not change the answer.
    bounded: bool = False

    @cached_property  # asked twice a request (the ETag, the cache); a frozen job's key never changes
    def key(self) -> tuple:
        """What makes two jobs the same answer on one build."""
        return (self.query, self.result_format, self.graph_format, self.row_cap, self.default_graphs,
                self.named_graphs, tuple(sorted((k, str(v)) for k, v in self.substitutions.items())),
                tuple(sorted(self.prefixes.items())) if self.prefixes else None)


@dataclass(frozen=True)
class Answer:
    body: bytes
    kind: str  # "results" (SELECT/ASK) or "graph"
    format_name: str  # the writers name or RdfFormat name actually used
    rows: int
    truncated: bool


def answer_of(results, job: Job) -> Answer:
    """The job's answer written from pyoxigraph's query results (solutions, a boolean or triples), with
    the row cap: the one writer of answers, whichever backend evaluated the query."""
    import pyoxigraph as ox

    from . import writers

    if isinstance(results, ox.QuerySolutions):
        name = job.result_format or "json"
        body, rows, truncated = writers.write_solutions(results, name, job.row_cap)
        return Answer(body, "results", name, rows, truncated)
    if isinstance(results, ox.QueryBoolean):
        name = job.result_format or "json"
        return Answer(writers.write_boolean(bool(results), name), "results", name, 1, False)
    name = job.graph_format or "TURTLE"
    body, rows, truncated = writers.write_triples(results, getattr(ox.RdfFormat, name), job.row_cap, job.prefixes)
    return Answer(body, "graph", name, rows, truncated)


def graph_job(iri: str, graph_format: str, row_cap: int, prefixes: dict | None = None) -> Job:
    """The CONSTRUCT of one named graph's triples (graph/sparql/graph-contents.rq), up to the row cap."""
    import pyoxigraph as ox

    from ..graph.internal_queries import internal_query

    return Job(internal_query("graph-contents"), None, graph_format, row_cap,
               substitutions={"graph": ox.NamedNode(iri)}, prefixes=prefixes)


class Backend(Protocol):
    def current_key(self) -> str | None:
        """A cheap name of the build that answers now (Snapshot.key), or None before there is one."""

    def snapshot(self) -> Snapshot: ...

    def evaluate(self, snapshot: Snapshot, job: Job) -> Answer: ...

    def graph_ntriples(self, snapshot: Snapshot, iri: str) -> bytes: ...

    def warm(self) -> None: ...

    def close(self) -> None: ...


class LocalBackend:
    """The store `ckg build` made current under var/, read by killable evaluator children (evaluator.py);
    one-subject lookups may be answered in the web process itself (inline_lookups)."""

    def __init__(self, var: Path, time_limit: float, evaluators: int, memory_limit: int | None,
                 inline_lookups: bool = True):
        from .evaluator import EvaluatorPool
        from .live_store import LiveStore

        self.live = LiveStore(var)
        self.pool = EvaluatorPool(evaluators, memory_limit)
        self.time_limit = time_limit
        self.inline_lookups = inline_lookups

    def current_key(self) -> str | None:
        return self.live.current_name()  # one readlink

    def snapshot(self) -> Snapshot:
        return self.live.snapshot()

    def evaluate(self, snapshot: Snapshot, job: Job) -> Answer:
        if job.bounded and self.inline_lookups:
            from .evaluator import evaluate_here

            return evaluate_here(self.live.open(_store_path(snapshot.directory)), job)
        return self.pool.run(_store_path(snapshot.directory), job, self.time_limit)

    def graph_ntriples(self, snapshot: Snapshot, iri: str) -> bytes:
        import pyoxigraph as ox

        # Read in the web process: a read of one graph's index, bounded by the build, cannot run away
        return self.live.open(_store_path(snapshot.directory)).dump(format=ox.RdfFormat.N_TRIPLES,
                                                                    from_graph=ox.NamedNode(iri))

    def warm(self) -> None:
        self.pool.warm()

    def close(self) -> None:
        self.pool.close()


def backend_for(settings) -> Backend:
    """The backend the settings name: a remote engine if they name one, else the local store under var."""
    if settings.backend_url or settings.backend_query_url:
        from .remote_backend import RemoteBackend, endpoints_for

        endpoints = endpoints_for(settings.backend_engine, settings.backend_url, settings.backend_query_url)
        return RemoteBackend(settings.backend_engine, endpoints, settings.var, settings.query_timeout)
    return LocalBackend(settings.var, settings.query_timeout, settings.evaluators,
                        settings.evaluator_memory_limit, settings.inline_lookups)
