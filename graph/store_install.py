"""Shipping a finished build to another var directory, a replica's: copy it in, check it, make it current.

A build is made once (`ckg build` on one machine) and shipped to every replica as its store directory
(var/stores/<stamp>-<build_id>: the store, build.json, manifest.json, the search index). On the replica,
install() does what the end of a build does, with the same guarantees (graph/store.py): the copy is
written under a `-building` name, checked against its manifest in full, opened and asked, and only then
renamed to its final name and made current by the one symlink rename; a copy that fails anywhere is
deleted and the replica's current store is left serving. A running `ckg serve` over that var directory
follows on its next request, without a restart (server/live_store.py).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from . import store, store_manifest
from .errors import CorruptStore


def install(source: Path, var: Path) -> tuple[store.StoreInfo, bool]:
    """Make the finished store directory `source` current under `var`; (its StoreInfo, whether it was
    copied). Raises CorruptStore when source is not a complete store (a file missing or of another size:
    before anything is written) or when the copy fails its full check (damaged contents, in the source or
    on the way: deleted), OSError when the copy cannot be written (deleted); then the current store under
    var is the one it was. The contents are hashed once, in the copy: that is what will serve."""
    source = Path(source).resolve()  # var/current of the build machine names the directory it points at
    try:
        meta = store.read_info(source)
    except (OSError, ValueError, KeyError):
        raise CorruptStore(source / "build.json", "cannot be read: not a finished store") from None
    store_manifest.verify(source, digests=False)
    stamp = store.stamp_for(meta.built_at_epoch)
    name = f"{stamp}-{meta.build_id}"
    with store.build_lock(var):
        target = var / "stores" / name
        copied = not target.is_dir()
        if copied:
            staging = target.with_name(f"{stamp}{store.UNFINISHED}")
            try:
                shutil.copytree(source, staging, ignore=_not_content, copy_function=_copy_durably)
                store.check_finished(store.read_info(staging))
                store.sync_directory(staging)
                staging.rename(target)
                store.sync_directory(target.parent)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
        info = store.read_info(target)
        if not copied:  # shipped before (a roll resumed, or a roll back): still as its manifest says
            store.check_finished(info)
        if store.current_name(var) != os.path.relpath(target, var):
            store.make_current(var, info)
    return info, copied


def _not_content(directory: str, names: list[str]) -> list[str]:
    """RocksDB's lock file and logs: not the data (store_manifest leaves them out), and a reader of the
    source may hold or rewrite them."""
    return [name for name in names if name.startswith(store_manifest.NOT_CONTENT)]


def _copy_durably(source: str, target: str) -> str:
    """Copy one file and fsync it, so that the rename that commits the copy commits its contents too."""
    shutil.copy2(source, target)
    with open(target, "rb") as copied:
        os.fsync(copied.fileno())
    return target
