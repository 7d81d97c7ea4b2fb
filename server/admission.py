"""Admission of ad-hoc SPARQL: which requests may start an evaluation nobody has bounded, and how many
of those run at once, in all and per client.

Each worker serves `threads` requests at once, each with its own evaluator child. Ad-hoc queries are
the only requests whose cost the client chooses: a handful of runaway or memory-hungry ones could
hold every thread and child for the whole time limit, and then /health, the pages and the saved
queries would wait behind them. So requests go one of two ways (front.py decides, in the event loop,
before a request takes a thread):

- the evaluation lane: a SPARQL protocol query (/sparql with a query) that is not answered from the
  whole-answer cache and is not a one-subject lookup. At most `threads - 1` of these run at once per
  worker, so one thread and one evaluator child are always left for the rest; at most
  `per_client_queries` of them per client address, running or waiting (more: 429 at once); one that
  finds no free slot waits at most `queue_timeout` seconds (then 503). Both carry Retry-After.
- everything else, cheap by construction: cached answers, /health, static files, one-subject
  lookups, saved queries, the entity and graph pages (their queries are the server's own, bounded by
  the graph's schema), and requests that are refused before any evaluation (4xx).

The counts are per worker process: with W workers a client may have W x per_client_queries running.
Waiting costs a coroutine, not a thread, and is bounded in time.
"""

from __future__ import annotations

import asyncio
import io
import math
from contextlib import asynccontextmanager

from . import guard, protocol
from .errors import ServerBusy, ServiceError, TooManyRequests

# A one-subject lookup is a short text; a longer query goes to the evaluation lane unread, so that the
# event loop never scans a large body (a query this long is rarely a lookup, and is then only queued).
LOOKUP_SCAN_LIMIT = 2048


def evaluates_adhoc(environ, body: bytes, max_body: int, inline_lookups: bool) -> bool:
    """Whether the request (its complete body at hand) may start an ad-hoc evaluation in a child."""
    if environ.get("PATH_INFO") != "/sparql":
        return False
    method = environ.get("REQUEST_METHOD")
    query_string = environ.get("QUERY_STRING", "")
    if method not in ("GET", "HEAD", "POST") or (method != "POST" and "query" not in query_string):
        return False  # the service description, the page, or a 405: no evaluation
    if not inline_lookups or len(body) + len(query_string) > LOOKUP_SCAN_LIMIT:
        return True
    try:
        request = protocol.read_query_request({**environ, "wsgi.input": io.BytesIO(body)}, max_body)
        return request is not None and not guard.inspect(request.query).lookup
    except ServiceError:
        return False  # refused (4xx) before evaluation, whichever thread says so
    except Exception:
        return True  # the thread meets it again, and answers and logs it there


class Admission:
    """The evaluation lane's slots and per-client counts of one worker; used from its event loop only."""

    def __init__(self, slots: int, per_client: int, wait: float, retry_after: int):
        self.slots = max(1, slots)
        self.per_client = per_client
        self.wait = wait
        self.retry_after = max(1, retry_after)
        self._free = asyncio.Semaphore(self.slots)
        self._clients: dict[str, int] = {}

    @classmethod
    def for_settings(cls, settings) -> "Admission":
        # All but one of the worker's threads (and so of its evaluator children); a client asked to
        # retry later is told the time limit, by when every running evaluation has ended.
        return cls(settings.evaluators - 1, settings.per_client_queries, settings.queue_timeout,
                   math.ceil(settings.query_timeout))

    def running(self, client: str) -> int:
        """The client's admitted or waiting evaluations."""
        return self._clients.get(client, 0)

    @asynccontextmanager
    async def evaluation(self, client: str):
        """Hold one of the lane's slots for the request's whole evaluation."""
        held = self._clients.get(client, 0)
        if self.per_client and held >= self.per_client:
            raise TooManyRequests(f"this client already has {held} SPARQL queries running or waiting, the most "
                                  f"one client may have; retry when one has finished", self.retry_after)
        self._clients[client] = held + 1
        try:
            try:
                async with asyncio.timeout(self.wait):
                    await self._free.acquire()
            except TimeoutError:
                raise ServerBusy(f"every evaluator that ad-hoc queries may use stayed busy for {self.wait:g} s; "
                                 "retry later", self.retry_after) from None
            try:
                yield
            finally:
                self._free.release()
        finally:
            left = self._clients[client] - 1
            if left:
                self._clients[client] = left
            else:
                del self._clients[client]
