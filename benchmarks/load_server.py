"""What the load test (benchmarks/load.py) does to and sees of the server besides its HTTP requests:

- the memory and open files of its process tree, read from /proc;
- rebuilds under it: `ckg build` with the server's CKG_VAR, and swaps to marker stores (the reference's
  quads plus a few labels of one entity, so that each has a build id and a quad count of its own), with
  the time window in which each swap happened, to judge which builds an answer may come from;
- idle request bodies: raw connections that send a POST's headers and then nothing, held open.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from coalition_kg.graph import store
from coalition_kg.namespaces import ENTITY, GRAPH, RDFS
from coalition_kg.server import formats

CKG = [sys.executable, "-m", "coalition_kg.cli"]


# --- the process tree ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sample:
    """The server's process tree at one moment: resident memory summed over it, open files, processes.

    The files of the stores are counted apart: each process holds those of the store it last read, and
    a process that has not read since a swap (an evaluator child nobody needed) still holds the previous
    one's, so their sum depends on which children happened to work; what must hold is that no process
    keeps more than one store open once the load is over."""

    at: float  # time.monotonic()
    rss_kb: int
    fds: int  # every open file
    store_fds: int  # of them, the files of stores (under var/stores/)
    most_stores_open: int  # the most stores one process holds open
    processes: int

    @property
    def other_fds(self) -> int:
        return self.fds - self.store_fds


def process_tree(root: int) -> list[int]:
    """root and every process descending from it (gunicorn or granian, workers, evaluator children)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        # The command name is in parentheses and may hold spaces or parentheses itself: split after the last.
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


def open_files(pid: int) -> list[str]:
    """What each open file descriptor of pid points at; one closed while being read is left out."""
    targets = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            targets.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except FileNotFoundError:
            pass
    return targets


def sample(root: int) -> Sample:
    rss = fds = store_fds = most_stores = processes = 0
    for pid in process_tree(root):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            targets = open_files(pid)
        except OSError:  # gone meanwhile
            continue
        rss += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
        stores = [t.split("/stores/", 1)[1].split("/", 1)[0] for t in targets if "/stores/" in t]
        fds += len(targets)
        store_fds += len(stores)
        most_stores = max(most_stores, len(set(stores)))
        processes += 1
    return Sample(time.monotonic(), rss, fds, store_fds, most_stores, processes)


def settled_sample(root: int, seconds: float = 5.0) -> Sample:
    """A sample once the tree has stopped changing (closed connections, replaced children take a moment):
    two in a row with the same processes and open files, or the last after `seconds`."""
    deadline = time.monotonic() + seconds
    last = sample(root)
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = sample(root)
        if (now.other_fds, now.processes) == (last.other_fds, last.processes):
            return now
        last = now
    return last


SAMPLE_EVERY_S = 1.0


class Sampler(threading.Thread):
    """Samples the tree every SAMPLE_EVERY_S while the load runs, for the report's peaks and course."""

    def __init__(self, root: int, stop: threading.Event):
        super().__init__(daemon=True, name="sampler")
        self.root, self.stop, self.samples = root, stop, []

    def run(self) -> None:
        while not self.stop.wait(SAMPLE_EVERY_S):
            self.samples.append(sample(self.root))


# --- rebuilds ---------------------------------------------------------------------------------------------

MARKER = ox.NamedNode(ENTITY + "load-test-marker")
RDFS_LABEL = ox.NamedNode(RDFS + "label")
CURATION = ox.NamedNode(GRAPH + "curation")


@dataclass
class Swap:
    """One change of the current store: the build it made current, and when (within [started, finished])."""

    build: str
    how: str  # "initial", "ckg build" or "marker"
    started: float
    finished: float
    quads: int
    seconds: float = 0.0
    problem: str = ""


def marker_build_id(number: int) -> str:
    return f"10ad{number:012x}"  # 16 hex digits, like a real build id, and never one


def marker_quads(reference: list[ox.Quad], number: int) -> list[ox.Quad]:
    """The reference's quads and `number` labels of an entity no query of the load test reads."""
    labels = [ox.Quad(MARKER, RDFS_LABEL, ox.Literal(f"load test marker {i}", language="en"), CURATION)
              for i in range(number)]
    return [*reference, *labels]


def swap_to_marker(var: Path, reference: list[ox.Quad], number: int) -> Swap:
    quads = marker_quads(reference, number)
    started = time.monotonic()
    info = store.write_new_store(var, marker_build_id(number), iter(quads))
    swapping = time.monotonic()
    store.make_current(var, info)
    return Swap(info.build_id, "marker", swapping, time.monotonic(), len(quads), seconds=time.monotonic() - started)


@dataclass
class Reference:
    """The store built from the seeds, which every answer is judged against, and the marker store made
    from it that the server starts on (so that the first rebuild changes the build)."""

    info: store.StoreInfo
    quads: list[ox.Quad]
    first: Swap


def prepare_var(var: Path, reference: store.StoreInfo) -> Reference:
    """Set up the server's var directory (before the server starts): a marker store made current."""
    quads = list(store.named_quads(reference.open_read_only()))
    first = swap_to_marker(var, quads, 1)
    first.how, first.started, first.finished = "initial", float("-inf"), float("-inf")
    return Reference(reference, quads, first)


def ckg_build(var: Path, expected_build: str) -> Swap:
    started = time.monotonic()
    done = subprocess.run([*CKG, "build"], env={**os.environ, "CKG_VAR": str(var)},
                          capture_output=True, text=True, timeout=600)
    finished = time.monotonic()
    info = store.current(var)
    swap = Swap(info.build_id, "ckg build", started, finished, info.quads, seconds=finished - started)
    if done.returncode != 0:
        swap.problem = f"ckg build exited {done.returncode}: {done.stderr.strip()[-300:]}"
    elif info.build_id != expected_build:
        swap.problem = f"ckg build made {info.build_id}, not the reference's {expected_build} (same seeds)"
    return swap


class Rebuilder(threading.Thread):
    """`count` rebuilds spread evenly over the run, alternately `ckg build` and a marker swap."""

    def __init__(self, var: Path, reference: Reference, count: int, duration: float, stop: threading.Event):
        super().__init__(daemon=True, name="rebuilder")
        self.var, self.reference = var, reference
        self.count, self.duration, self.stop = count, duration, stop
        self.swaps = [reference.first]

    def run(self) -> None:
        begin = time.monotonic()
        for i in range(self.count):
            if self.stop.wait(max(0.0, begin + self.duration * (i + 1) / (self.count + 1) - time.monotonic())):
                return
            if i % 2 == 0:
                self.swaps.append(ckg_build(self.var, self.reference.info.build_id))
            else:
                self.swaps.append(swap_to_marker(self.var, self.reference.quads, len(self.swaps) + 1))


def possible_builds(swaps: list[Swap], started: float, ended: float) -> set[str]:
    """The builds that may have been current at some moment between started and ended: a swap's build is
    current from (at the earliest) its start until (at the latest) the end of the next swap."""
    possible = set()
    for i, swap in enumerate(swaps):
        until = swaps[i + 1].finished if i + 1 < len(swaps) else float("inf")
        if swap.started <= ended and until >= started:
            possible.add(swap.build)
    return possible


# --- idle request bodies ----------------------------------------------------------------------------------

@dataclass
class IdleBody:
    """One connection that sent a POST's headers and no body: how long it was held and how it ended."""

    opened: float
    held: float = 0.0
    ended_by: str = ""  # "server" (answered or closed) or "load test" (still open at the end)
    status: int | None = None  # the server's answer, if it gave one


class IdleBodies(threading.Thread):
    """Holds one idle body open at a time until the run ends; when the server ends one, opens the next,
    so that the pressure lasts the whole run whatever the server's deadline."""

    HEADERS = ("POST /sparql HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/sparql-query\r\n"
               "Content-Length: 64\r\nAccept: {accept}\r\n\r\n")

    def __init__(self, host: str, port: int, stop: threading.Event, name: str):
        super().__init__(daemon=True, name=name)
        self.address, self.stop = (host, port), stop
        self.bodies: list[IdleBody] = []
        self.problems: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.hold_one()
            except OSError as error:  # could not even connect: the server is not accepting connections
                self.problems.append(f"idle body: {type(error).__name__}: {error}")
                self.stop.wait(0.5)

    def hold_one(self) -> None:
        with socket.create_connection(self.address, timeout=10) as sock:
            sock.sendall(self.HEADERS.format(host=f"{self.address[0]}:{self.address[1]}",
                                             accept=formats.BY_NAME["json"].media_type).encode())
            body = IdleBody(time.monotonic())
            self.bodies.append(body)
            sock.settimeout(0.2)
            reply = b""
            while not self.stop.is_set():
                try:
                    data = sock.recv(4096)
                except socket.timeout:
                    continue
                except OSError:  # reset by the server
                    data = b""
                reply += data
                if not data or b"\r\n" in reply:
                    body.ended_by = "server"
                    break
            body.held = time.monotonic() - body.opened
            body.ended_by = body.ended_by or "load test"
            if reply.startswith(b"HTTP/"):
                body.status = int(reply.split()[1])
        if body.ended_by == "server":
            self.stop.wait(0.1)  # a server that ends idle bodies at once must not make this a busy loop
