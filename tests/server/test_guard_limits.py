"""What the red-team pass found in the guard's cost and in the evaluator's errors: input that made the
old scan quadratic, nesting that crashed the parser, an unknown function answered 500."""

from __future__ import annotations

import time

import pytest

from coalition_kg.graph import sparql_tokens
from coalition_kg.server import guard
from coalition_kg.server.errors import QuerySyntaxError, Refused

MIB = 1 << 20


def _inspect(text: str):
    guard.inspect.cache_clear()
    try:
        return guard.inspect_all(text)
    except (Refused, QuerySyntaxError) as error:
        return error


# Each of these cost the old scan quadratic time (32 KB of the first took 4.9 s, 1 MiB about 90 min).
HOSTILE = ["'\\'", "'''a'", '"""a"', "<a", "(?a <x", '"\\u00', "service '\\'", "#\n", "ex:a\\#", "\\u0053"]


@pytest.mark.parametrize("unit", HOSTILE)
def test_the_scan_of_a_mebibyte_of_hostile_input_is_bounded(unit):
    """A whole body at the default size limit: a second or so here; 30 s is the margin for a loaded
    machine (the old scan needed an hour and a half)."""
    text = (unit * (MIB // len(unit) + 1))[:MIB]
    started = time.monotonic()
    _inspect(text)
    assert time.monotonic() - started < 30


def test_an_unterminated_string_stops_the_scan_where_it_starts():
    error = _inspect("SELECT * {\n  ?s ?p 'abc\\'\n}" + " ?x" * 10_000)
    assert isinstance(error, QuerySyntaxError)
    assert "2:9" in error.message


def test_every_character_is_read_by_exactly_one_token():
    """The scan walks the text once: its matches (each token with the spaces and comments before it)
    tile it."""
    text = "PREFIX ex: <http://e/> SELECT * { ?s ex:a\\#b 'x\\'y' ; ex:c \"\"\"a\"b\"\"\" # c\n } LIMIT 1"
    matches = list(sparql_tokens.TOKENS.finditer(text))
    assert "".join(m.group() for m in matches) == text
    assert all(a.end() == b.start() for a, b in zip(matches, matches[1:]))


@pytest.mark.parametrize("opening, closing", [("(", ")"), ("{", "}"), ("[", "]")])
def test_nesting_deeper_than_the_limit_is_a_syntax_error(opening, closing):
    deep = guard.MAX_NESTING + 1
    error = _inspect("SELECT * { FILTER(" + opening * deep + "1" + closing * deep + ") }")
    assert isinstance(error, QuerySyntaxError) and "nests brackets deeper" in error.message
    assert not isinstance(_inspect("SELECT * { FILTER(" + "(" * 30 + "1" + ")" * 30 + ") }"), Exception)


def test_deep_parentheses_are_a_400_and_the_server_goes_on(server):
    """10,000 of them crashed the evaluator's parser (a segfault): now refused before evaluation (4,000
    here, as many as the test server's body limit takes; the guard's verdict does not depend on it)."""
    assert isinstance(_inspect("SELECT * { FILTER(" + "(" * 10_000 + "1" + ")" * 10_000 + ") }"), QuerySyntaxError)
    response = server.sparql("SELECT * { FILTER(" + "(" * 4_000 + "1" + ")" * 4_000 + ") }")
    assert response.status_code == 400
    assert "nests brackets deeper" in response.text
    assert server.sparql("ASK { ?s ?p ?o }").json()["boolean"] is True


def test_an_unknown_function_is_a_400(server):
    response = server.sparql("SELECT * { BIND(<http://example.org/f>(1) AS ?x) }")
    assert response.status_code == 400
    assert "custom function <http://example.org/f> is not supported" in response.text


def test_a_runaway_nested_collection_is_bounded(server):
    """Nested collections take Oxigraph's parser exponential time; within the nesting limit the time
    limit stops them (503), and the evaluator is replaced."""
    depth = guard.MAX_NESTING - 2  # the group's braces count too
    response = server.sparql("SELECT * { ?s ?p " + "( ?x " * depth + ")" * depth + " }")
    assert response.status_code == 503 and "time limit" in response.text
    assert server.sparql("ASK { ?s ?p ?o }").json()["boolean"] is True
