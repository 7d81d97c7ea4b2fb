"""`ckg dump`: the graph in a deterministic serialization, so that consumers can diff releases.

Statements are written in a fixed order and the graph has no blank nodes, so the same input gives the
same bytes. TriG and N-Quads keep the named graphs, and only them: the store's default graph is their
RDF merge (graph/store.py), which a dump would only repeat (nearly doubling it: the named graphs share
few triples); whoever loads a dump gets it back with a union default graph that is a set (rdflib's
Dataset(default_union=True); Oxigraph's union flag counts a triple once per graph), or by loading the
Turtle dump into the default graph. Turtle and JSON-LD give that merge, the default graph.

The dump streams: it never holds the whole graph in Python. TriG and N-Quads go graph by graph (graphs
ordered by their N-Quads form, each graph's quads sorted by subject, predicate, object); Turtle and
JSON-LD go subject by subject (subjects in order, each subject's triples read from the store's subject
index and sorted). Only one graph, or one subject, is sorted in memory at a time, and the order is the
one of sorting every statement by its N-Quads terms at once, so the bytes are the same.

N-Quads, the largest, is sorted as text: Oxigraph writes each graph as N-Triples lines, which are sorted
as bytes and given the graph's name. That is the same order, because UTF-8 bytes sort as code points do
and no term is followed, in a line, by anything that sorts before the space between terms (an IRI never
starts another; a literal only continues with @ or ^^).
"""

from __future__ import annotations

import json
from typing import BinaryIO, Iterator

import pyoxigraph as ox

from .internal_queries import internal_query
from coalition_kg.namespaces import PREFIXES, RDF, XSD, compact

FORMATS = ("turtle", "trig", "nquads", "jsonld")


def _statement_key(statement) -> tuple[str, str, str]:
    return str(statement.subject), str(statement.predicate), str(statement.object)


def _graphs(store: ox.Store) -> list:
    """The named graphs, in the dump's order (graph_order; not the default graph, their merge)."""
    return [ox.NamedNode(iri) for iri in graph_order(graph.value for graph in store.named_graphs())]


def sorted_quads(store: ox.Store) -> Iterator[ox.Quad]:
    """Every quad of the named graphs, graph by graph in the order of the graphs' N-Quads forms, each sorted."""
    for graph in _graphs(store):
        yield from sorted(store.quads_for_pattern(None, None, None, graph), key=_statement_key)


def write_nquads(store: ox.Store, out: BinaryIO) -> None:
    """What serializing sorted_quads as N-Quads gives, without making a Python object per quad."""
    for graph in _graphs(store):
        out.write(graph_nquads(store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph), graph))


def graph_nquads(ntriples: bytes, graph: ox.NamedNode) -> bytes:
    """One graph's part of the N-Quads dump: its triples as Oxigraph writes them in N-Triples, sorted
    as text, each given the graph's name (the server's /dump.nq writes each graph so, from any backend)."""
    lines = ntriples.splitlines()
    lines.sort()
    end = b" " + str(graph).encode("utf-8") + b" .\n"  # "<s> <p> <o> ." -> "<s> <p> <o> <g> ."
    return b"".join(line[:-2] + end for line in lines)


def graph_order(graphs) -> list[str]:
    """Graph IRIs in the dump's order: that of their N-Quads forms."""
    return sorted(graphs, key=lambda iri: str(ox.NamedNode(iri)))


def merged_triples(store: ox.Store) -> Iterator[ox.Triple]:
    """The default graph (the distinct triples of all named graphs), in the order of their N-Triples forms."""
    for subject in sorted(_subjects(store), key=str):
        yield from _triples_of(store, subject)


def _subjects(store: ox.Store) -> list:
    """Every subject of the default graph, each once (Oxigraph finds the distinct ones)."""
    return [row["s"] for row in store.query(internal_query("distinct-subjects"))]


def _triples_of(store: ox.Store, subject) -> list[ox.Triple]:
    quads = store.quads_for_pattern(subject, None, None, ox.DefaultGraph())
    return sorted((quad.triple for quad in quads), key=_statement_key)


def dump(store: ox.Store, fmt: str, out: BinaryIO) -> None:
    if fmt == "trig":
        ox.serialize(sorted_quads(store), out, ox.RdfFormat.TRIG, prefixes=PREFIXES)
    elif fmt == "nquads":
        write_nquads(store, out)
    elif fmt == "turtle":
        ox.serialize(merged_triples(store), out, ox.RdfFormat.TURTLE, prefixes=PREFIXES)
    elif fmt == "jsonld":
        write_jsonld(store, out)
    else:
        raise ValueError(f"unknown dump format {fmt!r}; known: {', '.join(FORMATS)}")


def write_jsonld(store: ox.Store, out: BinaryIO) -> None:
    """Compact JSON-LD with the prefixes as its context, one node object per subject, in the order of
    the subjects' IRIs.

    Written here rather than with rdflib's serializer because that one orders nodes by Python's
    per-process string hashing, which would make each dump differ. The document is what
    `json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True)` gives, written one node at a
    time: a node sits two levels deep in the document, hence its two extra spaces a line."""
    subjects = sorted(_subjects(store), key=lambda term: term.value)
    context = json.dumps({"@context": PREFIXES}, ensure_ascii=False, indent=1, sort_keys=True)
    out.write(context[:-2].encode("utf-8"))  # without the closing "\n}"
    if not subjects:
        out.write(b',\n "@graph": []\n}\n')
        return
    out.write(b',\n "@graph": [\n')
    for index, subject in enumerate(subjects):
        node = json.dumps(_node(subject, _triples_of(store, subject)), ensure_ascii=False, indent=1, sort_keys=True)
        out.write((("  " if index == 0 else ",\n  ") + node.replace("\n", "\n  ")).encode("utf-8"))
    out.write(b"\n ]\n}\n")


def _node(subject, triples: list[ox.Triple]) -> dict:
    node: dict = {"@id": compact(subject.value)}
    for triple in triples:
        if triple.predicate.value == RDF + "type" and isinstance(triple.object, ox.NamedNode):
            node.setdefault("@type", []).append(compact(triple.object.value))
            continue
        node.setdefault(compact(triple.predicate.value), []).append(_value(triple.object))
    return node


def _value(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"@id": compact(term.value)}
    if isinstance(term, ox.BlankNode):
        return {"@id": f"_:{term.value}"}
    if term.language:
        return {"@value": term.value, "@language": term.language}
    if term.datatype.value == XSD + "string":
        return {"@value": term.value}
    return {"@value": term.value, "@type": compact(term.datatype.value)}
