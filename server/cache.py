"""A bounded in-memory cache of finished answers, per worker process.

Keys begin with the build id, so a rebuild makes every older entry unreachable; they then age out
of the least-recently-used order instead of being swept. The bound is on bytes, not entries, since
one CONSTRUCT can weigh as much as a thousand small SELECTs.
"""

from __future__ import annotations

import threading
from collections import OrderedDict


class AnswerCache:
    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._entries: OrderedDict = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key, value, size: int) -> None:
        if size > self.max_bytes // 4:  # one huge answer must not flush everything else
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= old[1]
            self._entries[key] = (value, size)
            self._size += size
            while self._size > self.max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._size -= dropped

    def lookup(self, key):
        entry = self.get(key)
        return None if entry is None else entry[0]

    def __len__(self) -> int:
        return len(self._entries)
