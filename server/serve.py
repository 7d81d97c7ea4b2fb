"""`ckg serve`: the application under a production WSGI server, granian (the default) or gunicorn.

granian was picked by measurement (benchmarks/endpoint_bench.py, `--servers`): its HTTP layer is Rust
and hands requests to the WSGI app from a pool of blocking threads; on this project's hot path it
answers several times the requests per second of gunicorn's gthread workers at every concurrency.
gunicorn stays available (`--server gunicorn`).

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
    parser.add_argument("--no-inline-lookups", action="store_true",
                        help="evaluate one-subject lookups in evaluator children too, like every other query")
    parser.add_argument("--queries", help="folder of saved queries (default: the project's queries/)")
    parser.add_argument("--access-log", default="-",
                        help="access log file ('-' for standard output, the default; 'off' for none)")
    parser.add_argument("--no-build", action="store_true", help="do not build the graph when none has been built")
    parser.add_argument("--server", choices=("granian", "gunicorn"), default="granian",
                        help="the WSGI server (default granian; see benchmarks/README.md)")


def settings_from(project: Project, args):
    from coalition_kg.server.app import Settings

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
    )


def run(project: Project, args) -> int:
    from coalition_kg.graph import store

    if store.current(project.var) is None and not args.no_build:
        from coalition_kg.graph.build import BuildError, build

        print("ckg serve: no graph built yet; building it first", file=sys.stderr)
        try:
            build(project)
        except BuildError as error:
            print(f"ckg serve: the build failed: {error}", file=sys.stderr)
            return 1
    settings = settings_from(project, args)
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
        interface=Interfaces.WSGI,
        workers=args.workers,
        blocking_threads=args.threads,
        log_access=False,  # the app writes the access log itself, in batches (access_log.py)
        respawn_failed_workers=True,
    ).serve()
    return 0


def granian_app():
    """The app of one granian worker, from the settings `ckg serve` put in the environment."""
    from coalition_kg.server.app import Settings, create_app

    values = json.loads(os.environ[_SETTINGS_ENV])
    values["var"], values["queries"] = Path(values["var"]), Path(values["queries"])
    app = create_app(Settings(**values))
    app.extensions["ckg"].pool.warm()
    return app


def _warm_evaluators(worker) -> None:
    worker.wsgi.extensions["ckg"].pool.warm()


def _stop_evaluators(server, worker) -> None:
    app = getattr(worker, "wsgi", None)
    if app is not None and hasattr(app, "extensions"):
        app.extensions["ckg"].pool.close()
