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


def check(toks: list[Token], pairs: dict[int, int]) -> tuple[int, int] | None:
    """Raise for the constructs Virtuoso answers wrong; the span of an ORDER BY clause the answer must be
    put in order by again (see _ordered_aggregates), if there is one."""
    _lost_optional(toks, pairs)
    _exists_in_optional(toks, pairs)
    return _ordered_aggregates(toks, pairs)


def _lost_optional(toks: list[Token], pairs: dict[int, int]) -> None:
    """The construct Virtuoso answers wrong (see the module's docstring): an OPTIONAL holding another
    OPTIONAL that joins on a variable a subquery outside it computes with an aggregate."""
    computed: list[tuple[str, int]] = []  # (variable, index of its AS)
    depth = 0
    for i, tok in enumerate(toks):
        if tok.kind == "other" and tok.text == "{":
            depth += 1
        elif tok.kind == "other" and tok.text == "}":
            depth -= 1
        elif (depth > 0 and tok.word == "AS" and i + 2 < len(toks) and toks[i + 1].kind == "variable"
              and (i + 2) in pairs):
            if any(t.word in AGGREGATES for t in toks[pairs[i + 2]:i]):
                computed.append((toks[i + 1].text[1:], i))
    if not computed:
        return
    for i, tok in enumerate(toks):
        if tok.word != "OPTIONAL" or i + 1 >= len(toks) or toks[i + 1].text != "{" or (i + 1) not in pairs:
            continue
        end = pairs[i + 1]
        group = toks[i + 2:end]
        if not any(t.word == "OPTIONAL" for t in group):
            continue
        outside = {name for name, at in computed if not i < at < end}
        joined = sorted({t.text[1:] for t in group if t.kind == "variable"} & outside)
        if joined:
            raise refused(f"an OPTIONAL that holds another OPTIONAL and joins on ?{joined[0]}, which a subquery "
                          "computes with an aggregate: Virtuoso 7 finds no match for such an OPTIONAL (measured on "
                          "the `timeline` saved query, whose cities and countries came back unbound)")


def _exists_in_optional(toks: list[Token], pairs: dict[int, int]) -> None:
    """The other construct Virtuoso answers wrong (see the module's docstring): (NOT) EXISTS inside an
    OPTIONAL, in a query with a UNION."""
    if not any(tok.word == "UNION" for tok in toks):
        return
    for i, tok in enumerate(toks):
        if tok.word != "OPTIONAL" or i + 1 >= len(toks) or toks[i + 1].text != "{" or (i + 1) not in pairs:
            continue
        if any(t.word == "EXISTS" for t in toks[i + 2:pairs[i + 1]]):
            raise refused("an OPTIONAL holding a FILTER (NOT) EXISTS, in a query with a UNION: Virtuoso 7 then "
                          "loses matches of the query's other OPTIONALs (measured on the statements of the "
                          "entity pages)")


def _ordered_aggregates(toks: list[Token], pairs: dict[int, int]) -> tuple[int, int] | None:
    """ORDER BY on the value of a SAMPLE, MIN or MAX: Virtuoso 7 orders such values taken from the store (a
    label with a language tag) otherwise than by the values (measured on the entity index, /id/). The
    query's own ORDER BY, when it names only what the query projects and no LIMIT or OFFSET cuts by it,
    is kept, and the answer is put in order again here, by Oxigraph (virtuoso.reordered): its span is
    returned. Anywhere else (a subquery's, one naming an unprojected variable, one a LIMIT cuts by) the
    query is refused."""
    computed = set()
    for i, tok in enumerate(toks):
        if tok.word == "AS" and i + 2 < len(toks) and toks[i + 1].kind == "variable" and (i + 2) in pairs:
            if any(t.word in ("SAMPLE", "MIN", "MAX") for t in toks[pairs[i + 2]:i]):
                computed.add(toks[i + 1].text)
    depth, depths = 0, []
    for tok in toks:
        if tok.kind == "other" and tok.text == "}":
            depth -= 1
        depths.append(depth)
        if tok.kind == "other" and tok.text == "{":
            depth += 1
    for i, tok in enumerate(toks):
        if tok.word != "ORDER" or i + 1 >= len(toks) or toks[i + 1].word != "BY":
            continue
        end = i + 2
        while end < len(toks) and not (toks[end].word in ("LIMIT", "OFFSET", "VALUES")
                                       or (toks[end].kind == "other" and toks[end].text in "{}")):
            end += 1
        named = [t.text for t in toks[i + 2:end] if t.kind == "variable"]
        offending = next((name for name in named if name in computed), None)
        if offending is None:
            continue
        why = None
        if depths[i] != 0:
            why = "in a subquery"
        elif any(t.word in ("LIMIT", "OFFSET") for t in toks[end:]):
            why = "with a LIMIT or OFFSET that cuts by that order"
        elif not set(named) <= _projected(toks, depths):
            why = "naming a variable the query does not project"
        if why:
            raise refused(f"ORDER BY {offending}, the value of a SAMPLE, MIN or MAX, {why}: Virtuoso 7 orders such "
                          "values otherwise than by the values themselves (measured on labels with a language tag, "
                          "in the entity index), and the answer cannot be put in order again here")
        return toks[i].start, toks[end - 1].end
    return None


def _projected(toks: list[Token], depths: list[int]) -> set[str]:
    """The variables the outermost SELECT projects (all of them for SELECT *)."""
    start = next((i for i, t in enumerate(toks) if t.word == "SELECT" and depths[i] == 0), None)
    if start is None:
        return set()
    names, parentheses, i = set(), 0, start + 1
    while i < len(toks) and toks[i].word not in ("WHERE", "FROM") and toks[i].text != "{":
        tok = toks[i]
        if tok.text == "*" and parentheses == 0:
            return {t.text for t in toks if t.kind == "variable"}
        parentheses += (tok.text == "(") - (tok.text == ")")
        if tok.kind == "variable" and (parentheses == 0 or toks[i - 1].word == "AS"):
            names.add(tok.text)  # ?v, or (… AS ?v); not a variable inside an expression
        i += 1
    return names
