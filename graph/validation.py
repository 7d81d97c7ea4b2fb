"""SHACL validation of the whole graph, asserted, curated and inferred, against ontology/shapes.ttl.

Two validators give the same report:

- pyshacl (over rdflib), the validator of record: the build uses it for graphs up to PYSHACL_LIMIT
  triples, the seeds among them.
- `sparql_results`: each constraint of the shapes, translated into one SPARQL query that selects its
  violations, run by Oxigraph on the store itself. pyshacl reads the graph into rdflib and walks it
  node by node: about 12 s for 100,000 triples here, more than the whole build is allowed at 100x the
  seeds. The queries take a fraction of a second at that size.

The translation covers the SHACL Core features that shapes.ttl uses and a few more (targets by class,
subjects, objects and node; predicate, sequence, inverse, alternative and repeated paths; min/max and
qualified counts; class, datatype, node kind, languageIn, pattern, lengths, value ranges, in, hasValue;
and, or, not and node over shapes that themselves only test the value). Shapes that use anything else
(closed shapes, SPARQL constraints, xone, property pairs, ...) are validated with pyshacl whatever the
size, never skipped. tests/test_validation.py checks that both report the same violations, on the seeds
and on deliberately broken graphs. CKG_SHACL=pyshacl or CKG_SHACL=sparql overrides the choice.
"""

from __future__ import annotations

import os
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import pyoxigraph as ox

from .errors import BuildError
from .input_files import decode, read_bytes
from .store import with_merge
from coalition_kg.namespaces import OWL, PREFIXES, RDF as _RDF, RDFS as _RDFS, SH, XSD as _XSD

PYSHACL_LIMIT = 50_000  # triples; above it pyshacl takes more than a few seconds

_FIRST, _REST, _NIL = ox.NamedNode(_RDF + "first"), ox.NamedNode(_RDF + "rest"), ox.NamedNode(_RDF + "nil")
_TYPE = ox.NamedNode(_RDF + "type")

_MESSAGE_PREFIXES = {**PREFIXES, "sh": SH}  # a path in a message is written with the graph's prefixes


@dataclass(frozen=True)
class Result:
    """One validation result, comparable between the two validators (terms in N-Triples form)."""

    focus: str
    path: str | None  # the SPARQL form of the path, e.g. <http://schema.org/location>/<http://...>
    component: str  # local name of the constraint component, e.g. MinCountConstraintComponent
    value: str | None
    message: str = ""
    severity: str = "Violation"

    def key(self) -> tuple:
        return (self.focus, self.path, self.component, self.value)


# --------------------------------------------------------------------------- entry points

def validate(quads: Iterable[ox.Quad], shapes_path: Path, engine: str | None = None) -> None:
    """Raise BuildError listing the violations, if any; the engine is chosen as the module says."""
    quads = quads if isinstance(quads, (list, set, tuple)) else list(quads)
    engine = choose_engine(len(quads), shapes_path, engine)
    if engine == "pyshacl":
        results = pyshacl_results(quads, shapes_path)
    else:
        store = ox.Store()
        store.bulk_extend(with_merge(quads))
        results = sparql_results(store, shapes_path)
    raise_for(results, shapes_path)


def validate_store(store: ox.Store, shapes_path: Path, size: int | None = None, engine: str | None = None) -> None:
    """Validate a store's default graph, the merge of its named graphs (graph/store.py), of size quads if
    known; raise BuildError listing the violations."""
    engine = choose_engine(len(store) if size is None else size, shapes_path, engine)
    if engine == "pyshacl":
        results = pyshacl_results(store.quads_for_pattern(None, None, None, ox.DefaultGraph()), shapes_path)
    else:
        results = sparql_results(store, shapes_path)
    raise_for(results, shapes_path)


def check_shapes(shapes_path: Path) -> None:
    """Read the shapes before anything is written: a file that is not UTF-8 Turtle stops the build in its
    first phase with the line, instead of failing inside pyshacl or the SPARQL translation."""
    data = read_bytes(shapes_path)
    decode(shapes_path, data)
    try:
        for _ in ox.parse(data, format=ox.RdfFormat.TURTLE):
            pass
    except SyntaxError as error:
        raise BuildError(shapes_path, f"not valid Turtle: {error.msg}", error.lineno) from None


def choose_engine(size: int, shapes_path: Path, engine: str | None = None) -> str:
    engine = engine or os.environ.get("CKG_SHACL", "auto")
    if engine not in ("auto", "pyshacl", "sparql"):
        raise ValueError(f"CKG_SHACL={engine!r}: use auto, pyshacl or sparql")
    if engine == "pyshacl":
        return engine
    try:
        compile_shapes(shapes_path)
    except UnsupportedShape as error:
        print(f"ckg build: validating with pyshacl, since the SPARQL translation does not cover {error}", file=sys.stderr)
        return "pyshacl"
    if engine == "auto" and size <= PYSHACL_LIMIT:
        return "pyshacl"
    return "sparql"


def raise_for(results: list[Result], shapes_path: Path) -> None:
    if not results:
        return
    problems = sorted({f"  {_bare(r.focus)}: {r.message}" + (f" (path {_short_path(r.path)})" if r.path else "")
                       for r in results})
    shown = "\n".join(problems[:20]) + (f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else "")
    raise BuildError(shapes_path, f"{len(problems)} shape violation(s):\n{shown}")


def _bare(term: str) -> str:
    return term[1:-1] if term.startswith("<") and term.endswith(">") else term


def _short_path(path: str) -> str:
    for prefix, namespace in _MESSAGE_PREFIXES.items():
        path = path.replace(f"<{namespace}", f"{prefix}:")
    return path.replace(">", "")


# --------------------------------------------------------------------------- pyshacl, the reference

def pyshacl_results(quads: Iterable[ox.Quad | ox.Triple], shapes_path: Path) -> list[Result]:
    import pyshacl
    import rdflib

    triples = {q.triple if isinstance(q, ox.Quad) else q for q in quads}
    data = rdflib.Graph()
    data.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8"), format="nt")
    shapes = rdflib.Graph().parse(shapes_path, format="turtle")
    conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=False)
    if conforms:
        return []
    # Read the report with the same code as the shapes: as Oxigraph terms.
    graph = _Graph(ox.parse(report.serialize(format="nt").encode("utf-8"), format=ox.RdfFormat.N_TRIPLES))
    results = []
    for node in graph.subjects(_TYPE, ox.NamedNode(SH + "ValidationResult")):
        path = graph.value(node, SH + "resultPath")
        value = graph.value(node, SH + "value")
        message = graph.value(node, SH + "resultMessage")
        results.append(Result(
            focus=str(graph.value(node, SH + "focusNode")),
            path=_path_sparql(graph, path) if path is not None else None,
            component=graph.value(node, SH + "sourceConstraintComponent").value.removeprefix(SH),
            value=str(value) if value is not None else None,
            message=message.value if message is not None else "",
            severity=graph.value(node, SH + "resultSeverity").value.removeprefix(SH),
        ))
    return sorted(results, key=_order)


# --------------------------------------------------------------------------- the SPARQL translation

class UnsupportedShape(Exception):
    """The shapes use a SHACL feature that the SPARQL translation does not cover."""


@dataclass(frozen=True)
class _Check:
    query: str  # selects ?this, and ?value for checks of each value (or ?n for counts)
    has_value: bool
    path: str | None
    component: str
    message: str
    severity: str
    counts: tuple = ()  # for count checks: (component, "<" or ">", bound, message), tested on ?n


class _Graph:
    """A small read-only index over parsed triples."""

    def __init__(self, triples):
        self.out: dict = defaultdict(lambda: defaultdict(list))
        for t in triples:
            self.out[t.subject][t.predicate.value].append(t.object)

    def values(self, node, predicate: str) -> list:
        return self.out.get(node, {}).get(predicate, [])

    def value(self, node, predicate: str):
        found = self.values(node, predicate)
        return found[0] if found else None

    def subjects(self, predicate: ox.NamedNode, obj) -> list:
        return [s for s, props in self.out.items() if obj in props.get(predicate.value, ())]

    def items(self, head) -> list:
        items = []
        while head is not None and head != _NIL:
            items.append(self.value(head, _RDF + "first"))
            head = self.value(head, _RDF + "rest")
        return items


_TARGETS = ("targetClass", "targetSubjectsOf", "targetObjectsOf", "targetNode")
_IGNORED = {SH + n for n in ("message", "severity", "name", "description", "order", "group", "defaultValue",
                             "path", "property", "deactivated", "flags", "qualifiedMinCount", "qualifiedMaxCount",
                             *_TARGETS)} | {_RDF + "type", _RDFS + "label", _RDFS + "comment"}
_VALUE_PARAMETERS = {SH + n for n in ("class", "datatype", "nodeKind", "languageIn", "pattern", "minLength", "maxLength",
                                      "minInclusive", "maxInclusive", "minExclusive", "maxExclusive", "in", "hasValue",
                                      "node", "or", "and", "not")}
_COUNT_PARAMETERS = {SH + n for n in ("minCount", "maxCount", "qualifiedValueShape", "qualifiedValueShapesDisjoint")}
# Datatypes whose well-formedness Oxigraph can test with a cast (pyshacl rejects ill-typed literals).
_CASTABLE = {_XSD + n for n in ("integer", "decimal", "double", "float", "boolean", "date", "dateTime", "time",
                                "gYear", "gYearMonth", "duration", "dayTimeDuration", "yearMonthDuration")}
_NODE_KINDS = {
    "IRI": "isIRI({v})", "BlankNode": "isBlank({v})", "Literal": "isLiteral({v})",
    "BlankNodeOrIRI": "(isBlank({v}) || isIRI({v}))", "BlankNodeOrLiteral": "(isBlank({v}) || isLiteral({v}))",
    "IRIOrLiteral": "(isIRI({v}) || isLiteral({v}))",
}
_COMPARISONS = {"minInclusive": ">=", "maxInclusive": "<=", "minExclusive": ">", "maxExclusive": "<"}
_CACHE: dict = {}


def compile_shapes(shapes_path: Path) -> list[_Check]:
    """One SPARQL query per constraint of every targeted shape; raises UnsupportedShape."""
    stamp = (str(shapes_path), shapes_path.stat().st_mtime_ns)
    if stamp not in _CACHE:
        graph = _Graph(ox.parse(path=str(shapes_path), format=ox.RdfFormat.TURTLE))
        _CACHE.clear()
        _CACHE[stamp] = _compile(graph)
    return _CACHE[stamp]


def sparql_results(store: ox.Store, shapes_path: Path) -> list[Result]:
    from concurrent.futures import ThreadPoolExecutor

    def run(check: _Check) -> list[Result]:
        found = []
        for row in store.query(check.query):
            if check.counts:
                n = int(row["n"].value)
                for component, operator, bound, message in check.counts:
                    if (n < bound) if operator == "<" else (n > bound):
                        found.append(Result(str(row["this"]), check.path, component, None, message, check.severity))
                continue
            value = row["value"] if check.has_value else None
            found.append(Result(str(row["this"]), check.path, check.component,
                                str(value) if value is not None else None, check.message, check.severity))
        return found

    # Oxigraph evaluates without the GIL: two threads use both cores of a small machine.
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        results = {r for found in pool.map(run, compile_shapes(shapes_path)) for r in found}
    return sorted(results, key=_order)


def _order(result: Result) -> tuple:
    return tuple(x or "" for x in (result.focus, result.path, result.component, result.value, result.message))


def _compile(graph: _Graph) -> list[_Check]:
    checks = []
    shapes = [s for s, props in graph.out.items() if any(SH + t in props for t in _TARGETS)]
    for shape in shapes:
        for cls in (_RDFS + "Class", OWL + "Class"):
            if ox.NamedNode(cls) in graph.values(shape, _RDF + "type"):
                raise UnsupportedShape(f"implicit class targets ({shape})")
        if _deactivated(graph, shape):
            continue
        focus = _focus(graph, shape)
        checks += _shape_checks(graph, shape, focus, message=None)
        for prop in graph.values(shape, SH + "property"):
            if not _deactivated(graph, prop):
                checks += _shape_checks(graph, prop, focus, message=None)
    return checks


def _deactivated(graph: _Graph, shape) -> bool:
    flag = graph.value(shape, SH + "deactivated")
    return flag is not None and flag.value == "true"


def _focus(graph: _Graph, shape) -> str:
    parts = []
    for cls in graph.values(shape, SH + "targetClass"):
        parts.append(f"{{ ?this <{_RDF}type>/<{_RDFS}subClassOf>* {cls} }}")
    for prop in graph.values(shape, SH + "targetSubjectsOf"):
        parts.append(f"{{ ?this {prop} [] }}")
    for prop in graph.values(shape, SH + "targetObjectsOf"):
        parts.append(f"{{ [] {prop} ?this }}")
    nodes = graph.values(shape, SH + "targetNode")
    if nodes:
        parts.append("{ VALUES ?this { " + " ".join(map(str, nodes)) + " } }")
    return "{ SELECT DISTINCT ?this WHERE { " + " UNION ".join(parts) + " } }"


def _shape_checks(graph: _Graph, shape, focus: str, message) -> list[_Check]:
    props = graph.out.get(shape, {})
    for predicate in props:
        if predicate.startswith(SH) and predicate not in _IGNORED | _VALUE_PARAMETERS | _COUNT_PARAMETERS:
            raise UnsupportedShape(f"sh:{predicate.removeprefix(SH)} ({shape})")
    path_node = graph.value(shape, SH + "path")
    path = _path_sparql(graph, path_node) if path_node is not None else None
    if path is None and graph.values(shape, SH + "property") and not any(SH + t in props for t in _TARGETS):
        raise UnsupportedShape(f"nested node shapes with property shapes ({shape})")
    if path is not None and graph.values(shape, SH + "property"):
        raise UnsupportedShape(f"property shapes inside property shapes ({shape})")
    note = graph.value(shape, SH + "message")
    severity = graph.value(shape, SH + "severity")
    severity = severity.value.removeprefix(SH) if severity is not None else "Violation"
    values = f"?this {path} ?value ." if path else "BIND(?this AS ?value)"
    checks = []

    def add(component: str, query: str, default: str):
        checks.append(_Check(query, "?value" in query.split("WHERE", 1)[0], path, component,
                             note.value if note is not None else default, severity))

    tests = [("MinCountConstraintComponent", "<", int(c.value), f"Less than {c.value} values")
             for c in graph.values(shape, SH + "minCount")]
    tests += [("MaxCountConstraintComponent", ">", int(c.value), f"More than {c.value} values")
              for c in graph.values(shape, SH + "maxCount")]
    if tests:  # one query counts the values for both bounds
        if path is None:
            raise UnsupportedShape(f"counts on a node shape ({shape})")
        having = " || ".join(f"?n {operator} {bound}" for _, operator, bound, _ in tests)
        query = _count_query(focus, path, None, having).replace("SELECT ?this WHERE", "SELECT ?this ?n WHERE", 1)
        tests = tuple((component, operator, bound, note.value if note is not None else default)
                      for component, operator, bound, default in tests)
        checks.append(_Check(query, False, path, "", "", severity, counts=tests))
    qualified = graph.values(shape, SH + "qualifiedValueShape")
    if qualified:
        disjoint = graph.value(shape, SH + "qualifiedValueShapesDisjoint")
        if (disjoint is not None and disjoint.value == "true") or len(qualified) > 1 or path is None:
            raise UnsupportedShape(f"qualified value shapes that are disjoint, several or without a path ({shape})")
        condition = _conforms(graph, qualified[0], "?value")
        for count in graph.values(shape, SH + "qualifiedMinCount"):
            add("QualifiedMinCountConstraintComponent", _count_query(focus, path, condition, f"< {count.value}"),
                f"Less than {count.value} values conform to the qualified value shape")
        for count in graph.values(shape, SH + "qualifiedMaxCount"):
            add("QualifiedMaxCountConstraintComponent", _count_query(focus, path, condition, f"> {count.value}"),
                f"More than {count.value} values conform to the qualified value shape")
    for value in graph.values(shape, SH + "hasValue"):
        if path:
            query = f"SELECT ?this WHERE {{ {focus} FILTER NOT EXISTS {{ ?this {path} {value} }} }}"
        else:
            query = f"SELECT ?this WHERE {{ {focus} FILTER(!sameTerm(?this, {value})) }}"
        add("HasValueConstraintComponent", query, f"Missing the value {value}")
    for predicate, component in _value_components():
        for parameter in graph.values(shape, predicate):
            condition = _condition(graph, predicate, parameter, shape, "?value")
            query = (f"SELECT DISTINCT ?this ?value WHERE {{ {focus} {values} "
                     f"FILTER(!COALESCE({condition}, false)) }}")
            add(component, query, f"Value does not satisfy {component.removesuffix('ConstraintComponent')} {parameter}")
    return checks


def _value_components():
    for name in ("class", "datatype", "nodeKind", "languageIn", "pattern", "minLength", "maxLength", "minInclusive",
                 "maxInclusive", "minExclusive", "maxExclusive", "in", "node", "or", "and", "not"):
        yield SH + name, name[0].upper() + name[1:] + "ConstraintComponent"


def _count_query(focus: str, path: str, condition: str | None, test: str) -> str:
    keep = f" FILTER(COALESCE({condition}, false))" if condition else ""
    return (f"SELECT ?this WHERE {{ {{ SELECT ?this (COUNT(DISTINCT ?value) AS ?n) WHERE {{ {focus} "
            f"OPTIONAL {{ ?this {path} ?value{keep} }} }} GROUP BY ?this }} FILTER({test if '?n' in test else '?n ' + test}) }}")


def _conforms(graph: _Graph, shape, var: str) -> str:
    """A SPARQL expression: does the node in var conform to shape (which may only test that node)?"""
    props = graph.out.get(shape, {})
    for predicate in props:
        if predicate in _COUNT_PARAMETERS or predicate in (SH + "path", SH + "property") or any(
                predicate == SH + t for t in _TARGETS):
            raise UnsupportedShape(f"nested shapes with paths, properties or counts ({shape})")
        if predicate.startswith(SH) and predicate not in _IGNORED | _VALUE_PARAMETERS:
            raise UnsupportedShape(f"sh:{predicate.removeprefix(SH)} ({shape})")
    if _deactivated(graph, shape):
        return "true"
    terms = []
    for predicate in props:
        if predicate == SH + "hasValue":
            terms += [f"sameTerm({var}, {v})" for v in props[predicate]]
        elif predicate in _VALUE_PARAMETERS:
            terms += [f"COALESCE({_condition(graph, predicate, p, shape, var)}, false)" for p in props[predicate]]
    return "(" + " && ".join(terms) + ")" if terms else "true"


def _condition(graph: _Graph, predicate: str, parameter, shape, v: str) -> str:
    name = predicate.removeprefix(SH)
    if name == "class":
        # A direct type first (one index lookup; the closure has materialized most), then the path:
        # the same answer, without walking every copy of the value's types across the named graphs.
        return (f"(EXISTS {{ {v} <{_RDF}type> {parameter} }} || "
                f"EXISTS {{ {v} <{_RDF}type>/<{_RDFS}subClassOf>* {parameter} }})")
    if name == "datatype":
        dt = parameter.value
        if dt == _RDF + "langString":
            return f"(isLiteral({v}) && lang({v}) != \"\")"
        test = f"(isLiteral({v}) && datatype({v}) = {parameter}"
        if dt in _CASTABLE:
            test += f" && COALESCE(isLiteral({parameter}(STR({v}))), false)"
        return test + ")"
    if name == "nodeKind":
        return _NODE_KINDS[parameter.value.removeprefix(SH)].format(v=v)
    if name == "languageIn":
        tags = " || ".join(f"langMatches(lang({v}), {tag})" for tag in graph.items(parameter))
        return f"(isLiteral({v}) && ({tags or 'false'}))"
    if name == "pattern":
        flags = graph.value(shape, SH + "flags")
        return f"(!isBlank({v}) && REGEX(STR({v}), {ox.Literal(parameter.value)}, {ox.Literal(flags.value if flags else '')}))"
    if name in ("minLength", "maxLength"):
        operator = ">=" if name == "minLength" else "<="
        return f"(!isBlank({v}) && STRLEN(STR({v})) {operator} {parameter.value})"
    if name in _COMPARISONS:
        return f"({v} {_COMPARISONS[name]} {parameter})"
    if name == "in":
        members = " || ".join(f"sameTerm({v}, {m})" for m in graph.items(parameter))
        return f"({members or 'false'})"
    if name == "node":
        return _conforms(graph, parameter, v)
    if name in ("or", "and"):
        joined = (" || " if name == "or" else " && ").join(_conforms(graph, s, v) for s in graph.items(parameter))
        return f"({joined or ('false' if name == 'or' else 'true')})"
    if name == "not":
        return f"!{_conforms(graph, parameter, v)}"
    raise UnsupportedShape(f"sh:{name}")


def _path_sparql(graph: _Graph, node) -> str:
    """A SHACL path as a SPARQL property path (also the canonical form results are compared by)."""
    if isinstance(node, ox.NamedNode):
        return str(node)
    if graph.value(node, _RDF + "first") is not None:
        return "(" + "/".join(_path_sparql(graph, p) for p in graph.items(node)) + ")"
    for name, template in (("inversePath", "^{}"), ("zeroOrMorePath", "{}*"), ("oneOrMorePath", "{}+"),
                           ("zeroOrOnePath", "{}?")):
        inner = graph.value(node, SH + name)
        if inner is not None:
            return "(" + template.format(_path_sparql(graph, inner)) + ")"
    alternatives = graph.value(node, SH + "alternativePath")
    if alternatives is not None:
        return "(" + "|".join(_path_sparql(graph, p) for p in graph.items(alternatives)) + ")"
    raise UnsupportedShape(f"path {node}")
