"""The application factory: `create_app(settings)` builds everything a worker needs (the backend, the
query service with its answer cache, the saved queries, the page templates, the router) and keeps it
on the app, not in globals, so tests can build as many apps as they like.

A request's path: router.py (the fast lane, the routing table) -> a view of views.py -> the query
service (query_service.py) -> the backend (backend.py: the local store's evaluator children, or a
remote engine); http.py says how every answer and every error goes over HTTP.
"""

from __future__ import annotations

from dataclasses import replace

from flask import Flask

from ..graph import saved_queries as saved_query_files
from coalition_kg.project import Project
from . import formats, linked_data
from .backend import backend_for
from .cache import AnswerCache
from .query_service import QueryService
from .router import Router
from .settings import Settings, typed
from .views import Site


def create_app(config: Settings | dict | None = None) -> Flask:
    if config is None:
        settings = Settings.for_project(Project.locate())
    elif isinstance(config, dict):
        base = Settings.for_project(Project.locate(var=config.get("var")))
        settings = replace(base, **typed(config))
    else:
        settings = config

    app = Flask(__name__, static_folder=None, template_folder="templates")
    app.jinja_env.globals.update(local_href=linked_data.local_href, compact=linked_data.compact,
                                 formats=formats.for_pages(), term_rules=linked_data.TERM_RULES,
                                 article_file_href=linked_data.article_file_href)
    service = QueryService(settings, backend_for(settings), AnswerCache(settings.cache_bytes),
                           saved_query_files.load_all(settings.queries))
    app.extensions["ckg"] = service

    def render(template: str, **context) -> str:
        return app.jinja_env.get_template(template).render(**context)

    app.wsgi_app = Router(Site(service, render))
    return app
