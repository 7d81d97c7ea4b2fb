"""The queries the remote backend refuses to send Virtuoso 7, because it answers them wrong and no rewrite
is known that keeps their meaning (measured on Debian's 7.2 with the seed build; docs/remote-engines.md):
each raises NotAnsweredHere naming the construct and the engine."""

from __future__ import annotations

from .errors import NotAnsweredHere
from .sparql_text import Token

AGGREGATES = frozenset({"COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT"})


def refused(what: str) -> NotAnsweredHere:
    return NotAnsweredHere(f"this query cannot be answered right by the virtuoso engine this endpoint reads: "
                             f"{what}")


def check(toks: list[Token], pairs: dict[int, int], enclosing: dict[int, int]) -> None:
    """Raise for the constructs Virtuoso answers wrong."""
    _lost_optional(toks, pairs, enclosing)
    _exists_in_optional(toks, pairs)
    _ordered_cut_in_subquery(toks, enclosing)


def _optional_groups(toks: list[Token], pairs: dict[int, int]):
    """(index of OPTIONAL, index of its group's "}") for each OPTIONAL of the query."""
    for i, tok in enumerate(toks):
        if tok.word == "OPTIONAL" and i + 1 < len(toks) and toks[i + 1].text == "{" and (i + 1) in pairs:
            yield i, pairs[i + 1]


def _lost_optional(toks: list[Token], pairs: dict[int, int], enclosing: dict[int, int]) -> None:
    """The construct Virtuoso answers wrong (see the module's docstring): an OPTIONAL holding another
    OPTIONAL that joins on a variable a subquery outside it computes with an aggregate."""
    computed: list[tuple[str, int]] = []  # (variable, index of its AS), in a group (a subquery's projection)
    for i, tok in enumerate(toks):
        if (i in enclosing and tok.word == "AS" and i + 2 < len(toks) and toks[i + 1].kind == "variable"
                and (i + 2) in pairs):
            if any(t.word in AGGREGATES for t in toks[pairs[i + 2]:i]):
                computed.append((toks[i + 1].text[1:], i))
    if not computed:
        return
    for i, end in _optional_groups(toks, pairs):
        group = toks[i + 2:end]
        if not any(t.word == "OPTIONAL" for t in group):
            continue
        outside = {name for name, at in computed if not i < at < end}
        joined = sorted({t.text[1:] for t in group if t.kind == "variable"} & outside)
        if joined:
            raise refused(f"an OPTIONAL that holds another OPTIONAL and joins on ?{joined[0]}, which a subquery "
                          "computes with an aggregate: Virtuoso 7 finds no match for such an OPTIONAL (measured on "
                          "the shape the `timeline` saved query once had: its cities and countries came back "
                          "unbound)")


def _exists_in_optional(toks: list[Token], pairs: dict[int, int]) -> None:
    """The other construct Virtuoso answers wrong (see the module's docstring): (NOT) EXISTS inside an
    OPTIONAL, in a query with a UNION."""
    if not any(tok.word == "UNION" for tok in toks):
        return
    for i, end in _optional_groups(toks, pairs):
        if any(t.word == "EXISTS" for t in toks[i + 2:end]):
            raise refused("an OPTIONAL holding a FILTER (NOT) EXISTS, in a query with a UNION: Virtuoso 7 then "
                          "loses matches of the query's other OPTIONALs (measured on the shape the statements of the "
                          "entity pages once had)")


def _ordered_cut_in_subquery(toks: list[Token], enclosing: dict[int, int]) -> None:
    """A subquery's ORDER BY with a LIMIT or OFFSET: Virtuoso 7 orders literals otherwise than by their
    values (virtuoso_order), so it would keep other rows, which nothing here can know. (A subquery's ORDER
    BY alone does not change an answer; the query's own is put right by virtuoso_order.)"""
    for i, tok in enumerate(toks):
        if tok.word != "ORDER" or i not in enclosing or i + 1 >= len(toks) or toks[i + 1].word != "BY":
            continue
        group = enclosing[i]
        if any(t.word in ("LIMIT", "OFFSET") and enclosing.get(j) == group for j, t in enumerate(toks[i:], i)):
            raise refused("an ORDER BY in a subquery with a LIMIT or OFFSET: Virtuoso 7 orders literals otherwise "
                          "than by their values (text with non-ASCII characters, the values of SAMPLE, MIN and "
                          "MAX), so it would keep other rows than the query asks for")
