"""The article file-name rule, in one place: `NNN_<hash>.txt`.

- `NNN`: three digits, the article's number in the order it was added (000 for the first seed).
- `<hash>`: sixteen lowercase hex digits. For an article added with `ckg add` (the sixth on), they are
  the first sixteen hex digits of the SHA-256 of the file's bytes, so the name says which text it is.
  The five seeds came with their names; their hash part is not the SHA-256 (nor SHA-1 or MD5) of their
  text, and they keep it: names are identifiers (IRIs are built from them) and never change.

The build checks every article's name here (`check`) before anything else reads it, and the SHACL shape
of articles (ontology/shapes.ttl, `dcterms:identifier`) states the same pattern; a test keeps the two equal.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

STEM_PATTERN = r"[0-9]{3}_[0-9a-f]{16}"
FILE_PATTERN = "^" + STEM_PATTERN + r"\.txt$"  # as the SHACL shape writes it
_STEM = re.compile(STEM_PATTERN)
HASH_DIGITS = 16
MAX_NUMBER = 999

RULE = ("an article's file is named NNN_<hash>.txt: NNN three digits (its number), <hash> sixteen "
        "lowercase hex digits (for a new article, the start of the SHA-256 of its bytes); `ckg add` names it")


class ArticleNameError(ValueError):
    pass


def is_stem(stem: str) -> bool:
    return _STEM.fullmatch(stem) is not None


def check(stem: str) -> None:
    """Raise ArticleNameError, saying the rule, unless `stem` (a file name without .txt) follows it."""
    if not is_stem(stem):
        raise ArticleNameError(f"{stem!r} is not an article name: {RULE}")


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:HASH_DIGITS]


def new_stem(existing: Iterable[str], data: bytes) -> str:
    """The name of a new article with these bytes: the next number after the existing articles'."""
    numbers = [int(stem[:3]) for stem in existing if is_stem(stem)]
    number = max(numbers, default=-1) + 1
    if number > MAX_NUMBER:
        raise ArticleNameError(f"article numbers stop at {MAX_NUMBER}")
    return f"{number:03d}_{content_hash(data)}"
