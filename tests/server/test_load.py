"""The load test in the suite: ~40 s of mixed, partly hostile load from many clients against a real
`ckg serve`, with rebuilds under it (benchmarks/load.py; `python benchmarks/load.py --duration …` runs it
longer). Figures: tests/artifacts/load-report.md and load-report.json."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from coalition_kg.graph import store

from .conftest import MAX_BODY, QUERY_TIMEOUT, ROW_LIMIT, start_server, stop_server

REPO = Path(__file__).resolve().parents[2]

# conftest.start_server runs 2 workers x 3 threads.
WORKERS, THREADS = 2, 3
# Idle bodies held open at once. Each holds a worker thread on today's server (issue 8, finding 2), so
# WORKERS x THREADS of them block everything: 2 leave room to serve. Once bodies are read with a deadline
# (or before a request takes a thread), raise this to WORKERS * THREADS + 2.
IDLE_BODIES = 2

# Why these bounds hold on a busy 2-CPU machine (the load, a rebuild and other work on the same CPUs):
# cheap requests take tens of milliseconds at the 99th percentile there; one that waits for a worker
# thread held by a runaway waits at most until the time limit stops it, and that may happen to fewer
# than 1 in 100. Memory: a bounded answer cache per worker and the evaluators' store caches fill during
# the load; a leak of a store or of an evaluator per request or per rebuild would outgrow 30% in 40 s.
CHEAP_P99_S = QUERY_TIMEOUT
RSS_GROWTH = 0.30
FD_MARGIN = 4


def harness():
    spec = importlib.util.spec_from_file_location("benchmarks.load", REPO / "benchmarks" / "load.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def loaded_server(built_var, tmp_path):
    """A server over a var directory of its own, holding a marker store, so that rebuilds disturb no
    other test and the first one changes the build."""
    load = harness()
    reference = store.current(built_var)
    quads, first = load.load_server.prepare_var(tmp_path / "var", reference)
    running = start_server(tmp_path / "var", tmp_path / "serve.log")
    yield load, running, reference, quads, first
    stop_server(running)


def test_mixed_load_with_rebuilds(loaded_server, artifacts):
    load, server, reference, quads, first = loaded_server
    plan = load.Plan(duration=40, clients=12, runaway_clients=1, idle_bodies=IDLE_BODIES, rebuilds=4,
                     query_timeout=QUERY_TIMEOUT, row_limit=ROW_LIMIT, max_body=MAX_BODY)
    bounds = load.load_report.Bounds(cheap_p99_s=CHEAP_P99_S, rss_growth=RSS_GROWTH, fd_margin=FD_MARGIN)
    target = load.Target(server.url, server.process.pid, server.var, WORKERS, THREADS)
    result = load.run_load(target, quads, reference, first, plan, bounds)
    load.load_report.write(result, artifacts / "load-report")

    # Every verdict of load_report.summary: no failed valid request, no answer from a build that was not
    # current, prompt cheap requests, no growth of memory or files, refusals and runaways as expected.
    assert result["problems"] == []
    # And the run did what it says: each class was sent, the store was swapped under it and every swap
    # was seen in the answers, runaways were stopped, idle bodies were held.
    classes = result["classes"]
    assert all(classes[c]["requests"] >= 20 for c in ("saved", "lookup", "adhoc", "probe", "malformed"))
    assert classes["runaway"]["requests"] >= 3
    assert [r["how"] for r in result["rebuilds"]] == ["ckg build", "marker", "ckg build", "marker"]
    assert set(result["builds_seen"]) == set(result["builds_existed"])
    assert reference.build_id in result["builds_seen"]
    assert result["idle_bodies"]["opened"] >= IDLE_BODIES
    assert result["cheap"]["p99_s"] < CHEAP_P99_S
