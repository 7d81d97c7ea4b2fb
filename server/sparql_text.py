"""What the remote backend changes in a query's text before an engine gets it, found by SPARQL's tokens
(graph/sparql_tokens.py: IRIs, strings and comments are single tokens, so a brace or a keyword inside
one is never taken for code): the missing half of a dataset, an ASK read as a SELECT; and the tokens
with their places and brackets, which server/virtuoso.py rewrites by. The outline of a query and the
VALUES that bind its variables are graph/query_outline.py's (the pipeline binds its own queries so too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..graph.query_outline import Outline
from ..graph.sparql_tokens import tokens


_ECHAR = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)")


def with_whole_dataset(text: str, shape: Outline, empty_graph: str) -> str:
    """The query with both halves of its dataset named: one that names only its default graphs (FROM)
    or only its named graphs (FROM NAMED) has, by SPARQL, no graph in the other half, where an engine may
    read all of its own graphs instead (its system graphs, a publish's staging graphs); the missing half
    is then said to be a graph that holds nothing."""
    if not shape.has_dataset or (shape.from_default and shape.from_named):
        return text
    clause = f" FROM NAMED <{empty_graph}>" if shape.from_default else f" FROM <{empty_graph}>"
    return text[:shape.dataset_end] + clause + text[shape.dataset_end:]


def ask_as_select(text: str) -> str:
    """An ASK query as the SELECT * of the same pattern (the ASK keyword replaced)."""
    for kind, token, offset in tokens(text):
        if kind == "run" and token.upper() == "ASK":
            return text[:offset] + "SELECT *" + text[offset + len(token):]
    return text


# --- tokens, for the rewrites of server/virtuoso.py ---------------------------------------

@dataclass(frozen=True)
class Token:
    """One token of a query: its kind (sparql_tokens.tokens), its text, where it starts, and its text in
    capitals if it is a word ("" otherwise: keywords are compared by it, thousands of times a rewrite)."""

    kind: str
    text: str
    start: int
    word: str

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def token_list(text: str) -> list[Token]:
    return [Token(kind, token, start, token.upper() if kind == "run" else "") for kind, token, start in tokens(text)]


def bracket_pairs(toks: list[Token]) -> dict[int, int]:
    """Each bracket's index -> its partner's index, both ways."""
    pairs, stack = {}, []
    for i, tok in enumerate(toks):
        if tok.kind != "other":
            continue
        if tok.text in "({[":
            stack.append(i)
        elif tok.text in ")}]" and stack:
            j = stack.pop()
            pairs[i], pairs[j] = j, i
    return pairs


def enclosing_groups(toks: list[Token]) -> dict[int, int]:
    """Each token's index -> the index of the innermost "{" around it (tokens at the top level: none)."""
    enclosing, stack = {}, []
    for i, tok in enumerate(toks):
        if stack:
            enclosing[i] = stack[-1]
        if tok.kind == "other" and tok.text == "{":
            stack.append(i)
        elif tok.kind == "other" and tok.text == "}" and stack:
            stack.pop()
    return enclosing


def projection_end(toks: list[Token], select: int) -> int:
    """The index of the token that ends the projection of the SELECT at `select`: WHERE, FROM or its group's
    "{" (an EXISTS in a projected expression holds a group: only a "{" outside parentheses ends it)."""
    parentheses, i = 0, select + 1
    while i < len(toks) and not (parentheses == 0 and (toks[i].word in ("WHERE", "FROM") or toks[i].text == "{")):
        parentheses += (toks[i].text == "(") - (toks[i].text == ")")
        i += 1
    return i


def named_variables(toks: list[Token], start: int, stop: int) -> list[int]:
    """The indexes of the variables a projection or GROUP BY between start and stop names itself: ?v, or
    (… AS ?v); not a variable inside an expression."""
    found, parentheses = [], 0
    for i in range(start, stop):
        tok = toks[i]
        parentheses += (tok.text == "(") - (tok.text == ")")
        if tok.kind == "variable" and (parentheses == 0 or toks[i - 1].word == "AS"):
            found.append(i)
    return found


def unescape(body: str) -> str:
    """A SPARQL string's text with its escapes (ECHAR, \\u, \\U) read."""
    def one(match: re.Match) -> str:
        escape = match.group(1)
        if escape[0] in "uU" and len(escape) > 1:
            return chr(int(escape[1:], 16))
        return _ECHAR.get(escape, escape)

    return _ESCAPE.sub(one, body)
