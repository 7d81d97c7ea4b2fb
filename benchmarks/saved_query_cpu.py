"""The saved queries on two stores, in this process, timed by CPU time: a change to the store or to the
queries measured without the noise of a shared machine's wall clock.

    .venv/bin/python benchmarks/saved_query_cpu.py --before STORE --before-queries DIR --before-union \\
        --after STORE [--queries DIR] [--runs 7] [--skip NAME,…] [--out results/FILE.md]

Each query is evaluated alternately on the two stores, `--runs` times each, with its parameters'
defaults; the best CPU time of this thread counts (pyoxigraph evaluates in the calling thread). The rows
of the two must be the same (compared as sorted lists, so duplicates count): the table says so.
`--before-union` reads the before store with Oxigraph's use_default_graph_as_union, as the server did
before the build wrote the merged default graph (stores of layout 1).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pyoxigraph as ox

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def rows_and_seconds(store: ox.Store, saved, union: bool) -> tuple[list, float]:
    text, substitutions = saved.bound({})
    options = {"use_default_graph_as_union": True} if union else {}
    started = time.thread_time()
    rows = sorted(tuple(str(term) for term in row) for row in store.query(text, substitutions=substitutions, **options))
    return rows, time.thread_time() - started


def main(argv=None) -> int:
    from coalition_kg.graph import saved_queries

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, help="the before store's directory (…/current/store)")
    parser.add_argument("--before-queries", help="the before saved queries (default: --queries)")
    parser.add_argument("--before-union", action="store_true", help="read the before store through the union flag")
    parser.add_argument("--after", required=True, help="the after store's directory")
    parser.add_argument("--queries", default=str(HERE.parent / "queries"))
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--skip", default="", help="saved queries left out (comma-separated): too slow at this size")
    parser.add_argument("--out", help="also write the table to this Markdown file")
    args = parser.parse_args(argv)
    after_queries = saved_queries.load_all(Path(args.queries))
    before_queries = saved_queries.load_all(Path(args.before_queries or args.queries))
    before, after = ox.Store.read_only(args.before), ox.Store.read_only(args.after)
    lines = ["| query | before, ms | after, ms | speed-up | rows | same rows |", "|---|--:|--:|--:|--:|---|"]
    for name, saved in after_queries.items():
        if name not in before_queries or name in args.skip.split(","):
            continue
        best = {"before": float("inf"), "after": float("inf")}
        answers = {}
        for _ in range(args.runs):
            for side, store, query, union in (("before", before, before_queries[name], args.before_union),
                                              ("after", after, saved, False)):
                answers[side], seconds = rows_and_seconds(store, query, union)
                best[side] = min(best[side], seconds)
        line = (f"| {name} | {best['before'] * 1000:.1f} | {best['after'] * 1000:.1f} | "
                f"{best['before'] / best['after']:.2f}x | {len(answers['after'])} | "
                f"{'yes' if answers['before'] == answers['after'] else '**no**'} |")
        print(line, flush=True)
        lines.append(line)
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
