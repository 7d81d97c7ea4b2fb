"""The web side of issue 8, against the real server: hostile paths are 4xx, every method on every route
has a proper status, abused headers and parameters are 4xx or a right answer, pages carry their
security headers, a redirect names no host, a query and an update together are 400, links made from
data are only http(s), and the access log holds one line per request whatever the request held.

Requests that a client library would refuse or tidy (control characters, odd methods, bytes that are
not UTF-8) go over a raw socket. Each sweep is a few hundred requests to 127.0.0.1.
"""

from __future__ import annotations

import random
import re
import socket
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from jinja2 import Environment, FileSystemLoader

from coalition_kg.server import linked_data

from .conftest import start_server, stop_server
from .test_browser import browser  # noqa: F401  (a fixture: Debian's Chromium, as test_browser.py starts it)

TEMPLATES = Path(linked_data.__file__).parent / "templates"
ARTICLE = "004_9eb9693275b328fe"


# --- a raw HTTP client ----------------------------------------------------------------------------

def raw_request(server, method: bytes, target: bytes, headers: dict[bytes, bytes] | None = None,
                body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    """One request exactly as given, on its own connection: (status, headers, body)."""
    port = int(server.url.rsplit(":", 1)[1])
    lines = [method + b" " + target + b" HTTP/1.1", b"Host: 127.0.0.1", b"Connection: close",
             b"Content-Length: " + str(len(body)).encode()]
    lines += [name + b": " + value for name, value in (headers or {}).items()]
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, payload = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    assert len(parts) >= 2 and parts[0].startswith("HTTP/"), f"no status line for {method!r} {target!r}: {data[:200]!r}"
    answer_headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        answer_headers[name.strip().lower()] = value.strip()
    return int(parts[1]), answer_headers, payload


class LogWatch:
    """What the server's log gained while a sweep ran."""

    def __init__(self, server):
        self.path = server.log
        self.start = self.path.stat().st_size

    def new_text(self) -> str:
        with open(self.path, "rb") as log:
            log.seek(self.start)
            return log.read().decode("utf-8", "replace")


# --- finding 5 (paths): any path under the resource roots is 4xx, never 500 -------------------------

ROOTS = ("/id/", "/article/", "/graph/", "/ontology/", "/queries/", "/static/")

# Percent-encoded, as a browser or a script would send them.
HOSTILE = [
    "a%20b", "%3C", "%3E", "%22x", "%27", "%00", "%0A", "%0D%0Aforged", "%09", "%7F", "%FF", "%C0%AF",
    "%ED%A0%80", "%E2", "%F0%9F%99", "%25", "%", "%zz", "%5C", "%7B%7D", "%7C", "%5E", "%60", "%23%23",
    "..", "..%2F..%2Fetc%2Fpasswd", "%2F", "%2e%2e/%2e%2e", "a/../../b", ".", "%E2%80%AE", "%EF%BB%BF",
    "%EF%BF%BD", "caf%C3%A9", "%F0%9F%99%82", "%D8%A7%D9%84", "%3Cscript%3Ealert(1)%3C/script%3E",
    "javascript:alert(1)", "x" * 4000, "%41" * 500, "a?b", "a;b", "a%3Fb", "morocco%00", "morocco.rq",
    "co-chairs%0A", "co-chairs.rq%00", "'\"", "<>", "{x}", "|", "\\", "^", "`",
]

# Characters that no IRI may hold, and some that it may, mixed at random with a fixed seed.
_ALPHABET = [" ", "<", ">", '"', "{", "}", "|", "\\", "^", "`", "%", "\n", "\t", "\x00", "\x7f", "\x85",
             "\u202e", "\ufeff", "\ufffd", "é", "ع", "🙂", "/", ".", "#", "?", ":", "@", "a", "Z", "0"]


def generated_paths(count: int, seed: int = 8) -> list[bytes]:
    rng = random.Random(seed)
    paths = []
    for i in range(count):
        text = "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(1, 12)))
        paths.append(ROOTS[i % len(ROOTS)].encode() + quote(text, safe="/").encode())
    return paths


def hostile_paths() -> list[bytes]:
    paths = [root.encode() + h.encode() for root in ROOTS for h in HOSTILE]
    # Every byte, percent-encoded, once, under each root in turn.
    paths += [ROOTS[b % len(ROOTS)].encode() + b"x%" + f"{b:02X}".encode() + b"y" for b in range(256)]
    # Bytes sent raw in the request line (the HTTP layer may refuse them first: a 4xx either way).
    paths += [root.encode() + raw for root in ROOTS for raw in (b"\xff", b"caf\xc3\xa9", b"%00\xc0", b"a\x7fb")]
    return paths + generated_paths(60)


def test_the_reported_paths(server):
    for path in ("/id/a%20b", "/id/%3C", "/graph/%22x"):
        response = server.get(path)
        assert response.status_code == 400, (path, response.status_code, response.text)
        assert "cannot be the path of an IRI" in response.text
    for path in ("/id/no-such-entity", "/id/caf%C3%A9", "/article/%2e%2e", "/graph/nothing-here"):
        assert server.get(path).status_code == 404, path
    assert server.get("/id/morocco").status_code == 200  # and the good ones still answer


def test_bytes_that_are_not_utf8_are_400(server):
    status, _, body = raw_request(server, b"GET", b"/id/%FF%FE", {b"Accept": b"text/turtle"})
    assert status == 400 and b"not UTF-8" in body


def _names_an_index(path: bytes) -> bool:
    """/id/%2F is /id// once decoded, and doubled slashes merge: the entity index, rightly a 200."""
    decoded = re.sub(rb"(?i)%2f", b"/", path)
    return re.fullmatch(rb"/(id|article)/+", decoded) is not None


def test_hostile_paths_are_client_errors(server):
    watch = LogWatch(server)
    paths = hostile_paths()
    assert 500 < len(paths) < 800  # bounded, and wide
    wrong = {}
    for i, path in enumerate(paths):
        # A page for people and RDF for programs take different ways through the server: both are swept.
        accept = ("text/html", "text/turtle", "*/*")[i % 3]
        status, headers, body = raw_request(server, b"GET", path, {b"Accept": accept.encode()})
        if status == 308:  # doubled slashes are merged: the path the redirect names must be a 4xx then
            location = headers["location"]
            assert location.startswith("/") and not location.startswith("//"), location
            status, _, body = raw_request(server, b"GET", location.encode("latin-1"), {b"Accept": accept.encode()})
        if not 400 <= status < 500 and not (status == 200 and _names_an_index(path)):
            wrong[path[:80]] = (status, body[:120])
    assert wrong == {}
    log = watch.new_text()
    assert "Traceback" not in log and "unexpected error" not in log


def test_ontology_versions(server):
    turtle = {"Accept": "text/turtle"}
    assert server.get("/ontology/0.1.0", headers=turtle).status_code == 200
    missing = server.get("/ontology/9.9.9", headers=turtle)
    assert missing.status_code == 404 and "ontology/0.1.0" in missing.text
    assert server.get("/ontology/%3Cx%3E", headers=turtle).status_code == 400


# --- every method on every route ----------------------------------------------------------------

METHODS = [b"GET", b"HEAD", b"POST", b"PUT", b"DELETE", b"PATCH", b"OPTIONS", b"TRACE", b"CONNECT",
           b"PROPFIND", b"MKCOL", b"FOO", b"get", b"G3T", b"X" * 64]
ROUTES = [b"/", b"/sparql", b"/sparql?query=ASK%7B%7D", b"/queries", b"/queries.json", b"/queries/co-chairs",
          b"/queries/co-chairs.rq", b"/queries/nope", b"/id/morocco", b"/article/" + ARTICLE.encode(),
          b"/graph/curation", b"/ontology", b"/ontology/0.1.0", b"/health", b"/static/app.js", b"/nowhere",
          b"/static/../server/app.py"]


def test_every_method_on_every_route(server):
    watch = LogWatch(server)
    wrong, statuses = {}, {}
    for method in METHODS:
        for route in ROUTES:
            body = b"ASK {}" if method == b"POST" else b""
            status, headers, payload = raw_request(server, method, route, {b"Content-Type": b"application/sparql-query"}, body)
            statuses[method, route] = status
            if not 200 <= status < 500:
                wrong[method[:10], route] = (status, payload[:120])
    assert wrong == {}
    # Read-only: nothing but GET, HEAD, POST (to /sparql) and OPTIONS is ever carried out.
    for method in (b"PUT", b"DELETE", b"PATCH", b"PROPFIND", b"TRACE", b"FOO"):
        for route in ROUTES:
            assert statuses[method, route] >= 400, (method, route)
    assert statuses[b"GET", b"/static/../server/app.py"] == 404
    log = watch.new_text()
    assert "Traceback" not in log and "unexpected error" not in log


# --- abused headers and parameters --------------------------------------------------------------

SELECT_ONE = "/sparql?query=" + quote("SELECT * { ?s ?p ?o } LIMIT 1")
HEADER_ROUTES = ["/", SELECT_ONE, "/queries", "/queries/co-chairs", "/id/morocco", "/graph/curation", "/ontology"]
ACCEPTS = ["*/*;q=abc", "text/html;q=-1", "application/json;q=1e999", "a/b;" * 2000, ",,,;;;", "*/*;q=NaN",
           "text/html;q=0.5;q=0.9", "application/sparql-results+json;q=" + "9" * 300, "/", "text/turtle;charset=\""]
DATES = ["Tue, 31 Feb 99999 25:61:61 GMT", "0", "-1", "x" * 3000, "Fri, 31 Dec 9999 23:59:59 GMT",
         "Mon, 01 Jan 0001 00:00:00 GMT", "Thu, 01 Jan 1970 00:00:00 GMT"]
ETAGS = ["*", '"', "W/", '"a",' * 1000, ",,,", 'W/"x", *', "\x7f"]


def test_abused_headers(server):
    watch = LogWatch(server)
    wrong = {}
    for route in HEADER_ROUTES:
        cases = [{"Accept": a} for a in ACCEPTS] + [{"If-Modified-Since": d} for d in DATES] + \
                [{"If-None-Match": t} for t in ETAGS]
        for headers in cases:
            response = server.get(route, headers=headers)
            if response.status_code >= 500:
                wrong[route, str(headers)[:60]] = response.status_code
            elif response.status_code >= 400:
                assert response.status_code in (400, 406, 431), (route, headers, response.status_code)
    assert wrong == {}
    assert "Traceback" not in watch.new_text()


def test_absurd_validators_do_not_fake_freshness(server):
    # A date in the year 9999 is after the build, so 304 is right; garbage is no date at all: 200.
    assert server.get("/id/morocco", headers={"If-Modified-Since": "x" * 3000}).status_code == 200
    assert server.get("/id/morocco", headers={"If-None-Match": '"not-ours"'}).status_code == 200
    assert server.get("/id/morocco", headers={"If-Modified-Since": "Fri, 31 Dec 9999 23:59:59 GMT"}).status_code == 304


@pytest.mark.parametrize("route", [SELECT_ONE, "/queries/co-chairs", "/id/morocco", "/graph/curation", "/ontology"])
def test_format_garbage_is_406(server, route):
    joiner = "&" if "?" in route else "?"
    for garbage in ("garbage", "%00", "json%0Axml", "x" * 500):
        response = server.get(route + joiner + "format=" + garbage)
        assert response.status_code == 406, (route, garbage, response.status_code)


def test_repeated_parameters_and_bad_content_types(server):
    assert server.get("/sparql?query=ASK%7B%7D&query=ASK%7B%7D").status_code == 400
    assert server.get("/queries/co-chairs?group=a&group=b").status_code == 400
    bodies = {
        "application/sparql-query; charset=latin-1": 415,
        "application/sparql-query; charset": 200,
        'application/sparql-query;charset="utf-8': 200,
        "application/x-www-form-urlencoded; ;;=": 400,  # the body ASK {} is no query=… form
        ";": 415,
        "text/plain": 415,
        "multipart/form-data; boundary=x": 415,
    }
    for content_type, expected in bodies.items():
        response = server.post("/sparql", data=b"ASK {}", headers={"Content-Type": content_type,
                                                                  "Accept": "application/sparql-results+json"})
        assert response.status_code == expected, (content_type, response.status_code, response.text)


# --- the protocol: a query and an update together are malformed -----------------------------------

def test_query_and_update_together_are_400(server):
    both = {"query": "ASK {}", "update": "CLEAR ALL"}
    cases = [
        server.get("/sparql", params=both),
        server.post("/sparql", data=both),
        server.post("/sparql?update=CLEAR%20ALL", data={"query": "ASK {}"}),
        server.post("/sparql?query=ASK%7B%7D", data={"update": "CLEAR ALL"}),
        server.post("/sparql?update=CLEAR%20ALL", data=b"ASK {}", headers={"Content-Type": "application/sparql-query"}),
        server.post("/sparql?query=ASK%7B%7D", data=b"CLEAR ALL", headers={"Content-Type": "application/sparql-update"}),
    ]
    for response in cases:
        assert response.status_code == 400, (response.request.method, response.request.url, response.text)
        assert "both a query and an update" in response.text
    # An update alone is still refused as one (403), however it comes.
    assert server.get("/sparql", params={"update": "CLEAR ALL"}).status_code == 403
    assert server.post("/sparql", data={"update": "CLEAR ALL"}).status_code == 403
    assert server.post("/sparql?update=CLEAR%20ALL", data={"default-graph-uri": "http://e/"}).status_code == 403


# --- finding 6: headers, redirects, links ------------------------------------------------------------

HTML_PAGES = ["/", "/?query=ASK%7B%7D", "/queries", "/queries/co-chairs", "/id/morocco", f"/article/{ARTICLE}",
              "/graph/curation", "/ontology", "/id/no-such-entity"]


@pytest.mark.parametrize("path", HTML_PAGES)
def test_pages_carry_a_content_security_policy(server, path):
    response = server.get(path, headers={"Accept": "text/html"})
    assert response.status_code in (200, 404) and response.headers["Content-Type"].startswith("text/html")
    policy = {d.split()[0]: d.split()[1:] for d in response.headers["Content-Security-Policy"].split(";") if d.strip()}
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no other host
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["default-src"] == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # What the policy forbids, the pages do not need: no inline script, no inline handler, no style attribute.
    html = response.text
    for tag in re.findall(r"<script\b[^>]*>", html, re.IGNORECASE):
        assert " src=" in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", html, re.IGNORECASE)
    assert not re.search(r"<[^>]+\sstyle\s*=", html, re.IGNORECASE)
    assert "javascript:" not in html.lower()


@pytest.mark.parametrize("request_args", [
    ("GET", SELECT_ONE, {}, None),  # the fast path's answer
    ("GET", "/sparql?query=" + quote("SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"), {}, None),  # its 403
    ("GET", "/sparql?query=" + quote("SELECT {"), {}, None),  # its 400
    ("POST", "/sparql", {"Content-Type": "application/sparql-query"}, b"ASK {}"),
    ("GET", "/queries/co-chairs?format=csv", {}, None),
    ("GET", "/queries/co-chairs.rq", {}, None),
    ("GET", "/queries.json", {}, None),
    ("GET", "/health", {}, None),
    ("GET", "/static/app.js", {}, None),
    ("GET", "/sparql?format=turtle", {}, None),
    ("GET", "/id/morocco?format=turtle", {}, None),
    ("GET", "/nowhere", {}, None),
    ("DELETE", "/sparql", {}, None),
])
def test_every_answer_says_nosniff(server, request_args):
    method, path, headers, body = request_args
    for _ in range(2):  # the second one comes from the fast path's cache of whole answers
        response = requests.request(method, server.url + path, headers=headers, data=body, timeout=30)
        assert response.headers.get("X-Content-Type-Options") == "nosniff", (path, response.status_code)


def test_merged_slash_redirect_names_no_host(server):
    for path, target in (("/id//morocco", "/id/morocco"), ("/queries//co-chairs?format=json", "/queries/co-chairs?format=json"),
                         ("/graph///curation", "/graph/curation")):
        response = server.get(path, headers={"Host": "evil.example"}, allow_redirects=False)
        assert response.status_code == 308, path
        assert response.headers["Location"] == target
        assert server.get(path).url == server.url + target  # and it still leads where it should


def test_only_safe_schemes_become_links():
    href = linked_data.local_href
    assert linked_data.LOCAL_ROOTS == ("id/", "article/", "graph/", "ontology")  # from the IRI scheme
    assert href("https://w3id.org/coalition-kg/id/morocco") == "/id/morocco"
    assert href("https://w3id.org/coalition-kg/ontology/0.1.0") == "/ontology/0.1.0"
    assert href("https://w3id.org/coalition-kg/shapes#MeetingShape") == "https://w3id.org/coalition-kg/shapes#MeetingShape"
    assert href("http://www.wikidata.org/entity/Q1028") == "http://www.wikidata.org/entity/Q1028"
    assert href("HTTPS://example.org/x") == "HTTPS://example.org/x"
    for unsafe in ("javascript:alert(document.domain)", "JavaScript:alert(1)", "java\tscript:alert(1)",
                   " javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)",
                   "file:///etc/passwd", "urn:isbn:1", "mailto:a@b.c", "http:relative", "//evil.example/",
                   "http://a\nb", "https://x\tjavascript:alert(1)"):
        assert href(unsafe) is None, unsafe


def test_templates_link_only_safe_schemes():
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)
    env.globals.update(local_href=linked_data.local_href, compact=linked_data.compact,
                       article_file_href=linked_data.article_file_href)
    cell = env.from_string('{% from "_cell.html" import cell %}{{ cell(t) }}')
    term = env.from_string('{% from "_term.html" import term %}{{ term(t) }}')
    hostile = "javascript:alert(document.domain)"
    html = cell.render(t={"type": "uri", "value": hostile})
    assert "<a" not in html and hostile in html  # shown, as text
    html = term.render(t=linked_data.Term.of({"type": "uri", "value": hostile}))
    assert "<a" not in html and hostile in html
    assert cell.render(t={"type": "uri", "value": "https://w3id.org/coalition-kg/id/niger"}).startswith('<a href="/id/niger"')
    assert cell.render(t={"type": "literal", "value": "003_922b375491f8e4de.txt"}).startswith('<a href="/article/003_922b375491f8e4de"')
    assert "<a" not in cell.render(t={"type": "literal", "value": "javascript:alert(1)//003_922b375491f8e4de.txt"})


def test_only_an_article_file_name_exactly_links_to_its_article():
    """graph/article_names.py's rule, ASCII digits only (str.isdigit() would take ٠٠٣ too)."""
    href = linked_data.article_file_href
    assert href("003_922b375491f8e4de.txt") == "/article/003_922b375491f8e4de"
    for other in ("٠٠٣_922b375491f8e4de.txt", "003_922b375491f8e4de.txt\n", "003_922B375491F8E4DE.txt",
                  "the 003_922b375491f8e4de.txt file", "003_922b375491f8e4de", "003_922b375491f8e4.txt"):
        assert href(other) is None, other


# --- finding 9: the access log ---------------------------------------------------------------------

LINE = re.compile(r'(\S+) "(\S+) (\S+) (\S+)" (\d{3}) ([\d.]+)ms "((?:[^"\\]|\\.)*)"')


def test_access_log_escaping():
    from coalition_kg.server.access_log import escaped, path_text, query_text

    assert path_text("/id/x\n1.2.3.4 \"GET /forged\"") == "/id/x%0A1.2.3.4%20%22GET%20/forged%22"
    assert path_text("/id/morocco") == "/id/morocco"
    assert path_text("/id/caf\xc3\xa9%41") == "/id/caf%C3%A9%2541"  # the path comes decoded; '%' is a '%'
    assert query_text('query=ASK%7B%7D&x="a b"') == "query=ASK%7B%7D&x=%22a%20b%22"
    assert escaped('curl "7"\\ \x01\xe9') == 'curl \\"7\\"\\\\ \\x01\\xe9'
    assert escaped("Mozilla/5.0 (X11)") == "Mozilla/5.0 (X11)"


def test_access_log_has_one_line_per_request(built_var, tmp_path):
    access = tmp_path / "access.log"
    served = start_server(built_var, tmp_path / "serve.log", "--access-log", str(access), "--workers", "1")
    try:
        # granian itself refuses a raw quote, control or non-ASCII byte in the request line (400, no
        # log line): what reaches the log is what percent-escapes decode to, and what headers carry.
        forged = ' HTTP/1.1" 200 1.0ms "-"\n6.6.6.6 "GET /forged HTTP/1.1" 200 1.0ms "x'
        targets = [
            b"/id/marker-0%0A6.6.6.6%20%22GET%20/forged%20HTTP/1.1%22%20200%201.0ms%20%22-%22",
            b"/id/marker-1%0D%0A6.6.6.6%20%22GET%20/forged",
            b"/id/marker-2%22%20200%201ms%20%22",
            b"/id/marker-3%00%1B%5B31m%E2%80%AE%FF",
            b"/id/marker-4?q=%0A6.6.6.6&x=a\\b'{}|^",
            b"/id/marker-5/" + quote(forged).encode(),
        ]
        agents = [b'evil" 6.6.6.6 "GET /forged', b"back\\slash\\\"", b"tab\there", b"latin \xe9\xff"]
        for i, target in enumerate(targets):
            raw_request(served, b"GET", target, {b"User-Agent": agents[i % len(agents)]})
        deadline = time.monotonic() + 20  # the log is written in batches, a quarter of a second apart
        while time.monotonic() < deadline:
            lines = access.read_text(encoding="utf-8").splitlines() if access.exists() else []
            if sum("marker-" in line for line in lines) >= len(targets):
                break
            time.sleep(0.2)
        text = access.read_text(encoding="utf-8")
    finally:
        stop_server(served)
    lines = text.splitlines()
    ours = [line for line in lines if "marker-" in line]
    assert len(ours) == len(targets)
    for line in lines:
        match = LINE.fullmatch(line)
        assert match, f"not one well-formed line: {line!r}"
        assert match.group(1) == "127.0.0.1" and match.group(2) == "GET"
        assert "/forged" not in match.group(3) or match.group(3).startswith("/id/marker-")
    assert not any("6.6.6.6" in line.split('"', 1)[0] for line in lines)  # nobody else's address
    agents_seen = [LINE.fullmatch(line).group(7) for line in ours]
    assert 'evil\\" 6.6.6.6 \\"GET /forged' in agents_seen
    assert "tab\\x09here" in agents_seen and 'back\\\\slash\\\\\\"' in agents_seen
    assert any(line.startswith('127.0.0.1 "GET /id/marker-0%0A6.6.6.6%20%22GET%20/forged') for line in ours)


# --- finding 6 in a real browser (Debian's chromium, as test_browser.py drives it) ------------------

WATCH_POLICY = """document.addEventListener("securitypolicyviolation",
  (e) => (window.__violations = window.__violations || []).push(e.violatedDirective + " " + e.blockedURI));"""


@pytest.fixture
def watched_page(browser, server):
    """A page whose dialogs (alert, confirm …) and policy violations are recorded, never shown."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.add_init_script(WATCH_POLICY)
    page.dialogs, page.console_errors, page.errors = [], [], []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("console", lambda message: page.console_errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def violations(page) -> list[str]:
    return page.evaluate("window.__violations || []") + [
        m for m in page.console_errors if "Content Security Policy" in m or "Content-Security-Policy" in m]


HOSTILE_QUERY = """PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT ?x ?start ?label WHERE {
  BIND(IRI("javascript:alert(document.domain)") AS ?x)
  BIND("2020-01-01"^^xsd:date AS ?start)
  BIND("click me" AS ?label)
}"""

UNSAFE_LINKS = """() => [...document.querySelectorAll("a")].map((a) => a.getAttribute("href") || a.getAttribute("xlink:href") || "")
  .filter((href) => !/^(https?:|\\/|#)/i.test(href.trim()))"""


def test_hostile_query_page_runs_no_script(watched_page, server):
    page = watched_page
    page.goto(server.url + "/?query=" + quote(HOSTILE_QUERY))
    page.locator("#result-table tbody tr").first.wait_for()  # the page runs the query on load
    cell = page.locator("#result-table tbody tr td").first
    assert "javascript:alert(document.domain)" in cell.inner_text()  # shown, as text
    assert page.locator("a[href^='javascript' i]").count() == 0
    assert page.evaluate(UNSAFE_LINKS) == []
    cell.click()
    page.click("#tab-timeline")  # a dated row: the timeline draws it, with no link either
    page.locator("#result-timeline svg .event").first.wait_for()
    page.locator("#result-timeline svg .event text").first.click()
    assert page.evaluate(UNSAFE_LINKS) == []
    page.wait_for_timeout(300)  # a dialog opened by the clicks would have been recorded by now
    assert page.dialogs == [] and page.errors == []
    assert violations(page) == []
    # The second line of defence: were such a link ever made, the policy would not let it run.
    page.evaluate("""() => { const a = document.createElement("a"); a.id = "planted";
      a.href = "javascript:alert(document.domain)"; a.textContent = "planted"; document.body.prepend(a); }""")
    page.click("#planted")
    page.wait_for_function("(window.__violations || []).length > 0")
    assert page.dialogs == []
    assert any(v.startswith("script-src") for v in violations(page)), violations(page)


def test_normal_pages_break_no_policy(watched_page, server):
    page = watched_page
    page.goto(server.url + "/")
    page.locator("#meetings-timeline svg .event").first.wait_for()  # app.js ran, and its fetch went through
    page.select_option("#saved-select", "co-chairs")
    page.click("#run-button")
    page.locator("#result-table tbody tr").first.wait_for()
    for path in ("/queries", "/queries/co-chairs", "/id/morocco", f"/article/{ARTICLE}", "/graph/curation",
                 "/ontology", "/id/no-such-entity"):
        page.goto(server.url + path)
        assert page.locator("header.site").count() == 1, path
        # The stylesheet applied: the page's own rules are in force.
        assert page.evaluate("document.styleSheets.length && document.styleSheets[0].cssRules.length") > 0, path
    assert violations(page) == [] and page.dialogs == [] and page.errors == []
