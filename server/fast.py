"""The hot path: SPARQL protocol queries and saved queries over HTTP, answered in plain WSGI.

Flask costs about a hundred microseconds a request (request and response objects, routing, hooks),
which is more than evaluating a small query. The two routes programs hammer, `/sparql` (GET with a
query, POST) and `/queries/NAME` (GET, any non-HTML format), are answered here instead, by the very
same functions the Flask views use: protocol.read_query_request (every 4xx rule and the body limit),
guard.inspect (SERVICE and updates refused before evaluation), the formats, the evaluator pool (the
time limit) and the answer cache. Everything else goes to Flask untouched: other routes, HEAD and
OPTIONS, HTML, conditional requests (If-None-Match, If-Modified-Since), a GET of /sparql without a
query, a body whose length is not declared or is over the limit (Flask gives the 400 or 413).

Finished answers are also kept whole, keyed by the request as it came in (the current store's name,
method, path, query string, Content-Type, Accept and body): the same bytes on the same build always
get the same answer, since every decision above (the checks included) depends on nothing else. A
repeated request is then one readlink and one dictionary look-up. Only 200 answers are kept, and the
key starts with the store's name, so a rebuild makes every older entry unreachable.
"""

from __future__ import annotations

import io
import re
from urllib.parse import parse_qsl

from werkzeug.datastructures import MultiDict
from werkzeug.http import HTTP_STATUS_CODES
import werkzeug.urls  # noqa: F401  (registers the "werkzeug.url_quote" codec error handler Flask's args use)

from coalition_kg.server import guard, protocol
from coalition_kg.server.errors import HttpError, NotFound

_SAVED_NAME = re.compile(r"[A-Za-z0-9_-]+")
_TEXT_PLAIN = "text/plain; charset=utf-8"


def _url_args(query_string: str) -> MultiDict:
    """The URL's parameters as Flask would read them (request.args), for the same answers."""
    return MultiDict(parse_qsl(query_string.encode("latin-1").decode(), keep_blank_values=True,
                               errors="werkzeug.url_quote"))


def _status(code: int) -> str:
    return f"{code} {HTTP_STATUS_CODES.get(code, 'UNKNOWN').upper()}"


class FastPath:
    """WSGI middleware in front of the Flask app (see the module's docstring)."""

    def __init__(self, flask_app, service):
        from coalition_kg.server import app as app_module  # the shared helpers; imported late (cycle)

        self.flask = flask_app.wsgi_app
        self.service = service
        self.settings = service.settings
        self.m = app_module
        self.cors = app_module.cors_headers(service.settings, "GET")
        self.max_body = service.settings.max_body_bytes
        self._saved_shapes: dict = {}  # the guard's verdict on each saved query's fixed text

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        path = environ.get("PATH_INFO", "")
        if self._ours(method, path, environ):
            name = None if path == "/sparql" else path[9:]
            body = b""
            if method == "POST":
                length = environ.get("CONTENT_LENGTH")
                if not length or not length.isdigit() or int(length) > self.max_body:
                    return self.flask(environ, start_response)
                size = int(length)
                body = environ["wsgi.input"].read(size) if size else b""
                environ["wsgi.input"] = io.BytesIO(body)  # whoever reads next reads it all again
                environ["CONTENT_LENGTH"] = str(len(body))
            key = self._key(method, path, environ, body)
            if key is None:
                return self.flask(environ, start_response)
            store_name = key[1]
            hit = self.service.cache.lookup(key)
            if hit is not None:
                start_response(hit[0], hit[1])
                return [hit[2]]
            try:
                answer = self._answer(environ, store_name, name)
            except HttpError as error:
                payload = self.m.error_body(error)
                headers = [("Content-Type", _TEXT_PLAIN), self.m.NOSNIFF, ("Content-Length", str(len(payload))),
                           *error.headers.items(), *self.cors]
                start_response(_status(error.status), headers)
                return [payload]
            if answer is None:  # not ours after all (HTML, a GET without a query …): Flask answers
                environ["wsgi.input"] = io.BytesIO(body)
                return self.flask(environ, start_response)
            status, headers, payload = answer
            self.service.cache.put(key, answer, len(payload) + len(body) + len(path) + 400)
            start_response(status, headers)
            return [payload]
        return self.flask(environ, start_response)

    @staticmethod
    def _ours(method: str, path: str, environ) -> bool:
        """Whether this path may answer the request (before its body is looked at)."""
        if ((method != "POST" and method != "GET")
                or "HTTP_IF_NONE_MATCH" in environ or "HTTP_IF_MODIFIED_SINCE" in environ):
            return False
        if path == "/sparql":
            return True
        return path.startswith("/queries/") and method == "GET" and _SAVED_NAME.fullmatch(path, 9) is not None

    def _key(self, method: str, path: str, environ, body: bytes) -> tuple | None:
        """The key of the whole answer (see the module's docstring); None when no graph is built."""
        store_name = self.service.backend.current_key()
        if store_name is None:
            return None
        return ("http", store_name, method, path, environ.get("QUERY_STRING", ""),
                environ.get("CONTENT_TYPE", ""), environ.get("HTTP_ACCEPT"), body)

    def cached(self, environ, body: bytes):
        """The kept answer (status, headers, body) to this very request with this complete body, or None;
        cheap enough to ask before the request takes a thread (front.py)."""
        method, path = environ.get("REQUEST_METHOD"), environ.get("PATH_INFO", "")
        key = self._key(method, path, environ, body) if self._ours(method, path, environ) else None
        return None if key is None else self.service.cache.lookup(key)

    # --- the two routes, as app.py's views answer them ---------------------------------------

    def _answer(self, environ, store_name: str, saved_name: str | None):
        m, settings = self.m, self.settings
        query_string = environ.get("QUERY_STRING", "")
        accept = environ.get("HTTP_ACCEPT")
        if saved_name is None:
            query_request = protocol.read_query_request(environ, self.max_body)
            if query_request is None:
                return None
            shape = guard.inspect(query_request.query)
            # The URL is decoded a second time only when it may hold `format` (decoding is most of the
            # cost of a small query's request).
            wanted = _url_args(query_string).get("format") if "format" in query_string else None
            choice = m.choose_formats_from(wanted, accept)
            fmt = m.require_format(choice, shape.is_graph)
            info = self.service.backend.snapshot_for(store_name)
            job = m.sparql_job(info, query_request, shape, choice, settings.row_limit)
            etag = m.etag_for(info, "sparql", job.key(), fmt.name)
        else:
            args = _url_args(query_string)
            saved = self.service.saved.get(saved_name)
            if saved is None:
                known = ", ".join(self.service.saved) or "none"
                raise NotFound(f"no saved query named {saved_name!r}; known: {known}")
            _, text, substitutions = m.saved_query_values(saved, args)
            shape = self._saved_shapes.get(saved_name)
            if shape is None:
                shape = self._saved_shapes[saved_name] = guard.inspect(saved.text)
            choice = m.choose_formats_from(args.get("format"), accept, offer_html=True)
            if choice.html:
                return None
            info = self.service.backend.snapshot_for(store_name)
            fmt = m.require_format(choice, shape.is_graph)
            job = m.saved_job(info, text, substitutions, choice, settings.row_limit)
            etag = m.etag_for(info, "saved", saved_name, job.key(), fmt.name)
        answer = self.service.answer(info, job)
        headers = m.answer_headers(info, answer, etag, settings.row_limit)
        headers.append(("Content-Length", str(len(answer.body))))
        headers.extend(self.cors)
        return "200 OK", headers, answer.body
