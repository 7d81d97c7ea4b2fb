"""Build faults: broken inputs, killed builds, a full disk and a damaged store.

In every case the previous store keeps serving (var/current still points at it and it answers), nothing
half-written is left behind, the next normal build succeeds, and a damaged store is never served."""

from __future__ import annotations

import fcntl
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coalition_kg.graph import store, store_manifest
from coalition_kg.graph.build import BuildError, build
from coalition_kg import cli
from coalition_kg.project import Project
from coalition_kg.server.errors import NoGraph
from coalition_kg.server import live_store
from coalition_kg.server.live_store import LiveStore
from conftest import REPO

ANN = "seeds/003_922b375491f8e4de.ann"
ARTICLE = "000_5ed4d548c76f9435.txt"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


# --------------------------------------------------------------------------- fixtures and checks

@pytest.fixture(scope="module")
def good_build(tmp_path_factory) -> Project:
    """The project's inputs and var directory with one good build, made once and copied by each test."""
    root = tmp_path_factory.mktemp("good")
    for folder in ("seeds", "ontology", "queries"):
        shutil.copytree(REPO / folder, root / "project" / folder)
    project = Project.locate(root / "project", var=root / "var")
    build(project)
    return project


@pytest.fixture()
def served(good_build, tmp_path) -> tuple[Project, store.StoreInfo]:
    """A project of this test's own whose var holds one good, current store."""
    shutil.copytree(good_build.root, tmp_path / "project")
    shutil.copytree(good_build.var, tmp_path / "var", symlinks=True)
    project = Project.locate(tmp_path / "project", var=tmp_path / "var")
    return project, store.current(project.var)


def assert_still_serving(project: Project, info: store.StoreInfo) -> None:
    """current points at the same store, it passes its check and answers; no half-written store is left."""
    now = store.current(project.var)
    assert now is not None and now.directory == info.directory
    store_manifest.verify(now.directory)
    assert _count(now) == info.quads
    assert LiveStore(project.var).snapshot().build_id == info.build_id
    assert _unfinished(project) == []


def _count(info: store.StoreInfo) -> int:
    return int(next(iter(info.open_read_only().query(COUNT)))["n"].value)


def _unfinished(project: Project) -> list[str]:
    return sorted(p.name for p in (project.var / "stores").iterdir() if p.name.endswith("-building"))


def _stores(project: Project) -> list[Path]:
    return sorted((project.var / "stores").iterdir())


def _ckg_build(project: Project, *, env: dict | None = None, preexec_fn=None,
               wait: bool = True) -> subprocess.CompletedProcess | subprocess.Popen:
    command = [sys.executable, "-m", "coalition_kg.cli", "--root", str(project.root), "build"]
    environment = {**os.environ, "CKG_VAR": str(project.var), **(env or {})}
    if not wait:
        return subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, preexec_fn=preexec_fn)
    return subprocess.run(command, env=environment, capture_output=True, text=True, preexec_fn=preexec_fn, timeout=120)


def assert_next_build_succeeds(project: Project, previous: store.StoreInfo) -> store.StoreInfo:
    """A normal build after the fault: it becomes current, answers, cleans up, and keeps the store before it."""
    built = build(project)
    info = store.current(project.var)
    assert info.directory == built.directory != previous.directory and info.build_id == previous.build_id
    assert _count(info) == info.quads
    assert previous.directory.is_dir()  # the store that was current is kept, for servers still using it
    assert _unfinished(project) == []
    return info


# --------------------------------------------------------------------------- finding 7: build inputs

def _rewrite(path: Path, edit) -> None:
    path.write_bytes(edit(path.read_bytes()))


def test_an_edited_article_whose_checksum_line_was_dropped_is_refused(served):
    project, info = served
    seeds = project.seeds
    _rewrite(seeds / ARTICLE, lambda data: data.replace("بروكسل".encode(), "بروكسال".encode(), 1))
    _rewrite(seeds / "SHA256SUMS", lambda data: b"".join(l for l in data.splitlines(True) if ARTICLE.encode() not in l))
    with pytest.raises(BuildError, match=rf"SHA256SUMS: no line for {ARTICLE}: every article must be listed"):
        build(project)
    assert_still_serving(project, info)


@pytest.mark.parametrize("line, expected", [
    ("not a checksum at all", r"SHA256SUMS:6: not a checksum line: expected '<64 hex digits>  <article>\.txt', found 'not a checksum at all'"),
    ("0" * 63 + "  " + ARTICLE, r"SHA256SUMS:6: not a checksum line"),
    ("0" * 64 + "  999_nothing.txt", r"SHA256SUMS:6: 999_nothing\.txt is listed but missing"),
    ("0" * 64 + "  entities.toml", r"SHA256SUMS:6: 'entities\.toml' is not an article"),
    ("0" * 64 + "  ../seeds/" + ARTICLE, r"SHA256SUMS:6: '\.\./seeds/000_5ed4d548c76f9435\.txt' is not an article"),
    ("0" * 64 + "  " + ARTICLE, rf"SHA256SUMS:6: {ARTICLE} is already listed on line 1"),
])
def test_every_checksum_line_names_an_article_once(served, line, expected):
    project, info = served
    _rewrite(project.seeds / "SHA256SUMS", lambda data: data + line.encode() + b"\n")
    with pytest.raises(BuildError, match=expected):
        build(project)
    assert_still_serving(project, info)


def test_a_missing_sha256sums_is_refused(served):
    project, info = served
    (project.seeds / "SHA256SUMS").unlink()
    with pytest.raises(BuildError, match=r"SHA256SUMS: missing: every article needs its SHA-256 here"):
        build(project)
    assert_still_serving(project, info)


@pytest.mark.parametrize("relative", [ANN, "seeds/entities.toml", "seeds/curation.toml", "seeds/SHA256SUMS",
                                      "ontology/shapes.ttl"])
def test_bad_utf8_names_the_file_line_and_byte_offset(served, relative):
    project, info = served
    path = project.root / relative
    data = path.read_bytes()
    offset = data.index(b"\n", data.index(b"\n") + 1) + 3  # three bytes into the third line
    path.write_bytes(data[:offset] + b"\xff" + data[offset:])
    with pytest.raises(BuildError) as caught:
        build(project)
    assert str(caught.value).endswith(
        f"{relative}:3: not valid UTF-8: byte 0xff at byte offset {offset} of the file (invalid start byte)")
    assert caught.value.path == path and caught.value.line == 3
    assert_still_serving(project, info)


def test_an_ann_that_is_a_directory_is_refused(served):
    project, info = served
    path = project.root / ANN
    path.unlink()
    path.mkdir()
    with pytest.raises(BuildError, match=r"003_922b375491f8e4de\.ann: is a directory, not a file"):
        build(project)
    assert_still_serving(project, info)


def test_an_orphan_ann_is_refused(served):
    project, info = served
    shutil.copy(project.root / ANN, project.seeds / "005_orphan.ann")
    with pytest.raises(BuildError, match=r"005_orphan\.ann: annotations of no article: 005_orphan\.txt is missing"):
        build(project)
    assert_still_serving(project, info)


def test_shapes_that_are_not_turtle_are_refused_before_anything_is_written(served):
    project, info = served
    _rewrite(project.ontology / "shapes.ttl", lambda data: data + b"\nex:broken a <unclosed .\n")
    lines = (project.ontology / "shapes.ttl").read_bytes().count(b"\n")
    with pytest.raises(BuildError, match=rf"ontology/shapes\.ttl:{lines}: not valid Turtle: "):
        build(project)
    assert_still_serving(project, info)


@pytest.mark.parametrize("break_it, expected", [
    (lambda p: _rewrite(p.seeds / "SHA256SUMS", lambda d: b"\xc3" + d), r"SHA256SUMS:1: not valid UTF-8: byte 0xc3 at byte offset 0"),
    (lambda p: shutil.copy(p.root / ANN, p.seeds / "005_orphan.ann"), r"005_orphan\.ann: annotations of no article"),
    (lambda p: shutil.rmtree(p.ontology), r"ontology: no such folder: the project root .* must hold seeds/ and ontology/"),
])
def test_the_cli_reports_broken_inputs_without_a_traceback(served, break_it, expected):
    project, info = served
    break_it(project)
    done = _ckg_build(project)
    assert done.returncode == 1
    assert re.search(expected, done.stderr) and "previous store keeps serving" in done.stderr
    assert "Traceback" not in done.stderr
    assert_still_serving(project, info)


# --------------------------------------------------------------------------- finding 8 and kills

def _killed_build(project: Project, point: str) -> None:
    killed = _ckg_build(project, env={"CKG_BUILD_KILL_AT": point})
    assert killed.returncode == -signal.SIGKILL, killed.stderr


@pytest.mark.parametrize("point", ["loaded", "validated", "manifest", "finished"])
def test_a_build_killed_at_each_point_costs_nothing(served, point):
    project, info = served
    _killed_build(project, point)
    assert store.current(project.var).directory == info.directory
    assert _count(store.current(project.var)) == info.quads
    left = [p for p in _stores(project) if p != info.directory]
    assert len(left) == 1
    if point == "finished":  # killed after the rename that finishes a store: complete, never made current
        store_manifest.verify(left[0])
    else:
        assert left[0].name.endswith("-building")
    assert_next_build_succeeds(project, info)


def test_repeatedly_killed_builds_never_cost_the_current_store(served):
    """Three builds killed, then a good one: with the old cleanup the killed builds' directories counted
    as kept stores and the store that was current was deleted."""
    project, info = served
    for _ in range(3):
        _killed_build(project, "validated")
        assert store.current(project.var).directory == info.directory
    assert len(_unfinished(project)) == 1  # each build deleted what the one killed before it left
    assert_next_build_succeeds(project, info)


def test_unfinished_directories_are_never_counted_as_kept_stores(served):
    """Two builds under way (their `-building` directories) while a third finishes: the swap's cleanup
    leaves them alone and keeps the store that was current (the old cleanup deleted it)."""
    project, info = served
    under_way = [project.var / "stores" / f"2999010{day}T000000_000000-building" for day in (1, 2)]
    for directory in under_way:
        directory.mkdir()
    quads = list(store.named_quads(info.open_read_only()))
    for build_id in ("aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"):
        store.make_current(project.var, store.write_new_store(project.var, build_id, iter(quads)))
    kept = _stores(project)
    assert info.directory in kept and all(d in kept for d in under_way)
    assert len(kept) == 5 and store.current(project.var).build_id == "bbbbbbbbbbbbbbbb"


def test_a_build_killed_at_random_moments_leaves_the_previous_store_serving(served):
    """SIGKILL from outside at different moments of a real build, whatever phase that lands in."""
    project, info = served
    kills = 0
    for delay in (0.0, 0.05, 0.2, 0.5):
        before = set(_unfinished(project))  # what the last kill left, until this build deletes it
        running = _ckg_build(project, wait=False)
        deadline = time.monotonic() + 60
        # Start the clock once the build has begun writing, so that the kills land among its writes.
        while not set(_unfinished(project)) - before and running.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(delay)
        running.kill()
        running.communicate()
        if running.returncode == -signal.SIGKILL:
            kills += 1
            assert store.current(project.var).directory == info.directory
            assert _count(store.current(project.var)) == info.quads
        else:  # it finished before the kill: then it is current, complete and intact
            assert running.returncode == 0
            store_manifest.verify(store.current(project.var).directory)
            info = store.current(project.var)
    assert kills >= 2  # the first kills land while the store is still being written
    assert_next_build_succeeds(project, info)


def test_a_second_build_waits_and_spares_the_directory_of_a_live_build(served):
    """While a build holds the lock its `-building` directory is left alone; once the lock is free (its
    holder died) the next build deletes it."""
    project, info = served
    live = project.var / "stores" / "29990101T000000_000000-building"
    live.mkdir()
    with open(project.var / "build.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # this test plays the live build
        waiting = _ckg_build(project, wait=False)
        line = waiting.stderr.readline()
        assert "waiting for the build under way" in line
        assert waiting.poll() is None and live.is_dir()
        assert store.current(project.var).directory == info.directory
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert not live.exists() and _unfinished(project) == []
    assert store.current(project.var).directory != info.directory and info.directory.is_dir()


# --------------------------------------------------------------------------- a full disk

def _file_size_limit(limit: int):
    """For the build's process: files stop growing at `limit` bytes, and a write past it fails with
    EFBIG (SIGXFSZ ignored, so that the write errs instead of killing): a full disk, without root."""
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.mark.parametrize("limit", [1_000, 100_000])  # RocksDB's options file; its first table file
def test_a_full_disk_stops_the_build_cleanly(served, limit):
    project, info = served
    done = _ckg_build(project, preexec_fn=_file_size_limit(limit))
    assert done.returncode == 1
    assert "could not write the new store" in done.stderr and "File too large" in done.stderr
    assert "previous store keeps serving" in done.stderr and "Traceback" not in done.stderr
    assert _stores(project) == [info.directory]
    assert_still_serving(project, info)
    assert_next_build_succeeds(project, info)


# --------------------------------------------------------------------------- a damaged store

def _largest_table(directory: Path) -> Path:
    return max((directory / "store").glob("*.sst"), key=lambda p: p.stat().st_size)


def _garble(path: Path) -> None:
    """Flip one byte in the middle: same size, other content."""
    with open(path, "r+b") as data:
        data.seek(path.stat().st_size // 2)
        byte = data.read(1)
        data.seek(-1, os.SEEK_CUR)
        data.write(bytes([byte[0] ^ 0xFF]))


def _truncate(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


@pytest.mark.parametrize("damage, expected", [
    (_garble, r"does not have the SHA-256 the manifest records"),
    (_truncate, r"is \d+ bytes; the manifest records \d+"),
])
def test_a_store_damaged_before_the_swap_is_never_made_current(served, monkeypatch, damage, expected):
    project, info = served
    finish = store.NewStore.finish

    def finish_then_damage(self, *args, **kwargs):
        finished = finish(self, *args, **kwargs)
        damage(_largest_table(finished.directory))  # between the manifest and the swap
        return finished

    monkeypatch.setattr(store.NewStore, "finish", finish_then_damage)
    with pytest.raises(BuildError, match=r"\.sst: the new store fails its check: " + expected):
        build(project)
    assert _stores(project) == [info.directory]  # the damaged store was deleted
    assert_still_serving(project, info)
    monkeypatch.undo()
    assert_next_build_succeeds(project, info)


@pytest.mark.parametrize("damage, expected", [
    (lambda d: _garble(_largest_table(d)), r"store/\d+\.sst does not have the SHA-256 the manifest records"),
    (lambda d: _truncate(_largest_table(d)), r"store/\d+\.sst is \d+ bytes; the manifest records \d+"),
    (lambda d: _largest_table(d).unlink(), r"store/\d+\.sst is missing"),
    (lambda d: (d / "store" / "CURRENT").write_text("MANIFEST-999999\n"), r"store/CURRENT does not have the SHA-256"),
    (lambda d: (d / "manifest.json").unlink(), r"manifest\.json is missing: not a finished store"),
    (lambda d: (d / "manifest.json").write_text("{"), r"manifest\.json cannot be read: "),
])
def test_a_store_damaged_after_the_swap_is_never_served_and_the_next_build_replaces_it(served, damage, expected):
    project, info = served
    damage(info.directory)
    live = LiveStore(project.var)
    for _ in range(2):  # the refusal is remembered, not worked out again for each request
        with pytest.raises(NoGraph, match=rf"\(stores/{re.escape(info.directory.name)}\) is damaged and is not served: " + expected):
            live.snapshot()
    fresh = build(project)  # a normal build, whatever state the damaged store is in
    assert store.current(project.var).directory == fresh.directory != info.directory
    assert live.snapshot().build_id == info.build_id == fresh.build_id
    assert _count(fresh) == info.quads


def test_above_the_full_check_size_the_live_store_checks_names_and_sizes(served, monkeypatch):
    """The trade-off of FULL_CHECK_BYTES: a store up to that size is hashed in full before it is served;
    a larger one after one stat per file, so a change of content that keeps the size is left to RocksDB's
    block checksums, while a truncation is still caught."""
    project, info = served
    table = _largest_table(info.directory)
    _garble(table)
    monkeypatch.setattr(live_store, "FULL_CHECK_BYTES", store_manifest.size(info.directory))
    with pytest.raises(NoGraph, match=rf"store/{table.name} does not have the SHA-256"):
        LiveStore(project.var).snapshot()
    monkeypatch.setattr(live_store, "FULL_CHECK_BYTES", store_manifest.size(info.directory) - 1)
    assert LiveStore(project.var).snapshot().build_id == info.build_id
    _truncate(table)
    with pytest.raises(NoGraph, match=rf"store/{table.name} is \d+ bytes; the manifest records \d+"):
        LiveStore(project.var).snapshot()


def test_the_cli_neither_reads_nor_keeps_a_damaged_store(served, monkeypatch, capsys):
    project, info = served
    _garble(_largest_table(info.directory))
    monkeypatch.setenv("CKG_VAR", str(project.var))
    with pytest.raises(SystemExit):
        cli.main(["--root", str(project.root), "dump", "--format", "nquads"])
    assert re.search(r"ckg: the current store is damaged, so it is not read: .*\.sst: does not have the SHA-256",
                     capsys.readouterr().err)
    assert cli.main(["--root", str(project.root), "build", "--if-changed"]) == 0
    assert "built" in capsys.readouterr().out  # rebuilt, not "up to date"
    assert store.current(project.var).directory != info.directory
    assert cli.main(["--root", str(project.root), "build", "--if-changed"]) == 0
    assert "up to date" in capsys.readouterr().out
