"""The annotation vocabulary has one home, graph/vocabulary.py: what reads an annotation's terms, or writes
them, reads them there; what phrases them for a page covers exactly its terms."""

from __future__ import annotations

from collections import defaultdict

import pyoxigraph as ox

from coalition_kg.graph import annotations, coverage, linker
from coalition_kg.graph.vocabulary import EVENTS, NORMALIZATION_DB
from coalition_kg.namespaces import ONTOLOGY, RDF
from coalition_kg.server import statements


def test_each_event_argument_becomes_its_roles_property(graph_store):
    """In the built seeds, an event node's ckg: properties are those its kind's roles and attributes give."""
    kind_of = {ONTOLOGY + kind.class_of(name): kind for name, kind in EVENTS.items()}
    used = defaultdict(set)
    for quad in graph_store.quads_for_pattern(None, ox.NamedNode(RDF + "type"), None, None):
        kind = kind_of.get(quad.object.value)
        if kind is None or "/article/" not in quad.subject.value:
            continue
        for fact in graph_store.quads_for_pattern(quad.subject, None, None, quad.graph_name):
            if fact.predicate.value.startswith(ONTOLOGY):
                used[quad.object.value].add(fact.predicate.value[len(ONTOLOGY):])
    allowed_extra = {"trigger", "inSentence", "count", "saidByArticle"}  # from the trigger, not an argument
    for cls, predicates in used.items():
        kind = kind_of[cls]
        assert predicates - allowed_extra <= {r.predicate for r in kind.roles.values()} | {a.predicate for a in kind.attributes.values()}
    assert {"countOf", "measure"} <= used[ONTOLOGY + "CountObservation"]
    assert {"claimedBy", "attribution", "states"} <= used[ONTOLOGY + "Claim"]
    assert {"agent", "returnees"} <= used[ONTOLOGY + "Repatriation"]


def test_the_pages_phrase_every_event_and_every_measure():
    assert set(statements.KINDS) == {kind.class_of(name) for name, kind in EVENTS.items()}
    assert statements.KINDS["CountObservation"] == "count" and statements.KINDS["Claim"] == "claim"
    phrased = set(EVENTS["Count"].attributes["Measure"].values) | set(EVENTS["Repatriation"].attributes["Returnees"].values)
    assert set(statements.MEASURES) == phrased


def test_the_linker_writes_n_lines_that_the_build_and_ckg_check_read(tmp_path):
    """One N-line pattern (annotations.N_LINE, with the vocabulary's normalization database) for the writer
    (the linker's drafts), the build's reader and `ckg check`'s."""
    line = f"N1\tReference T1 {NORMALIZATION_DB}:morocco\tMorocco"
    match = annotations.N_LINE.match(line)
    assert match and match.groups() == ("N1", "T1", "morocco", "Morocco")
    assert not annotations.N_LINE.match("N1\tReference T1 wd:Q1028\tMorocco")
    ann = tmp_path / "x.ann"
    ann.write_text("T1\tCountry 0 6\tالمغرب\n" + line + "\n#1\tAnnotatorNotes T1\t" + linker.DRAFT_MARK + "check\n",
                   encoding="utf-8")
    mentions = coverage.read_mentions(ann)
    assert mentions["T1"].entity == "morocco" and mentions["T1"].draft
