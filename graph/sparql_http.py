"""A client of a remote SPARQL engine over HTTP: the SPARQL 1.1 Protocol (query, update) and the Graph
Store HTTP Protocol (put, count, delete a graph), with the standard library's urllib.

urllib is enough here: the requests are a handful of form POSTs and PUTs of one graph's N-Triples each,
and its handlers already do Basic and Digest authentication (Virtuoso asks for Digest; _PreemptiveDigest
answers a known challenge at once). Two of its defaults would let a request reach beyond the URLs the
user gave, so they are turned off: proxies taken from the environment (http_proxy and the like) and
redirects (a 3xx is an error, never followed).

Credentials come from the environment (CKG_PUBLISH_USER, CKG_PUBLISH_PASSWORD), never from the command
line, where any user of the machine could read them in the process list.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

import pyoxigraph as ox

from .internal_queries import internal_query
from .query_outline import outline, with_values

USER_VARIABLE = "CKG_PUBLISH_USER"
PASSWORD_VARIABLE = "CKG_PUBLISH_PASSWORD"
TIMEOUT_SECONDS = 300  # one graph's upload or the swap of a large build may take a while; a dead engine fails sooner


class EngineError(Exception):
    """A request to the engine failed: refused, unreachable, or answered with an error."""


class EngineRefused(EngineError):
    """The engine answered with an HTTP error status (status)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class EngineTimeout(EngineError):
    """The engine's whole answer did not arrive within the time given."""


class EngineCutShort(EngineError):
    """The engine closed the connection before the end of its answer."""


@dataclass(frozen=True)
class Reply:
    headers: dict[str, str]  # names in lower case
    body: bytes


@dataclass(frozen=True)
class Endpoints:
    query: str   # SPARQL 1.1 Protocol, queries
    update: str  # SPARQL 1.1 Protocol, updates
    gsp: str     # Graph Store HTTP Protocol, with ?graph=IRI


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise urllib.error.HTTPError(req.full_url, code, f"redirected to {newurl}; redirects are not followed",
                                     headers, fp)


class _PreemptiveDigest(urllib.request.HTTPDigestAuthHandler):
    """Digest authentication that, once the engine has sent a challenge, answers it in every later request
    at once. urllib's own handler sends each request bare, and again with the answer after the 401; but
    an engine may answer 401 and close the connection before it has read a large body (Virtuoso did,
    under load, to the 2 MB upload of the merged graph: a broken pipe, never the 401). With the answer
    sent at once, the body goes only to a request that is let in; a stale nonce still gets a 401 and the
    usual retry."""

    def __init__(self, passwords):
        super().__init__(passwords)
        self._challenge: dict | None = None

    def retry_http_digest_auth(self, req, auth):
        self._challenge = urllib.request.parse_keqv_list(
            filter(None, urllib.request.parse_http_list(auth.split(" ", 1)[1])))
        return super().retry_http_digest_auth(req, auth)

    def http_request(self, req):
        if self._challenge is not None and not req.has_header(self.auth_header):
            answer = self.get_authorization(req, self._challenge)
            if answer:
                req.add_unredirected_header(self.auth_header, f"Digest {answer}")
        return req

    https_request = http_request


class Client:
    """Requests to one engine's three endpoints, and to nothing else."""

    def __init__(self, endpoints: Endpoints, user: str | None = None, password: str | None = None,
                 timeout: float = TIMEOUT_SECONDS):
        self.endpoints = endpoints
        self.timeout = timeout
        self.anonymous = user is None
        self._account = (user, password)
        handlers: list = [urllib.request.ProxyHandler({}), _NoRedirects()]
        if user is not None:
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            for url in {endpoints.query, endpoints.update, endpoints.gsp}:
                passwords.add_password(None, url, user, password or "")
            handlers += [urllib.request.HTTPBasicAuthHandler(passwords),
                         _PreemptiveDigest(passwords)]
        self._opener = urllib.request.build_opener(*handlers)

    @classmethod
    def from_environment(cls, endpoints: Endpoints) -> "Client":
        user = os.environ.get(USER_VARIABLE)
        return cls(endpoints, user, os.environ.get(PASSWORD_VARIABLE) if user is not None else None)

    def another(self) -> "Client":
        """A client of the same endpoints and account, for another thread: urllib's digest authentication
        keeps its nonce count per client, unguarded."""
        return Client(self.endpoints, *self._account, timeout=self.timeout)

    def fetch(self, parameters: list[tuple[str, str]], accept: str, seconds: float) -> Reply:
        """A query's whole answer as the engine sent it (form parameters: query, default-graph-uri …), read
        within `seconds` (each wait on the socket, and the whole, are bounded by them: a slow stream is cut
        too). Raises EngineTimeout past them, EngineRefused for an HTTP error status, EngineError when the
        engine cannot be reached."""
        request = urllib.request.Request(self.endpoints.query, data=urllib.parse.urlencode(parameters).encode("utf-8"),
                                         headers={"Content-Type": "application/x-www-form-urlencoded",
                                                  "Accept": accept}, method="POST")
        deadline = time.monotonic() + seconds
        try:
            with self._opener.open(request, timeout=seconds) as response:
                parts = []
                while True:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise EngineTimeout(f"the answer of {_where(self.endpoints.query)} took more than {seconds:g} s")
                    _wait_at_most(response, left)
                    # read1: what has arrived, at once (read(n) would wait for n bytes, however slowly they come)
                    chunk = response.read1(1 << 16)
                    if not chunk:
                        break
                    parts.append(chunk)
                headers = {name.lower(): value for name, value in response.headers.items()}
                body = b"".join(parts)
                declared = headers.get("content-length", "")
                if declared.isdigit() and len(body) < int(declared):  # read(n) returns short, never raises
                    raise EngineCutShort(f"the answer of {_where(self.endpoints.query)} ended after {len(body)} of "
                                         f"its {declared} bytes")
                return Reply(headers, body)
        except urllib.error.HTTPError as error:
            raise _refused(error) from error
        except http.client.IncompleteRead as error:
            raise EngineCutShort(f"the answer of {_where(self.endpoints.query)} ended before its end") from error
        except http.client.HTTPException as error:
            raise EngineError(f"{_where(self.endpoints.query)} answered otherwise than HTTP: {error!r}") from error
        except (TimeoutError, socket.timeout) as error:
            raise EngineTimeout(f"{_where(self.endpoints.query)} did not answer within {seconds:g} s") from error
        except urllib.error.URLError as error:
            if isinstance(error.reason, (TimeoutError, socket.timeout)):
                raise EngineTimeout(f"{_where(self.endpoints.query)} did not answer within {seconds:g} s") from error
            raise EngineError(f"could not reach {_where(self.endpoints.query)}: {error.reason}") from error
        except OSError as error:
            raise EngineError(f"could not reach {_where(self.endpoints.query)}: {error}") from error

    def select(self, query: str) -> list[dict[str, dict]]:
        """A SELECT's rows as SPARQL JSON bindings ({variable: {"type", "value", ...}})."""
        return self.results(query)[1]

    def results(self, query: str) -> tuple[list[str], list[dict[str, dict]]]:
        """A SELECT's variables and rows."""
        body = self._send("POST", self.endpoints.query, _form(query=query),
                          {"Content-Type": "application/x-www-form-urlencoded",
                           "Accept": "application/sparql-results+json"}, what="query")
        try:
            answer = json.loads(body)
            return answer["head"]["vars"], answer["results"]["bindings"]
        except (ValueError, KeyError, TypeError):
            # Oxigraph's server, for one, reports a query cancelled midway in the body of a 200
            raise EngineError(f"query at {self.endpoints.query}: the answer is not SPARQL JSON results: "
                              f"{body[:200]!r}") from None

    def update(self, update: str) -> None:
        self._send("POST", self.endpoints.update, _form(update=update),
                   {"Content-Type": "application/x-www-form-urlencoded"}, what="update")

    def put_graph(self, graph: str, ntriples: bytes) -> None:
        """Replace a graph with the given N-Triples (GSP PUT)."""
        self._send("PUT", self._graph_url(graph), ntriples, {"Content-Type": "application/n-triples"},
                   what=f"upload of <{graph}>")

    def delete_graph(self, graph: str) -> None:
        """Remove a graph (GSP DELETE); a graph that is not there is not an error."""
        try:
            self._send("DELETE", self._graph_url(graph), None, {}, what=f"deletion of <{graph}>")
        except EngineRefused as error:
            if error.status != 404:
                raise

    def count(self, graph: str) -> int:
        rows = self.select(with_values(internal_query("count-graph"), {"graph": ox.NamedNode(graph)}))
        try:
            return int(rows[0]["n"]["value"])
        except (IndexError, KeyError, ValueError):
            raise EngineError(f"the count of <{graph}> came back as {rows!r}") from None

    def _graph_url(self, graph: str) -> str:
        separator = "&" if "?" in self.endpoints.gsp else "?"
        return self.endpoints.gsp + separator + urllib.parse.urlencode({"graph": graph})

    def _send(self, method: str, url: str, data: bytes | None, headers: dict, what: str) -> str:
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            raise _refused(error, f"{what} refused by {_where(url)}: ") from error
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise EngineError(f"{what} could not reach {_where(url)}: {reason}") from error


def _refused(error: urllib.error.HTTPError, what: str = "") -> EngineRefused:
    """The engine's error status as an EngineRefused, with the start of what it said."""
    detail = error.read().decode("utf-8", "replace").strip()[:300] if error.fp else ""
    return EngineRefused(f"{what}HTTP {error.code} {error.reason}" + (f": {detail}" if detail else ""), error.code)


def _wait_at_most(response, seconds: float) -> None:
    """Bound the next wait on the answer's socket by the time left (http.client keeps the socket at
    response.fp.raw._sock; where it does not, each wait stays bounded by the whole limit)."""
    sock = getattr(getattr(response.fp, "raw", None), "_sock", None)
    if sock is not None:
        sock.settimeout(max(seconds, 0.001))


def _form(**fields: str) -> bytes:
    return urllib.parse.urlencode(fields).encode("utf-8")


def _where(url: str) -> str:
    """The URL without its query string, which can be long (a graph's IRI)."""
    return url.split("?", 1)[0]


def with_dataset(query: str, default: list[str], named: list[str]) -> str:
    """The query over exactly the given graphs: FROM each default graph (its default graph is their merge;
    Oxigraph and Virtuoso count a triple once per FROM graph that holds it, so give one graph for one row
    per fact) and FROM NAMED each named one (for its GRAPH patterns), written before the outermost WHERE.
    An engine's own union default graph may hold more (a publish's staging graphs, Virtuoso's system
    graphs), hence the explicit dataset."""
    where = outline(query).where_clause
    if where is None:
        raise ValueError("a dataset can only be given to a query with a WHERE { … } group")
    clauses = "".join(f"FROM <{g}>\n" for g in default) + "".join(f"FROM NAMED <{g}>\n" for g in named)
    return query[:where] + clauses + query[where:]
