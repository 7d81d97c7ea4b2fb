"""The guard against Oxigraph itself: generated queries are evaluated by pyoxigraph, unconfined, beside
a listening endpoint; whenever Oxigraph sends a request out, the guard must have refused the query.

The generators aim at what a token scanner gets wrong: every spelling of the keyword, SILENT glued or
not, the endpoint as an IRI, an empty prefix or a prefixed name, escapes of every form in strings,
prefixed names and IRIs, comments, `<` read as less-than, values glued to the keyword, nesting, and
random characters inserted into working queries. The examples are derandomised so that a run is
repeatable; CKG_FUZZ_EXAMPLES=N draws N fresh random examples instead, for a longer hunt.
"""

from __future__ import annotations

import os

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from coalition_kg.server import guard
from coalition_kg.server.errors import QuerySyntaxError, Refused

from .listener import Listener

EXAMPLES = int(os.environ.get("CKG_FUZZ_EXAMPLES", "400"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize="CKG_FUZZ_EXAMPLES" not in os.environ, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

_LISTENER = Listener()
URL = _LISTENER.url

PROLOGUE = f"PREFIX : <{URL}>\nPREFIX ex: <{URL}/>\nPREFIX h: <http://e/#>\n"


def sends_out(query: str) -> bool:
    """Whether Oxigraph, given this query, makes a request to the listener."""
    _LISTENER.reset()
    try:
        results = ox.Store().query(query)
        if isinstance(results, (ox.QuerySolutions, ox.QueryTriples)):
            for _ in results:
                pass
    except (SyntaxError, RuntimeError, OSError, ValueError):
        pass
    return _LISTENER.reached


def refused(query: str) -> bool:
    guard.inspect.cache_clear()
    try:
        guard.inspect(query)
    except (Refused, QuerySyntaxError):
        return True
    return False


def _spellings(word: str):
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda upper: "".join(c.upper() if u else c.lower() for c, u in zip(word, upper)))


SPACE = st.sampled_from(["", " ", "\n", "\t", "\r\n", " #c\n", "#}\n", "  "])
KEYWORD = st.tuples(_spellings("service"), st.sampled_from([None, "", " ", "\n"]), _spellings("silent")).map(
    lambda t: t[0] + ("" if t[1] is None else t[1] + t[2]))
ENDPOINT = st.sampled_from([f"<{URL}>", ":", ":x", "ex:a", "ex:a\\#b", "ex:x\\.y", f"<{URL}?a=1#f>",
                            "<" + URL.replace("sparql", "\\u0073parql") + ">"])
# What can come right before the keyword inside a group: values glued to it, ends of patterns.
BEFORE = st.sampled_from(["", "?s ?p ?o ", "?s ?p ?o .", "?s ?p true", "?s ?p 1", "?s ?p 1.5", "?s ?p ?o.",
                          "?s ?p ex:o", "?s ?p 'x'", '?s ?p "x"@en', "?s ?p ?o ; ?q ?r", "{}", "FILTER(true)",
                          "FILTER(1<2)", "BIND(1 AS ?one)", "VALUES ?v { ex:a\\#b }", "?s ?p h:x"])
DECOY = st.sampled_from([
    '"x\\u0022"', "'\\''", '"\\""', "'''a'b''c'''", '"""a"b""c"""', '"SERVICE"', "'#'", '"\\u0027"',
    "<http://e/service>", "<http://e/a#b>", "ex:a\\#b", "ex:a\\'b", "h:\\#x", "'\\u005C'", '"a\\\\"',
])


@st.composite
def service_queries(draw):
    """A query with a SERVICE call, surrounded by lexical traps, in a random pattern context."""
    call = draw(KEYWORD) + draw(SPACE) + draw(ENDPOINT) + draw(SPACE) + "{ " + draw(st.sampled_from(
        ["", "?s ?p ?o", "?x ?y ?z"])) + " }"
    decoys = draw(st.lists(DECOY, max_size=3))
    bind_decoys = " ".join(f"BIND({d} AS ?d{i})" for i, d in enumerate(decoys))
    context = draw(st.sampled_from(["{0}", "OPTIONAL {{ {0} }}", "{{ {0} }} UNION {{ }}", "MINUS {{ {0} }}",
                                    "{{ SELECT * {{ {0} }} }}", "GRAPH ?g {{ {0} }}", "{{ {{ {0} }} }}"]))
    body = draw(BEFORE) + draw(SPACE) + call
    head = draw(st.sampled_from(["SELECT *", "ASK", "CONSTRUCT { ?s ?p ?o }", "SELECT (1 AS ?one)"]))
    return PROLOGUE + f"{head} WHERE {{ {bind_decoys} {context.format(body)} }}"


BASES = [
    PROLOGUE + f"SELECT * {{ SERVICE <{URL}> {{ ?s ?p ?o }} }}",
    PROLOGUE + "SELECT * { ?s ?p ?o SERVICE : { } }",
    PROLOGUE + 'SELECT * { BIND("a" AS ?x) FILTER(?x < "b") SERVICE ex:a { } }',
    PROLOGUE + "ASK { SERVICE SILENT ex:x { ?s ?p ?o } }",
    PROLOGUE + "SELECT * { ?s ?p ?o } ",
    PROLOGUE + "SELECT * { ?s ?p 'service' . FILTER(?s = <http://e/#x>) }",
]
INSERTIONS = st.sampled_from(list("#'\"<>(){}\\:.?;, \nSsEeRrVvIiCc1_u0") + [
    "\\u0022", "\\u0027", "\\#", "SERVICE", "SERVICE<" + URL + ">{}", "#", "'''", '"""', "true", "<<"])


@st.composite
def mutated_queries(draw):
    """A working query with a few insertions at random places."""
    text = draw(st.sampled_from(BASES))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(INSERTIONS) + text[at:]
    return text


def _check(query: str) -> None:
    if sends_out(query):
        assert refused(query), f"Oxigraph sends this query out, and the guard let it through:\n{query}"


def test_the_witness_works():
    assert sends_out(BASES[0]) and refused(BASES[0])
    assert not sends_out(BASES[4]) and not refused(BASES[4])


@FUZZ
@given(service_queries())
def test_whatever_oxigraph_sends_out_is_refused(query):
    _check(query)


@FUZZ
@given(mutated_queries())
def test_mutated_queries(query):
    _check(query)


def test_the_generators_reach_the_network():
    """The fuzzing proves something only if many generated queries do make Oxigraph send: count them."""
    sent = 0
    examples = []

    @settings(max_examples=200, deadline=None, derandomize=True, database=None)
    @given(service_queries())
    def collect(query):
        examples.append(query)

    collect()
    sent = sum(sends_out(q) for q in examples)
    assert sent >= len(examples) // 4, f"only {sent} of {len(examples)} generated queries reach the endpoint"


@pytest.mark.parametrize("query", [
    PROLOGUE + "SELECT * { ?s ?p ?o FILTER(?o < 3) }",
    PROLOGUE + "SELECT ?service { ?service a <http://www.w3.org/ns/sparql-service-description#Service> }",
    PROLOGUE + 'SELECT * { ?s ?p "a service" }',
    PROLOGUE + "SELECT * { ?s ?p ?o } # SERVICE <x> {}",
])
def test_what_is_not_refused(query):
    """Conservative, not blind: queries that only mention the word where Oxigraph cannot read a
    keyword go through."""
    assert not sends_out(query)
    assert not refused(query)
