"""The OWL RL closure of the ontology, the alignment and every asserted or curated statement.

What the closure adds goes into its own graph, <graph/inferred>, so that asserted and inferred knowledge
stay apart. Of what it derives we keep the statements about this project's resources (entities,
articles, mentions, ontology terms) and drop the closure's bookkeeping: reflexive axioms (x owl:sameAs x,
C rdfs:subClassOf C), owl:Thing and rdfs:Resource typing, blank nodes.

Two engines compute it:

- `owlrl_closure`: owlrl over rdflib, the reference. It applies every OWL 2 RL rule to every triple
  until nothing changes, which costs seconds for the seeds and grows faster than the graph.
- `fast_closure`, used by the build: the same rules, evaluated in plain Python over sets. It works out
  the schema first (subclass and subproperty hierarchies, equivalences, inverses, domains and ranges,
  from whatever axioms the graph holds), then visits each triple once. It implements the rules that the
  schema vocabulary calls for (cax-sco, cax-eqc, prp-spo1, prp-eqp, prp-inv, prp-dom, prp-rng, scm-cls,
  scm-sco, scm-eqc, scm-spo, scm-eqp, scm-dom, scm-rng, cls-thing, cls-nothing); the others either need
  vocabulary this project does not use (owl:sameAs, property chains, keys, restrictions, Boolean class
  constructors, functional/transitive/symmetric properties) or only report inconsistencies as blank nodes,
  which the closure drops. If the graph uses any of that vocabulary, `fast_closure` hands the work to
  owlrl rather than give a different answer. tests/test_reasoning.py checks that both engines give the
  same quads, on the seeds and on a synthetic corpus.

Like owlrl (which reads the graph through rdflib), the fast engine compares typed literals in rdflib's
normal form ("09"^^xsd:integer is "9"), so that both agree even on non-canonical input.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from typing import Iterable, NamedTuple

import pyoxigraph as ox

from coalition_kg.graph.rdf import RDF as _RDF, RDFS as _RDFS, XSD as _XSD
from coalition_kg.project import BASE, GRAPH

INFERRED = ox.NamedNode(GRAPH + "inferred")
_TRIVIAL_OBJECTS = {
    "http://www.w3.org/2002/07/owl#Thing",
    "http://www.w3.org/2000/01/rdf-schema#Resource",
    "http://www.w3.org/2002/07/owl#NamedIndividual",
}

_OWL = "http://www.w3.org/2002/07/owl#"

TYPE = ox.NamedNode(_RDF + "type")
SUBCLASS = ox.NamedNode(_RDFS + "subClassOf")
SUBPROPERTY = ox.NamedNode(_RDFS + "subPropertyOf")
DOMAIN = ox.NamedNode(_RDFS + "domain")
RANGE = ox.NamedNode(_RDFS + "range")
EQUIVALENT_CLASS = ox.NamedNode(_OWL + "equivalentClass")
EQUIVALENT_PROPERTY = ox.NamedNode(_OWL + "equivalentProperty")
INVERSE = ox.NamedNode(_OWL + "inverseOf")
OWL_CLASS = ox.NamedNode(_OWL + "Class")
THING = ox.NamedNode(_OWL + "Thing")
NOTHING = ox.NamedNode(_OWL + "Nothing")
SAME_AS = ox.NamedNode(_OWL + "sameAs")

_SCHEMA = {SUBCLASS, SUBPROPERTY, DOMAIN, RANGE, EQUIVALENT_CLASS, EQUIVALENT_PROPERTY, INVERSE}
# OWL RL vocabulary whose rules derive statements that fast_closure does not implement.
_UNSUPPORTED_PREDICATES = {ox.NamedNode(_OWL + name) for name in (
    "propertyChainAxiom", "hasKey", "intersectionOf", "unionOf", "someValuesFrom", "allValuesFrom",
    "hasValue", "maxCardinality", "maxQualifiedCardinality", "oneOf")}
_UNSUPPORTED_TYPES = {ox.NamedNode(_OWL + name) for name in (
    "FunctionalProperty", "InverseFunctionalProperty", "SymmetricProperty", "TransitiveProperty")}


class UnsupportedVocabulary(Exception):
    """The graph uses OWL vocabulary that fast_closure does not implement."""


def closure(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """The inferred quads (in <graph/inferred>) that the asserted quads, in all graphs, entail."""
    quads = quads if isinstance(quads, (list, tuple, set)) else list(quads)
    try:
        return fast_closure(quads)
    except UnsupportedVocabulary as error:
        print(f"ckg build: reasoning with owlrl, since the fast engine does not implement {error}", file=sys.stderr)
        return owlrl_closure(quads)


# --------------------------------------------------------------------------- the reference: owlrl

def owlrl_closure(triples: Iterable[ox.Triple | ox.Quad]) -> list[ox.Quad]:
    """owlrl's OWL RL closure of the triples (quads are merged), kept as the fast engine's reference."""
    import owlrl
    import rdflib

    merged = {t.triple if isinstance(t, ox.Quad) else t for t in triples}
    graph = rdflib.Graph()
    graph.parse(data=ox.serialize(merged, format=ox.RdfFormat.N_TRIPLES).decode("utf-8"), format="nt")
    asserted = set(graph)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(graph)
    inferred = []
    for s, p, o in graph:
        if (s, p, o) in asserted or not _rdflib_worth_keeping(s, o):
            continue
        inferred.append(ox.Quad(ox.NamedNode(str(s)), ox.NamedNode(str(p)), _from_rdflib(o), INFERRED))
    return inferred


def _from_rdflib(node) -> ox.NamedNode | ox.Literal:
    import rdflib

    if isinstance(node, rdflib.URIRef):
        return ox.NamedNode(str(node))
    if node.language:
        return ox.Literal(str(node), language=node.language)
    return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype)) if node.datatype else None)


def _rdflib_worth_keeping(s, o) -> bool:
    import rdflib

    if not isinstance(s, rdflib.URIRef) or not str(s).startswith(BASE):
        return False
    if isinstance(o, rdflib.BNode) or s == o:
        return False
    return not (isinstance(o, rdflib.URIRef) and str(o) in _TRIVIAL_OBJECTS)


# --------------------------------------------------------------------------- the fast engine

def fast_closure(triples: Iterable[ox.Triple | ox.Quad]) -> list[ox.Quad]:
    """The same quads as owlrl_closure, by evaluating the OWL RL rules the graph's schema calls for.

    Raises UnsupportedVocabulary if the graph uses OWL vocabulary outside the rules implemented here."""
    triples = triples if isinstance(triples, (list, tuple)) else list(triples)
    normal = _LiteralNormalizer()
    # Pass 1: the schema (and a check that the graph stays within the rules implemented here).
    schema_triples: set[tuple] = set()
    for t in triples:
        p = t.predicate
        if p in _WATCHED:
            o = t.object
            if p == TYPE:
                if o == OWL_CLASS:
                    schema_triples.add((t.subject, p, o))
                elif o in _UNSUPPORTED_TYPES:
                    _check_supported(((t.subject, p, o),))
            else:
                triple = (t.subject, p, normal(o) if type(o) is ox.Literal else o)
                _check_supported((triple,))
                if p in _SCHEMA:
                    schema_triples.add(triple)
    # Pass 2: every triple once, through the rules its predicate takes part in.
    schema = _Schema(schema_triples)
    derived = schema.instance_triples(triples, normal)
    derived |= schema.triples() - schema_triples
    _check_supported(derived)
    # Instance rules never derive schema axioms (_check_supported sees to that) except one: a derived
    # `C a owl:Class` (through a domain, a range or a superclass) adds scm-cls axioms; then go round again.
    while True:
        classes = {(s, p, o) for s, p, o in derived if p == TYPE and o == OWL_CLASS} - schema_triples
        if not classes:
            break
        schema_triples |= classes
        schema = _Schema(schema_triples)
        more = schema.instance_triples(triples + [_Triple(*t) for t in derived], normal)
        more |= schema.triples() - schema_triples
        _check_supported(more)
        derived |= more
    return [ox.Quad(s, p, o, INFERRED) for s, p, o in derived if _worth_keeping(s, o)]


class _Triple(NamedTuple):
    """A derived triple, possibly generalized (a literal subject, from an inverse): rules may read it."""

    subject: object
    predicate: object
    object: object


def _worth_keeping(s, o) -> bool:
    if not isinstance(s, ox.NamedNode) or not s.value.startswith(BASE):
        return False
    if isinstance(o, ox.BlankNode) or s == o:
        return False
    return not (isinstance(o, ox.NamedNode) and o.value in _TRIVIAL_OBJECTS)


_WATCHED = _SCHEMA | _UNSUPPORTED_PREDICATES | {SAME_AS, TYPE}


def _check_supported(triples: Iterable[tuple]) -> None:
    for s, p, o in triples:
        if p in _UNSUPPORTED_PREDICATES:
            raise UnsupportedVocabulary(f"{p.value} (used by {s})")
        if p == SAME_AS and s != o:
            raise UnsupportedVocabulary(f"owl:sameAs ({s} owl:sameAs {o})")
        if p == TYPE and o in _UNSUPPORTED_TYPES:
            raise UnsupportedVocabulary(f"{o.value} ({s})")
        if p in _SCHEMA and (s in _SCHEMA or s == TYPE or o in _SCHEMA or o == TYPE):
            raise UnsupportedVocabulary(f"axioms about the schema vocabulary itself ({s} {p.value} {o})")


class _LiteralNormalizer:
    """Typed literals as rdflib reads them (owlrl sees them so): "09"^^xsd:integer becomes "9"."""

    _PLAIN = {_XSD + "string", _RDF + "langString"}

    def __init__(self):
        self.cache: dict[ox.Literal, ox.Literal] = {}

    def __call__(self, literal: ox.Literal) -> ox.Literal:
        if literal.language or literal.datatype.value in self._PLAIN:
            return literal
        known = self.cache.get(literal)
        if known is None:
            import rdflib

            node = rdflib.Literal(literal.value, datatype=rdflib.URIRef(literal.datatype.value))
            known = ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype)))
            self.cache[literal] = known
        return known


def _transitive(edges: dict) -> dict:
    """node -> every node reachable from it by one or more edges."""
    reach: dict = {}
    for start in edges:
        seen: set = set()
        stack = list(edges[start])
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            stack.extend(edges.get(node, ()))
        reach[start] = seen
    return reach


class _Schema:
    """The schema closure (scm-* rules, cls-thing, cls-nothing) of a set of triples."""

    def __init__(self, triples: set[tuple]):
        sco, spo = defaultdict(set), defaultdict(set)
        self.inverse = defaultdict(set)
        domain0, range0 = defaultdict(set), defaultdict(set)
        classes = {THING, NOTHING}
        for s, p, o in triples:
            if p == TYPE:
                if o == OWL_CLASS:
                    classes.add(s)
            elif p not in _SCHEMA:
                continue
            elif p == SUBCLASS:
                sco[s].add(o)
            elif p == SUBPROPERTY:
                spo[s].add(o)
            elif p == EQUIVALENT_CLASS:
                sco[s].add(o)
                sco[o].add(s)
            elif p == EQUIVALENT_PROPERTY:
                spo[s].add(o)
                spo[o].add(s)
            elif p == INVERSE:
                self.inverse[s].add(o)
                self.inverse[o].add(s)
            elif p == DOMAIN:
                domain0[s].add(o)
            elif p == RANGE:
                range0[s].add(o)
        for c in classes:  # scm-cls: every class is a subclass of owl:Thing, owl:Nothing of every class
            sco[c].add(THING)
            sco[NOTHING].add(c)
        self.superclasses = _transitive(sco)
        self.superproperties = _transitive(spo)

        def closed(table):  # scm-dom1/2, scm-rng1/2: inherit from superproperties, widen to superclasses
            result = {}
            for prop in set(table) | {p for p in self.superproperties if any(q in table for q in self.superproperties[p])}:
                direct = set(table.get(prop, ()))
                for sup in self.superproperties.get(prop, ()):
                    direct |= table.get(sup, set())
                widened = set(direct)
                for c in direct:
                    widened |= self.superclasses.get(c, set())
                result[prop] = widened
            return result

        self.domains = closed(domain0)
        self.ranges = closed(range0)
        self._plans: dict = {}

    def triples(self) -> set[tuple]:
        out = set()
        for table, predicate, equivalence in ((self.superclasses, SUBCLASS, EQUIVALENT_CLASS),
                                              (self.superproperties, SUBPROPERTY, EQUIVALENT_PROPERTY)):
            for a, ups in table.items():
                for b in ups:
                    out.add((a, predicate, b))
                    if a in table.get(b, ()):  # scm-eqc2, scm-eqp2
                        out.add((a, equivalence, b))
        for table, predicate in ((self.domains, DOMAIN), (self.ranges, RANGE)):
            for prop, targets in table.items():
                out.update((prop, predicate, c) for c in targets)
        return out

    def _plan(self, p) -> tuple:
        """What one triple with predicate p entails: (predicate, flipped, domain classes, range classes)
        for p itself and every property reached from it through subproperties, equivalences and inverses."""
        seen = {(p, False)}
        stack = [(p, False)]
        while stack:
            q, flipped = stack.pop()
            for r in self.superproperties.get(q, ()):
                if (r, flipped) not in seen:
                    seen.add((r, flipped))
                    stack.append((r, flipped))
            for r in self.inverse.get(q, ()):
                if (r, not flipped) not in seen:
                    seen.add((r, not flipped))
                    stack.append((r, not flipped))
        plan = []
        for q, flipped in seen:
            domains, ranges = tuple(self.domains.get(q, ())), tuple(self.ranges.get(q, ()))
            if (q, flipped) == (p, False):  # the triple itself: only its domains and ranges
                if domains or ranges:
                    plan.append((None, False, domains, ranges))
            else:
                plan.append((q, flipped, domains, ranges))
        return tuple(plan)

    def instance_triples(self, triples, normal) -> set[tuple]:
        """prp-spo1, prp-eqp1/2, prp-inv1/2, prp-dom, prp-rng, then cax-sco and cax-eqc on every type,
        less what the triples already state."""
        out: set[tuple] = set()
        types: set[tuple] = set()
        stated: set[tuple] = set()  # the stated triples whose predicate the rules can derive
        derivable = {TYPE} | {r for ups in self.superproperties.values() for r in ups} | set(self.inverse)
        plans = self._plans
        literal = ox.Literal
        for t in triples:
            p = t.predicate
            plan = plans.get(p)
            if plan is None:
                plan = plans[p] = self._plan(p)
            if p == TYPE:
                s, o = t.subject, t.object
                types.add((s, o))
                stated.add((s, p, o))
                continue
            if not plan and p not in derivable:
                continue
            s, o = t.subject, t.object
            if type(o) is literal:
                o = normal(o)
            if p in derivable:
                stated.add((s, p, o))
            for q, flipped, domains, ranges in plan:
                x, y = (o, s) if flipped else (s, o)
                if q is not None:
                    out.add((x, q, y))
                for c in domains:
                    types.add((x, c))
                for c in ranges:
                    types.add((y, c))
        superclasses = self.superclasses
        for x, c in types:
            out.add((x, TYPE, c))
            for d in superclasses.get(c, ()):
                out.add((x, TYPE, d))
        return out - stated
