"""Everything that can go wrong with a request, as types that carry their HTTP status.

Handlers raise these; one error handler in app.py turns them into a short plain-text answer. Nothing
else reaches the client: an unexpected exception becomes a bare 500 and its traceback goes to the log.
"""

from __future__ import annotations


class HttpError(Exception):
    status = 500
    title = "Internal Server Error"

    def __init__(self, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.headers = headers or {}


class BadRequest(HttpError):
    status, title = 400, "Bad Request"


class QuerySyntaxError(BadRequest):
    """The query does not parse; the message carries pyoxigraph's line and column."""


class QueryNotEvaluable(BadRequest):
    """The query parses but names what the engine cannot evaluate (an unknown function, say)."""


class BadParameter(BadRequest):
    """A saved query's parameter is unknown, missing or has the wrong form."""


class Refused(HttpError):
    """A well-formed request this server will not carry out: updates, SERVICE, LOAD, writes."""

    status, title = 403, "Forbidden"


class NotFound(HttpError):
    status, title = 404, "Not Found"


class MethodNotAllowed(HttpError):
    status, title = 405, "Method Not Allowed"

    def __init__(self, message: str, allowed: tuple[str, ...]):
        super().__init__(message, {"Allow": ", ".join(allowed)})


class NotAcceptable(HttpError):
    status, title = 406, "Not Acceptable"


class RequestTimeout(HttpError):
    """The request's body did not arrive within the body deadline; the connection is closed after the
    answer, since the rest of the body may still come."""

    status, title = 408, "Request Timeout"


class PayloadTooLarge(HttpError):
    status, title = 413, "Payload Too Large"


class UnsupportedMediaType(HttpError):
    status, title = 415, "Unsupported Media Type"


class TooManyRequests(HttpError):
    """The client already has as many SPARQL evaluations running as one client may (per worker)."""

    status, title = 429, "Too Many Requests"


class ServerBusy(HttpError):
    """Every evaluator that ad-hoc SPARQL may use stayed busy for the whole admission wait."""

    status, title = 503, "Service Unavailable"


class EvaluationFailed(HttpError):
    """The evaluator reported an error that is not the query's fault (I/O, a crashed child)."""

    status, title = 500, "Internal Server Error"


class NoGraph(HttpError):
    """No store has been built yet: the service exists but cannot answer."""

    status, title = 503, "Service Unavailable"


class NoSearchIndex(HttpError):
    """The current store was built before search existed and has no index beside it: a rebuild makes one."""

    status, title = 503, "Service Unavailable"


class QueryTimeout(HttpError):
    """The query ran past the time limit and its evaluator was killed.

    503 rather than 504: there is no upstream server, and 503 is what SPARQL clients already treat
    as "the endpoint would not finish this"."""

    status, title = 503, "Service Unavailable"


class QueryTooLarge(HttpError):
    """The query needed more memory than an evaluator may have, and its evaluator was stopped (503, as
    for the time limit: the endpoint will not finish this query)."""

    status, title = 503, "Service Unavailable"


class BackendUnavailable(HttpError):
    """The engine that holds the graph (a remote backend) did not answer, or answered with an error that is
    not the query's fault."""

    status, title = 503, "Service Unavailable"


class IncompleteAnswer(HttpError):
    """The engine's answer is not whole (cut at its own row cap, cancelled midway, or not results at all):
    an error, never served or cached as if it were the answer."""

    status, title = 503, "Service Unavailable"


class NotAnIri(BadRequest):
    """A path under /id/, /article/, /graph/ or /ontology/ that no IRI can have (a space, a quote, a
    control character, a stray '%' or bytes that are not UTF-8 once decoded): 400, where a path that is
    an IRI the graph does not know is 404."""


def shown(text: str, limit: int = 200) -> str:
    """A client's text as an error message may quote it: what is not printable escaped (a newline must
    not start a line of its own wherever the message goes), and cut to `limit` characters."""
    cut = text[:limit]
    visible = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in cut)
    return visible + ("…" if len(text) > limit else "")
