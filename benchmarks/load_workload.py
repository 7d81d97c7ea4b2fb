"""The requests of the load test (benchmarks/load.py), each with the answer it must get.

Every valid request is judged against an answer worked out in advance: the same SPARQL evaluated in this
process on the reference store (`Oracle`), so that a wrong answer under load is caught, not only an
error status. The marker stores the load test swaps in differ from the reference by a few labels of one
entity that none of these queries reads, so the answers hold for every build; only the probe (a count
of every quad) differs per build, and it is judged after the run against the build its answer names.

Requests come in classes:

- saved: `/queries/NAME?format=json` for the saved queries of tests/server/queries, with varied parameters;
- lookup: one-subject lookups (answered in the web process), entity pages and `/health`;
- adhoc: varied SELECT and CONSTRUCT by POST, each with a unique comment so that it misses the cache;
- probe: a count of every quad of the named graphs, checked against the build named by `Graph-Build`;
- malformed: bad syntax, a wrong content type, a body over the limit, SERVICE, updates: each its 4xx;
- runaway: a cross product that only the query time limit stops (503; 429 or 503 when admission
  control refuses it first, with Retry-After).

The first four are the valid requests: each must succeed (2xx and the right answer).
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import quote

import pyoxigraph as ox
import requests

from coalition_kg.graph import saved_queries
from coalition_kg.namespaces import ENTITY, ONTOLOGY, RDFS, SCHEMA
from coalition_kg.server import formats, linked_data

VALID_CLASSES = ("saved", "lookup", "adhoc", "probe")
# The classes whose p99 latency the load test bounds: cheap work that never needs much evaluation.
CHEAP_CLASSES = ("saved", "lookup")

RESULTS_JSON = formats.BY_NAME["json"].media_type
N_TRIPLES = formats.BY_NAME["ntriples"].media_type
SPARQL_QUERY = "application/sparql-query"
RDFS_LABEL = RDFS + "label"
PREFIXES = f"PREFIX ckg: <{ONTOLOGY}>\nPREFIX schema: <{SCHEMA}>\nPREFIX rdfs: <{RDFS}>\n"

COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"  # the named graphs' quads
# Four-way cross product of the whole graph (~10^16 rows): only the time limit ends it.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
# Discard port on loopback: the guard must refuse the query before anything is sent anywhere.
SERVICE_URL = "http://127.0.0.1:9/sparql"


@dataclass
class Outcome:
    """One request and what came of it."""

    cls: str
    kind: str
    started: float  # time.monotonic()
    seconds: float
    status: int | None  # None: no HTTP answer (connection error or client timeout)
    problem: str = ""  # empty: the request got what it should
    build: str | None = None  # Graph-Build of the answer (or /health's build id)
    count: int | None = None  # the probe's count of quads, judged against the build afterwards
    retry_after: str | None = None

    @property
    def ended(self) -> float:
        return self.started + self.seconds

    @property
    def ok(self) -> bool:
        return not self.problem


# --- the answers, worked out in advance -------------------------------------------------------------

Rows = list[tuple]  # a multiset of rows, each a sorted tuple of (variable, value) for its bound variables
Triples = frozenset  # of (subject, predicate, object) in N-Triples spelling


def rows_of_solutions(solutions) -> Rows:
    names = [v.value for v in solutions.variables]
    return sorted(tuple(sorted((n, s[n].value) for n in names if s[n] is not None)) for s in solutions)


def rows_of_json(body: dict) -> Rows:
    return sorted(tuple(sorted((k, v["value"]) for k, v in row.items())) for row in body["results"]["bindings"])


def triples_of(terms) -> Triples:
    return frozenset((str(t.subject), str(t.predicate), str(t.object)) for t in terms)


@dataclass(frozen=True)
class Query:
    """An ad-hoc query with its answer: rows for SELECT, triples for CONSTRUCT."""

    name: str
    text: str
    rows: Rows | None = None
    triples: Triples | None = None
    size: int = 0


@dataclass(frozen=True)
class SavedCall:
    """`/queries/NAME?…` with its answer."""

    name: str
    params: dict
    rows: Rows | None = None
    triples: Triples | None = None
    size: int = 0


@dataclass
class Oracle:
    """The answers every valid request must get, evaluated once on the reference store."""

    entities: list[str]  # IRIs with at least one label
    labels: dict[str, Triples]  # entity IRI -> its label triples
    pages: dict[str, Triples]  # entity IRI -> the triples of its page for RDF clients, where they fit
    saved: list[SavedCall]
    adhoc: list[Query]

    @classmethod
    def from_store(cls, store: ox.Store, saved_dir: Path, queries_dir: Path, row_limit: int) -> "Oracle":
        def answer(text: str, substitutions=None) -> tuple[Rows | None, Triples | None, int]:
            """Rows or triples, and how many the server counts against the row limit (before duplicates go)."""
            result = store.query(text, substitutions=substitutions)
            if isinstance(result, ox.QuerySolutions):
                rows = rows_of_solutions(result)
                return rows, None, len(rows)
            triples = list(result)
            return None, triples_of(triples), len(triples)

        def select(text: str) -> Rows:
            return answer(text)[0]

        labelled = select(PREFIXES + "SELECT ?e ?l WHERE { ?e rdfs:label ?l "
                                     f'FILTER(STRSTARTS(STR(?e), "{ENTITY}")) }}')
        entities = sorted({dict(row)["e"] for row in labelled})
        labels = {e: answer(f"CONSTRUCT {{ <{e}> <{RDFS_LABEL}> ?l }} WHERE {{ <{e}> <{RDFS_LABEL}> ?l }}")[1]
                  for e in entities}
        # What an RDF client gets at /id/NAME, where it fits under the row limit.
        descriptions = {e: answer(linked_data.DESCRIPTION, {ox.Variable("resource"): ox.NamedNode(e)})
                        for e in entities}
        pages = {e: triples for e, (_, triples, size) in descriptions.items() if size <= row_limit}
        groups = [dict(row)["g"] for row in select(PREFIXES + "SELECT DISTINCT ?g WHERE { ?x ckg:coChairOf ?g }")]
        # A saved query's parameter takes a registry id: membership records (id/membership/…) are labelled
        # entities of the graph, but no such id.
        registry_ids = [e for e in entities if "/" not in e[len(ENTITY):]]

        saved = []
        for name, query in sorted(saved_queries.load_all(saved_dir).items()):
            # Each parameter over every group and a spread of entities (most of them give empty answers for
            # a group parameter, which is an answer too); a query without parameters once.
            values = [{}] if not query.params else [
                {param.name: value} for param in query.params
                for value in [g[len(ENTITY):] for g in groups] + [e[len(ENTITY):] for e in registry_ids[::4]]]
            for params in values:
                saved.append(SavedCall(name, params, *answer(*query.bound(params))))

        # Ad-hoc queries, (name, text): the FILTER and VALUES keep the label queries off the one-subject
        # lookup path, so that they go to an evaluator child; ORDER BY is total wherever LIMIT cuts.
        adhoc = []
        for e in entities:
            adhoc.append(("labels-select", PREFIXES + f"SELECT ?l WHERE {{ ?e rdfs:label ?l FILTER(?e = <{e}>) }}"))
            adhoc.append(("labels-construct", PREFIXES + "CONSTRUCT { ?e rdfs:label ?l } WHERE { "
                                                         f"VALUES ?e {{ <{e}> }} ?e rdfs:label ?l }}"))
        for limit in range(1, 41, 3):
            adhoc.append(("types-count", PREFIXES + "SELECT ?type (COUNT(*) AS ?n) WHERE { ?s a ?type } "
                                                    f"GROUP BY ?type ORDER BY DESC(?n) ?type LIMIT {limit}"))
        for offset in range(8):
            adhoc.append(("meetings-page", PREFIXES + "SELECT ?m ?d WHERE { ?m a ckg:Meeting ; schema:startDate ?d } "
                                                      f"ORDER BY ?d ?m OFFSET {offset} LIMIT 3"))
        project_queries = saved_queries.load_all(queries_dir)
        adhoc += [(name, project_queries[name].bound({})[0]) for name in ("timeline", "coalition-size")]
        answered = [Query(name, text, *answer(text)) for name, text in adhoc]

        # Only answers under the row limit: a cut answer's rows may be any of the full answer's.
        oracle = cls(entities, labels, pages, [c for c in saved if c.size <= row_limit],
                     [q for q in answered if q.size <= row_limit])
        oracle.check_known_values()
        return oracle

    def check_known_values(self) -> None:
        """The seeds' facts the issue names, so that a wrong reference store cannot pass for a right one."""
        by_name = {q.name: q for q in self.adhoc}
        sizes = [dict(row)["count"] for row in by_name["coalition-size"].rows]
        if sorted(set(sizes)) != ["77", "84", "86"]:
            raise ValueError(f"the reference store's coalition sizes are {sizes}, not 77, 84 and 86")
        if not any(dict(row)["meeting"] == ENTITY + "skhirat-2018" for row in by_name["timeline"].rows):
            raise ValueError("the reference store's timeline has no Skhirat meeting")


# --- making and judging one request -------------------------------------------------------------------

@dataclass
class Context:
    """What a client needs to make requests: where the server is, its limits and the expected answers."""

    url: str
    oracle: Oracle
    max_body: int
    query_timeout: float
    client: int = 0
    sent: int = 0  # requests this client made, for unique comments
    rng: random.Random = field(default_factory=random.Random)

    def nonce(self) -> str:
        """A comment that makes a query's text unique, so that no cache answers it."""
        self.sent += 1
        return f"\n# load test: client {self.client}, request {self.sent}\n"


class Judged(Exception):
    """The answer is wrong; the message says how."""


def timed(cls: str, kind: str, send: Callable[[], requests.Response],
          judge: Callable[[requests.Response, Outcome], None]) -> Outcome:
    """Send one request, time it until its whole body is read, and judge the answer."""
    started = time.monotonic()
    try:
        response = send()
        _ = response.content
    except requests.RequestException as error:
        return Outcome(cls, kind, started, time.monotonic() - started, None,
                       problem=f"no answer: {type(error).__name__}: {error}"[:300])
    outcome = Outcome(cls, kind, started, time.monotonic() - started, response.status_code,
                      build=response.headers.get("Graph-Build"), retry_after=response.headers.get("Retry-After"))
    try:
        judge(response, outcome)
    except Judged as wrong:
        outcome.problem = str(wrong)[:300]
    except (ValueError, KeyError, TypeError, SyntaxError) as error:  # unreadable body
        outcome.problem = f"unreadable answer ({response.status_code}): {type(error).__name__}: {error}"[:300]
    return outcome


def expect_ok(response: requests.Response) -> None:
    if response.status_code != 200:
        raise Judged(f"status {response.status_code}: {response.text[:160]!r}")
    if not response.headers.get("Graph-Build"):
        raise Judged("no Graph-Build header")


def expect_rows(expected: Rows) -> Callable:
    def judge(response, outcome):
        expect_ok(response)
        got = rows_of_json(response.json())
        if got != expected:
            raise Judged(f"{len(got)} rows, not the {len(expected)} expected; first: {got[:1]} vs {expected[:1]}")
    return judge


def expect_triples(expected: Triples, fmt: ox.RdfFormat) -> Callable:
    def judge(response, outcome):
        expect_ok(response)
        got = triples_of(ox.parse(response.content, fmt))
        if got != expected:
            missing = sorted(expected - got)[:2]
            raise Judged(f"{len(got)} triples, not the {len(expected)} expected; missing e.g. {missing}")
    return judge


def expect_status(allowed: set[int]) -> Callable:
    def judge(response, outcome):
        if response.status_code not in allowed:
            raise Judged(f"status {response.status_code}, expected {sorted(allowed)}: {response.text[:160]!r}")
        if response.status_code == 429 and not response.headers.get("Retry-After"):
            raise Judged("429 without Retry-After")
    return judge


def post_query(ctx: Context, session: requests.Session, text: str, accept: str = RESULTS_JSON,
               timeout: float = 30, content_type: str = SPARQL_QUERY) -> requests.Response:
    return session.post(ctx.url + "/sparql", data=text.encode("utf-8"), timeout=timeout,
                        headers={"Content-Type": content_type, "Accept": accept})


def pick(rng: random.Random, choices: list):
    """A name first, then one of its variants: every query as often as every other, however many variants."""
    name = rng.choice(sorted({c.name for c in choices}))
    return rng.choice([c for c in choices if c.name == name])


# saved --------------------------------------------------------------------------------------------------

def saved(ctx: Context, session: requests.Session) -> Outcome:
    call = pick(ctx.rng, ctx.oracle.saved)
    query = "&".join(f"{k}={quote(v)}" for k, v in call.params.items())
    url = f"{ctx.url}/queries/{call.name}?format=json" + (f"&{query}" if query else "")
    if call.rows is not None:
        judge = expect_rows(call.rows)
    else:  # a CONSTRUCT: format=json is JSON-LD
        judge = expect_triples(call.triples, ox.RdfFormat.JSON_LD)
    return timed("saved", call.name, lambda: session.get(url, timeout=30), judge)


# lookup -------------------------------------------------------------------------------------------------

def lookup(ctx: Context, session: requests.Session) -> Outcome:
    choice = ctx.rng.random()
    if choice < 0.45:  # a one-subject lookup by GET (the web process answers it itself)
        entity = ctx.rng.choice(ctx.oracle.entities)
        text = f"SELECT ?o WHERE {{ <{entity}> <{RDFS_LABEL}> ?o }}"
        rows = sorted((("o", _literal_value(o)),) for _, _, o in ctx.oracle.labels[entity])
        return timed("lookup", "sparql-lookup", lambda: session.get(
            ctx.url + "/sparql", params={"query": text}, headers={"Accept": RESULTS_JSON}, timeout=30),
            expect_rows(rows))
    if choice < 0.9:  # an entity's page for RDF clients, as N-Triples
        entity = ctx.rng.choice(list(ctx.oracle.pages))
        path = "/id/" + entity[len(ENTITY):]
        return timed("lookup", "entity", lambda: session.get(ctx.url + path, params={"format": "ntriples"}, timeout=30),
                     expect_triples(ctx.oracle.pages[entity], ox.RdfFormat.N_TRIPLES))
    return timed("lookup", "health", lambda: session.get(ctx.url + "/health", timeout=30), judge_health)


def judge_health(response, outcome):
    if response.status_code != 200:
        raise Judged(f"status {response.status_code}: {response.text[:160]!r}")
    body = response.json()
    if body.get("status") != "ok" or not body.get("build_id"):
        raise Judged(f"unhealthy: {body}")
    outcome.build = body["build_id"]


def _literal_value(ntriples_literal: str) -> str:
    """The lexical value of a literal in N-Triples spelling ("…"@lang or "…"^^<…>)."""
    return json.loads(ntriples_literal[: ntriples_literal.rindex('"') + 1])


# adhoc and probe -------------------------------------------------------------------------------------------

def adhoc(ctx: Context, session: requests.Session) -> Outcome:
    query = pick(ctx.rng, ctx.oracle.adhoc)
    text = query.text + ctx.nonce()
    if query.triples is not None:
        return timed("adhoc", query.name, lambda: post_query(ctx, session, text, accept=N_TRIPLES),
                     expect_triples(query.triples, ox.RdfFormat.N_TRIPLES))
    return timed("adhoc", query.name, lambda: post_query(ctx, session, text), expect_rows(query.rows))


def probe(ctx: Context, session: requests.Session) -> Outcome:
    text = COUNT_ALL + ctx.nonce()

    def judge(response, outcome):
        expect_ok(response)
        outcome.count = int(response.json()["results"]["bindings"][0]["n"]["value"])

    return timed("probe", "count-all", lambda: post_query(ctx, session, text), judge)


# malformed ---------------------------------------------------------------------------------------------------

# Refusals of the guard are 403 today; 400 is as right for a request that is not a read-only query.
REFUSED = {400, 403}


def malformed(ctx: Context, session: requests.Session) -> Outcome:
    kind = ctx.rng.choice(list(MALFORMED))
    send, allowed = MALFORMED[kind](ctx, session)
    return timed("malformed", kind, send, expect_status(allowed))


def _syntax(ctx, session):
    text = "SELECT ?x WHERE { ?x ?y " + ctx.nonce()
    return (lambda: post_query(ctx, session, text)), {400}


def _content_type(ctx, session):
    text = "ASK { ?s ?p ?o }" + ctx.nonce()
    return (lambda: post_query(ctx, session, text, content_type="text/plain")), {415}


def _oversize(ctx, session):
    # Just over the limit: small enough to sit in the socket buffers, so that a server that answers 413
    # without reading the body cannot make the upload itself fail.
    text = "#" + "x" * ctx.max_body + "\nASK {}"
    return (lambda: post_query(ctx, session, text)), {413}


def _service(ctx, session):
    text = f"SELECT * WHERE {{ SERVICE <{SERVICE_URL}> {{ ?s ?p ?o }} }}" + ctx.nonce()
    return (lambda: post_query(ctx, session, text)), REFUSED


def _update_by_content_type(ctx, session):
    text = f"INSERT DATA {{ <{ENTITY}load-test> <{RDFS_LABEL}> \"x\" }}" + ctx.nonce()
    return (lambda: post_query(ctx, session, text, content_type="application/sparql-update")), REFUSED


def _update_as_query(ctx, session):
    text = "DROP ALL" + ctx.nonce()
    return (lambda: post_query(ctx, session, text)), REFUSED


MALFORMED = {"syntax": _syntax, "content-type": _content_type, "oversize": _oversize, "service": _service,
             "update-content-type": _update_by_content_type, "update-as-query": _update_as_query}


# runaway ---------------------------------------------------------------------------------------------------

# Stopped by the time limit (503), or refused first by admission control (429, or 503 before the time
# limit), which must then say when to come back (Retry-After).
RUNAWAY_STATUSES = {503, 429}


def expect_runaway_stopped(query_timeout: float) -> Callable:
    allowed = expect_status(RUNAWAY_STATUSES)

    def judge(response, outcome):
        allowed(response, outcome)
        if response.status_code == 503 and outcome.seconds < query_timeout and not outcome.retry_after:
            raise Judged(f"503 after {outcome.seconds:.2f} s, before the time limit, without Retry-After")
    return judge


def runaway(ctx: Context, session: requests.Session) -> Outcome:
    text = RUNAWAY + ctx.nonce()  # unique, so that concurrent runaways do not share one evaluation
    return timed("runaway", "cross-product", lambda: post_query(ctx, session, text, timeout=ctx.query_timeout + 60),
                 expect_runaway_stopped(ctx.query_timeout))


# The general clients' mix, by weight; runaways have clients of their own (benchmarks/load.py).
MIX = {saved: 30, lookup: 30, adhoc: 25, probe: 5, malformed: 10}


def status_counts(outcomes) -> dict[str, int]:
    return dict(sorted(Counter(str(o.status) if o.status is not None else "no answer" for o in outcomes).items()))
