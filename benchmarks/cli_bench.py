"""The command line, timed as whole processes: `ckg build` from the seeds, and `ckg query` of each saved query.

Peers, in the same run: the interpreter's own start (`python -c pass`, the floor of any Python command)
and Oxigraph's own command line (`oxigraph query`, from the `bench` extra) on a copy of the same store
(its default graph is the merge of the named graphs, as ours reads it), given the same saved query with its parameters' defaults bound by VALUES.
Results go to results/cli.json and results/cli.md.

    .venv/bin/python benchmarks/cli_bench.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from coalition_kg.graph import saved_queries, store  # noqa: E402
from coalition_kg.graph.saved_queries import Param  # noqa: E402

BIN = Path(sys.executable).parent


def timed(command: list[str], runs: int, env: dict) -> dict:
    """Wall-clock seconds of whole processes: the best and the median of `runs`, after one warm-up."""
    subprocess.run(command, env=env, check=True, capture_output=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return {"best_s": round(min(times), 4), "median_s": round(statistics.median(times), 4), "runs": runs}


def inline_defaults(saved: saved_queries.SavedQuery) -> str:
    """The query with its parameters' defaults bound by a VALUES clause, for a client without substitution."""
    if not saved.params:
        return saved.text
    names = " ".join(f"?{p.name}" for p in saved.params)
    values = " ".join(_term(p) for p in saved.params)
    head, brace, rest = saved.text.partition("WHERE {")
    return f"{head}{brace}\n  VALUES ({names}) {{ ({values}) }}{rest}"


def _term(param: Param) -> str:
    return str(param.bind(param.default))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--out", default=str(HERE / "results"))
    args = parser.parse_args()
    oxigraph = shutil.which("oxigraph", path=str(BIN)) or shutil.which("oxigraph")

    with tempfile.TemporaryDirectory() as scratch:
        env = dict(os.environ, CKG_VAR=str(Path(scratch) / "var"))
        ckg = [str(BIN / "ckg")]
        rows = {"python -c pass": timed([sys.executable, "-c", "pass"], args.runs, env)}
        rows["ckg build"] = timed(ckg + ["build", "--quiet"], args.runs, env)
        store_copy = Path(scratch) / "oxigraph-store"
        shutil.copytree(store.current(Path(scratch) / "var").store_path, store_copy)
        queries = saved_queries.load_all(REPO / "queries")
        results = []
        for name, saved in queries.items():
            ours = timed(ckg + ["query", name, "--format", "csv"], args.runs, env)
            row = {"query": name, "ckg_query": ours}
            if oxigraph:
                query_file = Path(scratch) / f"{name}.rq"
                query_file.write_text(inline_defaults(saved), encoding="utf-8")
                peer = timed([oxigraph, "query", "--location", str(store_copy),
                              "--query-file", str(query_file), "--results-format", "csv"], args.runs, env)
                row["oxigraph_query"] = peer
                row["ratio_best"] = round(ours["best_s"] / peer["best_s"], 2)
            results.append(row)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = {
        "machine": {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cpus": os.cpu_count(),
                    "python": platform.python_version(), "pyoxigraph": pyoxigraph.__version__,
                    "load_average": os.getloadavg()},
        "processes": rows,
        "queries": results,
    }
    (out / "cli.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    lines = [
        "# Command line benchmark",
        "",
        f"`python benchmarks/cli_bench.py`, {report['machine']['when']}, {report['machine']['cpus']} CPUs, "
        f"load average {', '.join(f'{x:.1f}' for x in report['machine']['load_average'])}. Whole processes, "
        f"wall clock, best and median of {args.runs} runs after a warm-up.",
        "",
        "| command | best (s) | median (s) |",
        "|---|--:|--:|",
    ]
    for name, r in rows.items():
        lines.append(f"| `{name}` | {r['best_s']:.3f} | {r['median_s']:.3f} |")
    lines += ["", "| saved query | `ckg query` best (s) | `oxigraph query` best (s) | ckg / oxigraph |", "|---|--:|--:|--:|"]
    for r in results:
        peer = r.get("oxigraph_query")
        lines.append(f"| `{r['query']}` | {r['ckg_query']['best_s']:.3f} | "
                     f"{peer['best_s']:.3f} | {r['ratio_best']:.2f} |" if peer else
                     f"| `{r['query']}` | {r['ckg_query']['best_s']:.3f} | – | – |")
    lines += ["", "`ckg query` pays for the Python interpreter and its imports (the `python -c pass` row is the "
              "floor); `oxigraph query` is a native binary on a copy of the same store."]
    (out / "cli.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
