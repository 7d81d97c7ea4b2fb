"""The one router: which view answers which URL, and the WSGI application that runs them.

Every request goes the same way: the fast lane (a whole answer kept from an identical request on the
same build), else the routing table, the view (views.py), and the HTTP policy (http.py) for errors and
the headers every answer carries. Static files are werkzeug's send_from_directory.

The fast lane. A finished 200 answer is kept whole, keyed by the request as it came in: the current
build's key, method, host, scheme, path, query string, Content-Type, Accept and body. Views read nothing
else of a request (conditional requests, which read their validators, never take the lane), so the same
bytes on the same build always get the same answer, and a repeated request is then one readlink and one
dictionary look-up. An answer is kept only if it was made from the build its key names (a rebuild
between the key and the answer leaves it out), and every key holds the build, so a rebuild makes every
older entry unreachable. A POST whose body's length is not declared is answered but never kept. granian's front (front.py) asks the lane before a request takes a thread.

Why the views are not Flask views: Flask's request context, hooks and response objects cost about a
hundred microseconds a request, more than evaluating a small query; a view here is a plain function
of a werkzeug Request (the same object Flask wraps), so one dispatcher serves every route at the speed
the protocol's hot path needs, with no second router beside it. Flask remains the application object
(its test client, its Jinja environment for the pages, gunicorn's entry point).
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from urllib.parse import urlsplit

from werkzeug.exceptions import HTTPException, MethodNotAllowed as WerkzeugMethodNotAllowed, NotFound as WerkzeugNotFound
from werkzeug.routing import Map, RequestRedirect, Rule
from werkzeug.utils import send_from_directory
from werkzeug.wrappers import Request

from . import http, views
from .errors import MethodNotAllowed, NotFound, ServiceError, shown
from .http import Reply

log = logging.getLogger("coalition_kg.server")

STATIC = Path(__file__).parent / "static"
_ASKED = "ckg.lane_key"  # the environ's note of a lane look-up that missed (Router.cached), with its key
READ = ("GET",)  # werkzeug adds HEAD to a rule that has GET

ROUTES = Map([
    Rule("/", endpoint=views.index, methods=READ),
    Rule("/health", endpoint=views.health, methods=READ),
    Rule("/sparql", endpoint=views.sparql, methods=("GET", "POST")),
    Rule("/queries", endpoint=views.saved_query_list, methods=READ),
    Rule("/queries.json", endpoint=views.saved_query_list, methods=READ),
    Rule("/queries/<name>.rq", endpoint=views.saved_query_text, methods=READ),
    Rule("/queries/<name>", endpoint=views.saved_query_run, methods=READ),
    Rule("/search", endpoint=views.search_page, methods=READ),
    Rule("/id/", endpoint=views.entity_index, methods=READ),
    Rule("/id/<path:rest>", endpoint=views.entity, methods=READ),
    Rule("/article/", endpoint=views.article_index, methods=READ),
    Rule("/article/<path:rest>", endpoint=views.article, methods=READ),
    Rule("/graph/<path:rest>", endpoint=views.named_graph, methods=READ),
    Rule("/dump.nq", endpoint=views.dump, methods=READ),
    Rule("/ontology", endpoint=views.ontology, methods=READ),
    Rule("/ontology/<path:version>", endpoint=views.ontology, methods=READ),
    Rule("/static/<path:filename>", endpoint="static", methods=READ),
])


class Router:
    """The WSGI application: the fast lane, then the routing table and the views."""

    def __init__(self, site: views.Site):
        self.site = site
        self.cache = site.service.cache
        self.backend = site.service.backend
        self.max_body = site.settings.max_body_bytes
        self.cors = site.settings.cors
        self._common = {method: http.common_headers(self.cors, method) for method in ("GET", "OPTIONS")}
        # Bound once: a binding per request (bind_to_environ) cost about 30 µs, as much as the rest of the
        # router; each match is given the request's own path, method and query string. The host it is
        # bound to appears only in a redirect's URL, whose path alone is sent (_redirect).
        self._routes = ROUTES.bind("localhost")
        # The table's rules without variable parts, by path (the same rules, read straight: werkzeug's
        # matcher costs about 10 µs a request, a third of what the router and the view cost /sparql).
        self._exact = {rule.rule: (rule.endpoint, rule.methods) for rule in ROUTES.iter_rules() if not rule.arguments}

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD", "")
        if _ASKED in environ:  # front.py read the whole body and asked the lane already, and missed
            key, hit = environ[_ASKED], None
            body = b"" if key is None else key[-1]
        else:
            body = b""
            if method == "POST":  # read once, within the limit, so that the body can be part of the key
                length = environ.get("CONTENT_LENGTH")
                if not (length and length.isdigit() and int(length) <= self.max_body):
                    # A body of undeclared length (chunked) or over the limit: the protocol reader reads or
                    # refuses it, and the answer is not kept, since the key could not hold the body.
                    return self._send(self.reply(environ), method, start_response)
                body = environ["wsgi.input"].read(int(length)) if length != "0" else b""
                environ["wsgi.input"] = io.BytesIO(body)
            key = self._key(environ, body)
            hit = None if key is None else self.cache.lookup(key)
        if hit is None:
            reply = self.reply(environ)
            if key is not None and reply.status == 200 and reply.build_key == key[1] and reply.file is None:
                self.cache.put(key, reply, len(reply.body) + len(body) + len(key[8]) + len(key[9]) + 400)
        else:
            reply = hit
        return self._send(reply, method, start_response)

    def cached(self, environ, body: bytes) -> Reply | None:
        """The kept answer to this very request with this complete body (its length declared, as front.py
        makes it), or None; then the key is left in the environ, so that the thread that answers it does
        not work it out and look it up a second time."""
        key = self._key(environ, body)
        hit = None if key is None else self.cache.lookup(key)
        if hit is None:
            environ[_ASKED] = key
        return hit

    def _key(self, environ, body: bytes) -> tuple | None:
        """The fast lane's key of the request, or None when it may not take the lane: everything of the
        request a view reads (the host, script name and port make the service description's address)."""
        method = environ.get("REQUEST_METHOD")
        if ((method != "GET" and method != "POST" and method != "HEAD")
                or "HTTP_IF_NONE_MATCH" in environ or "HTTP_IF_MODIFIED_SINCE" in environ):
            return None
        build = self.backend.current_key()
        if build is None:
            return None
        return ("http", build, method, environ.get("HTTP_HOST"), environ.get("wsgi.url_scheme"),
                environ.get("SCRIPT_NAME", ""), environ.get("SERVER_NAME"), environ.get("SERVER_PORT"),
                environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""), environ.get("CONTENT_TYPE", ""),
                environ.get("HTTP_ACCEPT"), body)

    def reply(self, environ) -> Reply:
        """What the routing table and the view say, with every error turned into its answer."""
        method = environ.get("REQUEST_METHOD", "")
        path = _decoded(environ.get("PATH_INFO", "")) or "/"
        try:
            try:
                exact = self._exact.get(path)
                if exact is not None and method in exact[1]:
                    return exact[0](self.site, Request(environ))
                if method == "OPTIONS":
                    allowed = self._allowed(path)
                    return Reply(200, [("Allow", allowed)]) if allowed else self._not_found(environ)
                view, arguments = self._routes.match(path, method, query_args=_decoded(environ.get("QUERY_STRING", "")))
            except RequestRedirect as redirect:
                return self._redirect(redirect)
            except WerkzeugNotFound:
                return self._not_found(environ)
            except WerkzeugMethodNotAllowed as error:
                raise MethodNotAllowed(f"{shown(method)} is not allowed here; this server is read-only",
                                       (*(error.valid_methods or ()), "OPTIONS")) from None
            if view == "static":
                return self._static(environ, arguments["filename"])
            return view(self.site, Request(environ), **arguments)
        except ServiceError as error:
            return http.error_reply(error)
        except HTTPException as error:  # from werkzeug's own parsing (a malformed request line, say)
            headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
            return Reply.text(f"{error.code} {error.name}: {error.description or error.name}\n", http.TEXT_PLAIN,
                              error.code or 500, headers)
        except Exception:
            log.exception("unexpected error on %s %s", shown(method), shown(environ.get("PATH_INFO", "")))
            return http.unexpected_reply()

    def _allowed(self, path: str) -> str:
        """The methods a path takes, as an Allow header says them ("" for no route, and for a path that
        redirects: werkzeug's allowed_methods finds none there)."""
        methods = self._routes.allowed_methods(path)
        return ", ".join((*methods, "OPTIONS")) if methods else ""

    @staticmethod
    def _not_found(environ) -> Reply:
        return http.error_reply(NotFound(f"there is nothing at {shown(_decoded(environ.get('PATH_INFO', '')))}"))

    @staticmethod
    def _redirect(redirect: RequestRedirect) -> Reply:
        """werkzeug answers a path with doubled slashes (/id//x) or without its final slash (/id) with a
        308 to the right path, built from the Host header, which the client chose. The same redirect, with
        the path alone: it can only lead to this server, whatever Host said."""
        target = urlsplit(redirect.new_url)
        # One leading slash, always: "//host/…" would be a relative URL that names another host.
        location = "/" + target.path.lstrip("/") + ("?" + target.query if target.query else "")
        return Reply(redirect.code, [("Location", location)])

    def _static(self, environ, filename: str) -> Reply:
        try:
            response = send_from_directory(STATIC, filename, environ)
        except WerkzeugNotFound:
            return self._not_found(environ)
        try:
            response.direct_passthrough = False
            return Reply(response.status_code, [(k, v) for k, v in response.headers.items() if k != "Content-Length"],
                         response.get_data())
        finally:
            response.close()

    def finished(self, reply: Reply, method: str) -> tuple[list[tuple[str, str]], bytes | FileBody]:
        """The reply's headers with those every answer carries, and the body to send: bytes, or a file."""
        headers = [*reply.headers, *self._common["OPTIONS" if method == "OPTIONS" else "GET"]]
        if reply.file is not None:
            # Declared, so that a transfer cut short is seen as one by the client
            headers.append(("Content-Length", str(reply.file.stat().st_size)))
            return headers, b"" if method == "HEAD" else FileBody(reply.file)
        if reply.status != 304:
            headers.append(("Content-Length", str(len(reply.body))))
        return headers, b"" if method == "HEAD" else reply.body

    def _send(self, reply: Reply, method: str, start_response):
        headers, body = self.finished(reply, method)
        start_response(reply.status_line(), headers)
        return [body] if isinstance(body, bytes) else body


class FileBody:
    """A reply's file as the body of a WSGI answer, read in blocks; granian's front sends the file itself
    (front.py: proto.response_file)."""

    def __init__(self, path: Path):
        self.path = path

    def __iter__(self):
        with open(self.path, "rb") as file:
            while block := file.read(1 << 16):
                yield block


def _decoded(text: str) -> str:
    """A WSGI string (the bytes as latin-1 characters, PEP 3333) as the UTF-8 it holds, as werkzeug decodes
    paths for routing: what is not UTF-8 becomes U+FFFD (linked_data.resource_iri refuses it)."""
    return text if text.isascii() else text.encode("latin-1", "replace").decode("utf-8", "replace")
