"""The OWL RL closure of the ontology, the alignment and every asserted or curated statement.

What the closure adds goes into its own graph, <graph/inferred>, so that asserted and inferred knowledge
stay apart. Of what it derives we keep the statements about this project's resources (entities,
articles, mentions, ontology terms) and drop the closure's bookkeeping: reflexive axioms (x owl:sameAs x,
C rdfs:subClassOf C), owl:Thing and rdfs:Resource typing, blank nodes.

Two engines compute it:

- `owlrl_closure`: owlrl over rdflib, the reference. It applies every OWL 2 RL rule to every triple
  until nothing changes, which costs seconds for the seeds and grows faster than the graph.
- the fast engine (`Reasoner`, `fast_closure`), used by the build: the same rules, evaluated in plain
  Python over sets. It works out the schema (subclass and subproperty hierarchies, equivalences,
  inverses, domains and ranges, from whatever axioms the graph holds), then visits each triple once. It
  implements the rules that the schema vocabulary calls for (cax-sco, cax-eqc, prp-spo1, prp-eqp,
  prp-inv, prp-dom, prp-rng, scm-cls, scm-sco, scm-eqc, scm-spo, scm-eqp, scm-dom, scm-rng, cls-thing,
  cls-nothing); the others either need vocabulary this project does not use (owl:sameAs, property
  chains, keys, restrictions, Boolean class constructors, functional/transitive/symmetric properties)
  or only report inconsistencies as blank nodes, which the closure drops. If the graph uses any of that
  vocabulary, the work goes to owlrl rather than give a different answer. tests/test_reasoning.py
  checks that both engines give the same quads, on the seeds and on a synthetic corpus.

The build streams: `Reasoner.add` takes the quads one named graph at a time, as they go to the store,
so the whole graph is never held in Python. Each batch is read twice while it is in memory, first for
schema axioms, then through the instance rules. The build gives the ontology first; should a later
batch add to the schema after instance triples were read under a smaller one, or should the closure
call for another round (a derived `C a owl:Class`), `finish` reads every quad again from `replay`.

Like owlrl (which reads the graph through rdflib), the fast engine compares typed literals in rdflib's
normal form ("09"^^xsd:integer is "9"), so that both agree even on non-canonical input.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from typing import Callable, Iterable, NamedTuple

import pyoxigraph as ox

from coalition_kg.namespaces import BASE, GRAPH, OWL as _OWL, RDF as _RDF, RDFS as _RDFS, XSD as _XSD

INFERRED = ox.NamedNode(GRAPH + "inferred")
_TRIVIAL_OBJECTS = {_OWL + "Thing", _RDFS + "Resource", _OWL + "NamedIndividual"}

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
    reasoner = Reasoner()
    reasoner.add(quads)
    return reasoner.finish(lambda: quads)


class Reasoner:
    """The closure of quads given in batches: by the fast engine, or by owlrl when the quads use
    vocabulary that the fast engine does not implement (then `replay` must give every quad again)."""

    def __init__(self):
        self._fast: _FastClosure | None = _FastClosure()
        self._unsupported: UnsupportedVocabulary | None = None

    def add(self, quads: Iterable[ox.Quad]) -> None:
        if self._fast is None:
            return
        try:
            self._fast.add(quads)
        except UnsupportedVocabulary as error:
            self._fast, self._unsupported = None, error

    def finish(self, replay: Callable[[], Iterable[ox.Quad]]) -> list[ox.Quad]:
        """The inferred quads; replay gives every quad added, again (read only if needed)."""
        if self._fast is not None:
            try:
                return self._fast.finish(replay)
            except UnsupportedVocabulary as error:
                self._unsupported = error
        print(f"ckg build: reasoning with owlrl, since the fast engine does not implement {self._unsupported}",
              file=sys.stderr)
        return owlrl_closure(replay())


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
    engine = _FastClosure()
    engine.add(triples)
    return engine.finish(lambda: triples)


class _FastClosure:
    """The fast engine's state between batches: the schema so far and what the instance rules derived."""

    def __init__(self):
        self.normal = _LiteralNormalizer()
        self.schema_triples: set[tuple] = set()
        self.schema = _Schema(self.schema_triples)
        self.instances = _Instances(self.schema, self.normal)
        self.stale = False  # the schema grew after instance triples were read under a smaller one

    def add(self, triples: Iterable[ox.Triple | ox.Quad]) -> None:
        triples = triples if isinstance(triples, (list, tuple, set)) else list(triples)
        new = self._schema_axioms(triples) - self.schema_triples
        if new:
            self.schema_triples |= new
            self.schema = _Schema(self.schema_triples)
            self.stale = self.stale or self.instances.read_any
            self.instances = _Instances(self.schema, self.normal)
        if not self.stale:  # once stale, finish() reads everything again under the final schema
            self.instances.add(triples)

    def _schema_axioms(self, triples) -> set[tuple]:
        """Pass 1 over a batch: its schema axioms, and a check that it stays within the rules implemented here."""
        found: set[tuple] = set()
        normal = self.normal
        for t in triples:
            p = t.predicate
            if p in _WATCHED:
                o = t.object
                if p == TYPE:
                    if o == OWL_CLASS:
                        found.add((t.subject, p, o))
                    elif o in _UNSUPPORTED_TYPES:
                        _check_supported(((t.subject, p, o),))
                else:
                    triple = (t.subject, p, normal(o) if type(o) is ox.Literal else o)
                    _check_supported((triple,))
                    if p in _SCHEMA:
                        found.add(triple)
        return found

    def finish(self, replay: Callable[[], Iterable]) -> list[ox.Quad]:
        schema_triples, schema, normal = self.schema_triples, self.schema, self.normal
        instances = self.instances
        if self.stale:
            instances = _Instances(schema, normal)
            instances.add(replay())
        derived = instances.derived()
        derived |= schema.triples() - schema_triples
        _check_supported(derived)
        # Instance rules never derive schema axioms (_check_supported sees to that) except one: a derived
        # `C a owl:Class` (through a domain, a range or a superclass) adds scm-cls axioms; then go round again.
        while True:
            classes = {(s, p, o) for s, p, o in derived if p == TYPE and o == OWL_CLASS} - schema_triples
            if not classes:
                break
            schema_triples = schema_triples | classes
            schema = _Schema(schema_triples)
            again = _Instances(schema, normal)
            again.add(replay())
            again.add([_Triple(*t) for t in derived])
            more = again.derived() | (schema.triples() - schema_triples)
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
        self.plans: dict = {}  # predicate -> plan, worked out on first sight

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

    def plan(self, p) -> tuple:
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
        self.plans[p] = plan = tuple(plan)
        return plan


class _Instances:
    """prp-spo1, prp-eqp1/2, prp-inv1/2, prp-dom, prp-rng, then cax-sco and cax-eqc on every type, over
    triples read in any number of batches, less what the triples already state."""

    def __init__(self, schema: _Schema, normal: _LiteralNormalizer):
        self.schema, self.normal = schema, normal
        self.out: set[tuple] = set()
        self.types: set[tuple] = set()
        self.stated: set[tuple] = set()  # the stated triples whose predicate the rules can derive
        self.derivable = {TYPE} | {r for ups in schema.superproperties.values() for r in ups} | set(schema.inverse)
        self.read_any = False
        # pyoxigraph makes a new object each time a term is read from a quad; the few classes are kept once
        # rather than once per typed node (hundreds of MB at 1000x the seeds).
        self.classes: dict = {}

    def add(self, triples: Iterable) -> None:
        out, types, stated, derivable = self.out, self.types, self.stated, self.derivable
        plans, plan_of, normal, classes = self.schema.plans, self.schema.plan, self.normal, self.classes
        literal = ox.Literal
        for t in triples:
            self.read_any = True
            p = t.predicate
            plan = plans.get(p)
            if plan is None:
                plan = plan_of(p)
            if p == TYPE:
                s, o = t.subject, t.object
                o = classes.setdefault(o, o)
                types.add((s, o))
                stated.add((s, TYPE, o))
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

    def derived(self) -> set[tuple]:
        """What the triples read entail and do not state (call once: it works in place, sets being large)."""
        out = self.out
        superclasses = self.schema.superclasses
        for x, c in self.types:
            out.add((x, TYPE, c))
            for d in superclasses.get(c, ()):
                out.add((x, TYPE, d))
        out -= self.stated
        return out
