"""The Flask application: routes, and the few functions each concern of a request goes through.

create_app(settings) builds everything a worker needs (evaluator pool, answer cache, the live store
tracker, saved queries) and keeps it on the app, not in globals, so tests can build as many apps as
they like. A query's path through a request:

    protocol.read_query_request  ->  guard.inspect  ->  choose formats (406)  ->  conditional (304)
    ->  cache, or evaluator child (or the web process itself for a one-subject lookup)  ->  response with validators, row-cap and CORS headers
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pyoxigraph as ox
from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.http import http_date, parse_date
from werkzeug.routing import RequestRedirect

from coalition_kg.graph import saved_queries as saved_query_files
from coalition_kg.server.backend import Answer, Backend, Job, Snapshot, backend_for
from coalition_kg.server.service_description import SD_PREFIXES, service_description
from coalition_kg.project import BASE, GRAPH as GRAPH_NAMESPACE, ONTOLOGY, Project
from coalition_kg.server import formats, guard, linked_data, protocol, search, statements
from coalition_kg.server.cache import AnswerCache, Flights
from coalition_kg.server.errors import BadParameter, HttpError, NotAcceptable, NotFound, shown
from coalition_kg.server.formats import GRAPH_FORMATS, HTML, RESULT_FORMATS, Format
from coalition_kg.server.settings import Settings

log = logging.getLogger("coalition_kg.server")


@dataclass
class Service:
    settings: Settings
    backend: Backend
    cache: AnswerCache
    saved: dict = field(default_factory=dict)
    flights: Flights = field(default_factory=Flights)
    search_indexes: search.SearchIndexes = field(default_factory=search.SearchIndexes)

    def snapshot(self) -> Snapshot:
        return self.backend.snapshot()

    def answer(self, info: Snapshot, job: Job) -> Answer:
        """An evaluated answer, from the cache when the same job ran on the same build before, or
        shared with a concurrent request for it. With the cache off (--cache-mb 0) every request
        evaluates: nothing is shared."""
        key = job_key(info, job)
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

    def select(self, info: Snapshot, query: str, row_cap: int | None = None, **substitutions) -> list[dict]:
        """Rows of one of the server's own SELECT queries, as SPARQL JSON bindings (at most the row limit,
        unless a query that is bounded by the schema's size asks for its own cap)."""
        job = Job(query, "json", None, row_cap or self.settings.row_limit, substitutions=substitutions)
        return json.loads(self.answer(info, job).body)["results"]["bindings"]


def sparql_job(info: Snapshot, query_request, shape, choice, row_cap: int) -> Job:
    """The evaluation a protocol request asks for, on the store the request reads."""
    return Job(
        query=query_request.query,
        result_format=choice.results.name if choice.results else None,
        graph_format=choice.graph.rdf_name if choice.graph else None,
        row_cap=row_cap,
        default_graphs=query_request.default_graphs if query_request.has_dataset else None,
        named_graphs=query_request.named_graphs if query_request.has_dataset else None,
        bounded=shape.lookup,
    )


def saved_query_values(saved, args) -> tuple[dict, str, dict]:
    """A saved query's parameters from the URL (`format` aside): the values as given, and the text to
    evaluate with its substitutions, as the query's binding says (shared with fast.py)."""
    for key in args:
        if len(args.getlist(key)) > 1:
            raise BadParameter(f"parameter {key} is given more than once")
    values = {k: v for k, v in args.items() if k != "format"}
    try:
        text, bindings = saved.bound(values)
    except saved_query_files.SavedQueryError as error:
        raise BadParameter(str(error)) from None
    return values, text, {var.value: term for var, term in bindings.items()}


def saved_job(info: Snapshot, text: str, substitutions: dict, choice: Choice, row_cap: int) -> Job:
    """The evaluation of a saved query; an HTML page is made from its JSON (or Turtle) answer."""
    if choice.html:
        result_format, graph_format = "json", "TURTLE"
    else:
        result_format = choice.results.name if choice.results else None
        graph_format = choice.graph.rdf_name if choice.graph else None
    return Job(text, result_format, graph_format, row_cap, substitutions=substitutions)


def job_key(info: Snapshot, job: Job) -> tuple:
    # The snapshot's key names the build (a local store's name ends in the build id).
    return (info.key, *job.key())


# --- the representation a client gets ---------------------------------------------------------

@dataclass(frozen=True)
class Choice:
    """Formats for both answer families; the query's form decides which one is used."""

    results: Format | None
    graph: Format | None
    html: bool = False


def choose_formats(offer_html: bool = False) -> Choice:
    """From the `format` parameter if there is one (browsers can't set Accept on a link), else Accept."""
    return choose_formats_from(request.args.get("format"), request.headers.get("Accept"), offer_html)


@lru_cache(maxsize=512)  # clients send a handful of distinct Accept headers; the answer is immutable
def choose_formats_from(wanted: str | None, accept: str | None, offer_html: bool = False) -> Choice:
    html_offer = (HTML,) if offer_html else ()
    if wanted:
        results = formats.by_parameter(wanted, RESULT_FORMATS)
        graph = formats.by_parameter(wanted, GRAPH_FORMATS)
        is_html = offer_html and formats.by_parameter(wanted, (HTML,)) is not None
        if results is None and graph is None and not is_html:
            names = ", ".join(f.name for f in (*RESULT_FORMATS, *GRAPH_FORMATS, *html_offer))
            raise NotAcceptable(f"unknown format {wanted!r}; known: {names}")
        return Choice(results, graph, is_html)
    results = formats.negotiate(accept, html_offer + RESULT_FORMATS)
    graph = formats.negotiate(accept, html_offer + GRAPH_FORMATS)
    is_html = HTML in (results, graph)
    return Choice(None if results is HTML else results, None if graph is HTML else graph, is_html)


def require_format(choice: Choice, graph: bool) -> Format:
    fmt = choice.graph if graph else choice.results
    if fmt is None:
        offered = GRAPH_FORMATS if graph else RESULT_FORMATS
        kind = "an RDF graph (CONSTRUCT or DESCRIBE)" if graph else "SPARQL results (SELECT or ASK)"
        raise NotAcceptable(f"this answer is {kind}, available as: " + ", ".join(f.media_type for f in offered))
    return fmt


def etag_for(info: Snapshot, *parts) -> str:
    digest = hashlib.blake2b(repr((info.build_id, parts)).encode("utf-8"), digest_size=16).hexdigest()
    return f'"{info.build_id[:12]}-{digest}"'


def validators(info: Snapshot, etag: str) -> dict[str, str]:
    return {"ETag": etag, "Last-Modified": _http_date(int(info.built_at_epoch)),
            "Cache-Control": "public, no-cache", "Graph-Build": info.build_id}


@lru_cache(maxsize=8)  # one value per build: formatting a date is a good part of a small answer's headers
def _http_date(epoch: int) -> str:
    return http_date(epoch)


def not_modified(info: Snapshot, etag: str) -> Response | None:
    """A 304 when the client's copy is current (GET and HEAD only; If-None-Match wins over dates)."""
    if request.method not in ("GET", "HEAD"):
        return None
    tags = request.headers.get("If-None-Match")
    if tags is not None:
        current = etag.strip('"')
        match = any(t.strip() in ("*", etag, "W/" + etag) or t.strip().strip('"') == current for t in tags.split(","))
        fresh = match
    else:
        since = parse_date(request.headers.get("If-Modified-Since"))
        fresh = since is not None and int(info.built_at_epoch) <= since.timestamp()
    if not fresh:
        return None
    response = Response(status=304)
    response.headers.update(validators(info, etag))
    response.headers["Vary"] = "Accept"
    return response


def answer_headers(info: Snapshot, answer: Answer, etag: str, row_limit: int) -> list[tuple[str, str]]:
    """Every header of a query answer but CORS and Content-Length (shared with fast.py)."""
    if answer.kind == "graph":
        fmt = next(f for f in GRAPH_FORMATS if f.rdf_name == answer.format_name)
    else:
        fmt = formats.BY_NAME[answer.format_name]
    return [("Content-Type", fmt.content_type), NOSNIFF, *validators(info, etag).items(), ("Vary", "Accept"),
            ("Result-Rows", str(answer.rows)), ("Result-Row-Limit", str(row_limit)),
            ("Result-Truncated", "true" if answer.truncated else "false")]


def answer_response(info: Snapshot, answer: Answer, etag: str, row_limit: int) -> Response:
    response = Response(answer.body)
    for name, value in answer_headers(info, answer, etag, row_limit):
        response.headers[name] = value
    return response


CORS_EXPOSED = "ETag, Last-Modified, Result-Rows, Result-Row-Limit, Result-Truncated, Graph-Build"


def cors_headers(settings: Settings, method: str) -> list[tuple[str, str]]:
    if not settings.cors:
        return []
    headers = [("Access-Control-Allow-Origin", "*"), ("Access-Control-Expose-Headers", CORS_EXPOSED)]
    if method == "OPTIONS":
        headers += [("Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS"),
                    ("Access-Control-Allow-Headers", "Accept, Content-Type, If-None-Match, If-Modified-Since"),
                    ("Access-Control-Max-Age", "86400")]
    return headers


# A browser must take every answer for what its Content-Type says (a CSV of hostile literals is not
# HTML), on the fast path too (fast.py sends this with its answers and its errors).
NOSNIFF = ("X-Content-Type-Options", "nosniff")

# What the pages need and nothing more: their own script (static/app.js, no inline script or handler),
# their own stylesheet, fetch() to this server, forms that submit here. No plugins, no <base>, and no
# framing by another site (frame-ancestors; X-Frame-Options for browsers that predate it).
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                           "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
                           "frame-ancestors 'none'")
PAGE_HEADERS = (NOSNIFF, ("Content-Security-Policy", CONTENT_SECURITY_POLICY), ("X-Frame-Options", "DENY"))


def error_body(error: HttpError) -> bytes:
    return f"{error.status} {error.title}: {error.message}\n".encode("utf-8")


# --- the application --------------------------------------------------------------------------

def create_app(config: Settings | dict | None = None) -> Flask:
    if config is None:
        settings = Settings.for_project(Project.locate())
    elif isinstance(config, dict):
        base = Settings.for_project(Project.locate(var=config.get("var")))
        settings = replace(base, **{k: (Path(v) if k in ("var", "queries") else v) for k, v in config.items()})
    else:
        settings = config

    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(PROPAGATE_EXCEPTIONS=False, MAX_CONTENT_LENGTH=None, JSON_AS_ASCII=False)
    backend = backend_for(settings)
    service = Service(settings, backend, AnswerCache(settings.cache_bytes),
                      saved_query_files.load_all(settings.queries))
    app.extensions["ckg"] = service
    app.jinja_env.globals.update(local_href=linked_data.local_href, compact=linked_data.compact)
    app.jinja_env.globals.update(term_rules=linked_data.TERM_RULES, article_file_href=linked_data.article_file_href)

    _register_errors(app, settings)
    _register_cors(app, settings)
    _register_page_headers(app)
    _register_relative_redirects(app)
    _register_routes(app, service)
    from coalition_kg.server.fast import FastPath

    app.wsgi_app = FastPath(app, service)  # /sparql and /queries/NAME in plain WSGI (see fast.py)
    return app


def _register_errors(app: Flask, settings: Settings) -> None:
    def plain(status: int, title: str, message: str, headers: dict | None = None) -> Response:
        response = Response(f"{status} {title}: {message}\n", status=status, content_type="text/plain; charset=utf-8")
        response.headers.update(headers or {})
        return response

    @app.errorhandler(HttpError)
    def _http_error(error: HttpError):
        response = Response(error_body(error), status=error.status, content_type="text/plain; charset=utf-8")
        response.headers.update(error.headers)
        return response

    @app.errorhandler(HTTPException)
    def _werkzeug_error(error: HTTPException):
        headers = {"Allow": ", ".join(error.valid_methods)} if getattr(error, "valid_methods", None) else {}
        message = error.description or error.name
        if error.code == 405:
            message = f"{request.method} is not allowed here; this server is read-only"
        return plain(error.code or 500, error.name, message, headers)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        log.exception("unexpected error on %s %s", shown(request.method), shown(request.path))
        return plain(500, "Internal Server Error", "the server failed to answer; the error is in its log")


def _register_cors(app: Flask, settings: Settings) -> None:
    @app.after_request
    def _cors(response: Response) -> Response:
        for name, value in cors_headers(settings, request.method):
            response.headers[name] = value
        return response


def _register_page_headers(app: Flask) -> None:
    @app.after_request
    def _page_headers(response: Response) -> Response:
        # On every answer Flask makes (pages, errors, static files): a policy costs nothing where it has
        # nothing to govern, and an error page or a static file is then never the one left without.
        for name, value in PAGE_HEADERS:
            response.headers[name] = value
        return response


def _register_relative_redirects(app: Flask) -> None:
    @app.before_request
    def _relative_redirect():
        """werkzeug answers a path with doubled slashes (/id//x) with a 308 to the merged path, and
        builds that Location from the Host header, which the client chose. The same redirect, with the
        path alone: it can only lead to this server, whatever Host said."""
        redirect = request.routing_exception
        if not isinstance(redirect, RequestRedirect):
            return None
        target = urlsplit(redirect.new_url)
        # One leading slash, always: "//host/…" would be a relative URL that names another host.
        location = "/" + target.path.lstrip("/") + ("?" + target.query if target.query else "")
        return Response(status=redirect.code, headers={"Location": location})


def _register_routes(app: Flask, service: Service) -> None:
    settings = service.settings

    @app.get("/health")
    def health():
        info = service.snapshot()
        body = {"status": "ok", "build_id": info.build_id, "built_at": info.built_at, "quads": info.quads,
                "triples": info.triples}
        return Response(json.dumps(body), content_type="application/json", headers={"Cache-Control": "no-store"})

    @app.route("/sparql", methods=["GET", "HEAD", "POST"])
    def sparql():
        query_request = protocol.read_query_request(request.environ, settings.max_body_bytes)
        if query_request is None:
            return _service_description_or_page()
        shape = guard.inspect(query_request.query)
        choice = choose_formats()
        fmt = require_format(choice, shape.is_graph)
        info = service.snapshot()
        job = sparql_job(info, query_request, shape, choice, settings.row_limit)
        etag = etag_for(info, "sparql", job.key(), fmt.name)
        return not_modified(info, etag) or answer_response(info, service.answer(info, job), etag, settings.row_limit)

    def _service_description_or_page():
        choice = choose_formats(offer_html=True)
        if choice.html:
            return index()
        fmt = require_format(choice, graph=True)
        info = service.snapshot()
        endpoint = request.base_url
        etag = etag_for(info, "service-description", endpoint, fmt.name)
        cached = not_modified(info, etag)
        if cached:
            return cached
        key = ("service-description", info.build_id, endpoint, fmt.name)
        body = service.cache.lookup(key)
        if body is None:
            body = ox.serialize(service_description(endpoint, info), format=fmt.rdf_format,
                                **({"prefixes": SD_PREFIXES} if fmt.rdf_name in ("TURTLE", "TRIG") else {}))
            service.cache.put(key, body, len(body))
        response = Response(body, content_type=fmt.content_type)
        response.headers.update(validators(info, etag))
        response.headers["Vary"] = "Accept"
        return response

    @app.get("/")
    def index():
        info = service.snapshot()
        etag = etag_for(info, "index", request.full_path, [q.text for q in service.saved.values()])
        cached = not_modified(info, etag)
        if cached:
            return cached
        saved = [saved_query_json(q) for q in service.saved.values()]
        html = render_template("index.html", info=info, saved=saved, timeline_query=MEETINGS_TIMELINE,
                               base=BASE, initial_query=request.args.get("query", ""),
                               initial_saved=request.args.get("saved", ""), row_limit=settings.row_limit,
                               formats=[(f.name, f.media_type) for f in (*RESULT_FORMATS, *GRAPH_FORMATS)])
        return _html(html, info, etag)

    @app.get("/queries")
    @app.get("/queries.json")
    def saved_query_list():
        info = service.snapshot()
        as_json = request.path.endswith(".json") or not choose_formats(offer_html=True).html
        etag = etag_for(info, "queries", as_json, [q.text for q in service.saved.values()])
        cached = not_modified(info, etag)
        if cached:
            return cached
        listing = [saved_query_json(q) for q in service.saved.values()]
        if as_json:
            response = Response(json.dumps({"queries": listing}, ensure_ascii=False, indent=1),
                                content_type="application/json; charset=utf-8")
            response.headers.update(validators(info, etag))
            response.headers["Vary"] = "Accept"
            return response
        return _html(render_template("queries.html", info=info, queries=listing), info, etag)

    @app.get("/queries/<name>.rq")
    def saved_query_text(name: str):
        saved = _saved(name)
        return Response(saved.text, content_type="application/sparql-query; charset=utf-8")

    @app.get("/queries/<name>")
    def saved_query_run(name: str):
        saved = _saved(name)
        values, text, substitutions = saved_query_values(saved, request.args)
        shape = guard.inspect(saved.text)
        choice = choose_formats(offer_html=True)
        info = service.snapshot()
        fmt = None if choice.html else require_format(choice, shape.is_graph)
        job = saved_job(info, text, substitutions, choice, settings.row_limit)
        etag = etag_for(info, "saved", name, job.key(), "html" if choice.html else fmt.name)
        cached = not_modified(info, etag)
        if cached:
            return cached
        answer = service.answer(info, job)
        if not choice.html:
            return answer_response(info, answer, etag, settings.row_limit)
        table = json.loads(answer.body) if answer.kind == "results" else None
        links = {f.name: saved_query_url(name, values, f.name)
                 for f in (GRAPH_FORMATS if shape.is_graph else RESULT_FORMATS)}
        html = render_template("query.html", info=info, query=saved_query_json(saved), values=values,
                               table=table, graph_text=answer.body.decode("utf-8") if table is None else None,
                               answer=answer, links=links, row_limit=settings.row_limit)
        response = _html(html, info, etag)
        response.headers["Result-Rows"] = str(answer.rows)
        response.headers["Result-Truncated"] = "true" if answer.truncated else "false"
        return response

    def _saved(name: str):
        saved = service.saved.get(name)
        if saved is None:
            known = ", ".join(service.saved) or "none"
            raise NotFound(f"no saved query named {name!r}; known: {known}")
        return saved

    @app.get("/search")
    def search_page():
        """Entities, articles and sentences by their words (server/search.py): a page, or JSON for
        `format=json` or an Accept that prefers it."""
        text = search.read_query(request.args)
        wanted = request.args.get("format")
        if wanted not in (None, "html", "json"):
            raise BadParameter(f"unknown format {wanted!r}; known: html, json")
        as_json = wanted == "json" or (wanted is None and request.accept_mimetypes.best_match(
            ["text/html", "application/json"], default="text/html") == "application/json")
        if as_json and not text.strip():
            raise BadParameter("give the words to search for in the q parameter")
        info = service.snapshot()
        etag = etag_for(info, "search", text, as_json)
        cached = not_modified(info, etag)
        if cached:
            return cached
        found = search.results(service.search_indexes.connection(info), text) if text.strip() else None
        if as_json:
            body = json.dumps({"build_id": info.build_id, **found}, ensure_ascii=False, indent=1)
            response = Response(body, content_type="application/json; charset=utf-8")
            response.headers.update(validators(info, etag))
            response.headers["Vary"] = "Accept"
            return response
        json_link = "/search?" + urlencode({"q": text, "format": "json"})
        html = render_template("search.html", info=info, q=text, found=found, json_link=json_link,
                               segments=linked_data.highlight)
        return _html(html, info, etag)

    @app.get("/id/")
    def entity_index():
        return _index("entities", linked_data.ENTITY_INDEX, linked_data.ENTITY_INDEX_GRAPH)

    @app.get("/article/")
    def article_index():
        return _index("articles", linked_data.ARTICLE_INDEX, linked_data.ARTICLE_INDEX_GRAPH)

    def _rdf_twin(info: Snapshot, choice: Choice, construct: str, key: tuple, cap: int, **substitutions):
        """A page's twin for RDF clients: the CONSTRUCT's triples in the negotiated format, with validators."""
        fmt = require_format(choice, graph=True)
        job = Job(construct, None, fmt.rdf_name, cap, substitutions=substitutions,
                  prefixes=linked_data.PREFIXES)
        etag = etag_for(info, *key, fmt.name)
        return not_modified(info, etag) or answer_response(info, service.answer(info, job), etag, cap)

    def _index(kind: str, select: str, construct: str):
        """Every entity (grouped by kind) or every article, for people; the same as RDF for programs."""
        info = service.snapshot()
        # Whole, whatever the row limit: an index is as long as the registry or the list of articles,
        # which the curation graph and the article graphs bound.
        cap = max(settings.row_limit, info.quads)
        choice = choose_formats(offer_html=True)
        if not choice.html:
            return _rdf_twin(info, choice, construct, ("index", kind), cap)
        etag = etag_for(info, "index", kind, "html")
        cached = not_modified(info, etag)
        if cached:
            return cached
        rows = service.select(info, select, row_cap=cap)
        links = {f.name: f"{request.path}?format={f.name}" for f in GRAPH_FORMATS}
        if kind == "entities":
            html = render_template("entities.html", info=info, groups=linked_data.entity_index(rows), links=links)
        else:
            html = render_template("articles.html", info=info, articles=linked_data.article_index(rows), links=links)
        return _html(html, info, etag)

    @app.get("/id/<path:rest>")
    def entity(rest: str):
        return _resource("id/" + rest)

    @app.get("/article/<path:rest>")
    def article(rest: str):
        return _resource("article/" + rest)

    @app.get("/graph/<path:rest>")
    def named_graph(rest: str):
        iri = linked_data.resource_iri("graph/" + rest)
        info = service.snapshot()
        if iri not in info.graphs:
            return _resource("graph/" + rest)  # a curated statement (graph/curation/factN) and the like
        return _graph(info, iri)

    @app.get("/ontology")
    @app.get("/ontology/<path:version>")
    def ontology(version: str | None = None):
        # The ontology IRI, its version IRI and every term's hash IRI all land here.
        info = service.snapshot()
        if version is not None:
            _known_version(info, linked_data.resource_iri("ontology/" + version))
        choice = choose_formats(offer_html=True)
        if not choice.html:
            # The vocabulary is served whole, whatever the row limit: it is as big as the schema, no more.
            iri = GRAPH_NAMESPACE + "ontology"
            return _graph(info, iri, row_cap=max(settings.row_limit, info.graphs.get(iri, 0)))
        etag = etag_for(info, "ontology", "html")
        cached = not_modified(info, etag)
        if cached:
            return cached
        iri = ONTOLOGY.rstrip("#")
        head = statements.build(iri, service.select(info, linked_data.internal_query("resource-facts"), resource=ox.NamedNode(iri)), [], [])
        terms = linked_data.ontology_terms(service.select(info, linked_data.ONTOLOGY_TERMS, row_cap=100_000))
        links = {f.name: f"/ontology?format={f.name}" for f in GRAPH_FORMATS}
        return _html(render_template("ontology.html", info=info, page=head, terms=terms, links=links), info, etag)

    def _known_version(info: Snapshot, iri: str) -> None:
        versions = [row["version"]["value"] for row in service.select(info, linked_data.ONTOLOGY_VERSIONS)]
        if iri not in versions:
            raise NotFound(f"the ontology has no version <{shown(iri)}>; it has: {', '.join(versions) or 'none'}")

    def _graph(info: Snapshot, iri: str, row_cap: int | None = None):
        """A named graph: its triples for RDF clients (up to the row cap), a summary page for people."""
        node = ox.NamedNode(iri)
        choice = choose_formats(offer_html=True)
        if not choice.html:
            return _rdf_twin(info, choice, linked_data.GRAPH_CONTENTS, ("graph", iri), row_cap or settings.row_limit,
                             graph=node)
        etag = etag_for(info, "graph", iri, "html")
        cached = not_modified(info, etag)
        if cached:
            return cached
        page = linked_data.graph_page(iri, info.graphs[iri], service.select(info, linked_data.GRAPH_PREVIEW, graph=node))
        links = {f.name: f"{request.path}?format={f.name}" for f in GRAPH_FORMATS}
        return _html(render_template("graph.html", info=info, page=page, links=links, row_limit=settings.row_limit),
                     info, etag)

    def _resource(path: str):
        iri = linked_data.resource_iri(path)
        choice = choose_formats(offer_html=True)
        info = service.snapshot()
        node = ox.NamedNode(iri)
        if not choice.html:
            fmt = require_format(choice, graph=True)
            job = Job(linked_data.DESCRIPTION, None, fmt.rdf_name, settings.row_limit,
                      substitutions={"resource": node}, prefixes=linked_data.PREFIXES)
            etag = etag_for(info, "resource", iri, fmt.name)
            cached = not_modified(info, etag)
            if cached:
                return cached
            answer = service.answer(info, job)
            if answer.rows == 0:
                raise NotFound(f"the graph says nothing about <{iri}>")
            return answer_response(info, answer, etag, settings.row_limit)
        etag = etag_for(info, "resource", iri, "html")
        cached = not_modified(info, etag)
        if cached:
            return cached
        # Whole, whatever the row limit: what a page shows of one resource is bounded by the graph.
        cap = max(settings.row_limit, info.quads)

        def rows(name: str) -> list[dict]:
            return service.select(info, linked_data.internal_query(name), row_cap=cap, resource=node)

        page = statements.build(iri, rows("resource-facts"), rows("resource-statements"), rows("resource-events"))
        page.sentences = linked_data.mention_sentences(rows("resource-mentions"))
        if page.text is not None:
            page.article_text = linked_data.article_text(page.text, rows("article-text"))
        if not page.found:
            nearest = []
            if path.startswith("id/"):
                groups = linked_data.entity_index(service.select(info, linked_data.ENTITY_INDEX, row_cap=cap))
                nearest = linked_data.nearest_entities(path[3:], groups)
            guess = path.rsplit("/", 1)[-1].replace("-", " ")
            html = render_template("not_found.html", info=info, iri=iri, nearest=nearest,
                                   search_link="/search?" + urlencode({"q": guess}) if guess else None)
            return Response(html, status=404, content_type="text/html; charset=utf-8")
        links = {f.name: f"{request.path}?format={f.name}" for f in GRAPH_FORMATS}
        return _html(render_template("resource.html", info=info, page=page, links=links), info, etag)

    def _html(html: str, info: Snapshot, etag: str) -> Response:
        response = Response(html, content_type="text/html; charset=utf-8")
        response.headers.update(validators(info, etag))
        response.headers["Vary"] = "Accept"
        return response


def saved_query_json(saved) -> dict:
    return {
        "name": saved.name,
        "title": saved.title,
        "description": saved.description,
        "params": [{"name": p.name, "kind": p.kind, "description": p.description, "default": p.default}
                   for p in saved.params],
        "sparql": saved.text,
        "url": f"/queries/{saved.name}",
    }


def saved_query_url(name: str, values: dict, format_name: str) -> str:
    return f"/queries/{name}?" + urlencode({**values, "format": format_name})


# The query page's timeline of meetings: every dated meeting, whatever its kind, with its city.
MEETINGS_TIMELINE = """PREFIX ckg: <https://w3id.org/coalition-kg/ontology#>
PREFIX schema: <http://schema.org/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?meeting (SAMPLE(?en) AS ?label) (SAMPLE(?ar) AS ?label_ar) (MIN(?from) AS ?start) (MAX(?to) AS ?end)
       (SAMPLE(?city) AS ?place) WHERE {
  ?meeting a ckg:Meeting ; schema:startDate ?from .
  OPTIONAL { ?meeting schema:endDate ?to }
  OPTIONAL { ?meeting rdfs:label ?en FILTER(langMatches(lang(?en), "en")) }
  OPTIONAL { ?meeting rdfs:label ?ar FILTER(langMatches(lang(?ar), "ar")) }
  OPTIONAL { ?meeting schema:location/rdfs:label ?city FILTER(langMatches(lang(?city), "en")) }
} GROUP BY ?meeting ORDER BY ?start"""
