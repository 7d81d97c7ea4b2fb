"""Build benchmark: `ckg build` on the seeds and on synthetic corpora 10x, 100x and 1000x their size.

For each size, in one run on one machine:
- build: wall time and peak memory (RSS) of the whole `ckg build` process (/usr/bin/time -v, else
  resource.getrusage of the child), with CKG_ROOT at a generated project root (benchmarks/corpus.py),
  and the time of each of its phases as `ckg build` reports them;
- store: quads, distinct triples and graphs, size on disk;
- dump: `ckg dump --format nquads` wall time and size;
- reasoning: the build's fast OWL RL closure against owlrl's (the reference), both on the same
  asserted quads, and whether they are equal; owlrl only up to --owlrl-max (it grows too fast).

Writes benchmarks/results/build.json, build.md and build.png (matplotlib: time and memory against size).

    python benchmarks/build_bench.py                      # seeds, 10x, 100x, 1000x
    python benchmarks/build_bench.py --sizes seeds,10     # a quick run
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import corpus  # noqa: E402

CKG = [sys.executable, "-m", "coalition_kg.cli"]
TIME = Path("/usr/bin/time")


RSS_LIMIT_MB = 16 * 1024  # a measured command above this (its whole process tree) is stopped


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants (Linux /proc)."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(status.split("VmRSS:")[1].split()[0]) if "VmRSS:" in status else 0
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total / 1024


def run_measured(argv: list[str], env: dict, timeout: float | None = None) -> dict:
    """Run a command; its wall time, peak RSS (MB) and output. Stopped past timeout or RSS_LIMIT_MB."""
    wrapped = [str(TIME), "-v", *argv] if TIME.exists() else argv
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    with open(os.devnull, "rb") as stdin:
        proc = subprocess.Popen(wrapped, env=env, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)
    watched_peak = 0.0
    try:
        while True:
            try:
                stdout, stderr = proc.communicate(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                pass
            watched_peak = max(watched_peak, _tree_rss_mb(proc.pid))
            if watched_peak > RSS_LIMIT_MB:
                os.killpg(proc.pid, 9)
                proc.communicate()
                raise RuntimeError(f"stopped: more than {RSS_LIMIT_MB // 1024} GB resident ({watched_peak:,.0f} MB)")
            if timeout is not None and time.perf_counter() - start > timeout:
                os.killpg(proc.pid, 9)
                proc.communicate()
                raise subprocess.TimeoutExpired(argv, timeout)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
    wall = time.perf_counter() - start
    if TIME.exists():
        rss_kb = next((int(line.split(":")[1]) for line in stderr.splitlines()
                       if "Maximum resident set size" in line), None)
    else:  # the largest child so far: exact when each measured command is the largest yet
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        rss_kb = after if after > before else int(watched_peak * 1024) or None
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:4])} failed ({proc.returncode}):\n{stdout[-2000:]}\n{stderr[-3000:]}")
    return {"seconds": round(wall, 3), "peak_rss_mb": round(rss_kb / 1024, 1) if rss_kb else None, "stdout": stdout}


def build_phases(stdout: str) -> dict[str, float]:
    """The phase times `ckg build` prints on its last line: "  read and check 0.01 s, load 0.06 s, ..."."""
    phases = {}
    for item in stdout.strip().splitlines()[-1].split(", "):
        name, seconds, _ = item.strip().rsplit(" ", 2)
        phases[name] = float(seconds)
    return phases


def du_mb(path: Path) -> float:
    total = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return round(total / 2**20, 1)


def make_root(size: str, work: Path) -> tuple[Path, dict]:
    root = work / f"root-{size}"
    if size == "seeds":
        if root.exists():
            shutil.rmtree(root)
        for folder in ("seeds", "ontology", "queries"):
            shutil.copytree(REPO / folder, root / folder)
        registry = (root / "seeds" / "entities.toml").read_text(encoding="utf-8")
        facts = (root / "seeds" / "curation.toml").read_text(encoding="utf-8")
        mentions = sum(1 for ann in (root / "seeds").glob("*.ann")
                       for line in ann.read_text(encoding="utf-8").splitlines() if line.startswith("T"))
        return root, {"scale": 1, "articles": len(list((root / "seeds").glob("*.txt"))),
                      "entities": registry.count("\n[entity."), "facts": facts.count("[[fact]]"), "mentions": mentions}
    counts = corpus.generate(root, int(size))
    return root, counts


def store_figures(var: Path) -> dict:
    import pyoxigraph as ox

    meta = json.loads((var / "current" / "build.json").read_text(encoding="utf-8"))
    store = ox.Store.read_only(str(var / "current" / "store"))
    triples = int(next(iter(store.query(
        "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }")))["n"].value)
    del store
    return {"quads": meta["quads"], "triples": triples, "graphs": len(meta["graphs"]),
            "inferred_quads": meta["graphs"].get("https://w3id.org/coalition-kg/graph/inferred", 0),
            "store_mb": du_mb(var / "current" / "store"), "build_id": meta["build_id"]}


_REASONING = r"""
import gc, json, sys, time
gc.disable()
from coalition_kg.graph import build, reasoning
from coalition_kg.project import Project
quads = build.asserted_quads(Project.locate(sys.argv[1]))
engine = sys.argv[2]
start = time.perf_counter()
result = reasoning.fast_closure(quads) if engine == "fast" else reasoning.owlrl_closure(quads)
seconds = time.perf_counter() - start
out = sys.argv[3]
with open(out, "w") as f:
    f.write("\n".join(sorted(map(str, result))))
print(json.dumps({"seconds": round(seconds, 3), "inferred": len(result), "asserted": len(quads)}))
"""


def reasoning_figures(root: Path, work: Path, with_owlrl: bool, timeout: float) -> dict:
    """The two closures, each in a fresh process (owlrl with a time limit), compared quad for quad."""
    env = dict(os.environ)
    figures = {}
    fast_out, owlrl_out = work / "fast.nq", work / "owlrl.nq"
    fast = json.loads(run_measured([sys.executable, "-c", _REASONING, str(root), "fast", str(fast_out)], env)["stdout"])
    figures.update(asserted_quads=fast["asserted"], fast_closure_s=fast["seconds"], inferred=fast["inferred"])
    if not with_owlrl:
        figures["owlrl_closure_s"] = None
        figures["owlrl_note"] = "not run at this size (see --owlrl-max)"
        return figures
    try:
        measured = run_measured([sys.executable, "-c", _REASONING, str(root), "owlrl", str(owlrl_out)], env, timeout)
    except subprocess.TimeoutExpired:
        figures["owlrl_closure_s"] = None
        figures["owlrl_note"] = f"owlrl did not finish within {timeout:.0f} s"
        return figures
    reference = json.loads(measured["stdout"])
    figures["owlrl_closure_s"] = reference["seconds"]
    figures["owlrl_peak_rss_mb"] = measured["peak_rss_mb"]
    figures["closures_equal"] = fast_out.read_bytes() == owlrl_out.read_bytes()
    figures["owlrl_over_fast"] = round(reference["seconds"] / max(fast["seconds"], 1e-6), 1)
    return figures


def bench_size(size: str, work: Path, args) -> dict:
    print(f"== {size}", flush=True)
    row: dict = {"size": size, "measured_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                 "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}
    start = time.perf_counter()
    root, counts = make_root(size, work)
    row["generate_s"] = round(time.perf_counter() - start, 2)
    row.update({k: v for k, v in counts.items() if k != "scale"})
    var = work / f"var-{size}"
    shutil.rmtree(var, ignore_errors=True)
    env = dict(os.environ, CKG_ROOT=str(root), CKG_VAR=str(var))
    builds = []
    for _ in range(args.repeat if size in ("seeds", "10") else 1):
        shutil.rmtree(var, ignore_errors=True)
        builds.append(run_measured(CKG + ["build"], env, timeout=args.build_timeout))
    best = min(builds, key=lambda b: b["seconds"])
    row["build_s"] = best["seconds"]
    row["build_runs_s"] = [b["seconds"] for b in builds]
    row["build_peak_rss_mb"] = best["peak_rss_mb"]
    row["build_phases_s"] = build_phases(best["stdout"])
    row.update(store_figures(var))
    dump_path = work / f"dump-{size}.nq"
    dumped = run_measured(CKG + ["dump", "--format", "nquads", "-o", str(dump_path)], env)
    row["dump_s"] = dumped["seconds"]
    row["dump_peak_rss_mb"] = dumped["peak_rss_mb"]
    row["dump_mb"] = round(dump_path.stat().st_size / 2**20, 1)
    dump_path.unlink()
    scale = 1 if size == "seeds" else int(size)
    row.update(reasoning_figures(root, work, scale <= args.owlrl_max, args.owlrl_timeout))
    print(json.dumps(row), flush=True)
    if not args.keep:
        shutil.rmtree(var, ignore_errors=True)
        if size != "seeds":
            shutil.rmtree(root, ignore_errors=True)
    return row


def machine() -> dict:
    import pyoxigraph

    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = bool(subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "graph", "benchmarks"],
                                capture_output=True, text=True).stdout.strip())
    return {
        "when": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": commit + ("+changes" if dirty else ""),
        "cpus": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "pyoxigraph": pyoxigraph.__version__,
        "platform": platform.platform(),
    }


def write_markdown(result: dict, path: Path) -> None:
    m = result["machine"]
    lines = [
        "# Build benchmark",
        "",
        f"`python benchmarks/build_bench.py`, {m['when']}, commit {m['commit']}: {m['cpus']} CPUs, {m['memory_gb']} GB, "
        f"Python {m['python']}, pyoxigraph {m['pyoxigraph']}; load average at start {m['load_average_at_start']} "
        "(a shared machine: absolute times drift, ratios within one run hold).",
        "",
        "| size | articles | entities | quads | triples | build (s) | peak RSS (MB) | store (MB) | dump (s) | dump (MB) "
        "| fast closure (s) | owlrl closure (s) | owlrl / fast | same closure |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|",
    ]
    for r in result["rows"]:
        if r.get("skipped"):
            lines.append(f"| {r['size']}x | skipped: {r['skipped']} |" + " |" * 12)
            continue
        owlrl = r.get("owlrl_closure_s")
        lines.append(
            f"| {r['size'] if r['size'] == 'seeds' else r['size'] + 'x'} | {r.get('articles', '')} | {r.get('entities', '')} "
            f"| {r['quads']:,} | {r['triples']:,} | {r['build_s']:.2f} | {r['build_peak_rss_mb']:,.0f} | {r['store_mb']:,.1f} "
            f"| {r['dump_s']:.2f} | {r['dump_mb']:,.1f} | {r['fast_closure_s']:.2f} "
            f"| {f'{owlrl:.1f}' if owlrl is not None else '–'} | {r.get('owlrl_over_fast', '–')} "
            f"| {'yes' if r.get('closures_equal') else ('–' if owlrl is None else 'NO')} |")
    notes = [f"- {r['size']}: {r['owlrl_note']}" for r in result["rows"] if r.get("owlrl_note")]
    lines += ["", "Build and dump times are whole processes (`ckg build`, `ckg dump --format nquads`), "
              "best of the runs listed in build.json; peak RSS of that process. Closure times are of the "
              "reasoning alone, on the same asserted quads, each engine in a fresh process.", *notes, ""]
    lines += phase_table(result["rows"])
    lines += ["![build time and memory against size](build.png)", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def phase_table(rows: list[dict]) -> list[str]:
    """Seconds per phase of the build (as `ckg build` reports them), and each time over the previous size's."""
    rows = [r for r in rows if r.get("build_phases_s")]
    if not rows:
        return []
    phases = list(dict.fromkeys(p for r in rows for p in r["build_phases_s"]))
    lines = ["## Where the build's time goes", "",
             "| size | " + " | ".join(phases) + " | build | dump |", "|---|" + "--:|" * (len(phases) + 2)]
    previous = None
    for r in rows:
        cells = []
        for name, now, before in [(p, r["build_phases_s"].get(p), previous and previous["build_phases_s"].get(p))
                                  for p in phases] + [("build", r["build_s"], previous and previous["build_s"]),
                                                      ("dump", r["dump_s"], previous and previous["dump_s"])]:
            cell = "–" if now is None else f"{now:.2f}"
            if now is not None and before:
                cell += f" (×{now / before:.1f})"
            cells.append(cell)
        lines.append(f"| {r['size'] if r['size'] == 'seeds' else r['size'] + 'x'} | " + " | ".join(cells) + " |")
        previous = r
    lines += ["", "In brackets: the time over the previous size's. Each size has ten times the data of the one "
              "before, so ×10 is linear growth. The quads stream into the store one named graph at a time: "
              "Oxigraph's bulk loader pulls them, so making them (RDF and build id) and reasoning happen while "
              "it builds its files, in threads of its own, for each million quads; *load* is the time left "
              "over. On two CPUs they share the time once there are several millions (1000x), so there the "
              "first two take longer than they would alone and *load* less: compare their sum. *compaction* "
              "merges the loader's files (RocksDB would otherwise do it in the background, during the "
              "validation); *validation* runs the SHACL shapes as SPARQL in the new store (pyshacl, up to "
              "50,000 quads: the seeds).", ""]
    return lines


def write_chart(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in result["rows"] if not r.get("skipped")]
    quads = [r["quads"] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    left.loglog(quads, [r["build_s"] for r in rows], "o-", label="ckg build (whole process)")
    left.loglog(quads, [r["dump_s"] for r in rows], "s-", label="ckg dump (N-Quads)")
    left.loglog(quads, [r["fast_closure_s"] for r in rows], "^-", label="fast OWL RL closure")
    owl = [(r["quads"], r["owlrl_closure_s"]) for r in rows if r.get("owlrl_closure_s")]
    if owl:
        left.loglog(*zip(*owl), "x--", label="owlrl closure (reference)")
    q0, t0 = quads[0], rows[0]["build_s"]
    left.loglog([q0, quads[-1]], [t0, t0 * quads[-1] / q0], ":", color="grey", label="linear from the seeds")
    left.set_xlabel("quads in the store")
    left.set_ylabel("seconds")
    left.set_title("Time")
    left.legend(fontsize=8)
    left.grid(True, which="both", alpha=0.3)
    right.loglog(quads, [r["build_peak_rss_mb"] for r in rows], "o-", label="build peak RSS")
    right.loglog(quads, [r["store_mb"] for r in rows], "s-", label="store on disk")
    right.set_xlabel("quads in the store")
    right.set_ylabel("MB")
    right.set_title("Memory and disk")
    right.legend(fontsize=8)
    right.grid(True, which="both", alpha=0.3)
    for axis in (left, right):
        for r in rows:
            axis.annotate(r["size"] if r["size"] == "seeds" else f"{r['size']}x", (r["quads"], axis.get_ylim()[0]),
                          textcoords="offset points", xytext=(0, 4), ha="center", fontsize=7, color="grey")
    fig.suptitle(f"coalition-kg build, {result['machine']['cpus']} CPUs, commit {result['machine']['commit']}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="seeds,10,100,1000", help="comma-separated: seeds and multiples of the seeds")
    parser.add_argument("--work", default="/tmp/ckg-build-bench", help="scratch folder for roots, stores and dumps")
    parser.add_argument("--out", default=str(HERE / "results"), help="where build.json, build.md and build.png go")
    parser.add_argument("--repeat", type=int, default=3, help="builds per size for seeds and 10x (the best counts)")
    parser.add_argument("--owlrl-max", type=int, default=100, help="largest multiple of the seeds to run owlrl on")
    parser.add_argument("--owlrl-timeout", type=float, default=900, help="seconds before owlrl is given up on")
    parser.add_argument("--build-timeout", type=float, default=1800, help="seconds before a build is given up on")
    parser.add_argument("--skip", action="append", default=[], metavar="SIZE=REASON",
                        help="record a size as skipped, with the reason")
    parser.add_argument("--keep", action="store_true", help="keep generated roots and stores")
    parser.add_argument("--merge", action="store_true",
                        help="keep the rows of sizes not run now from the existing build.json (each row says when)")
    args = parser.parse_args(argv)
    gc.collect()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    skipped = dict(item.split("=", 1) for item in args.skip)
    result = {"machine": machine(), "rows": []}
    sizes = args.sizes.split(",")
    if args.merge and (out / "build.json").exists():
        previous = json.loads((out / "build.json").read_text(encoding="utf-8"))
        for row in previous["rows"]:
            if row["size"] not in sizes:
                row.setdefault("measured_at", previous["machine"]["when"])
                row.setdefault("load_average_at_start", previous["machine"]["load_average_at_start"])
                result["rows"].append(row)
        result["machine"]["when"] = previous["machine"]["when"].split(" to ")[0] + " to " + result["machine"]["when"]
    order = ["seeds"] + [str(n) for n in range(1, 100001)]
    for size in sizes:
        if size in skipped:
            result["rows"].append({"size": size, "skipped": skipped[size]})
            continue
        try:
            result["rows"].append(bench_size(size, work, args))
        except (RuntimeError, subprocess.TimeoutExpired, MemoryError) as error:
            result["rows"].append({"size": size, "skipped": f"failed: {str(error)[:300]}"})
        result["rows"].sort(key=lambda r: order.index(r["size"]) if r["size"] in order else len(order))
        (out / "build.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    write_markdown(result, out / "build.md")
    write_chart(result, out / "build.png")
    print((out / "build.md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
