"""`ckg build`: seeds -> checked annotations -> RDF -> OWL RL closure -> SHACL -> a new store, swapped in.

The store is written to a new directory and only made current once every step has passed, so a failing
build leaves the previous store serving (graph/store.py): a mistake in the inputs stops the build with
its file, line and offset, and the half-written store is deleted.

The build streams, so that its time and memory grow with the size of the data and no faster: the quads
go to the store one named graph at a time (the ontology, the curation, then each article), and on their
way they are counted into the build id (graph/build_id.py) and read by the reasoner
(graph/reasoning.py); what the reasoner infers follows them. Each quad also goes to the default graph as
a triple, where Oxigraph keeps it once however many graphs hold it: the default graph is the RDF merge of
the named graphs, so a query that names no graph sees each fact once, while the named graphs keep where
each came from (graph/store.py). Large graphs are then validated in the new
store itself (graph/validation.py); a violation deletes it before it is ever current. The search index
(graph/search_index.py) is written from the new store into its directory, before its manifest. Builds take turns
under a lock (graph/store.py), and the finished store is checked against its manifest
(graph/store_manifest.py) before the swap.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pyoxigraph as ox

from . import (annotations, article_names, coverage, rdf, reasoning, registry, search_index, store,
                                store_manifest, validation)
from .build_id import BuildId
from .errors import BuildError, CorruptStore, Unreviewed
from .input_files import read_bytes, read_text
from coalition_kg.namespaces import GRAPH
from coalition_kg.project import Project

ONTOLOGY_GRAPH = ox.NamedNode(GRAPH + "ontology")
ONTOLOGY_FILES = ("ckg.ttl", "alignment.ttl", "wording.ttl")

__all__ = ["BuildError", "build"]


@dataclass(frozen=True)
class Sources:
    """Everything a build reads, read and checked."""

    ontology: Path
    entities: registry.Registry
    facts: list
    articles: list[annotations.Annotations]


def read_sources(project: Project) -> Sources:
    entities = registry.load_registry(project.seeds / "entities.toml")
    facts = registry.load_curation(project.seeds / "curation.toml", entities)
    articles = read_articles(project.seeds, entities)
    check_derivations(facts, articles, entities)
    validation.check_shapes(project.ontology / "shapes.ttl")
    return Sources(project.ontology, entities, facts, articles)


def asserted_graphs(sources: Sources) -> Iterator[tuple[ox.NamedNode, list[ox.Quad]]]:
    """The asserted quads, one named graph at a time, each graph whole and once (duplicates possible).

    The ontology comes first, so that the reasoner knows the schema before it reads instance data."""
    yield ONTOLOGY_GRAPH, list(ontology_quads(sources.ontology))
    curation = list(rdf.registry_quads(sources.entities))
    curation += rdf.curated_fact_quads(sources.facts, sources.entities)
    curation += rdf.job_titles_en(sources.articles, sources.entities)
    curation += rdf.curated_titles(sources.articles, sources.entities)
    yield rdf.CURATION, curation
    for ann in sources.articles:
        yield rdf.article_graph(ann.stem), list(rdf.article_quads(ann, sources.entities))


def asserted_quads(project: Project) -> list[ox.Quad]:
    """The quads read from the ontology and the checked seeds, before reasoning, without duplicates."""
    return [quad for _, quads in asserted_graphs(read_sources(project)) for quad in dict.fromkeys(quads)]


def require_input_folders(project: Project) -> None:
    """Stop with a clear error when the project root lacks the folders a build reads (a wrong --root)."""
    for folder in (project.seeds, project.ontology):
        if not folder.is_dir():
            raise BuildError(folder, "no such folder: the project root (--root or CKG_ROOT) must hold seeds/ and ontology/")


def inputs_digest(project: Project) -> str:
    """A hash of everything a build reads, to tell whether the current store is up to date."""
    digest = hashlib.sha256()
    for folder in (project.seeds, project.ontology):
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            digest.update(path.name.encode() + b"\0" + read_bytes(path) + b"\0")
    return digest.hexdigest()[:16]


def is_up_to_date(project: Project) -> bool:
    """Whether the current store was built from these inputs, for this layout, and is still intact (a
    corrupted store is rebuilt, not kept)."""
    info = store.current(project.var)
    if info is None or info.inputs != inputs_digest(project) or store.layout_problem(info):
        return False
    try:
        store_manifest.verify(info.directory, digests=True)
    except CorruptStore:
        return False
    return True


def build_when_due(project: Project, timings: dict[str, float] | None = None, if_changed: bool = False,
                   allow_unreviewed: bool = False) -> store.StoreInfo | None:
    """`ckg build`: the input folders checked; None, nothing built, when if_changed and the current store
    is up to date; Unreviewed, nothing built, when an article's review is not finished (unless
    allow_unreviewed); else build()."""
    require_input_folders(project)
    if if_changed and is_up_to_date(project):
        return None
    if not allow_unreviewed:
        unfinished = coverage.unreviewed(project.seeds)
        if unfinished:
            raise Unreviewed(unfinished)
    return build(project, timings)


def build(project: Project, timings: dict[str, float] | None = None) -> store.StoreInfo:
    """Build the graph into a new store and make it current; timings, if given, gets the seconds each
    phase took."""
    phases = _Phases()
    with _gc_paused():
        info = _build(project, phases)
    if timings is not None:
        timings.update(phases.seconds)
    return info


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


class _Phases:
    """The time each phase of a build took (`ckg build` prints them)."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def __call__(self, phase: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(phase, time.perf_counter() - start)

    def add(self, phase: str, seconds: float) -> None:
        self.seconds[phase] = self.seconds.get(phase, 0.0) + seconds

    def total(self) -> float:
        return sum(self.seconds.values())


def _build(project: Project, phases: _Phases) -> store.StoreInfo:
    with phases("read and check"):
        inputs = inputs_digest(project)
        sources = read_sources(project)
    shapes = project.ontology / "shapes.ttl"
    build_id = BuildId()
    try:
        with store.build_lock(project.var):
            with store.new_store(project.var) as new:
                # The loader pulls the quads, so making them and reasoning happen inside it: count those apart.
                before, start = phases.total(), time.perf_counter()
                store.load(new.store, _stream(sources, build_id, phases))
                phases.add("load", time.perf_counter() - start - (phases.total() - before))
                store.fault_point("loaded")
                with phases("compaction"):
                    store.compact(new.store)
                    triples = store.count_default_graph(new.store)
                with phases("validation"):
                    validation.validate_store(new.store, shapes, size=build_id.quads)
                store.fault_point("validated")
                with phases("search index"):
                    # Beside the store, before the manifest, so that the manifest covers it.
                    search_index.build(new.store, new.directory / search_index.INDEX_FILE)
                with phases("manifest and check"):
                    info = new.finish(build_id.hexdigest(), graphs=build_id.graphs, triples=triples, inputs=inputs)
                    store.check_finished(info)
            store.fault_point("finished")
            store.make_current(project.var, info)
    except OSError as error:
        raise BuildError(project.var, f"could not write the new store: {error}") from None
    except CorruptStore as error:
        raise BuildError(error.path, f"the new store fails its check: {error.message}") from None
    return info


def _stream(sources: Sources, build_id: BuildId, phases: _Phases) -> Iterator[ox.Quad]:
    """The quads of the store: asserted, one graph at a time, then inferred; each counted into the build id
    and followed by its triple in the default graph (store.with_merge)."""
    return store.with_merge(_named_quads(sources, build_id, phases))


def _named_quads(sources: Sources, build_id: BuildId, phases: _Phases) -> Iterator[ox.Quad]:
    reasoner = reasoning.Reasoner()
    graphs = asserted_graphs(sources)
    while True:
        with phases("RDF and build id"):
            graph, quads = next(graphs, (None, None))
            if graph is None:
                break
            quads = build_id.add_graph(graph, quads)
        with phases("reasoning"):
            reasoner.add(quads)
        yield from quads
    with phases("reasoning"):
        inferred = reasoner.finish(lambda: (q for _, quads in asserted_graphs(sources) for q in quads))
    with phases("RDF and build id"):
        inferred = build_id.add_graph(reasoning.INFERRED, inferred)
    yield from inferred


def read_articles(seeds: Path, entities: registry.Registry) -> list[annotations.Annotations]:
    verify_checksums(seeds)
    for ann_path in sorted(seeds.glob("*.ann")):
        if not ann_path.with_suffix(".txt").exists():
            raise BuildError(ann_path, f"annotations of no article: {ann_path.with_suffix('.txt').name} is missing")
    articles = []
    for text_path in sorted(seeds.glob("*.txt")):
        try:
            article_names.check(text_path.stem)
        except article_names.ArticleNameError as error:
            raise BuildError(text_path, str(error)) from None
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


# A line as `sha256sum` writes it: the hex digest, a space, a space (text mode) or * (binary), the name.
_CHECKSUM_LINE = re.compile(r"([0-9a-fA-F]{64}) [ *](.+)")


def verify_checksums(seeds: Path) -> None:
    """The articles are verbatim: every article (seeds/*.txt) has one line in SHA256SUMS and still has the
    hash recorded there, and every line names an article, so that an edit cannot hide by dropping a line."""
    sums = seeds / "SHA256SUMS"
    if not sums.exists():
        raise BuildError(sums, "missing: every article needs its SHA-256 here (`sha256sum *.txt > SHA256SUMS`)")
    articles = {path.name for path in seeds.glob("*.txt")}
    listed: dict[str, int] = {}
    for number, line in enumerate(read_text(sums).split("\n"), start=1):
        if not line.strip():
            continue
        match = _CHECKSUM_LINE.fullmatch(line)
        if match is None:
            raise BuildError(sums, f"not a checksum line: expected '<64 hex digits>  <article>.txt', found {line[:80]!r}", number)
        expected, name = match.group(1).lower(), match.group(2)
        if name in listed:
            raise BuildError(sums, f"{name} is already listed on line {listed[name]}", number)
        listed[name] = number
        if name not in articles:
            if "/" in name or not name.endswith(".txt"):
                raise BuildError(sums, f"{name!r} is not an article: list the NAME.txt files beside SHA256SUMS", number)
            raise BuildError(sums, f"{name} is listed but missing", number)
        path = seeds / name
        actual = hashlib.sha256(read_bytes(path)).hexdigest()
        if actual != expected:
            raise BuildError(path, f"the article is not verbatim: its SHA-256 is {actual}, SHA256SUMS line {number} records {expected}")
    unlisted = sorted(articles - listed.keys())
    if unlisted:
        raise BuildError(sums, f"no line for {', '.join(unlisted)}: every article must be listed with its SHA-256")


def ontology_quads(directory: Path):
    for name in ONTOLOGY_FILES:
        path = directory / name
        try:
            for quad in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
                yield ox.Quad(quad.subject, quad.predicate, quad.object, ONTOLOGY_GRAPH)
        except SyntaxError as error:
            raise BuildError(path, f"not valid Turtle: {error}") from None
