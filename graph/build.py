"""`ckg build`: seeds -> checked annotations -> RDF -> OWL RL closure -> SHACL -> a new store, swapped in.

The store is written to a new directory and only made current once every step has passed, so a failing
build leaves the previous store serving (graph/store.py). Large graphs are validated in the new store
itself (graph/validation.py); a violation then deletes it before it is ever current.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
from pathlib import Path

import pyoxigraph as ox

from coalition_kg.graph import annotations, rdf, reasoning, registry, store, validation
from coalition_kg.graph.errors import BuildError
from coalition_kg.project import GRAPH, Project

ONTOLOGY_GRAPH = ox.NamedNode(GRAPH + "ontology")
ONTOLOGY_FILES = ("ckg.ttl", "alignment.ttl")

__all__ = ["BuildError", "build"]


def asserted_quads(project: Project) -> list[ox.Quad]:
    """The quads read from the ontology and the checked seeds, before reasoning, without duplicates."""
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
    return list(set(quads))


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
    with _gc_paused():
        return _build(project)


@contextlib.contextmanager
def _gc_paused():
    """The build makes millions of small objects and no reference cycles worth collecting; Python's
    cyclic collector would walk them all again and again (a third of the time at 100x the seeds)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _build(project: Project) -> store.StoreInfo:
    inputs = inputs_digest(project)
    quads = asserted_quads(project)
    quads += reasoning.closure(quads)
    shapes = project.ontology / "shapes.ttl"
    check = None
    if validation.choose_engine(len(quads), shapes) == "pyshacl":
        validation.validate(quads, shapes, engine="pyshacl")
    else:  # the SPARQL translation runs on the new store itself, before it is made current
        def check(new_store):
            validation.validate_store(new_store, shapes)
    digest = graph_digest(quads)
    project.var.mkdir(parents=True, exist_ok=True)
    try:
        info = store.write_new_store(project.var, digest, quads, inputs=inputs, check=check)
    except OSError as error:
        raise BuildError(project.var, f"could not write the new store: {error}") from None
    store.make_current(project.var, info)
    return info


def graph_digest(quads: list[ox.Quad]) -> str:
    """The build id: a hash of the distinct quads' N-Quads forms, sorted, one a line.

    Sorts the strings rather than the quads, and hashes them in slices rather than as one joined
    string (a few hundred MB at 100x the seeds); the value is the same."""
    lines = sorted(map(str, quads))
    digest = hashlib.sha256()
    for start in range(0, len(lines), 10_000):
        if start:
            digest.update(b"\n")
        digest.update("\n".join(lines[start:start + 10_000]).encode("utf-8"))
    return digest.hexdigest()[:16]


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
