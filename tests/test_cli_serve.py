"""`ckg serve` makes ready before it serves (server/serve.py, prepare): the settings are checked first,
then the graph is built when there is none, or only one of an older layout, unless --no-build or a
remote engine serves it. The messages and exit codes are the command's own; serving itself is replaced
here by a stand-in that records the settings it was given."""

from __future__ import annotations

import pytest

from coalition_kg import cli
from coalition_kg.graph import store
from coalition_kg.graph.build import build
from coalition_kg.server import serve as serving

ANN = "seeds/003_922b375491f8e4de.ann"


@pytest.fixture()
def ckg_serve(project_copy, monkeypatch):
    served = []
    monkeypatch.setenv("CKG_VAR", str(project_copy.var))
    monkeypatch.setattr(serving, "run", lambda settings: served.append(settings) or 0)

    def run(*args: str) -> tuple[int, list]:
        served.clear()
        return cli.main(["--root", str(project_copy.root), "serve", *args]), list(served)

    return run


def test_serve_builds_the_graph_first_when_there_is_none(project_copy, ckg_serve, capsys):
    code, served = ckg_serve("--port", "1")
    assert code == 0 and [s.port for s in served] == [1]
    assert capsys.readouterr().err == "ckg serve: no graph built yet; building it first\n"
    built = store.current(project_copy.var)
    assert built is not None and built.quads > 1000
    code, served = ckg_serve()  # a graph is there now: served as it is
    assert code == 0 and len(served) == 1 and capsys.readouterr().err == ""
    assert store.current(project_copy.var).directory == built.directory


def test_a_graph_of_an_older_layout_is_rebuilt_before_serving(project_copy, ckg_serve, capsys, monkeypatch):
    layout = store.LAYOUT
    monkeypatch.setattr(store, "LAYOUT", 1)
    old = build(project_copy)
    monkeypatch.setattr(store, "LAYOUT", layout)
    code, served = ckg_serve()
    err = capsys.readouterr().err
    assert code == 0 and len(served) == 1
    assert err.startswith(f"ckg serve: the store {old.directory.name} was built by an earlier version of ckg "
                          f"(layout 1, not {layout}")
    assert err.endswith("run `ckg build`; building it first\n")
    rebuilt = store.current(project_copy.var)
    assert rebuilt.layout == layout and rebuilt.directory != old.directory


def test_a_failed_build_serves_nothing(project_copy, ckg_serve, capsys):
    path = project_copy.root / ANN
    path.write_text(path.read_text(encoding="utf-8").replace("ckg:riyadh\t", "ckg:nowhere\t", 1), encoding="utf-8")
    code, served = ckg_serve()
    err = capsys.readouterr().err
    assert code == 1 and served == []
    assert "ckg serve: the build failed: " in err and "unknown entity id 'nowhere'" in err
    assert store.current(project_copy.var) is None


def test_settings_are_checked_before_any_build(project_copy, ckg_serve, capsys):
    code, served = ckg_serve("--body-timeout", "0")
    assert code == 2 and served == []
    assert capsys.readouterr().err == ("ckg serve: --body-timeout must be above 0, --queue-timeout and "
                                       "--per-client-queries 0 or more\n")
    assert store.current(project_copy.var) is None


@pytest.mark.parametrize("args", [["--no-build"], ["--backend", "http://127.0.0.1:9", "--engine", "oxigraph"],
                                  ["--engine", "sparql11", "--query-url", "http://127.0.0.1:9/q"]])
def test_no_build_with_no_build_or_a_remote_engine(project_copy, ckg_serve, capsys, args):
    code, served = ckg_serve(*args)
    assert code == 0 and len(served) == 1 and capsys.readouterr().err == ""
    assert store.current(project_copy.var) is None
