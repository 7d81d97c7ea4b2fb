"""The on-disk Oxigraph stores and the atomic swap between them.

Layout under the var directory:

    var/stores/<stamp>-<build_id>/store/          an Oxigraph store, written once, then only read
    var/stores/<stamp>-<build_id>/build.json      what was built: build id, time, quads per named graph, triples
                                                  in the default graph
    var/stores/<stamp>-<build_id>/manifest.json   name, size and SHA-256 of each file (graph/store_manifest.py)
    var/current -> stores/<stamp>-<build_id>      a symlink, replaced atomically by each build
    var/stores/<stamp>-building/                  a store being written (renamed when finished)
    var/build.lock                                held (flock) by the build under way, if any

A build writes a new directory and only then moves `current`; any failure before that leaves the
previous store serving. The rename of `-building` to its final name is the commit: a directory with a
final name is complete (its build.json and manifest were written and synced first), and one still named
`-building` is only ever a build under way or the remains of a killed one. Builds take turns (build_lock),
so the next build deletes such remains before it starts, and they never count among the stores kept.
Readers resolve `current` once per request and open the store read-only, so a rebuild never changes a
store under a reader's feet; they check a store against its manifest before they first use it. The
build id is a hash of the graph's content (graph/build_id.py): same graph, same id, so it can serve as an
HTTP validator. A store built under another var directory (a replica's rollout) enters by the same steps:
graph/store_install.py.

Every statement is in a named graph (its article, the curation, the ontology, the inferred closure) and,
as a triple, in the default graph, which is the RDF merge of the named graphs (with_merge): a triple that
three graphs hold is there once. A query that names no graph reads the default graph and sees each fact
once, with no flag (Oxigraph's use_default_graph_as_union would read every graph, the default one
included, and count a fact once per graph); GRAPH ?g ranges over the named graphs only, so provenance
is unchanged. The build id and the quad counts are those of the named graphs: the merge adds nothing
that they do not say.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import pyoxigraph as ox

from . import store_manifest
from .errors import NoCurrentStore
from .internal_queries import internal_query

# What a store holds, as build.json records it: 2 since the default graph holds the merge of the named
# graphs (with_merge); a store without it (1: only named graphs, read through a union flag) would answer
# every query that names no graph with nothing, so it is rebuilt, not served (`layout_problem`).
LAYOUT = 2
KEEP_OLD_STORES = 2  # a server may still be answering from the previous store during a swap
UNFINISHED = "-building"  # the suffix of a store directory being written


@dataclass(frozen=True)
class StoreInfo:
    directory: Path
    build_id: str
    built_at: str  # ISO 8601, UTC
    built_at_epoch: float
    quads: int  # in the named graphs
    graphs: dict[str, int]  # quads per named graph
    inputs: str = ""  # hash of the files the build read (graph/build.py inputs_digest)
    triples: int = 0  # in the default graph, the merge: the distinct triples of all named graphs
    layout: int = 1  # LAYOUT when it was built

    @property
    def store_path(self) -> Path:
        return self.directory / "store"

    def open_read_only(self) -> ox.Store:
        return ox.Store.read_only(str(self.store_path))


def current(var: Path) -> StoreInfo | None:
    """The store that `current` points at, or None before the first build."""
    link = var / "current"
    try:
        target = var / os.readlink(link)
    except FileNotFoundError:
        return None
    return read_info(target)


def current_name(var: Path) -> str | None:
    """A cheap check for readers: the name of the current store directory (one readlink)."""
    try:
        return os.readlink(var / "current")
    except FileNotFoundError:
        return None


def read_info(directory: Path) -> StoreInfo:
    meta = json.loads((directory / "build.json").read_text(encoding="utf-8"))
    return StoreInfo(
        directory=directory,
        build_id=meta["build_id"],
        built_at=meta["built_at"],
        built_at_epoch=meta["built_at_epoch"],
        quads=meta["quads"],
        graphs=meta["graphs"],
        inputs=meta.get("inputs", ""),
        triples=meta.get("triples", 0),
        layout=meta.get("layout", 1),
    )


def stamp_for(epoch: float) -> str:
    """The time part of a store directory's name (its build.json's built_at_epoch, to the microsecond), so
    that names sort by the time each build started."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(epoch))
    return stamp + f"{epoch % 1:.6f}"[1:].replace(".", "_")


def layout_problem(info: StoreInfo) -> str | None:
    """Why this store cannot be served as it is, if it was built for another layout."""
    if info.layout == LAYOUT:
        return None
    return (f"the store {info.directory.name} was built by an earlier version of ckg (layout {info.layout}, "
            f"not {LAYOUT}: its default graph is not the merge of its named graphs): run `ckg build`")


class NewStore:
    """A store being written in a new directory under var/stores: not current, and deleted unless finished.

    The directory is named once the build id is known, which a streaming build only knows at the end:
    `<stamp>-building` while it is written, `<stamp>-<build_id>` when finished."""

    def __init__(self, var: Path):
        self.started = time.time()
        self.stamp = stamp_for(self.started)
        self.directory = var / "stores" / f"{self.stamp}{UNFINISHED}"
        self.directory.mkdir(parents=True)
        try:
            self.store: ox.Store | None = ox.Store(str(self.directory / "store"))
        except BaseException:  # RocksDB writes files as it opens (a full disk fails here)
            shutil.rmtree(self.directory, ignore_errors=True)
            raise

    def finish(self, build_id: str, graphs: dict[str, int] | None = None, triples: int | None = None,
               inputs: str = "") -> StoreInfo:
        """Close the store, describe it in build.json and manifest.json, and give its directory its final name.

        graphs: quads per named graph, and triples: the default graph's size, if the caller counted them;
        otherwise Oxigraph counts."""
        self.store.flush()
        if graphs is None:
            graphs = _count_by_graph(self.store)
        if triples is None:
            triples = count_default_graph(self.store)
        self.store = None  # close before anything opens it read-only, and before its files are listed
        meta = {
            "build_id": build_id,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started)),
            "built_at_epoch": self.started,
            "quads": sum(graphs.values()),
            "graphs": dict(sorted(graphs.items())),
            "triples": triples,
            "layout": LAYOUT,
            "inputs": inputs,
        }
        store_manifest.write_durably(self.directory / "build.json", json.dumps(meta, indent=2) + "\n")
        store_manifest.write(self.directory)
        fault_point("manifest")
        sync_directory(self.directory)
        final = self.directory.with_name(f"{self.stamp}-{build_id}")
        self.directory.rename(final)
        self.directory = final
        sync_directory(final.parent)
        return read_info(final)

    def discard(self) -> None:
        self.store = None
        shutil.rmtree(self.directory, ignore_errors=True)


@contextlib.contextmanager
def new_store(var: Path) -> Iterator[NewStore]:
    """A new store to fill and finish; if anything raises first, its directory is deleted, so that
    nothing half-written or half-checked is left to be made current."""
    new = NewStore(var)
    try:
        yield new
    except BaseException:
        new.discard()
        raise
    if new.store is not None:  # left without finish()
        new.discard()


def write_new_store(var: Path, build_id: str, quads: Iterable[ox.Quad], inputs: str = "",
                    check: Callable[[ox.Store], None] | None = None) -> StoreInfo:
    """Load quads into a fresh store directory (not yet current) and describe it.

    check, if given, runs on the loaded store; if it raises, the directory is deleted and the error
    goes on up."""
    with new_store(var) as new:
        load(new.store, with_merge(quads))
        if check is not None:
            check(new.store)
        return new.finish(build_id, inputs=inputs)


def load(store: ox.Store, quads: Iterable[ox.Quad]) -> None:
    # Not one transaction: far faster and smaller on disk (at 100x the seeds 8 s and 190 MB against
    # 60 s and 1 GB). Atomicity comes from the new directory, made current only when complete.
    store.bulk_extend(quads)


def with_merge(quads: Iterable[ox.Quad]) -> Iterator[ox.Quad]:
    """Each quad, then its triple in the default graph: loaded, the default graph is the RDF merge of the
    named graphs. Oxigraph keeps a quad once, so a triple that several graphs hold is in it once. Written
    with the named graphs, in the same pass of the bulk loader: no second reading of the store and no
    transaction (see load)."""
    default = ox.DefaultGraph()
    for quad in quads:
        yield quad
        if quad.graph_name != default:
            yield ox.Quad(quad.subject, quad.predicate, quad.object)


def named_quads(store: ox.Store) -> Iterator[ox.Quad]:
    """The quads of the named graphs, without their merge: what a store is made from (write_new_store)."""
    default = ox.DefaultGraph()
    return (quad for quad in store if quad.graph_name != default)


def count_default_graph(store: ox.Store) -> int:
    """Triples in the default graph (Oxigraph counts)."""
    return int(next(iter(store.query(internal_query("count-triples"))))["n"].value)


def compact(store: ox.Store) -> None:
    """Merge what the bulk loader wrote into RocksDB's bottom level. The loader writes a set of files per
    million quads; past a few sets RocksDB starts merging them in the background, competing with the
    build's validation, and a store left half merged reads more slowly forever (it is served read-only,
    which never merges)."""
    store.optimize()


def _count_by_graph(store: ox.Store) -> dict[str, int]:
    """Quads per named graph, counted by Oxigraph rather than by a Python loop."""
    return {row["g"].value: int(row["n"].value)
            for row in store.query(internal_query("count-per-graph"))}


def open_current(var: Path) -> ox.Store:
    """The current store, read-only, once its files are read back against its manifest in full (a tool
    reads it whole: a damaged store is refused, never read). Raises NoCurrentStore when none has been
    built, CorruptStore when its files are not those the manifest records."""
    info = current(var)
    if info is None:
        raise NoCurrentStore("no graph has been built yet; run `ckg build` first")
    store_manifest.verify(info.directory, digests=True)
    return info.open_read_only()


def check_finished(info: StoreInfo) -> None:
    """A finished store before it is made current (a build's, or one shipped in): its files as the
    manifest records them, read back in full, and it opens read-only and answers, as the server will
    open it."""
    store_manifest.verify(info.directory, digests=True)
    info.open_read_only().query(internal_query("any-named-graph"))


def make_current(var: Path, info: StoreInfo) -> None:
    """Point `current` at a new store in one rename, then drop stores nobody should need."""
    link = var / "current"
    previous = current_name(var)
    tmp = var / f".current-{os.getpid()}"
    if tmp.is_symlink():
        tmp.unlink()
    os.symlink(os.path.relpath(info.directory, var), tmp)
    os.replace(tmp, link)
    sync_directory(var)
    _drop_old_stores(var, keep=info.directory, previous=var / previous if previous else None)


def _drop_old_stores(var: Path, keep: Path, previous: Path | None) -> None:
    """Keep the new store and the KEEP_OLD_STORES newest finished ones before it, the one that was current
    among them whatever its age; unfinished directories are not stores and are never counted."""
    old = sorted((p for p in (var / "stores").iterdir()
                  if p.is_dir() and not p.name.endswith(UNFINISHED) and p != keep), reverse=True)
    kept = [previous] if previous in old else []
    kept += [p for p in old if p != previous][: KEEP_OLD_STORES - len(kept)]
    for directory in old:
        if directory not in kept:
            shutil.rmtree(directory, ignore_errors=True)


@contextlib.contextmanager
def build_lock(var: Path) -> Iterator[None]:
    """One build at a time under var, and the remains of killed ones deleted before this one writes.

    The lock is an flock on var/build.lock, which the kernel releases when its holder exits however it
    exits, so a killed build never leaves it held; whoever holds it knows that no other build is writing,
    so every `-building` directory it finds is the remains of a dead build."""
    var.mkdir(parents=True, exist_ok=True)
    with open(var / "build.lock", "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"ckg build: waiting for the build under way in {var} to finish", file=sys.stderr)
            fcntl.flock(lock, fcntl.LOCK_EX)
        remove_unfinished(var)
        yield


def remove_unfinished(var: Path) -> None:
    """Delete what killed builds left: `-building` store directories and temporary `current` links.
    Only call it holding build_lock."""
    stores = var / "stores"
    for path in stores.iterdir() if stores.is_dir() else ():
        if path.name.endswith(UNFINISHED):
            shutil.rmtree(path, ignore_errors=True)
    for link in var.glob(".current-*"):
        if link.is_symlink():
            link.unlink()


def fault_point(name: str) -> None:
    """Where the fault tests kill a build: CKG_BUILD_KILL_AT=name makes the build SIGKILL itself here, so
    that each point between its first write and the swap is tested deterministically (tests/test_build_faults.py)."""
    if os.environ.get("CKG_BUILD_KILL_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def sync_directory(directory: Path) -> None:
    """fsync a directory, so that a rename or new entry in it survives a crash of the machine."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
