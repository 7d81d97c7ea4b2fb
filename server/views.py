"""What each route answers: plain functions from a request to a Reply, over the query service.

A view reads its request (a werkzeug Request on the WSGI environ), asks the query service for the
build it reads and the answers it needs, and says what to reply; how a reply goes over HTTP (formats,
validators, the headers every answer carries, errors as statuses) is http.py's, and which view answers
which URL is router.py's. Every page has its machine-readable twin in the same view.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlencode

import pyoxigraph as ox

from coalition_kg.namespaces import GRAPH as GRAPH_NAMESPACE, ONTOLOGY, SERVICE_PREFIXES
from . import formats, guard, http, linked_data, protocol, search, statements
from .backend import Job, Snapshot
from .errors import BadParameter, NotFound, shown
from .formats import GRAPH_FORMATS, RESULT_FORMATS
from .http import Reply
from .query_service import QueryService, saved_query_values
from .service_description import service_description


@dataclass(frozen=True)
class Site:
    """What every view may use: the query service and the page templates."""

    service: QueryService
    render: Callable[..., str]  # render(template name, **context) -> HTML

    @property
    def settings(self):
        return self.service.settings


def _format_parameter(request) -> str | None:
    # The URL is decoded only when it may hold `format` (decoding is a good part of a small query's cost).
    return request.args.get("format") if b"format" in request.query_string else None


def _choice(request, offer_html: bool = False) -> http.Choice:
    return http.choose_formats(_format_parameter(request), request.headers.get("Accept"), offer_html)


def _links(path: str) -> dict[str, str]:
    """The page's twins, one per RDF format."""
    return {f.name: f"{path}?format={f.name}" for f in GRAPH_FORMATS}


# --- the SPARQL protocol ----------------------------------------------------------------------

def sparql(site: Site, request) -> Reply:
    """A query by the SPARQL 1.1 Protocol; without one, the service description (or the query page)."""
    settings = site.settings
    query_request = protocol.read_query_request(request.environ, settings.max_body_bytes)
    if query_request is None:
        return _service_description_or_page(site, request)
    shape = guard.inspect(query_request.query)
    choice = _choice(request)
    fmt = http.require_format(choice, shape.is_graph)
    info = site.service.snapshot()
    dataset = query_request.has_dataset
    job = Job(query_request.query, choice.results.name if choice.results else None,
              choice.graph.rdf_name if choice.graph else None, settings.row_limit,
              default_graphs=query_request.default_graphs if dataset else None,
              named_graphs=query_request.named_graphs if dataset else None, bounded=shape.lookup)
    etag = http.etag_for(info, "sparql", job.key, fmt.name)
    return (http.not_modified(request.environ, info, etag)
            or http.answer_reply(info, site.service.answer(info, job), etag, settings.row_limit))


def _service_description_or_page(site: Site, request) -> Reply:
    choice = _choice(request, offer_html=True)
    if choice.html:
        return index(site, request)
    fmt = http.require_format(choice, graph=True)
    info = site.service.snapshot()
    endpoint = request.base_url
    etag = http.etag_for(info, "service-description", endpoint, fmt.name)
    cached = http.not_modified(request.environ, info, etag)
    if cached:
        return cached
    key = ("service-description", info.key, endpoint, fmt.name)
    body = site.service.cache.lookup(key)
    if body is None:
        body = ox.serialize(service_description(endpoint, info), format=fmt.rdf_format, prefixes=SERVICE_PREFIXES)
        site.service.cache.put(key, body, len(body))
    return http.document(body, fmt.content_type, info, etag)


# --- the query page and the saved queries -----------------------------------------------------

def index(site: Site, request) -> Reply:
    service = site.service
    info = service.snapshot()
    etag = http.etag_for(info, "index", request.full_path, [q.text for q in service.saved.values()])
    cached = http.not_modified(request.environ, info, etag)
    if cached:
        return cached
    saved = [saved_query_json(q) for q in service.saved.values()]
    html = site.render("index.html", info=info, saved=saved, timeline_query=linked_data.MEETINGS_TIMELINE,
                       initial_query=request.args.get("query", ""),
                       initial_saved=request.args.get("saved", ""), row_limit=site.settings.row_limit)
    return http.page(html, info, etag)


def health(site: Site, request) -> Reply:
    info = site.service.snapshot()
    body = {"status": "ok", "build_id": info.build_id, "built_at": info.built_at, "quads": info.quads,
            "triples": info.triples}
    return Reply.text(json.dumps(body), "application/json", headers=[("Cache-Control", "no-store")])


def saved_query_list(site: Site, request) -> Reply:
    service = site.service
    info = service.snapshot()
    as_json = request.path.endswith(".json") or not _choice(request, offer_html=True).html
    etag = http.etag_for(info, "queries", as_json, [q.text for q in service.saved.values()])
    cached = http.not_modified(request.environ, info, etag)
    if cached:
        return cached
    listing = [saved_query_json(q) for q in service.saved.values()]
    if as_json:
        return http.document(json.dumps({"queries": listing}, ensure_ascii=False, indent=1), http.JSON_TYPE,
                             info, etag)
    return http.page(site.render("queries.html", info=info, queries=listing), info, etag)


def saved_query_text(site: Site, request, name: str) -> Reply:
    return Reply.text(site.service.saved_query(name).text, "application/sparql-query; charset=utf-8")


def saved_query_run(site: Site, request, name: str) -> Reply:
    service, settings = site.service, site.settings
    saved = service.saved_query(name)
    values, text, substitutions = saved_query_values(saved, request.args)
    shape = guard.inspect(saved.text)
    choice = _choice(request, offer_html=True)
    info = service.snapshot()
    if choice.html:  # the page is made from the JSON (or Turtle) answer
        fmt, job = None, Job(text, "json", "TURTLE", settings.row_limit, substitutions=substitutions)
    else:
        fmt = http.require_format(choice, shape.is_graph)
        job = Job(text, choice.results.name if choice.results else None,
                  choice.graph.rdf_name if choice.graph else None, settings.row_limit, substitutions=substitutions)
    etag = http.etag_for(info, "saved", name, job.key, "html" if choice.html else fmt.name)
    cached = http.not_modified(request.environ, info, etag)
    if cached:
        return cached
    answer = service.answer(info, job)
    if not choice.html:
        return http.answer_reply(info, answer, etag, settings.row_limit)
    table = json.loads(answer.body) if answer.kind == "results" else None
    links = {f.name: saved_query_url(name, values, f.name)
             for f in (GRAPH_FORMATS if shape.is_graph else RESULT_FORMATS)}
    html = site.render("query.html", info=info, query=saved_query_json(saved), values=values, table=table,
                       graph_text=answer.body.decode("utf-8") if table is None else None, answer=answer,
                       links=links, row_limit=settings.row_limit)
    reply = http.page(html, info, etag)
    reply.headers += http.result_headers(answer, settings.row_limit)
    return reply


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


# --- search -----------------------------------------------------------------------------------

def search_page(site: Site, request) -> Reply:
    """Entities, articles and sentences by their words (search.py): a page, or JSON for `format=json` or
    an Accept that prefers it."""
    text = search.read_query(request.args)
    wanted = request.args.get("format")
    if wanted not in (None, "html", "json"):
        raise BadParameter(f"unknown format {wanted!r}; known: html, json")
    as_json = wanted == "json" or (wanted is None and request.accept_mimetypes.best_match(
        ["text/html", "application/json"], default="text/html") == "application/json")
    if as_json and not text.strip():
        raise BadParameter("give the words to search for in the q parameter")
    service = site.service
    info = service.snapshot()
    etag = http.etag_for(info, "search", text, as_json)
    cached = http.not_modified(request.environ, info, etag)
    if cached:
        return cached
    found = service.search(info, text) if text.strip() else None
    if as_json:
        body = json.dumps({"build_id": info.build_id, **found}, ensure_ascii=False, indent=1)
        return http.document(body, http.JSON_TYPE, info, etag)
    json_link = "/search?" + urlencode({"q": text, "format": "json"})
    html = site.render("search.html", info=info, q=text, found=found, json_link=json_link,
                       segments=linked_data.highlight)
    return http.page(html, info, etag)


# --- linked data: indexes, resources, graphs, the ontology ------------------------------------

def entity_index(site: Site, request) -> Reply:
    return _index(site, request, "entities", linked_data.ENTITY_INDEX, linked_data.ENTITY_INDEX_GRAPH)


def article_index(site: Site, request) -> Reply:
    return _index(site, request, "articles", linked_data.ARTICLE_INDEX, linked_data.ARTICLE_INDEX_GRAPH)


def _index(site: Site, request, kind: str, select: str, construct: str) -> Reply:
    """Every entity (grouped by kind) or every article, for people; the same as RDF for programs."""
    service = site.service
    info = service.snapshot()
    # Whole, whatever the row limit: an index is as long as the registry or the list of articles.
    cap = service.whole_cap(info)
    choice = _choice(request, offer_html=True)
    if not choice.html:
        return _rdf_twin(site, request, info, choice, construct, ("index", kind), cap)
    etag = http.etag_for(info, "index", kind, "html")
    cached = http.not_modified(request.environ, info, etag)
    if cached:
        return cached
    rows = service.select(info, select, row_cap=cap)
    links = _links(request.path)
    if kind == "entities":
        html = site.render("entities.html", info=info, groups=linked_data.entity_index(rows), links=links)
    else:
        html = site.render("articles.html", info=info, articles=linked_data.article_index(rows), links=links)
    return http.page(html, info, etag)


def _rdf_twin(site: Site, request, info: Snapshot, choice: http.Choice, construct: str, key: tuple, cap: int,
              **substitutions) -> Reply:
    """A page's twin for RDF clients: the CONSTRUCT's triples in the negotiated format, with validators."""
    fmt = http.require_format(choice, graph=True)
    job = Job(construct, None, fmt.rdf_name, cap, substitutions=substitutions, prefixes=linked_data.PREFIXES)
    etag = http.etag_for(info, *key, fmt.name)
    return (http.not_modified(request.environ, info, etag)
            or http.answer_reply(info, site.service.answer(info, job), etag, cap))


def entity(site: Site, request, rest: str) -> Reply:
    return _resource(site, request, "id/" + rest)


def article(site: Site, request, rest: str) -> Reply:
    return _resource(site, request, "article/" + rest)


def named_graph(site: Site, request, rest: str) -> Reply:
    iri = linked_data.resource_iri("graph/" + rest)
    info = site.service.snapshot()
    if iri not in info.graphs:
        return _resource(site, request, "graph/" + rest)  # a curated statement (graph/curation/factN) and the like
    return _graph(site, request, info, iri)


def dump(site: Site, request) -> Reply:
    """The whole build for linked-data consumers: every named graph, in N-Quads, as `ckg dump --format
    nquads` writes it (the same bytes), whatever the backend."""
    service = site.service
    info = service.snapshot()
    etag = http.etag_for(info, "dump", "nquads")
    cached = http.not_modified(request.environ, info, etag)
    if cached:
        return cached
    return http.file_reply(service.dump_file(info), formats.BY_NAME["nquads"].content_type, info, etag)


def ontology(site: Site, request, version: str | None = None) -> Reply:
    # The ontology IRI, its version IRI and every term's hash IRI all land here.
    service = site.service
    info = service.snapshot()
    if version is not None:
        _known_version(site, info, linked_data.resource_iri("ontology/" + version))
    choice = _choice(request, offer_html=True)
    if not choice.html:
        # The vocabulary is served whole, whatever the row limit: it is as big as the schema, no more.
        iri = GRAPH_NAMESPACE + "ontology"
        return _graph(site, request, info, iri, row_cap=max(site.settings.row_limit, info.graphs.get(iri, 0)))
    etag = http.etag_for(info, "ontology", "html")
    cached = http.not_modified(request.environ, info, etag)
    if cached:
        return cached
    iri = ONTOLOGY.rstrip("#")
    head = statements.build(iri, service.select(info, linked_data.internal_query("resource-facts"),
                                                resource=ox.NamedNode(iri)), [], [])
    terms = linked_data.ontology_terms(service.select(info, linked_data.ONTOLOGY_TERMS, row_cap=100_000))
    return http.page(site.render("ontology.html", info=info, page=head, terms=terms, links=_links("/ontology")), info, etag)


def _known_version(site: Site, info: Snapshot, iri: str) -> None:
    versions = [row["version"]["value"] for row in site.service.select(info, linked_data.ONTOLOGY_VERSIONS)]
    if iri not in versions:
        raise NotFound(f"the ontology has no version <{shown(iri)}>; it has: {', '.join(versions) or 'none'}")


def _graph(site: Site, request, info: Snapshot, iri: str, row_cap: int | None = None) -> Reply:
    """A named graph: its triples for RDF clients (up to the row cap), a summary page for people."""
    service, settings = site.service, site.settings
    choice = _choice(request, offer_html=True)
    if not choice.html:
        fmt = http.require_format(choice, graph=True)
        cap = row_cap or settings.row_limit
        etag = http.etag_for(info, "graph", iri, fmt.name)
        cached = http.not_modified(request.environ, info, etag)
        if cached:
            return cached
        answer = service.graph(info, iri, fmt.rdf_name, cap, linked_data.PREFIXES)
        return http.answer_reply(info, answer, etag, cap)
    etag = http.etag_for(info, "graph", iri, "html")
    cached = http.not_modified(request.environ, info, etag)
    if cached:
        return cached
    page = linked_data.graph_page(iri, info.graphs[iri],
                                  service.select(info, linked_data.GRAPH_PREVIEW, graph=ox.NamedNode(iri)))
    html = site.render("graph.html", info=info, page=page, links=_links(request.path), row_limit=settings.row_limit)
    return http.page(html, info, etag)


def _resource(site: Site, request, path: str) -> Reply:
    service, settings = site.service, site.settings
    iri = linked_data.resource_iri(path)
    choice = _choice(request, offer_html=True)
    info = service.snapshot()
    node = ox.NamedNode(iri)
    if not choice.html:
        fmt = http.require_format(choice, graph=True)
        job = Job(linked_data.DESCRIPTION, None, fmt.rdf_name, settings.row_limit, substitutions={"resource": node},
                  prefixes=linked_data.PREFIXES)
        etag = http.etag_for(info, "resource", iri, fmt.name)
        cached = http.not_modified(request.environ, info, etag)
        if cached:
            return cached
        answer = service.answer(info, job)
        if answer.rows == 0:
            raise NotFound(f"the graph says nothing about <{iri}>")
        return http.answer_reply(info, answer, etag, settings.row_limit)
    etag = http.etag_for(info, "resource", iri, "html")
    cached = http.not_modified(request.environ, info, etag)
    if cached:
        return cached
    # Whole, whatever the row limit: what a page shows of one resource is bounded by the graph.
    cap = service.whole_cap(info)

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
        html = site.render("not_found.html", info=info, iri=iri, nearest=nearest,
                           search_link="/search?" + urlencode({"q": guess}) if guess else None)
        return Reply.text(html, http.HTML_TYPE, 404)
    html = site.render("resource.html", info=info, page=page, links=_links(request.path))
    return http.page(html, info, etag)
