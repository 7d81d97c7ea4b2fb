"""A bounded in-memory cache of finished answers, per worker process, and the sharing of one
evaluation among concurrent identical requests while the cache is still cold.

Every key holds the build's key (Snapshot.key), so a rebuild makes every older entry unreachable; they
then age out of the least-recently-used order instead of being swept. The bound is on bytes, not entries, since
one CONSTRUCT can weigh as much as a thousand small SELECTs.
"""

from __future__ import annotations

import threading

from cachetools import LRUCache


class AnswerCache:
    """cachetools' LRU with each entry weighed by its size in bytes, behind a lock (cachetools' caches are
    not thread-safe, and a worker serves several requests at once)."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._entries = LRUCache(maxsize=max(1, max_bytes), getsizeof=_size)
        self._lock = threading.Lock()

    def put(self, key, value, size: int) -> None:
        if size > self.max_bytes // 4:  # one huge answer must not flush everything else
            return
        with self._lock:
            self._entries[key] = (value, size)

    def lookup(self, key):
        with self._lock:
            entry = self._entries.get(key)
        return None if entry is None else entry[0]

    def __len__(self) -> int:
        return len(self._entries)


def _size(entry) -> int:
    return entry[1]


class Flights:
    """Concurrent requests for the same answer share one evaluation.

    The cache helps only once an answer is in it: without this, eight clients asking the same slow
    query at once would start eight evaluations. The first caller computes; the others wait for its
    answer, or its error (a time limit hit by one would be hit by all)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._flights: dict = {}

    def run(self, key, compute):
        with self._lock:
            flight = self._flights.get(key)
            leader = flight is None
            if leader:
                flight = self._flights[key] = _Flight()
        if not leader:
            return flight.result()
        try:
            value = compute()
        except BaseException as error:
            flight.error = error
            raise
        else:
            flight.value = value
            return value
        finally:
            flight.done.set()
            with self._lock:
                self._flights.pop(key, None)


class _Flight:
    def __init__(self):
        self.done = threading.Event()
        self.value = None
        self.error: BaseException | None = None

    def result(self):
        self.done.wait()
        if self.error is not None:
            raise self.error
        return self.value
