"""The load test: a mixed, partly hostile workload from many clients against a real `ckg serve`, with
rebuilds under it. tests/server/test_load.py runs it for ~40 s in the suite; as a script it runs longer:

    .venv/bin/python benchmarks/load.py                              # 60 s, 16 clients
    .venv/bin/python benchmarks/load.py --duration 600 --clients 32
    .venv/bin/python benchmarks/load.py --idle-bodies 40 --runaway-clients 8

The script builds the seeds into a temporary var directory, starts `ckg serve` on a loopback port with
the limits of the load test in the suite (2 workers x 3 threads, a 2 s query time limit, 50 rows, 8 KiB
bodies, a 4 MiB answer cache per worker: tests/server/test_load.py says why) unless told otherwise,
runs the load and writes benchmarks/results/load.md and load.json.

What runs at once, for `duration` seconds:

- `clients` threads, each with its own keep-alive session, sending the mix of load_workload.MIX (saved
  queries, lookups, ad-hoc SELECT/CONSTRUCT, probes, malformed requests), every answer judged;
- `runaway_clients` threads, each sending one runaway query at a time with a pause between them;
- `idle_bodies` connections that send a POST's headers and never the body (load_server.IdleBodies);
- `rebuilds` swaps of the current store, alternately `ckg build` and a marker store (load_server.Rebuilder).

Before it, a wait until the evaluators answer and a warm-up (every evaluator child has run queries);
after it, one more request of each valid kind, which must come from the last build. The memory and open
files of the server's process tree are sampled after the warm-up, during the load and at the end.
load_report.py turns the outcomes into figures and verdicts.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests
import requests.adapters

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from benchmarks import load_report, load_server, load_workload  # noqa: E402
from coalition_kg.graph import store  # noqa: E402

SAVED_QUERIES = REPO / "tests" / "server" / "queries"
RESULTS = HERE / "results"


@dataclass
class Plan:
    """How much load, and the server's limits the workload needs to know."""

    duration: float = 60.0
    clients: int = 16
    runaway_clients: int = 3
    runaway_pause: float = 2.0  # seconds between one runaway's answer and the next runaway
    idle_bodies: int = 8
    rebuilds: int = 4
    think: float = 0.01  # mean pause between a client's requests, seconds
    seed: int = 8
    query_timeout: float = 2.0  # the suite's (tests/server/conftest.py)
    row_limit: int = 50
    max_body: int = 8192
    warmup_requests: int = 8  # per client


@dataclass
class Target:
    """The running server: its URL, the pid at the root of its process tree, its var directory (which
    load_server.prepare_var set up before it started), and its workers and threads (for the report)."""

    url: str
    pid: int
    var: Path
    workers: int
    threads: int


def run_load(target: Target, reference: load_server.Reference, plan: Plan,
             bounds: load_report.Bounds = load_report.Bounds()) -> dict:
    """Warm-up, the load, the final round; the figures and verdicts of load_report.summary."""
    oracle = load_workload.Oracle.from_store(reference.info.open_read_only(), SAVED_QUERIES, REPO / "queries",
                                             plan.row_limit)
    contexts = [load_workload.Context(target.url, oracle, plan.max_body, plan.query_timeout, client=i,
                                      rng=random.Random(plan.seed * 1000 + i))
                for i in range(plan.clients + plan.runaway_clients + 1)]

    not_ready = wait_until_ready(contexts[:target.workers * target.threads])
    warmup = warm_up(contexts[:plan.clients], plan.warmup_requests)
    start = load_server.settled_sample(target.pid)

    stop = threading.Event()
    outcomes: list[load_workload.Outcome] = []
    host, port = urlsplit(target.url).hostname, urlsplit(target.url).port
    idle = [load_server.IdleBodies(host, port, stop, f"idle-{i}") for i in range(plan.idle_bodies)]
    rebuilder = load_server.Rebuilder(target.var, reference, plan.rebuilds, plan.duration, stop)
    sampler = load_server.Sampler(target.pid, stop)
    clients = [threading.Thread(target=client, args=(contexts[i], stop, outcomes, plan.think), name=f"client-{i}")
               for i in range(plan.clients)]
    runaways = [threading.Thread(target=runaway_client, args=(contexts[plan.clients + i], stop, outcomes,
                                                              plan.runaway_pause), name=f"runaway-{i}")
                for i in range(plan.runaway_clients)]
    began = time.monotonic()
    for thread in [*idle, sampler, rebuilder, *clients, *runaways]:
        thread.start()
    stop.wait(plan.duration)
    stop.set()
    for thread in [*clients, *runaways, rebuilder, *idle, sampler]:
        thread.join()
    load_seconds = time.monotonic() - began

    last = rebuilder.swaps[-1].build
    final = final_round(contexts[-1])
    end = load_server.settled_sample(target.pid)
    return load_report.summary(
        plan=plan, outcomes=outcomes, warmup=warmup, final=final, final_build=last, swaps=rebuilder.swaps,
        reference_quads=len(reference.quads), idle=[b for t in idle for b in t.bodies],
        idle_problems=[p for t in idle for p in t.problems], start=start, end=end, samples=sampler.samples,
        seconds=load_seconds, server={"workers": target.workers, "threads": target.threads}, bounds=bounds,
        not_ready=not_ready)


class SourceAddress(requests.adapters.HTTPAdapter):
    """Connections from a loopback address of the client's own (all of 127.0.0.0/8 is loopback on
    Linux): the server sees many clients, as it would from the internet, and its per-client cap
    (--per-client-queries) applies to each, not to the whole load at once."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def session_for(ctx: load_workload.Context) -> requests.Session:
    session = requests.Session()
    session.mount("http://", SourceAddress(f"127.0.0.{10 + ctx.client}"))
    return session


def client(ctx: load_workload.Context, stop: threading.Event, outcomes: list, think: float) -> None:
    kinds, weights = list(load_workload.MIX), list(load_workload.MIX.values())
    with session_for(ctx) as session:
        while not stop.is_set():
            kind = ctx.rng.choices(kinds, weights)[0]
            outcomes.append(kind(ctx, session))
            if think:
                stop.wait(ctx.rng.expovariate(1 / think))


def runaway_client(ctx: load_workload.Context, stop: threading.Event, outcomes: list, pause: float) -> None:
    with session_for(ctx) as session:
        while not stop.is_set():
            outcomes.append(load_workload.runaway(ctx, session))
            stop.wait(pause)


def wait_until_ready(contexts: list[load_workload.Context], seconds: float = 60) -> list[load_workload.Outcome]:
    """Rounds of ad-hoc queries, one per worker thread at once, until a whole round succeeds; the failures
    before that, which the report lists apart.

    `ckg serve` answers /health while its evaluator children are still starting (an interpreter and
    pyoxigraph each, all at once), and a query handed a child that is still starting counts the start-up
    against its time limit: on a busy machine the first queries after a start can get 503."""
    failures: list[load_workload.Outcome] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        round_ = warm_up(contexts, 1, kinds=[load_workload.adhoc])
        failures += [o for o in round_ if not o.ok]
        if all(o.ok for o in round_):
            break
    return failures


def warm_up(contexts: list[load_workload.Context], per_client: int,
            kinds=(load_workload.saved, load_workload.lookup, load_workload.adhoc, load_workload.probe)
            ) -> list[load_workload.Outcome]:
    """Every kind of valid request from every client at once, so that every worker thread and evaluator
    child has worked (and grown) before memory is first sampled."""
    outcomes: list[load_workload.Outcome] = []

    def warm(ctx):
        with session_for(ctx) as session:
            for i in range(per_client):
                outcomes.append(kinds[i % len(kinds)](ctx, session))

    threads = [threading.Thread(target=warm, args=(ctx,)) for ctx in contexts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def final_round(ctx: load_workload.Context) -> list[load_workload.Outcome]:
    """One request of each valid class once the load is over: the server still answers, from the last build."""
    with session_for(ctx) as session:
        return [kind(ctx, session) for kind in (load_workload.saved, load_workload.lookup, load_workload.adhoc,
                                                load_workload.probe)]


# --- the script: its own server over a temporary store ------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(var: Path, log: Path, workers: int, threads: int, cache_mb: int, plan: Plan) -> subprocess.Popen:
    port = free_port()
    process = subprocess.Popen(
        [*load_server.CKG, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
         "--threads", str(threads), "--queries", str(SAVED_QUERIES), "--query-timeout", str(plan.query_timeout),
         "--row-limit", str(plan.row_limit), "--max-body", str(plan.max_body), "--cache-mb", str(cache_mb),
         "--access-log", "off", "--no-build"],
        env={**os.environ, "CKG_VAR": str(var)}, stdout=open(log, "wb"), stderr=subprocess.STDOUT,
        start_new_session=True)
    process.url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(process.url + "/health", timeout=2).status_code == 200:
                return process
        except requests.ConnectionError:
            time.sleep(0.2)
    stop_server(process)
    raise RuntimeError(f"ckg serve did not come up: {log.read_text()[-2000:]}")


def stop_server(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def main(argv: list[str] | None = None) -> int:
    defaults = Plan()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=defaults.duration, help="seconds of load (default 60)")
    parser.add_argument("--clients", type=int, default=defaults.clients, help="general clients (default 16)")
    parser.add_argument("--runaway-clients", type=int, default=defaults.runaway_clients)
    parser.add_argument("--idle-bodies", type=int, default=defaults.idle_bodies,
                        help="idle bodies held at once (default 8: more than the server's 6 worker threads; they wait "
                             "in the front's event loop and get 408 at the body deadline)")
    parser.add_argument("--rebuilds", type=int, default=defaults.rebuilds)
    parser.add_argument("--think", type=float, default=defaults.think, help="mean pause between requests, s")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=3)
    parser.add_argument("--cache-mb", type=int, default=4, help="answer cache per worker (default 4, full early)")
    parser.add_argument("--query-timeout", type=float, default=defaults.query_timeout)
    parser.add_argument("--out", type=Path, default=RESULTS / "load", help="report path without suffix")
    args = parser.parse_args(argv)
    plan = Plan(duration=args.duration, clients=args.clients, runaway_clients=args.runaway_clients,
                idle_bodies=args.idle_bodies, rebuilds=args.rebuilds, think=args.think, seed=args.seed,
                query_timeout=args.query_timeout)

    with tempfile.TemporaryDirectory(prefix="ckg-load-") as work:
        work = Path(work)
        subprocess.run([*load_server.CKG, "build"], env={**os.environ, "CKG_VAR": str(work / "reference")},
                       check=True, capture_output=True)
        reference = load_server.prepare_var(work / "var", store.current(work / "reference"))
        server = start_server(work / "var", work / "serve.log", args.workers, args.threads, args.cache_mb, plan)
        try:
            target = Target(server.url, server.pid, work / "var", args.workers, args.threads)
            result = run_load(target, reference, plan)
        finally:
            stop_server(server)
    load_report.write(result, args.out)
    print(load_report.markdown(result))
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
