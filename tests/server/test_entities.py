"""Entity pages: every graph IRI dereferences to HTML for people and RDF for programs."""

from __future__ import annotations

import re

import pytest
import rdflib

from .conftest import entity

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_html_has_both_labels_facts_and_sentences(server):
    response = server.get("/id/marrakesh-ministerial-2022", headers=BROWSER)
    assert response.status_code == 200
    page = response.text
    assert "9th ministerial meeting of the Global Coalition, Marrakesh, May 2022" in page
    assert re.search(r'<h1 class="ar" lang="ar" dir="rtl">[^<]*الاجتماع الوزاري', page)
    assert "2022-05-11" in page
    assert 'href="/id/morocco"' in page  # a fact links to the local page of its object
    assert 'href="/id/marrakesh"' in page
    marks = re.findall(r"<mark>([^<]+)</mark>", page)
    assert marks and any("مراكش" in m or "الاجتماع" in m for m in marks)
    assert 'href="/article/004_9eb9693275b328fe"' in page


def test_mark_is_exactly_the_mention(server):
    page = server.get("/id/niger", headers=BROWSER).text
    # The sentences that mention Niger (the references of its facts mark the words of each fact).
    mentions = re.search(r'<ol class="sentences">(.*?)</ol>', page, re.S).group(1)
    marks = set(re.findall(r"<mark>([^<]+)</mark>", mentions))
    assert marks and all("النيجر" in m or "نيامي" in m or "Niger" in m for m in marks), marks


def test_article_page_shows_text_with_linked_mentions(server):
    page = server.get("/article/004_9eb9693275b328fe", headers=BROWSER).text
    assert "اختتام أعمال الاجتماع الوزاري للتحالف العالمي ضد داعش في مراكش" in page
    assert re.search(r'<a class="mention" href="/id/marrakesh"[^>]*>مراكش</a>', page)


def test_of_mentions_that_start_together_the_longest_then_the_first_marked_is_linked(server):
    page = server.get("/article/002_ecb604b8a81b9122", headers=BROWSER).text
    # "إفريقيا جنوب الصحراء" (Sub-Saharan Africa, T20) holds "إفريقيا" (Africa, T21): the whole is linked
    assert re.search(r'<a class="mention" href="/id/sub-saharan-africa"[^>]*>إفريقيا جنوب الصحراء</a>', page)
    # "واشنطن" is marked as the city (T38) and as the country (T93): the one marked first is linked
    assert re.search(r'<a class="mention" href="/id/washington"[^>]*>واشنطن</a>', page)
    assert not re.search(r'<a class="mention" href="/id/united-states"[^>]*>واشنطن</a>', page)


def test_a_curated_title_is_shown_as_the_curators_not_as_the_headline(server):
    # 004's text opens with its dateline and byline; the Arabic title is the curators' own.
    page = server.get("/article/004_9eb9693275b328fe", headers=BROWSER).text
    assert not re.search(r'<h1 class="ar"[^>]*>اختتام أعمال', page)
    assert re.search(r'title given by the curators[^<]*</span> <span class="ar" lang="ar" dir="rtl">اختتام أعمال', page)
    # 002's first heading is its own headline, in its own words.
    page = server.get("/article/002_ecb604b8a81b9122", headers=BROWSER).text
    assert re.search(r'<h1 class="ar" lang="ar" dir="rtl">التحالف الدولي ضد تنظيم “داعش” يعبر عن التزامه', page)
    assert "title given by the curators" not in page


@pytest.mark.parametrize("accept, rdflib_format", [("text/turtle", "turtle"), ("application/ld+json", "json-ld"),
                                                   ("application/n-triples", "nt"), ("application/rdf+xml", "xml")])
def test_rdf_description(server, accept, rdflib_format):
    response = server.get("/id/niamey-plenary-2023", headers={"Accept": accept})
    assert response.headers["Content-Type"].startswith(accept)
    graph = rdflib.Graph().parse(data=response.text, format=rdflib_format)
    me = rdflib.URIRef(entity("niamey-plenary-2023"))
    assert {str(o) for o in graph.objects(me, rdflib.URIRef("http://schema.org/startDate"))} == {"2023-03-01"}
    assert {str(o) for o in graph.objects(me, rdflib.URIRef("http://schema.org/endDate"))} == {"2023-03-02"}


def test_format_parameter_on_entities(server):
    response = server.get("/id/morocco", params={"format": "ttl"}, headers=BROWSER)
    assert response.headers["Content-Type"].startswith("text/turtle")


def test_unknown_entity_is_404(server):
    assert server.get("/id/atlantis", headers=BROWSER).status_code == 404
    assert server.get("/id/atlantis", headers={"Accept": "text/turtle"}).status_code == 404


def test_sentence_resources_dereference(server):
    response = server.get("/article/004_9eb9693275b328fe/s1", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    assert (rdflib.URIRef("https://w3id.org/coalition-kg/article/004_9eb9693275b328fe/s1"),
            rdflib.URIRef("http://schema.org/isPartOf"),
            rdflib.URIRef("https://w3id.org/coalition-kg/article/004_9eb9693275b328fe")) in graph


def test_each_fact_names_its_sources(server):
    page = server.get("/id/rome-ministerial-2021", headers=BROWSER).text
    groups = re.findall(r'<div class="statement-group">(.*?)</ul>\s*</div>', page, flags=re.S)
    start = next(g for g in groups if ">start date</a>" in g)
    assert "2021-06-28" in start and 'class="chip curated"' in start and 'class="where"' not in start  # curated, not stated
    entailed = re.search(r'<details class="restated">(.*?)</details>', page, flags=re.S).group(1)
    twin = next(g for g in re.findall(r'<div class="statement-group">(.*?)</div>', entailed, flags=re.S) if "schema:startDate" in g)
    assert "2021-06-28" in twin and 'class="chip inferred"' in twin and "curated" not in twin
    held = next(g for g in groups if ">held in</a>" in g)
    assert 'href="/id/rome"' in held and '<a href="/article/002_ecb604b8a81b9122" title="https://w3id.org/coalition-kg/article/002_ecb604b8a81b9122">002</a>' in held


# --- named graphs, curated statements and the ontology dereference too ---------------------------

ARTICLE_GRAPH = "/graph/002_ecb604b8a81b9122"


def test_article_graph_gives_its_triples_to_rdf_clients(server):
    response = server.get(ARTICLE_GRAPH, headers={"Accept": "application/n-triples"})
    assert response.status_code == 200
    graph = rdflib.Graph().parse(data=response.text, format="nt")
    # The test server caps answers at ROW_LIMIT triples; the graph holds more, and the answer says so.
    assert len(graph) == int(response.headers["Result-Rows"]) and response.headers["Result-Truncated"] == "true"
    full = server.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/coalition-kg/graph/002_ecb604b8a81b9122> { ?s ?p ?o } }")
    assert int(full[0]["n"]) > len(graph)
    for s, p, o in graph:  # every triple is one the named graph holds
        assert server.sparql(f"ASK {{ GRAPH <https://w3id.org/coalition-kg/graph/002_ecb604b8a81b9122> {{ {s.n3()} {p.n3()} {o.n3()} }} }}").json()["boolean"]


def test_article_graph_page_links_its_article_and_counts_its_triples(server):
    response = server.get(ARTICLE_GRAPH, headers=BROWSER)
    assert response.status_code == 200
    page = response.text
    assert 'href="/article/002_ecb604b8a81b9122"' in page
    count = server.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/coalition-kg/graph/002_ecb604b8a81b9122> { ?s ?p ?o } }")[0]["n"]
    assert f"<strong>{int(count):,}</strong> triples" in page
    assert page.count("<tr><td>") > 10


def test_curated_statement_dereferences_with_its_reason(server):
    page = server.get("/graph/curation/fact2", headers=BROWSER).text
    assert "Thursday 2 December 2021" in page and "US State Department" in page
    turtle = server.get("/graph/curation/fact2", headers={"Accept": "text/turtle"}).text
    graph = rdflib.Graph().parse(data=turtle, format="turtle")
    fact = rdflib.URIRef("https://w3id.org/coalition-kg/graph/curation/fact2")
    assert (fact, rdflib.RDF.subject, rdflib.URIRef(entity("brussels-political-directors-2021"))) in graph


def test_fact_sources_link_to_their_graphs(server):
    page = server.get("/id/rome-ministerial-2021", headers=BROWSER).text
    assert 'href="/graph/curation"' in page and 'href="/graph/inferred"' in page


def test_ontology_dereferences_for_rdf_clients(server):
    response = server.get("/ontology", headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.headers["Result-Truncated"] == "false"
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    ckg = rdflib.Namespace("https://w3id.org/coalition-kg/ontology#")
    assert (ckg.Meeting, rdflib.RDF.type, rdflib.OWL.Class) in graph
    assert (rdflib.URIRef("https://w3id.org/coalition-kg/ontology"), rdflib.OWL.versionInfo, rdflib.Literal("0.1.0")) in graph
    # The version IRI answers with the same document.
    assert server.get("/ontology/0.1.0", headers={"Accept": "text/turtle"}).text == response.text


def test_ontology_page_has_an_anchor_per_term(server):
    page = server.get("/ontology", headers=BROWSER).text
    # Every class and property the ontology file declares (the test server's row limit is far smaller).
    from pathlib import Path

    ontology = rdflib.Graph().parse(Path(__file__).resolve().parents[2] / "ontology" / "ckg.ttl")
    declared = {str(t).split("#", 1)[1] for kind in (rdflib.OWL.Class, rdflib.OWL.ObjectProperty, rdflib.OWL.DatatypeProperty)
                for t in ontology.subjects(rdflib.RDF.type, kind) if str(t).startswith("https://w3id.org/coalition-kg/ontology#")}
    anchors = set(re.findall(r'<dt id="([^"]+)"', page))
    assert anchors == declared and "Meeting" in anchors and len(anchors) > 40
    meeting = page.split('<dt id="Meeting">', 1)[1].split("</dd>", 1)[0]
    assert "اجتماع" in meeting and "schema:Event" in meeting


def test_the_home_timeline_says_it_holds_the_nato_summit_too(server):
    page = server.get("/", headers=BROWSER).text
    title = re.search(r'<h2 id="timeline-title">([^<]+)</h2>', page).group(1)
    assert "on Africa" not in title and "NATO summit" in title


def test_attendance_in_a_capacity_dereferences_with_its_names(server):
    turtle = server.get("/article/002_ecb604b8a81b9122/E23/african-delegations-rome-2021",
                        headers={"Accept": "text/turtle"}).text
    graph = rdflib.Graph().parse(data=turtle, format="turtle")
    schema = rdflib.Namespace("http://schema.org/")
    names = {str(o) for o in graph.objects(None, schema.roleName)}
    assert names == {"observer", "مراقب"}
