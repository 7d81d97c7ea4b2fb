r"""A cheap access log for the granian workers: one line per request, written in batches.

granian's own access log calls Python's logging for every request (a LogRecord, a formatter, a
locked handler, a write and a flush each time), which on this endpoint's cached answers cost more
than the answer itself. Here a request appends one preformatted line to a list, and a background
thread writes what has gathered every quarter of a second (and at exit), so the log is at most that
late. Lines look like gunicorn's: `ADDR "METHOD PATH PROTOCOL" STATUS TIMEms "USER-AGENT"`.

Everything in a line comes from the client, and a line must stay one line with its quotes where they
belong, whatever was sent: the path and query string are written as a URL would carry them
(percent-escapes for controls, spaces, quotes, backslashes and non-ASCII bytes; a decoded %0A is %0A
again), and the other fields with backslash escapes (\" \\ \xNN).
"""

from __future__ import annotations

import atexit
import re
import sys
import threading
import time
from urllib.parse import quote


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
        path = path_text(environ.get("PATH_INFO", "")) + ("?" + query_text(query) if query else "")
        self._lines.append(  # list.append is atomic: no lock on the request's path
            f'{escaped(environ.get("REMOTE_ADDR", "-"))} "{escaped(environ.get("REQUEST_METHOD", "-"))} {path} '
            f'{escaped(environ.get("SERVER_PROTOCOL", "HTTP/1.1"))}" {status[:3]} '
            f'{(time.perf_counter() - started) * 1000:.1f}ms "{escaped(environ.get("HTTP_USER_AGENT", "-"))}"\n')

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


# What may be written as it is: printable ASCII but the quote and the backslash (and, in a URL, the
# space; in a path, which the server has already percent-decoded, the '%' too). Nearly every request
# is only that, and then costs one match.
_PLAIN_PATH = re.compile(r"[!#$&-\[\]-~]*")
_PLAIN_QUERY = re.compile(r"[!#-\[\]-~]*")
_PLAIN_TEXT = re.compile(r"[ !#-\[\]-~]*")
# A URL's own delimiters stay as they are; the rest is escaped (in a query string, which comes raw, a
# '%' is an escape already and stays too).
_PATH_SAFE = "/:@!$&'()*+,;=?~-._"
_QUERY_SAFE = _PATH_SAFE + "%"


def _wsgi_bytes(text: str) -> bytes:
    # WSGI hands over the request's bytes as latin-1 characters (PEP 3333); a server that did not
    # would give characters past U+00FF, written then as UTF-8.
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def path_text(path: str) -> str:
    """The decoded path as a URL carries it again: one line, no space and no quote (%0A for a newline)."""
    return path if _PLAIN_PATH.fullmatch(path) else quote(_wsgi_bytes(path), safe=_PATH_SAFE)


def query_text(query: str) -> str:
    """The raw query string, with whatever a client sent unescaped escaped now."""
    return query if _PLAIN_QUERY.fullmatch(query) else quote(_wsgi_bytes(query), safe=_QUERY_SAFE)


def escaped(text: str) -> str:
    r"""A header or request-line field inside double quotes: \\ and \" escaped, every other character
    outside printable ASCII written as \xNN (or \uNNNN)."""
    if _PLAIN_TEXT.fullmatch(text):
        return text
    return "".join(map(_escaped_char, text))


def _escaped_char(c: str) -> str:
    if c in '"\\':
        return "\\" + c
    if " " <= c <= "~":
        return c
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"
