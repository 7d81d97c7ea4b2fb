"""The order of an answer from Virtuoso 7, put right here: it orders literals otherwise than by their
values (measured on Debian's 7.2 with the seed build: Arabic labels, with a language tag or without, in
the order the store took them in; the values of SAMPLE, MIN and MAX likewise), so no query's ORDER BY
is left to it.

A SELECT's own ORDER BY, LIMIT and OFFSET are taken out of the text sent, and each variable the ORDER BY
names that the query does not project is projected too; the answer is put in order by Oxigraph (the
local store's order: each row a line of VALUES, with its place, in a query that orders them as the
original orders its answer), the added columns are removed, rows that became equal made one where the
query asks DISTINCT, and the LIMIT and OFFSET applied. SPARQL's own sequence: order, project, distinct,
slice. The whole answer is then read, up to the engine's own row limit (an answer cut there is an error,
remote_backend._cut_by_engine).

An aggregate the ORDER BY holds (ORDER BY DESC(COUNT(?x))) is projected too, as a column of its own that
the order names. What cannot be put right is refused (NotAnsweredHere): an ORDER BY holding a graph
pattern (EXISTS), a variable a grouped query cannot project, an ordered and cut CONSTRUCT or DESCRIBE,
and (virtuoso_refusals) an ordered and cut subquery.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pyoxigraph as ox

from .sparql_text import Token, named_variables, projection_end
from .virtuoso_refusals import AGGREGATES, refused

MODIFIERS = ("LIMIT", "OFFSET", "VALUES")  # what may follow an ORDER BY clause at the top level


@dataclass
class Ordering:
    """What put_in_order() needs to give the answer the order, columns and slice the query asked for."""

    order_by: str  # the query's ORDER BY clause, its aggregates named by their columns
    prologue: str  # the query's PREFIX and BASE, which the clause's names may need
    added: list[str] = field(default_factory=list)  # variables projected only to order by
    offset: int = 0
    limit: int | None = None


def plan(query: str, toks: list[Token], pairs: dict[int, int], enclosing: dict[int, int]) -> tuple[list[tuple[int, int, str]],
                                                                          Ordering | None]:
    """The edits (start, end, replacement) that take a query's top-level ORDER BY, LIMIT and OFFSET out
    and project what the ORDER BY needs, and the Ordering to apply to the answer; none for a query
    without a top-level ORDER BY."""
    top = [i for i in range(len(toks)) if i not in enclosing]  # the tokens outside every group
    order = next((i for i in top if toks[i].word == "ORDER" and i + 1 < len(toks) and toks[i + 1].word == "BY"),
                 None)
    if order is None:
        return [], None
    form = next(toks[i].word for i in top if toks[i].word in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"))
    cuts = [i for i in top if toks[i].word in ("LIMIT", "OFFSET") and i > order]
    if form != "SELECT":
        if cuts and form != "ASK":
            raise refused(f"ORDER BY with a LIMIT or OFFSET in a {form}: Virtuoso 7 orders text otherwise than by "
                          "its value, so it would keep other triples, and triples cannot be put in order again here")
        return [], None
    end = order + 2
    while end < len(toks) and not (end not in enclosing and toks[end].word in MODIFIERS):
        end += 1
    clause = toks[order + 2:end]
    if any(t.kind == "other" and t.text == "{" for t in clause):
        raise refused("ORDER BY an expression with a graph pattern (EXISTS): the answer is put in order here, "
                      "away from the graph; project the expression ((EXISTS { … }) AS ?name) and order by ?name")
    # An aggregate the ORDER BY names is projected as a column of its own, which the order then names
    computed: list[tuple[int, int, str]] = []  # (its first token, its last, its column)
    i = order + 2
    while i < end:
        if toks[i].word in AGGREGATES and i + 1 < end and toks[i + 1].text == "(" and (i + 1) in pairs:
            computed.append((i, pairs[i + 1], f"ckg_order_{len(computed)}"))
            i = pairs[i + 1] + 1
        else:
            i += 1
    inside = {j for first, last, _ in computed for j in range(first, last + 1)}
    select = next(i for i in top if toks[i].word == "SELECT")
    projected, end_of_projection = _projection(toks, select)
    added = []
    for j in range(order + 2, end):
        name = toks[j].text[1:]
        if (toks[j].kind == "variable" and j not in inside and projected is not None and name not in projected
                and name not in added):
            added.append(name)
    if added and _grouped(toks, select, end_of_projection, top):
        keys = _group_keys(toks, top, enclosing)
        if not set(added) <= keys:
            raise refused(f"ORDER BY ?{sorted(set(added) - keys)[0]}, which this grouped query does not project: "
                          "Virtuoso 7 orders values otherwise than by the values, and the answer can be put in "
                          "order again here only by what it holds")
    order_by, at = "", toks[order].start
    for first, last, column in computed:
        order_by += query[at:toks[first].start] + "?" + column
        at = toks[last].end
    order_by += query[at:toks[end - 1].end]
    projection = [f"?{name}" for name in added] + [
        f"({query[toks[first].start:toks[last].end]} AS ?{column})" for first, last, column in computed]
    added += [column for _, _, column in computed]
    ordering = Ordering(order_by, query[:toks[select].start], added)
    edits = [(toks[order].start, toks[end - 1].end, " ")]
    for i in cuts:
        if i + 1 >= len(toks) or not toks[i + 1].text.isdigit():
            raise refused(f"a {toks[i].word} that is not a number")  # the parser took it: not reached
        value = int(toks[i + 1].text)
        if toks[i].word == "LIMIT":
            ordering.limit = value
        else:
            ordering.offset = value
        edits.append((toks[i].start, toks[i + 1].end, " "))
    if projection:
        at = toks[end_of_projection].start
        edits.append((at, at, " " + " ".join(projection) + " "))
    return edits, ordering


def put_in_order(document: dict, ordering: Ordering, distinct: bool) -> dict:
    """The SPARQL JSON results in the query's order, with only its own columns, made distinct where it
    asks (SELECT DISTINCT or REDUCED), and sliced by its LIMIT and OFFSET. Changed in place, and returned."""
    rows = _ordered(document, ordering)
    if ordering.added:
        document["head"]["vars"] = [name for name in document["head"]["vars"] if name not in ordering.added]
        for row in rows:
            for name in ordering.added:
                row.pop(name, None)
    if distinct:  # SPARQL makes rows one after ordering and projecting: the first stays
        rows = unique(rows)
    end = None if ordering.limit is None else ordering.offset + ordering.limit
    document["results"]["bindings"] = rows[ordering.offset:end]
    return document


def unique(rows: list[dict]) -> list[dict]:
    """The rows with each one kept once, the first of equal ones."""
    seen, kept = set(), []
    for row in rows:
        key = json.dumps(row, sort_keys=True)
        if key not in seen:
            seen.add(key)
            kept.append(row)
    return kept


def _ordered(document: dict, ordering: Ordering) -> list[dict]:
    """The rows in the order Oxigraph gives them by the query's ORDER BY (a stable order: rows the clause
    ties keep the engine's order)."""
    names = document["head"]["vars"]
    rows = document["results"]["bindings"]
    if len(rows) < 2:
        return rows
    lines = []
    for place, row in enumerate(rows):
        cells = [str(place)]
        for name in names:
            term = row.get(name)
            if term is not None and term.get("type") == "bnode":
                raise refused("a blank node in an answer to put in order again (VALUES cannot hold one)")
            try:
                cells.append("UNDEF" if term is None else str(_term(term)))
            except (KeyError, ValueError):  # not a term an answer may hold: the answer is not given
                raise refused(f"a term in its answer that cannot be put in order again: {str(term)[:100]}") from None
        lines.append("(" + " ".join(cells) + ")")
    variables = " ".join("?" + name for name in ("ckg_place", *names))
    text = (f"{ordering.prologue}SELECT ?ckg_place WHERE {{ VALUES ({variables}) {{ {' '.join(lines)} }} }} "
            f"{ordering.order_by}")
    return [rows[int(solution["ckg_place"].value)] for solution in ox.Store().query(text)]


def _term(term: dict):
    """A SPARQL JSON term as pyoxigraph's (whose str() is its SPARQL text)."""
    if term["type"] == "uri":
        return ox.NamedNode(term["value"])
    if "xml:lang" in term:
        return ox.Literal(term["value"], language=term["xml:lang"])
    if "datatype" in term:
        return ox.Literal(term["value"], datatype=ox.NamedNode(term["datatype"]))
    return ox.Literal(term["value"])


def _projection(toks: list[Token], select: int) -> tuple[set[str] | None, int]:
    """The names the outermost SELECT projects (None for SELECT *), and the index of the token that ends
    its projection (sparql_text.projection_end)."""
    end = projection_end(toks, select)
    parentheses, star = 0, False
    for tok in toks[select + 1:end]:
        star = star or (tok.text == "*" and parentheses == 0)
        parentheses += (tok.text == "(") - (tok.text == ")")
    return (None if star else {toks[i].text[1:] for i in named_variables(toks, select + 1, end)}), end


def _grouped(toks: list[Token], select: int, end_of_projection: int, top: list[int]) -> bool:
    """Whether the outermost SELECT groups: a GROUP BY of its own, or an aggregate in its projection."""
    return (any(toks[i].word == "GROUP" for i in top)
            or any(tok.word in AGGREGATES for tok in toks[select:end_of_projection]))


def _group_keys(toks: list[Token], top: list[int], enclosing: dict[int, int]) -> set[str]:
    """The variables the outermost GROUP BY makes keys (and so a projection may name)."""
    start = next((i for i in top if toks[i].word == "GROUP"), None)
    if start is None:
        return set()
    end = start + 2
    while end < len(toks) and not (end not in enclosing and toks[end].word in ("HAVING", "ORDER", *MODIFIERS)):
        end += 1
    return {toks[i].text[1:] for i in named_variables(toks, start + 2, end)}
