"""Every saved query, with the rows it must give, read off the seeds."""

from __future__ import annotations

import pytest

from coalition_kg.graph import saved_queries
from coalition_kg.graph.saved_queries import SavedQueryError
from conftest import ID, REPO

QUERIES = saved_queries.load_all(REPO / "queries")


def run(graph_store, name: str, **params) -> list[dict[str, str]]:
    text, substitutions = QUERIES[name].bound(params)  # as the server and `ckg query` bind them
    results = graph_store.query(text, substitutions=substitutions)
    names = [v.value for v in results.variables]
    return [{n: (s[n].value if s[n] is not None else None) for n in names} for s in results]


def short(iri: str | None) -> str | None:
    return iri[len(ID):] if iri and iri.startswith(ID) else iri


def test_every_saved_query_has_a_header_and_a_test():
    assert set(QUERIES) == {
        "timeline", "skhirat-to-riyadh", "africa-focus-group", "coalition-size", "who-spoke-for-whom",
        "entity-sentences", "repatriations", "commitments", "curated-knowledge", "entity-facts", "countries", "claims", "attendance"}
    for saved in QUERIES.values():
        assert saved.title and len(saved.description) > 40


def test_timeline(graph_store):
    rows = run(graph_store, "timeline")
    got = [(short(r["meeting"]), r["start"], r["end"], r["city_en"], r["country_en"], r["kind"], r["start_basis"]) for r in rows]
    assert got == [
        ("skhirat-2018", "2018-06", None, "Skhirat", "Morocco", "Meeting of political directors", "stated"),
        ("nato-summit-2018", "2018-07-11", "2018-07-12", "Brussels", "Belgium", "Summit", "curated"),
        ("brussels-ministerial-2018", "2018-07-12", None, "Brussels", "Belgium", "Ministerial meeting", "curated"),
        ("rome-ministerial-2021", "2021-06-28", None, "Rome", "Italy", "Ministerial meeting", "curated"),
        ("brussels-political-directors-2021", "2021-12-02", None, "Brussels", "Belgium", "Meeting of political directors", "curated"),
        ("marrakesh-ministerial-2022", "2022-05-11", "2022-05-11", "Marrakesh", "Morocco", "Ministerial meeting", "stated"),
        ("niamey-plenary-2023", "2023-03-01", "2023-03-02", "Niamey", "Niger", "Plenary meeting of a group", "stated"),
        ("riyadh-ministerial-2023", "2023-06-08", None, "Riyadh", "Saudi Arabia", "Ministerial meeting", "worked out"),
    ]
    assert [r["ordinal"] for r in rows if r["ordinal"]] == ["1", "9", "10"]
    assert rows[-1]["label_ar"] == "الاجتماع الوزاري العاشر للتحالف الدولي ضد داعش، الرياض، يونيو 2023"
    assert all(r["start_reasoning"] for r in rows if r["start_basis"] != "stated")


def test_timeline_of_a_meeting_held_in_no_city_names_none():
    """A meeting whose place is no city (a region) gets one row with no city, not one per labelled thing."""
    import pyoxigraph as ox

    store = ox.Store()
    store.load(b"""@prefix ckg: <https://w3id.org/coalition-kg/ontology#> . @prefix schema: <http://schema.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<http://example.org/m> a ckg:Meeting , ckg:Summit ; rdfs:label "M"@en , "\u0645"@ar ;
    schema:startDate "2020-01-01"^^xsd:date ; schema:location <http://example.org/sahel> .
<http://example.org/sahel> a schema:Place ; rdfs:label "Sahel"@en .
<http://example.org/niger> a schema:Country ; rdfs:label "Niger"@en .""", ox.RdfFormat.TURTLE)
    store.load(b'<https://w3id.org/coalition-kg/ontology#Summit> <http://www.w3.org/2000/01/rdf-schema#label> "Summit"@en .',
               ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode("https://w3id.org/coalition-kg/graph/ontology"))
    rows = run(store, "timeline")
    assert [(r["meeting"], r["city"], r["city_en"], r["country_en"], r["kind"]) for r in rows] == [
        ("http://example.org/m", None, None, None, "Summit")]


def test_skhirat_to_riyadh(graph_store):
    rows = run(graph_store, "skhirat-to-riyadh")
    got = {(short(r["later"]), r["link"], short(r["earlier"]), r["reaches_from"], r["article"]) for r in rows}
    assert got == {
        ("riyadh-ministerial-2023", "reaffirms", "marrakesh-ministerial-2022", "false", "003_922b375491f8e4de.txt"),
        ("riyadh-ministerial-2023", "reaffirms", "niamey-plenary-2023", "true", "003_922b375491f8e4de.txt"),
        ("niamey-plenary-2023", "plenary of", "africa-focus-group", "true", "003_922b375491f8e4de.txt"),
        ("africa-focus-group", "launched at", "brussels-political-directors-2021", "true", "001_eef99b9cc9c1a199.txt"),
        ("brussels-political-directors-2021", "builds on", "skhirat-2018", "true", "001_eef99b9cc9c1a199.txt"),
    }
    dates = {(short(r["later"]), r["later_date"]) for r in rows}
    assert ("riyadh-ministerial-2023", "2023-06-08") in dates and ("niamey-plenary-2023", "2023-03-01") in dates


def test_skhirat_to_riyadh_with_other_ends(graph_store):
    rows = run(graph_store, "skhirat-to-riyadh", to="brussels-ministerial-2018")
    assert {(short(r["later"]), r["link"], short(r["earlier"])) for r in rows} == {
        ("brussels-ministerial-2018", "continues", "skhirat-2018")}
    with pytest.raises(SavedQueryError, match="to="):
        QUERIES["skhirat-to-riyadh"].substitutions({"to": "not an iri"})


def test_africa_focus_group(graph_store):
    rows = run(graph_store, "africa-focus-group")
    got = {(r["aspect"], short(r["what"]), r["date"], r["place_en"], r["source"]) for r in rows}
    assert ("launched at", "brussels-political-directors-2021", "2021-12-02", "Brussels", "001_eef99b9cc9c1a199.txt") in got
    chairs = {(w, s) for a, w, _, _, s in got if a == "co-chair"}
    assert chairs == {(c, f) for c in ("morocco", "united-states", "italy", "niger")
                      for f in ("001_eef99b9cc9c1a199.txt", "003_922b375491f8e4de.txt")}
    assert ("plenary", "niamey-plenary-2023", "2023-03-01", "Niamey", "003_922b375491f8e4de.txt") in got
    assert ("document", "afg-action-plan", None, None, "003_922b375491f8e4de.txt") in got
    # «التي تم تبنيها في الاجتماع العام … في مارس 2023»: Niamey adopted the plan; Riyadh endorsed it
    adopted = {w for a, w, _, _, _ in got if a == "adopted its action plan"}
    assert adopted == {"niamey-plenary-2023"}
    endorsed = {w for a, w, _, _, _ in got if a == "endorsed its action plan"}
    assert endorsed == {"riyadh-ministerial-2023"}


def test_coalition_size(graph_store):
    rows = run(graph_store, "coalition-size")
    got = [(r["date"], r["date_basis"], r["count"], r["measure"], r["article"]) for r in rows]
    assert got == [
        ("2018-07-12", "meeting", "77", "members", "000_5ed4d548c76f9435.txt"),
        ("2021-12-02", "meeting", "84", "members", "001_eef99b9cc9c1a199.txt"),
        ("2023-06-08", "meeting", "86", "participating-members", "003_922b375491f8e4de.txt"),
        ("2023-06-10", "article", "86", "countries-and-organizations", "003_922b375491f8e4de.txt"),
    ]
    assert "77 عضوا" in rows[0]["sentence"] and "84 عضوا" in rows[1]["sentence"]


def test_who_spoke_for_whom(graph_store):
    rows = {short(r["person"]): r for r in run(graph_store, "who-spoke-for-whom")}
    assert rows["ide-alhassane"]["post_ar"] == "سفير النيجر في بروكسيل"
    assert rows["ide-alhassane"]["serves_en"] == "Niger"
    assert "launch of the Africa Focus Group" in rows["ide-alhassane"]["meetings"]
    assert rows["mounia-boucetta"]["serves_en"] == "Morocco"
    assert "Brussels, July 2018" in rows["mounia-boucetta"]["meetings"]
    assert rows["antony-blinken"]["post_en"] == "United States Secretary of State"
    assert set(rows["antony-blinken"]["post_ar"].split(" | ")) == {"وزير الخارجية الأمريكي", "وزير الخارجية الأمريكية"}
    assert "Rome, June 2021" in rows["antony-blinken"]["meetings"]
    assert rows["victoria-nuland"]["serves_en"] == "United States" and "Marrakesh" in rows["victoria-nuland"]["meetings"]
    assert rows["ismail-chekkori"]["name_ar"] == "إسماعيل الشقوري" and "Riyadh" in rows["ismail-chekkori"]["meetings"]
    assert len(rows) == 11


def test_entity_sentences(graph_store):
    rows = run(graph_store, "entity-sentences", entity="niamey")
    assert [(r["article"], r["mention"], r["start"], r["end"]) for r in rows] == [
        ("003_922b375491f8e4de.txt", "نيامي", "661", "666")]
    assert rows[0]["sentence"].endswith("الذي عقد يومي 1 و 2 مارس 2023 في نيامي.")
    group = run(graph_store, "entity-sentences")  # default: the Africa Focus Group
    assert {r["article"] for r in group} == {"001_eef99b9cc9c1a199.txt", "003_922b375491f8e4de.txt"}
    assert "مجموعة النقاش المركزة لمنطقة إفريقيا" in {r["mention"] for r in group}
    full = run(graph_store, "entity-sentences", entity=ID + "skhirat")
    assert {r["article"] for r in full} == {"000_5ed4d548c76f9435.txt", "001_eef99b9cc9c1a199.txt"}


def test_repatriations(graph_store):
    rows = {(short(r["who"]), r["from_en"]): r for r in run(graph_store, "repatriations")}
    assert rows[("kazakhstan", None)]["count"] == "600"
    assert rows[("kazakhstan", None)]["returnees"] == "fighters-and-families"
    assert rows[("sdf", None)]["count"] == "10000" and rows[("sdf", None)]["kind"] == "detention"
    assert rows[("uzbekistan", "Afghanistan, Syria")]["returnees"] == "families"
    assert {w for w, f in rows if f == "Iraq"} == {"uzbekistan", "tajikistan", "kyrgyzstan"}
    assert {"bosnia-and-herzegovina", "kosovo", "north-macedonia", "italy"} <= {w for w, _ in rows}


def test_commitments(graph_store):
    rows = run(graph_store, "commitments")
    rome = [r for r in rows if r["meeting_en"] and "Rome" in r["meeting_en"]]
    assert {r["kind"] for r in rome} == {"commitment", "proposal"}
    blinken = [r for r in rome if r["kind"] == "proposal"]
    assert blinken[0]["who_en"] == "Antony Blinken" and "اقترح" in blinken[0]["words"]
    assert any(r["who_en"] == "Morocco" and "Marrakesh" in (r["meeting_en"] or "") for r in rows)


def test_curated_knowledge(graph_store):
    rows = run(graph_store, "curated-knowledge")
    facts = {(short(r["subject"]), r["predicate"].rsplit("#", 1)[1], short(r["object"])) for r in rows}
    assert ("rome-ministerial-2021", "startDate", "2021-06-28") in facts
    assert ("brussels", "containedIn", "belgium") in facts
    assert all(r["reason"] for r in rows)
    # the 23 facts of curation.toml, and the two Arabic titles the articles do not hold (000, 004)
    assert len({(r["subject"], r["predicate"], r["object"]) for r in rows}) == 25


def test_parameters_are_checked():
    entity = QUERIES["entity-sentences"]
    with pytest.raises(SavedQueryError, match="has no parameter who"):
        entity.substitutions({"who": "x"})
    with pytest.raises(SavedQueryError, match="expected an IRI or a registry id"):
        entity.substitutions({"entity": "<script>"})


def test_entity_facts(graph_store):
    rows = run(graph_store, "entity-facts")  # default: the Marrakesh ministerial
    stated = {(r["relation"], short(r["object_en"]) if r["object_en"] else r["value"], r["source"]) for r in rows}
    assert ("start date", "2022-05-11", "003_922b375491f8e4de.txt") in stated
    assert ("end date", "2022-05-11", "004_9eb9693275b328fe.txt") in stated
    assert ("convened by", "Nasser Bourita", "004_9eb9693275b328fe.txt") in stated
    assert ("reaffirms", "9th ministerial meeting of the Global Coalition, Marrakesh, May 2022", "003_922b375491f8e4de.txt") in stated
    bourita = next(r for r in rows if r["object_en"] == "Nasser Bourita")
    assert "ناصر بوريطة" in bourita["words"] and "بدعوة مشتركة" in bourita["sentence"]
    brussels = run(graph_store, "entity-facts", entity="brussels")
    curated = [r for r in brussels if r["source"] == "curation"]
    assert {r["object_en"] for r in curated} == {"Belgium", "Brussels"} and all(r["reason"] for r in curated)
    assert brussels[-1]["source"] == "curation"  # the articles' statements come first


def test_countries(graph_store):
    rows = {short(r["country"]): r for r in run(graph_store, "countries")}
    morocco = rows["morocco"]
    assert (morocco["mentions"], morocco["articles"], morocco["hosted"], morocco["co_chaired"], morocco["co_chairs_groups"]) == (
        "17", "3", "2", "1", "1")
    assert rows["uzbekistan"]["repatriations"] == "2" and rows["kazakhstan"]["repatriations"] == "1"
    assert rows["belgium"]["mentions"] == "0"  # curated only
    assert list(rows)[0] == "morocco" and len(rows) == 19  # 18 named in the seeds, and Belgium


def _rows(graph_store, text: str, substitutions: dict) -> list[tuple]:
    results = graph_store.query(text, substitutions=substitutions)
    names = [v.value for v in results.variables]
    return sorted(tuple(str(s[n]) for n in names) for s in results)


@pytest.mark.parametrize("name, values", [
    ("entity-sentences", {}), ("entity-sentences", {"entity": "niamey"}), ("entity-sentences", {"entity": "skhirat"}),
    ("entity-facts", {"entity": "morocco"}), ("skhirat-to-riyadh", {}),
])
def test_both_bindings_give_the_same_rows(graph_store, name, values):
    """A query's `# binding:` changes how fast it runs, never what it answers."""
    saved = QUERIES[name]
    substitutions = saved.substitutions(values)
    by_substitution = _rows(graph_store, saved.text, substitutions)
    by_inlining = _rows(graph_store, saved_queries.inline(saved.text, substitutions), {})
    assert by_substitution == by_inlining and by_substitution


def test_inline_binding_writes_terms_that_cannot_change_the_query():
    saved = QUERIES["entity-sentences"]
    assert saved.binding == "inline"
    text, substitutions = saved.bound({"entity": "niamey"})
    assert substitutions == {}
    assert f"(<{ID}niamey> AS ?entity)" in text and f"oa:hasBody <{ID}niamey>" in text
    assert saved.text.split("SELECT", 1)[0] == text.split("SELECT", 1)[0]  # prologue and header untouched
    # A string value is one N-Triples literal whatever it holds.
    import pyoxigraph as ox

    hostile = ox.Literal('x" } } ; DROP ALL # \\ ')
    query = saved_queries.inline('SELECT ?v WHERE { ?s ?p ?v }', {ox.Variable("v"): hostile})
    solutions = list(ox.Store().query(query))  # it parses: the value stayed one literal
    assert solutions == [] and query.count(str(hostile)) == 2  # in the projection and in the pattern
