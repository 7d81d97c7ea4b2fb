"""What Virtuoso 7 answers otherwise than our store, and what the remote backend does about each, so
that no difference reaches a user as a wrong answer (measured on Debian's 7.2; the table is in
docs/remote-engines.md):

- GROUP_CONCAT drops the values' language tag, gives "" where Oxigraph's is unbound (a value that is
  unbound or not a string), and turns a separator's non-ASCII characters into "?". A GROUP_CONCAT that
  is a whole projected expression, `(GROUP_CONCAT(…) AS ?v)`, is sent as its parts, which Virtuoso
  computes right: the concatenation (with a placeholder for a separator that is not plain ASCII), how
  many values are strings and how many rows there are, how many language tags and one of them. In the
  query's own projection the parts are extra columns that restore() puts together and removes; in a
  subquery's, a BIND beside the subquery (`{ { SELECT … } BIND(…) }`) puts them together as
  MARK @tag ~ text, which restore() reads. (As one expression, Virtuoso 7 failed to compile them: "Bad dfe in sqlo_place_exp".) Oxigraph's
  rule, reproduced: unbound unless every value is a string; tagged when all have the same tag.
- Functions take an unbound argument as empty, where Oxigraph's fail (CONCAT(STR(?x), "a") is "a"
  with ?x unbound; Oxigraph leaves the projected variable unbound): a projected or bound expression is
  sent as IF(BOUND(?x) && …, e, ?ckg_unbound) for the variables it needs (those not under COALESCE, IF,
  BOUND, an aggregate or an EXISTS); inside GROUP_CONCAT, its values are counted as not strings. Not in
  the projection of a query that groups (Virtuoso takes ?ckg_unbound there for an ungrouped variable):
  there the difference remains (docs/remote-engines.md).
- Booleans come back as 1/0 (xsd:integer): Virtuoso has no boolean type, so EXISTS, comparisons and
  `true` are integers. A projected expression whose value is a boolean at its top level (EXISTS, a
  comparison, &&, ||, !, IN, BOUND, isIRI …) is sent typed, STRDT(IF(e, "true", "false"), xsd:boolean),
  which Virtuoso writes as "1"^^xsd:boolean; restore() writes it as Oxigraph does, "true".
- An OPTIONAL that holds another OPTIONAL never matches when it joins on a variable that a subquery
  computes with an aggregate, once the group has another pattern too (the `timeline` saved query:
  ?city, a SAMPLE, lost its label and country). No rewrite keeps that query's meaning in general, so
  such a query is refused (NotAnsweredHere) naming the construct. The refusals are in
  server/virtuoso_refusals.py. (`timeline` itself now asks for the city's label and its country in two
  OPTIONALs side by side, which Virtuoso answers right.)
- A query with a UNION and an OPTIONAL holding a FILTER (NOT) EXISTS loses matches of its other
  OPTIONALs (the statements of an entity page, once: 19 of the 97 resources of the seeds came back with
  a mention's sentence missing and a row too many; without the UNION, or without the NOT EXISTS, the
  rows were right). Refused likewise. (The pages' own queries now read a record's subject or object by a
  path, `rdf:subject|rdf:object`, and the curators' titles by MINUS, not in that shape.)

- Literals are ordered otherwise than by their values (Arabic text, with a language tag or without, in
  the order the store took it in; the values of SAMPLE, MIN and MAX): a query's own ORDER BY, LIMIT and
  OFFSET are applied here, to the whole answer, by Oxigraph (server/virtuoso_order.py).
- A UNION branch that is a VALUES block alone matches nothing (`{ … } UNION { VALUES ?s { … } }` counted
  0 rows in all): such a branch is sent as the subquery of its VALUES, `{ SELECT * WHERE { VALUES … } }`,
  which Virtuoso answers right (values_alone_in_union).
- An ASK comes back as a one-row SELECT of `__ASK_RETVAL`, 1 or 0 (remote_backend reads it).

What the rewrites cannot follow is refused too, never sent: a rewritten variable used anywhere but in
projections or ORDER BY (a FILTER on it would see the marked text), a GROUP_CONCAT or a boolean value
inside a larger expression, and a query whose text holds the markers or ?ckg_ variables itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field


from coalition_kg.namespaces import XSD

from . import virtuoso_order
from . import virtuoso_refusals as refusals
from .sparql_text import Token, bracket_pairs, enclosing_groups, named_variables, projection_end, token_list, unescape
from .virtuoso_refusals import AGGREGATES, refused

MARK = "~ckg-gc~"  # MARK @lang ~ text: a GROUP_CONCAT's common language tag ("" for none), then its text
SEPARATOR = "~ckg-sep-{}~"  # the placeholder of the n-th separator that is not plain ASCII
XSD_BOOLEAN = XSD + "boolean"
XSD_STRING = XSD + "string"
BOOLEAN_FUNCTIONS = frozenset({"EXISTS", "BOUND", "ISIRI", "ISURI", "ISBLANK", "ISLITERAL", "ISNUMERIC", "REGEX",
                               "CONTAINS", "STRSTARTS", "STRENDS", "SAMETERM", "LANGMATCHES", "NOT"})
BOOLEAN_OPERATORS = frozenset({"=", "<", ">", "!", "&", "|"})


@dataclass
class Restore:
    """What restore() must undo in the answer of one rewritten query."""

    separators: dict[str, str] = field(default_factory=dict)  # placeholder -> the separator's text
    columns: list[str] = field(default_factory=list)  # GROUP_CONCATs sent as columns (see _columns)
    distinct: bool = False  # the query's own SELECT DISTINCT: rows that become equal are one row
    ordering: virtuoso_order.Ordering | None = None  # the query's ORDER BY, LIMIT and OFFSET, applied here


def rewrite(query: str) -> tuple[str, Restore]:
    """The text to send Virtuoso instead of `query`, and what to restore in its answer; raises
    NotAnsweredHere for what cannot be answered right (see the module's docstring)."""
    if MARK in query or "~ckg-sep-" in query or "?ckg_" in query or "$ckg_" in query:
        raise refused("its text holds the markers or the variables (?ckg_…) this endpoint uses to carry "
                      "GROUP_CONCAT's language tags")
    toks = token_list(query)
    pairs = bracket_pairs(toks)
    enclosing = enclosing_groups(toks)
    refusals.check(toks, pairs, enclosing)
    restore = Restore()
    # (start, end, replacement) in the text
    edits, restore.ordering = virtuoso_order.plan(query, toks, pairs, enclosing)
    edits += values_alone_in_union(toks, pairs)
    rewritten: dict[str, int] = {}  # variable -> the index of its AS
    handled: set[int] = set()  # indexes of GROUP_CONCAT tokens rewritten whole
    # Rewritten variables that ORDER BY may name: the marked text orders as the text does among values of
    # one language tag (SPARQL leaves the order of literals with different tags open), booleans as 1/0;
    # a separator's placeholder would not order as the separator does.
    orderable: set[str] = set()
    # A projection in a query that groups cannot name ?ckg_unbound outside an aggregate (Virtuoso refuses it)
    grouped = any(t.word in AGGREGATES or t.word == "GROUP" for t in toks)
    for i, tok in enumerate(toks):
        if tok.word != "AS" or i + 2 >= len(toks) or toks[i + 1].kind != "variable" or toks[i + 2].text != ")":
            continue
        open_at = pairs.get(i + 2)
        if open_at is None:
            continue
        expression = toks[open_at + 1:i]
        variable = toks[i + 1].text[1:]
        if expression and expression[0].word == "GROUP_CONCAT" and pairs.get(open_at + 2) == i - 1:
            placeholders = len(restore.separators)
            parts = _group_concat(query, expression, restore)
            wrapping = enclosing.get(open_at)
            if wrapping is not None and toks[wrapping + 1].word == "SELECT":
                # In a subquery's projection, Virtuoso 7 fails to compile the whole expression ("Bad dfe in
                # sqlo_place_exp"): its parts are projected on their own, and put together by a BIND
                # right after the subquery.
                edits.append((expression[0].start, toks[i + 1].end, _helpers(variable, parts)))
                # `{ SELECT … }` becomes `{ { SELECT … } BIND(…) }`, which may stand wherever it stood (a
                # UNION's branch, an OPTIONAL)
                start, end = toks[wrapping].start, toks[pairs[wrapping]].end
                edits.append((start, start, "{ "))
                edits.append((end, end, f" BIND({_combined(variable, parts)} AS ?{variable}) }}"))
            else:
                # In the query's own projection the parts are columns of the answer, which restore() puts
                # together and removes (Virtuoso did not compile them as one expression either).
                edits.append((expression[0].start, toks[i + 1].end, _columns(variable, parts)))
                restore.columns.append(variable)
            handled.add(open_at + 1)
            rewritten[variable] = i
            if len(restore.separators) == placeholders:
                orderable.add(variable)
        elif _is_boolean(expression, pairs, open_at + 1):
            text = query[expression[0].start:expression[-1].end]
            edits.append((expression[0].start, expression[-1].end,
                          f'STRDT(IF({text}, "true", "false"), <{XSD_BOOLEAN}>)'))
            rewritten[variable] = i
            orderable.add(variable)
        else:
            _refuse_nested_boolean(expression, pairs, open_at + 1)
            needed = _needed(expression)
            bind = open_at > 0 and toks[open_at - 1].word == "BIND"
            if needed and (bind or not grouped):
                # Virtuoso's functions take an unbound argument as empty (CONCAT(STR(?x), "a") is "a" with
                # ?x unbound), where Oxigraph's fail and leave ?variable unbound: so it is left unbound here
                # too unless every variable the expression needs is bound.
                condition = " && ".join(f"BOUND({name})" for name in needed)
                text = query[expression[0].start:expression[-1].end]
                edits.append((expression[0].start, expression[-1].end, f"IF({condition}, {text}, ?ckg_unbound)"))
    first_select = next((i for i, tok in enumerate(toks) if tok.word == "SELECT" and i not in enclosing), None)
    restore.distinct = (first_select is not None and first_select + 1 < len(toks)
                        and toks[first_select + 1].word in ("DISTINCT", "REDUCED"))
    if restore.distinct and restore.columns and restore.ordering is None and any(
            tok.word in ("LIMIT", "OFFSET") and i not in enclosing for i, tok in enumerate(toks)):
        # The parts' columns take part in Virtuoso's DISTINCT, and its LIMIT counts rows before restore()
        # makes equal ones one: fewer rows than asked would come back.
        raise refused("SELECT DISTINCT of a GROUP_CONCAT with a LIMIT or OFFSET (the GROUP_CONCAT is sent "
                      "as its parts, which Virtuoso's DISTINCT would tell apart before the LIMIT)")
    for i, tok in enumerate(toks):
        if tok.word == "GROUP_CONCAT" and i not in handled:
            raise refused("GROUP_CONCAT inside a larger expression (Virtuoso drops its language tags and its "
                          "non-ASCII separators); project it whole, (GROUP_CONCAT(…) AS ?name)")
    _refuse_other_uses(toks, rewritten, orderable)
    for start, end, replacement in sorted(edits, reverse=True):
        query = query[:start] + replacement + query[end:]
    return query, restore


def values_alone_in_union(toks: list[Token], pairs: dict[int, int]) -> list[tuple[int, int, str]]:
    """The edits that send each UNION branch made of a VALUES block alone as that block's subquery."""
    edits = []
    for i, tok in enumerate(toks):
        if tok.text != "{" or tok.kind != "other" or i not in pairs or i + 1 >= len(toks) or toks[i + 1].word != "VALUES":
            continue
        end = pairs[i]
        branch = (i > 0 and toks[i - 1].word == "UNION") or (end + 1 < len(toks) and toks[end + 1].word == "UNION")
        data = next((j for j in range(i + 2, end) if toks[j].text == "{" and toks[j].kind == "other"), None)
        if branch and data is not None and pairs.get(data) == end - 1:
            edits.append((toks[i + 1].start, toks[i + 1].start, "SELECT * WHERE { "))
            edits.append((toks[end].start, toks[end].start, "} "))
    return edits


def restore(document: dict, what: Restore) -> dict:
    """The SPARQL JSON results `document` with the rewrites undone: GROUP_CONCAT's tags, unbound values and
    separators, its helper columns removed, booleans written true/false. Changed in place, and returned."""
    helpers = {f"ckg_{variable}_{name}" for variable in what.columns for name in ("strings", "rows", "tags", "tag")}
    if helpers and "head" in document:
        document["head"]["vars"] = [name for name in document["head"].get("vars", []) if name not in helpers]
    rows = []
    for row in document.get("results", {}).get("bindings", ()):
        for variable in what.columns:
            _put_together(row, variable, what)
        for name in helpers:
            row.pop(name, None)
        for name, term in row.items():
            if term.get("type") not in ("literal", "typed-literal"):
                continue
            value = term.get("value", "")
            if value.startswith(MARK):
                language, _, text = value[len(MARK) + 1:].partition("~")
                row[name] = _literal(_separated(text, what), language)
            elif term.get("datatype") == XSD_BOOLEAN and value in ("1", "0"):
                row[name] = {**term, "value": "true" if value == "1" else "false"}
        rows.append(row)
    if "results" in document:
        document["results"]["bindings"] = rows
        if what.ordering is not None:  # made distinct there, after the columns added to order by go
            document = virtuoso_order.put_in_order(document, what.ordering, what.distinct)
        elif what.distinct:  # rows that became equal (a GROUP_CONCAT's parts put together) are one row
            document["results"]["bindings"] = virtuoso_order.unique(rows)
    return document


def _put_together(row: dict, variable: str, what: Restore) -> None:
    """One GROUP_CONCAT sent as columns, as Oxigraph gives it: unbound unless every value was a string,
    with the values' language tag where they all have the same one."""
    def number(name: str) -> int:
        term = row.get(f"ckg_{variable}_{name}")
        return int(term["value"]) if term and term.get("value", "").isdigit() else 0

    if number("strings") != number("rows"):
        row.pop(variable, None)
        return
    tag = row.get(f"ckg_{variable}_tag", {}).get("value", "@") if number("tags") == 1 else "@"
    row[variable] = _literal(_separated(row.get(variable, {}).get("value", ""), what), tag[1:])


def _separated(text: str, what: Restore) -> str:
    for placeholder, separator in what.separators.items():
        text = text.replace(placeholder, separator)
    return text


def _literal(text: str, language: str) -> dict:
    return {"type": "literal", "value": text, **({"xml:lang": language} if language else {})}


@dataclass(frozen=True)
class _Parts:
    """A GROUP_CONCAT as Virtuoso computes it right: the concatenation, whether every value is a string (a
    count of those, and of rows), and the values' common language tag (how many tags, and one of them)."""

    concatenated: str
    strings: str
    rows: str
    tags: str
    tag: str


def _group_concat(query: str, expression: list[Token], restore: Restore) -> _Parts:
    """The parts of GROUP_CONCAT([DISTINCT] e [; separator = "s"]) (see the module's docstring)."""
    inside = expression[2:-1]
    distinct = bool(inside) and inside[0].word == "DISTINCT"
    if distinct:
        inside = inside[1:]
    cut = next((k for k, tok in enumerate(inside) if tok.text == ";"), len(inside))
    value, options = inside[:cut], inside[cut + 1:]
    if not value:
        raise refused("an empty GROUP_CONCAT")
    separator = '" "'
    if options:
        if len(options) != 3 or options[0].word != "SEPARATOR" or options[1].text != "=" or options[2].kind != "string":
            raise refused("a GROUP_CONCAT option this endpoint does not know")
        separator = options[2].text
    body = separator[3:-3] if separator[:3] in ('"""', "'''") else separator[1:-1]
    if "\\" in body or not body.isascii():
        placeholder = SEPARATOR.format(len(restore.separators))
        restore.separators[placeholder] = unescape(body)
        separator = f'"{placeholder}"'
    e = query[value[0].start:value[-1].end]
    # Virtuoso's functions take an unbound argument as empty (CONCAT(STR(?unbound), ":") is ":"), where
    # Oxigraph's fail, which leaves the whole GROUP_CONCAT unbound: each variable the value needs is
    # required bound (all but those under COALESCE, IF and BOUND, which take an unbound one on purpose).
    bound = "".join(f" && BOUND({variable})" for variable in _needed(value))
    language = f'CONCAT("@", LCASE(LANG({e})))'
    return _Parts(f"GROUP_CONCAT({'DISTINCT ' if distinct else ''}{e}; separator={separator})",
                  f'SUM(IF(isLiteral({e}){bound} && (LANG({e}) != "" || DATATYPE({e}) = <{XSD_STRING}>), 1, 0))',
                  "COUNT(*)", f"COUNT(DISTINCT {language})", f"SAMPLE({language})")


def _columns(variable: str, parts: _Parts) -> str:
    """The parts as the query's own columns: ?variable the concatenation, the others ?ckg_variable_name."""
    others = [(part, f"?ckg_{variable}_{name}") for name, part in (
        ("strings", parts.strings), ("rows", parts.rows), ("tags", parts.tags), ("tag", parts.tag))]
    return f"{parts.concatenated} AS ?{variable}) (" + ") (".join(f"{part} AS {name}" for part, name in others)


def _helpers(variable: str, parts: _Parts) -> str:
    """The parts as projections of their own, `(part AS ?ckg_variable_name)`, the last one's ")" left to the text."""
    names = [(part, f"?ckg_{variable}_{name}") for name, part in (
        ("text", parts.concatenated), ("strings", parts.strings), ("rows", parts.rows), ("tags", parts.tags),
        ("tag", parts.tag))]
    return ") (".join(f"{part} AS {name}" for part, name in names)


def _combined(variable: str, parts: _Parts) -> str:
    v = f"?ckg_{variable}_"
    return (f'IF(COALESCE({v}strings, 0) = {v}rows, CONCAT("{MARK}", IF({v}tags = 1, {v}tag, "@"), "~", {v}text), '
            f"?ckg_unbound)")


def _needed(expression: list[Token]) -> list[str]:
    """The variables an expression fails without: all but those under COALESCE, IF and BOUND (which take an
    unbound one on purpose), in an aggregate, or in an EXISTS pattern."""
    return sorted({tok.text for tok in _outside_calls(expression, ("COALESCE", "IF", "BOUND", *AGGREGATES))
                   if tok.kind == "variable"})


def _outside_calls(value: list[Token], names: tuple[str, ...]):
    """The tokens of an expression that are not inside a call of one of the named functions, nor inside
    braces (an EXISTS pattern)."""
    depth, inside_from, braces = 0, None, 0
    for k, tok in enumerate(value):
        if tok.kind == "other" and tok.text in "{}":
            braces += 1 if tok.text == "{" else -1
        elif braces:
            continue
        elif tok.kind == "other" and tok.text == "(":
            depth += 1
            if inside_from is None and k > 0 and value[k - 1].word in names:
                inside_from = depth
        elif tok.kind == "other" and tok.text == ")":
            if inside_from == depth:
                inside_from = None
            depth -= 1
        elif inside_from is None:
            yield tok


def _top_level(expression: list[Token], pairs: dict[int, int], offset: int):
    """The tokens of an expression outside its brackets (offset: the index of expression[0] in all tokens)."""
    k = 0
    while k < len(expression):
        yield k, expression[k]
        if expression[k].text in "([{" and expression[k].kind == "other" and (offset + k) in pairs:
            k = pairs[offset + k] - offset
        k += 1


def _is_boolean(expression: list[Token], pairs: dict[int, int], offset: int) -> bool:
    """Whether the expression's value is a boolean, by its top level: an operator that gives one, a
    function that does, or the constants."""
    if not expression:
        return False
    for _, tok in _top_level(expression, pairs, offset):
        if (tok.kind == "other" and tok.text in BOOLEAN_OPERATORS) or tok.word == "IN":
            return True
    first = expression[0]
    if first.word in ("TRUE", "FALSE") and len(expression) == 1:
        return True
    if first.word in BOOLEAN_FUNCTIONS:
        return True
    return first.text.endswith("#boolean>") or first.text.lower() == "xsd:boolean"


def _refuse_nested_boolean(expression: list[Token], pairs: dict[int, int], offset: int) -> None:
    """A boolean that would be the value of an IF or a COALESCE comes back 1/0 and cannot be found back."""
    for k, tok in _top_level(expression, pairs, offset):
        if tok.word not in ("IF", "COALESCE") or k + 1 >= len(expression) or expression[k + 1].text != "(":
            continue
        close = pairs.get(offset + k + 1)
        if close is None:
            continue
        arguments, start = [], offset + k + 2
        for j in range(offset + k + 2, close + 1):
            here = expression[j - offset]
            if j == close or (here.text == "," and _depth_zero(expression, pairs, offset, offset + k + 2, j)):
                arguments.append((start, j))
                start = j + 1
        for number, (a, b) in enumerate(arguments):
            if tok.word == "IF" and number == 0:
                continue  # the condition: a boolean used as one
            part = expression[a - offset:b - offset]
            if _is_boolean(part, pairs, a):
                raise refused(f"a boolean value inside {tok.word} (Virtuoso writes booleans as 1 and 0 and "
                              "the answer could not tell them from numbers); project the boolean on its own")
            _refuse_nested_boolean(part, pairs, a)


def _depth_zero(expression, pairs, offset, start, j) -> bool:
    k = start
    while k < j:
        tok = expression[k - offset]
        if tok.kind == "other" and tok.text in "([{" and k in pairs:
            k = pairs[k]
            if k >= j:
                return False
        k += 1
    return True


def _refuse_other_uses(toks: list[Token], rewritten: dict[str, int], orderable: set[str]) -> None:
    """A rewritten variable may only be projected (or ordered on, if orderable): anywhere else it would
    hold the marked text."""
    if not rewritten:
        return
    projection, ordering = set(), set()
    for i, tok in enumerate(toks):
        if tok.word == "SELECT":
            projection.update(named_variables(toks, i + 1, projection_end(toks, i)))
        elif tok.word == "ORDER" and i + 1 < len(toks) and toks[i + 1].word == "BY":
            for j in range(i + 2, len(toks)):
                here = toks[j]
                if here.word in ("LIMIT", "OFFSET", "VALUES") or (here.kind == "other" and here.text in "{}"):
                    break
                ordering.add(j)
    for i, tok in enumerate(toks):
        name = tok.text[1:] if tok.kind == "variable" else None
        if name not in rewritten or i == rewritten[name] + 1 or i in projection:
            continue
        if i in ordering and name in orderable:
            continue
        raise refused(f"?{name} is a GROUP_CONCAT or a boolean that this endpoint rewrites for Virtuoso "
                      "(its language tags, separators and booleans), and such a value can only be "
                      "projected or ordered on (not with a non-ASCII separator), not filtered, grouped or "
                      "joined on")


