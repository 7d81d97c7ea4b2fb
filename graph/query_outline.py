"""Places in a query's text, found by SPARQL's tokens (graph/sparql_tokens.py: IRIs, strings and
comments are single tokens, so a brace or a keyword inside one is never taken for code): the outline of
a query (its form, where its outermost WHERE group opens, its own dataset clauses), and the query with
variables bound by a VALUES block, as an engine that takes only text must be sent what pyoxigraph takes
as substitutions. The pipeline sends its own queries so (sparql_http.Client.count, and its dataset
clauses go where the outline says the WHERE clause starts: sparql_http.with_dataset), and the server's
remote backend every query (server/remote_backend.py, through server/sparql_text.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from .sparql_tokens import tokens


@dataclass(frozen=True)
class Outline:
    form: str | None  # SELECT, ASK, CONSTRUCT, DESCRIBE (None for an update)
    where: int | None  # the offset of the outermost WHERE group's "{", if the query (or update) has one
    short_construct: bool  # CONSTRUCT WHERE { … }: the pattern is also the template
    from_default: bool = False  # a FROM clause (the default graph's)
    from_named: bool = False  # a FROM NAMED clause
    dataset_end: int | None = None  # the offset just after the last dataset clause
    where_clause: int | None = None  # where the WHERE clause starts: its keyword, or its "{" without one

    @property
    def has_dataset(self) -> bool:
        """A FROM or FROM NAMED clause of the query's own."""
        return self.from_default or self.from_named


def outline(text: str) -> Outline:
    """The outline of a query (see Outline); the text is assumed to parse (pyoxigraph said so)."""
    form, where, where_keyword, template = None, None, None, False
    from_default = from_named = False
    dataset_end, clause = None, None  # clause: what a FROM under way names, "default" or "named"
    depth = 0
    for kind, token, offset in tokens(text):
        if clause is not None and depth == 0:
            if kind == "run" and token.upper() == "NAMED" and clause == "default":
                clause = "named"
                continue
            from_named = from_named or clause == "named"
            from_default = from_default or clause == "default"
            dataset_end, clause = offset + len(token), None
            continue
        if kind == "run" and depth == 0:
            upper = token.upper()
            if form is None and upper in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
                form = upper
            elif upper == "FROM" and where is None:
                clause = "default"
            elif upper == "WHERE" and where is None:
                where_keyword = offset
        elif kind == "other" and token == "{":
            # a query's pattern; or, in an update (no query form), the group after its WHERE keyword
            if depth == 0 and where is None and (form is not None or where_keyword is not None):
                if form == "CONSTRUCT" and where_keyword is None and not template:
                    template = True  # CONSTRUCT { template } WHERE? { pattern }
                else:
                    where = offset
            depth += 1
        elif kind == "other" and token == "}":
            depth -= 1
    where_clause = where if where is None or where_keyword is None else where_keyword
    return Outline(form, where, form == "CONSTRUCT" and not template, from_default, from_named, dataset_end,
                   where_clause)


def with_values(text: str, bindings: dict, shape: Outline | None = None) -> str:
    """The query with each variable of `bindings` (name -> pyoxigraph term) bound by one VALUES row at the
    start of the outermost WHERE group, and at the start of each subquery's WHERE group that mentions it:
    the first join of each, so every solution carries those values, as pyoxigraph's substitutions bind
    them before evaluation. In the subqueries too: a subquery is evaluated on its own, and one that cuts
    its answer (LIMIT) would otherwise cut it before the value was joined (graph-preview.rq). The
    server's own queries and the saved queries give the same answers both ways
    (tests/test_remote_backend.py checks each of them). `shape`: the text's outline, if it is known (it is
    the outline of the text with its values too: they go after every place it names)."""
    if not bindings:
        return text
    where = shape or outline(text)
    if where.where is None or where.short_construct:
        raise ValueError("variables can only be bound in a query with a WHERE { … } group "
                         "(and not in the short form CONSTRUCT WHERE)")
    inserts = [(where.where + 1, _values(bindings))]
    for start, end in _subquery_groups(text):
        mentioned = {name for kind, token, offset in tokens(text[start:end]) if kind == "variable"
                     for name in [token[1:]] if name in bindings}
        if mentioned:
            inserts.append((start + 1, _values({name: bindings[name] for name in bindings if name in mentioned})))
    for at, values in sorted(inserts, reverse=True):
        text = text[:at] + values + text[at:]
    return text


def _values(bindings: dict) -> str:
    names = " ".join(f"?{name}" for name in bindings)
    row = " ".join(str(term) for term in bindings.values())
    return f" VALUES ({names}) {{ ({row}) }}"


def _subquery_groups(text: str) -> list[tuple[int, int]]:
    """(offset of "{", offset of its "}") of each subquery's WHERE group."""
    found, opened, waiting = [], [], []  # waiting: brace depths at which a subquery's group will open
    depth = parentheses = 0
    for kind, token, offset in tokens(text):
        if kind == "run" and depth > 0 and token.upper() == "SELECT":
            waiting.append((depth, parentheses))
        elif kind == "other" and token in "()":
            parentheses += 1 if token == "(" else -1
        elif kind == "other" and token == "{":
            if waiting and waiting[-1] == (depth, parentheses):
                waiting.pop()
                opened.append((depth, offset))
            depth += 1
        elif kind == "other" and token == "}":
            depth -= 1
            if opened and opened[-1][0] == depth:
                found.append((opened.pop()[1], offset))
    return found
