"""SHACL validation (pyshacl) of the whole graph, asserted, curated and inferred, against ontology/shapes.ttl."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pyshacl
import rdflib

from coalition_kg.graph.errors import BuildError

SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")


def validate(quads: list[ox.Quad], shapes_path: Path) -> None:
    triples = {ox.Triple(q.subject, q.predicate, q.object) for q in quads}
    data = rdflib.Graph()
    data.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8"), format="nt")
    shapes = rdflib.Graph().parse(shapes_path, format="turtle")
    conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=False)
    if conforms:
        return
    problems = []
    for result in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        message = report.value(result, SH.resultMessage)
        where = f" (path {path.n3()})" if isinstance(path, rdflib.URIRef) else ""
        problems.append(f"  {focus}: {message}{where}")
    problems = sorted(set(problems))
    shown = "\n".join(problems[:20]) + (f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else "")
    raise BuildError(shapes_path, f"{len(problems)} shape violation(s):\n{shown}")
