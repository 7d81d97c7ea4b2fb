"""`ckg publish` against a real Oxigraph server on loopback: the seed build published whole (graphs,
counts, build id, every saved query's rows), replaced by another build, and left serving when a later
publish fails at each of its steps."""

from __future__ import annotations

import re
import time

import pyoxigraph as ox
import pytest

import engines
from conftest import GRAPH, REPO, STEMS
from coalition_kg import cli
from coalition_kg.graph import build_id, publish, saved_queries, sparql_http, store

QUERIES = saved_queries.load_all(REPO / "queries")
OXIGRAPH = publish.ENGINES["oxigraph"]
DROPPED = GRAPH + STEMS[4]  # the article the second build leaves out


@pytest.fixture(scope="module")
def seed_info(built_project) -> store.StoreInfo:
    return store.current(built_project.var)


@pytest.fixture()
def server(tmp_path):
    running = engines.oxigraph(tmp_path)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, seed_info):
    """One server with the seed build published, for the tests that only read."""
    running = engines.oxigraph(tmp_path_factory.mktemp("oxigraph"))
    client = engines.client(running, "oxigraph")
    report = publish.publish(seed_info, OXIGRAPH, client)
    yield running, client, report
    running.stop()


@pytest.fixture(scope="module")
def smaller_info(built_project, seed_info, tmp_path_factory) -> store.StoreInfo:
    """Another build: the seed build without the last article's graph, and one triple changed in the
    curation graph (a synthetic change; a real rebuild would also change what is inferred)."""
    seed = seed_info.open_read_only()
    label = next(seed.quads_for_pattern(None, None, None, ox.NamedNode(GRAPH + "curation")))
    quads = [q for q in store.named_quads(seed) if q.graph_name.value != DROPPED and q != label]
    quads.append(ox.Quad(label.subject, label.predicate, ox.Literal("changed for the test"),
                                 label.graph_name))
    return store.write_new_store(tmp_path_factory.mktemp("var"), build_id.build_id(quads), quads)


def test_the_seed_build_is_published_whole(seeded, seed_info):
    _, client, report = seeded
    assert report.previous is None
    # the metadata: the build id, when it was built and published, and each of its graphs
    assert engines.graph_counts(client) == engines.published_counts(seed_info)
    assert len(seed_info.graphs) == 8 and seed_info.graphs[GRAPH + "ontology"] > 300  # the ontology's triples
    assert report.graphs == {**seed_info.graphs, publish.MERGED: seed_info.triples}
    assert seed_info.triples < seed_info.quads  # the merge holds a fact once, whatever graphs hold it


def test_the_build_id_is_the_one_the_server_shows(seeded, seed_info):
    _, client, _ = seeded
    served = publish.published(client)
    assert served == publish.Published(seed_info.build_id, engines.published_graphs(seed_info))
    assert len(served.build_id) == 16


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_saved_query_gives_the_local_rows(seeded, graph_store, seed_info, name):
    _, client, _ = seeded
    local = engines.local_rows(graph_store, QUERIES[name])
    assert local, f"{name} gives no rows on the seeds: the comparison would prove nothing"
    assert engines.remote_rows(client, QUERIES[name]) == local


def test_a_second_publish_replaces_the_first(server, seed_info, smaller_info):
    client = engines.client(server, "oxigraph")
    publish.publish(seed_info, OXIGRAPH, client)
    report = publish.publish(smaller_info, OXIGRAPH, client)
    assert report.previous.build_id == seed_info.build_id != smaller_info.build_id
    assert publish.published(client).build_id == smaller_info.build_id
    counts = engines.graph_counts(client)
    assert DROPPED not in counts  # the graph the new build lacks is gone, not left behind
    assert {g: n for g, n in counts.items() if g != publish.METADATA} == {**smaller_info.graphs,
                                                                          publish.MERGED: smaller_info.triples}
    changed = client.select(f'SELECT * WHERE {{ GRAPH <{GRAPH}curation> {{ ?s ?p "changed for the test" }} }}')
    assert len(changed) == 1


def _assert_seed_build_serves(client, seed_info):
    assert publish.published(client).build_id == seed_info.build_id
    assert engines.graph_counts(client) == engines.published_counts(seed_info)


def test_a_refused_swap_leaves_the_previous_build_serving(server, seed_info, smaller_info, monkeypatch):
    client = engines.client(server, "oxigraph")
    publish.publish(seed_info, OXIGRAPH, client)
    good = OXIGRAPH.endpoints(server.base)
    refusing = sparql_http.Client(sparql_http.Endpoints(good.query, server.base + "/no-update-here", good.gsp))
    real_update = sparql_http.Client.update

    def refuse_the_swap(self, text):  # the swap goes to an address that answers 404, the rest as usual
        real_update(refusing if "MOVE" in text else self, text)

    monkeypatch.setattr(sparql_http.Client, "update", refuse_the_swap)
    with pytest.raises(publish.PublishError, match=rf"the swap failed \(build {seed_info.build_id} serves\).*HTTP 404"):
        publish.publish(smaller_info, publish.ENGINES["sparql11"], client)
    monkeypatch.undo()
    _assert_seed_build_serves(client, seed_info)  # and no staging graph is left, nor a lock


def _lock_held_since(client, epoch: float, name: str = "0123456789abcdef-4242-0badcafe") -> str:
    lock = f"{publish.LOCKS}/{name}"
    at = publish.iso_of(epoch)
    client.update(f'INSERT DATA {{ GRAPH <{publish.LOCKS}> {{ <{lock}> <{publish.CREATED}> "{at}"^^<{publish.XSD_DATETIME}> }} }}')
    return lock


def test_a_publish_under_way_stops_another(server, seed_info, smaller_info):
    client = engines.client(server, "oxigraph")
    publish.publish(seed_info, OXIGRAPH, client)
    held = _lock_held_since(client, time.time() - 60)
    with pytest.raises(publish.PublishError, match=r"another publish is under way on this engine "
                       r"\(0123456789abcdef-4242-0badcafe since [0-9T:-]+Z\), nothing was changed"):
        publish.publish(smaller_info, OXIGRAPH, client)
    locks = client.select(f"SELECT ?lock WHERE {{ GRAPH <{publish.LOCKS}> {{ ?lock ?p ?o }} }}")
    assert [row["lock"]["value"] for row in locks] == [held]  # ours was taken back
    client.delete_graph(publish.LOCKS)
    _assert_seed_build_serves(client, seed_info)


def test_the_lock_of_a_publish_that_died_expires(server, seed_info):
    client = engines.client(server, "oxigraph")
    _lock_held_since(client, time.time() - publish.LOCK_MINUTES * 60 - 60)
    publish.publish(seed_info, OXIGRAPH, client)
    _assert_seed_build_serves(client, seed_info)  # the expired lock is gone, and ours too


def test_an_old_lock_that_is_not_one_of_ours_is_never_deleted(server, seed_info):
    """Only a lock named as publish names its own expires: the delete names it, and a thing that is not one
    (written there by hand, or by something else) counts as held until someone drops the graph."""
    client = engines.client(server, "oxigraph")
    _lock_held_since(client, time.time() - publish.LOCK_MINUTES * 60 - 60, "someone-else")
    with pytest.raises(publish.PublishError, match="another publish is under way"):
        publish.publish(seed_info, OXIGRAPH, client)
    client.update(f"DROP SILENT GRAPH <{publish.LOCKS}>")


def test_a_publish_longer_than_its_lock_s_lifetime_still_holds_it(server, seed_info, smaller_info):
    """The lock is renewed while the publish runs: ten lifetimes into it (by the clock the publishes read),
    another publish still finds it held, and stops; the first one finishes, and leaves no lock, nor a
    thread renewing one."""
    client = engines.client(server, "oxigraph")
    publish.publish(seed_info, OXIGRAPH, client)
    report, rival = engines.outlive_the_lock(client, OXIGRAPH, smaller_info, seed_info)
    assert re.search(rf"another publish is under way on this engine \({smaller_info.build_id}-\d+-[0-9a-f]{{8}} "
                     r"since [0-9T:-]+Z\), nothing was changed; the lock of a publish that died expires 0\.05 minutes "
                     "after it was last renewed", rival), rival
    assert report.build_id == publish.published(client).build_id == smaller_info.build_id
    assert engines.lock_renewals(client) == {} and engines.renewals_running() == []


def test_a_publish_whose_lock_is_gone_does_not_swap(server, seed_info, smaller_info, monkeypatch):
    """A lock dropped while the publish stages (by hand, or deleted as expired by another publish after its
    renewals failed for a whole lifetime): the swap is not this publish's to make."""
    client = engines.client(server, "oxigraph")
    publish.publish(seed_info, OXIGRAPH, client)
    real_put = sparql_http.Client.put_graph

    def drop_the_locks(self, graph, ntriples):
        real_put(self, graph, ntriples)
        self.update(f"DROP SILENT GRAPH <{publish.LOCKS}>")

    monkeypatch.setattr(sparql_http.Client, "put_graph", drop_the_locks)
    with pytest.raises(publish.PublishError, match=rf"this publish's lock is gone from the graph <{publish.LOCKS}> "
                       rf"\(expired, or dropped\), so another publish may be under way: nothing that serves was "
                       rf"changed \(build {seed_info.build_id} keeps serving\)"):
        publish.publish(smaller_info, OXIGRAPH, client)
    monkeypatch.undo()
    _assert_seed_build_serves(client, seed_info)  # and the staging graphs were deleted
    assert engines.renewals_running() == []


def test_a_count_that_differs_stops_the_publish_before_the_swap(server, seed_info, smaller_info, monkeypatch):
    client = engines.client(server, "oxigraph")
    publish.publish(seed_info, OXIGRAPH, client)
    real_count = sparql_http.Client.count

    def one_short(self, graph):
        return real_count(self, graph) - (graph.endswith("/3"))  # the fourth staging graph lost a triple

    monkeypatch.setattr(sparql_http.Client, "count", one_short)
    with pytest.raises(publish.PublishError, match=r"staging failed, nothing that serves was changed "
                       rf"\(build {seed_info.build_id} keeps serving\).*holds \d+ triples on the engine"):
        publish.publish(smaller_info, OXIGRAPH, client)
    monkeypatch.undo()
    _assert_seed_build_serves(client, seed_info)


def test_an_engine_that_goes_away_midway_leaves_the_previous_build(server, seed_info, smaller_info, monkeypatch):
    client = engines.client(server, "oxigraph")
    publish.publish(seed_info, OXIGRAPH, client)
    real_put = sparql_http.Client.put_graph
    uploads = []

    def stop_after_two(self, graph, ntriples):
        if len(uploads) == 2:
            server.stop()
        uploads.append(graph)
        real_put(self, graph, ntriples)

    monkeypatch.setattr(sparql_http.Client, "put_graph", stop_after_two)
    with pytest.raises(publish.PublishError, match=r"staging failed.*upload of .* could not reach http://127\.0\.0\.1"):
        publish.publish(smaller_info, OXIGRAPH, client)
    monkeypatch.undo()
    assert engines.renewals_running() == []  # stopped with the publish that failed
    server.start()  # the same data directory
    served = engines.client(server, "oxigraph")
    assert publish.published(served).build_id == seed_info.build_id
    counts = engines.graph_counts(served)
    assert {g: counts[g] for g in seed_info.graphs} == seed_info.graphs
    # the two staging graphs uploaded before the engine went away are still there, named after their build
    assert sorted(g for g in counts if g.startswith(publish.STAGING)) == [
        f"{publish.STAGING}{smaller_info.build_id}/0", f"{publish.STAGING}{smaller_info.build_id}/1"]
    # the publish that died still holds its lock: another one waits for it to expire, or for the graph to go
    with pytest.raises(publish.PublishError, match=rf"another publish is under way.*{smaller_info.build_id}-"):
        publish.publish(smaller_info, OXIGRAPH, served)
    served.delete_graph(publish.LOCKS)
    publish.publish(smaller_info, OXIGRAPH, served)  # publishing again replaces them and finishes
    assert not [g for g in engines.graph_counts(served) if g.startswith(publish.STAGING)]


def test_the_command(server, built_project, seed_info, monkeypatch, capsys):
    monkeypatch.setenv("CKG_VAR", str(built_project.var))
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")  # a proxy would refuse: none is used
    monkeypatch.delenv("no_proxy", raising=False)
    assert cli.main(["publish", "--to", server.base, "--engine", "oxigraph"]) == 0
    out = capsys.readouterr().out
    assert "swapped in one update request (atomic on oxigraph)" in out
    assert (f"published build {seed_info.build_id}: {seed_info.quads} triples in 8 graphs and their merge "
            f"({seed_info.triples} triples)") in out


def test_the_engines_are_the_ones_the_command_line_offers():
    from coalition_kg.graph.engine_names import ENGINE_NAMES

    assert tuple(publish.ENGINES) == ENGINE_NAMES and all(publish.ENGINES[name].name == name for name in ENGINE_NAMES)


def test_the_command_refuses_what_it_cannot_do(built_project, monkeypatch, capsys):
    monkeypatch.setenv("CKG_VAR", str(built_project.var))
    monkeypatch.delenv(sparql_http.USER_VARIABLE, raising=False)
    assert cli.main(["publish", "--to", "http://127.0.0.1:9", "--engine", "virtuoso"]) == 2
    assert "needs CKG_PUBLISH_USER and CKG_PUBLISH_PASSWORD" in capsys.readouterr().err
    assert cli.main(["publish", "--engine", "sparql11", "--query-url", "http://127.0.0.1:9/q"]) == 2
    assert "--engine sparql11 needs --query-url, --update-url and --gsp-url" in capsys.readouterr().err
    assert cli.main(["publish", "--to", "http://127.0.0.1:9", "--engine", "oxigraph"]) == 1
    err = capsys.readouterr().err
    assert "could not read what the engine serves, nothing was changed" in err and "could not reach" in err


def test_the_dataset_goes_before_the_outermost_where():
    text = "# where { not this one }\nSELECT ?x WHERE { { SELECT ?x WHERE { ?x ?p ?o } } }"
    assert sparql_http.with_dataset(text, ["http://g/m"], ["http://g/1"]) == (
        "# where { not this one }\nSELECT ?x FROM <http://g/m>\nFROM NAMED <http://g/1>\n"
        "WHERE { { SELECT ?x WHERE { ?x ?p ?o } } }")


def test_a_redirect_is_not_followed(server):
    """Nothing reaches beyond the URLs given: a 3xx is an error, whatever it points at."""
    import http.server
    import threading

    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.send_response(302)
            self.send_header("Location", server.base + "/query")
            self.end_headers()

        def log_message(self, *args):
            pass

    with http.server.HTTPServer(("127.0.0.1", 0), Redirect) as redirecting:
        threading.Thread(target=redirecting.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{redirecting.server_address[1]}"
        client = sparql_http.Client(sparql_http.Endpoints(url + "/query", url + "/update", url + "/store"))
        try:
            with pytest.raises(sparql_http.EngineError, match="HTTP 302.*redirects are not followed"):
                client.select("SELECT * WHERE { ?s ?p ?o }")
        finally:
            redirecting.shutdown()


def test_the_swap_is_one_transaction_on_oxigraph(server, seed_info, smaller_info, monkeypatch):
    """The last staging graph vanishes between its count and the swap: the swap's last MOVE fails, and
    the operations before it in the same request (the other graphs' DROP and MOVE) are undone with it."""
    client = engines.client(server, "oxigraph")
    publish.publish(seed_info, OXIGRAPH, client)
    real_count, last = sparql_http.Client.count, f"{publish.STAGING}{smaller_info.build_id}/{len(smaller_info.graphs)}"

    def count_then_lose_the_last(self, graph):
        counted = real_count(self, graph)
        if graph == last:
            self.delete_graph(graph)
        return counted

    monkeypatch.setattr(sparql_http.Client, "count", count_then_lose_the_last)
    with pytest.raises(publish.PublishError, match=rf"the swap failed \(build {seed_info.build_id} serves\)"):
        publish.publish(smaller_info, OXIGRAPH, client)
    monkeypatch.undo()
    _assert_seed_build_serves(client, seed_info)
    # the curation graph (staged fifth, swapped before the last graph) holds the seed build's triples,
    # not the changed one: no graph was swapped
    assert not client.select(f'SELECT * WHERE {{ GRAPH <{GRAPH}curation> {{ ?s ?p "changed for the test" }} }}')
    assert last == f"{publish.STAGING}{smaller_info.build_id}/7" and sorted(smaller_info.graphs)[4] == GRAPH + "curation"
