"""Reading the build's input files, so that a file that cannot be read stops the build with a BuildError
naming it (and, for bad UTF-8, the line and byte offset) instead of a traceback."""

from __future__ import annotations

from pathlib import Path

from .errors import BuildError


def read_bytes(path: Path) -> bytes:
    """The file's bytes; a directory, a missing or an unreadable file is a BuildError naming it."""
    if path.is_dir():
        raise BuildError(path, "is a directory, not a file")
    try:
        return path.read_bytes()
    except OSError as error:
        raise BuildError(path, f"cannot be read: {error.strerror or error}") from None


def read_text(path: Path) -> str:
    """The file decoded as UTF-8; an invalid byte is a BuildError with its line and byte offset."""
    return decode(path, read_bytes(path))


def decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise BuildError(path, f"not valid UTF-8: byte 0x{data[error.start]:02x} at byte offset {error.start} "
                               f"of the file ({error.reason})", line) from None
