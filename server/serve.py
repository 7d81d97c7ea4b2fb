"""`ckg serve`: the application under a production server, granian (the default) or gunicorn.

granian was picked by measurement (benchmarks/endpoint_bench.py, `--servers`): its HTTP layer is Rust;
on this project's hot path it answers several times the requests per second of gunicorn's gthread
workers at every concurrency. It runs front.py through its RSGI interface: bodies are read whole in
the event loop within `--body-timeout` before a request takes one of the worker's `--threads`
threads, where the WSGI app (fast.py, Flask) answers it, and ad-hoc SPARQL is admitted to at most all
but one of those threads (admission.py).

gunicorn stays available (`--server gunicorn`) without these defences: its gthread workers read a
request's body in the thread that serves it, with no deadline, and have no lanes. Put it behind a
proxy that buffers whole requests, or use granian, for a public endpoint.

Either way each worker process serves `--threads` requests at once and owns as many evaluator
children (see evaluator.py), so a slow query holds one thread and one child, never the worker. The
evaluator is what stops a long query; gunicorn's own worker timeout is set well above the limit, and
granian has none.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from coalition_kg.project import Project

DEFAULT_PORT = 8000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 for all)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--threads", type=int, default=4,
                        help="concurrent requests per worker, each with its own evaluator child (default 4)")
    parser.add_argument("--query-timeout", type=float, default=10.0, help="seconds a query may run (default 10)")
    parser.add_argument("--row-limit", type=int, default=10_000, help="rows or triples per answer (default 10000)")
    parser.add_argument("--max-body", type=int, default=1 << 20, help="largest request body in bytes (default 1 MiB)")
    parser.add_argument("--cache-mb", type=int, default=64, help="answer cache per worker in MiB (default 64)")
    parser.add_argument("--no-cors", action="store_true", help="do not send CORS headers")
    parser.add_argument("--evaluator-memory-mb", type=int, default=2048,
                        help="memory (address space) per evaluator child in MiB; a query needing more gets 503 "
                             "(default 2048; 0: no limit)")
    parser.add_argument("--memory-budget-mb", type=int, default=8192,
                        help="memory (address space) of all evaluator children of all workers together in MiB; "
                             "each child may use budget / (workers x threads), or --evaluator-memory-mb if that "
                             "is less (default 8192; 0: no budget)")
    parser.add_argument("--body-timeout", type=float, default=10.0,
                        help="seconds for a request body to arrive in full; then 408 (default 10; granian only)")
    parser.add_argument("--queue-timeout", type=float, default=5.0,
                        help="seconds an ad-hoc query may wait for a free evaluator; then 503 (default 5; "
                             "granian only)")
    parser.add_argument("--per-client-queries", type=int, default=2,
                        help="ad-hoc queries one client address may have running or waiting, per worker; more "
                             "get 429 (default 2; 0: no cap; granian only)")
    parser.add_argument("--no-inline-lookups", action="store_true",
                        help="evaluate one-subject lookups in evaluator children too, like every other query")
    parser.add_argument("--queries", help="folder of saved queries (default: the project's queries/)")
    parser.add_argument("--access-log", default="-",
                        help="access log file ('-' for standard output, the default; 'off' for none)")
    parser.add_argument("--no-build", action="store_true", help="do not build the graph when none has been built")
    parser.add_argument("--backend", metavar="URL",
                        help="serve the build published to this SPARQL engine (`ckg publish`) instead of the local "
                             "store; no build is needed (see README, 'ckg serve --backend')")
    parser.add_argument("--engine", choices=("oxigraph", "virtuoso", "sparql11"), default="oxigraph",
                        help="the engine at --backend (default oxigraph); sparql11 takes --query-url instead")
    parser.add_argument("--query-url", help="--engine sparql11: the engine's SPARQL query endpoint")
    parser.add_argument("--server", choices=("granian", "gunicorn"), default="granian",
                        help="the WSGI server (default granian; see benchmarks/README.md)")


def settings_from(project: Project, args):
    from coalition_kg.server.settings import Settings

    return Settings(
        var=project.var,
        queries=Path(args.queries) if args.queries else project.queries,
        query_timeout=args.query_timeout,
        row_limit=args.row_limit,
        max_body_bytes=args.max_body,
        cache_bytes=args.cache_mb << 20,
        evaluators=args.threads,
        cors=not args.no_cors,
        inline_lookups=not args.no_inline_lookups,
        evaluator_memory_mb=args.evaluator_memory_mb,
        memory_budget_mb=args.memory_budget_mb,
        workers=args.workers,
        body_timeout=args.body_timeout,
        queue_timeout=args.queue_timeout,
        per_client_queries=args.per_client_queries,
        backend_url=args.backend,
        backend_engine=args.engine,
        backend_query_url=args.query_url,
    )


# An evaluator child maps about 450 MiB of address space (interpreter, pyoxigraph, the store's
# caches, thread stacks and malloc arenas) once its store is open, and more for the first scans: at
# 512 MiB a full-graph COUNT already failed on the seeds; 768 leaves room for real queries.
MIN_EVALUATOR_MEMORY_MB = 768


def check_settings(settings) -> str | None:
    """What is wrong with the operator's choice of limits, in words, or None."""
    limit = settings.evaluator_memory_limit
    if limit is not None and limit >> 20 < MIN_EVALUATOR_MEMORY_MB:
        return (f"each evaluator child would get {limit >> 20} MiB of memory "
                f"(--memory-budget-mb {settings.memory_budget_mb} / ({settings.workers} workers x "
                f"{settings.evaluators} threads), --evaluator-memory-mb {settings.evaluator_memory_mb}); it needs "
                f"at least {MIN_EVALUATOR_MEMORY_MB}: raise the budget or lower --workers or --threads")
    if settings.body_timeout <= 0 or settings.queue_timeout < 0 or settings.per_client_queries < 0:
        return "--body-timeout must be above 0, --queue-timeout and --per-client-queries 0 or more"
    if settings.backend_engine == "sparql11":
        if settings.backend_url:
            return "--engine sparql11 takes --query-url (and not --backend)"
    elif settings.backend_query_url:
        return f"--query-url is for --engine sparql11; --engine {settings.backend_engine} takes --backend URL"
    return None


def run(project: Project, args) -> int:
    from coalition_kg.graph import store

    settings = settings_from(project, args)
    problem = check_settings(settings)
    if problem:  # said before a build, which would be wasted
        print(f"ckg serve: {problem}", file=sys.stderr)
        return 2
    current = store.current(project.var)
    outdated = current is not None and store.layout_problem(current)
    remote = settings.backend_url or settings.backend_query_url
    if (current is None or outdated) and not args.no_build and not remote:
        from coalition_kg.graph.build import BuildError, build

        print(f"ckg serve: {outdated or 'no graph built yet'}; building it first", file=sys.stderr)
        try:
            build(project)
        except BuildError as error:
            print(f"ckg serve: the build failed: {error}", file=sys.stderr)
            return 1
    if args.server == "granian":
        return _run_granian(settings, args)
    from gunicorn.app.base import BaseApplication

    class _Gunicorn(BaseApplication):
        def __init__(self, options: dict):
            self.options = options
            super().__init__()

        def load_config(self) -> None:
            for key, value in self.options.items():
                self.cfg.set(key, value)

        def load(self):
            from coalition_kg.server.app import create_app

            return create_app(settings)

    options = {
        "bind": f"[{args.host}]:{args.port}" if ":" in args.host else f"{args.host}:{args.port}",
        "workers": args.workers,
        "worker_class": "gthread",
        "threads": args.threads,
        "timeout": int(args.query_timeout) + 30,
        "graceful_timeout": 10,
        "keepalive": 5,
        "accesslog": None if args.access_log == "off" else args.access_log,
        "errorlog": "-",
        "access_log_format": '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s"',
        "proc_name": "ckg-serve",
        "post_worker_init": _warm_evaluators,
        "worker_exit": _stop_evaluators,
    }
    _Gunicorn(options).run()
    return 0


_SETTINGS_ENV = "CKG_SERVE_SETTINGS"


def _run_granian(settings, args) -> int:
    from granian import Granian
    from granian.constants import Interfaces

    # granian starts its workers as fresh processes that import the app factory below; the settings
    # travel to them in the environment.
    from dataclasses import replace

    settings = replace(settings, access_log=None if args.access_log == "off" else args.access_log)
    os.environ[_SETTINGS_ENV] = json.dumps({k: (str(v) if isinstance(v, Path) else v)
                                            for k, v in settings.__dict__.items()})
    Granian(
        "coalition_kg.server.serve:granian_app",
        factory=True,
        address=args.host,
        port=args.port,
        interface=Interfaces.RSGI,  # front.py; its own pool of --threads threads runs the WSGI app
        workers=args.workers,
        websockets=False,
        log_access=False,  # the front writes the access log itself, in batches (access_log.py)
        respawn_failed_workers=True,
    ).serve()
    return 0


def granian_app():
    """The RSGI app of one granian worker (front.py), from the settings `ckg serve` put in the environment."""
    from coalition_kg.server.app import create_app
    from coalition_kg.server.settings import Settings
    from coalition_kg.server.front import Front

    values = json.loads(os.environ[_SETTINGS_ENV])
    values["var"], values["queries"] = Path(values["var"]), Path(values["queries"])
    app = create_app(Settings(**values))
    app.extensions["ckg"].backend.warm()
    return Front(app)


def _warm_evaluators(worker) -> None:
    worker.wsgi.extensions["ckg"].backend.warm()


def _stop_evaluators(server, worker) -> None:
    app = getattr(worker, "wsgi", None)
    if app is not None and hasattr(app, "extensions"):
        app.extensions["ckg"].backend.close()
