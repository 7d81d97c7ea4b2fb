"""The endpoint benchmark: `ckg serve` against Oxigraph's own server and rdflib-endpoint, same data, one run.

    .venv/bin/python benchmarks/endpoint_bench.py                 # seeds, then the 10x and 100x corpora
    .venv/bin/python benchmarks/endpoint_bench.py --scales 1 --duration 1   # a quick look

For each data size (1 = the seeds; N = benchmarks/corpus.py at N times the seeds) it builds the graph
with `ckg build`, dumps it with `ckg dump --format nquads`, and serves that one dump three ways on
loopback ports:

- Oxigraph: `oxigraph load` of the dump (the named graphs) and of `ckg dump --format turtle` (their merge)
  as the default graph into a fresh store, then `oxigraph serve-read-only`: the dataset ours serves;
- rdflib-endpoint: `rdflib-endpoint serve DUMP.nq` (an rdflib Dataset with default_union=True, in memory);
- ours: `ckg serve` on the built store with its defaults: the time limit, the row cap, the body limit,
  the SERVICE/update guard all on; a second `ckg serve --cache-mb 0` answers the saved queries'
  first-time runs (a saved query's URL has nothing to vary, so its cache is what is switched off).

Then, for every query kind, mode and concurrency, Debian's `wrk` (with wrk_request.lua) sends the query
for `--duration` seconds to each server and reports throughput and latency percentiles:

- kinds: tiny (an ASK), join (the query page's meetings timeline), aggregate (statements per country
  over every graph), path (the Skhirat-to-Riyadh chain), and each saved query (ours over
  /queries/NAME, the peers get the same text by POST with the parameters' defaults written in);
- modes: first (every request unseen: a unique SPARQL comment per request) and repeated (the same
  request every time);
- concurrency: 1, 8 and 32 connections on the seeds; `--scale-concurrency` (8) on the corpora.

Before measuring, every query's answer is fetched from each server and compared: ours and Oxigraph's
must have the same rows; rdflib-endpoint's row counts are recorded (its union default graph is a set,
like our merged default graph).

`--baseline DIR` adds "ours before": the `ckg` of another checkout (DIR/.venv/bin/ckg, DIR's own saved
queries) builds its own store from the same inputs and is served the same way, measured in the same
run, so a change to the server or the store can be compared with what it replaces. wrk's own ceiling is measured against a static
page of Oxigraph's server, with wrk's CPU time, so that the load generator is known not to be the limit.

Writes benchmarks/results/endpoint.json, endpoint.md (ratios) and endpoint.png.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BIN = Path(sys.executable).parent
LUA = HERE / "wrk_request.lua"
sys.path.insert(0, str(REPO))

from coalition_kg.server.formats import BY_NAME  # noqa: E402 (after the path above)

JSON_RESULTS = BY_NAME["json"].media_type  # what every endpoint, ours and the peers, is asked for


# --- the queries --------------------------------------------------------------------------------

@dataclass
class Query:
    kind: str  # tiny, join, aggregate, path, saved
    name: str
    text: str  # what the peers (and our /sparql) get
    saved: str | None = None  # our saved query's name: ours is asked /queries/NAME instead


def load_queries(anchors: dict[str, str]) -> list[Query]:
    from coalition_kg.graph import saved_queries

    queries = []
    for kind in ("tiny", "join", "aggregate", "path"):
        # join: the query page's meetings timeline, read from its one home
        source = REPO / "server" / "sparql" / "meetings-timeline.rq" if kind == "join" else HERE / "queries" / f"{kind}.rq"
        text = source.read_text(encoding="utf-8")
        for key, iri in anchors.items():
            text = text.replace(f"https://w3id.org/coalition-kg/id/{key}", iri)
        queries.append(Query(kind, kind, text))
    for name, saved in saved_queries.load_all(REPO / "queries").items():
        queries.append(Query("saved", name, with_defaults(saved), saved=name))
    return queries


def with_defaults(saved) -> str:
    """The saved query's text with its parameters' defaults written in, for servers that have no
    substitution: the inline binding of graph/saved_queries.py. The answers are compared before
    measuring, so a query this does not fit shows."""
    from coalition_kg.graph import saved_queries

    bindings = saved.substitutions({})
    return saved_queries.inline(saved.text, bindings) if bindings else saved.text


# --- data ---------------------------------------------------------------------------------------

def run(cmd, **kwargs):
    return subprocess.run([str(c) for c in cmd], check=True, **kwargs)


def prepare_data(scale: int, work: Path, rebuild: bool) -> dict:
    """Build the graph at this scale (reused when already built), dump it, load it into Oxigraph."""
    work.mkdir(parents=True, exist_ok=True)
    var, dump, merge, oxdb = work / "var", work / "data.nq", work / "default.ttl", work / "oxigraph"
    facts = {"scale": scale}
    if rebuild or not (var / "current").exists() or not dump.exists() or not merge.exists():
        for stale in (var, dump, merge):
            if stale.is_dir():
                shutil.rmtree(stale)
            elif stale.exists():
                stale.unlink()
        root = REPO
        if scale > 1:
            from benchmarks import corpus

            root = work / "project"
            corpus.generate(root, scale)
        env = {**os.environ, "CKG_VAR": str(var)}
        started = time.monotonic()
        run([BIN / "ckg", "--root", root, "build"], env=env, stdout=subprocess.DEVNULL)
        facts["build_s"] = round(time.monotonic() - started, 2)
        run([BIN / "ckg", "--root", root, "dump", "--format", "nquads", "-o", dump], env=env)
        # The dump holds the named graphs; the Turtle dump is their merge, our default graph.
        run([BIN / "ckg", "--root", root, "dump", "--format", "turtle", "-o", merge], env=env)
    if oxdb.exists():
        shutil.rmtree(oxdb)
    for data_file in (dump, merge):  # a Turtle file goes to the default graph
        run([BIN / "oxigraph", "load", "--location", oxdb, "--file", data_file], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
    with open(dump, "rb") as f:
        facts["quads"] = sum(1 for _ in f)
    facts.update(var=var, dump=dump, oxdb=oxdb, root=(work / "project") if scale > 1 else REPO)
    return facts


def prepare_baseline(baseline: Path, data: dict, work: Path, rebuild: bool) -> dict:
    """The same inputs built by the baseline checkout's ckg into a var of its own, with its saved queries."""
    root, var = work / "baseline-project", work / "baseline-var"
    if rebuild or not (var / "current").exists():
        for stale in (root, var):
            if stale.is_dir():
                shutil.rmtree(stale)
        root.mkdir(parents=True)
        for folder in ("seeds", "ontology"):
            shutil.copytree(Path(data["root"]) / folder, root / folder)
        shutil.copytree(baseline / "queries", root / "queries")
        run([baseline / ".venv" / "bin" / "ckg", "--root", root, "build"], env={**os.environ, "CKG_VAR": str(var)},
            stdout=subprocess.DEVNULL)
    return {"root": root, "var": var, "ckg": baseline / ".venv" / "bin" / "ckg"}


# --- servers ------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    sparql_url: str  # where the protocol requests go
    base: str
    process: subprocess.Popen

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def post(url: str, query: str, timeout: float = 120) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=query.encode("utf-8"), method="POST",
                                     headers={"Content-Type": "application/sparql-query", "Accept": JSON_RESULTS})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def get(url: str, timeout: float = 120) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Accept": JSON_RESULTS})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def start(name: str, cmd: list, sparql_path: str, port: int, log: Path, env=None, ready_s: float = 600) -> Server:
    out = open(log, "wb")
    process = subprocess.Popen([str(c) for c in cmd], stdout=out, stderr=subprocess.STDOUT, env=env,
                               start_new_session=True, cwd=REPO)
    base = f"http://127.0.0.1:{port}"
    server = Server(name, base + sparql_path, base, process)
    deadline = time.monotonic() + ready_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if post(server.sparql_url, "ASK {}", timeout=5)[0] == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{name} did not come up; see {log}")


def server_starters(data: dict, work: Path, query_timeout: float | None, baseline: dict | None = None) -> dict:
    """How to start ours (with and without its cache), the baseline's if any, and Oxigraph's server,
    measured side by side; kept so that a server can be started afresh after a slow query (see measure)."""

    def ours(name: str, build: dict, *extra):
        env = {**os.environ, "CKG_VAR": str(build["var"])}
        # wrk's connections all come from 127.0.0.1: the per-client cap would refuse (429) what is one
        # client per connection here, so it is off; throughput, not fairness, is measured.
        ckg = [build.get("ckg", BIN / "ckg"), "--root", build["root"], "serve", "--host", "127.0.0.1", "--no-build",
               "--access-log", work / f"{name}-access.log", "--per-client-queries", 0]
        if query_timeout is not None:  # still hard limits, only larger: the corpora's big queries need them
            ckg += ["--query-timeout", query_timeout, "--evaluator-memory-mb", 8192]

        def starter() -> Server:
            port = free_port()
            return start(name, [*ckg, "--port", port, *extra], "/sparql", port, work / f"{name}.log", env)
        return starter

    def oxigraph() -> Server:
        # No --timeout-s: oxigraph 0.5.13 starts a timer thread per request that lives for the whole
        # timeout, and under wrk it runs out of threads within seconds (see README.md).
        port = free_port()
        return start("oxigraph", [BIN / "oxigraph", "serve-read-only", "--location", data["oxdb"],
                                  "--bind", f"127.0.0.1:{port}"],
                     "/query", port, work / "oxigraph.log")

    starters = {"ckg": ours("ckg", data), "ckg-nocache": ours("ckg-nocache", data, "--cache-mb", "0")}
    if baseline is not None:
        starters.update({"before": ours("before", baseline),
                         "before-nocache": ours("before-nocache", baseline, "--cache-mb", "0")})
    return {**starters, "oxigraph": oxigraph}


def start_rdflib(data: dict, work: Path) -> Server:
    """rdflib-endpoint, run on its own after the others are stopped: it goes on evaluating a query its
    client has given up on, and would take the CPUs from whatever is measured next."""
    port = free_port()
    return start("rdflib", [BIN / "rdflib-endpoint", "serve", data["dump"], "--host", "127.0.0.1", "--port", port],
                 "/", port, work / "rdflib.log")


# --- answers ------------------------------------------------------------------------------------

def rows_of(body: bytes):
    doc = json.loads(body)
    if "boolean" in doc:
        return [("boolean", doc["boolean"])]
    return sorted(tuple(sorted((k, v.get("value"), v.get("xml:lang"), v.get("datatype")) for k, v in b.items()))
                  for b in doc["results"]["bindings"])


def check_answers(servers: dict[str, Server], queries: list[Query], report: dict | None = None,
                  timeout: float = 120, restart=None) -> dict:
    """Each query once on every server: status, rows, and whether ours has Oxigraph's rows. A server
    that does not answer within `timeout` is recorded so, and restarted (`restart`) if it can be."""
    report = {} if report is None else report
    for q in queries:
        entry = report.setdefault(q.name, {})
        for name in list(servers):
            server = servers[name]
            if name.endswith("-nocache"):
                continue
            started = time.monotonic()
            try:
                if name in OURS and q.saved:
                    status, body = get(f"{server.base}/queries/{q.saved}", timeout)
                else:
                    status, body = post(server.sparql_url, q.text, timeout)
            except OSError:  # no answer in time
                status, body = None, b""
                if restart is not None:
                    server.stop()
                    servers[name] = restart()
            elapsed = time.monotonic() - started
            rows = rows_of(body) if status == 200 else None
            entry[name] = {"status": status if status is not None else f"no answer in {timeout:g} s",
                           "rows": None if rows is None else len(rows), "first_request_ms": round(elapsed * 1000, 2),
                           "_rows": rows}
        ours, theirs = entry.get("ckg", {}).get("_rows"), entry.get("oxigraph", {}).get("_rows")
        entry["ckg_equals_oxigraph"] = ours is not None and ours == theirs
        if "before" in entry:
            entry["ckg_equals_before"] = ours is not None and ours == entry["before"]["_rows"]
    return report


def drop_rows(report: dict) -> dict:
    """The report without the rows themselves (kept only to compare them)."""
    return {q: {k: ({kk: vv for kk, vv in v.items() if kk != "_rows"} if isinstance(v, dict) else v)
                for k, v in entry.items()} for q, entry in report.items()}


# --- wrk ----------------------------------------------------------------------------------------

OURS = ("ckg", "before")  # our server, and the baseline's (--baseline)

def wrk(url: str, method: str, body_file: Path | None, bust: bool, connections: int, duration: float) -> dict:
    threads = min(connections, 2)
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(duration))}s", "--timeout", "60s",
           "-s", str(LUA), url, "--", method, str(body_file or "-"), JSON_RESULTS, "1" if bust else "0"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next(l for l in out.splitlines() if l.startswith("WRK_JSON "))
    raw = json.loads(line[len("WRK_JSON "):])
    seconds = raw["duration_us"] / 1e6
    errors = sum(raw["errors"].values())
    return {
        "requests": raw["requests"],
        "rps": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        "p50_ms": raw["latency_us"]["p50"] / 1000,
        "p99_ms": raw["latency_us"]["p99"] / 1000,
        "mean_ms": round(raw["latency_us"]["mean"] / 1000, 3),
        "errors": errors,
        "error_detail": {k: v for k, v in raw["errors"].items() if v},
        "wrk_cpu_s": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 3),
        "seconds": round(seconds, 2),
    }


def measure(servers: dict[str, Server], queries: list[Query], concurrency: list[int], duration: float,
            work: Path, log, answers: dict, restarts: dict | None = None) -> list[dict]:
    rows = []
    bodies = work / "bodies"
    bodies.mkdir(exist_ok=True)
    for q in queries:
        body = bodies / f"{q.name}.rq"
        body.write_text(q.text, encoding="utf-8")
        for mode in ("first", "repeated"):
            for c in concurrency:
                for name in ("ckg", "before", "oxigraph", "rdflib"):
                    if name not in servers:
                        continue
                    server = servers[name]
                    if name in OURS and q.saved:
                        # A saved query's URL has nothing to vary: its first-time runs go to the
                        # server whose cache is off.
                        target = servers[f"{name}-nocache"] if mode == "first" else server
                        result = wrk(f"{target.base}/queries/{q.saved}", "GET", None, False, c, duration)
                    else:
                        seconds = duration
                        if name == "rdflib":
                            # rdflib-endpoint evaluates on its event loop, one query at a time: give a
                            # slow query time to answer c requests a few times over (at most 4 s).
                            single = answers[q.name]["rdflib"]["first_request_ms"] / 1000
                            seconds = min(max(duration, 4 if single * c * 2 > duration else duration), 4)
                        result = wrk(server.sparql_url, "POST", body, mode == "first", c, seconds)
                    slow = answers[q.name].get(name, {}).get("first_request_ms", 0) > 250 * duration
                    if name != "rdflib" and slow and (mode == "first" or name == "oxigraph") and restarts:
                        # wrk stops at the deadline, but the requests it leaves behind are still being
                        # evaluated (Oxigraph's server has no time limit; ours has one of minutes here):
                        # start the server afresh so that they take no CPU from the next run.
                        target_name = f"{name}-nocache" if name in OURS and q.saved else name
                        servers[target_name].stop()
                        servers[target_name] = restarts[target_name]()
                    if name == "rdflib":
                        # wrk stops counting at the deadline, but rdflib-endpoint goes on through the
                        # requests still queued on its event loop; wait until it is idle, or start it
                        # afresh, so that it does not take the CPUs from the next run.
                        try:
                            post(server.sparql_url, "ASK {}", timeout=30)
                        except OSError:
                            log("  rdflib-endpoint still busy after 30 s: restarted")
                            server.stop()
                            servers[name] = restarts[name]()
                    result.update(server=name, query=q.name, kind=q.kind, mode=mode, concurrency=c)
                    rows.append(result)
                    log(f"  {q.name:20} {mode:8} c={c:<3} {name:9} {result['rps']:>9.1f} req/s  "
                        f"p50 {result['p50_ms']:8.2f} ms  p99 {result['p99_ms']:8.2f} ms"
                        + (f"  errors {result['error_detail']}" if result["errors"] else ""))
    return rows


def wrk_ceiling(server: Server, concurrency: list[int], duration: float) -> list[dict]:
    """wrk against a static page of Oxigraph's Rust server: how many requests wrk itself can drive."""
    out = []
    for c in concurrency:
        result = wrk(server.base + "/", "GET", None, False, c, duration)
        result.update(concurrency=c, cpu_s_per_1000_requests=round(1000 * result["wrk_cpu_s"] / max(1, result["requests"]), 4))
        out.append(result)
    return out


def anchors_for(server: Server, scale: int) -> dict[str, str]:
    """The IRIs the tiny and path queries start from: the seeds' own, or the corpus's equivalents."""
    base = "https://w3id.org/coalition-kg/id/"
    if scale == 1:
        return {}
    _, body = post(server.sparql_url, """PREFIX schema: <http://schema.org/>
        SELECT ?c WHERE { ?c a schema:City } ORDER BY ?c LIMIT 1""")
    city = json.loads(body)["results"]["bindings"][0]["c"]["value"]
    _, body = post(server.sparql_url, """PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX ckg: <https://w3id.org/coalition-kg/ontology#> PREFIX org: <http://www.w3.org/ns/org#>
        SELECT ?m ?e WHERE {
          { SELECT ?m (COUNT(DISTINCT ?x) AS ?n) WHERE { ?m (prov:wasInformedBy|ckg:plenaryOf|org:resultedFrom)+ ?x }
            GROUP BY ?m ORDER BY DESC(?n) ?m LIMIT 1 }
          ?m (prov:wasInformedBy|ckg:plenaryOf|org:resultedFrom)+ ?e
          FILTER NOT EXISTS { ?e (prov:wasInformedBy|ckg:plenaryOf|org:resultedFrom) ?y }
        } ORDER BY ?e LIMIT 1""")
    found = json.loads(body)["results"]["bindings"]
    anchors = {"niamey": city}
    if found:
        anchors.update({"riyadh-ministerial-2023": found[0]["m"]["value"], "skhirat-2018": found[0]["e"]["value"]})
    return {k: v for k, v in anchors.items() if v != base + k}


# --- reports ------------------------------------------------------------------------------------

def ratio(a: float | None, b: float | None) -> float | None:
    if not a or not b:
        return None
    return a / b


def geomean(values):
    values = [v for v in values if v]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def latency_consistent(run: dict) -> bool:
    """Whether wrk's latency samples can be true: c connections, one request at a time each, cannot
    have been waiting for longer than c times the run's duration in all. On this machine wrk sometimes
    records samples whose sum is many times that (for every server, also without a Lua script); its
    request counts stay right, so throughput is kept and such a run's percentiles are not compared."""
    if not run["requests"] or not run["seconds"]:
        return False
    waited = run["mean_ms"] / 1000 * run["requests"]
    return waited <= 1.25 * run["concurrency"] * run["seconds"]


def summarize(rows: list[dict], scale: int) -> list[dict]:
    """Per query, mode and concurrency: ours against each peer (throughput ratio, p99 ratio)."""
    # A run with error answers (rdflib-endpoint fails some queries with 400) or with no answer at all
    # within the run has no throughput to compare: its ratios are left empty.
    index = {(r["server"], r["query"], r["mode"], r["concurrency"]): r for r in rows
             if r["requests"] and not r["errors"]}
    out = []
    for (server, query, mode, c), mine in index.items():
        if server != "ckg":
            continue
        ox, rl = index.get(("oxigraph", query, mode, c)), index.get(("rdflib", query, mode, c))
        before = index.get(("before", query, mode, c))
        out.append({
            "scale": scale, "query": query, "kind": mine["kind"], "mode": mode, "concurrency": c,
            "ckg_rps": mine["rps"], "oxigraph_rps": ox and ox["rps"], "rdflib_rps": rl and rl["rps"],
            "ckg_p99_ms": mine["p99_ms"], "oxigraph_p99_ms": ox and ox["p99_ms"], "rdflib_p99_ms": rl and rl["p99_ms"],
            "vs_oxigraph_rps": ratio(mine["rps"], ox and ox["rps"]),
            "vs_oxigraph_p99": (ratio(mine["p99_ms"], ox["p99_ms"])
                                if ox and latency_consistent(mine) and latency_consistent(ox) else None),
            "latency_consistent": {"ckg": latency_consistent(mine), "oxigraph": bool(ox and latency_consistent(ox))},
            "vs_rdflib_rps": ratio(mine["rps"], rl and rl["rps"]),
            "before_rps": before and before["rps"], "vs_before_rps": ratio(mine["rps"], before and before["rps"]),
        })
    return out


EVALUATION_BOUND = ("join", "aggregate", "path")


def targets(summary: list[dict]) -> list[dict]:
    """The issue's targets, checked on the seeds' figures (scale 1)."""
    checks = []

    def add(what, rows, key, minimum=None, maximum=None):
        for r in rows:
            value = r[key]
            bound = f">= {minimum}" if minimum is not None else f"<= {maximum}"
            if value is None:
                if key == "vs_oxigraph_p99" and r["oxigraph_rps"] is not None:  # wrk's samples not credible
                    checks.append({"target": what, "query": r["query"], "mode": r["mode"],
                                   "concurrency": r["concurrency"], "value": None, "ok": None, "bound": bound})
                continue
            ok = (minimum is None or value >= minimum) and (maximum is None or value <= maximum)
            checks.append({"target": what, "query": r["query"], "mode": r["mode"], "concurrency": r["concurrency"],
                           "value": round(value, 3), "ok": ok, "bound": bound})

    seeds = [r for r in summary if r["scale"] == 1]
    first_eval = [r for r in seeds if r["mode"] == "first" and r["kind"] in EVALUATION_BOUND]
    add("evaluation-bound first-time throughput vs Oxigraph", first_eval, "vs_oxigraph_rps", minimum=0.9)
    add("evaluation-bound first-time p99 vs Oxigraph", first_eval, "vs_oxigraph_p99", maximum=1.5)
    add("tiny first-time throughput vs Oxigraph", [r for r in seeds if r["mode"] == "first" and r["kind"] == "tiny"],
        "vs_oxigraph_rps", minimum=0.35)
    repeated = [r for r in seeds if r["mode"] == "repeated"]
    add("repeated/saved throughput vs Oxigraph", [r for r in repeated if r["kind"] != "aggregate"],
        "vs_oxigraph_rps", minimum=1.0)
    add("repeated aggregate throughput vs Oxigraph", [r for r in repeated if r["kind"] == "aggregate"],
        "vs_oxigraph_rps", minimum=10.0)
    add("throughput vs rdflib-endpoint", seeds, "vs_rdflib_rps", minimum=5.0)
    return checks


def fmt_ratio(value):
    return "–" if value is None else (f"{value:.2f}x" if value < 10 else f"{value:.0f}x")


def write_markdown(path: Path, result: dict) -> None:
    lines = ["# Endpoint benchmark", "",
             f"Run {result['started']} on {result['machine']['cpus']} CPUs ({result['machine']['platform']}); "
             f"wrk for {result['duration_s']} s per cell. Generated by `benchmarks/endpoint_bench.py`; "
             "the raw figures are in `endpoint.json`.", "",
             "Ratios are ours divided by the peer's: throughput (requests per second; above 1 is better for us) "
             "and p99 latency (below 1 is better for us). *first*: every request is a query the server has not "
             "seen (a unique comment); *repeated*: the same request over and over. A cell with no figure: "
             "no request finished within the run, or the server answered with errors (rdflib-endpoint "
             "fails some queries with 400). A p99 ratio marked `?` is not given: wrk's latency samples in "
             "that run cannot all be true (together they exceed the time the connections had; see "
             "`latency_consistent` in the script), while its request counts, hence the throughput, hold.", ""]
    if result.get("note"):
        lines += [f"Note: {result['note']}.", ""]
    for scale_block in result["scales"]:
        scale = scale_block["scale"]
        lines += [f"## {'The seeds' if scale == 1 else f'{scale}x corpus'} ({scale_block['quads']} quads)", ""]
        summary = scale_block["summary"]
        concurrency = sorted({r["concurrency"] for r in summary})
        head = "| query | mode | " + " | ".join(f"c={c}: req/s ours / Oxigraph / rdflib" for c in concurrency) + " |"
        lines += ["### Throughput (requests per second)", "", head, "|" + "---|" * (2 + len(concurrency))]
        by = {(r["query"], r["mode"], r["concurrency"]): r for r in summary}
        names = list(dict.fromkeys(r["query"] for r in summary))
        for q in names:
            for mode in ("first", "repeated"):
                cells = []
                for c in concurrency:
                    r = by.get((q, mode, c))
                    if r is None:
                        cells.append("")
                        continue
                    cells.append(" / ".join("–" if v is None else f"{v:,.0f}" for v in
                                            (r["ckg_rps"], r["oxigraph_rps"], r["rdflib_rps"])))
                lines.append(f"| {q} | {mode} | " + " | ".join(cells) + " |")
        lines += ["", "### Ratios", "",
                  "| query | mode | " + " | ".join(f"c={c} vs Oxigraph (req/s, p99) | c={c} vs rdflib" for c in concurrency) + " |",
                  "|" + "---|" * (2 + 2 * len(concurrency))]
        for q in names:
            for mode in ("first", "repeated"):
                cells = []
                for c in concurrency:
                    r = by.get((q, mode, c))
                    if r is None:
                        cells += ["", ""]
                        continue
                    p99 = fmt_ratio(r["vs_oxigraph_p99"]) if r["vs_oxigraph_p99"] is not None or r["oxigraph_rps"] is None else "?"
                    cells.append(f"{fmt_ratio(r['vs_oxigraph_rps'])}, {p99}")
                    cells.append(fmt_ratio(r["vs_rdflib_rps"]))
                lines.append(f"| {q} | {mode} | " + " | ".join(cells) + " |")
        if any(r.get("before_rps") for r in summary):
            lines += ["", "### Against the baseline (`--baseline`, measured in the same run)", "",
                      "| query | mode | " + " | ".join(f"c={c}: req/s ours / before, ratio" for c in concurrency) + " |",
                      "|" + "---|" * (2 + len(concurrency))]
            for q in names:
                for mode in ("first", "repeated"):
                    cells = []
                    for c in concurrency:
                        r = by.get((q, mode, c))
                        cells.append("" if r is None or not r.get("before_rps") else
                                     f"{r['ckg_rps']:,.0f} / {r['before_rps']:,.0f}, {fmt_ratio(r['vs_before_rps'])}")
                    lines.append(f"| {q} | {mode} | " + " | ".join(cells) + " |")
            first = [r["vs_before_rps"] for r in summary if r["mode"] == "first" and r.get("vs_before_rps")]
            lines += ["", f"Geometric mean of the first-time ratios: {fmt_ratio(geomean(first))}."]
        if scale_block["answers"]:
            with_before = any("before" in entry for entry in scale_block["answers"].values())
            lines += ["", "### Answers", "", "| query | ours (rows) | Oxigraph (rows) | rdflib-endpoint (rows) | ours = Oxigraph |"
                      + (" before (rows) | ours = before |" if with_before else ""),
                      "|---|---|---|---|---|" + ("---|---|" if with_before else "")]
        for q, entry in scale_block["answers"].items():
            cell = lambda n: "–" if n not in entry else (f"{entry[n]['rows']}" if entry[n]["status"] == 200 else f"HTTP {entry[n]['status']}")
            lines.append(f"| {q} | {cell('ckg')} | {cell('oxigraph')} | {cell('rdflib')} | "
                         f"{'yes' if entry['ckg_equals_oxigraph'] else '**no**'} |"
                         + ("" if "before" not in entry else f" {cell('before')} | {'yes' if entry['ckg_equals_before'] else '**no**'} |"))
        lines.append("")
    lines += growth_markdown(result)
    if result.get("targets"):
        lines += ["## Targets (the seeds)", "", "| target | met | missed (worst) |", "|---|---|---|"]
        grouped: dict[str, list] = {}
        for t in result["targets"]:
            grouped.setdefault(t["target"], []).append(t)
        for name, items in grouped.items():
            unknown = [t for t in items if t["ok"] is None]
            measured = [t for t in items if t["ok"] is not None]
            missed = [t for t in measured if not t["ok"]]
            worst = ""
            if missed:
                low = items[0]["bound"].startswith(">=")
                w = (min if low else max)(missed, key=lambda t: t["value"])
                worst = f"{len(missed)}: worst {w['query']} {w['mode']} c={w['concurrency']} at {w['value']} ({w['bound']})"
            note = f" ({len(unknown)} not measurable: wrk's latency samples)" if unknown else ""
            lines.append(f"| {name} {items[0]['bound']} | {len(measured) - len(missed)}/{len(measured)}{note} | {worst} |")
        lines.append("")
    ceiling = result.get("wrk_ceiling")
    if ceiling:
        lines += ["## The load generator", "",
                  "wrk against a static page of Oxigraph's server (no query): the most requests wrk drives here, "
                  "and its CPU time per 1,000 requests.", "", "| concurrency | req/s | p99 ms | wrk CPU s / 1,000 requests |",
                  "|---|---|---|---|"]
        lines += [f"| {r['concurrency']} | {r['rps']:,.0f} | {r['p99_ms']:.2f} | {r.get('cpu_s_per_1000_requests') or '–'} |"
                  for r in ceiling]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def write_chart(path: Path, result: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    seeds = next(b for b in result["scales"] if b["scale"] == 1)
    summary = seeds["summary"]
    concurrency = sorted({r["concurrency"] for r in summary})
    kinds = ["tiny", "join", "aggregate", "path", "saved"]
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), sharey=True)
    for ax, mode in zip(axes, ("first", "repeated")):
        width = 0.8 / len(kinds)
        for i, kind in enumerate(kinds):
            values = []
            for c in concurrency:
                rows = [r for r in summary if r["kind"] == kind and r["mode"] == mode and r["concurrency"] == c]
                values.append(geomean([r["vs_oxigraph_rps"] for r in rows]) or 0)
            ax.bar([j + i * width for j in range(len(concurrency))], values, width, label=kind)
        ax.axhline(1.0, color="black", linewidth=0.8)
        ax.set_yscale("log")
        ax.set_xticks([j + 0.4 - width / 2 for j in range(len(concurrency))], [f"c={c}" for c in concurrency])
        ax.set_title(f"{mode}: our throughput / Oxigraph's server")
    axes[0].set_ylabel("ratio (log scale; saved = geometric mean of the saved queries)")
    axes[1].legend()
    fig.suptitle(f"ckg serve vs Oxigraph's server, the seeds ({seeds['quads']} quads)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


GROWTH_KINDS = ("tiny", "join", "aggregate", "path", "saved")
SERVER_LABELS = {"ckg": "ckg serve", "oxigraph": "Oxigraph's server", "rdflib": "rdflib-endpoint"}


def growth(result: dict, mode: str, concurrency: int) -> dict:
    """{kind: {server: [(quads, req/s)]}}: the saved queries as one kind, their geometric mean."""
    out = {kind: {name: [] for name in SERVER_LABELS} for kind in GROWTH_KINDS}
    for block in sorted(result["scales"], key=lambda b: b["scale"]):
        rows = [r for r in block["summary"] if r["mode"] == mode and r["concurrency"] == concurrency]
        for kind in GROWTH_KINDS:
            of_kind = [r for r in rows if r["kind"] == kind]
            for name in SERVER_LABELS:
                value = geomean([r[f"{name}_rps"] for r in of_kind])
                if value:
                    out[kind][name].append((block["quads"], value))
    return out


def growth_concurrency(result: dict) -> int | None:
    """The concurrency measured at every scale (the corpora are run at --scale-concurrency only)."""
    common = None
    for block in result["scales"]:
        levels = {r["concurrency"] for r in block["summary"]}
        common = levels if common is None else common & levels
    return max(common) if common else None


def write_growth_chart(path: Path, result: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    c = growth_concurrency(result)
    if c is None:
        return
    fig, axes = plt.subplots(2, len(GROWTH_KINDS), figsize=(17, 7.5), sharex=True)
    for row, mode in enumerate(("first", "repeated")):
        series = growth(result, mode, c)
        for ax, kind in zip(axes[row], GROWTH_KINDS):
            for name, label in SERVER_LABELS.items():
                points = series[kind][name]
                if points:
                    ax.plot([q for q, _ in points], [v for _, v in points], marker="o", label=label)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title(f"{kind}, {mode}", fontsize=10)
            ax.grid(True, which="both", linewidth=0.3)
            if row == 1:
                ax.set_xlabel("quads")
        axes[row][0].set_ylabel("requests per second (log)")
    axes[0][0].legend(fontsize=8)
    fig.suptitle(f"Throughput against data size, {c} connections (saved = geometric mean of the saved queries)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def scale_name(scale: int) -> str:
    return "seeds" if scale == 1 else f"{scale}x"


def growth_markdown(result: dict) -> list[str]:
    c = growth_concurrency(result)
    if c is None or len(result["scales"]) < 2:
        return []
    blocks = sorted(result["scales"], key=lambda b: b["scale"])
    lines = [f"## Growth with size ({c} connections)", "",
             "Requests per second, ours / Oxigraph's server / rdflib-endpoint (– where not run or no answer "
             "within the run); saved = geometric mean of the saved queries. Chart: `endpoint-scale.png`.", "",
             "| kind | mode | " + " | ".join(f"{scale_name(b['scale'])} "
                                           f"({b['quads']:,} quads)" for b in blocks) + " |",
             "|---|---|" + "---|" * len(blocks)]
    for mode in ("first", "repeated"):
        series = growth(result, mode, c)
        for kind in GROWTH_KINDS:
            cells = []
            for b in blocks:
                values = []
                for name in SERVER_LABELS:
                    found = [v for q, v in series[kind][name] if q == b["quads"]]
                    values.append(f"{found[0]:,.0f}" if found else "–")
                cells.append(" / ".join(values))
            lines.append(f"| {kind} | {mode} | " + " | ".join(cells) + " |")
    lines.append("")
    return lines


# --- main ---------------------------------------------------------------------------------------

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,10,100", help="data sizes: 1 = the seeds, N = the corpus at N times")
    parser.add_argument("--concurrency", default="1,8,32", help="connections, on the seeds")
    parser.add_argument("--scale-concurrency", default="8", help="connections, on the corpora")
    parser.add_argument("--duration", type=int, default=2, help="seconds per wrk run")
    parser.add_argument("--rdflib-max-scale", type=int, default=10,
                        help="largest scale served by rdflib-endpoint too (it loads everything into memory)")
    parser.add_argument("--scale-query-timeout", type=float, default=120,
                        help="our time limit on the corpora, in seconds (on the seeds: the default, 10); "
                             "their evaluator memory limit is 8 GiB (on the seeds: the default, 2 GiB)")
    parser.add_argument("--merge", action="store_true",
                        help="keep the other scales already in endpoint.json (replace only those measured now)")
    parser.add_argument("--queries", default="", help="only these query names (comma-separated)")
    parser.add_argument("--rebuild", action="store_true", help="build the graphs again even if built before")
    parser.add_argument("--baseline", default="",
                        help="another checkout (with its .venv) whose ckg is measured beside ours, in the same run")
    parser.add_argument("--out", default=str(HERE / "results"))
    parser.add_argument("--report-only", action="store_true",
                        help="only write endpoint.md and endpoint.png again from endpoint.json")
    args = parser.parse_args(argv)
    if args.report_only:
        out = Path(args.out)
        result = json.loads((out / "endpoint.json").read_text(encoding="utf-8"))
        for block in result["scales"]:
            block["summary"] = summarize(block["runs"], block["scale"])
        seeds = [b for b in result["scales"] if b["scale"] == 1]
        if seeds:
            result["targets"] = targets(seeds[0]["summary"])
        (out / "endpoint.json").write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
        write_reports(out, result)
        return 0

    if not shutil.which("wrk"):
        print("endpoint_bench: needs Debian's wrk (apt-get install -y wrk)", file=sys.stderr)
        return 2
    for tool in ("oxigraph", "rdflib-endpoint", "ckg"):
        if not (BIN / tool).exists():
            print(f"endpoint_bench: {tool} is not installed in {BIN}: pip install -e '.[bench]'", file=sys.stderr)
            return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log_lines = []

    def log(message: str) -> None:
        print(message, flush=True)
        log_lines.append(message)

    result = {
        "started": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "loadavg_at_start": os.getloadavg()},
        "duration_s": args.duration,
        "servers": {
            "ckg": "ckg serve (defaults: granian, 2 workers x 4 threads, time limit 10 s, evaluator memory "
                   "limit 2 GiB, row cap 10000, 1 MiB body limit, SERVICE/update guard, one-subject lookups "
                   "answered in the web process, answer cache 64 MiB per worker, access log to a file; on "
                   "the corpora a time limit of --scale-query-timeout and 8 GiB)",
            "ckg-nocache": "the same with --cache-mb 0, for the saved queries' first-time runs",
            "oxigraph": "oxigraph serve-read-only on the dump's named graphs and their merge as the default graph "
                        "(no --timeout-s, see README)",
            "rdflib": "rdflib-endpoint serve DUMP.nq (rdflib Dataset, default_union=True, uvicorn)",
        },
        "scales": [],
    }
    measured = [int(s) for s in args.scales.split(",") if s]
    kept = []
    if args.merge and (out / "endpoint.json").exists():
        previous = json.loads((out / "endpoint.json").read_text(encoding="utf-8"))
        kept = [b for b in previous["scales"] if b["scale"] not in measured]
        result["earlier_runs"] = [r for r in [*previous.get("earlier_runs", []),
                                              {"started": previous["started"], "machine": previous["machine"],
                                               "scales": [b["scale"] for b in kept]}] if r["scales"]]

    def save() -> None:
        result["scales"] = sorted([*kept, *fresh], key=lambda b: b["scale"])
        (out / "endpoint.json").write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")

    fresh = []
    for scale in measured:
        work = out / "tmp" / f"scale-{scale}"
        log(f"== scale {scale}: building and loading")
        data = prepare_data(scale, work, args.rebuild)
        data["loadavg"] = os.getloadavg()
        baseline = prepare_baseline(Path(args.baseline), data, work, args.rebuild) if args.baseline else None
        starters = server_starters(data, work, query_timeout=None if scale == 1 else args.scale_query_timeout,
                                   baseline=baseline)
        servers = {name: starter() for name, starter in starters.items()}
        concurrency = [int(c) for c in (args.concurrency if scale == 1 else args.scale_concurrency).split(",")]
        try:
            queries = load_queries(anchors_for(servers["oxigraph"], scale))
            if args.queries:
                wanted = set(args.queries.split(","))
                queries = [q for q in queries if q.name in wanted]
            answers = check_answers(servers, queries)
            for name, entry in answers.items():
                if not entry["ckg_equals_oxigraph"]:
                    log(f"  note: {name}: our answer differs from Oxigraph's: {drop_rows({name: entry})[name]}")
                if not entry.get("ckg_equals_before", True):
                    log(f"  note: {name}: our answer differs from the baseline's: {drop_rows({name: entry})[name]}")
            if scale == 1:
                result["wrk_ceiling"] = wrk_ceiling(servers["oxigraph"], concurrency, args.duration)
                log("  wrk ceiling: " + ", ".join(f"c={r['concurrency']} {r['rps']:,.0f} req/s" for r in result["wrk_ceiling"]))
            rows = measure(servers, queries, concurrency, args.duration, work, log, answers, restarts=starters)
        finally:
            for server in servers.values():
                server.stop()
        if scale <= args.rdflib_max_scale:
            restart = lambda: start_rdflib(data, work)  # noqa: E731
            peers = {"rdflib": restart()}
            try:
                check_answers(peers, queries, answers, timeout=60, restart=restart)
                rows += measure(peers, queries, concurrency, args.duration, work, log, answers,
                                restarts={"rdflib": restart})
            finally:
                peers["rdflib"].stop()
        answers = drop_rows(answers)
        fresh.append({
            "scale": scale, "quads": data["quads"], "build_s": data.get("build_s"),
            "started": result["started"], "loadavg_at_start": data["loadavg"],
            "answers": answers, "runs": rows, "summary": summarize(rows, scale),
        })
        save()
    save()
    seeds = [b for b in result["scales"] if b["scale"] == 1]
    if seeds:
        result["targets"] = targets(seeds[0]["summary"])
    result["machine"]["loadavg_at_end"] = os.getloadavg()
    (out / "endpoint.json").write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
    write_reports(out, result)
    log(f"wrote {out / 'endpoint.json'}, {out / 'endpoint.md'} and the charts")
    return 0


def write_reports(out: Path, result: dict) -> None:
    write_markdown(out / "endpoint.md", result)
    if any(b["scale"] == 1 for b in result["scales"]):
        write_chart(out / "endpoint.png", result)
    if len(result["scales"]) > 1:
        write_growth_chart(out / "endpoint-scale.png", result)


if __name__ == "__main__":
    sys.exit(main())
