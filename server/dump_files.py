"""The build's N-Quads dump as a file under var/dumps/, for /dump.nq: the bytes of `ckg dump --format
nquads`, written once per build (a build never changes) at the first request that asks for it, from the
backend's named graphs one at a time, each whole and counted (Backend.graph_ntriples).

- One writer at a time, across the server's processes: a lock on var/dumps/.lock, taken without waiting;
  a request that finds a dump being written is told to come back (503, Retry-After) rather than hold a
  thread for as long as the write takes.
- A graph that cannot be read whole fails the request before a byte is sent, and nothing is kept of it;
  the failure is remembered a while (var/dumps/.BUILD.failed, for every process), so that a flood of
  requests does not read the backend again each.
- A dump of a build that no longer serves is removed once it is an hour old (a download of it may still
  be under way; a replica may still serve that build), when another build's dump is written; half-written
  files of writers that died are removed then too.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path

import pyoxigraph as ox

from ..graph import dump as dumping
from .backend import Backend, Snapshot
from .errors import DumpUnavailable, IncompleteAnswer, ServiceError

KEEP_SECONDS = 3600  # how long a dump of a build that no longer serves stays
FAILURE_SECONDS = 30  # how long a failed write is answered from memory
RETRY_SECONDS = 5  # what a request that finds a dump being written is told


class DumpFiles:
    def __init__(self, var: Path):
        self.folder = var / "dumps"

    def path(self, info: Snapshot, backend: Backend) -> Path:
        """The dump of the build, written first if there is none; raises DumpUnavailable, or the backend's
        error (then DumpUnavailable with its message for FAILURE_SECONDS)."""
        path = self.folder / f"{info.build_id}.nq"
        if path.exists():
            return path
        self._raise_recent_failure(info.build_id)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            lock = open(self.folder / ".lock", "ab")
        except OSError as error:
            raise self._unwritable(info, error) from None
        with lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released when the file is closed
            except BlockingIOError:
                raise DumpUnavailable(f"the dump of build {info.build_id} is being written; ask again in a few "
                                      "seconds", retry_after=RETRY_SECONDS) from None
            if not path.exists():  # another writer may have finished before the lock was ours
                self._write(info, backend, path)
                self._remove_old(path)
        return path

    def _write(self, info: Snapshot, backend: Backend, path: Path) -> None:
        part = self.folder / f".{info.build_id}.nq.{os.getpid()}.part"
        try:
            with open(part, "wb") as out:
                for iri in dumping.graph_order(info.graphs):
                    out.write(dumping.graph_nquads(_whole(backend.graph_ntriples(info, iri), info, iri),
                                                   ox.NamedNode(iri)))
            os.replace(part, path)
        except ServiceError as error:
            with contextlib.suppress(OSError):
                self._failed(info.build_id).write_text(error.message, encoding="utf-8")
            raise
        except OSError as error:
            raise self._unwritable(info, error) from None
        finally:
            with contextlib.suppress(OSError):  # renamed, or never made
                part.unlink()

    def _raise_recent_failure(self, build_id: str) -> None:
        failed = self._failed(build_id)
        with contextlib.suppress(OSError):
            age = time.time() - failed.stat().st_mtime
            if age < FAILURE_SECONDS:
                raise DumpUnavailable(failed.read_text(encoding="utf-8"), retry_after=max(1, int(FAILURE_SECONDS - age)))

    def _failed(self, build_id: str) -> Path:
        return self.folder / f".{build_id}.failed"

    def _remove_old(self, current: Path) -> None:
        """Other builds' dumps older than KEEP_SECONDS, the half-written files of writers that died (the
        lock is ours: no other writer is alive), and the notes of failures."""
        now = time.time()
        for file in self.folder.iterdir():
            with contextlib.suppress(OSError):
                if file.suffix in (".part", ".failed") or (
                        file.suffix == ".nq" and file != current and now - file.stat().st_mtime > KEEP_SECONDS):
                    file.unlink()

    def _unwritable(self, info: Snapshot, error: OSError) -> DumpUnavailable:
        return DumpUnavailable(f"the dump of build {info.build_id} cannot be written under {self.folder}: "
                               f"{error.strerror or error}")


def _whole(ntriples: bytes, info: Snapshot, iri: str) -> bytes:
    """The graph, if it has as many triples as its build counted: one with fewer (an engine's silent row
    cap, a body ended early at a line break, which N-Triples cannot tell from its end) or more is not it."""
    found, expected = ntriples.count(b"\n"), info.graphs[iri]
    if found != expected:
        raise IncompleteAnswer(f"the backend gave {found} triples of the graph <{iri}>, where its build counted "
                               f"{expected}")
    return ntriples
