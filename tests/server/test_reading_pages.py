"""Issue 9, item 6, on the pages: an Arabic title that its article's text does not hold is the curators'
own, and every page that shows it says so (the article index, search, the RDF twin); where it could only
sit unmarked beside a link (an entity page's list of sentences), it is left out. The article page's own
mark is tested in test_entities.py; the curation record itself in tests/test_reading.py."""

from __future__ import annotations

import re

import rdflib

ARTICLE = "https://w3id.org/coalition-kg/article/"
CURATED = {"000_5ed4d548c76f9435": "بوستة ببروكسل: الحفاظ على روح لقاء الصخيرات",
           "004_9eb9693275b328fe": "اختتام أعمال الاجتماع الوزاري للتحالف العالمي ضد داعش في مراكش"}
HEADLINE_002 = "التحالف الدولي ضد تنظيم “داعش” يعبر عن التزامه بمعالجة التهديدات الأمنية في إفريقيا"
CHIP = "Arabic title given by the curators, not the article's headline"


def test_the_article_index_marks_the_curated_titles(server):
    page = server.get("/article/", headers={"Accept": "text/html"}).text
    rows = dict(re.findall(r'<tr><td><a href="/article/([0-9a-f_]+)"(.*?)</td>', page))
    assert {stem for stem, cell in rows.items() if CHIP in cell} == set(CURATED)
    for stem, title in CURATED.items():
        assert title in rows[stem]  # shown, and marked
    assert HEADLINE_002 in rows["002_ecb604b8a81b9122"] and CHIP not in rows["002_ecb604b8a81b9122"]


def test_the_article_indexs_rdf_twin_carries_the_curators_record(server):
    response = server.get("/article/", headers={"Accept": "text/turtle"})
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    rdf = rdflib.RDF
    records = {(str(graph.value(r, rdf.subject)), str(graph.value(r, rdf.object)))
               for r in graph.subjects(rdf.predicate, rdflib.URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"))}
    assert records == {(ARTICLE + stem, title) for stem, title in CURATED.items()}


def test_search_marks_a_curated_title(server):
    found = server.get("/search", params={"q": "اختتام أعمال", "format": "json"}).json()
    article = next(h for h in found["hits"] if h["kind"] == "article")
    assert (article["iri"], article["label"]["ar"], article["title_by_curators"]) == (
        ARTICLE + "004_9eb9693275b328fe", CURATED["004_9eb9693275b328fe"], True)
    page = server.get("/search", params={"q": "اختتام أعمال"}, headers={"Accept": "text/html"}).text
    assert re.search(CURATED["004_9eb9693275b328fe"] + r'</span>\s*<span class="chip curated-title">' + CHIP, page)
    found = server.get("/search", params={"q": "يعبر عن التزامه", "format": "json"}).json()
    own = next(h for h in found["hits"] if h["kind"] == "article")
    assert own["iri"] == ARTICLE + "002_ecb604b8a81b9122" and own["title_by_curators"] is False
    sentence = next(h for h in found["hits"] if h["kind"] == "sentence")
    assert sentence["article"]["title_by_curators"] is False
    found = server.get("/search", params={"q": "مراكش", "format": "json"}).json()
    in_004 = next(h for h in found["hits"] if h["kind"] == "sentence" and h["article"]["iri"].endswith("004_9eb9693275b328fe"))
    assert in_004["article"]["title_by_curators"] is True
    page = server.get("/search", params={"q": "مراكش"}, headers={"Accept": "text/html"}).text
    sources = re.findall(r'<p class="source">sentence \d+ of <a href="/article/([0-9a-f_]+)">.*?</p>', page)
    marked = re.findall(r'<p class="source">sentence \d+ of <a href="/article/([0-9a-f_]+)">[^<]*</a> <span class="chip curated-title">', page)
    assert "004_9eb9693275b328fe" in marked and set(marked) == set(sources) & set(CURATED)


def test_an_entity_pages_sentences_do_not_show_a_curated_title_unmarked(server):
    page = server.get("/id/marrakesh", headers={"Accept": "text/html"}).text
    assert 'href="/article/004_9eb9693275b328fe"' in page  # its sentences in 004 are listed
    assert CURATED["004_9eb9693275b328fe"] not in page
    page = server.get("/id/mustapha-maiti", headers={"Accept": "text/html"}).text  # the author of 004 (incoming)
    assert 'href="/article/004_9eb9693275b328fe"' in page and CURATED["004_9eb9693275b328fe"] not in page
    page = server.get("/id/rome", headers={"Accept": "text/html"}).text
    assert HEADLINE_002 in page  # a headline of the article's own is shown beside the link


def test_the_article_pages_rdf_twin_carries_the_curators_record(server):
    rdf, skos = rdflib.RDF, rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")
    for stem, title in CURATED.items():
        graph = rdflib.Graph().parse(data=server.get(f"/article/{stem}", headers={"Accept": "text/turtle"}).text,
                                     format="turtle")
        record = graph.value(predicate=rdf.subject, object=rdflib.URIRef(ARTICLE + stem))
        assert (graph.value(record, rdf.predicate), str(graph.value(record, rdf.object))) == (skos.prefLabel, title)
        assert "curators' own title" in str(graph.value(record, rdflib.RDFS.comment))
        assert (rdflib.URIRef(ARTICLE + stem), rdflib.URIRef("http://schema.org/headline"), None) not in graph
    graph = rdflib.Graph().parse(data=server.get("/article/002_ecb604b8a81b9122", headers={"Accept": "text/turtle"}).text,
                                 format="turtle")
    assert graph.value(predicate=rdf.subject, object=rdflib.URIRef(ARTICLE + "002_ecb604b8a81b9122")) is None
    assert str(graph.value(rdflib.URIRef(ARTICLE + "002_ecb604b8a81b9122"), rdflib.URIRef("http://schema.org/headline"))) == HEADLINE_002
