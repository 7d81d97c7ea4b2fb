"""`ckg build`: bad input stops the build with file, line and offset, and the last good store keeps serving;
unchanged input gives an identical graph; dumps are deterministic and keep the named graphs."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from coalition_kg.graph import build as build_module, reasoning, store
from coalition_kg.graph.build import BuildError, build
from coalition_kg.graph.build_id import BuildId, build_id
from coalition_kg.graph.dump import dump
from conftest import GRAPH, ID, REPO, STEMS

ANN = "seeds/003_922b375491f8e4de.ann"


def _edit(project, relative: str, old: str, new: str, count: int = 1) -> int:
    """Replace text in a copied input file; return the 1-based line of the first replacement."""
    path = project.root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return line


def _line_of(project, relative: str, pattern: str) -> str:
    return next(l for l in (project.root / relative).read_text(encoding="utf-8").splitlines() if re.match(pattern, l))


@pytest.fixture()
def served(project_copy):
    """A copy of the project with one good build that is current."""
    info = build(project_copy)
    return project_copy, info


def _assert_untouched(project, info):
    now = store.current(project.var)
    assert now.directory == info.directory
    count = list(now.open_read_only().query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"))[0]["n"].value
    assert int(count) == info.quads


def test_wrong_offset_names_file_line_and_offset(served):
    project, info = served
    line = _line_of(project, ANN, r"T13\t")  # T13  City 266 272  الرياض
    _, kind, start, end = re.match(r"(T13)\t(\S+) (\d+) (\d+)", line).groups()
    number = _edit(project, ANN, line, line.replace(f" {start} {end}\t", f" {int(start) + 1} {int(end) + 1}\t"))
    with pytest.raises(BuildError) as caught:
        build(project)
    message = str(caught.value)
    assert f"003_922b375491f8e4de.ann:{number} (offset {int(start) + 1})" in message
    assert "الرياض" in message
    _assert_untouched(project, info)


def test_unknown_entity_id(served):
    project, info = served
    number = _edit(project, ANN, "ckg:riyadh\t", "ckg:riyad\t")
    with pytest.raises(BuildError, match=rf"\.ann:{number}: unknown entity id 'riyad'"):
        build(project)
    _assert_untouched(project, info)


def test_impossible_date(served):
    project, info = served
    line = _line_of(project, ANN, r"A\d+\tValue T28 2023-03-02")
    number = _edit(project, ANN, line, line.replace("2023-03-02", "2023-02-30"))
    with pytest.raises(BuildError, match=r"2023-02-30 is not a calendar date") as caught:
        build(project)
    assert "(offset 646)" in str(caught.value)  # the offset of the mention "2 مارس 2023"
    _assert_untouched(project, info)


def test_weekday_that_contradicts_the_calendar(served):
    project, info = served
    line = _line_of(project, ANN, r"A\d+\tWeekday T12 Thursday")
    _edit(project, ANN, line, line.replace("Thursday", "Friday"))
    with pytest.raises(BuildError, match=r"2023-06-08 is a Thursday, not a Friday"):
        build(project)
    _assert_untouched(project, info)


def test_dangling_reference(served):
    project, info = served
    line = _line_of(project, ANN, r"R1\t")
    number = _edit(project, ANN, line, re.sub(r"Arg2:T\d+", "Arg2:T999", line))
    with pytest.raises(BuildError, match=rf":{number}: R1 \(heldIn\): Arg2 T999 is not a mention of this file"):
        build(project)
    _assert_untouched(project, info)


def test_shape_violation_stops_the_build(served):
    project, info = served
    # Without the curated fact that Brussels is in Belgium, two meetings lie in no known country.
    _edit(project, "seeds/curation.toml", 'subject = "brussels"\nrelation = "containedIn"', 'subject = "brussels"\nrelation = "heldIn"')
    with pytest.raises(BuildError):
        build(project)  # heldIn needs a meeting: refused as a wrong relation, or by the shapes
    _assert_untouched(project, info)


def test_shape_violation_names_the_focus_node(served):
    project, info = served
    text = (project.root / "seeds/curation.toml").read_text(encoding="utf-8")
    start = text.index('[[fact]]\nsubject = "niamey"')
    end = text.index("[[fact]]", start + 1)
    (project.root / "seeds/curation.toml").write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises(BuildError, match=r"(?s)shapes\.ttl: 2 shape violation.*id/niamey: a city must be contained in a country"):
        build(project)
    _assert_untouched(project, info)


def test_edited_seed_is_refused(served):
    project, info = served
    path = project.root / "seeds/000_5ed4d548c76f9435.txt"
    path.write_bytes(path.read_bytes().replace("بروكسل".encode(), "بروكسال".encode(), 1))
    with pytest.raises(BuildError, match="not verbatim"):
        build(project)
    _assert_untouched(project, info)


def test_rebuilding_unchanged_input_gives_an_identical_graph(served):
    project, first = served
    second = build(project)
    assert second.directory != first.directory  # a new store was written and swapped in
    assert second.build_id == first.build_id and second.quads == first.quads
    assert store.current(project.var).directory == second.directory
    dumps = []
    for info in (first, second):
        out = io.BytesIO()
        dump(info.open_read_only(), "nquads", out)
        dumps.append(out.getvalue())
    assert dumps[0] == dumps[1]


@pytest.mark.parametrize("fmt", ["turtle", "trig", "nquads", "jsonld"])
def test_dumps_are_deterministic_and_parse(graph_store, fmt):
    first, second = io.BytesIO(), io.BytesIO()
    dump(graph_store, fmt, first)
    dump(graph_store, fmt, second)
    assert first.getvalue() == second.getvalue()
    assert b"_:" not in first.getvalue()  # stable identifiers, no blank nodes
    text = first.getvalue().decode("utf-8")
    merged = {q.triple for q in graph_store}
    if fmt in ("trig", "nquads"):
        dataset = rdflib.Dataset()
        dataset.parse(data=text, format=fmt)
        graphs = {str(g.identifier) for g in dataset.graphs() if len(g)}
        assert {f"https://w3id.org/coalition-kg/graph/{s}" for s in STEMS} <= graphs
        assert {"https://w3id.org/coalition-kg/graph/curation", "https://w3id.org/coalition-kg/graph/inferred"} <= graphs
        # The named graphs only: the default graph, their merge, is not repeated in a dump.
        assert sum(len(g) for g in dataset.graphs()) == sum(1 for q in graph_store if q.graph_name != ox.DefaultGraph())
        assert not len(dataset.default_context)
    else:
        graph = rdflib.Graph().parse(data=text, format="json-ld" if fmt == "jsonld" else "turtle")
        assert len(graph) == len(merged)
        if fmt == "turtle":
            assert "@prefix schema: <http://schema.org/> ." in text and "id:niamey" in text
        else:
            assert json.loads(text)["@context"]["org"] == "http://www.w3.org/ns/org#"


def _ckg(*args, env_var: Path, check=True) -> subprocess.CompletedProcess:
    env = dict(os.environ, CKG_VAR=str(env_var))
    return subprocess.run([sys.executable, "-m", "coalition_kg.cli", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, check=check)


def test_cli_build_dump_and_query(tmp_path):
    done = _ckg("build", env_var=tmp_path)
    assert "built" in done.stdout and "graphs" in done.stdout
    out = tmp_path / "graph.trig"
    _ckg("dump", "--format", "trig", "-o", str(out), env_var=tmp_path)
    assert "graph:curation {" in out.read_text(encoding="utf-8")
    csv = _ckg("query", "timeline", "--format", "csv", env_var=tmp_path).stdout
    assert "niamey-plenary-2023" in csv and "2023-03-01" in csv
    again = _ckg("build", "--if-changed", env_var=tmp_path)
    assert "up to date" in again.stdout
    bad = _ckg("query", "timeline", "--param", "x=1", env_var=tmp_path, check=False)
    assert bad.returncode == 2 and "has no parameter x" in bad.stderr


def test_cli_reports_a_failed_build_and_keeps_the_store(tmp_path, project_copy):
    _ckg("--root", str(project_copy.root), "build", env_var=tmp_path)
    before = os.readlink(tmp_path / "current")
    _edit(project_copy, ANN, "ckg:riyadh\t", "ckg:nowhere\t")
    failed = _ckg("--root", str(project_copy.root), "build", env_var=tmp_path, check=False)
    assert failed.returncode == 1
    assert "unknown entity id 'nowhere'" in failed.stderr and "previous store keeps serving" in failed.stderr
    assert os.readlink(tmp_path / "current") == before


def test_curated_values_are_checked_like_annotated_ones(served):
    project, info = served
    _edit(project, "seeds/curation.toml", 'value = "2021-06-28"', 'value = "2021-06-31"')
    with pytest.raises(BuildError, match=r"curation\.toml:\d+: fact 3: 2021-06-31 is not a calendar date"):
        build(project)
    _assert_untouched(project, info)


def test_unknown_curated_relation(served):
    project, info = served
    _edit(project, "seeds/curation.toml", 'relation = "containedIn"', 'relation = "locatedIn"')
    with pytest.raises(BuildError, match=r"curation\.toml:\d+: fact 4: unknown relation 'locatedIn'"):
        build(project)
    _assert_untouched(project, info)


# --------------------------------------------------------------------------- the build id, the streaming build

def test_build_id_depends_on_the_content_only():
    g1, g2 = ox.NamedNode(GRAPH + "one"), ox.NamedNode(GRAPH + "two")
    quads = [ox.Quad(ox.NamedNode(ID + f"e{i}"), ox.NamedNode(ID + "p"), ox.Literal(str(i % 7)), g1 if i % 3 else g2)
             for i in range(50)]
    reference = build_id(quads)
    assert build_id(list(reversed(quads))) == reference
    assert build_id(quads + quads[:20] + quads[5:9]) == reference  # duplicates change nothing
    assert build_id(quads[1:]) != reference
    moved = [ox.Quad(q.subject, q.predicate, q.object, g2) if q == quads[1] else q for q in quads]
    assert build_id(moved) != reference  # the same triple in another graph is another graph
    assert len({reference, build_id(quads[:10]), build_id([]), build_id(quads[:1])}) == 4


def test_a_graph_comes_in_one_piece():
    digest = BuildId()
    quad = ox.Quad(ox.NamedNode(ID + "a"), ox.NamedNode(ID + "p"), ox.Literal("x"), ox.NamedNode(GRAPH + "one"))
    assert digest.add_graph(quad.graph_name, [quad, quad]) == [quad]
    assert digest.graphs == {GRAPH + "one": 1}
    with pytest.raises(ValueError, match="already added"):
        digest.add_graph(quad.graph_name, [quad])


def test_the_streamed_build_holds_the_asserted_quads_and_their_closure(built_project):
    info = store.current(built_project.var)
    graph = info.open_read_only()
    asserted = build_module.asserted_quads(built_project)
    inferred = set(graph.quads_for_pattern(None, None, None, reasoning.INFERRED))
    assert inferred == set(reasoning.fast_closure(asserted))
    default = ox.DefaultGraph()
    named = {quad for quad in graph if quad.graph_name != default}
    assert named == set(asserted) | inferred
    assert info.quads == len(asserted) + len(inferred) == len(named)
    assert info.build_id == build_id(named)  # what the build worked out while streaming: the content's id
    assert info.graphs[GRAPH + "inferred"] == len(inferred) > 700
    # The default graph is the merge of the named graphs: each of their triples, once.
    merge = set(graph.quads_for_pattern(None, None, None, default))
    assert {quad.triple for quad in merge} == {quad.triple for quad in named}
    assert info.triples == len(merge) < len(named)
    assert info.layout == store.LAYOUT


def test_build_reports_the_time_of_each_phase(project_copy):
    timings: dict[str, float] = {}
    build(project_copy, timings)
    assert list(timings) == ["read and check", "RDF and build id", "reasoning", "load", "compaction", "validation",
                            "search index", "manifest and check"]
    assert all(seconds >= 0 for seconds in timings.values())


def test_a_failing_build_leaves_no_store_directory_behind(served):
    project, info = served
    _edit(project, "seeds/curation.toml", 'value = "2021-06-28"', 'value = "2021-06-31"')
    with pytest.raises(BuildError):
        build(project)  # the curated value fails while the quads stream into the new store
    assert [p for p in (project.var / "stores").iterdir()] == [info.directory]
    _assert_untouched(project, info)


def test_a_store_of_the_old_layout_is_rebuilt_and_never_served(project_copy, monkeypatch):
    """A store built before the default graph held the merge would answer every query that names no graph
    with nothing: `ckg build --if-changed` rebuilds it although its inputs are the same, and the server
    refuses it, saying why."""
    from coalition_kg.server.errors import NoGraph
    from coalition_kg.server.live_store import LiveStore

    monkeypatch.setattr(store, "LAYOUT", 1)
    old = build(project_copy)
    monkeypatch.undo()
    assert old.layout == 1 and store.layout_problem(old)
    assert not build_module.is_up_to_date(project_copy)
    with pytest.raises(NoGraph, match=r"built by an earlier version of ckg \(layout 1, not 2"):
        LiveStore(project_copy.var).snapshot()
    new = build(project_copy)
    assert new.layout == store.LAYOUT == 2 and store.layout_problem(new) is None
    assert build_module.is_up_to_date(project_copy)
    assert LiveStore(project_copy.var).snapshot().build_id == new.build_id == old.build_id


def test_build_when_due_builds_once_and_refuses_an_unfinished_review(project_copy):
    """What `ckg build` decides, in the library: nothing when the store is up to date (--if-changed), a
    refusal naming the article when a DRAFT mark is left, and the store a tool reads checked first."""
    from coalition_kg.graph.errors import NoCurrentStore, Unreviewed

    with pytest.raises(NoCurrentStore, match="no graph has been built yet"):
        store.open_current(project_copy.var)
    first = build_module.build_when_due(project_copy, if_changed=True)
    assert first is not None and build_module.build_when_due(project_copy, if_changed=True) is None
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert int(next(iter(store.open_current(project_copy.var).query(count)))["n"].value) == first.triples
    path = project_copy.root / ANN
    path.write_text(path.read_text(encoding="utf-8") + "#999\tAnnotatorNotes T1\tDRAFT check this\n", encoding="utf-8")
    with pytest.raises(Unreviewed) as refused:
        build_module.build_when_due(project_copy)
    assert [article.stem for article in refused.value.articles] == ["003_922b375491f8e4de"]
    assert refused.value.articles[0].shortfall.endswith("(at least 90% needed), 1 DRAFT marks left")
    assert store.current(project_copy.var).directory == first.directory  # nothing was built
    assert build_module.build_when_due(project_copy, allow_unreviewed=True).directory != first.directory
