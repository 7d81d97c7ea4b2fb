"""The HTTP policy every route follows: what a reply is, which format a client gets, validators and
conditional requests, CORS and the page headers, and the one table from domain errors to statuses.

Views (views.py) decide what to answer; this module decides how it goes over HTTP, the same way for
every route and for the router's fast lane. Negotiation of the Accept header and conditional requests
are werkzeug's (it works on the bare WSGI environ); the choice between the two families of answer
formats (a query's form decides which one is used) is ours.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from werkzeug.http import HTTP_STATUS_CODES, http_date
from werkzeug.sansio.http import is_resource_modified

from . import errors, formats
from .formats import GRAPH_FORMATS, HTML, RESULT_FORMATS, Format

if TYPE_CHECKING:  # the policy reads a snapshot's id and an answer's fields; it needs no backend
    from .backend import Answer, Snapshot

TEXT_PLAIN = "text/plain; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"


@dataclass
class Reply:
    """A whole answer: status, headers (CORS and the page headers are added by the router), body, or a
    file to send as the body (never kept by the fast lane: it is on disk already)."""

    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    build_key: str | None = None  # the Snapshot.key of the build it was made from, if it was made from one
    file: Path | None = None

    @classmethod
    def text(cls, body: str | bytes, content_type: str, status: int = 200, headers=(),
             build_key: str | None = None) -> "Reply":
        data = body.encode("utf-8") if isinstance(body, str) else body
        return cls(status, [("Content-Type", content_type), *headers], data, build_key)

    def status_line(self) -> str:
        return f"{self.status} {HTTP_STATUS_CODES.get(self.status, 'UNKNOWN').upper()}"


# --- errors: the one place a domain error becomes a status --------------------------------------

STATUS: dict[type, int] = {
    errors.BadRequest: 400,  # QuerySyntaxError, QueryNotEvaluable, BadParameter, NotAnIri
    errors.Refused: 403,
    errors.NotFound: 404,
    errors.MethodNotAllowed: 405,
    errors.NotAcceptable: 406,
    errors.RequestTimeout: 408,
    errors.PayloadTooLarge: 413,
    errors.UnsupportedMediaType: 415,
    errors.TooManyRequests: 429,
    errors.ComeBackLater: 503,  # ServerBusy; TooManyRequests is the client's own doing (429)
    errors.EvaluationFailed: 500,
    errors.NotAnsweredHere: 501,
    # 503 rather than 504 for a query past its limit: there is no upstream server for the client, and 503
    # is what SPARQL clients already treat as "the endpoint would not finish this".
    errors.ServerBusy: 503,
    errors.NoGraph: 503,
    errors.NoSearchIndex: 503,
    errors.DumpUnavailable: 503,
    errors.QueryTimeout: 503,
    errors.QueryTooLarge: 503,
    errors.BackendUnavailable: 503,
    errors.IncompleteAnswer: 503,
}


def status_of(error: errors.ServiceError) -> int:
    for kind in type(error).__mro__:
        status = STATUS.get(kind)
        if status is not None:
            return status
    return 500


def error_reply(error: errors.ServiceError) -> Reply:
    """A short plain-text answer: the status, its title, and what was wrong; with the headers of what the
    error knows (Allow: the methods there are; Retry-After: when to ask again)."""
    status = status_of(error)
    body = f"{status} {HTTP_STATUS_CODES.get(status, 'Error')}: {error.message}\n"
    return Reply.text(body, TEXT_PLAIN, status, _error_headers(error))


def _error_headers(error: errors.ServiceError) -> list[tuple[str, str]]:
    if isinstance(error, errors.MethodNotAllowed):
        return [("Allow", ", ".join(error.allowed))]
    if isinstance(error, errors.ComeBackLater) and error.retry_after is not None:
        return [("Retry-After", str(error.retry_after))]
    return []


def unexpected_reply() -> Reply:
    return Reply.text("500 Internal Server Error: the server failed to answer; the error is in its log\n",
                      TEXT_PLAIN, 500)


# --- the representation a client gets -----------------------------------------------------------

@dataclass(frozen=True)
class Choice:
    """Formats for both answer families; the query's form decides which one is used."""

    results: Format | None
    graph: Format | None
    html: bool = False


# Clients send a handful of distinct Accept headers and the choice is immutable, so it is remembered; a
# long header (or `format` value) is worked out every time, so that the memory held stays small (512
# entries of at most 512 characters each).
REMEMBERED_LENGTH = 512


def choose_formats(wanted: str | None, accept: str | None, offer_html: bool = False) -> Choice:
    """From the `format` parameter if there is one (browsers can't set Accept on a link), else Accept."""
    if len(accept or "") + len(wanted or "") <= REMEMBERED_LENGTH:
        return _remembered_choice(wanted, accept, offer_html)
    return _choice(wanted, accept, offer_html)


def _choice(wanted: str | None, accept: str | None, offer_html: bool) -> Choice:
    html_offer = (HTML,) if offer_html else ()
    if wanted:
        results = formats.by_parameter(wanted, RESULT_FORMATS)
        graph = formats.by_parameter(wanted, GRAPH_FORMATS)
        is_html = offer_html and formats.by_parameter(wanted, (HTML,)) is not None
        if results is None and graph is None and not is_html:
            names = ", ".join(f.name for f in (*RESULT_FORMATS, *GRAPH_FORMATS, *html_offer))
            raise errors.NotAcceptable(f"unknown format {wanted!r}; known: {names}")
        return Choice(results, graph, is_html)
    ranges = formats.accept_ranges(accept)  # parsed once for both families
    results = formats.best_of(ranges, html_offer + RESULT_FORMATS)
    graph = formats.best_of(ranges, html_offer + GRAPH_FORMATS)
    is_html = HTML in (results, graph)
    return Choice(None if results is HTML else results, None if graph is HTML else graph, is_html)


_remembered_choice = lru_cache(maxsize=512)(_choice)


def require_format(choice: Choice, graph: bool) -> Format:
    fmt = choice.graph if graph else choice.results
    if fmt is None:
        offered = GRAPH_FORMATS if graph else RESULT_FORMATS
        kind = "an RDF graph (CONSTRUCT or DESCRIBE)" if graph else "SPARQL results (SELECT or ASK)"
        raise errors.NotAcceptable(f"this answer is {kind}, available as: " + ", ".join(f.media_type for f in offered))
    return fmt


# --- validators and conditional requests --------------------------------------------------------

def etag_for(info: Snapshot, *parts) -> str:
    digest = hashlib.blake2b(repr((info.build_id, parts)).encode("utf-8"), digest_size=16).hexdigest()
    return f'"{info.build_id[:12]}-{digest}"'


def validators(info: Snapshot, etag: str) -> list[tuple[str, str]]:
    """Every answer of a build can be revalidated (no-cache) against its ETag or the build's time."""
    return [("ETag", etag), ("Last-Modified", _http_date(int(info.built_at_epoch))),
            ("Cache-Control", "public, no-cache"), ("Graph-Build", info.build_id), ("Vary", "Accept")]


@lru_cache(maxsize=8)  # one value per build: formatting a date is a good part of a small answer's headers
def _http_date(epoch: int) -> str:
    return http_date(epoch)


def not_modified(environ, info: Snapshot, etag: str) -> Reply | None:
    """A 304 when the client's copy is current (GET and HEAD only; If-None-Match wins over dates)."""
    if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        return None
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    since = environ.get("HTTP_IF_MODIFIED_SINCE")
    if if_none_match is None and since is None:
        return None
    if is_resource_modified(http_if_modified_since=since, http_if_none_match=if_none_match, etag=etag,
                            last_modified=_http_date(int(info.built_at_epoch))):
        return None
    return Reply(304, validators(info, etag), build_key=info.key)


def page(html: str, info: Snapshot, etag: str) -> Reply:
    return document(html, HTML_TYPE, info, etag)


def document(body: str | bytes, content_type: str, info: Snapshot, etag: str) -> Reply:
    return Reply.text(body, content_type, headers=validators(info, etag), build_key=info.key)


def file_reply(path: Path, content_type: str, info: Snapshot, etag: str) -> Reply:
    return Reply(200, [("Content-Type", content_type), *validators(info, etag)], file=path)


def answer_reply(info: Snapshot, answer: Answer, etag: str, row_limit: int) -> Reply:
    """A query's answer with its validators and what the row cap did to it."""
    if answer.kind == "graph":
        fmt = formats.BY_RDF_NAME[answer.format_name]
    else:
        fmt = formats.BY_NAME[answer.format_name]
    return Reply(200, [("Content-Type", fmt.content_type), *validators(info, etag), *result_headers(answer, row_limit)],
                 answer.body, info.key)


def result_headers(answer: Answer, row_limit: int) -> list[tuple[str, str]]:
    """What the row cap did to an answer, for programs (a page made from the answer says it too)."""
    return [("Result-Rows", str(answer.rows)), ("Result-Row-Limit", str(row_limit)),
            ("Result-Truncated", "true" if answer.truncated else "false")]


# --- headers on every answer ------------------------------------------------------------------

CORS_EXPOSED = "ETag, Last-Modified, Result-Rows, Result-Row-Limit, Result-Truncated, Graph-Build"
CORS = (("Access-Control-Allow-Origin", "*"), ("Access-Control-Expose-Headers", CORS_EXPOSED))
CORS_PREFLIGHT = (("Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS"),
                  ("Access-Control-Allow-Headers", "Accept, Content-Type, If-None-Match, If-Modified-Since"),
                  ("Access-Control-Max-Age", "86400"))

# A browser must take every answer for what its Content-Type says (a CSV of hostile literals is not
# HTML). What the pages need and nothing more: their own script (static/app.js, no inline script or
# handler), their own stylesheet, fetch() to this server, forms that submit here. No plugins, no <base>,
# and no framing by another site (frame-ancestors; X-Frame-Options for browsers that predate it).
NOSNIFF = ("X-Content-Type-Options", "nosniff")
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                           "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
                           "frame-ancestors 'none'")
PAGE_HEADERS = (NOSNIFF, ("Content-Security-Policy", CONTENT_SECURITY_POLICY), ("X-Frame-Options", "DENY"))


def common_headers(cors: bool, method: str) -> list[tuple[str, str]]:
    """The headers every answer carries, whatever the route (a policy costs nothing where it has nothing
    to govern, and an error or a static file is then never the one left without)."""
    headers = list(PAGE_HEADERS)
    if cors:
        headers += CORS
        if method == "OPTIONS":
            headers += CORS_PREFLIGHT
    return headers
