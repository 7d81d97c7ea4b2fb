"""Admission without a server: the lanes' classification, the slots and per-client counts, the memory
budget's formula."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlencode

import pytest

from coalition_kg.server import http
from coalition_kg.server.admission import LOOKUP_SCAN_LIMIT, Admission, evaluates_adhoc
from coalition_kg.server.settings import Settings
from coalition_kg.server.errors import ServerBusy, TooManyRequests

CROSS = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"
LOOKUP = "ASK { <https://w3id.org/coalition-kg/id/morocco> ?p ?o }"


def _request(method: str, path: str, query: str | None = None, body: bytes = b"",
             content_type: str = "application/sparql-query") -> tuple[dict, bytes]:
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path,
               "QUERY_STRING": urlencode({"query": query}) if query is not None else ""}
    if body:
        environ.update(CONTENT_TYPE=content_type, CONTENT_LENGTH=str(len(body)))
    return environ, body


@pytest.mark.parametrize("request_, inline, adhoc", [
    (_request("POST", "/sparql", body=CROSS.encode()), True, True),
    (_request("GET", "/sparql", query=CROSS), True, True),
    (_request("HEAD", "/sparql", query=CROSS), True, True),
    (_request("POST", "/sparql", body=urlencode({"query": CROSS}).encode(),
              content_type="application/x-www-form-urlencoded"), True, True),
    # A one-subject lookup is answered in the web process, in bounded time: not the evaluation lane,
    # unless lookups go to children too.
    (_request("POST", "/sparql", body=LOOKUP.encode()), True, False),
    (_request("GET", "/sparql", query=LOOKUP), True, False),
    (_request("POST", "/sparql", body=LOOKUP.encode()), False, True),
    # A lookup too long to scan in the event loop is queued like any query.
    (_request("POST", "/sparql", body=(LOOKUP + " #" + "x" * LOOKUP_SCAN_LIMIT).encode()), True, True),
    # Refused before evaluation (403, 400, 415): nothing to admit.
    (_request("POST", "/sparql", body=b"SELECT * { SERVICE <http://e/> { ?s ?p ?o } }"), True, False),
    (_request("POST", "/sparql", body=b"INSERT DATA { <a:a> <a:b> <a:c> }"), True, False),
    (_request("POST", "/sparql", body=CROSS.encode(), content_type="text/plain"), True, False),
    # Not ad-hoc SPARQL at all.
    (_request("GET", "/sparql"), True, False),
    (_request("GET", "/health"), True, False),
    (_request("GET", "/queries/meetings"), True, False),
    (_request("GET", "/id/morocco"), True, False),
    (_request("PUT", "/sparql", body=CROSS.encode()), True, False),
])
def test_which_requests_take_the_evaluation_lane(request_, inline, adhoc):
    environ, body = request_
    assert evaluates_adhoc(environ, body, 1 << 20, inline) is adhoc


def _run(coroutine):
    return asyncio.run(coroutine)


def test_slots_bound_concurrent_evaluations_and_a_waiter_gets_503():
    async def scenario():
        admission = Admission(slots=2, per_client=0, wait=0.2, retry_after=10)
        held, release = [], asyncio.Event()

        async def hold(client):
            async with admission.evaluation(client):
                held.append(client)
                await release.wait()

        holders = [asyncio.create_task(hold(c)) for c in ("a", "b")]
        await asyncio.sleep(0.05)
        assert held == ["a", "b"]
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(ServerBusy) as refused:
            async with admission.evaluation("c"):
                pytest.fail("admitted past the slots")
        assert 0.15 <= loop.time() - started < 2
        assert http.status_of(refused.value) == 503 and ("Retry-After", "10") in http.error_reply(refused.value).headers
        release.set()
        await asyncio.gather(*holders)
        # Everything given back, the refused waiter included: the full count is free again.
        assert admission.running("a") == admission.running("c") == 0
        async with admission.evaluation("c"), admission.evaluation("d"):
            assert admission.running("c") == 1

    _run(scenario())


def test_a_waiter_is_admitted_when_a_slot_frees_within_the_wait():
    async def scenario():
        admission = Admission(slots=1, per_client=0, wait=5, retry_after=1)
        order = []

        async def evaluation(client, seconds):
            async with admission.evaluation(client):
                order.append(client)
                await asyncio.sleep(seconds)

        await asyncio.gather(evaluation("a", 0.1), evaluation("b", 0))
        assert order == ["a", "b"]

    _run(scenario())


def test_a_client_over_its_cap_gets_429_at_once_and_others_are_admitted():
    async def scenario():
        admission = Admission(slots=3, per_client=1, wait=5, retry_after=7)
        release = asyncio.Event()

        async def hold(client):
            async with admission.evaluation(client):
                await release.wait()

        first = asyncio.create_task(hold("10.0.0.1"))
        await asyncio.sleep(0.05)
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(TooManyRequests) as refused:
            async with admission.evaluation("10.0.0.1"):
                pytest.fail("admitted past the client's cap")
        assert loop.time() - started < 0.5  # at once, not after the wait
        assert http.status_of(refused.value) == 429 and ("Retry-After", "7") in http.error_reply(refused.value).headers
        async with admission.evaluation("10.0.0.2"):  # another client is not held back
            assert admission.running("10.0.0.1") == 1
        release.set()
        await first
        assert admission.running("10.0.0.1") == 0

    _run(scenario())


def test_lane_size_is_all_threads_but_one():
    settings = Settings(var=Path("var"), queries=Path("queries"), evaluators=4, per_client_queries=2,
                        queue_timeout=3, query_timeout=9.5)
    admission = Admission.for_settings(settings)
    assert (admission.slots, admission.per_client, admission.wait, admission.retry_after) == (3, 2, 3, 10)
    assert Admission.for_settings(Settings(var=Path("v"), queries=Path("q"), evaluators=1)).slots == 1


@pytest.mark.parametrize("budget, workers, evaluators, per_child, limit_mb", [
    (8192, 2, 4, 2048, 1024),  # the defaults: the budget's share is the smaller
    (8192, 1, 2, 2048, 2048),  # a share of 4096: the per-child ceiling is the smaller
    (3072, 2, 3, 4096, 512),
    (0, 2, 4, 1536, 1536),  # no budget: the per-child limit alone
    (6144, 3, 2, 0, 1024),  # no per-child limit: the share alone
    (0, 2, 4, 0, None),  # neither: no limit
])
def test_memory_budget_share(budget, workers, evaluators, per_child, limit_mb):
    settings = Settings(var=Path("var"), queries=Path("queries"), memory_budget_mb=budget, workers=workers,
                        evaluators=evaluators, evaluator_memory_mb=per_child)
    limit = settings.evaluator_memory_limit
    assert limit == (None if limit_mb is None else limit_mb << 20)
    if limit is not None and budget:
        assert limit * workers * evaluators <= budget << 20  # all children together stay within it
