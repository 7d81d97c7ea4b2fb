"""Saved ("canned") queries: SPARQL files in queries/ with a header comment that describes them.

A saved query is data, not code. Its header is a run of comment lines at the top of the file:

    # title: Timeline of the meetings
    # description: Every meeting with its kind, city, country and dates, oldest first.
    # param: entity iri The entity to look up (an IRI or a registry id such as morocco) = morocco

Each `param` line names a SPARQL variable of the query, its kind (`iri`, `string`, `integer`, `date`),
a description and, after ` = `, an optional default. SEP-0007 substitution needs each parameter among
the projected variables, so a parameter is also a result column: the answer says what was asked.

Values are bound in one of two ways, which `# binding:` chooses (by measurement, per query):

- `substitution` (the default): pyoxigraph's substitutions (SEP-0007); the text is never touched.
- `inline`: each value is written into the text as a constant, an N-Triples term made by pyoxigraph
  from the checked value (so it can hold no `>`, no unescaped quote: it cannot change the query's
  shape). Oxigraph's planner sees constants but not substituted variables, so a query that looks one
  entity up among many answers far faster this way (entity-sentences: 16 ms -> 1.6 ms on the seeds,
  3 s -> 6 ms at 100x); a query of paths between two given ends can be slower, hence the choice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from coalition_kg.namespaces import ENTITY, XSD

PARAM_KINDS = ("iri", "string", "integer", "date")
_HEADER = re.compile(r"^#\s*(title|description|param|binding):\s*(.*)$")
BINDINGS = ("substitution", "inline")
_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class SavedQueryError(ValueError):
    """A saved query file or a parameter value is not valid; the message names the file or parameter."""


@dataclass(frozen=True)
class Param:
    name: str
    kind: str
    description: str
    default: str | None = None

    def bind(self, raw: str) -> ox.NamedNode | ox.Literal:
        try:
            if self.kind == "iri":
                value = ENTITY + raw if _ID.match(raw) else raw
                if not re.match(r"^https?://\S+$", value):
                    raise ValueError("expected an IRI or a registry id")
                return ox.NamedNode(value)
            if self.kind == "integer":
                return ox.Literal(str(int(raw)), datatype=ox.NamedNode(XSD + "integer"))
            if self.kind == "date":
                if not re.match(r"^\d{4}(-\d{2}(-\d{2})?)?$", raw):
                    raise ValueError("expected YYYY, YYYY-MM or YYYY-MM-DD")
                kind = {4: "gYear", 7: "gYearMonth", 10: "date"}[len(raw)]
                return ox.Literal(raw, datatype=ox.NamedNode(XSD + kind))
            return ox.Literal(raw)
        except ValueError as error:
            raise SavedQueryError(f"parameter {self.name}={raw!r}: {error}") from None


@dataclass(frozen=True)
class SavedQuery:
    name: str
    path: Path
    title: str
    description: str
    text: str
    params: tuple[Param, ...] = field(default_factory=tuple)
    binding: str = "substitution"  # or "inline" (see the module's docstring)

    def substitutions(self, values: dict[str, str]) -> dict[ox.Variable, ox.NamedNode | ox.Literal]:
        """Bind the given values (and the defaults of the others) to the query's variables."""
        known = {p.name for p in self.params}
        unknown = sorted(set(values) - known)
        if unknown:
            raise SavedQueryError(
                f"query {self.name} has no parameter {', '.join(unknown)}"
                + (f" (it takes: {', '.join(sorted(known))})" if known else " (it takes none)")
            )
        bound = {}
        for param in self.params:
            raw = values.get(param.name, param.default)
            if raw is None:
                raise SavedQueryError(f"query {self.name} needs the parameter {param.name}")
            bound[ox.Variable(param.name)] = param.bind(raw)
        return bound


    def bound(self, values: dict[str, str]) -> tuple[str, dict[ox.Variable, ox.NamedNode | ox.Literal]]:
        """The text to evaluate and the substitutions to evaluate it with, as the query's binding says."""
        substitutions = self.substitutions(values)
        if self.binding == "inline" and substitutions:
            return inline(self.text, substitutions), {}
        return self.text, substitutions


def inline(text: str, bindings: dict[ox.Variable, ox.NamedNode | ox.Literal]) -> str:
    """The query with each bound variable written as its term: `(TERM AS ?name)` in the projection (so
    the answer keeps its column), TERM in the pattern, `(TERM)` after it (ORDER BY, GROUP BY).

    Only the text from the query form on is rewritten: the header comments stay as they are."""
    where = _WHERE.search(text)
    if where is None:
        raise SavedQueryError("an inline binding needs a WHERE { … } group")
    body_end = text.rindex("}") + 1
    head, body, tail = text[:where.start()], text[where.start():body_end], text[body_end:]
    for variable, term in bindings.items():
        name = re.compile(r"[?$]" + re.escape(variable.value) + r"\b")
        head = name.sub(lambda _: f"({term} AS ?{variable.value})", head)
        body = name.sub(lambda _: str(term), body)
        tail = name.sub(lambda _: f"({term})", tail)
    return head + body + tail


def parse(path: Path) -> SavedQuery:
    text = path.read_text(encoding="utf-8")
    meta: dict[str, str] = {}
    params: list[Param] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("#"):
            break
        match = _HEADER.match(line)
        if not match:
            continue
        key, value = match.groups()
        if key == "param":
            params.append(_parse_param(path, number, value))
        else:
            meta[key] = value.strip()
    for key in ("title", "description"):
        if not meta.get(key):
            raise SavedQueryError(f"{path}: the header has no '# {key}:' line")
    binding = meta.get("binding", "substitution")
    if binding not in BINDINGS:
        raise SavedQueryError(f"{path}: '# binding:' is one of {', '.join(BINDINGS)}, not {binding!r}")
    return SavedQuery(path.stem, path, meta["title"], meta["description"], text, tuple(params), binding)


def _parse_param(path: Path, number: int, spec: str) -> Param:
    head, _, default = spec.partition(" = ")
    parts = head.split(None, 2)
    if len(parts) < 3 or not _NAME.match(parts[0]) or parts[1] not in PARAM_KINDS:
        raise SavedQueryError(
            f"{path}:{number}: a param line reads '# param: NAME KIND DESCRIPTION [= DEFAULT]' "
            f"with KIND one of {', '.join(PARAM_KINDS)}"
        )
    return Param(parts[0], parts[1], parts[2].strip(), default.strip() or None)


def load_all(directory: Path) -> dict[str, SavedQuery]:
    """Every saved query in the directory, by name (the file stem), in name order."""
    return {path.stem: parse(path) for path in sorted(directory.glob("*.rq"))}
