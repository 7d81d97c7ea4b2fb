"""Which store is current, checked with one readlink per request.

A rebuild moves the `var/current` symlink. Each request asks `snapshot()` once and uses the StoreInfo
it gets for everything it does (every query, its ETag, its Last-Modified), so a request never sees two
stores even if the link moves while it runs; the next request sees the new one.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pyoxigraph as ox

from coalition_kg.graph import store as stores
from coalition_kg.graph.store import StoreInfo
from coalition_kg.server.errors import NoGraph


class LiveStore:
    def __init__(self, var: Path):
        self.var = Path(var)
        self._link = str(self.var / "current")
        self._name: str | None = None
        self._info: StoreInfo | None = None
        self._lock = threading.Lock()
        self._opened: tuple[str, ox.Store] | None = None  # the store bounded lookups read in this process

    def current_name(self) -> str | None:
        """The current store's directory name: one readlink, nothing else."""
        try:
            return os.readlink(self._link)
        except FileNotFoundError:
            return None

    def snapshot(self) -> StoreInfo:
        return self.info_for(self.current_name())

    def info_for(self, name: str | None) -> StoreInfo:
        """The StoreInfo of the store `name` (as current_name() gave it), read once per build."""
        info = self._info
        if name is not None and name == self._name and info is not None:
            return info
        if name is None:
            raise NoGraph("no graph has been built yet: run `ckg build`")
        with self._lock:
            try:
                info = stores.read_info(self.var / name)
            except (OSError, ValueError, KeyError):
                raise NoGraph("the current graph store cannot be read; a rebuild may be under way") from None
            self._name, self._info = name, info
        return info

    def open(self, store_path: str) -> ox.Store:
        """A read-only handle on the store at store_path, opened once per build and shared by threads.

        Only bounded lookups use it (evaluator.evaluate_here); a rebuild opens the new store and lets the
        old handle go once no request holds it any more."""
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
