"""Everything that can go wrong with a request, as types of the domain: what went wrong, not which status.

The backends, the protocol reader, the guard and the views raise these; http.STATUS is the one table
that gives each its HTTP status, at the edge (the router), and http.error_reply turns what an error
knows (when to come back, which methods there are) into headers. Nothing else reaches the client: an
unexpected exception becomes a bare 500 and its traceback goes to the log.
"""

from __future__ import annotations


class ServiceError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ComeBackLater(ServiceError):
    """A request this server could answer, but not now: retry_after, the seconds after which asking again
    may succeed, if they are known."""

    def __init__(self, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class BadRequest(ServiceError):
    """The request is malformed: its parameters, its body or its query."""


class QuerySyntaxError(BadRequest):
    """The query does not parse; the message carries pyoxigraph's line and column."""


class QueryNotEvaluable(BadRequest):
    """The query parses but names what the engine cannot evaluate (an unknown function, say)."""


class BadParameter(BadRequest):
    """A saved query's parameter is unknown, missing or has the wrong form."""


class Refused(ServiceError):
    """A well-formed request this server will not carry out: updates, SERVICE, LOAD, writes."""


class NotFound(ServiceError):
    """Nothing here by that name: a saved query, a resource, a version."""


class MethodNotAllowed(ServiceError):
    """A method this resource does not take; allowed: the methods it does."""

    def __init__(self, message: str, allowed: tuple[str, ...]):
        super().__init__(message)
        self.allowed = allowed


class NotAcceptable(ServiceError):
    """No format the client accepts can carry this answer."""


class RequestTimeout(ServiceError):
    """The request's body did not arrive within the body deadline; the connection is closed after the
    answer, since the rest of the body may still come."""


class PayloadTooLarge(ServiceError):
    """The request body is over the limit."""


class UnsupportedMediaType(ServiceError):
    """The request body is of a type or charset the protocol does not take."""


class TooManyRequests(ComeBackLater):
    """The client already has as many SPARQL evaluations running as one client may (per worker)."""


class ServerBusy(ComeBackLater):
    """Every evaluator that ad-hoc SPARQL may use stayed busy for the whole admission wait."""


class EvaluationFailed(ServiceError):
    """The evaluator reported an error that is not the query's fault (I/O, a crashed child)."""


class NoGraph(ServiceError):
    """No store has been built yet: the service exists but cannot answer."""


class NoSearchIndex(ServiceError):
    """The current store was built before search existed and has no index beside it: a rebuild makes one."""


class DumpUnavailable(ComeBackLater):
    """The build's dump is being written by another request (retry_after), or cannot be written where the
    server keeps it (var/dumps/ not writable, the disk full); nothing is kept of a dump not written whole."""


class QueryTimeout(ServiceError):
    """The query ran past the time limit and its evaluator was killed.

    A 503 (http.STATUS says why)."""


class QueryTooLarge(ServiceError):
    """The query needed more memory than an evaluator may have, and its evaluator was stopped (as for
    the time limit: the endpoint will not finish this query)."""


class BackendUnavailable(ServiceError):
    """The engine that holds the graph (a remote backend) did not answer, or answered with an error that is
    not the query's fault."""


class IncompleteAnswer(ServiceError):
    """The engine's answer is not whole (cut at its own row cap, cancelled midway, or not results at all):
    an error, never served or cached as if it were the answer."""


class NotAnsweredHere(ServiceError):
    """A well-formed query the engine behind this endpoint is known to answer wrong (a remote Virtuoso's
    shapes, server/virtuoso_refusals.py): refused rather than answered wrong. Not the client's fault."""


class NotAnIri(BadRequest):
    """A path under /id/, /article/, /graph/ or /ontology/ that no IRI can have (a space, a quote, a
    control character, a stray '%' or bytes that are not UTF-8 once decoded): a bad request, where a
    path that is an IRI the graph does not know is not found."""


def shown(text: str, limit: int = 200) -> str:
    """A client's text as an error message may quote it: what is not printable escaped (a newline must
    not start a line of its own wherever the message goes), and cut to `limit` characters."""
    cut = text[:limit]
    visible = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in cut)
    return visible + ("…" if len(text) > limit else "")
