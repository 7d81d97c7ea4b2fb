"""`ckg check`: names found but not annotated, forms annotated in one place and bare in another, DRAFT
marks left, entities no article mentions."""

from __future__ import annotations

import re

from coalition_kg import cli
from coalition_kg.graph import coverage, registry
from conftest import REPO, STEMS

ARTICLE = REPO / "tests" / "articles" / "rabat_meeting.txt"


def _report(project):
    entities = registry.load_registry(project.seeds / "entities.toml")
    return coverage.check(project.seeds, entities)


def test_every_name_the_linker_is_sure_of_is_annotated_in_the_seeds(project_copy):
    report = _report(project_copy)
    assert [a.stem for a in report.articles] == STEMS
    assert [item for a in report.articles for item in a.missing] == []
    assert [m for a in report.articles for m in a.drafts] == []
    assert "belgium" in report.never_mentioned  # known only from curation.toml
    assert "morocco" not in report.never_mentioned


def test_a_removed_mention_is_missing_and_its_form_bare(project_copy):
    ann = project_copy.seeds / "000_5ed4d548c76f9435.ann"
    text = (project_copy.seeds / "000_5ed4d548c76f9435.txt").read_text(encoding="utf-8")
    lines = ann.read_text(encoding="utf-8").splitlines()
    first = text.index("بروكسل")
    (tid,) = [l.split("\t")[0] for l in lines if re.match(rf"T\d+\tCity {first} ", l)]
    ann.write_text("\n".join(l for l in lines if not re.search(rf"(^{tid}\t| {tid}(\s|$))", l)) + "\n", encoding="utf-8")
    (article,) = [a for a in _report(project_copy).articles if a.stem == "000_5ed4d548c76f9435"]
    assert [(f.start, f.text, f.candidates) for f in article.missing] == [(first, "بروكسل", ("brussels",))]
    assert [(f.start, place.entity) for f, place in article.bare] == [(first, "brussels")]


def test_a_fresh_draft_shows_its_drafts_and_the_command_fails(project_copy, capsys):
    assert cli.main(["--root", str(project_copy.root), "add", str(ARTICLE)]) == 0
    capsys.readouterr()
    assert cli.main(["--root", str(project_copy.root), "check"]) == 1
    out = capsys.readouterr().out
    assert out.count("  draft ") == 7
    assert "'يوسف بكاري': T9 still marked DRAFT" in out


def test_a_wrong_offset_is_an_error_not_a_report(project_copy, capsys):
    ann = project_copy.seeds / "001_eef99b9cc9c1a199.ann"
    ann.write_text(ann.read_text(encoding="utf-8").replace("\tCountry ", "\tCountry 1", 1), encoding="utf-8")
    assert cli.main(["--root", str(project_copy.root), "check"]) == 2
    assert "the text at" in capsys.readouterr().err


def test_build_refuses_an_article_whose_names_are_not_annotated(project_copy, capsys, monkeypatch):
    monkeypatch.setenv("CKG_VAR", str(project_copy.var))
    root = str(project_copy.root)
    assert cli.main(["--root", root, "add", str(ARTICLE)]) == 0
    next(project_copy.seeds.glob("005_*.ann")).write_text("", encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["--root", root, "build", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert ": 0 of 12 registry names annotated (at least 90% needed), 0 DRAFT marks left" in err
    assert "000_5ed4d548c76f9435" not in err  # the seeds are reviewed
    assert not project_copy.var.exists() or not any(project_copy.var.iterdir())  # nothing was built
