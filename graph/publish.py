"""`ckg publish`: the current build copied into an existing SPARQL engine, replacing the one published before.

The steps, each of which must succeed before the next starts:

1. stage: every named graph of the build, and its default graph (the RDF merge of the named graphs) as
   the named graph MERGED, is uploaded by the Graph Store HTTP Protocol (a PUT of its
   N-Triples) into a staging graph of its own, named after the build (STAGING), beside the graphs that
   serve;
2. check: each staging graph's triple count, asked of the engine, must equal the local store's;
3. swap: each served graph is replaced by its staging graph (DROP SILENT GRAPH, MOVE), the graphs of the
   previous build that this one lacks are dropped, and the metadata graph (METADATA) is rewritten with the
   build id and the list of the build's graphs, last.

On Oxigraph (and on a generic SPARQL 1.1 engine) the swap is one SPARQL Update request of several
operations, which Oxigraph applies in one transaction: readers see the previous build or the new one,
never a mix. Virtuoso does not promise that of a request, so there the swap goes graph by graph, one
request each, and the metadata graph is written after the last graph: while it runs (and if it fails
midway) some graphs are already the new build's while the metadata still names the previous build;
publishing again finishes it. A failure before the swap (an upload refused, a count that differs, the
engine gone) changes nothing that serves: the staging graphs are deleted (if the engine still answers)
and the error says what failed.

Two publishes to one engine never run at once: each says so in the engine first (the graph LOCKS, see
_lock), and stops, changing nothing, if another one is under way. A publish renews its lock while it runs
(_Renewal), so that only the lock of a publish that died expires, and checks before the swap that its lock
is still there.

A reader who wants exactly the published build queries it as our endpoint answers: FROM MERGED (each fact
once) and FROM NAMED each other graph the metadata graph lists (Published.dataset, then
sparql_http.with_dataset). FROM every named graph would not do: Oxigraph and Virtuoso both count a triple
once per graph that holds it. An engine's union default graph also holds the staging graphs while a
publish runs, and Virtuoso's holds its own system graphs.
"""

from __future__ import annotations

import calendar
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pyoxigraph as ox

from coalition_kg.namespaces import DCTERMS, GRAPH, VOID, XSD
from . import store, store_manifest
from .errors import CorruptStore
from .internal_queries import internal_query
from .query_outline import with_values
from .sparql_http import PASSWORD_VARIABLE, USER_VARIABLE, Client, EngineError, Endpoints

METADATA = GRAPH + "published"  # the graph, and the subject, that says which build is published
# Our store's default graph, the RDF merge of the named graphs, published as a named graph: FROM it, a query
# sees each fact once, as a query that names no graph does at our endpoint.
MERGED = GRAPH + "merged"
_LOCK_NAME = re.compile(r"[0-9a-f]{16}-[0-9]+-[0-9a-f]{8}")  # build id, process, random: see _lock
LOCKS = GRAPH + "publishing"  # where each publish under way says so (see _lock)
LOCK_MINUTES = 60  # a lock not renewed for this long is of a publish that died
RENEWALS_PER_LIFETIME = 6  # a publish under way renews its lock every LOCK_MINUTES / 6 (10 minutes)
RENEWAL_THREAD = "ckg publish: lock renewal"
STAGING = GRAPH + "staging/"    # + build id + "/" + the graph's number in the build's sorted list
# Terms of Dublin Core for the metadata, so that the ontology (and so every build id) stays as it is.
# (graph/sparql/published-build.rq reads them back.)
IDENTIFIER = DCTERMS + "identifier"  # the build id
HAS_PART = DCTERMS + "hasPart"       # each graph of the build
CREATED = DCTERMS + "created"        # when the build was made; when a publish under way started (its lock)
MODIFIED = DCTERMS + "modified"      # when a publish under way last said it is alive (its lock, renewed)
ISSUED = DCTERMS + "issued"          # when it was published
TRIPLES = VOID + "triples"         # each graph's triple count, as counted on the engine
XSD_DATETIME = XSD + "dateTime"


class PublishError(Exception):
    """A publish stopped; the message says at which step and why, and what still serves."""


class PublishTargetError(ValueError):
    """The engine to publish to is not said rightly (its addresses, or the account it needs)."""


@dataclass(frozen=True)
class Engine:
    name: str
    atomic_swap: bool  # the swap is one update request, applied in one transaction
    needs_credentials: bool = False

    def endpoints(self, base: str) -> Endpoints:
        base = base.rstrip("/")
        if self.name == "oxigraph":  # `oxigraph serve`: /query, /update, /store
            return Endpoints(base + "/query", base + "/update", base + "/store")
        if self.name == "virtuoso":  # the endpoints that take Digest authentication (the dba account)
            return Endpoints(base + "/sparql-auth", base + "/sparql-auth", base + "/sparql-graph-crud-auth")
        raise ValueError(f"the {self.name} engine takes its three URLs (--query-url, --update-url, --gsp-url)")


ENGINES = {
    "oxigraph": Engine("oxigraph", atomic_swap=True),
    "virtuoso": Engine("virtuoso", atomic_swap=False, needs_credentials=True),
    # SPARQL 1.1 Update asks that a request be applied atomically; an engine that does not is a Virtuoso
    "sparql11": Engine("sparql11", atomic_swap=True),
}


@dataclass(frozen=True)
class Published:
    """What the engine's metadata graph says: the build that serves and its graphs."""

    build_id: str
    graphs: tuple[str, ...]  # the build's named graphs and MERGED
    # What `ckg serve --backend` shows of the build (server/remote_backend.py): each graph's triple count
    # (void:triples; empty for a build published before the counts were written) and when it was built.
    counts: dict = field(default_factory=dict, compare=False)
    built_at: str = field(default="", compare=False)

    def dataset(self) -> tuple[list[str], list[str]]:
        """The default graphs (FROM) and the named graphs (FROM NAMED) that query the build as our
        endpoint does."""
        return [MERGED], [graph for graph in self.graphs if graph != MERGED]


@dataclass(frozen=True)
class Report:
    build_id: str
    previous: Published | None
    graphs: dict[str, int]  # triples per graph, as counted on the engine
    seconds: float


def published(client: Client) -> Published | None:
    """The build the engine serves, from its metadata graph; None if nothing was published there."""
    rows = client.select(internal_query("published-build"))
    if not rows:
        return None
    ids = {row["id"]["value"] for row in rows}
    if len(ids) != 1:
        raise EngineError(f"the metadata graph <{METADATA}> names {len(ids)} builds: {', '.join(sorted(ids))}")
    counts = {row["graph"]["value"]: int(row["triples"]["value"]) for row in rows if "graph" in row and "triples" in row}
    created = next((row["created"]["value"] for row in rows if "created" in row), "")
    return Published(ids.pop(), tuple(sorted({row["graph"]["value"] for row in rows if "graph" in row})),
                     counts, created)


def publish(info: store.StoreInfo, engine: Engine, client: Client,
            say: Callable[[str], None] = lambda line: None, lock_seconds: float = LOCK_MINUTES * 60,
            clock: Callable[[], float] = time.time) -> Report:
    """Publish the build described by info; raise PublishError if it could not be done. lock_seconds: how
    long a lock lives without being renewed (the lock of another publish, and this one's, renewed every
    lock_seconds / RENEWALS_PER_LIFETIME); clock: the time written into the lock and read against it."""
    try:
        published(client)  # the engine answers, and the account may read (said before anything is written)
    except EngineError as error:
        raise PublishError(f"could not read what the engine serves, nothing was changed: {error}") from None
    lock = _lock(client, info.build_id, lock_seconds, clock)
    renewal = _Renewal(client.another(), lock, lock_seconds / RENEWALS_PER_LIFETIME, clock)
    try:
        return _publish(info, engine, client, say, lock)
    finally:
        renewal.stop()
        _unlock(client, lock)


def _lock(client: Client, build_id: str, lock_seconds: float, clock: Callable[[], float]) -> str:
    """Say in the engine that a publish is under way, or raise PublishError if another one is.

    Each publish writes a lock of its own (a subject in the graph LOCKS, with when it started and when it
    last said it was alive) and then reads them all: it goes on only if its own is the only one, else it
    takes its own back and stops. Two publishes that start at once may both stop (publishing again is the
    cure), but two can never both go on, on any engine, since nothing relies on an update being atomic. A
    lock not renewed for lock_seconds (by the clock of the machine that reads it) is of a publish that
    died, and is deleted."""
    now = clock()
    subject = f"{LOCKS}/{build_id}-{os.getpid()}-{secrets.token_hex(4)}"
    at = f'"{iso_of(now)}"^^<{XSD_DATETIME}>'
    try:
        client.update(f"INSERT DATA {{ GRAPH <{LOCKS}> {{ <{subject}> <{CREATED}> {at} ; <{MODIFIED}> {at} }} }}")
        rows = client.select(internal_query("publish-locks"))
        others = []
        for row in rows:
            lock, since = row["lock"]["value"], row["at"]["value"]
            if lock == subject:
                continue
            # Only a lock of ours expires here, by its IRI (the delete names it); anything else counts as held.
            ours = (row["lock"]["type"] == "uri" and lock.startswith(LOCKS + "/")
                    and _LOCK_NAME.fullmatch(lock[len(LOCKS) + 1:]) is not None)
            alive = row.get("alive", row["at"])["value"]
            if ours and now - epoch_of(alive) > lock_seconds:
                _unlock(client, lock)
            else:
                others.append(f"{lock.rsplit('/', 1)[-1]} since {since}")
    except EngineError as error:
        _unlock(client, subject)
        raise PublishError(f"could not say in the engine that a publish is under way, nothing was changed: "
                           f"{error}") from None
    if others:
        _unlock(client, subject)
        raise PublishError(f"another publish is under way on this engine ({'; '.join(others)}), nothing was "
                           f"changed; the lock of a publish that died expires {lock_seconds / 60:g} minutes after "
                           f"it was last renewed, or drop the graph <{LOCKS}>")
    return subject


class _Renewal:
    """A lock's time of renewal rewritten every `period` seconds, by a thread of its own, until stop():
    the lock of a publish that runs longer than the lock's lifetime (a long upload, a slow swap) stays
    held, and only that of a publish that died expires. A renewal that fails (the engine did not answer)
    is tried again at the next period: the lock expires only after a whole lifetime without one. The
    thread has a client of its own (urllib's digest authentication keeps its count per client)."""

    def __init__(self, client: Client, lock: str, period: float, clock: Callable[[], float]):
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(client, lock, period, clock), name=RENEWAL_THREAD,
                                        daemon=True)
        self._thread.start()

    def _run(self, client: Client, lock: str, period: float, clock: Callable[[], float]) -> None:
        while not self._stopped.wait(period):
            now = ox.Literal(iso_of(clock()), datatype=ox.NamedNode(XSD_DATETIME))
            try:
                client.update(with_values(internal_query("renew-publish-lock"), {"lock": ox.NamedNode(lock), "now": now}))
            except EngineError:
                pass  # tried again at the next period

    def stop(self) -> None:
        """No renewal after this returns (one under way is waited for)."""
        self._stopped.set()
        self._thread.join()


def _still_held(client: Client, lock: str) -> bool:
    return any(row["lock"]["value"] == lock for row in client.select(internal_query("publish-locks")))


def _unlock(client: Client, lock: str) -> None:
    try:
        client.update(f"DELETE WHERE {{ GRAPH <{LOCKS}> {{ <{lock}> ?p ?o }} }}")
    except EngineError:
        pass  # the engine is gone: the lock, no longer renewed, expires after its lifetime


def iso_of(epoch: float) -> str:
    """An xsd:dateTime in UTC as publish writes it (2026-11-30T06:11:39Z), of seconds since 1970."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def epoch_of(iso: str) -> float:
    """Seconds since 1970 of an xsd:dateTime in UTC as publish writes it (2026-11-30T06:11:39Z); 0 if none."""
    try:
        return float(calendar.timegm(time.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S")))
    except ValueError:
        return 0.0


def _publish(info: store.StoreInfo, engine: Engine, client: Client, say: Callable[[str], None], lock: str) -> Report:
    started = time.perf_counter()
    try:
        store_manifest.verify(info.directory)
    except CorruptStore as error:
        raise PublishError(f"the local store is damaged, nothing was sent: {error}") from None
    if "" in info.graphs:
        raise PublishError("the build has triples in its default graph; only named graphs are published")
    local = info.open_read_only()
    graphs = sorted(info.graphs) + [MERGED]
    sources = {graph: ox.NamedNode(graph) for graph in info.graphs} | {MERGED: ox.DefaultGraph()}
    staging = {graph: f"{STAGING}{info.build_id}/{number}" for number, graph in enumerate(graphs)}
    try:
        previous = published(client)
    except EngineError as error:
        raise PublishError(f"could not read what the engine serves, nothing was changed: {error}") from None
    serving = f"build {previous.build_id} keeps serving" if previous else "nothing was published there before"
    say(f"publishing build {info.build_id} ({len(info.graphs)} graphs, {info.quads} triples, and their merge, "
        f"{info.triples} triples) to {engine.name}; "
        + (f"replacing build {previous.build_id}" if previous else "nothing published there yet"))

    counts: dict[str, int] = {}
    try:
        for graph in graphs:
            # one graph in memory at a time: an article's graph is 250-380 KB of N-Triples; the graphs that grow
            # with the articles (curation, inferred) are 90-140 KB on the seeds, so ~10-15 MB at 100x
            ntriples = local.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=sources[graph])
            expected = ntriples.count(b"\n")  # one triple a line, as Oxigraph writes N-Triples
            client.put_graph(staging[graph], ntriples)
            counts[graph] = client.count(staging[graph])
            if counts[graph] != expected:
                raise PublishError(f"the staging copy of <{graph}> holds {counts[graph]} triples on the engine, "
                                   f"the local store {expected}")
        say(f"staged and counted {len(graphs)} graphs ({sum(counts.values())} triples)")
    except (EngineError, PublishError) as error:
        _discard_staging(client, staging.values())
        raise PublishError(f"staging failed, nothing that serves was changed ({serving}): {error}") from None
    # The lock may have gone while staging (dropped by hand, or deleted as expired by another publish
    # after renewals failed for its whole lifetime): then another publish may be under way, and the swap
    # is not this one's to make.
    try:
        held = _still_held(client, lock)
    except EngineError as error:
        _discard_staging(client, staging.values())
        raise PublishError(f"could not read this publish's lock before the swap, nothing that serves was changed "
                           f"({serving}): {error}") from None
    if not held:
        _discard_staging(client, staging.values())
        raise PublishError(f"this publish's lock is gone from the graph <{LOCKS}> (expired, or dropped), so "
                           f"another publish may be under way: nothing that serves was changed ({serving})")

    retired = [graph for graph in (previous.graphs if previous else ()) if graph not in graphs]
    metadata = _metadata(info, graphs, counts)
    if engine.atomic_swap:
        operations = [op for graph in graphs for op in _replace(graph, staging[graph])]
        operations += [f"DROP SILENT GRAPH <{graph}>" for graph in retired] + metadata
        try:
            client.update(" ;\n".join(operations))
        except EngineError as error:
            # One transaction: all of it was applied or none. A refusal is none; a lost answer is either,
            # so the engine is asked which build it now serves.
            _discard_staging(client, staging.values())
            raise PublishError(f"the swap failed ({_now_serving(client)}): {error}") from None
        say(f"swapped in one update request (atomic on {engine.name}): build {info.build_id} serves")
    else:
        done = 0
        before = f"build {previous.build_id}" if previous else "no build"
        try:
            for graph in graphs:
                client.update(" ;\n".join(_replace(graph, staging[graph])))
                done += 1
            client.update(" ;\n".join(metadata))
            done += 1
            for graph in retired:
                client.delete_graph(graph)
        except EngineError as error:
            if done < len(graphs):
                state = (f"{done} of {len(graphs)} graphs were replaced, the metadata still names {before}: "
                         "publish again to finish")
            elif done == len(graphs):
                state = f"every graph was replaced, the metadata still names {before}: publish again to finish"
            else:
                state = (f"build {info.build_id} serves, but graphs of {before} that it lacks are left: "
                         f"{', '.join(retired)}")
            raise PublishError(f"the swap failed midway on {engine.name}, which swaps graph by graph: {state}: "
                               f"{error}") from None
        say(f"swapped graph by graph ({len(graphs)} update requests, not atomic on {engine.name}), "
            f"metadata last: build {info.build_id} serves")
    return Report(info.build_id, previous, counts, time.perf_counter() - started)


def _replace(graph: str, staged: str) -> list[str]:
    return [f"DROP SILENT GRAPH <{graph}>", f"MOVE <{staged}> TO <{graph}>"]


def _metadata(info: store.StoreInfo, graphs: list[str], counts: dict[str, int]) -> list[str]:
    """The operations that rewrite the metadata graph: the build id, its graphs with their triple counts,
    when it was built and published."""
    issued = iso_of(time.time())
    subject = f"<{METADATA}>"
    triples = [f'{subject} <{IDENTIFIER}> "{info.build_id}"',
               f'{subject} <{CREATED}> "{info.built_at}"^^<{XSD_DATETIME}>',
               f'{subject} <{ISSUED}> "{issued}"^^<{XSD_DATETIME}>']
    triples += [f"{subject} <{HAS_PART}> <{graph}>" for graph in graphs]
    triples += [f"<{graph}> <{TRIPLES}> {counts[graph]}" for graph in graphs]
    return [f"DROP SILENT GRAPH {subject}",
            f"INSERT DATA {{ GRAPH {subject} {{ {' . '.join(triples)} }} }}"]


def _now_serving(client: Client) -> str:
    try:
        now = published(client)
    except EngineError:
        return "the engine does not answer to say which build it serves"
    return f"build {now.build_id} serves" if now else "nothing is published there"


def _discard_staging(client: Client, graphs) -> None:
    """Delete the staging graphs of a failed publish, as far as the engine still answers."""
    for graph in graphs:
        try:
            client.delete_graph(graph)
        except EngineError:
            return  # the engine is gone or refuses: the graphs are left, named after their build


def client_for(engine: Engine, to: str | None, query_url: str | None = None, update_url: str | None = None,
               gsp_url: str | None = None) -> Client:
    """The client of the engine to publish to: `to` for oxigraph and virtuoso, the three endpoints for
    sparql11; the account from the environment, never from the command line. Raises PublishTargetError."""
    urls = (query_url, update_url, gsp_url)
    if engine.name == "sparql11":
        if not all(urls):
            raise PublishTargetError("--engine sparql11 needs --query-url, --update-url and --gsp-url")
        endpoints = Endpoints(*urls)
    else:
        if not to or any(urls):
            raise PublishTargetError(f"--engine {engine.name} takes --to URL (and not the sparql11 URLs)")
        endpoints = engine.endpoints(to)
    client = Client.from_environment(endpoints)
    if engine.needs_credentials and client.anonymous:
        raise PublishTargetError(f"{engine.name} needs {USER_VARIABLE} and {PASSWORD_VARIABLE} in the environment "
                                 "(an account allowed to update, such as dba)")
    return client


def current_build(var: Path) -> store.StoreInfo:
    info = store.current(var)
    if info is None:
        raise PublishError(f"there is no build under {var}: run `ckg build` first")
    return info
