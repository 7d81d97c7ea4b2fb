"""What an operator may tune about `ckg serve`, declared once, in the table SETTINGS.

Each row is one setting: its name (an attribute of Settings), its type and default, the `ckg serve`
option that sets it and how that option's value becomes the attribute's (MiB into bytes, `off` into
no log), what it does in words, and which of the servers honours it. From the table come the Settings
dataclass that the app reads, the options of `ckg serve` (serve.py) and the options' table in
docs/INTERNALS.md (`python -m coalition_kg.server.docs_tables --update` writes it; a test compares).
The defaults suit a small public endpoint. To add a setting, add a row.
"""

from __future__ import annotations

from dataclasses import dataclass, field, make_dataclass
from pathlib import Path
from typing import Any, Callable

from ..graph.engine_names import ENGINE_NAMES
from coalition_kg.project import Project

SERVERS = ("granian", "gunicorn")  # the production servers `ckg serve --server` runs the app under

# An evaluator child maps about 450 MiB of address space (interpreter, pyoxigraph, the store's
# caches, thread stacks and malloc arenas) once its store is open, and more for the first scans: at
# 512 MiB a full-graph COUNT already failed on the seeds; 768 leaves room for real queries.
MIN_EVALUATOR_MEMORY_MB = 768


@dataclass(frozen=True)
class Unit:
    """How an option's value becomes the attribute's, and how a default is written for people."""

    from_option: Callable[[Any], Any] = lambda value: value
    to_option: Callable[[Any], Any] = lambda value: value
    shown: Callable[[Any], str] = str


def _mib(value: int) -> str:
    return f"{value} MiB"


SECONDS = Unit(shown=lambda value: f"{value:g} s")
MIB = Unit(shown=_mib)
BYTES = Unit(shown=lambda value: _mib(value >> 20) if value and value % (1 << 20) == 0 else f"{value} bytes")
MIB_AS_BYTES = Unit(from_option=lambda mib: mib << 20, to_option=lambda size: size >> 20,
                    shown=lambda size: _mib(size >> 20))
# "off" on the command line is no access log (None); "-" is standard output.
LOG_TARGET = Unit(from_option=lambda value: None if value == "off" else value,
                  to_option=lambda value: "off" if value is None else value,
                  shown=lambda value: "`-`, standard output" if value == "-" else f"`{value}`")

REQUIRED = object()  # a setting with no default: Settings(var=..., queries=...) names it
_SAME = object()


@dataclass(frozen=True)
class Setting:
    name: str  # the attribute of Settings
    type: type
    default: Any  # in the attribute's unit; REQUIRED for none
    help: str  # what it sets; for a `--no-…` flag, what the flag does
    flag: str | None = None  # the `ckg serve` option; `--no-NAME` turns off a setting that is on by default
    unit: Unit = Unit()
    servers: tuple[str, ...] = SERVERS  # the servers that honour it
    choices: tuple[str, ...] | None = None
    # Where `ckg serve` starts otherwise than an app made in-process (tests, create_app()): it runs
    # two worker processes, an app made in-process is one; it logs requests to stdout.
    serve_default: Any = _SAME
    shown: str | None = None  # the default in words, where the value itself says nothing

    @property
    def is_switch(self) -> bool:
        """A `--no-…` flag: its presence turns the setting off."""
        return self.type is bool

    @property
    def served_default(self) -> Any:
        """The value `ckg serve` starts with when the option is not given."""
        return self.default if self.serve_default is _SAME else self.serve_default

    @property
    def option_default(self) -> Any:
        """The option's default, in the option's unit."""
        value = self.served_default
        return None if value is REQUIRED else self.unit.to_option(value)

    @property
    def shown_default(self) -> str:
        if self.shown is not None:
            return self.shown
        if self.is_switch:
            return "on" if self.default else "off"
        value = self.served_default
        return "none" if value is None else self.unit.shown(value)

    @property
    def only_for(self) -> str | None:
        """The server this setting is honoured by, when not by all of them."""
        return None if self.servers == SERVERS else " and ".join(self.servers)


SETTINGS: tuple[Setting, ...] = (
    Setting("var", Path, REQUIRED, "the folder of the builds (the project's `var/`, or `CKG_VAR`)"),
    Setting("queries", Path, REQUIRED, "folder of saved queries", "--queries", shown="the project's `queries/`"),
    Setting("host", str, "127.0.0.1", "address to listen on (0.0.0.0 for all)", "--host"),
    Setting("port", int, 8000, "port to listen on", "--port"),
    Setting("server", str, "granian", "the production server (see benchmarks/README.md)", "--server",
            choices=SERVERS, shown="`granian`"),
    Setting("workers", int, 1, "worker processes", "--workers", serve_default=2),
    Setting("evaluators", int, 4, "concurrent requests per worker, each with its own evaluator child", "--threads"),
    Setting("query_timeout", float, 10.0, "evaluation time before the query is stopped (answer: 503)",
            "--query-timeout", SECONDS),
    Setting("row_limit", int, 10_000, "rows (or triples) per answer; more are cut and the answer says so",
            "--row-limit"),
    Setting("max_body_bytes", int, 1 << 20, "largest request body in bytes; larger ones get 413", "--max-body",
            BYTES),
    Setting("cache_bytes", int, 64 << 20, "answer cache per worker process, in MiB", "--cache-mb", MIB_AS_BYTES),
    Setting("access_log", str, None, "access log file, `-` for standard output or `off` for none; written in "
            "batches, at most ¼ s late (the app logs requests itself)", "--access-log", LOG_TARGET,
            serve_default="-"),
    Setting("cors", bool, True, "do not send CORS headers (`Access-Control-Allow-Origin: *`)", "--no-cors",
            shown="CORS on"),
    Setting("evaluator_memory_mb", int, 2048, "memory (address space) per evaluator child in MiB; a query that "
            "needs more is stopped (503); 0: no limit", "--evaluator-memory-mb", MIB),
    Setting("memory_budget_mb", int, 8192, "memory (address space) of all evaluator children of all workers "
            "together in MiB: each child gets the budget / (workers × threads), or --evaluator-memory-mb if that "
            f"is less; under {MIN_EVALUATOR_MEMORY_MB} MiB a child, `ckg serve` refuses to start; 0: no budget",
            "--memory-budget-mb", MIB),
    Setting("body_timeout", float, 10.0, "time for a request body to arrive in full; later: 408 and the "
            "connection closed", "--body-timeout", SECONDS, servers=("granian",)),
    Setting("queue_timeout", float, 5.0, "how long an ad-hoc query waits for a free evaluator; then 503 with "
            "`Retry-After`", "--queue-timeout", SECONDS, servers=("granian",)),
    Setting("per_client_queries", int, 2, "ad-hoc queries one client address may have running or waiting, per "
            "worker; more: 429 with `Retry-After`; 0: no cap", "--per-client-queries", servers=("granian",)),
    Setting("inline_lookups", bool, True, "evaluate one-subject lookups (guard.is_subject_lookup) in evaluator "
            "children too, like every other query, rather than in the web process", "--no-inline-lookups",
            shown="inline on"),
    # A remote SPARQL engine the build was published to (`ckg publish`; server/remote_backend.py), instead
    # of the local store under var/.
    Setting("backend_url", str, None, "serve the build published to the SPARQL engine at this URL instead of the "
            "local store; no build is needed (README, `ckg serve --backend`)", "--backend", shown="the local store"),
    Setting("backend_engine", str, "oxigraph", "the engine at `--backend`; `sparql11` takes `--query-url` instead",
            "--engine", choices=ENGINE_NAMES),
    Setting("backend_query_url", str, None, "`--engine sparql11`: the engine's SPARQL query endpoint",
            "--query-url", shown="none"),
)


def typed(values: dict) -> dict:
    """Settings given as plain data (JSON, a dict of config) with their table's types: paths as Paths."""
    paths = {setting.name for setting in SETTINGS if setting.type is Path}
    return {name: Path(value) if name in paths and value is not None else value for name, value in values.items()}


def _for_project(cls, project: Project, **overrides) -> "Settings":
    return cls(**{"var": project.var, "queries": project.queries, **overrides})


def _evaluator_memory_limit(self) -> int | None:
    """Bytes of address space per evaluator child, or None for no limit: the smaller of
    evaluator_memory_mb and the child's share of the budget, memory_budget_mb / (workers x
    evaluators), so that all children of all workers together stay within the budget."""
    limits = [self.evaluator_memory_mb]
    if self.memory_budget_mb:
        limits.append(self.memory_budget_mb // (max(1, self.workers) * max(1, self.evaluators)))
    limits = [mb for mb in limits if mb]
    return min(limits) << 20 if limits else None


def _field(setting: Setting):
    annotation = setting.type | None if setting.default is None else setting.type
    if setting.default is REQUIRED:
        return setting.name, annotation
    return setting.name, annotation, field(default=setting.default)


# The settings an app is made with: Settings(var=..., queries=..., row_limit=...), one attribute per row.
Settings = make_dataclass(
    "Settings", [_field(setting) for setting in SETTINGS], frozen=True,
    namespace={"__doc__": "Everything an operator may tune (one attribute per row of SETTINGS).",
               "__module__": __name__, "for_project": classmethod(_for_project),
               "evaluator_memory_limit": property(_evaluator_memory_limit)})


def options_table() -> str:
    """The options of `ckg serve` as a Markdown table, for docs/INTERNALS.md."""
    lines = ["| option | default | what it sets |", "|---|---|---|"]
    for setting in SETTINGS:
        if setting.flag is None:
            continue
        where = f" ({setting.only_for} only)" if setting.only_for else ""
        lines.append(f"| `{setting.flag}` | {setting.shown_default} | {setting.help}{where} |")
    return "\n".join(lines) + "\n"
