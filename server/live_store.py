"""Which store is current, checked with one readlink per request.

A rebuild moves the `var/current` symlink. Each request asks `snapshot()` once and uses the Snapshot
it gets for everything it does (every query, its ETag, its Last-Modified), so a request never sees two
stores even if the link moves while it runs; the next request sees the new one.

A store is checked against its manifest (graph/store_manifest.py) the first time this process meets it,
before any request uses it; one that fails is never served: every request gets a 503 naming the damaged
file until a build makes another store current.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import pyoxigraph as ox

from ..graph import store as stores, store_manifest
from ..graph.errors import CorruptStore
from .backend import Snapshot
from .errors import NoGraph

log = logging.getLogger("coalition_kg.server")

# Up to this size a new store's files are hashed in full before it is served (about 0.3 s at the limit);
# larger stores are checked by name and size (one stat per file), their contents left to RocksDB's own
# block checksums, so that a swap does not stall requests for seconds.
FULL_CHECK_BYTES = 512 * 2**20


class LiveStore:
    def __init__(self, var: Path):
        self.var = Path(var)
        self._link = str(self.var / "current")
        self._current: tuple[str, Snapshot] | None = None
        self._refused: tuple[str, str] | None = None  # a store that failed its check, and why
        self._lock = threading.Lock()
        self._opened: tuple[str, ox.Store] | None = None  # the store bounded lookups read in this process

    def current_name(self) -> str | None:
        """The current store's directory name: one readlink, nothing else."""
        try:
            return os.readlink(self._link)
        except FileNotFoundError:
            return None

    def snapshot(self) -> Snapshot:
        return self.info_for(self.current_name())

    def info_for(self, name: str | None) -> Snapshot:
        """The Snapshot of the store `name` (as current_name() gave it), read once per build."""
        current = self._current  # (name, snapshot), replaced whole: never one build's name with another's snapshot
        if name is not None and current is not None and current[0] == name:
            return current[1]
        if name is None:
            raise NoGraph("no graph has been built yet: run `ckg build`")
        with self._lock:
            current = self._current
            if current is not None and current[0] == name:
                return current[1]  # checked by the thread that held the lock before us
            refused = self._refused
            if refused is not None and refused[0] == name:
                raise NoGraph(refused[1])
            try:
                info = stores.read_info(self.var / name)
                problem = self._problem(name, info)
            except (OSError, ValueError, KeyError):
                raise NoGraph("the current graph store cannot be read; a rebuild may be under way") from None
            if problem:  # refused now and for every later request, until another store is current
                log.error("refusing to serve the store %s: %s", name, problem)
                self._refused = (name, problem)
                raise NoGraph(problem)
            snapshot = Snapshot.of_store(info, name)
            self._current = (name, snapshot)
        return snapshot

    def _problem(self, name: str, info: stores.StoreInfo) -> str | None:
        """Why the store `name` must not be served, or None: files that are not its manifest's, or a layout
        other than this program's (its default graph would answer most queries with nothing)."""
        directory = self.var / name
        try:
            store_manifest.verify(directory, digests=store_manifest.size(directory) <= FULL_CHECK_BYTES)
        except CorruptStore as error:
            damaged = os.path.relpath(error.path, directory)
            return f"the current graph store ({name}) is damaged and is not served: {damaged} {error.message}"
        return stores.layout_problem(info)

    def open(self, store_path: str) -> ox.Store:
        """A read-only handle on the store at store_path, opened once per build and shared by threads.

        Only bounded reads use it (evaluator.evaluate_here's lookups, one named graph for the dump); a
        rebuild opens the new store and lets the old handle go once no request holds it any more."""
        opened = self._opened
        if opened is not None and opened[0] == store_path:
            return opened[1]
        with self._lock:
            opened = self._opened
            if opened is None or opened[0] != store_path:
                try:
                    opened = (store_path, ox.Store.read_only(store_path))
                except OSError:
                    raise NoGraph("the current graph store cannot be read; a rebuild may be under way") from None
                self._opened = opened
        return opened[1]
