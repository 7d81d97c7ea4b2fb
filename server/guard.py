"""A lexical look at a query before it is evaluated: what form it has and whether it may run at all.

pyoxigraph evaluates SERVICE by sending HTTP requests to whatever IRI the query names. The evaluator
children cannot open a socket at all (sandbox.py: the kernel refuses), so this check is the first of
two layers: it gives the client a clear 403 before any work is done, and it keeps SERVICE away from the
one-subject lookups that the web process answers itself.

It reads the query by SPARQL's tokens (graph/sparql_tokens.py: the lexical grammar as Oxigraph's parser
applies it, in one pass that is linear in the query's length).

A tokenizer cannot follow a PEG parser's every choice, so where they could differ the guard is
conservative rather than exact:
- The parser matches keywords case-insensitively with no word boundary (`SERVICESILENT<x>{}`,
  `true SERVICE<x>{}` and `1SERVICE<x>{}` all parse), and falls back from a prefixed name whose IRI is
  invalid to its bare prefix, resuming inside the name. So the word "service" anywhere in a name,
  keyword or number run (not in strings, IRIs, variables or comments) is refused.
- Inside parentheses `<` may be the less-than operator rather than the start of an IRI (`?a<?b)`).
  An IRI-looking token after a value there is read both ways: if its inside could mean something
  else as code (a quote, `#`, a parenthesis, the word "service"), the query is refused and told to
  put a space after `<`.
The differential tests (tests/server/test_guard_fuzz.py) run generated queries through Oxigraph with
a listening endpoint: whatever Oxigraph would send out, this guard must refuse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..graph.sparql_tokens import HEX, TOKENS, UnterminatedString, position, tokens, unterminated_message
from .errors import QuerySyntaxError, Refused

QUERY_FORMS = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"})
UPDATE_KEYWORDS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY"})
# Deeper nesting than any real query; Oxigraph's recursive parser crashes its process on ~10,000
# levels and needs exponential time on nested collections, so the limit is checked before evaluation.
MAX_NESTING = 64

# The word Oxigraph reads as the SERVICE keyword (it compares keywords in ASCII case); the evaluator
# uses it too, to tell a refused endpoint from a storage error.
SERVICE_WORD = re.compile("service", re.IGNORECASE | re.ASCII)
_KEYWORDS = re.compile("|".join(sorted(UPDATE_KEYWORDS)), re.IGNORECASE | re.ASCII)
_CODEPOINT = re.compile(rf"\\u({HEX}{{4}})|\\U({HEX}{{8}})")
# What an IRI-looking token may not hold where `<` could also be the less-than operator.
_AMBIGUOUS_INSIDE = re.compile(r"['#()]|service", re.IGNORECASE | re.ASCII)
# Tokens after which, inside parentheses, `<` is read as "less than" by the parser.
_VALUE_KINDS = frozenset({"string", "iri", "variable", "langtag", "run"})
_OPENING, _CLOSING = "([{", ")]}"

REFUSED_SERVICE = ("SERVICE is refused: this endpoint does not send requests to other endpoints "
                   "(federated queries would let anyone make the server fetch any URL). The word "
                   "'service' is refused in any name, keyword or number; inside a string or a full "
                   "<IRI> it is fine")


@dataclass(frozen=True)
class QueryShape:
    form: str | None  # SELECT, ASK, CONSTRUCT, DESCRIBE; None when no form keyword was seen
    lookup: bool = False  # a one-subject lookup whose work is bounded (see is_subject_lookup)

    @property
    def is_graph(self) -> bool:
        return self.form in ("CONSTRUCT", "DESCRIBE")


def _word_kind(kind: str, token: str) -> str:
    """The run's finer kind: a prefixed name (with a colon), a word (keyword, function), a number."""
    if kind != "run":
        return kind
    if ":" in token:
        return "pname"
    return "word" if not (token[0].isdigit() or token[0] in ".-") else "number"


@lru_cache(maxsize=2048)  # the same few texts come again and again (saved queries, pages, clients)
def inspect(query: str) -> QueryShape:
    """The query's form (inspect_all, cached); raises Refused for SERVICE and updates, QuerySyntaxError
    for what cannot be a query (an unterminated string, nesting deeper than MAX_NESTING)."""
    return inspect_all(query)


def inspect_all(query: str) -> QueryShape:
    """inspect() without its cache: one pass over the tokens, which stops early when nothing is left to
    find (no word to check and no nesting that could pass the limit)."""
    form = None
    depth, parentheses, previous = 0, 0, None
    head = []
    # What each word must be checked for, found once in the whole text (a word can only hold what the
    # text holds): most queries need few of the checks on few of their words.
    service = SERVICE_WORD.search(query) is not None
    keywords = _KEYWORDS.search(query) is not None
    few_brackets = query.count("(") + query.count("[") + query.count("{") <= MAX_NESTING
    # The loop reads the matches itself (not tokens()): a generator's hop per token was half the cost.
    for match in TOKENS.finditer(query):
        kind = match.lastgroup
        token = match.group(kind)
        if kind == "run":
            if service and SERVICE_WORD.search(token):
                raise Refused(REFUSED_SERVICE)
            if keywords or form is None:
                upper = token.upper()
                if upper in UPDATE_KEYWORDS:
                    raise Refused(f"{upper} is refused: this endpoint is read-only and answers queries only, "
                                  "no SPARQL Update")
                if form is None and upper in QUERY_FORMS:
                    form = upper
        elif (kind == "iri" and service and parentheses and previous in _VALUE_KINDS
              and _AMBIGUOUS_INSIDE.search(token)):
            # Read as less-than, an inside without quotes, `#` or parentheses lexes the rest of the
            # query the same way as the IRI reading does, and keeps the count of parentheses right.
            # Where the text holds no "service" at all, neither reading can name an endpoint.
            raise Refused(f"at {position(query, match.start(kind))}, '<' after a value inside parentheses may be the "
                          "less-than operator or the start of an IRI, and the two readings differ here: "
                          "put a space after '<' for less-than, or a comma or operator before the IRI")
        elif kind == "other":
            if token in _OPENING:
                depth += 1
                parentheses += token == "("
                if depth > MAX_NESTING:
                    raise QuerySyntaxError(f"the query nests brackets deeper than {MAX_NESTING} levels "
                                           f"(at {position(query, match.start(kind))})")
            elif token in _CLOSING:
                depth = max(0, depth - 1)
                parentheses = max(0, parentheses - (token == ")"))
        elif kind == "unterminated":
            raise QuerySyntaxError(unterminated_message(query, match.start(kind)))
        elif kind == "end":
            break
        previous = kind if kind != "other" or token not in ")]" else "run"  # `)` and `]` end a value too
        if len(head) <= LOOKUP_TOKENS:
            head.append((_word_kind(kind, token), token))
        elif few_brackets and not (service or keywords or form is None):
            break  # nothing left to find: no word to check, no nesting that could pass the limit
    if "\\u" in query or "\\U" in query:
        _refuse_escaped_service(query)
    lookup = len(head) <= LOOKUP_TOKENS and is_subject_lookup(head) and _plain_for_lookup(query)
    return QueryShape(form, lookup)


def _refuse_escaped_service(query: str) -> None:
    """SPARQL 1.1 says \\u escapes are resolved over the whole text before parsing; Oxigraph resolves
    them only in strings and IRIs. Refuse what either reading would call SERVICE."""
    def replace(match: re.Match) -> str:
        try:
            return chr(int(match.group(1) or match.group(2), 16))
        except (ValueError, OverflowError):
            return match.group(0)

    try:
        for kind, token, _ in tokens(_CODEPOINT.sub(replace, query)):
            if kind == "run" and SERVICE_WORD.search(token):
                raise Refused(REFUSED_SERVICE)
    except UnterminatedString:
        pass  # the resolved text is not a query at all; the text as sent was read above


def _plain_for_lookup(query: str) -> bool:
    """A lookup is evaluated in the web process, which may use the network: beyond the grammar, its
    text holds no backslash and no 'service' at all, so no reading of it can name an endpoint."""
    return "\\" not in query and SERVICE_WORD.search(query) is None


# --- one-subject lookups ----------------------------------------------------------------------
#
# A query made of a single triple pattern whose subject is a constant is answered by one range scan of
# Oxigraph's subject index: its work is bounded by the triples of that one subject (and, without
# DISTINCT or ORDER BY, by the row cap, since answers are read lazily). Such a query cannot run away,
# so the web process may answer it itself instead of paying for the round trip to an evaluator child
# (see evaluator.py); every other query keeps the hard time limit of a killable child. The grammar
# below is deliberately narrow: anything it does not recognise, including every property path,
# FILTER, OPTIONAL, GRAPH and numeric literal, is simply not a lookup.

LOOKUP_TOKENS = 40  # longer than any one-subject lookup with a few PREFIX lines

# A prefixed name with no path operators in it (the tokenizer's run is looser, to never split one).
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
    while i + 2 < n and tokens[i][0] == "word" and tokens[i][1].upper() == "PREFIX":
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
        if i < n and tokens[i][0] == "number" and tokens[i][1].isdigit():
            i += 1
        else:
            return False
    return i == n
