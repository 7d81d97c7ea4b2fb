"""`ckg add`: a new article into seeds/, named by the rule, its checksum recorded, a draft .ann beside it;
and `ckg annotate`: the draft .ann of an article kept elsewhere, as it is.

The text is fixed here, once: a byte-order mark is removed and CRLF (or lone CR) line ends become LF
*before* the name's hash and the checksum are taken, because offsets count code points of exactly the
bytes kept and a BOM or a CR would shift them; the caller is told what was changed. Nothing else in
the text is touched.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from . import article_names
from .input_files import read_bytes, decode
from .errors import BuildError
from .linker import DRAFT_MARK

BOM = "\ufeff"
CHECKSUMS = "SHA256SUMS"
# The largest article taken: drafting runs at about 0.4 MB of Arabic a second, so one at the limit
# is drafted in under a minute; a news article is a few kilobytes, and a file this big is a mistake.
MAX_ARTICLE_BYTES = 16 * 1024 * 1024


class IntakeError(Exception):
    """The article cannot be added; the message says why, for the user."""


@dataclass
class Added:
    stem: str
    text_path: Path
    ann_path: Path
    text: str
    changes: list[str] = field(default_factory=list)  # what was normalised, for the user
    already_present: bool = False
    draft_written: bool = False


def fixed_text(path: Path, data: bytes) -> tuple[str, list[str]]:
    """The article's text as it will be kept, and what was changed to get it."""
    if len(data) > MAX_ARTICLE_BYTES:
        raise IntakeError(f"{path}: {len(data) / 2**20:.1f} MiB is more than the {MAX_ARTICLE_BYTES // 2**20} MiB an article "
                          "may have (graph/intake.py MAX_ARTICLE_BYTES); split it into articles")
    try:
        text = decode(path, data)
    except BuildError as error:
        raise IntakeError(str(error)) from None
    changes = []
    if text.startswith(BOM):
        text = text[len(BOM):]
        changes.append("removed a byte-order mark (U+FEFF) at the start")
    if "\r" in text:
        crlf = text.count("\r\n")
        text = text.replace("\r\n", "\n")
        lone = text.count("\r")
        text = text.replace("\r", "\n")
        changes.append(f"line ends: {crlf} CRLF and {lone} lone CR made LF" if lone else f"line ends: {crlf} CRLF made LF")
    if not text.strip():
        raise IntakeError(f"{path}: the article is empty")
    if not any("\u0600" <= char <= "\u06ff" for char in text):
        raise IntakeError(f"{path}: no Arabic letter in the text; the project's articles are in Arabic")
    if BOM in text:
        raise IntakeError(f"{path}: a byte-order mark (U+FEFF) inside the text, not at its start; remove it by hand")
    return text, changes


def add(seeds: Path, source: Path, draft, *, force: bool = False) -> Added:
    """Copy `source` into `seeds` under its project name, record its checksum and write the draft that
    `draft(text, stem)` returns as its .ann (an existing .ann only with force)."""
    try:
        data = read_bytes(source)
    except BuildError as error:
        raise IntakeError(str(error)) from None
    text, changes = fixed_text(source, data)
    kept = text.encode("utf-8")
    existing = {path.stem: path for path in seeds.glob("*.txt")}
    same = [stem for stem, path in existing.items() if path.read_bytes() == kept]
    if same:
        stem = same[0]
    else:
        stem = article_names.new_stem(existing, kept)
    added = Added(stem, seeds / f"{stem}.txt", seeds / f"{stem}.ann", text, changes, already_present=bool(same))
    if not same:
        _write_new(added.text_path, kept)
        _record_checksum(seeds / CHECKSUMS, added.text_path.name, hashlib.sha256(kept).hexdigest())
    if added.ann_path.exists() and not force:
        return added
    content = draft(text, stem)
    _replace(added.ann_path, content.encode("utf-8"))
    added.draft_written = True
    return added


@dataclass(frozen=True)
class Drafted:
    content: str  # the draft .ann
    mentions: int
    drafts: int  # mentions marked DRAFT for the annotator


def annotate(source: Path, draft, output: Path | None, *, force: bool = False) -> Drafted:
    """The draft that `draft(text, stem)` returns for an article as it is, written to `output` (an existing
    file only with force; None: not written). A text that would be changed when kept is refused: the
    draft's offsets count the text as kept, so it comes in by add(), which fixes and keeps it."""
    try:
        data = read_bytes(source)
    except BuildError as error:
        raise IntakeError(str(error)) from None
    text, changes = fixed_text(source, data)
    if changes:
        raise IntakeError(f"{source}: {'; '.join(changes)} would be needed, and offsets count the "
                          "text as kept: add it with `ckg add`, which fixes and keeps it")
    if output is not None and output.exists() and not force:
        raise IntakeError(f"{output} exists; --force replaces it")
    content = draft(text, source.stem)
    if output is not None:
        output.write_text(content, encoding="utf-8", newline="\n")
    return Drafted(content, sum(line.startswith("T") for line in content.splitlines()),
                   content.count("\t" + DRAFT_MARK))


def _write_new(path: Path, data: bytes) -> None:
    with open(path, "xb") as out:  # never replaces a file
        out.write(data)


def _replace(path: Path, data: bytes) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def _record_checksum(sums: Path, name: str, digest: str) -> None:
    """Append the line as `sha256sum` writes it (two spaces: text mode)."""
    before = sums.read_bytes() if sums.exists() else b""
    if before and not before.endswith(b"\n"):
        before += b"\n"
    _replace(sums, before + f"{digest}  {name}\n".encode("utf-8"))
