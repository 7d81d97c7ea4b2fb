"""GET /search on the real server: the page and its JSON twin, their links, hostile and empty queries, and a
store built before search (no index beside it)."""

from __future__ import annotations

import re

import pytest

from coalition_kg.graph import store

from .conftest import entity, start_server, stop_server
from .test_browser import browser, page  # noqa: F401 (the headless Chromium fixtures)

ARTICLE = "https://w3id.org/coalition-kg/article/"
STEM = "000_5ed4d548c76f9435"


def search_json(server, q, **params):
    response = server.get("/search", params={"q": q, "format": "json", **params})
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    return response.json()


def test_json_by_format_or_by_accept(server):
    by_format = search_json(server, "بمراكش")
    response = server.get("/search", params={"q": "بمراكش"}, headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.json()["hits"] == by_format["hits"]
    first = by_format["hits"][0]
    assert (first["rank"], first["kind"], first["iri"], first["href"], first["match"]) == (
        1, "entity", entity("marrakesh"), "/id/marrakesh", "label")
    assert first["label"] == {"en": "Marrakesh", "ar": "مراكش"}
    assert by_format["words"] == ["بمراكش"] and by_format["total"] == len(by_format["hits"])


def test_the_page_links_each_hit_and_marks_the_words(server):
    response = server.get("/search", params={"q": "بروكسل"})
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
    html = response.text
    assert '<a href="/id/brussels">Brussels</a>' in html
    assert f'<a href="/article/{STEM}">' in html
    assert "<mark>ببروكسل</mark>" in html
    assert "search.css" in html and "<script" not in html.split("<main>")[1]
    assert "Content-Security-Policy" in response.headers and "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    # The JSON twin is linked from the page, and lists the same hits in the same order.
    twin = re.search(r'<link rel="alternate" type="application/json" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    hits = server.get(twin).json()["hits"]
    assert [h["href"] for h in hits if h["kind"] == "entity"][:1] == ["/id/brussels"]


def test_every_link_of_the_page_answers(server):
    html = server.get("/search", params={"q": "الرياض"}).text
    hrefs = sorted(set(re.findall(r'<a href="(/(?:id|article)/[^"#]+)"', html)))
    assert "/id/riyadh" in hrefs
    for href in hrefs:
        assert server.get(href).status_code == 200, href


def test_a_sentence_hit_is_linked_to_its_article_with_offsets_on_its_text(server):
    found = search_json(server, "الصخيرات")
    sentence = next(h for h in found["hits"] if h["kind"] == "sentence" and h["iri"] == ARTICLE + STEM + "/s1")
    assert sentence["href"] == f"/article/{STEM}" and sentence["article"]["iri"] == ARTICLE + STEM
    assert [sentence["text"][a:b] for a, b in sentence["highlights"]] == ["بالصخيرات"]
    assert sentence["index"] == 1


def test_the_search_box_is_on_the_home_page_and_the_others(server):
    for path in ("/", "/id/", "/id/marrakesh", "/queries"):
        html = server.get(path, headers={"Accept": "text/html"}).text
        assert '<form class="search" action="/search" method="get" role="search"><input type="search" name="q"' in html, path


def test_an_empty_query(server):
    page = server.get("/search")
    assert page.status_code == 200 and '<form class="search-page"' in page.text and "<ol" not in page.text
    assert server.get("/search", params={"q": "", "format": "json"}).status_code == 400


def test_punctuation_alone_finds_nothing(server):
    found = search_json(server, "؟!… «» -- ((")
    assert found["hits"] == [] and found["words"] == []
    assert server.get("/search", params={"q": "؟!…"}).status_code == 200


def test_ten_kilobytes_of_query(server):
    response = server.get("/search", params={"q": "داعش " * 2048})
    assert response.status_code == 400 and "at most" in response.text


@pytest.mark.parametrize("q", [
    '<script>alert(1)</script> مراكش',
    'SELECT * WHERE { ?s ?p ?o } LIMIT "1"',
    '"NEAR(a b)" OR marrakesh*',
])
def test_hostile_queries_are_words_and_shown_escaped(server, q):
    response = server.get("/search", params={"q": q})
    assert response.status_code == 200
    assert "<script>alert" not in response.text
    if "<script>" in q:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert server.get("/search", params={"q": q, "format": "json"}).json()["query"] == q


def test_an_unknown_format_or_a_repeated_q(server):
    assert server.get("/search", params={"q": "x", "format": "xml"}).status_code == 400
    assert server.get("/search?q=a&q=b").status_code == 400


def test_answers_carry_validators(server):
    response = server.get("/search", params={"q": "Riyadh", "format": "json"})
    again = server.get("/search", params={"q": "Riyadh", "format": "json"}, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_a_store_built_before_search_answers_503_and_the_rest_serves(built_var, tmp_path):
    var = tmp_path / "var"
    quads = list(store.named_quads(store.current(built_var).open_read_only()))
    store.make_current(var, store.write_new_store(var, "cccccccccccccccc", iter(quads)))  # no index
    running = start_server(var, tmp_path / "serve.log")
    try:
        response = running.get("/search", params={"q": "مراكش"})
        assert response.status_code == 503 and "rebuild" in response.text
        assert str(var) not in response.text
        assert running.get("/id/marrakesh").status_code == 200
    finally:
        stop_server(running)


def test_the_header_box_searches_in_a_browser(page, server, artifacts):
    """From the home page's header to the search page in headless Chromium: the words marked, in the
    search stylesheet's colour (so the page's CSP let it load), the sentence right to left."""
    page.goto(server.url + "/")
    page.fill("header form.search input[name=q]", "بالصخيرات")
    page.press("header form.search input[name=q]", "Enter")
    page.wait_for_url("**/search?q=*")
    first = page.locator("ol.search-hits li").first.locator("a")
    assert first.get_attribute("href") == "/id/skhirat"
    mark = page.locator(".hit-sentence mark").first
    assert mark.inner_text() == "بالصخيرات"
    assert mark.evaluate("m => getComputedStyle(m).backgroundColor") == "rgb(255, 229, 138)"
    assert mark.evaluate("m => getComputedStyle(m.parentElement).direction") == "rtl"
    page.screenshot(path=str(artifacts / "search.png"), full_page=True)


def test_each_thread_reads_the_index_of_the_store_it_was_given(built_var, tmp_path):
    """After a swap the next search opens the new store's index; a store without one is a 503."""
    import shutil
    from dataclasses import replace

    from coalition_kg.graph import search_index
    from coalition_kg.server.errors import NoSearchIndex
    from coalition_kg.server.search import SearchIndexes

    current = store.current(built_var)
    copy = tmp_path / "copy"
    shutil.copytree(current.directory, copy)
    indexes = SearchIndexes()
    first = indexes.connection(current)
    assert indexes.connection(current) is first
    second = indexes.connection(replace(current, directory=copy))
    assert second is not first and search_index.search(second, "Riyadh")[1][0].iri == entity("riyadh")
    with pytest.raises(NoSearchIndex, match="rebuild"):
        indexes.connection(replace(current, directory=tmp_path))


def test_a_guessed_id_links_the_search_which_finds_it(server):
    response = server.get("/id/bourita", headers={"Accept": "text/html"})
    assert response.status_code == 404
    link = re.search(r'<a href="(/search\?q=[^"]+)">Search the graph', response.text).group(1)
    assert link == "/search?q=bourita"
    assert search_json(server, "bourita")["hits"][0]["href"] == "/id/nasser-bourita"
