"""The settings of `ckg serve` are declared once (server/settings.py): the Settings dataclass, the
command's options and the docs' table are made from that table, and say the same."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from coalition_kg.project import Project
from coalition_kg.server import docs_tables, serve
from coalition_kg.server.settings import SETTINGS, Settings

# The options scripts, tests and docs use (tests/server/conftest.py, README.md, docs/INTERNALS.md):
# a rename would break them, so the names are pinned here.
FLAGS = ["--queries", "--host", "--port", "--server", "--workers", "--threads", "--query-timeout", "--row-limit",
         "--max-body", "--cache-mb", "--access-log", "--no-cors", "--evaluator-memory-mb", "--memory-budget-mb",
         "--body-timeout", "--queue-timeout", "--per-client-queries", "--no-inline-lookups", "--backend", "--engine",
         "--query-url"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(formatter_class=lambda prog: argparse.HelpFormatter(prog, width=1000))
    serve.add_arguments(parser)
    return parser


def _settings(*argv: str, project: Project | None = None):
    return serve.settings_from(project or Project.locate(), _parser().parse_args(list(argv)))


def test_the_dataclass_has_one_attribute_per_row():
    assert [f.name for f in dataclasses.fields(Settings)] == [s.name for s in SETTINGS]
    made = Settings(var=Path("v"), queries=Path("q"))
    assert (made.row_limit, made.query_timeout, made.cache_bytes, made.max_body_bytes) == (10_000, 10.0, 64 << 20, 1 << 20)
    assert (made.workers, made.evaluators, made.access_log, made.cors, made.inline_lookups) == (1, 4, None, True, True)
    assert dataclasses.replace(made, row_limit=5).row_limit == 5
    try:
        made.row_limit = 5
    except dataclasses.FrozenInstanceError:
        pass
    else:
        raise AssertionError("Settings must stay frozen")


def test_for_project_and_the_memory_limit():
    project = Project.locate(var="/tmp/some-var")
    settings = Settings.for_project(project, evaluators=2)
    assert (settings.var, settings.queries, settings.evaluators) == (Path("/tmp/some-var"), project.queries, 2)
    # 8192 MiB / (1 worker x 2 evaluators) is more than the 2048 per child: the per-child limit holds.
    assert settings.evaluator_memory_limit == 2048 << 20
    assert dataclasses.replace(settings, workers=4).evaluator_memory_limit == 1024 << 20
    assert dataclasses.replace(settings, memory_budget_mb=0, evaluator_memory_mb=0).evaluator_memory_limit is None


def test_every_row_with_a_flag_is_an_option_of_ckg_serve():
    options = {option for action in _parser()._actions for option in action.option_strings}
    assert [s.flag for s in SETTINGS if s.flag] == FLAGS
    assert set(FLAGS) | {"--no-build", "-h", "--help"} == options


def test_ckg_serve_defaults():
    project = Project.locate(var="/tmp/some-var")
    settings = _settings(project=project)
    assert settings.queries == project.queries and settings.var == Path("/tmp/some-var")
    assert (settings.host, settings.port, settings.server, settings.workers, settings.evaluators) == \
        ("127.0.0.1", 8000, "granian", 2, 4)  # two worker processes, unlike an app made in-process
    assert (settings.cache_bytes, settings.max_body_bytes, settings.access_log) == (64 << 20, 1 << 20, "-")
    assert (settings.body_timeout, settings.queue_timeout, settings.per_client_queries) == (10.0, 5.0, 2)
    assert serve.check_settings(settings) is None


def test_options_become_attributes_in_their_units():
    settings = _settings("--cache-mb", "3", "--threads", "2", "--max-body", "4096", "--access-log", "off", "--no-cors",
                         "--no-inline-lookups", "--queries", "/tmp/q", "--query-timeout", "2.5", "--server", "gunicorn")
    assert settings.cache_bytes == 3 << 20  # MiB on the command line, bytes in the app
    assert (settings.evaluators, settings.max_body_bytes, settings.access_log) == (2, 4096, None)
    assert (settings.cors, settings.inline_lookups, settings.queries) == (False, False, Path("/tmp/q"))
    assert (settings.query_timeout, settings.server) == (2.5, "gunicorn")
    assert _settings("--access-log", "/tmp/access.log").access_log == "/tmp/access.log"


def test_check_settings_refuses_a_budget_too_small():
    problem = serve.check_settings(_settings("--workers", "2", "--threads", "4", "--memory-budget-mb", "2048"))
    assert "each evaluator child would get 256 MiB" in problem and "at least 768" in problem
    assert "--body-timeout" in serve.check_settings(_settings("--body-timeout", "0"))


def test_help_says_defaults_and_which_server():
    text = _parser().format_help()
    assert "(default 2; granian only)" in text  # --per-client-queries
    assert "(default 64 MiB)" in text and "`" not in text


def test_the_docs_tables_are_the_code_s():
    text = docs_tables.document().read_text(encoding="utf-8")
    held = docs_tables.blocks(text)
    assert set(held) == set(docs_tables.TABLES)
    for name, table in docs_tables.TABLES.items():
        assert held[name] == table(), f"run: python -m coalition_kg.server.docs_tables --update ({name})"
    assert "| `--cache-mb` | 64 MiB | answer cache per worker process, in MiB |" in held["serve-options"]
    assert "| `--per-client-queries` | 2 |" in held["serve-options"] and "(granian only)" in held["serve-options"]


def test_a_stale_docs_table_is_rewritten():
    text = docs_tables.document().read_text(encoding="utf-8")
    stale = text.replace("| `--workers` | 2 |", "| `--workers` | 3 |")
    assert stale != text and docs_tables.updated(stale) == text
