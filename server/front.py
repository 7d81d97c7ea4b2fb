"""What granian runs (its RSGI interface): whole request bodies read in the event loop, within a
deadline and the size limit, before a request takes a thread; then the WSGI application (router.py)
in a pool of `threads` threads, behind the lanes of admission.py.

Why not granian's WSGI interface: there a request takes one of the worker's blocking threads as soon
as its headers are in, and the application's read of `wsgi.input` then waits in that thread for as
long as the client holds its body back. granian bounds the arrival of headers (its HTTP/1 header
read timeout) but nothing bounds the body's (its WSGI read blocks on the Rust runtime with no
timeout, and no option changes that), so eight idle POSTs held every thread and nothing, /health
included, was answered. Here the body is gathered by the event loop, where waiting costs a
coroutine: within `body_timeout` seconds (else 408, and the connection is closed) and within
`max_body_bytes` (413: from Content-Length before anything is read, or counted as a chunked body
arrives). A request then reaches a thread complete, so no thread ever waits on a client.

On the way a repeated request is answered from the router's fast lane (its whole answers) without a
thread at all, and a request that may start an ad-hoc evaluation waits for a slot of the evaluation lane (in the
loop, bounded) so that it never takes the thread kept for everything else.

RSGI rather than ASGI: it is granian's own interface (no message dicts to build and read), and its
body comes whole in one await when its length is declared. A hand-written bridge rather than
asgiref's WsgiToAsgi (not a dependency; it would take ASGI and a wrapper around `receive` for the
deadline and limit): that one reads the whole body too, but runs the WSGI app through
`sync_to_async` in its default thread-sensitive mode, one shared thread for every request, so a
single runaway query would hold up all the others, and it sends the answer back with a cross-thread
call per piece; nor has it a place for the cache look-up or the lanes before the thread. The bridge
here is the environ PEP 3333 asks for and a joined answer (every answer of this app is a few bytes
objects).

The price, measured with wrk on the hot path (5 s at concurrency 8 on a 2-CPU machine): granian's RSGI
dispatch through the asyncio loop, and one more wake-up of the loop to await a POST's body, cost
about 25 µs of CPU per cached GET and 70 µs per cached POST over granian's WSGI interface (about
23,000 -> 15,000 requests per second for the GET and 22,000 -> 8,500 for the POST). granian runs
uvloop instead of asyncio's own loop when it is installed, which won back about a fifth.
"""

from __future__ import annotations

import asyncio
import io
import logging
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

from granian.rsgi import ProtocolClosed

from .access_log import AccessLog
from .admission import Admission, evaluates_adhoc
from . import http
from .errors import BadRequest, PayloadTooLarge, RequestTimeout, ServiceError
from .router import FileBody

log = logging.getLogger("coalition_kg.server")

_HTTP_VERSIONS = {"1": "HTTP/1.0", "1.1": "HTTP/1.1", "2": "HTTP/2", "3": "HTTP/3"}


@lru_cache(maxsize=4096)
def _address(text: str) -> tuple[str, str]:
    """("::1", "8000") from "[::1]:8000", ("127.0.0.1", "8000") from "127.0.0.1:8000"."""
    host, _, port = text.rpartition(":")
    return host.strip("[]"), port


@lru_cache(maxsize=256)  # header names are few; an odd client's made-up ones only fall out of it
def _environ_name(header: str) -> str:
    if header == "content-type":
        return "CONTENT_TYPE"
    if header == "content-length":
        return "CONTENT_LENGTH"
    return "HTTP_" + header.upper().replace("-", "_")


class Front:
    """The RSGI application of one granian worker, around the WSGI app `create_app` made."""

    def __init__(self, app):
        self.service = app.extensions["ckg"]
        settings = self.service.settings
        self.settings = settings
        self.wsgi = app.wsgi_app  # router.Router
        self.max_body = settings.max_body_bytes
        self.body_timeout = settings.body_timeout
        self.admission = Admission.for_settings(settings)
        # As many threads as evaluator children: a thread holds at most one child at a time.
        self.threads = ThreadPoolExecutor(max(1, settings.evaluators), thread_name_prefix="ckg-request")
        self.access = AccessLog(settings.access_log) if settings.access_log else None
        self._base = {
            "SCRIPT_NAME": "",
            "wsgi.version": (1, 0),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": settings.workers > 1,
            "wsgi.run_once": False,
            "wsgi.input_terminated": True,  # the body is whole: read() to its end is safe
        }

    # --- granian's hooks ------------------------------------------------------------------------

    def __rsgi_del__(self, loop) -> None:
        self.threads.shutdown(wait=False, cancel_futures=True)
        self.service.backend.close()
        if self.access is not None:
            self.access.flush()

    async def __rsgi__(self, scope, proto) -> None:
        started = time.perf_counter()
        environ = self.environ(scope)
        try:
            body = await self.read_body(proto, environ, scope.http_version)
        except ServiceError as error:  # 400, 408, 413: the rest of the body may still be on its way
            status, headers, payload = self._refusal(error, environ)
            headers.append(("Connection", "close"))
        else:
            status, headers, payload = await self._answer(environ, body)
        if isinstance(payload, FileBody):
            proto.response_file(status, headers, str(payload.path))
        else:
            proto.response_bytes(status, headers, payload)
        if self.access is not None:
            self.access.line(environ, str(status), started)

    # --- a request ------------------------------------------------------------------------------

    def environ(self, scope) -> dict:
        """The WSGI environ of the request, as granian's WSGI interface would make it (PEP 3333: the
        path's bytes as latin-1 characters), with no body yet."""
        path = scope.path
        if not path.isascii():  # granian decoded the %-escapes as UTF-8; WSGI wants the bytes
            path = path.encode("utf-8").decode("latin-1")
        server_name, server_port = _address(scope.server)
        remote_addr, remote_port = _address(scope.client)
        environ = {
            **self._base,
            "REQUEST_METHOD": scope.method,
            "PATH_INFO": path,
            "QUERY_STRING": scope.query_string,
            "SERVER_PROTOCOL": _HTTP_VERSIONS.get(scope.http_version, "HTTP/1.1"),
            "SERVER_NAME": server_name,
            "SERVER_PORT": server_port,
            "REMOTE_ADDR": remote_addr,
            "REMOTE_PORT": remote_port,
            "wsgi.url_scheme": scope.scheme,
        }
        for name, value in scope.headers.items():
            key = _environ_name(name)
            if key in environ:  # a repeated header: one value, as a proxy would join them
                environ[key] += ("; " if key == "HTTP_COOKIE" else ",") + value
            else:
                environ[key] = value
        if "HTTP_HOST" not in environ:
            environ["HTTP_HOST"] = scope.authority or scope.server
        return environ

    async def read_body(self, proto, environ, http_version: str) -> bytes:
        """The whole body, or RequestTimeout past the deadline, or PayloadTooLarge past the limit."""
        length = environ.get("CONTENT_LENGTH")
        declared = length is not None and length.isdigit()
        if declared:
            if int(length) > self.max_body:
                raise PayloadTooLarge(f"the request body is {int(length)} bytes; the limit is {self.max_body}")
            if length == "0":
                return b""
        elif "HTTP_TRANSFER_ENCODING" not in environ and http_version in ("1", "1.1"):
            return b""  # HTTP/1 without either header has no body: nothing to wait for
        try:
            async with asyncio.timeout(self.body_timeout):
                if declared:
                    # granian delivers no more than Content-Length says, so the body may come in one
                    # piece (one wake-up of the loop, where a chunk at a time costs one each).
                    body = await proto()
                else:
                    body = await self._counted(proto)
        except TimeoutError:
            raise RequestTimeout(f"the request body did not arrive within {self.body_timeout:g} s") from None
        except ProtocolClosed:  # the client ended its side of the connection mid-body
            raise BadRequest("the request body ended before the length it declared") from None
        environ["CONTENT_LENGTH"] = str(len(body))  # what was declared, or what a chunked body came to
        return body

    async def _counted(self, proto) -> bytes:
        """A body of undeclared length (chunked), refused as soon as it passes the limit."""
        parts, size = [], 0
        async for chunk in proto:
            size += len(chunk)
            if size > self.max_body:
                raise PayloadTooLarge(f"the request body is over the limit of {self.max_body} bytes")
            parts.append(chunk)
        return b"".join(parts)

    async def _answer(self, environ, body: bytes) -> tuple[int, list, bytes]:
        hit = self.wsgi.cached(environ, body)
        if hit is not None:
            return self._finished(hit, environ)
        environ["wsgi.input"] = io.BytesIO(body)
        loop = asyncio.get_running_loop()
        try:
            if evaluates_adhoc(environ, body, self.max_body, self.settings.inline_lookups):
                async with self.admission.evaluation(environ["REMOTE_ADDR"]):
                    return await loop.run_in_executor(self.threads, self._call, environ)
            return await loop.run_in_executor(self.threads, self._call, environ)
        except ServiceError as error:  # 429, 503 from admission
            return self._refusal(error, environ)
        except Exception:
            log.exception("unexpected error on %s %s", environ["REQUEST_METHOD"], environ["PATH_INFO"])
            return self._finished(http.unexpected_reply(), environ)

    def _call(self, environ) -> tuple[int, list, bytes | FileBody]:
        """The WSGI app's answer, whole, or the file to send (in a pool thread)."""
        seen = []

        def start_response(status, headers, exc_info=None):
            seen[:] = (status, headers)
            return _no_write

        result = self.wsgi(environ, start_response)
        if isinstance(result, FileBody):  # sent by granian from the file itself
            return int(seen[0][:3]), seen[1], result
        try:
            payload = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return int(seen[0][:3]), seen[1], payload

    def _refusal(self, error: ServiceError, environ) -> tuple[int, list, bytes]:
        return self._finished(http.error_reply(error), environ)

    def _finished(self, reply: http.Reply, environ) -> tuple[int, list, bytes | FileBody]:
        headers, body = self.wsgi.finished(reply, environ["REQUEST_METHOD"])
        return reply.status, headers, body


def _no_write(data: bytes) -> None:
    raise NotImplementedError("this server takes answers as an iterable, not through write()")
