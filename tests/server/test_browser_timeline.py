"""The timelines and the result tables in a real headless Chromium, at desktop and phone widths.

The server here offers the project's own saved queries (queries/), as `ckg serve` does by default: the
home timeline reads how each start is known from the timeline query and the builds-on links from the
skhirat-to-riyadh query. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from .conftest import PROJECT_QUERIES as QUERIES
from .test_browser import browser  # noqa: F401  (the module's Chromium)

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def open_page(browser, server, viewport):  # noqa: F811
    context = browser.new_context(viewport=viewport, locale="en-US")
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(f"error: {error}"))
    page.on("console", lambda message: problems.append(f"console: {message.text}") if message.type == "error" else None)
    page.on("response", lambda response: problems.append(f"{response.status}: {response.url}") if response.status >= 400 else None)
    page.on("request", lambda request: None if request.url.startswith(server.url) else problems.append(f"outside: {request.url}"))
    return context, page, problems


@pytest.fixture(params=["desktop", "phone"])
def width(request):
    return request.param


@pytest.fixture
def session(browser, project_server, width):  # noqa: F811
    context, page, problems = open_page(browser, project_server, DESKTOP if width == "desktop" else PHONE)
    yield page, problems
    context.close()
    assert problems == [], problems


def body_overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def labels_inside(page, selector: str) -> list[str]:
    """The labels of a timeline that reach outside its drawing (none should)."""
    return page.eval_on_selector_all(selector + " svg .event text", """texts => texts.filter(text => {
        const box = text.getBBox(), width = text.ownerSVGElement.viewBox.baseVal.width;
        return box.x < 0 || box.x + box.width > width; }).map(text => text.textContent)""")


def test_home_timeline_marks_how_starts_are_known_and_links_meetings(session, project_server, artifacts, width):
    page, _ = session
    page.goto(project_server.url + "/")
    page.locator("#meetings-timeline svg .event").first.wait_for()
    events = page.locator("#meetings-timeline svg .event")
    assert events.count() == 8
    # Brussels 2018 (both), Rome 2021 and Brussels 2021 rest on the curators' outside sources; Riyadh's
    # Thursday is worked out from the article's date; Skhirat, Marrakesh and Niamey are stated.
    assert page.locator("#meetings-timeline .event.curated").count() == 4
    worked = page.locator("#meetings-timeline .event.worked-out")
    assert worked.count() == 1
    assert "Riyadh" in worked.text_content()
    assert "2023-06-10 (a Saturday)" in worked.locator("title").text_content()
    stated = page.locator("#meetings-timeline .event:not(.curated):not(.worked-out) title").all_text_contents()
    assert [title.split(",")[1].strip() for title in stated] == ["Skhirat", "Marrakesh", "Niamey"]
    # Drawn differently: a stated start filled, a worked-out one hollow, a curated one dashed.
    mark = "#meetings-timeline .event.{} :is(circle, rect)"
    assert page.locator(mark.format("curated")).first.evaluate("m => getComputedStyle(m).strokeDasharray") != "none"
    assert page.locator(mark.format("worked-out")).evaluate("m => getComputedStyle(m).fill") == "rgb(255, 255, 255)"
    brussels = page.locator("#meetings-timeline .event", has_text="2021-12-02")
    assert "yesterday, Thursday" in brussels.locator("title").text_content()
    # Never clipped: every label fits the drawing, shortened if need be, whole in its title.
    assert labels_inside(page, "#meetings-timeline") == []
    assert "Brussels, December 2021" in brussels.locator("title").text_content()
    # The builds-on links: Riyadh reaffirms Marrakesh and Niamey, Niamey (a plenary of the Africa
    # Focus Group, launched at Brussels 2021) leads back to Brussels 2021, which builds on Skhirat.
    arcs = page.locator("#meetings-timeline .links .builds-on title").all_text_contents()
    assert len(arcs) == 4
    assert any(a.startswith("10th ministerial meeting") and a.endswith("reaffirms 9th ministerial meeting of the Global Coalition, Marrakesh, May 2022") for a in arcs)
    assert any("builds on Regional meeting of the coalition's political directors on Africa, Skhirat" in a for a in arcs)
    assert any("plenary of Africa Focus Group, launched at" in a for a in arcs)
    assert body_overflow(page) == 0
    page.screenshot(path=str(artifacts / f"home-timeline-{width}.png"), full_page=True)


def run_written(page, server, text: str) -> None:
    page.goto(server.url + "/")
    page.locator("#meetings-timeline svg").wait_for()
    page.select_option("#saved-select", "")
    page.fill("#query-text", text)
    page.click("#run-button")
    page.locator("#result-table tbody tr").first.wait_for()


def test_coalition_size_points_are_its_numbers(session, project_server, artifacts, width):
    page, _ = session
    run_written(page, project_server, (QUERIES / "coalition-size.rq").read_text())
    page.click("#tab-timeline")
    numbers = page.locator("#result-timeline svg .event .number").all_text_contents()
    assert [n.split()[0] for n in numbers] == ["77", "84", "86", "86"]
    assert numbers[0] == "77 members"
    assert labels_inside(page, "#result-timeline") == []
    # The Arabic sentence, shortened at its end, in full in the title.
    first = page.locator("#result-timeline svg .event").first
    assert first.locator("text.ar").text_content().endswith("…")
    assert "يضم 77 عضوا" in first.locator("title").text_content()
    assert body_overflow(page) == 0
    page.screenshot(path=str(artifacts / f"timeline-coalition-size-{width}.png"), full_page=True)


def test_no_timeline_for_numbers_that_are_not_dates(session, project_server):
    page, _ = session
    # Code-point offsets (integers from 1000 up) once made a timeline of "years".
    run_written(page, project_server, """PREFIX ckg: <https://w3id.org/coalition-kg/ontology#>
SELECT DISTINCT ?mention ?start WHERE { ?mention ckg:start ?start FILTER(?start >= 1000) } ORDER BY ?start LIMIT 5""")
    assert page.locator("#result-table tbody tr").count() == 5
    assert page.locator("#tab-timeline").is_disabled()


def test_tables_link_sources_and_labels_and_fit_a_phone(session, project_server, artifacts, width):
    page, _ = session
    page.goto(project_server.url + "/?saved=attendance")
    page.locator("#result-table tbody tr").first.wait_for()
    # The source file names lead to their articles; a person's name to the person.
    source = page.locator("#result-table a", has_text="000_5ed4d548c76f9435.txt").first
    assert source.get_attribute("href") == "/article/000_5ed4d548c76f9435"
    person = page.locator("#result-table a", has_text="Mounia Boucetta").first
    assert person.get_attribute("href") == "/id/mounia-boucetta"
    assert body_overflow(page) == 0
    wrap = page.locator("#result-table")
    assert wrap.evaluate("box => box.scrollWidth > box.clientWidth") == (width == "phone")
    page.screenshot(path=str(artifacts / f"table-attendance-{width}.png"), full_page=True)
    source.click()
    page.wait_for_url("**/article/000_5ed4d548c76f9435")


def test_long_labels_are_clamped_and_open_on_click(session, project_server, width):
    page, _ = session
    page.goto(project_server.url + "/?saved=commitments")
    page.locator("#result-table tbody tr").first.wait_for()
    clamped = page.locator("#result-table .clamp").first
    full = clamped.get_attribute("title")
    assert len(full) > 90 and clamped.text_content() == full
    line = float(clamped.evaluate("c => parseFloat(getComputedStyle(c).lineHeight)"))
    assert clamped.bounding_box()["height"] <= 3 * line + 1
    clamped.click()
    assert clamped.bounding_box()["height"] > 3 * line + 1
    assert clamped.get_attribute("aria-expanded") == "true"
    clamped.focus()
    page.keyboard.press("Enter")
    assert clamped.bounding_box()["height"] <= 3 * line + 1


def test_the_address_holds_the_query_and_reloads_to_the_same_result(session, project_server, artifacts, width):
    page, _ = session
    page.goto(project_server.url + "/")
    page.locator("#meetings-timeline svg").wait_for()
    page.select_option("#saved-select", "entity-facts")
    page.fill("#saved-params input[data-param=entity]", "niger")
    page.click("#run-button")
    page.wait_for_url(lambda url: "entity=niger" in url)
    page.locator("#result-table tbody tr").first.wait_for()
    asked = parse_qs(urlsplit(page.url).query)
    assert asked == {"saved": ["entity-facts"], "entity": ["niger"]}
    before = page.locator("#result-table").inner_text()
    assert "Niger" in before
    page.reload()
    page.locator("#result-table tbody tr").first.wait_for()
    assert page.input_value("#saved-params input[data-param=entity]") == "niger"
    assert page.locator("#result-table").inner_text() == before

    # A written query, shown as a timeline: the address keeps both.
    run_written(page, project_server, (QUERIES / "coalition-size.rq").read_text())
    page.click("#tab-timeline")
    page.wait_for_url(lambda url: "view=timeline" in url)
    assert parse_qs(urlsplit(page.url).query)["query"] == [(QUERIES / "coalition-size.rq").read_text()]
    page.reload()
    page.locator("#result-timeline svg .event .number").first.wait_for()
    assert page.locator("#result-timeline").is_visible()
    assert [n.split()[0] for n in page.locator("#result-timeline svg .event .number").all_text_contents()] == ["77", "84", "86", "86"]


# Every kind of page at both widths, with its favicon and without overflow: test_browser_site.py.


def test_only_an_article_file_name_becomes_a_link(session, project_server, width):
    page, _ = session
    run_written(page, project_server, """SELECT ?value WHERE {
  VALUES ?value { "000_5ed4d548c76f9435.txt" "000_../../../sparql?q=.txt" "javascript:alert(1)" "001_EEF99B9CC9C1A199.txt" } }""")
    links = page.locator("#result-table tbody a")
    assert links.count() == 1
    assert links.first.get_attribute("href") == "/article/000_5ed4d548c76f9435"


def test_saved_query_page_links_sources_and_labels(project_server):
    html = project_server.get("/queries/attendance").text
    assert '<a href="/article/000_5ed4d548c76f9435" dir="auto">000_5ed4d548c76f9435.txt</a>' in html
    assert '<a href="/id/mounia-boucetta" lang="en" dir="auto">Mounia Boucetta</a>' in html
    # A long literal is clamped, the whole of it in its title.
    commitments = project_server.get("/queries/commitments").text
    assert 'class="clamp" title="The foreign ministers of the coalition' in commitments
