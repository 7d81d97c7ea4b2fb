"""Query evaluation in child processes, so that a time limit can really stop a query.

pyoxigraph gives Python no way to cancel a running query: a thread would keep computing after its
request had given up. So every query runs in a child process that holds a read-only handle on the
store; the web worker sends it a request over a pipe, waits at most the time limit, and on overrun
kills the child and starts a fresh one. The child serializes the answer itself, so only bytes come
back, and the worker process never opens a store at all.

Frames on the pipes are an 8-byte big-endian length and a pickle. Pickle is safe here: both ends are
this program, and the pipe is private to the two processes.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

from . import guard
from .backend import Answer, Job, answer_of
from .errors import (EvaluationFailed, QueryNotEvaluable, QuerySyntaxError, QueryTimeout,
                                        QueryTooLarge, Refused)

_LENGTH = struct.Struct(">Q")
_READY = ("ready", None)  # the child's first frame
STARTUP_LIMIT = 60  # seconds for a child to start, on a machine as busy as it may get


# --- the child --------------------------------------------------------------------------------

def evaluate(store, job: Job) -> Answer:
    """The job's answer from an open store; raises what pyoxigraph raises (SyntaxError, OSError …)."""
    import pyoxigraph as ox

    options = {}
    if job.default_graphs is not None or job.named_graphs is not None:
        options["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs or ()]
        options["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs or ()]
    if job.substitutions:
        options["substitutions"] = {ox.Variable(name): term for name, term in job.substitutions.items()}
    return answer_of(store.query(job.query, **options), job)


def _frame(value) -> bytes:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(data)) + data


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_frame(fd: int):
    """The next frame from a blocking descriptor, or None at end of file.

    Raw os.read rather than a buffered file: a small frame then costs one system call, and nothing
    sits in a Python buffer that select() on the descriptor would not see."""
    data = b""
    while len(data) < _LENGTH.size:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return None
        data += chunk
    (length,) = _LENGTH.unpack_from(data)
    end = _LENGTH.size + length
    parts, have = [data], len(data)
    while have < end:
        chunk = os.read(fd, min(end - have, 1 << 20))
        if not chunk:
            return None
        parts.append(chunk)
        have += len(chunk)
    return pickle.loads(b"".join(parts)[_LENGTH.size:end])


def child_main(memory_limit: int | None = None) -> None:
    """Serve jobs from stdin until the parent goes away (EOF), one answer frame per job.

    memory_limit caps the child's address space: a query that would take the machine's memory makes
    an allocation fail instead, which aborts this process (Rust aborts on a failed allocation) and the
    parent reports it (Evaluator.run).

    Before anything else the child gives up the network for good (sandbox.py), so no query, whatever
    the guard made of it, can make the server send a request."""
    from . import sandbox

    try:
        sandbox.install()
    except sandbox.SandboxUnavailable as error:
        print(f"ckg evaluator: {error}; refusing to evaluate queries without it", file=sys.stderr)
        sys.exit(3)
    if memory_limit:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    import pyoxigraph as ox

    from . import writers  # noqa: F401  (imported before "ready": evaluate() uses it)

    requests = sys.stdin.fileno()
    replies = os.dup(1)
    os.dup2(2, 1)  # a stray print must never corrupt the reply channel
    _write_all(replies, _frame(_READY))
    store, store_path = None, None
    while True:
        frame = _read_frame(requests)
        if frame is None:
            return
        wanted, job = frame
        try:
            if wanted != store_path:
                store, store_path = None, None
                store = ox.Store.read_only(wanted)
                store_path = wanted
            try:
                reply = ("ok", evaluate(store, job))
            except OSError as error:
                if not guard.SERVICE_WORD.search(job.query):
                    raise
                # A query the guard let through tried an endpoint, and the sandbox said no.
                reply = ("network", str(error))
        except SyntaxError as error:
            reply = ("syntax", str(error))
        except MemoryError:
            reply = ("memory", "")
        except RuntimeError as error:  # pyoxigraph's evaluation errors that are the query's own
            reply = ("query", str(error))
        except Exception as error:  # reported to the parent as a message, never as a traceback
            reply = ("failed", f"{type(error).__name__}: {error}")
        _write_all(replies, _frame(reply))


def evaluate_here(store, job: Job) -> Answer:
    """A bounded job evaluated in the calling process, with the child's errors mapped the same way."""
    try:
        return evaluate(store, job)
    except SyntaxError as error:
        raise QuerySyntaxError(f"SPARQL syntax {error}") from None
    except RuntimeError as error:
        raise QueryNotEvaluable(f"the query cannot be evaluated: {error}") from None
    except Exception as error:
        raise EvaluationFailed(f"query evaluation failed: {type(error).__name__}: {error}") from None


# --- the parent side --------------------------------------------------------------------------

class Evaluator:
    """One child process and the pipe to it; used by one thread at a time (see EvaluatorPool)."""

    def __init__(self, memory_limit: int | None = None):
        self.memory_limit = memory_limit
        self.process = subprocess.Popen(
            [sys.executable, "-m", "coalition_kg.server.evaluator", str(memory_limit or 0)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
            # glibc gives each thread that allocates at once its own malloc arena, each reserving 64 MiB
            # of address space it may never use; under the address-space cap (memory_limit) that
            # reservation made RocksDB's threads fail to start ("Resource temporarily unavailable",
            # then an abort, answered as a 503) when a page or saved query first opened the store
            # while runaway queries ran (2 of 3 cold starts); two arenas hold it (0 of 4).
            env={**os.environ, "MALLOC_ARENA_MAX": "2"},
        )
        self._in = self.process.stdin.fileno()
        self._out = self.process.stdout.fileno()
        self._poll = select.poll()
        self._poll.register(self._out, select.POLLIN | select.POLLHUP | select.POLLERR)
        self._ready = False  # until the child's first frame (see _wait_until_ready)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def run(self, store_path: str, job: Job, time_limit: float) -> Answer:
        if not self._ready:
            self._wait_until_ready()
        deadline = time.monotonic() + time_limit
        try:
            _write_all(self._in, _frame((store_path, job)))
            reply = pickle.loads(self._read_reply(deadline))
        except _Overrun:
            self.kill()
            raise QueryTimeout(f"the query did not finish within the time limit of {time_limit:g} s; "
                               "it was stopped") from None
        except (OSError, EOFError, pickle.UnpicklingError):
            self.kill()
            if self.memory_limit and self.process.returncode == -signal.SIGABRT:
                raise self._too_large() from None
            raise EvaluationFailed("the query evaluator stopped unexpectedly") from None
        status, value = reply
        if status == "ok":
            return value
        if status == "syntax":
            raise QuerySyntaxError(f"SPARQL syntax {value}")
        if status == "query":
            raise QueryNotEvaluable(f"the query cannot be evaluated: {value}")
        if status == "network":
            raise Refused(f"the query tried to reach another endpoint, and evaluators have no network ({value})")
        if status == "memory":
            self.kill()  # its heap may be in any state: start afresh
            raise self._too_large()
        raise EvaluationFailed(f"query evaluation failed: {value}")

    def _wait_until_ready(self) -> None:
        """The child's first frame says it has started (sandboxed, pyoxigraph imported). A query's time
        limit counts from then: on a busy machine starting an interpreter can take a second, and a
        query handed a fresh child (the replacement of a killed one) must not pay for it."""
        try:
            ready = pickle.loads(self._read_reply(time.monotonic() + STARTUP_LIMIT))
        except _Overrun:
            self.kill()
            raise EvaluationFailed(f"the query evaluator did not start within {STARTUP_LIMIT} s") from None
        except (OSError, EOFError, pickle.UnpicklingError):
            self.kill()
            raise EvaluationFailed("the query evaluator could not start; the server log says why") from None
        if ready != _READY:
            self.kill()
            raise EvaluationFailed("the query evaluator started out of step with the server")
        self._ready = True

    def _too_large(self) -> QueryTooLarge:
        return QueryTooLarge(f"the query needed more than the {self.memory_limit >> 20} MiB of memory an evaluator "
                             "may use; it was stopped")

    def _read_reply(self, deadline: float) -> bytes:
        """One frame's payload, waiting at most until the deadline; a small answer is one read."""
        parts, have, end = [], 0, None
        while end is None or have < end:
            wait = deadline - time.monotonic()
            if wait <= 0 or not self._poll.poll(wait * 1000):
                raise _Overrun
            chunk = os.read(self._out, 1 << 20 if end is None else min(end - have, 1 << 20))
            if not chunk:
                raise EOFError
            parts.append(chunk)
            have += len(chunk)
            if end is None and have >= _LENGTH.size:
                head = parts[0] if len(parts[0]) >= _LENGTH.size else b"".join(parts)
                end = _LENGTH.size + _LENGTH.unpack_from(head)[0]
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        return data[_LENGTH.size:end]

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            try:
                pipe.close()
            except OSError:
                pass

    def close(self) -> None:
        """Ask politely (EOF ends the child's loop), then insist."""
        try:
            self.process.stdin.close()
            self.process.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()


class _Overrun(Exception):
    pass


class EvaluatorPool:
    """Up to `size` evaluator children per web worker process, one per concurrently served request.

    Children start lazily and are reused; one that was killed is replaced at once, so the next request
    does not pay for the start. The pool notices a fork (gunicorn preloading) and starts afresh in the
    new process, never sharing a child's pipe between processes."""

    def __init__(self, size: int, memory_limit: int | None = None):
        self.size = max(1, size)
        self.memory_limit = memory_limit  # bytes of address space per child, or None
        self._lock = threading.Condition()
        self._idle: list[Evaluator] = []
        self._started = 0
        self._pid = os.getpid()

    def _check_fork(self) -> None:
        if os.getpid() != self._pid:
            self._idle, self._started, self._pid = [], 0, os.getpid()

    def warm(self, count: int | None = None) -> None:
        """Start children ahead of the first requests (all of them by default), so that no request
        waits for an interpreter to start."""
        with self._lock:
            self._check_fork()
            while self._started < min(self.size, count or self.size):
                self._idle.append(Evaluator(self.memory_limit))
                self._started += 1

    @contextmanager
    def evaluator(self):
        with self._lock:
            self._check_fork()
            while not self._idle and self._started >= self.size:
                self._lock.wait()
            if self._idle:
                evaluator = self._idle.pop()
            else:
                self._started += 1
                evaluator = None
        try:
            if evaluator is None or not evaluator.alive:
                evaluator = Evaluator(self.memory_limit)
            yield evaluator
        finally:
            with self._lock:
                if evaluator is not None and not evaluator.alive:
                    evaluator = Evaluator(self.memory_limit)  # the replacement starts while we answer
                if evaluator is None:
                    self._started -= 1
                else:
                    self._idle.append(evaluator)
                self._lock.notify()

    def run(self, store_path: str, job: Job, time_limit: float) -> Answer:
        with self.evaluator() as evaluator:
            return evaluator.run(store_path, job, time_limit)

    def close(self) -> None:
        with self._lock:
            idle, self._idle, self._started = self._idle, [], 0
        for evaluator in idle:
            evaluator.close()


if __name__ == "__main__":
    # Jobs and Answers are backend.py's classes, so they pickle under their real names from here too.
    child_main(int(sys.argv[1]) if len(sys.argv) > 1 else None)
