"""`ckg serve`: the application under a production server, granian (the default) or gunicorn.

granian was picked by measurement (benchmarks/endpoint_bench.py, `--servers`): its HTTP layer is Rust;
on this project's hot path it answers several times the requests per second of gunicorn's gthread
workers at every concurrency. It runs front.py through its RSGI interface: bodies are read whole in
the event loop within `--body-timeout` before a request takes one of the worker's `--threads`
threads, where the WSGI app (router.py) answers it, and ad-hoc SPARQL is admitted to at most all
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
from pathlib import Path
from typing import Callable

from coalition_kg.project import Project


class BadSettings(ValueError):
    """Settings that do not go together (check_settings says how): nothing is built or served."""


class BuildFailed(Exception):
    """The build made before serving failed (the message says how): nothing is served."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Every setting with a flag (settings.SETTINGS) as an option, then what `ckg serve` itself does."""
    from .settings import SETTINGS

    for setting in SETTINGS:
        if setting.flag is None:
            continue
        if setting.is_switch:  # --no-NAME: present, the setting is off
            parser.add_argument(setting.flag, dest=setting.name, action="store_false", help=_help(setting))
        else:
            metavar = None if setting.choices else setting.flag.lstrip("-").upper().replace("-", "_")  # --cache-mb CACHE_MB
            parser.add_argument(setting.flag, dest=setting.name, type=setting.type, default=setting.option_default,
                                choices=setting.choices, metavar=metavar, help=_help(setting))
    parser.add_argument("--no-build", action="store_true", help="do not build the graph when none has been built")


def _help(setting) -> str:
    notes = [] if setting.is_switch else [f"default {setting.shown_default}"]
    if setting.only_for:
        notes.append(f"{setting.only_for} only")
    text = f"{setting.help} ({'; '.join(notes)})" if notes else setting.help
    return text.replace("`", "")  # the docs' table is Markdown; a terminal shows the words


def settings_from(project: Project, args):
    """The settings the options of `ckg serve` name, each in its attribute's unit."""
    from .settings import REQUIRED, SETTINGS, Settings

    values = {}
    for setting in SETTINGS:
        if setting.flag is None:
            continue
        value = setting.unit.from_option(getattr(args, setting.name))
        if value is None and setting.default is REQUIRED:
            continue  # left out (--queries): the project's own, as Settings.for_project gives it
        values[setting.name] = value
    return Settings.for_project(project, **values)


def check_settings(settings) -> str | None:
    """What is wrong with the operator's choice of limits, in words, or None."""
    from .settings import MIN_EVALUATOR_MEMORY_MB

    limit = settings.evaluator_memory_limit
    if limit is not None and limit >> 20 < MIN_EVALUATOR_MEMORY_MB:
        return (f"each evaluator child would get {limit >> 20} MiB of memory "
                f"(--memory-budget-mb {settings.memory_budget_mb} / ({settings.workers} workers x "
                f"{settings.evaluators} threads), --evaluator-memory-mb {settings.evaluator_memory_mb}); it needs "
                f"at least {MIN_EVALUATOR_MEMORY_MB}: raise the budget or lower --workers or --threads")
    if settings.body_timeout <= 0 or settings.queue_timeout < 0 or settings.per_client_queries < 0:
        return "--body-timeout must be above 0, --queue-timeout and --per-client-queries 0 or more"
    from .remote_backend import target_problem

    return target_problem(settings.backend_engine, settings.backend_url, settings.backend_query_url)


def prepare(project: Project, settings, build_missing: bool, say: Callable[[str], None] = lambda message: None) -> None:
    """Make ready to serve with the settings: they are checked first (a build for settings that cannot
    serve would be wasted: BadSettings), then the graph is built when there is none to serve or the
    current one has an older layout, unless build_missing is False or a remote engine serves the graph
    (BuildFailed if that build fails). `say` hears what is done before the build starts."""
    problem = check_settings(settings)
    if problem:
        raise BadSettings(problem)
    if not build_missing or settings.backend_url or settings.backend_query_url:
        return
    from coalition_kg.graph import store

    current = store.current(project.var)
    outdated = current is not None and store.layout_problem(current)
    if current is None or outdated:
        from coalition_kg.graph.build import BuildError, build

        say(f"{outdated or 'no graph built yet'}; building it first")
        try:
            build(project)
        except BuildError as error:
            raise BuildFailed(f"the build failed: {error}") from error


def run(settings) -> int:
    """Serve with the settings (once prepare has checked them and built the graph)."""
    if settings.server == "granian":
        return _run_granian(settings)
    from gunicorn.app.base import BaseApplication

    class _Gunicorn(BaseApplication):
        def __init__(self, options: dict):
            self.options = options
            super().__init__()

        def load_config(self) -> None:
            for key, value in self.options.items():
                self.cfg.set(key, value)

        def load(self):
            from .app import create_app

            return create_app(settings)

    options = {
        "bind": f"[{settings.host}]:{settings.port}" if ":" in settings.host else f"{settings.host}:{settings.port}",
        "workers": settings.workers,
        "worker_class": "gthread",
        "threads": settings.evaluators,
        "timeout": int(settings.query_timeout) + 30,
        "graceful_timeout": 10,
        "keepalive": 5,
        "accesslog": settings.access_log,
        "errorlog": "-",
        "access_log_format": '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s"',
        "proc_name": "ckg-serve",
        "post_worker_init": _warm_evaluators,
        "worker_exit": _stop_evaluators,
    }
    _Gunicorn(options).run()
    return 0


_SETTINGS_ENV = "CKG_SERVE_SETTINGS"


def _run_granian(settings) -> int:
    from granian import Granian
    from granian.constants import Interfaces

    # granian starts its workers as fresh processes that import the app factory below; the settings
    # travel to them in the environment.
    os.environ[_SETTINGS_ENV] = json.dumps({k: (str(v) if isinstance(v, Path) else v)
                                            for k, v in settings.__dict__.items()})
    Granian(
        "coalition_kg.server.serve:granian_app",
        factory=True,
        address=settings.host,
        port=settings.port,
        interface=Interfaces.RSGI,  # front.py; its own pool of --threads threads runs the WSGI app
        workers=settings.workers,
        websockets=False,
        log_access=False,  # the front writes the access log itself, in batches (access_log.py)
        respawn_failed_workers=True,
    ).serve()
    return 0


def granian_app():
    """The RSGI app of one granian worker (front.py), from the settings `ckg serve` put in the environment."""
    from .app import create_app
    from .settings import Settings, typed
    from .front import Front

    app = create_app(Settings(**typed(json.loads(os.environ[_SETTINGS_ENV]))))  # JSON has no paths
    app.extensions["ckg"].backend.warm()
    return Front(app)


def _warm_evaluators(worker) -> None:
    worker.wsgi.extensions["ckg"].backend.warm()


def _stop_evaluators(server, worker) -> None:
    app = getattr(worker, "wsgi", None)
    if app is not None and hasattr(app, "extensions"):
        app.extensions["ckg"].backend.close()
