"""The whole site in a real headless Chromium (Debian's), at a phone's width and a desktop's: every kind of
page loads without a console error, a failed request or a request outside the server, fits the screen
(no sideways scrolling on a phone, with its folded parts opened too), and leaves a screenshot in
tests/artifacts/; the search box works typed in English and in Arabic; and every link reachable from
the home page and the indexes answers 200 (crawled over HTTP, many at a time, for speed).

The server offers the project's own saved queries (queries/), as `ckg serve` does by default.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from .test_browser import browser  # noqa: F401  (the module's Chromium)
from .test_browser_timeline import DESKTOP, PHONE, body_overflow, open_page

WIDTHS = {"desktop": DESKTOP, "phone": PHONE}

# One page (or more) of every kind the site serves.
PAGES = {
    "home": "/",
    "home-saved-query": "/?saved=coalition-size",
    "entity-index": "/id/",
    "article-index": "/article/",
    "saved-queries": "/queries",
    "saved-query": "/queries/coalition-size",
    "saved-query-with-parameter": "/queries/entity-facts?entity=africa-focus-group",
    "search-english": "/search?q=Marrakesh",
    "search-arabic": "/search?q=%D8%A8%D9%85%D8%B1%D8%A7%D9%83%D8%B4",  # بمراكش
    "meeting": "/id/marrakesh-ministerial-2022",
    "group": "/id/africa-focus-group",
    "coalition": "/id/global-coalition",
    "country": "/id/kazakhstan",
    "person": "/id/antony-blinken",
    "membership": "/id/membership/morocco/co-chair/africa-focus-group",
    "article": "/article/004_9eb9693275b328fe",
    "sentence": "/article/004_9eb9693275b328fe/s4",
    "count-record": "/article/004_9eb9693275b328fe/E2",
    "statement-record": "/article/001_eef99b9cc9c1a199/R12",
    "article-graph": "/graph/004_9eb9693275b328fe",
    "curation-graph": "/graph/curation",
    "inferred-graph": "/graph/inferred",
    "curated-fact": "/graph/curation/fact1",
    "ontology": "/ontology",
}


def squeezed(page) -> list[str]:
    """Words squeezed into a column too narrow to read (a table cell a few letters wide fits the screen and
    still cannot be read): visible elements holding a dozen letters or more in less than 48 px."""
    return page.evaluate("""() => [...document.querySelectorAll('main td, main th, main li, main p, main a, main h3')]
      .filter(e => e.textContent.trim().length >= 12)
      .map(e => [e, e.getBoundingClientRect()])
      .filter(([e, r]) => r.width > 0 && r.height > 0 && r.width < 48)
      .map(([e, r]) => `${e.tagName} ${Math.round(r.width)}px: ${e.textContent.trim().slice(0, 40)}`)""")


@pytest.fixture(scope="module")
def site(project_server):
    return project_server


@pytest.fixture(params=list(WIDTHS))
def width(request):
    return request.param


@pytest.fixture
def session(browser, site, width):  # noqa: F811
    context, page, problems = open_page(browser, site, WIDTHS[width])
    yield page, problems
    context.close()
    assert problems == [], problems


@pytest.mark.parametrize("kind", list(PAGES))
def test_every_kind_of_page_loads_cleanly_and_fits(session, site, artifacts, width, kind):
    page, problems = session
    response = page.goto(site.url + PAGES[kind], wait_until="networkidle")
    assert response.status == 200
    assert page.locator("link[rel=icon]").get_attribute("href") == "/static/favicon.svg"
    assert page.locator("header.site form.search input[name=q]").count() == 1
    assert body_overflow(page) == 0, f"{kind} is wider than the screen"
    page.screenshot(path=str(artifacts / f"site-{kind}-{width}.png"), full_page=True)
    # Opened, the folded parts (an entity's inferred restatements) fit too.
    for summary in page.locator("details:not([open]) > summary").all():
        summary.click()
    assert body_overflow(page) == 0, f"{kind}, its folded parts opened, is wider than the screen"
    assert squeezed(page) == []
    assert problems == []


def test_an_unknown_id_answers_a_404_page_that_fits(browser, site, artifacts, width):  # noqa: F811
    context, page, problems = open_page(browser, site, WIDTHS[width])
    try:
        response = page.goto(site.url + "/id/bourita", wait_until="networkidle")
        assert response.status == 404
        assert page.locator("a[href='/id/nasser-bourita']").count() >= 1
        assert body_overflow(page) == 0
        page.screenshot(path=str(artifacts / f"site-not-found-{width}.png"), full_page=True)
        # The 404 of the page itself (and the console's line about it) is all that went wrong.
        assert [p for p in problems if "/id/bourita" not in p and "status of 404" not in p] == []
        assert len(problems) == 2, problems
    finally:
        context.close()


@pytest.mark.parametrize("typed, first_hit", [("Marrakesh", "/id/marrakesh"), ("بمراكش", "/id/marrakesh"),
                                               ("Blinken", "/id/antony-blinken"), ("الرياض", "/id/riyadh")])
def test_the_search_box_typed_in_english_and_arabic(session, site, artifacts, width, typed, first_hit):
    page, _ = session
    page.goto(site.url + "/id/")
    box = page.locator("header.site form.search input[name=q]")
    box.click()
    box.type(typed)  # key by key, as a person types (the Arabic right to left in the box)
    box.press("Enter")
    page.wait_for_url("**/search?q=*")
    assert page.locator("ol.search-hits li").first.locator("a").first.get_attribute("href") == first_hit
    assert page.locator("form.search-page input[name=q]").input_value() == typed
    assert body_overflow(page) == 0
    name = "english" if typed.isascii() else "arabic"
    page.screenshot(path=str(artifacts / f"site-typed-search-{name}-{first_hit.rsplit('/', 1)[1]}-{width}.png"), full_page=True)


def test_a_reference_leads_to_its_sentence_and_the_inferred_twins_unfold(session, site, artifacts, width):
    page, _ = session
    page.goto(site.url + "/id/marrakesh-ministerial-2022")
    folded = page.locator("details.restated .statement-group").first
    assert not folded.is_visible()  # schema:location, schema:organizer … are folded away
    page.locator("details.restated > summary").click()
    assert folded.is_visible() and "schema:location" in page.locator("details.restated").inner_text()
    figure = page.locator("ul.figures li", has_text="47 ministers")
    assert "47" in figure.locator("mark").all_inner_texts()
    assert figure.locator("blockquote").first.evaluate("q => getComputedStyle(q).direction") == "rtl"
    figure.locator("a", has_text="sentence 4").click()
    page.wait_for_url("**/article/004_9eb9693275b328fe#s4")
    sentence = page.locator(".article-text #s4")
    assert "47" in sentence.inner_text()
    assert sentence.evaluate("s => getComputedStyle(s).backgroundColor") != "rgba(0, 0, 0, 0)"  # :target
    page.screenshot(path=str(artifacts / f"site-reference-to-sentence-{width}.png"), full_page=False)


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.links += [value for name, value in attrs if name in ("href", "src") and value]


def test_every_link_reachable_from_home_and_the_indexes_answers_200(site):
    """Breadth first from /, the indexes, the saved queries and the ontology: each internal link (a page,
    a stylesheet, a script, an RDF twin, a download) is fetched once and must answer 200; HTML pages
    are read for more links. Four at a time, each with a patient timeout."""
    local = requests.Session()

    def fetch(path: str):
        response = local.get(site.url + path, timeout=120)
        html = response.text if response.headers.get("Content-Type", "").startswith("text/html") else ""
        return path, response.status_code, html

    answers: dict[str, int] = {}
    found_on: dict[str, str] = {}
    frontier = ["/", "/id/", "/article/", "/queries", "/ontology"]
    with ThreadPoolExecutor(4) as pool:
        while frontier:
            batch = [p for p in dict.fromkeys(frontier) if p not in answers]
            frontier = []
            for path, status, html in pool.map(fetch, batch):
                answers[path] = status
                if not html:
                    continue
                parser = _Links()
                parser.feed(html)
                for link in parser.links:
                    target = urlsplit(urljoin(path, link))
                    if target.scheme or target.netloc:
                        continue  # outside the site (Wikidata, the standard vocabularies)
                    href = target.path + (f"?{target.query}" if target.query else "")
                    if href not in answers:
                        found_on.setdefault(href, path)
                        frontier.append(href)
    failed = {path: (status, found_on.get(path)) for path, status in answers.items() if status != 200}
    assert failed == {}
    # The crawl reached every kind of page: all entities and articles, records, graphs, twins, downloads.
    assert len([p for p in answers if p.startswith("/id/") and "?" not in p]) >= 100
    for expected in ["/article/004_9eb9693275b328fe", "/article/004_9eb9693275b328fe/E2", "/graph/curation",
                     "/id/membership/morocco/co-chair/africa-focus-group", "/queries/coalition-size?format=csv",
                     "/id/marrakesh-ministerial-2022?format=turtle", "/static/favicon.svg"]:
        assert expected in answers, expected
