"""A cheap access log for the granian workers: one line per request, written in batches.

granian's own access log calls Python's logging for every request (a LogRecord, a formatter, a
locked handler, a write and a flush each time), which on this endpoint's cached answers cost more
than the answer itself. Here a request appends one preformatted line to a list, and a background
thread writes what has gathered every quarter of a second (and at exit), so the log is at most that
late. Lines look like gunicorn's: `ADDR "METHOD PATH PROTOCOL" STATUS TIMEms "USER-AGENT"`.
"""

from __future__ import annotations

import atexit
import sys
import threading
import time


class AccessLog:
    def __init__(self, target: str, interval: float = 0.25):
        self._stream = sys.stdout if target == "-" else open(target, "a", encoding="utf-8", buffering=1 << 16)
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._interval = interval
        threading.Thread(target=self._run, name="access-log", daemon=True).start()
        atexit.register(self.flush)

    def line(self, environ, status: str, started: float) -> None:
        query = environ.get("QUERY_STRING")
        path = environ.get("PATH_INFO", "") + ("?" + query if query else "")
        self._lines.append(  # list.append is atomic: no lock on the request's path
            f'{environ.get("REMOTE_ADDR", "-")} "{environ.get("REQUEST_METHOD")} {path} '
            f'{environ.get("SERVER_PROTOCOL", "HTTP/1.1")}" {status[:3]} '
            f'{(time.perf_counter() - started) * 1000:.1f}ms "{environ.get("HTTP_USER_AGENT", "-")}"\n')

    def flush(self) -> None:
        with self._lock:
            lines, self._lines = self._lines, []
            if lines:
                try:
                    self._stream.write("".join(lines))
                    self._stream.flush()
                except (OSError, ValueError):
                    pass

    def _run(self) -> None:
        while True:
            time.sleep(self._interval)
            self.flush()
