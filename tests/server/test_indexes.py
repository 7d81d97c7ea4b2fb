"""The ways in for someone who does not write SPARQL: the entity index, the article index, and a 404
that suggests what a guessed id may have meant."""

from __future__ import annotations

import re

import pyoxigraph as ox

from coalition_kg.namespaces import BASE

from .conftest import entity

CKG = "https://w3id.org/coalition-kg/ontology#"


def _kinds(html: str) -> dict[str, int]:
    return {name: int(count) for name, count in re.findall(r'<h2>([^<]+) <span class="muted">\((\d+)\)</span></h2>', html)}


def test_the_entity_index_lists_every_entity_by_kind_in_both_languages(server):
    response = server.get("/id/")
    assert response.status_code == 200
    html = response.text
    kinds = _kinds(html)
    # Each kind's count is the graph's own count of the entities the curators gave that kind.
    for kind, label in (("Country", "Country"), ("Person", "Person"), ("MinisterialMeeting", "Ministerial meeting")):
        rows = server.select(f"SELECT (COUNT(DISTINCT ?e) AS ?n) {{ GRAPH <{BASE}graph/curation> {{ ?e a <{CKG}{kind}> }} }}")
        assert kinds[label] == int(rows[0]["n"]) > 0
    assert kinds["Ministerial meeting"] == 4  # Brussels 2018, Rome 2021, Marrakesh 2022, Riyadh 2023
    assert '<a href="/id/nasser-bourita"' in html and "بوريطة" in html
    assert '<a href="/id/niamey"' in html and "نيامي" in html
    assert "/id/membership/" not in html  # membership records are plumbing, not entities to browse


def test_the_entity_index_as_rdf(server):
    response = server.get("/id/", headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/turtle")
    triples = {(q.subject.value, q.predicate.value, q.object) for q in ox.parse(response.content, format=ox.RdfFormat.TURTLE)}
    niger = entity("niger")
    assert (niger, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", ox.NamedNode(CKG + "Country")) in triples
    labels = [o for s, p, o in triples if s == niger and p == "http://www.w3.org/2000/01/rdf-schema#label"]
    assert {label.language for label in labels} >= {"en", "ar"}


def test_the_article_index_lists_the_five_seeds_with_their_counts(server):
    response = server.get("/article/")
    assert response.status_code == 200
    rows = re.findall(r'<tr><td><a href="/article/([0-9a-f_]+)".*?<td>(\d+)</td><td>(\d+)</td></tr>', response.text)
    stems = [stem for stem, *_ in rows]
    assert stems[:5] == ["000_5ed4d548c76f9435", "001_eef99b9cc9c1a199", "002_ecb604b8a81b9122",
                         "003_922b375491f8e4de", "004_9eb9693275b328fe"]
    for stem, sentences, mentions in rows:
        counted = server.select(f"""PREFIX schema: <http://schema.org/> SELECT (COUNT(DISTINCT ?s) AS ?n)
            {{ ?s schema:isPartOf <{BASE}article/{stem}> ; <http://www.w3.org/1999/02/22-rdf-syntax-ns#value> ?t }}""")
        assert int(sentences) == int(counted[0]["n"]) > 0
        assert int(mentions) > int(sentences)
    rdf = server.get("/article/", headers={"Accept": "application/n-triples"})
    assert rdf.status_code == 200 and rdf.text.count("<http://schema.org/NewsArticle>") >= 5


def test_a_guessed_id_gets_suggestions(server):
    response = server.get("/id/bourita")
    assert response.status_code == 404
    suggested = re.findall(r'<li><a href="(/id/[^"]+)"', response.text)
    assert suggested[0] == "/id/nasser-bourita"
    assert 'href="/id/"' in response.text and 'href="/article/"' in response.text


def test_the_indexes_are_linked_from_every_page_and_their_bare_paths_redirect(server):
    page = server.get("/id/niamey").text
    assert 'href="/id/"' in page and 'href="/article/"' in page
    for bare in ("/id", "/article"):
        response = server.get(bare, allow_redirects=False)
        assert response.status_code == 308 and response.headers["Location"] == bare + "/"
