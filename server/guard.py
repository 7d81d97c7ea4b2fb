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
    lookup: bool = False  # a one-subject lookup whose work is bounded (see is_subject_lookup)

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


def _significant(text: str):
    """(kind, text) of every token but spaces and comments, in order, lazily."""
    for match in _TOKENS.finditer(text):
        kind = match.lastgroup
        if kind != "space" and kind != "comment":
            yield kind, match.group()


def bare_words(query: str):
    """The keywords and function names of a query, upper-cased, in order."""
    for kind, text in _significant(_unescape_codepoints(query)):
        if kind == "word":
            yield text.upper()


# Every keyword inspect() acts on but the query forms.
_KEYWORDS = tuple(sorted({*UPDATE_KEYWORDS, "SERVICE", "FROM"}))
LOOKUP_TOKENS = 40  # longer than any one-subject lookup with a few PREFIX lines


def _may_hold_keyword(text: str) -> bool:
    """False only if no keyword of _KEYWORDS can be a word token of the text, in any case.

    A keyword is a word token only where it is not preceded by a letter, underscore, ?, $ or : (then it
    is inside a longer word, a variable, a prefixed name or a language tag) and not followed by a word
    character. Upper-casing is character by character in Python, so a token the full scan reads as a
    keyword is a substring of text.upper() at the same place (when no character changed length). Loose
    the other way on purpose: an IRI or a string that holds "from" sends the query to the full check."""
    upper = text.upper()
    if len(upper) != len(text):
        return True
    for keyword in _KEYWORDS:
        at = upper.find(keyword)
        while at >= 0:
            before = upper[at - 1] if at else " "
            after_at = at + len(keyword)
            after = upper[after_at] if after_at < len(upper) else " "
            inside = before in "?$:_" or (before.isalnum() and not before.isdecimal())
            if not inside and not (after.isalnum() or after == "_"):
                return True
            at = upper.find(keyword, at + 1)
    return False


_LOOKUP_WORDS = frozenset({"PREFIX", "ASK", "SELECT", "DESCRIBE", "WHERE", "LIMIT"})
_LOOKUP_KINDS = frozenset({"iri", "pname", "variable", "string", "langtag"})


def _may_be_in_lookup(kind: str, token: str) -> bool:
    """Whether the token can occur in a one-subject lookup at all (a cheap early exit, not the grammar)."""
    if kind in _LOOKUP_KINDS:
        return True
    if kind == "word":
        return token == "a" or token.upper() in _LOOKUP_WORDS
    return token in "{}.*^" or token.isdigit()


def inspect(query: str) -> QueryShape:
    """The query's form and dataset clause; raises Refused for SERVICE and any update keyword."""
    text = _unescape_codepoints(query)
    if _may_hold_keyword(text):
        return _inspect_every_word(text)
    # No keyword to act on: read tokens only until the form is known and the query cannot be a lookup.
    form, head, maybe_lookup = None, [], True
    for kind, token in _significant(text):
        if maybe_lookup:
            if len(head) < LOOKUP_TOKENS and _may_be_in_lookup(kind, token):
                head.append((kind, token))
            else:
                maybe_lookup = False
        if form is None and kind == "word" and token.upper() in QUERY_FORMS:
            form = token.upper()
        if form is not None and not maybe_lookup:
            break
    return QueryShape(form, False, maybe_lookup and is_subject_lookup(head))


def _inspect_every_word(text: str) -> QueryShape:
    tokens = list(_significant(text))
    form = None
    has_from = False
    for kind, token in tokens:
        if kind != "word":
            continue
        word = token.upper()
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
    return QueryShape(form, has_from, len(tokens) <= LOOKUP_TOKENS and is_subject_lookup(tokens))


# --- one-subject lookups ----------------------------------------------------------------------
#
# A query made of a single triple pattern whose subject is a constant is answered by one range scan of
# Oxigraph's subject index: its work is bounded by the triples of that one subject (and, without
# DISTINCT or ORDER BY, by the row cap, since answers are read lazily). Such a query cannot run away,
# so the web process may answer it itself instead of paying for the round trip to an evaluator child
# (see evaluator.py); every other query keeps the hard time limit of a killable child. The grammar
# below is deliberately narrow: anything it does not recognise, including every property path,
# FILTER, OPTIONAL, GRAPH and numeric literal, is simply not a lookup.

# A prefixed name with no path operators in it (the tokenizer's pname is looser, to never split one).
_PLAIN_PNAME = re.compile(r"(?:[^\W\d_][\w.-]*)?:(?:[\w-](?:[\w.-]*[\w-])?)?")


def _is_constant_iri(kind: str, text: str) -> bool:
    return kind == "iri" or (kind == "pname" and _PLAIN_PNAME.fullmatch(text) is not None)


def _triple_pattern_end(tokens: list, i: int) -> int | None:
    """Where a `subject predicate object [.]` pattern starting at i ends, if it is one we accept."""
    if i + 3 > len(tokens) or not _is_constant_iri(*tokens[i]):
        return None
    kind, text = tokens[i + 1]
    if not (_is_constant_iri(kind, text) or kind == "variable" or (kind == "word" and text == "a")):
        return None
    kind, text = tokens[i + 2]
    i += 3
    if kind == "string":
        if i < len(tokens) and tokens[i][0] == "langtag":
            i += 1
        elif i + 2 < len(tokens) and tokens[i][1] == "^" and tokens[i + 1][1] == "^" and _is_constant_iri(*tokens[i + 2]):
            i += 3
    elif not (_is_constant_iri(kind, text) or kind == "variable"):
        return None
    if i < len(tokens) and tokens[i][1] == ".":
        i += 1
    return i


def is_subject_lookup(tokens: list[tuple[str, str]]) -> bool:
    """PREFIX declarations, then `ASK { s p o }`, `SELECT ?v… { s p o } [LIMIT n]` (or SELECT *, WHERE
    optional) or `DESCRIBE <iri>`, with a constant subject s."""
    i, n = 0, len(tokens)
    while i + 2 < n and tokens[i] == ("word", tokens[i][1]) and tokens[i][1].upper() == "PREFIX":
        if tokens[i + 1][0] != "pname" or not tokens[i + 1][1].endswith(":") or tokens[i + 2][0] != "iri":
            return False
        i += 3
    if i >= n or tokens[i][0] != "word":
        return False
    form = tokens[i][1].upper()
    i += 1
    if form == "DESCRIBE":
        return i + 1 == n and _is_constant_iri(*tokens[i])
    if form == "SELECT":
        if i < n and tokens[i][1] == "*":
            i += 1
        else:
            start = i
            while i < n and tokens[i][0] == "variable":
                i += 1
            if i == start:
                return False
    elif form != "ASK":
        return False
    if i < n and tokens[i][0] == "word" and tokens[i][1].upper() == "WHERE":
        i += 1
    if i >= n or tokens[i][1] != "{":
        return False
    end = _triple_pattern_end(tokens, i + 1)
    if end is None or end >= n or tokens[end][1] != "}":
        return False
    i = end + 1
    if form == "SELECT" and i < n and tokens[i][0] == "word" and tokens[i][1].upper() == "LIMIT":
        i += 1
        start = i
        while i < n and tokens[i][0] == "other" and tokens[i][1].isdigit():
            i += 1
        if i == start:
            return False
    return i == n
