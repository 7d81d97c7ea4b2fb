"""The load test's figures and verdicts (benchmarks/load.py), and its report in Markdown and JSON.

The verdicts, each a line of `problems` when it fails:

- no valid request failed (no connection error, no non-200 status, no wrong answer), in the warm-up, the
  load or the final round;
- every answer names a build that was current at some moment while it was being made, and the probe's
  count of quads is that build's: no answer mixed two builds;
- the cheap requests' p99 latency is under `Bounds.cheap_p99_s`;
- between the sample after the warm-up and the one at the end, the server's resident memory grew by less
  than `Bounds.rss_growth`, its open files other than the stores' by at most `Bounds.fd_margin`, and no
  process holds more than one store open at the end (load_server.Sample says why the stores' files are
  counted apart);
- malformed requests got their 4xx; runaways 503 (or 429, with Retry-After, as a 503 before the time
  limit must have too); idle bodies nothing worse than a 4xx;
- every rebuild succeeded, and answers from more than one build were seen.
"""

from __future__ import annotations

import json
import math
import os
import platform
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks import load_server
from benchmarks.load_server import Sample, Swap, possible_builds
from benchmarks.load_workload import CHEAP_CLASSES, VALID_CLASSES, Outcome, status_counts

CLASSES = (*VALID_CLASSES, "malformed", "runaway")


@dataclass(frozen=True)
class Bounds:
    # Cheap requests take tens of milliseconds at the 99th percentile on a busy 2-CPU machine; one that
    # finds every thread of its worker held (by runaways, idle bodies) waits until the time limit frees
    # one. The bound: no more than 1 in 100 may wait that long. The default is the tests' time limit.
    cheap_p99_s: float = 2.0
    rss_growth: float = 0.30  # fraction of the resident memory after the warm-up
    fd_margin: int = 4  # open files other than the stores', summed over the process tree


def percentile(values: list[float], p: float) -> float | None:
    """The nearest-rank percentile: a value that was observed."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def latency_ms(outcomes: list[Outcome]) -> dict:
    seconds = [o.seconds for o in outcomes]
    return {name: (round(percentile(seconds, p) * 1000, 1) if seconds else None)
            for name, p in (("p50", 50), ("p95", 95), ("p99", 99), ("max", 100))}


def figures(outcomes: list[Outcome]) -> dict:
    return {"requests": len(outcomes), "failed": sum(1 for o in outcomes if not o.ok),
            "statuses": status_counts(outcomes), "latency_ms": latency_ms(outcomes)}


def summary(*, plan, outcomes: list[Outcome], warmup: list[Outcome], final: list[Outcome], final_build: str,
            swaps: list[Swap], reference_quads: int, idle: list, idle_problems: list[str], start: Sample,
            end: Sample, samples: list[Sample], seconds: float, server: dict, bounds: Bounds = Bounds(),
            not_ready: list[Outcome] = ()) -> dict:
    problems: list[str] = []
    valid = [o for o in (*warmup, *outcomes, *final) if o.cls in VALID_CLASSES]

    failed = [o for o in valid if not o.ok]
    if failed:
        problems.append(f"{len(failed)} valid requests failed, e.g. " +
                        "; ".join(f"{o.cls}/{o.kind}: {o.problem}" for o in failed[:5]))

    quads_of = {s.build: s.quads for s in swaps}
    mixed = [o for o in valid if o.ok and o.build not in possible_builds(swaps, o.started, o.ended)]
    if mixed:
        problems.append(f"{len(mixed)} answers named a build that was not current while they were made, e.g. " +
                        "; ".join(f"{o.cls}/{o.kind}: {o.build}" for o in mixed[:5]))
    miscounted = [o for o in valid if o.count is not None and o.count != quads_of.get(o.build)]
    if miscounted:
        problems.append(f"{len(miscounted)} probes counted other than their build's quads, e.g. " +
                        "; ".join(f"{o.count} in {o.build} (has {quads_of.get(o.build)})" for o in miscounted[:5]))
    stale = [o for o in final if o.build != final_build]
    if stale:
        problems.append(f"after the load, answers came from {sorted({o.build for o in stale})}, "
                        f"not the last build {final_build}")

    cheap = [o for o in outcomes if o.cls in CHEAP_CLASSES]
    cheap_p99 = percentile([o.seconds for o in cheap], 99)
    if cheap_p99 is not None and cheap_p99 > bounds.cheap_p99_s:
        problems.append(f"cheap requests' p99 latency {cheap_p99:.2f} s is over {bounds.cheap_p99_s} s")

    for cls in ("malformed", "runaway"):
        wrong = [o for o in outcomes if o.cls == cls and not o.ok]
        if wrong:
            problems.append(f"{len(wrong)} {cls} requests got the wrong answer, e.g. " +
                            "; ".join(f"{o.kind}: {o.problem}" for o in wrong[:5]))
    by_class = {cls: [o for o in outcomes if o.cls == cls] for cls in CLASSES}
    expected_classes = [c for c in CLASSES if c != "runaway" or plan.runaway_clients]
    for cls in expected_classes:
        if not by_class[cls]:
            problems.append(f"no {cls} request was made: the run proves nothing about them")

    growth = (end.rss_kb - start.rss_kb) / start.rss_kb
    step = max(1, len(samples) // 10)
    if growth >= bounds.rss_growth:
        problems.append(f"resident memory grew by {growth:.0%} ({start.rss_kb} -> {end.rss_kb} kB), "
                        f"not under {bounds.rss_growth:.0%}")
    if end.other_fds > start.other_fds + bounds.fd_margin:
        problems.append(f"open files other than the stores' grew from {start.other_fds} to {end.other_fds} "
                        f"(margin {bounds.fd_margin})")
    if end.most_stores_open > 1:
        problems.append(f"a process still holds {end.most_stores_open} stores open after the load")

    for swap in swaps:
        if swap.problem:
            problems.append(f"rebuild ({swap.how}) failed: {swap.problem}")
    seen = Counter(o.build for o in (*outcomes, *final) if o.cls in VALID_CLASSES and o.build)
    if len(swaps) > 1 and len(seen) < 2:
        problems.append(f"answers came from one build only ({sorted(seen)}) although the store was swapped")

    idle_statuses = Counter(b.status for b in idle if b.ended_by == "server")
    bad_idle = {s: n for s, n in idle_statuses.items() if s is not None and not 400 <= s < 500}
    if bad_idle:
        problems.append(f"idle bodies were answered {bad_idle}, not with a 4xx")
    problems.extend(idle_problems[:5])

    return {
        "when": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()],
                    "python": platform.python_version()},
        "plan": asdict(plan), "server": server, "bounds": asdict(bounds),
        "seconds": round(seconds, 1), "requests": len(outcomes),
        "requests_per_second": round(len(outcomes) / seconds, 1),
        "classes": {cls: {**figures(by_class[cls]),
                          "kinds": {kind: figures([o for o in by_class[cls] if o.kind == kind])
                                    for kind in sorted({o.kind for o in by_class[cls]})}}
                    for cls in CLASSES},
        "cheap": {"classes": list(CHEAP_CLASSES), "requests": len(cheap),
                  "p99_s": round(cheap_p99, 3) if cheap_p99 is not None else None, "bound_s": bounds.cheap_p99_s},
        "not_ready": {**figures(list(not_ready)), "examples": [f"{o.kind}: {o.problem}" for o in not_ready[:3]]},
        "warmup": figures(warmup), "final": figures(final),
        "process_tree": {"start": asdict(start), "end": asdict(end),
                         "peak_rss_kb": max([s.rss_kb for s in samples] + [start.rss_kb, end.rss_kb]),
                         "peak_fds": max([s.fds for s in samples] + [start.fds, end.fds]),
                         "rss_growth": round(growth, 3), "other_fd_change": end.other_fds - start.other_fds,
                         # about ten points, to tell a cache filling up (it levels off) from a leak (it does not)
                         "rss_mib_during": [round(s.rss_kb / 1024, 1) for s in samples[::step]],
                         "rss_mib_during_every_s": step * load_server.SAMPLE_EVERY_S},
        "rebuilds": [{"how": s.how, "build": s.build, "quads": s.quads, "seconds": round(s.seconds, 2),
                      "problem": s.problem} for s in swaps[1:]],
        "builds_existed": sorted(quads_of), "builds_seen": dict(sorted(seen.items())),
        "reference_quads": reference_quads,
        "idle_bodies": {"held_at_once": plan.idle_bodies, "opened": len(idle),
                        "ended_by_server": sum(1 for b in idle if b.ended_by == "server"),
                        "server_statuses": {str(k): v for k, v in idle_statuses.items()},
                        "held_to_the_end": sum(1 for b in idle if b.ended_by == "load test"),
                        "longest_held_s": round(max((b.held for b in idle), default=0.0), 1)},
        "problems": problems,
    }


def write(result: dict, stem: Path) -> None:
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    stem.with_suffix(".md").write_text(markdown(result), encoding="utf-8")


def _ms(value) -> str:
    return "" if value is None else f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def markdown(r: dict) -> str:
    plan, tree, idle = r["plan"], r["process_tree"], r["idle_bodies"]
    lines = [
        "# Load test", "",
        f"{r['when']}; {r['machine']['cpus']} CPUs, load average {r['machine']['load_average']} at the end; "
        f"`ckg serve` with {r['server']['workers']} workers x {r['server']['threads']} threads, "
        f"a {plan['query_timeout']} s query time limit, {plan['row_limit']} rows, {plan['max_body']} byte bodies.", "",
        f"{plan['clients']} clients (mean pause {plan['think'] * 1000:.0f} ms), {plan['runaway_clients']} runaway "
        f"client(s), {plan['idle_bodies']} idle bodies held at once, {len(r['rebuilds'])} rebuilds, for "
        f"{r['seconds']} s: **{r['requests']:,} requests, {r['requests_per_second']:,} per second**.", "",
        "**Verdict: " + ("pass**" if not r["problems"] else "FAIL**"), "",
        *[f"- {p}" for p in r["problems"]], *([""] if r["problems"] else []),
        "| class | kind | requests | failed | statuses | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---|--:|--:|---|--:|--:|--:|--:|",
    ]
    for cls, c in r["classes"].items():
        rows = [("**all**", c), *c["kinds"].items()]
        for kind, f in rows:
            statuses = ", ".join(f"{k}: {v:,}" for k, v in f["statuses"].items())
            lat = f["latency_ms"]
            lines.append(f"| {cls} | {kind} | {f['requests']:,} | {f['failed']:,} | {statuses} | {_ms(lat['p50'])} "
                         f"| {_ms(lat['p95'])} | {_ms(lat['p99'])} | {_ms(lat['max'])} |")
    cheap = r["cheap"]
    lines += [
        "", f"Cheap requests ({' and '.join(cheap['classes'])}): {cheap['requests']:,}, p99 {cheap['p99_s']} s "
        f"(bound {cheap['bound_s']} s). Before the warm-up, {r['not_ready']['failed']} queries failed while the "
        f"server's evaluators were starting{''.join(': ' + e for e in r['not_ready']['examples'][:1])}. "
        f"Warm-up: {r['warmup']['requests']} requests, {r['warmup']['failed']} failed; "
        f"after the load: {r['final']['requests']} requests, {r['final']['failed']} failed.", "",
        "| server's process tree | after warm-up | end | peak |", "|---|--:|--:|--:|",
        f"| resident memory (MiB) | {tree['start']['rss_kb'] / 1024:.1f} | {tree['end']['rss_kb'] / 1024:.1f} "
        f"| {tree['peak_rss_kb'] / 1024:.1f} |",
        f"| open files | {tree['start']['fds']} | {tree['end']['fds']} | {tree['peak_fds']} |",
        f"| of them, the stores' files | {tree['start']['store_fds']} | {tree['end']['store_fds']} | |",
        f"| most stores one process holds | {tree['start']['most_stores_open']} "
        f"| {tree['end']['most_stores_open']} | |",
        f"| processes | {tree['start']['processes']} | {tree['end']['processes']} | |", "",
        f"Resident memory during the load (MiB, every {tree['rss_mib_during_every_s']:g} s): "
        + ", ".join(f"{v:.0f}" for v in tree["rss_mib_during"]) + ".", "",
        f"Memory grew by {tree['rss_growth']:.1%} (bound {r['bounds']['rss_growth']:.0%}); open files other than "
        f"the stores' changed by {tree['other_fd_change']:+d} (margin {r['bounds']['fd_margin']}). A process "
        "holds the files of the store it last read, so the stores' share depends on which evaluator children "
        "happened to work; what must hold is that none keeps more than one store open.", "",
        "| rebuild | build | quads | seconds |", "|---|---|--:|--:|",
        *[f"| {b['how']} | `{b['build']}` | {b['quads']:,} | {b['seconds']} |" for b in r["rebuilds"]], "",
        "Builds seen in answers: " + ", ".join(f"`{k}` {v:,}" for k, v in r["builds_seen"].items()) +
        f" (of {len(r['builds_existed'])} that existed).", "",
        f"Idle bodies: {idle['opened']} opened ({idle['held_at_once']} at once), {idle['ended_by_server']} ended by "
        f"the server (answers: {idle['server_statuses'] or 'none'}), {idle['held_to_the_end']} still held at the end; "
        f"longest held {idle['longest_held_s']} s.", "",
    ]
    return "\n".join(lines)
