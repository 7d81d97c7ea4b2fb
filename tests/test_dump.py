"""`ckg dump` streams graph by graph (TriG, N-Quads: the named graphs) or subject by subject (Turtle,
JSON-LD: the default graph, their merge) and gives the same bytes as sorting every statement at once,
which is what it did before it streamed."""

from __future__ import annotations

import io
import json

import pyoxigraph as ox
import pytest

from coalition_kg.graph import dump as dumping
from coalition_kg.graph.store import with_merge
from conftest import dumped

EX = "http://example.org/"


def n(local: str) -> ox.NamedNode:
    return ox.NamedNode(EX + local)


def whole_graph_sort(store: ox.Store, fmt: str) -> bytes:
    """The reference: every statement sorted at once by its N-Quads terms, then serialized."""
    out = io.BytesIO()
    if fmt in ("trig", "nquads"):
        named = (q for q in store if q.graph_name != ox.DefaultGraph())
        quads = sorted(named, key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object)))
        ox.serialize(quads, out, ox.RdfFormat.TRIG if fmt == "trig" else ox.RdfFormat.N_QUADS,
                     prefixes=dumping.PREFIXES if fmt == "trig" else None)
        return out.getvalue()
    default = store.quads_for_pattern(None, None, None, ox.DefaultGraph())
    triples = sorted((q.triple for q in default), key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    if fmt == "turtle":
        ox.serialize(triples, out, ox.RdfFormat.TURTLE, prefixes=dumping.PREFIXES)
        return out.getvalue()
    nodes: dict[str, dict] = {}
    for triple in triples:
        node = nodes.setdefault(triple.subject.value, {"@id": dumping.compact(triple.subject.value)})
        if triple.predicate.value == dumping.PREFIXES["rdf"] + "type" and isinstance(triple.object, ox.NamedNode):
            node.setdefault("@type", []).append(dumping.compact(triple.object.value))
        else:
            node.setdefault(dumping.compact(triple.predicate.value), []).append(dumping._value(triple.object))
    document = {"@context": dumping.PREFIXES, "@graph": [nodes[key] for key in sorted(nodes)]}
    return (json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


@pytest.mark.parametrize("fmt", dumping.FORMATS)
def test_streaming_dump_of_the_seeds_equals_the_whole_graph_sort(graph_store, fmt):
    assert dumped(graph_store, fmt) == whole_graph_sort(graph_store, fmt)


@pytest.fixture()
def small_store() -> ox.Store:
    """Named graphs and their merge in the default graph, as a build writes them: a triple stated in two
    graphs, IRIs that sort differently with and without their angle brackets (…/a/b against …/a/b/c),
    literals of several kinds."""
    store = ox.Store()
    g1, g2 = n("graph/1"), n("graph/2")
    store.extend(with_merge([
        ox.Quad(n("a/b/c"), n("p"), ox.Literal("x"), g2),
        ox.Quad(n("a/b"), n("p"), ox.Literal("2", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")), g2),
        ox.Quad(n("a/b"), n("p"), ox.Literal("نص", language="ar"), g1),
        ox.Quad(n("a/b"), ox.NamedNode(dumping.PREFIXES["rdf"] + "type"), n("Thing"), g1),
        ox.Quad(n("a/b/c"), n("p"), ox.Literal("x"), g1),  # the same triple in two graphs
        ox.Quad(n("z"), n("q"), n("a/b"), g2),
        # a literal whose N-Triples form starts another's: "y" < "y"@en < "y"^^xsd:token, lines or terms
        ox.Quad(n("y"), n("p"), ox.Literal("y", language="en"), g1),
        ox.Quad(n("y"), n("p"), ox.Literal("y", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#token")), g1),
        ox.Quad(n("y"), n("p"), ox.Literal("y"), g1),
        ox.Quad(n("y"), n("p"), ox.Literal("y z"), g1),
    ]))
    return store


@pytest.mark.parametrize("fmt", dumping.FORMATS)
def test_streaming_dump_equals_the_whole_graph_sort_on_tricky_orders(small_store, fmt):
    assert dumped(small_store, fmt) == whole_graph_sort(small_store, fmt)


def test_nquads_order_graph_by_graph(small_store):
    lines = dumped(small_store, "nquads").decode("utf-8").splitlines()
    assert lines == [  # "<…/a/b/c>" before "<…/a/b>": the N-Quads forms are compared, "/" < ">"
        f'<{EX}a/b/c> <{EX}p> "x" <{EX}graph/1> .',
        f'<{EX}a/b> <{EX}p> "نص"@ar <{EX}graph/1> .',
        f'<{EX}a/b> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{EX}Thing> <{EX}graph/1> .',
        f'<{EX}y> <{EX}p> "y z" <{EX}graph/1> .',
        f'<{EX}y> <{EX}p> "y" <{EX}graph/1> .',
        f'<{EX}y> <{EX}p> "y"@en <{EX}graph/1> .',
        f'<{EX}y> <{EX}p> "y"^^<http://www.w3.org/2001/XMLSchema#token> <{EX}graph/1> .',
        f'<{EX}a/b/c> <{EX}p> "x" <{EX}graph/2> .',
        f'<{EX}a/b> <{EX}p> "2"^^<http://www.w3.org/2001/XMLSchema#integer> <{EX}graph/2> .',
        f'<{EX}z> <{EX}q> <{EX}a/b> <{EX}graph/2> .',
    ]  # and not the default graph: the named graphs' merge, which the Turtle and JSON-LD dumps give


def test_merged_formats_state_a_triple_of_two_graphs_once(small_store):
    turtle = dumped(small_store, "turtle").decode("utf-8")
    assert turtle.count('"x"') == 1
    document = json.loads(dumped(small_store, "jsonld"))
    assert [node["@id"] for node in document["@graph"]] == [f"{EX}a/b", f"{EX}a/b/c", f"{EX}y", f"{EX}z"]  # by IRI
    assert document["@graph"][1][f"{EX}p"] == [{"@value": "x"}]


def test_an_empty_store_dumps_to_an_empty_document():
    store = ox.Store()
    assert dumped(store, "nquads") == b""
    assert json.loads(dumped(store, "jsonld"))["@graph"] == []
    assert dumped(store, "jsonld") == whole_graph_sort(store, "jsonld")
