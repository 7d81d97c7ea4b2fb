"""The query page and an entity page in a real headless Chromium (Debian's), driven by Playwright.

Screenshots go to tests/artifacts/ so that a person can look at what the tests saw.
"""

from __future__ import annotations

import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not shutil.which("chromium"):
        pytest.fail("Debian's chromium is not installed: apt-get install -y chromium chromium-driver")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    errors, outside = [], []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # No CDN and no network: every request the page makes goes to the server under test.
    page.on("request", lambda request: None if request.url.startswith(server.url) else outside.append(request.url))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"
    assert outside == [], f"requests outside the server: {outside}"


def test_query_page_timeline_saved_query_and_table(page, server, artifacts):
    page.goto(server.url + "/")
    timeline = page.locator("#meetings-timeline svg")
    timeline.wait_for()
    text = timeline.text_content()
    assert "Skhirat" in text and "Riyadh" in text and "Marrakesh" in text
    assert "2022-05-11" in text and "2023-03-01 – 2023-03-02" in text
    assert page.locator("#meetings-timeline svg .event").count() >= 8

    page.select_option("#saved-select", "co-chairs")
    assert "coChairOf" in page.input_value("#query-text")
    page.click("#run-button")
    page.locator("#result-table table tbody tr").first.wait_for()
    rows = page.locator("#result-table tbody tr")
    assert rows.count() == 4
    labels = {rows.nth(i).locator("td").nth(2).inner_text() for i in range(4)}
    assert labels == {"Morocco", "United States", "Italy", "Niger"}
    arabic = page.locator("#result-table td[dir=rtl]").first
    assert arabic.evaluate("cell => getComputedStyle(cell).direction") == "rtl"
    assert page.locator("#result-table a[href='/id/morocco']").count() == 1
    csv_link = page.locator("#downloads a", has_text="csv")
    assert csv_link.get_attribute("href") == "/queries/co-chairs?group=africa-focus-group&format=csv"
    page.screenshot(path=str(artifacts / "query-page.png"), full_page=True)


def test_written_query_as_timeline(page, server, artifacts):
    page.goto(server.url + "/")
    page.locator("#meetings-timeline svg").wait_for()
    page.fill("#query-text", """PREFIX schema: <http://schema.org/>
PREFIX ckg: <https://w3id.org/coalition-kg/ontology#>
SELECT DISTINCT ?meeting ?start ?end WHERE { ?meeting a ckg:MinisterialMeeting ; schema:startDate ?start
  OPTIONAL { ?meeting schema:endDate ?end } } ORDER BY ?start""")
    page.keyboard.press("Control+Enter")
    page.locator("#result-table tbody tr").first.wait_for()
    assert page.locator("#result-table tbody tr").count() == 4  # Brussels 2018, Rome 2021, Marrakesh 2022, Riyadh 2023
    page.click("#tab-timeline")
    events = page.locator("#result-timeline svg .event")
    assert events.count() == 4
    assert "2022-05-11" in page.locator("#result-timeline svg").text_content()
    page.screenshot(path=str(artifacts / "query-timeline.png"), full_page=True)


def test_query_error_is_shown(page, server):
    page.goto(server.url + "/")
    page.fill("#query-text", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
    page.click("#run-button")
    # A locator, not wait_for_function("…"): the page's Content-Security-Policy forbids the eval that
    # Playwright's polling of a string predicate needs, so that check failed whenever the 403 was slow.
    page.locator("#status").filter(has_text="403").wait_for()


def test_follow_an_iri_to_its_entity_page(page, server, artifacts):
    page.goto(server.url + "/?saved=co-chairs")
    page.locator("#result-table a[href='/id/niger']").click()
    page.wait_for_url("**/id/niger")
    assert page.locator("h1[lang=en]").inner_text() == "Niger"
    assert page.locator("h1[lang=ar]").inner_text() == "النيجر"
    assert page.locator("h1[lang=ar]").evaluate("h => getComputedStyle(h).direction") == "rtl"
    marks = page.locator(".sentences mark")
    assert marks.count() >= 1
    quote = page.locator(".sentences blockquote").first
    assert quote.evaluate("q => getComputedStyle(q).direction") == "rtl"
    assert marks.first.evaluate("m => getComputedStyle(m).backgroundColor") != "rgba(0, 0, 0, 0)"
    page.screenshot(path=str(artifacts / "entity-niger.png"), full_page=True)


def test_meeting_page(page, server, artifacts):
    page.goto(server.url + "/id/marrakesh-ministerial-2022")
    assert "Marrakesh" in page.locator("h1[lang=en]").inner_text()
    assert page.locator("section.statements").locator("a[href='/id/morocco']").count() >= 1
    page.locator(".sentences .source a[href='/article/004_9eb9693275b328fe']").first.click()
    page.wait_for_url("**/article/004_9eb9693275b328fe")
    assert page.locator(".article-text a.mention").count() > 5
    page.screenshot(path=str(artifacts / "article-004.png"), full_page=True)


def test_sources_lead_to_graph_pages_and_types_to_the_ontology(page, server, artifacts):
    page.goto(server.url + "/id/rome-ministerial-2021")
    page.locator("section.statements a.chip.curated").first.click()
    page.wait_for_url("**/graph/curation")
    assert "curators" in page.locator(".graph-kind").inner_text()
    assert page.locator("table.triples tbody tr").count() > 10
    page.screenshot(path=str(artifacts / "graph-curation.png"), full_page=True)
    page.goto(server.url + "/id/rome-ministerial-2021")
    page.locator(".types a[href^='/ontology#']").first.click()
    page.wait_for_url("**/ontology#*")
    anchor = page.url.split("#", 1)[1]
    target = page.locator(f"dt[id='{anchor}']")
    assert target.count() == 1 and target.is_visible()
    assert page.locator("dt[id='Meeting'] .ar").inner_text() == "اجتماع"
    page.screenshot(path=str(artifacts / "ontology.png"), full_page=False)


# Terms the page script and the server must link and name alike: the graph's own IRIs, other http(s)
# IRIs, hostile schemes, a long s that Unicode case folding takes for an "s", characters browsers drop
# from URLs; and literals that are, or only look like, a seed article's file name.
SAME_IRIS = [
    "https://w3id.org/coalition-kg/id/morocco", "https://w3id.org/coalition-kg/article/002_ecb604b8a81b9122",
    "https://w3id.org/coalition-kg/graph/curation", "https://w3id.org/coalition-kg/ontology#Meeting",
    "https://w3id.org/coalition-kg/ontology", "https://w3id.org/coalition-kg/shapes#MeetingShape",
    "https://w3id.org/coalition-kg/", "http://www.wikidata.org/entity/Q1028", "http://xmlns.com/foaf/0.1/name",
    "http://schema.org/Place", "http://www.w3.org/2001/XMLSchema#date", "HTTPS://example.org/x",
    "https://example.org/a b", "javascript:alert(1)", "java\tscript:alert(1)", "httpſ://example.org/",
    "HTTPſ://example.org/", "http://a\nb", "https://x\u2028y", "mailto:a@b.c", "file:///etc/passwd",
    "urn:isbn:1", "http:relative", "//evil.example/",
]
SAME_LITERALS = ["003_9eb9693275b328fe.txt", "٠٠٣_9eb9693275b328fe.txt", "003_9eb9693275b328fe.txt\n",
                 "003_9EB9693275B328FE.txt", "the 003_9eb9693275b328fe.txt file"]


def _shown(html: str) -> tuple[str | None, str]:
    """(the link's href or None, the text) of one rendered cell."""
    import html as markup
    import re
    link = re.match(r'<a href="([^"]*)"', html)
    text = re.sub(r"<[^>]*>", "", html)
    return (markup.unescape(link.group(1)) if link else None), markup.unescape(text)


def test_the_page_script_links_and_names_terms_as_the_server_does(page, server):
    """app.js takes its link rules and prefix table from the page (linked_data.TERM_RULES), and draws a
    result table as the server's own table (_cell.html, with linked_data.local_href, compact and
    article_file_href) does."""
    import json

    from jinja2 import Environment, FileSystemLoader

    from coalition_kg.server import linked_data

    terms = [{"type": "uri", "value": v} for v in SAME_IRIS] + [{"type": "literal", "value": v} for v in SAME_LITERALS]
    answer = {"head": {"vars": ["term"]}, "results": {"bindings": [{"term": t} for t in terms]}}
    # The real script draws a crafted answer: the store could not hold most of these IRIs.
    page.route(server.url + "/sparql", lambda route: route.fulfill(
        status=200, body=json.dumps(answer), headers={"Content-Type": "application/sparql-results+json",
                                                      "Result-Rows": str(len(terms)), "Result-Truncated": "false"}))
    page.goto(server.url + "/")
    page.fill("#query-text", "SELECT ?term WHERE { ?term ?p ?o }")
    page.click("#run-button")
    page.locator("#result-table tbody tr").first.wait_for()
    in_browser = page.locator("#result-table tbody").evaluate(
        "body => [...body.querySelectorAll('td')].map(td => { const a = td.querySelector('a'); "
        "return [a ? a.getAttribute('href') : null, td.textContent]; })")

    templates = Environment(loader=FileSystemLoader(str(linked_data.SPARQL_DIR.parent / "templates")), autoescape=True)
    templates.globals.update(local_href=linked_data.local_href, compact=linked_data.compact,
                             article_file_href=linked_data.article_file_href)
    cell = templates.from_string('{% from "_cell.html" import cell %}{{ cell(t) }}')
    on_server = [_shown(cell.render(t=t)) for t in terms]
    assert [tuple(shown) for shown in in_browser] == on_server
    for term, (href, text) in zip(terms[:len(SAME_IRIS)], on_server):
        assert (href, text) == (linked_data.local_href(term["value"]), linked_data.compact(term["value"]))
    # What the cases are: a local page, an outside link, no link; a prefix of the table, or none.
    shown = dict(zip(SAME_IRIS + SAME_LITERALS, on_server))
    assert shown["https://w3id.org/coalition-kg/ontology#Meeting"] == ("/ontology#Meeting", "ckg:Meeting")
    assert shown["http://www.wikidata.org/entity/Q1028"] == ("http://www.wikidata.org/entity/Q1028", "wd:Q1028")
    assert shown["httpſ://example.org/"] == (None, "httpſ://example.org/")
    assert shown["003_9eb9693275b328fe.txt"][0] == "/article/003_9eb9693275b328fe"
    assert shown["٠٠٣_9eb9693275b328fe.txt"][0] is None
