"""The query service: answers from the backend, kept in a bounded cache per build, and shared among
concurrent identical requests while the cache is cold. Every view asks it; none opens a store."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..graph import saved_queries as saved_query_files
from . import search
from .backend import Answer, Backend, Job, Snapshot, graph_job
from .cache import AnswerCache, Flights
from .dump_files import DumpFiles
from .errors import BadParameter, NotFound
from .settings import Settings


@dataclass
class QueryService:
    settings: Settings
    backend: Backend
    cache: AnswerCache
    saved: dict = field(default_factory=dict)  # name -> saved_queries.SavedQuery
    flights: Flights = field(default_factory=Flights)
    search_indexes: search.SearchIndexes = field(default_factory=search.SearchIndexes)
    dump_files: DumpFiles = field(init=False, repr=False)

    def __post_init__(self):
        self.dump_files = DumpFiles(self.settings.var)

    def snapshot(self) -> Snapshot:
        """The build this request reads, for everything it does."""
        return self.backend.snapshot()

    def answer(self, info: Snapshot, job: Job) -> Answer:
        """An evaluated answer, from the cache when the same job ran on the same build before, or
        shared with a concurrent request for it. With the cache off (--cache-mb 0) every request
        evaluates: nothing is shared. Only answers are kept: an error (a time limit, an engine's
        incomplete answer) is raised to every request that shared it and kept nowhere."""
        key = (info.key, *job.key)
        answer = self.cache.lookup(key)
        if answer is None:
            if self.settings.cache_bytes:
                answer = self.flights.run(key, lambda: self._evaluate(info, job, key))
            else:
                answer = self._evaluate(info, job, key)
        return answer

    def _evaluate(self, info: Snapshot, job: Job, key: tuple) -> Answer:
        answer = self.backend.evaluate(info, job)
        self.cache.put(key, answer, len(job.query) + len(answer.body) + 200)
        return answer

    def graph(self, info: Snapshot, iri: str, graph_format: str, row_cap: int, prefixes: dict | None) -> Answer:
        """A named graph's triples (up to the row cap), kept and shared like any answer."""
        return self.answer(info, graph_job(iri, graph_format, row_cap, prefixes))

    def dump_file(self, info: Snapshot) -> Path:
        """The build's N-Quads dump, a file written once per build (server/dump_files.py)."""
        return self.dump_files.path(info, self.backend)

    def search(self, info: Snapshot, text: str) -> dict:
        """Entities, articles and sentences by their words, from the index beside the build (search.py)."""
        return search.results(self.search_indexes.connection(info), text)

    def select(self, info: Snapshot, query: str, row_cap: int | None = None, **substitutions) -> list[dict]:
        """Rows of one of the server's own SELECT queries, as SPARQL JSON bindings (at most the row limit,
        unless a query that is bounded by the schema's size asks for its own cap)."""
        job = Job(query, "json", None, row_cap or self.settings.row_limit, substitutions=substitutions)
        return json.loads(self.answer(info, job).body)["results"]["bindings"]

    def whole_cap(self, info: Snapshot) -> int:
        """A row cap no answer about the graph itself can reach (an index, a page, the vocabulary): such
        answers are bounded by the build, and are given whole whatever the row limit."""
        return max(self.settings.row_limit, info.quads)

    def saved_query(self, name: str):
        saved = self.saved.get(name)
        if saved is None:
            known = ", ".join(self.saved) or "none"
            raise NotFound(f"no saved query named {name!r}; known: {known}")
        return saved


def saved_query_values(saved, args) -> tuple[dict, str, dict]:
    """A saved query's parameters from the URL (`format` aside): the values as given, and the text to
    evaluate with its substitutions, as the query's binding says."""
    for key in args:
        if len(args.getlist(key)) > 1:
            raise BadParameter(f"parameter {key} is given more than once")
    values = {k: v for k, v in args.items() if k != "format"}
    try:
        text, bindings = saved.bound(values)
    except saved_query_files.SavedQueryError as error:
        raise BadParameter(str(error)) from None
    return values, text, {var.value: term for var, term in bindings.items()}
