"""`ckg build`: seeds -> checked annotations -> RDF -> OWL RL closure -> SHACL -> a new store, swapped in.

Every step runs before anything is written; the store is written to a new directory and only then
made current, so a failing build leaves the previous store serving (graph/store.py).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyoxigraph as ox

from coalition_kg.graph import annotations, rdf, reasoning, registry, store, validation
from coalition_kg.graph.errors import BuildError
from coalition_kg.project import GRAPH, Project

ONTOLOGY_GRAPH = ox.NamedNode(GRAPH + "ontology")
ONTOLOGY_FILES = ("ckg.ttl", "alignment.ttl")

__all__ = ["BuildError", "build", "assemble"]


def assemble(project: Project) -> list[ox.Quad]:
    """Every quad of the graph, asserted, curated and inferred, checked and validated, in a stable order."""
    entities = registry.load_registry(project.seeds / "entities.toml")
    facts = registry.load_curation(project.seeds / "curation.toml", entities)
    articles = read_articles(project.seeds, entities)
    check_derivations(facts, articles, entities)

    quads: list[ox.Quad] = list(ontology_quads(project.ontology))
    quads += rdf.registry_quads(entities)
    quads += rdf.curated_fact_quads(facts, entities)
    quads += rdf.job_titles_en(articles, entities)
    for ann in articles:
        quads += rdf.article_quads(ann, entities)
    quads = sorted(set(quads), key=str)
    quads += reasoning.closure(quads)
    validation.validate(quads, project.ontology / "shapes.ttl")
    return sorted(set(quads), key=str)


def inputs_digest(project: Project) -> str:
    """A hash of everything a build reads, to tell whether the current store is up to date."""
    digest = hashlib.sha256()
    for folder in (project.seeds, project.ontology):
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def is_up_to_date(project: Project) -> bool:
    info = store.current(project.var)
    return info is not None and info.inputs == inputs_digest(project)


def build(project: Project) -> store.StoreInfo:
    inputs = inputs_digest(project)
    quads = assemble(project)
    digest = hashlib.sha256("\n".join(map(str, quads)).encode("utf-8")).hexdigest()[:16]
    project.var.mkdir(parents=True, exist_ok=True)
    try:
        info = store.write_new_store(project.var, digest, quads, inputs=inputs)
    except OSError as error:
        raise BuildError(project.var, f"could not write the new store: {error}") from None
    store.make_current(project.var, info)
    return info


def read_articles(seeds: Path, entities: registry.Registry) -> list[annotations.Annotations]:
    verify_checksums(seeds)
    articles = []
    for text_path in sorted(seeds.glob("*.txt")):
        ann_path = text_path.with_suffix(".ann")
        if not ann_path.exists():
            raise BuildError(text_path, f"no annotations: {ann_path.name} is missing")
        if text_path.stem not in entities.articles:
            raise BuildError(entities.path, f"no [article.{text_path.stem}] table with the article's titles")
        articles.append(annotations.read(ann_path, text_path, entities))
    if not articles:
        raise BuildError(seeds, "no articles (*.txt) found")
    return articles


def check_derivations(facts, articles, entities: registry.Registry) -> None:
    """Every mention a curated fact says it was worked out from must exist."""
    mentions = {(a.stem, mid) for a in articles for mid in a.mentions}
    stems = {a.stem for a in articles}
    for fact in facts:
        for ref in fact.derived_from:
            stem, _, mid = ref.partition("#")
            if (stem not in stems) or (mid and (stem, mid) not in mentions):
                raise BuildError(entities.path.with_name("curation.toml"), f"fact {fact.index}: derived_from {ref!r} names no article mention", fact.line)


def verify_checksums(seeds: Path) -> None:
    """The articles are verbatim: each one listed in SHA256SUMS must still have its recorded hash."""
    sums = seeds / "SHA256SUMS"
    if not sums.exists():
        return
    for number, line in enumerate(sums.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        expected, _, name = line.partition("  ")
        path = seeds / name.strip()
        if not path.exists():
            raise BuildError(sums, f"{name.strip()} is listed but missing", number)
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
        if actual != expected:
            raise BuildError(path, f"the article is not verbatim: its SHA-256 is {actual}, SHA256SUMS line {number} records {expected}")


def ontology_quads(directory: Path):
    for name in ONTOLOGY_FILES:
        path = directory / name
        try:
            for quad in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
                yield ox.Quad(quad.subject, quad.predicate, quad.object, ONTOLOGY_GRAPH)
        except SyntaxError as error:
            raise BuildError(path, f"not valid Turtle: {error}") from None
