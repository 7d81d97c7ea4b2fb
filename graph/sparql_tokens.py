"""SPARQL's tokens, read by its lexical grammar as Oxigraph's parser (spargebra 0.5) applies it: strings
with every escape form (ECHAR and \\u, \\U inside strings only: Oxigraph does not resolve \\u escapes
over the whole text), IRIs (\\u escapes allowed inside), prefixed names with their backslash escapes
(`ex:a\\#b` is one name, not a name and a comment), variables, language tags, comments. One pass over
the text, each character read a bounded number of times: linear in the query's length, and an
unterminated string stops the scan at once.

IRIs, strings and comments are single tokens, so a brace or a keyword inside one is never taken for
code: the server's guard (server/guard.py) reads a query's words by them, and graph/query_outline.py
finds places in a query's text by them (where VALUES go, for the pipeline and the server alike).
"""

from __future__ import annotations

import re

HEX = "[0-9A-Fa-f]"
_UCHAR = rf"\\u{HEX}{{4}}|\\U{HEX}{{8}}"
_ECHAR = r"""\\[tbnrf"'\\]"""
_BASE = ("A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D"
         "\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\U00010000-\U000EFFFF")
_NAME_EXTRA = "0-9_\u00B7\u0300-\u036F\u203F-\u2040"
_LOCAL_ESCAPE = r"""\\[_~.\-!$&'()*+,;=/?#@%]"""

_NAME_CHAR = f"[{_BASE}{_NAME_EXTRA}.:%\\-]"
# One match a token, with the spaces and comments before it: the matches tile the text. The alternatives
# most tokens take come first; none of them can start where an earlier one does. Repeats are unrolled
# (`[...]+` runs) so that the regex engine does the character loops, and possessive (`*+`, `++`), as a
# PEG parser's are: they never give back, so no input backtracks. The group that matched is the token's
# kind: run (a keyword, a prefixed name, a number), variable, iri, string, langtag, other (one character
# of punctuation), unterminated (a quote no string closes) or end.
TOKENS = re.compile(
    rf"""
    (?:[ \t\r\n]++|\#[^\r\n]*+)*+
    (?:(?P<run>(?:{_NAME_CHAR}|{_LOCAL_ESCAPE})(?:{_NAME_CHAR}++|{_LOCAL_ESCAPE})*+)
     | (?P<variable>[?$][{_BASE}{_NAME_EXTRA}]++)
     | (?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]++|{_UCHAR})*+>)
     | (?P<string>'''(?:(?:''|')?(?:[^'\\]|{_ECHAR}|{_UCHAR}))*+'''
                |\"\"\"(?:(?:\"\"|\")?(?:[^"\\]|{_ECHAR}|{_UCHAR}))*+\"\"\"
                |'(?:[^'\\\n\r]++|{_ECHAR}|{_UCHAR})*+'
                |"(?:[^"\\\n\r]++|{_ECHAR}|{_UCHAR})*+")
     | (?P<unterminated>['"])
     | (?P<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*(?:--[A-Za-z]+)?)
     | (?P<other>.)
     | (?P<end>\Z))
    """,
    re.VERBOSE | re.DOTALL,
)


class UnterminatedString(ValueError):
    """A string that does not end on its line, or with an escape SPARQL does not know: no parser accepts
    the text (the message names its line and column)."""

    def __init__(self, text: str, offset: int):
        self.offset = offset
        self.message = unterminated_message(text, offset)
        super().__init__(self.message)


def tokens(text: str):
    """(kind, text, offset) of every token but spaces and comments, in order, lazily.

    Raises UnterminatedString at an unterminated string or a bad escape in one: no parser accepts it,
    and going on would read the rest of the line again for every quote in it."""
    for match in TOKENS.finditer(text):
        kind = match.lastgroup
        if kind == "end":
            return
        if kind == "unterminated":
            raise UnterminatedString(text, match.start(kind))
        yield kind, match.group(kind), match.start(kind)


def position(text: str, offset: int) -> str:
    """line:column of an offset, both from 1."""
    line = text.count("\n", 0, offset) + 1
    return f"{line}:{offset - (text.rfind(chr(10), 0, offset) + 1) + 1}"


def unterminated_message(text: str, offset: int) -> str:
    return (f"SPARQL syntax error at {position(text, offset)}: a string that does not end on its line, or with "
            "an escape SPARQL does not know")
