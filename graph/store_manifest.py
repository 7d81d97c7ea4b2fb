"""A finished store's manifest: the name, size and SHA-256 of each of its files, written by the build beside
the store (var/stores/<name>/manifest.json), so that a store truncated, garbled or partly deleted after it
was written is detected before it is made current or served.

Checking the names and sizes costs one stat per file (a few dozen files, whatever the size of the data);
checking the digests reads and hashes every byte of the store (about 1.7 GB/s with SHA-NI on the build
machine: ~1 ms on the seeds, ~2 s on the 3.3 GB store of 1000x the seeds, more when the files are no
longer in the page cache). The build pays for the digests twice (writing the manifest, checking it before
the swap); readers choose (see verify).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from .errors import CorruptStore

MANIFEST = "manifest.json"
# RocksDB's lock file and its diagnostic log are not the data, and a process that opens the store may
# rewrite them; every other file is listed.
NOT_CONTENT = ("LOCK", "LOG")


def write(directory: Path) -> None:
    """List every file under directory (the store and its build.json) in directory/manifest.json."""
    files = {}
    for path in sorted(_content_files(directory)):
        files[path.relative_to(directory).as_posix()] = {"size": path.stat().st_size, "sha256": _sha256(path)}
    write_durably(directory / MANIFEST, json.dumps({"files": files}, indent=1) + "\n")


def verify(directory: Path, digests: bool = True) -> None:
    """Raise CorruptStore naming the first file that is missing, has another size or (if digests) another
    SHA-256 than the manifest records. Files that are not listed are not looked at: the store reads only
    the files its own RocksDB MANIFEST names, which are listed."""
    manifest = directory / MANIFEST
    try:
        files = json.loads(manifest.read_text(encoding="utf-8"))["files"]
        entries = [(name, int(entry["size"]), str(entry["sha256"])) for name, entry in files.items()]
    except FileNotFoundError:
        raise CorruptStore(manifest, "is missing: not a finished store (rebuild with `ckg build`)") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise CorruptStore(manifest, f"cannot be read: {error}") from None
    if not any(name.startswith("store/") for name, _, _ in entries):
        raise CorruptStore(manifest, "lists no store files")
    for name, size, digest in entries:
        path = directory / name
        try:
            actual = path.stat().st_size
        except OSError:
            raise CorruptStore(path, "is missing") from None
        if actual != size:
            raise CorruptStore(path, f"is {actual} bytes; the manifest records {size}")
        if digests and _sha256(path) != digest:
            raise CorruptStore(path, "does not have the SHA-256 the manifest records: the file was changed")


def size(directory: Path) -> int:
    """The bytes the manifest lists: what verify(digests=True) reads."""
    try:
        files = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))["files"]
        return sum(int(entry["size"]) for entry in files.values())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return 0  # verify says what is wrong


def write_durably(path: Path, text: str) -> None:
    """Write and fsync a small file, so that what the rename of its directory commits is on disk."""
    with open(path, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())


def _content_files(directory: Path):
    for path in directory.rglob("*"):
        if path.is_file() and path.name != MANIFEST and not path.name.startswith(NOT_CONTENT):
            yield path


def _sha256(path: Path) -> str:
    try:
        with open(path, "rb") as data:
            return hashlib.file_digest(data, "sha256").hexdigest()
    except OSError as error:
        raise CorruptStore(path, f"cannot be read: {error.strerror or error}") from None
