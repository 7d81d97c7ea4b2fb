"""The build id: a hash of the graph's content that does not depend on the order of its quads.

Each distinct quad is hashed (SHA-256 of its N-Quads line) and the hashes are added up modulo 2^256,
so the id can be worked out while the quads stream to the store, one named graph at a time, with no
sort of the whole graph. Duplicates must not count twice: a quad's graph is part of the quad, so
removing duplicates within each graph is enough, provided each graph comes in one piece, which
`BuildId.add_graph` checks. The same graph gives the same id whatever the order and the duplicates;
any other graph gives another id (short of a collision of the 64 bits shown).
"""

from __future__ import annotations

import hashlib
from typing import Iterable

import pyoxigraph as ox

_MODULUS = 1 << 256
_BATCH = 10_000  # quads serialized at once: Oxigraph's serializer is fast, a Python call per quad is not


class BuildId:
    """The id and the quad counts of a graph given one named graph at a time."""

    def __init__(self):
        self._sum = 0
        self.graphs: dict[str, int] = {}  # distinct quads per graph ("" for the default graph)

    def add_graph(self, graph: ox.NamedNode | ox.DefaultGraph, quads: Iterable[ox.Quad]) -> list[ox.Quad]:
        """Count in every quad of one graph (all of them at once); the distinct quads, in first-seen order."""
        key = graph.value if isinstance(graph, ox.NamedNode) else ""
        if key in self.graphs:
            raise ValueError(f"graph {graph} was already added: a graph must come in one piece")
        distinct = list(dict.fromkeys(quads))
        self.graphs[key] = len(distinct)
        for start in range(0, len(distinct), _BATCH):
            lines = ox.serialize(distinct[start:start + _BATCH], format=ox.RdfFormat.N_QUADS).splitlines()
            self._sum += sum(int.from_bytes(hashlib.sha256(line).digest(), "big") for line in lines)
        self._sum %= _MODULUS
        return distinct

    @property
    def quads(self) -> int:
        return sum(self.graphs.values())

    def hexdigest(self) -> str:
        return hashlib.sha256(self._sum.to_bytes(32, "big")).hexdigest()[:16]


def build_id(quads: Iterable[ox.Quad]) -> str:
    """The id of any collection of quads, in any order, with or without duplicates."""
    by_graph: dict = {}
    for quad in quads:
        by_graph.setdefault(quad.graph_name, []).append(quad)
    digest = BuildId()
    for graph, members in by_graph.items():
        digest.add_graph(graph, members)
    return digest.hexdigest()
