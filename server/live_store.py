"""Which store is current, checked with one readlink per request.

A rebuild moves the `var/current` symlink. Each request asks `snapshot()` once and uses the StoreInfo
it gets for everything it does (every query, its ETag, its Last-Modified), so a request never sees two
stores even if the link moves while it runs; the next request sees the new one.
"""

from __future__ import annotations

import threading
from pathlib import Path

from coalition_kg.graph import store as stores
from coalition_kg.graph.store import StoreInfo
from coalition_kg.server.errors import NoGraph


class LiveStore:
    def __init__(self, var: Path):
        self.var = Path(var)
        self._name: str | None = None
        self._info: StoreInfo | None = None
        self._lock = threading.Lock()

    def snapshot(self) -> StoreInfo:
        name = stores.current_name(self.var)
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
