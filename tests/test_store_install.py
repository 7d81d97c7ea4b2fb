"""`ckg install`: a build made elsewhere, copied into a var directory, checked, and made current; a damaged
one changes nothing."""

from __future__ import annotations

import shutil

import pytest

from coalition_kg import cli
from coalition_kg.graph import store, store_manifest
from coalition_kg.graph.errors import CorruptStore
from coalition_kg.graph.store_install import install


@pytest.fixture()
def shipped(built_project, tmp_path):
    """The session's build as it arrives on a replica's machine: its store directory copied under another name."""
    source = store.current(built_project.var).directory
    arrived = tmp_path / "incoming"
    shutil.copytree(source, arrived)
    return source, arrived


def test_install_copies_checks_and_makes_current(shipped, tmp_path):
    source, arrived = shipped
    var = tmp_path / "replica"
    info, copied = install(arrived, var)
    built = store.read_info(source)
    assert copied and store.current(var).build_id == built.build_id == info.build_id
    # The same name as on the build machine, found again from build.json though the copy was renamed.
    assert info.directory.name == source.name and info.directory.parent == var / "stores"
    store_manifest.verify(info.directory, digests=True)
    assert info.open_read_only().query("ASK { GRAPH ?g { ?s ?p ?o } }")
    assert not [p for p in (var / "stores").iterdir() if p.name.endswith(store.UNFINISHED)]

    again, copied_again = install(arrived, var)  # a roll resumed: nothing to copy, still current
    assert not copied_again and again.directory == info.directory


def test_a_damaged_build_is_not_installed_and_the_current_one_keeps_serving(shipped, tmp_path):
    source, arrived = shipped
    var = tmp_path / "replica"
    install(source, var)
    before = store.current_name(var)
    damaged = tmp_path / "damaged"
    shutil.copytree(source, damaged)
    (damaged / "build.json").write_text((damaged / "build.json").read_text().replace('"quads"', '"quads" '))
    with pytest.raises(CorruptStore, match="build.json"):
        install(damaged, var)
    assert store.current_name(var) == before
    assert [p.name for p in (var / "stores").iterdir()] == [source.name]
    # Damage of the same size passes the names-and-sizes look at the source; the copy's full check finds it.
    shutil.rmtree(damaged)
    shutil.copytree(source, damaged)
    table = max((damaged / "store").glob("*.sst"), key=lambda p: p.stat().st_size)
    data = bytearray(table.read_bytes())
    data[len(data) // 2] ^= 0xFF
    table.write_bytes(bytes(data))
    other = tmp_path / "other-replica"
    with pytest.raises(CorruptStore, match=r"\.sst"):
        install(damaged, other)
    assert store.current_name(other) is None and list((other / "stores").iterdir()) == []


def test_the_command_says_what_it_did(shipped, tmp_path, capsys):
    _, arrived = shipped
    var = tmp_path / "replica"
    assert cli.main(["install", str(arrived), "--var", str(var)]) == 0
    assert f"is current in {var} (copied" in capsys.readouterr().out
    assert cli.main(["install", str(tmp_path), "--var", str(var)]) == 1
    error = capsys.readouterr().err
    assert "not a finished store" in error and "the current store keeps serving" in error
