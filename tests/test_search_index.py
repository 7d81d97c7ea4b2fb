"""The search index built beside the store from the seeds: what it finds, in what order, and where the
matched words are in the verbatim sentences."""

from __future__ import annotations

import sqlite3

import pytest

from coalition_kg.graph import search_index, store, store_manifest
from coalition_kg.graph.errors import CorruptStore
from conftest import ID, REPO, STEMS

ARTICLE = "https://w3id.org/coalition-kg/article/"


@pytest.fixture(scope="module")
def index(built_project):
    info = store.current(built_project.var)
    connection = search_index.open_read_only(info.directory / search_index.INDEX_FILE)
    yield connection
    connection.close()


def hits(index, text):
    return search_index.search(index, text)[1]


def test_the_index_is_beside_the_store_and_in_its_manifest(built_project):
    info = store.current(built_project.var)
    assert (info.directory / search_index.INDEX_FILE).is_file()
    manifest = (info.directory / store_manifest.MANIFEST).read_text(encoding="utf-8")
    assert f'"{search_index.INDEX_FILE}"' in manifest


def test_a_damaged_index_fails_the_manifest_check(built_project, tmp_path):
    import shutil

    copy = tmp_path / "store-copy"
    shutil.copytree(store.current(built_project.var).directory, copy)
    with open(copy / search_index.INDEX_FILE, "r+b") as data:
        data.seek(200)
        byte = data.read(1)
        data.seek(200)
        data.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(CorruptStore, match="search.sqlite"):
        store_manifest.verify(copy, digests=True)


def test_the_index_opens_read_only(index):
    with pytest.raises(sqlite3.OperationalError):
        index.execute("DELETE FROM hit")


def test_a_word_with_a_proclitic_finds_the_entity_first(index):
    found = hits(index, "بمراكش")
    assert found[0].iri == ID + "marrakesh" and found[0].tier == 0
    assert ID + "marrakesh-ministerial-2022" in [h.iri for h in found]


def test_an_english_name_finds_the_entity(index):
    found = hits(index, "Marrakesh")
    assert (found[0].iri, found[0].tier, found[0].label_en) == (ID + "marrakesh", 0, "Marrakesh")
    assert hits(index, "marrakesh")[0].iri == ID + "marrakesh"  # case does not matter


def test_a_name_typed_in_part_finds_it_by_prefix(index):
    found = hits(index, "Marrak")
    assert (found[0].iri, found[0].tier) == (ID + "marrakesh", 1)


def test_riyadh_with_and_without_the_preposition(index):
    for text in ("الرياض", "للرياض"):
        found = hits(index, text)
        assert (found[0].iri, found[0].tier) == (ID + "riyadh", 0), text


def test_arabic_is_compared_by_its_key(index):
    """Hamza seats and taa marbuta: إفريقيا and افريقيا, بوريطة and بوريطه are the same words."""
    assert hits(index, "إفريقيا")[0].iri == hits(index, "افريقيا")[0].iri == ID + "africa"
    assert hits(index, "بوريطه")[0].iri == ID + "nasser-bourita"


def test_an_english_word_finds_an_article_by_its_label(index):
    found = [h for h in hits(index, "concludes") if h.kind == "article"]
    assert [h.iri for h in found] == [ARTICLE + STEMS[4]]
    assert found[0].label_en.startswith("The ministerial meeting of the Global Coalition against Daesh concludes")


def test_entities_then_articles_then_sentences(index):
    kinds = [h.kind for h in hits(index, "بروكسل")]
    assert kinds == sorted(kinds, key=["entity", "article", "sentence"].index)
    assert {"entity", "article", "sentence"} <= set(kinds)


def test_sentences_rank_by_the_query_words_they_hold(index):
    found = [h for h in hits(index, "لقاء الصخيرات") if h.kind == "sentence"]
    assert found[0].words == 2 and found[-1].words <= found[0].words
    assert [h.words for h in found] == sorted((h.words for h in found), reverse=True)


def test_a_sentence_hit_highlights_the_words_as_written(index):
    """«الصخيرات» finds the sentence that says «بالصخيرات», and the span cuts exactly that word."""
    text = (REPO / "seeds" / f"{STEMS[0]}.txt").read_text(encoding="utf-8")
    found = [h for h in hits(index, "الصخيرات") if h.kind == "sentence" and h.article == ARTICLE + STEMS[0]]
    first = next(h for h in found if h.index == 1)
    assert first.text in text
    words = [first.text[a:b] for a, b in first.highlights]
    assert words == ["بالصخيرات"]
    second = next(h for h in found if h.index == 2)
    assert [second.text[a:b] for a, b in second.highlights] == ["الصخيرات"]


def test_a_highlight_keeps_the_preposition_written_on_the_word(index):
    found = next(h for h in hits(index, "بروكسل") if h.kind == "sentence" and h.article == ARTICLE + STEMS[0])
    assert [found.text[a:b] for a, b in found.highlights] == ["ببروكسل"]
    assert found.text[: found.highlights[0][1]].endswith("أول أمس الخميس، ببروكسل")


def test_nothing_to_search_for(index):
    assert hits(index, "") == [] and hits(index, " ؟!… «»") == []
    query, found, total = search_index.search(index, "داعش " * 2000)
    assert query.words == ("داعش",) and found and total == len(found)


def test_only_the_first_hits_are_kept_and_counted_all(index):
    """في is in most sentences: the answer keeps MAX_HITS of them and says how many there are."""
    query, found, total = search_index.search(index, "في")
    assert len(found) == search_index.MAX_HITS < total
    assert all(h.highlights for h in found if h.kind == "sentence")


def test_fts_syntax_in_a_query_is_only_words(index):
    for text in ('"NEAR(a b)" OR *', "marrakesh) OR (x", "a AND NOT b", "^col:x"):
        search_index.search(index, text)  # no sqlite3.OperationalError: every word is quoted


def test_a_store_without_an_index(tmp_path):
    with pytest.raises(search_index.IndexMissing, match="rebuild"):
        search_index.open_read_only(tmp_path / search_index.INDEX_FILE)
