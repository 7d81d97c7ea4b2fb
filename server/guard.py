"""A lexical look at a query before it is evaluated: what form it has and whether it may run at all.

pyoxigraph evaluates SERVICE by sending HTTP requests to whatever IRI the query names, which would
let anyone make this server fetch arbitrary URLs; and a read-only endpoint must not even try an update.
So keywords are checked here, on tokens, ignoring strings, IRIs and comments (a label may well say
"SERVICE"). SPARQL resolves \\u escapes over the whole query text before parsing, so we do the same
first: otherwise `SERVIC\\u0045` would slip through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from coalition_kg.server.errors import Refused

_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")

# One alternative per token kind; the last catches any other single character, so every position of
# the text belongs to exactly one match and finditer walks the whole query.
_TOKENS = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<variable>[?$]\w+)
  | (?P<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<pname>(?:[^\W\d][\w.-]*)?:[^\s<>(){}\[\],;"'\#]*)
  | (?P<word>[^\W\d]\w*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

QUERY_FORMS = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"})
UPDATE_KEYWORDS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY"})


@dataclass(frozen=True)
class QueryShape:
    form: str | None  # SELECT, ASK, CONSTRUCT, DESCRIBE; None when no form keyword was seen
    has_dataset_clause: bool  # FROM or FROM NAMED: the query names its own dataset

    @property
    def is_graph(self) -> bool:
        return self.form in ("CONSTRUCT", "DESCRIBE")


def _unescape_codepoints(text: str) -> str:
    def replace(match: re.Match) -> str:
        try:
            return chr(int(match.group(1) or match.group(2), 16))
        except (ValueError, OverflowError):
            return match.group(0)

    return _CODEPOINT.sub(replace, text) if "\\u" in text or "\\U" in text else text


def bare_words(query: str):
    """The keywords and function names of a query, upper-cased, in order."""
    for match in _TOKENS.finditer(_unescape_codepoints(query)):
        if match.lastgroup == "word":
            yield match.group().upper()


def inspect(query: str) -> QueryShape:
    """The query's form and dataset clause; raises Refused for SERVICE and any update keyword."""
    form = None
    has_from = False
    for word in bare_words(query):
        if word == "SERVICE":
            raise Refused(
                "SERVICE is refused: this endpoint does not send requests to other endpoints "
                "(federated queries would let anyone make the server fetch any URL)"
            )
        if word in UPDATE_KEYWORDS:
            raise Refused(f"{word} is refused: this endpoint is read-only and answers queries only, no SPARQL Update")
        if word in QUERY_FORMS and form is None:
            form = word
        elif word == "FROM":
            has_from = True
    return QueryShape(form, has_from)
