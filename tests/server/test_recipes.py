"""The README's recipes, run as a reader would paste them: against a real `ckg serve` on a loopback port
serving the real saved queries, a real dump and the real built store.

Each recipe is a fenced block right after a `<!-- recipe: NAME -->` line; the test takes the block's text
from README.md and changes only where it points: the endpoint's address, the store's folder and the
command's path."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from .conftest import start_server, stop_server

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
RECIPE = re.compile(r"^<!-- recipe: ([\w-]+) -->\n```(\w+)\n(.*?)^```$", re.M | re.S)
ADDRESS = "http://127.0.0.1:8000"  # where the README says `make run` serves


def recipes() -> dict[str, tuple[str, str]]:
    found = {}
    for name, language, code in RECIPE.findall(README.read_text(encoding="utf-8")):
        assert name not in found, f"two recipes are called {name}"
        found[name] = (language, code)
    return found


@pytest.fixture(scope="module")
def endpoint(built_var, tmp_path_factory):
    """`ckg serve` with the repository's saved queries (the session's server has the tests' own)."""
    log = tmp_path_factory.mktemp("recipes") / "serve.log"
    running = start_server(built_var, log, "--queries", str(REPO / "queries"))
    yield running
    stop_server(running)


def run(name: str, endpoint, built_var: Path, cwd: Path, code: str | None = None) -> str:
    language, text = recipes()[name]
    text = code if code is not None else text
    text = text.replace(ADDRESS, endpoint.url).replace('"var/current/store"', repr(str(built_var / "current" / "store")))
    env = {"CKG_VAR": str(built_var), "PATH": "/usr/bin:/bin"}
    if language == "sh":
        command = ["bash", "-e", "-c", text.replace(".venv/bin/ckg", f"{sys.executable} -m coalition_kg.cli")]
    elif language == "python":
        command = [sys.executable, "-c", text]
    else:
        raise AssertionError(f"recipe {name}: no runner for {language}")
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"recipe {name} failed:\n{done.stderr}"
    return done.stdout


def test_every_code_recipe_in_the_readme_is_marked_and_run():
    """A Python or shell block in the recipes' section without a marker would go untested."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Asking the graph from a program"):text.index("## Which terms to query with")]
    blocks = re.findall(r"^```(python|sh)$", section, re.M)
    marked = [language for _, language, _ in RECIPE.findall(section)]
    assert len(blocks) == len(marked) == 7
    assert set(recipes()) == {"curl-meetings", "curl-saved-query", "sparqlwrapper", "rdflib-endpoint", "dump",
                              "rdflib-dump", "pyoxigraph", "fact-to-sentence"}


def test_curl_ad_hoc_query(endpoint, built_var, tmp_path):
    rows = list(csv.reader(io.StringIO(run("curl-meetings", endpoint, built_var, tmp_path))))
    meetings = [(iri.rsplit("/", 1)[1], city, start) for iri, city, start in rows[1:]]
    assert rows[0] == ["meeting", "city", "start"]
    assert meetings == [
        ("skhirat-2018", "Skhirat", "2018-06"),
        ("nato-summit-2018", "Brussels", "2018-07-11"),
        ("brussels-ministerial-2018", "Brussels", "2018-07-12"),
        ("rome-ministerial-2021", "Rome", "2021-06-28"),
        ("brussels-political-directors-2021", "Brussels", "2021-12-02"),
        ("marrakesh-ministerial-2022", "Marrakesh", "2022-05-11"),
        ("niamey-plenary-2023", "Niamey", "2023-03-01"),
        ("riyadh-ministerial-2023", "Riyadh", "2023-06-08"),
    ]


def test_curl_saved_queries(endpoint, built_var, tmp_path):
    out = run("curl-saved-query", endpoint, built_var, tmp_path)
    sizes, sentences = out.split("?entity\t", 1)
    figures = [(row["date"], row["count"], row["measure"]) for row in csv.DictReader(io.StringIO(sizes))]
    assert figures == [("2018-07-12", "77", "members"), ("2021-12-02", "84", "members"),
                       ("2023-06-08", "86", "participating-members"),
                       ("2023-06-10", "86", "countries-and-organizations")]
    assert "<https://w3id.org/coalition-kg/id/niamey>\t\"003_922b375491f8e4de.txt\"" in sentences
    assert '"نيامي"@ar' in sentences


def test_sparqlwrapper(endpoint, built_var, tmp_path):
    assert run("sparqlwrapper", endpoint, built_var, tmp_path).splitlines() == [
        "2018-07-12 77 members", "2021-12-02 84 members", "2023-06-08 86 participating-members"]


def test_rdflib_against_the_endpoint(endpoint, built_var, tmp_path):
    group = "https://w3id.org/coalition-kg/id/brussels-political-directors-2021"
    assert run("rdflib-endpoint", endpoint, built_var, tmp_path).splitlines() == [
        f"{group} | Antony Blinken | by video conference",
        f"{group} | Italy | co-chair",
        f"{group} | Luigi Di Maio | by video conference",
        f"{group} | Morocco | co-chair",
        f"{group} | Niger | co-chair",
        f"{group} | United States | co-chair",
        "https://w3id.org/coalition-kg/id/rome-ministerial-2021 | Antony Blinken | convener",
        "https://w3id.org/coalition-kg/id/rome-ministerial-2021 | "
        "Delegations of several African countries (observers at the Rome ministerial, 2021) | observer",
        "https://w3id.org/coalition-kg/id/rome-ministerial-2021 | Luigi Di Maio | convener",
    ]


def test_rdflib_on_a_dump(endpoint, built_var, tmp_path):
    run("dump", endpoint, built_var, tmp_path)
    assert (tmp_path / "coalition.trig").stat().st_size > 100_000
    people = run("rdflib-dump", endpoint, built_var, tmp_path).splitlines()
    assert len(people) == 9
    assert people[0] == "Antony Blinken: United States Secretary of State (United States)"  # sorted by name
    assert "Idé Alhassane: Ambassador of Niger in Brussels (Niger)" in people
    assert ("Nasser Bourita: Minister of Foreign Affairs, African Cooperation and Moroccan Expatriates (Morocco)"
            " (Morocco)") in people


BUILDS_ON = [
    "10th ministerial meeting of the Global Coalition, Riyadh, June 2023 <- "
    "9th ministerial meeting of the Global Coalition, Marrakesh, May 2022",
    "10th ministerial meeting of the Global Coalition, Riyadh, June 2023 <- "
    "Plenary meeting of the Africa Focus Group, Niamey, March 2023",
    "Meeting of the coalition's political directors, Brussels, December 2021 (launch of the Africa Focus Group) <- "
    "Regional meeting of the coalition's political directors on Africa, Skhirat, June 2018",
    "Ministerial meeting of the Global Coalition, Brussels, July 2018 <- "
    "Regional meeting of the coalition's political directors on Africa, Skhirat, June 2018",
]


MINISTERIALS = [
    "2018-07-12 https://w3id.org/coalition-kg/id/brussels-ministerial-2018",
    "2021-06-28 https://w3id.org/coalition-kg/id/rome-ministerial-2021",
    "2022-05-11 https://w3id.org/coalition-kg/id/marrakesh-ministerial-2022",
    "2023-06-08 https://w3id.org/coalition-kg/id/riyadh-ministerial-2023",
]


def test_pyoxigraph_on_the_built_store(endpoint, built_var, tmp_path):
    """Read-only beside a running server, as the README says, with no option and no DISTINCT: the four
    ministerial meetings once each (their type is stated in nine places), and each link once."""
    _, code = recipes()["pyoxigraph"]
    assert "use_default_graph_as_union" not in code and "DISTINCT" not in code
    assert run("pyoxigraph", endpoint, built_var, tmp_path).splitlines() == MINISTERIALS + BUILDS_ON


def test_pyoxigraph_with_the_union_flag_repeats_facts(endpoint, built_var, tmp_path):
    """What the README warns of: with Oxigraph's union flag a fact comes once for each graph that holds
    it, the merged default graph among them."""
    _, code = recipes()["pyoxigraph"]
    flagged = code.replace('""")\n', '""", use_default_graph_as_union=True)\n')
    lines = run("pyoxigraph", endpoint, built_var, tmp_path, code=flagged).splitlines()
    assert sorted(set(lines)) == sorted(MINISTERIALS + BUILDS_ON)
    assert lines.count(MINISTERIALS[3]) > 2 and len(lines) > 3 * len(set(lines))


def test_a_fact_read_down_to_its_sentences(endpoint):
    _, query = recipes()["fact-to-sentence"]
    response = requests.post(endpoint.url + "/sparql", data={"query": query},
                             headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert response.status_code == 200, response.text
    rows = {row["g"]["value"].rsplit("/", 1)[1]: row["sentence"]["value"]
            for row in response.json()["results"]["bindings"]}
    assert sorted(rows) == ["000_5ed4d548c76f9435", "001_eef99b9cc9c1a199"]
    assert rows["001_eef99b9cc9c1a199"].startswith("وأشار الوزير إلى أن المغرب استضاف في يونيو 2018 في الصخيرات")
    assert "الصخيرات" in rows["000_5ed4d548c76f9435"]
