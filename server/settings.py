"""What an operator may tune about `ckg serve`, in one table: the defaults suit a small public endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from coalition_kg.project import Project


@dataclass(frozen=True)
class Settings:
    """Everything an operator may tune; the defaults suit a small public endpoint."""

    var: Path
    queries: Path
    query_timeout: float = 10.0  # seconds of evaluation before the evaluator is killed
    row_limit: int = 10_000  # result rows (or triples) per answer; more are cut and the answer says so
    max_body_bytes: int = 1 << 20  # request bodies above this get 413
    cache_bytes: int = 64 << 20  # answers kept per worker process
    evaluators: int = 4  # evaluator children per worker process: its concurrent queries
    inline_lookups: bool = True  # answer one-subject lookups in the web process (guard.is_subject_lookup)
    evaluator_memory_mb: int = 2048  # address space per evaluator child, at most; 0 for no limit
    # Address space of all evaluator children of all workers together; each child gets its share
    # (evaluator_memory_limit). 0 for no budget.
    memory_budget_mb: int = 8192
    workers: int = 1  # worker processes sharing the memory budget
    body_timeout: float = 10.0  # seconds for a request's whole body to arrive (granian); then 408
    # Ad-hoc SPARQL evaluations (admission.py): how long one may wait for an evaluator before a 503, and
    # how many one client address may have running or waiting at once, per worker (0: no cap; then 429).
    queue_timeout: float = 5.0
    per_client_queries: int = 2
    cors: bool = True
    access_log: str | None = None  # "-" (stdout) or a file: the app logs requests itself (granian)
    # A remote SPARQL engine the build was published to (server/remote_backend.py), instead of the local
    # store: its base URL (oxigraph, virtuoso) or, for sparql11, its query URL; None serves var/current.
    backend_url: str | None = None
    backend_engine: str = "oxigraph"  # oxigraph, virtuoso or sparql11 (graph/publish.py ENGINES)
    backend_query_url: str | None = None  # sparql11: the query endpoint

    @classmethod
    def for_project(cls, project: Project, **overrides) -> "Settings":
        return cls(var=project.var, queries=project.queries, **overrides)

    @property
    def evaluator_memory_limit(self) -> int | None:
        """Bytes of address space per evaluator child, or None for no limit: the smaller of
        evaluator_memory_mb and the child's share of the budget, memory_budget_mb / (workers x
        evaluators), so that all children of all workers together stay within the budget."""
        limits = [self.evaluator_memory_mb]
        if self.memory_budget_mb:
            limits.append(self.memory_budget_mb // (max(1, self.workers) * max(1, self.evaluators)))
        limits = [mb for mb in limits if mb]
        return min(limits) << 20 if limits else None
