"""`ckg add` and the article name rule: a new article is fixed (BOM, CRLF), named NNN_<hash>, its
checksum recorded, a draft .ann written; the build checks names by the same rule."""

from __future__ import annotations

import hashlib
import re

import pytest

from coalition_kg import cli
from coalition_kg.graph import article_names, intake
from coalition_kg.graph.build import BuildError, read_articles, verify_checksums
from coalition_kg.graph.registry import load_registry
from conftest import REPO, STEMS

ARTICLE = REPO / "tests" / "articles" / "rabat_meeting.txt"


def test_the_shacl_shape_states_the_same_rule():
    shapes = (REPO / "ontology" / "shapes.ttl").read_text(encoding="utf-8")
    pattern = re.search(r'dcterms:identifier [^\]]*sh:pattern "([^"]+)"', shapes).group(1)
    assert pattern.replace("\\\\", "\\") == article_names.FILE_PATTERN


def test_the_seeds_follow_the_rule_and_others_do_not():
    for stem in STEMS:
        article_names.check(stem)
    for bad in ("5_5ed4d548c76f9435", "005_5ED4D548C76F9435", "005_5ed4d548c76f943", "005-5ed4d548c76f9435", "article"):
        with pytest.raises(article_names.ArticleNameError, match="NNN_<hash>"):
            article_names.check(bad)


def test_a_new_name_is_the_next_number_and_the_start_of_the_sha256():
    data = ARTICLE.read_bytes()
    assert article_names.new_stem(STEMS, data) == "005_" + hashlib.sha256(data).hexdigest()[:16]
    assert article_names.new_stem([], data).startswith("000_")
    assert article_names.new_stem(STEMS + ["notes"], data).startswith("005_")


def test_the_build_refuses_a_wrongly_named_article(project_copy):
    seeds = project_copy.seeds
    data = ARTICLE.read_bytes()
    (seeds / "rabat.txt").write_bytes(data)
    (seeds / "rabat.ann").write_text("")
    with open(seeds / "SHA256SUMS", "a") as sums:
        sums.write(f"{hashlib.sha256(data).hexdigest()}  rabat.txt\n")
    with pytest.raises(BuildError, match=r"rabat.*NNN_<hash>"):
        read_articles(seeds, load_registry(seeds / "entities.toml"))


def test_add_fixes_bom_and_crlf_before_naming_and_hashing(project_copy, tmp_path, capsys):
    text = ARTICLE.read_text(encoding="utf-8")
    source = tmp_path / "new.txt"
    source.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    assert cli.main(["--root", str(project_copy.root), "add", str(source)]) == 0
    out = capsys.readouterr().out
    assert "byte-order mark" in out and "5 CRLF made LF" in out
    kept = text.encode("utf-8")
    stem = "005_" + hashlib.sha256(kept).hexdigest()[:16]
    seeds = project_copy.seeds
    assert (seeds / f"{stem}.txt").read_bytes() == kept
    assert f"{hashlib.sha256(kept).hexdigest()}  {stem}.txt\n" in (seeds / "SHA256SUMS").read_text()
    assert (seeds / f"{stem}.ann").exists()
    verify_checksums(seeds)  # the new line is one the build accepts


def test_add_never_overwrites_an_ann_without_force(project_copy, capsys):
    root = str(project_copy.root)
    assert cli.main(["--root", root, "add", str(ARTICLE)]) == 0
    ann = next(project_copy.seeds.glob("005_*.ann"))
    ann.write_text("T1\tCity 0 4\tعقدت\n", encoding="utf-8")
    assert cli.main(["--root", root, "add", str(ARTICLE)]) == 0
    assert "already in seeds/" in capsys.readouterr().out
    assert ann.read_text(encoding="utf-8") == "T1\tCity 0 4\tعقدت\n"
    assert len(list(project_copy.seeds.glob("*.txt"))) == 6  # the same text is not added twice
    assert cli.main(["--root", root, "add", "--force", str(ARTICLE)]) == 0
    assert ann.read_text(encoding="utf-8") != "T1\tCity 0 4\tعقدت\n"


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"\xef\xbb\xbf \r\n", "empty"),
    ("Only English here.\n".encode(), "no Arabic letter"),
    (b"\xd8\xa7\xff\n", "not valid UTF-8: byte 0xff at byte offset 2"),
    ("نص\ufeffعربي".encode(), "byte-order mark"),
])
def test_add_refuses_what_it_cannot_keep_with_a_clear_message(project_copy, tmp_path, capsys, data, message):
    source = tmp_path / "bad.txt"
    source.write_bytes(data)
    before = sorted(p.name for p in project_copy.seeds.iterdir())
    assert cli.main(["--root", str(project_copy.root), "add", str(source)]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert sorted(p.name for p in project_copy.seeds.iterdir()) == before


def test_add_of_a_missing_file(project_copy, tmp_path, capsys):
    assert cli.main(["--root", str(project_copy.root), "add", str(tmp_path / "nothing.txt")]) == 1
    assert "cannot be read" in capsys.readouterr().err


def test_annotate_drafts_an_article_as_it_is_and_writes_only_where_told(tmp_path):
    """`ckg annotate` in the library: the draft, counted, written to the output given (none: not written),
    never over a file without force, and never for a text that would change when kept."""
    article = tmp_path / "new.txt"
    article.write_text("اجتمع الوزراء في بروكسل.\n", encoding="utf-8")
    seen = []

    def draft(text, stem):
        seen.append((text, stem))
        return "T1\tCity 17 23\tبروكسل\n#1\tAnnotatorNotes T1\tDRAFT check\n"

    drafted = intake.annotate(article, draft, None)
    assert (drafted.mentions, drafted.drafts) == (1, 1) and seen == [("اجتمع الوزراء في بروكسل.\n", "new")]
    assert list(tmp_path.iterdir()) == [article]
    out = tmp_path / "new.ann"
    intake.annotate(article, draft, out)
    assert out.read_text(encoding="utf-8") == drafted.content
    with pytest.raises(intake.IntakeError, match="exists; --force replaces it"):
        intake.annotate(article, draft, out)
    intake.annotate(article, lambda text, stem: "", out, force=True)
    assert out.read_text(encoding="utf-8") == ""
    article.write_bytes("اجتمع الوزراء في بروكسل.\r\n".encode())
    with pytest.raises(intake.IntakeError, match="would be needed, and offsets count the text as kept"):
        intake.annotate(article, draft, None)
