"""The SPARQL 1.1 Protocol's query operation, read from a Flask request, rule by rule.

Three ways to send a query (GET, urlencoded POST, direct POST), each with its own place for the query
and the dataset parameters; everything else is a 4xx with a message that says what was wrong.
Updates are refused here by their shape (an `update` parameter, a sparql-update body) before anything
looks at the text; guard.py refuses them by their keywords. A request that carries both a query and
an update is neither operation: it is malformed (400), whatever this server would do with either.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs

from .errors import (BadRequest, MethodNotAllowed, PayloadTooLarge, Refused,
                                        UnsupportedMediaType)

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
_READ_ONLY = "this endpoint is read-only: SPARQL Update and Graph Store writes are not accepted"
_UPDATE_PARAMETERS = ("update", "using-graph-uri", "using-named-graph-uri")


@dataclass(frozen=True)
class QueryRequest:
    query: str
    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]

    @property
    def has_dataset(self) -> bool:
        return bool(self.default_graphs or self.named_graphs)


def _decode(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadRequest(f"the {what} is not valid UTF-8 (byte {error.start})") from None


def _parse_pairs(raw: bytes, what: str) -> dict[str, list[str]]:
    text = _decode(raw, what)
    try:
        return parse_qs(text, keep_blank_values=True, strict_parsing=False, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise BadRequest(f"the {what} has percent-escapes that are not valid UTF-8") from None


def _content_type(header: str | None) -> tuple[str, dict[str, str]]:
    if not header:
        return "", {}
    media, *params = header.split(";")
    options = {}
    for param in params:
        key, _, value = param.strip().partition("=")
        options[key.strip().lower()] = value.strip().strip('"').lower()
    return media.strip().lower(), options


def _read_body(environ, limit: int) -> bytes:
    """The request body, refusing more than `limit` bytes whether or not Content-Length says so."""
    length = environ.get("CONTENT_LENGTH")
    if length:
        try:
            declared = int(length)
        except ValueError:
            raise BadRequest("the Content-Length header is not a number") from None
        if declared > limit:
            raise PayloadTooLarge(f"the request body is {declared} bytes; the limit is {limit}")
    body = environ["wsgi.input"].read(limit + 1)
    if len(body) > limit:
        raise PayloadTooLarge(f"the request body is over the limit of {limit} bytes")
    return body


def _single(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise BadRequest(f"the request has {len(values)} '{name}' parameters; the protocol allows exactly one")
    return values[0]


def _dataset(params: dict[str, list[str]]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    graphs = []
    for name in ("default-graph-uri", "named-graph-uri"):
        values = tuple(params.get(name, ()))
        for value in values:
            if not value or any(c in value for c in ' <>"{}|^`\\') or ":" not in value:
                raise BadRequest(f"{name} must be an absolute IRI, got {value!r}")
        graphs.append(values)
    return graphs[0], graphs[1]


def _one_operation(params: dict[str, list[str]], has_query: bool, has_update: bool = False) -> None:
    """400 for a query and an update in one request, then 403 for an update alone."""
    has_update = has_update or "update" in params
    if has_query and has_update:
        raise BadRequest("the request has both a query and an update: the protocol allows one operation a request")
    if has_update or any(name in params for name in _UPDATE_PARAMETERS):
        raise Refused(_READ_ONLY)


def read_query_request(environ, max_body: int) -> QueryRequest | None:
    """The query and dataset of a protocol request, or None for a GET without a query.

    Works on the WSGI environ rather than Flask's parsed forms so that each rule is applied exactly
    once, here, and the body is read at most once and never beyond the size limit."""
    method = environ["REQUEST_METHOD"]
    url_params = _parse_pairs(environ.get("QUERY_STRING", "").encode("latin-1"), "URL query string")
    if method in ("GET", "HEAD"):
        _one_operation(url_params, "query" in url_params)
        query = _single(url_params, "query")
        if query is None:
            if url_params.get("default-graph-uri") or url_params.get("named-graph-uri"):
                raise BadRequest("dataset parameters were given without a 'query' parameter")
            return None
        return QueryRequest(query, *_dataset(url_params))
    if method != "POST":
        raise MethodNotAllowed(f"{method} is not supported: {_READ_ONLY}", ("GET", "HEAD", "POST", "OPTIONS"))

    media, options = _content_type(environ.get("CONTENT_TYPE"))
    charset = options.get("charset")
    if charset and charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"charset {charset} is not supported: send the request in UTF-8")
    if media == SPARQL_UPDATE:
        _one_operation(url_params, "query" in url_params, has_update=True)
    if media == FORM:
        # The body is read (within the limit) before an `update` in the URL is refused: a query in the
        # body would make the request malformed rather than an update.
        body_params = _parse_pairs(_read_body(environ, max_body), "request body")
        _one_operation({**url_params, **body_params}, "query" in url_params or "query" in body_params)
        if "query" in url_params:
            raise BadRequest("a urlencoded POST carries the query in its body; this one also has one in the URL")
        query = _single(body_params, "query")
        if query is None:
            raise BadRequest("the urlencoded POST body has no 'query' parameter")
        merged = {name: url_params.get(name, []) + body_params.get(name, [])
                  for name in ("default-graph-uri", "named-graph-uri")}
        return QueryRequest(query, *_dataset(merged))
    if media == SPARQL_QUERY:
        _one_operation(url_params, has_query=True)  # the body is the query
        if "query" in url_params:
            raise BadRequest("a direct POST carries the query as its body; this one also has a 'query' parameter")
        query = _decode(_read_body(environ, max_body), "request body")
        if not query.strip():
            raise BadRequest("the request body is empty: it should be the SPARQL query")
        return QueryRequest(query, *_dataset(url_params))
    _one_operation(url_params, "query" in url_params)
    if not media:
        raise UnsupportedMediaType(
            f"a POST needs a Content-Type: {SPARQL_QUERY} (the query as body) or {FORM} (query=…)")
    raise UnsupportedMediaType(f"Content-Type {media} is not supported; use {SPARQL_QUERY} or {FORM}")
