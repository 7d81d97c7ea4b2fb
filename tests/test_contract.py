"""The linked-data contract (shared/CONTRACT.md): after the OWL RL closure, on the union of the named
graphs, the graph answers in schema.org, W3C ORG, PROV-O, Web Annotation and SKOS terms."""

from __future__ import annotations

from conftest import GRAPH, ID, STEMS, ask, select

MEETINGS = ["skhirat-2018", "brussels-ministerial-2018", "nato-summit-2018", "rome-ministerial-2021",
            "brussels-political-directors-2021", "marrakesh-ministerial-2022", "niamey-plenary-2023",
            "riyadh-ministerial-2023"]


def test_every_described_resource_has_english_and_arabic_labels(graph_store):
    rows = select(graph_store, """
        SELECT DISTINCT ?x WHERE {
          VALUES ?class { schema:Event schema:Person schema:Place org:Organization org:Role schema:NewsArticle }
          ?x a ?class .
          FILTER NOT EXISTS { ?x rdfs:label ?en FILTER(lang(?en) = "en") ?x rdfs:label ?ar FILTER(lang(?ar) = "ar") }
        }""")
    assert rows == []
    count = select(graph_store, "SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a schema:Place }")
    assert int(count[0]["n"]) >= 30


def test_arabic_label_is_the_seed_form_and_other_forms_are_alt_labels(graph_store):
    labels = select(graph_store, 'SELECT DISTINCT ?l WHERE { id:brussels rdfs:label ?l FILTER(lang(?l) = "ar") }')
    assert [r["l"] for r in labels] == ["بروكسل"]
    alt = {r["l"] for r in select(graph_store, "SELECT DISTINCT ?l WHERE { id:brussels skos:altLabel ?l }")}
    assert alt == {"بروكسيل"}
    group_alt = {r["l"] for r in select(graph_store, "SELECT DISTINCT ?l WHERE { id:africa-focus-group skos:altLabel ?l }")}
    assert "مجموعة النقاش المركزة لمنطقة إفريقيا" in group_alt


def test_articles_are_news_articles_with_identifier_language_and_dates(graph_store):
    rows = select(graph_store, """
        SELECT DISTINCT ?a ?id ?lang WHERE { ?a a schema:NewsArticle ; dcterms:identifier ?id ; schema:inLanguage ?lang }
        ORDER BY ?id""")
    assert [r["id"] for r in rows][:len(STEMS)] == [f"{s}.txt" for s in STEMS]  # added articles come after
    assert all(r["a"].endswith("/" + r["id"][:-4]) and r["lang"] == "ar" for r in rows)
    published = select(graph_store, "SELECT DISTINCT ?a ?d WHERE { ?a schema:datePublished ?d } ORDER BY ?d")
    assert [(r["a"].rsplit("/", 1)[1], r["d"]) for r in published] == [
        ("004_9eb9693275b328fe", "2022-05-11"), ("003_922b375491f8e4de", "2023-06-10")]
    author = select(graph_store, "SELECT ?p WHERE { ?a schema:author ?p ; dcterms:identifier '004_9eb9693275b328fe.txt' }")
    assert author[0]["p"] == ID + "mustapha-maiti"


def test_each_article_states_its_facts_in_its_own_named_graph(graph_store):
    # Stated by two articles (001 and 003): the co-chairs, in both graphs.
    rows = select(graph_store, """SELECT DISTINCT ?g WHERE { GRAPH ?g { id:niger ckg:coChairOf id:africa-focus-group } } ORDER BY ?g""")
    assert [r["g"] for r in rows] == [GRAPH + "001_eef99b9cc9c1a199", GRAPH + "003_922b375491f8e4de"]


def test_curated_knowledge_is_never_an_articles_statement(graph_store):
    rows = select(graph_store, """SELECT DISTINCT ?g WHERE { GRAPH ?g { id:rome-ministerial-2021 ckg:startDate ?d } }""")
    assert [r["g"] for r in rows] == [GRAPH + "curation"]
    reason = select(graph_store, """
        SELECT ?why ?from WHERE { GRAPH <https://w3id.org/coalition-kg/graph/curation> {
          ?f rdf:subject id:rome-ministerial-2021 ; rdf:predicate ckg:startDate ; rdfs:comment ?why ; prov:wasDerivedFrom ?from } }""")
    assert "Monday" in reason[0]["why"]
    assert reason[0]["from"].endswith("/article/002_ecb604b8a81b9122/T8")
    where = select(graph_store, "SELECT DISTINCT ?g WHERE { GRAPH ?g { id:brussels ckg:containedIn ?country } }")
    assert [r["g"] for r in where] == [GRAPH + "curation"]


def test_mentions_are_web_annotations_with_both_selectors(graph_store, built_project):
    rows = select(graph_store, """
        SELECT ?doc ?start ?end ?exact WHERE { GRAPH ?g {
          ?a a oa:Annotation ; oa:hasBody id:niger ; oa:hasTarget ?t .
          ?t oa:hasSource ?art ; oa:hasSelector ?p , ?q .
          ?p a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end .
          ?q a oa:TextQuoteSelector ; oa:exact ?exact .
          ?art dcterms:identifier ?doc } }""")
    assert len(rows) == 4  # twice in 001, twice in 003
    for row in rows:
        text = (built_project.seeds / row["doc"]).read_text(encoding="utf-8")
        assert text[int(row["start"]):int(row["end"])] == row["exact"] == "النيجر"


def test_inferred_knowledge_lives_in_its_own_graph(graph_store):
    rows = select(graph_store, "SELECT DISTINCT ?g WHERE { GRAPH ?g { id:marrakesh-ministerial-2022 a schema:Event } }")
    assert [r["g"] for r in rows] == [GRAPH + "inferred"]
    assert not ask(graph_store, "GRAPH <https://w3id.org/coalition-kg/graph/inferred> { ?s ckg:heldIn ?o }")


def test_meetings_are_events_and_activities_placed_in_cities_of_countries(graph_store):
    rows = select(graph_store, """
        SELECT DISTINCT ?m ?city ?country WHERE {
          ?m a schema:Event , prov:Activity ; schema:location ?city .
          ?city a schema:City ; schema:containedInPlace ?country . ?country a schema:Country }""")
    placed = {(r["m"][len(ID):], r["city"][len(ID):], r["country"][len(ID):]) for r in rows}
    assert {m for m, _, _ in placed} == set(MEETINGS)
    assert ("niamey-plenary-2023", "niamey", "niger") in placed
    assert ("riyadh-ministerial-2023", "riyadh", "saudi-arabia") in placed
    assert ("skhirat-2018", "skhirat", "morocco") in placed


def test_meeting_dates_at_the_precision_of_the_sources(graph_store):
    rows = select(graph_store, """
        SELECT DISTINCT ?m ?p ?d (DATATYPE(?d) AS ?t) WHERE { ?m a schema:Event ; ?p ?d
          VALUES ?p { schema:startDate schema:endDate } }""")
    got = {(r["m"][len(ID):], r["p"].rsplit("/", 1)[1], r["d"], r["t"].rsplit("#", 1)[1]) for r in rows}
    assert ("skhirat-2018", "startDate", "2018-06", "gYearMonth") in got
    assert not any(m == "skhirat-2018" and t == "date" for m, _, _, t in got)  # never invent a day
    assert ("niamey-plenary-2023", "startDate", "2023-03-01", "date") in got
    assert ("niamey-plenary-2023", "endDate", "2023-03-02", "date") in got
    assert ("marrakesh-ministerial-2022", "startDate", "2022-05-11", "date") in got
    assert ("riyadh-ministerial-2023", "startDate", "2023-06-08", "date") in got


def test_organizers_attendees_and_links_between_meetings(graph_store):
    organizers = {r["o"][len(ID):] for r in select(graph_store, "SELECT DISTINCT ?o WHERE { id:marrakesh-ministerial-2022 schema:organizer ?o }")}
    assert {"nasser-bourita", "antony-blinken", "morocco"} <= organizers
    rome = {r["o"][len(ID):] for r in select(graph_store, "SELECT DISTINCT ?o WHERE { id:rome-ministerial-2021 schema:organizer ?o }")}
    assert rome == {"luigi-di-maio", "antony-blinken"}
    attendees = {r["a"][len(ID):] for r in select(graph_store, "SELECT DISTINCT ?a WHERE { id:brussels-political-directors-2021 schema:attendee ?a }")}
    assert {"morocco", "nasser-bourita", "antony-blinken", "luigi-di-maio", "ide-alhassane", "john-godfrey"} <= attendees
    links = {(r["a"][len(ID):], r["b"][len(ID):]) for r in select(graph_store, "SELECT DISTINCT ?a ?b WHERE { ?a prov:wasInformedBy ?b }")}
    assert links == {("brussels-ministerial-2018", "skhirat-2018"), ("brussels-political-directors-2021", "skhirat-2018"),
                     ("riyadh-ministerial-2023", "marrakesh-ministerial-2022"), ("riyadh-ministerial-2023", "niamey-plenary-2023")}


def test_the_coalition_its_members_its_group_and_roles_in_org_terms(graph_store):
    assert ask(graph_store, "id:global-coalition a org:OrganizationalCollaboration")
    members = {r["m"][len(ID):] for r in select(graph_store, "SELECT DISTINCT ?m WHERE { id:global-coalition org:hasMember ?m }")}
    assert {"nato", "european-union", "arab-league", "interpol"} <= members  # stated by article 000
    assert ask(graph_store, "id:africa-focus-group org:subOrganizationOf id:global-coalition ; org:resultedFrom id:brussels-political-directors-2021")
    chairs = select(graph_store, """
        SELECT DISTINCT ?member ?role_en ?role_ar WHERE { ?ms a org:Membership ; org:member ?member ;
          org:organization id:africa-focus-group ; org:role ?role . ?role a org:Role ; rdfs:label ?role_en , ?role_ar
          FILTER(lang(?role_en) = "en" && lang(?role_ar) = "ar") }""")
    assert {(r["member"][len(ID):], r["role_en"]) for r in chairs} == {
        ("morocco", "co-chair"), ("united-states", "co-chair"), ("italy", "co-chair"), ("niger", "co-chair")}
    assert {r["role_ar"] for r in chairs} == {"الرئاسة المشتركة"}


def test_people_have_bilingual_job_titles_and_affiliations(graph_store):
    rows = select(graph_store, """
        SELECT DISTINCT ?t ?aff WHERE { id:ide-alhassane a schema:Person ; schema:jobTitle ?t ; schema:affiliation ?aff }""")
    assert {(r["t"], r["aff"][len(ID):]) for r in rows} == {("سفير النيجر في بروكسيل", "niger"), ("Ambassador of Niger in Brussels", "niger")}
    missing = select(graph_store, """SELECT DISTINCT ?p WHERE { ?p a schema:Person ; schema:jobTitle ?t FILTER NOT EXISTS { ?p schema:affiliation ?a } }""")
    assert missing == []


def test_wikidata_matches_only_where_confirmed(graph_store):
    rows = select(graph_store, "SELECT DISTINCT ?x ?q WHERE { ?x skos:exactMatch ?q }")
    matches = {r["x"][len(ID):]: r["q"].rsplit("/", 1)[1] for r in rows}
    assert matches["morocco"] == "Q1028" and matches["niamey"] == "Q3674" and matches["donald-trump"] == "Q22686"
    assert "antony-blinken" not in matches and "skhirat" not in matches
    assert not ask(graph_store, "?x owl:sameAs ?y")
