"""`ckg`: the command line, a thin layer over the library (graph/) and the web layer (server/)."""

from __future__ import annotations

import argparse
import sys

from coalition_kg.graph import dump as dumping, query_output
from coalition_kg.graph.engine_names import ENGINE_NAMES
from coalition_kg.project import Project


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ckg", description=__doc__)
    parser.add_argument("--root", help="the project folder (default: this repository, or $CKG_ROOT)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = commands.add_parser("build", help="annotations -> RDF -> reasoning -> validation -> a new store, swapped in")
    build.add_argument("--quiet", action="store_true", help="print nothing on success")
    build.add_argument("--if-changed", action="store_true", help="do nothing when the current store was built from the same inputs")
    build.add_argument("--allow-unreviewed", action="store_true",
                       help="build even when an article's annotations cover too few registry names or keep DRAFT marks (see `ckg check`)")
    build.set_defaults(run=_build)

    install = commands.add_parser("install", help="make a store built elsewhere current here: copied in, checked, swapped (a replica's rollout)")
    install.add_argument("store", help="a finished store directory, e.g. the build machine's var/current (copied there first)")
    install.add_argument("--var", help="the var directory to install into (default: the project's, or $CKG_VAR)")
    install.set_defaults(run=_install)

    dump = commands.add_parser("dump", help="write the graph in a deterministic serialization")
    dump.add_argument("--format", default="turtle", choices=dumping.FORMATS)
    dump.add_argument("-o", "--output", help="file to write (default: standard output)")
    dump.set_defaults(run=_dump)

    query = commands.add_parser("query", help="run a saved query (see `ckg queries`)")
    query.add_argument("name", help="the saved query's name (its file stem in queries/)")
    query.add_argument("--format", default="table", choices=["table", *query_output.FORMATS])
    query.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    query.set_defaults(run=_query)

    listing = commands.add_parser("queries", help="list the saved queries with their parameters")
    listing.set_defaults(run=_list_queries)

    add = commands.add_parser("add", help="add a new Arabic article to seeds/: its name, its checksum and a draft .ann")
    add.add_argument("article", help="the article, a UTF-8 text file")
    add.add_argument("--force", action="store_true", help="replace an existing .ann with a new draft")
    add.set_defaults(run=_add)

    annotate = commands.add_parser("annotate", help="draft brat standoff for an article: registry entities linked, the rest marked DRAFT")
    annotate.add_argument("article", help="the article, a UTF-8 text file as it will be kept (see `ckg add`)")
    annotate.add_argument("-o", "--output", help="the .ann to write (default: beside the article; - for standard output)")
    annotate.add_argument("--force", action="store_true", help="replace an existing .ann")
    annotate.set_defaults(run=_annotate)

    check = commands.add_parser("check", help="per article: registry names not annotated, forms annotated in one place and bare in another, DRAFT marks left")
    check.set_defaults(run=_check)

    brat = commands.add_parser("brat-config", help="write brat's annotation.conf, visual.conf and tools.conf beside the articles, from the vocabulary")
    brat.add_argument("--check", action="store_true", help="write nothing; exit 1 if the files are missing or out of date")
    brat.set_defaults(run=_brat_config)

    publish = commands.add_parser(
        "publish", help="copy the current build into an existing SPARQL engine (staged, counted, then swapped in)",
        description="Credentials, when the engine asks for them, come from the environment: "
                    "CKG_PUBLISH_USER and CKG_PUBLISH_PASSWORD (Basic or Digest authentication).")
    publish.add_argument("--to", metavar="URL", help="the engine's base URL (oxigraph, virtuoso)")
    publish.add_argument("--engine", required=True, choices=ENGINE_NAMES)
    publish.add_argument("--query-url", help="sparql11: the SPARQL query endpoint")
    publish.add_argument("--update-url", help="sparql11: the SPARQL update endpoint")
    publish.add_argument("--gsp-url", help="sparql11: the Graph Store Protocol endpoint (takes ?graph=IRI)")
    publish.set_defaults(run=_publish)

    serve = commands.add_parser("serve", help="serve the SPARQL endpoint and web pages")
    from coalition_kg.server import serve as serving

    serving.add_arguments(serve)
    serve.set_defaults(run=_serve)

    args = parser.parse_args(argv)
    project = Project.locate(args.root)
    try:
        return args.run(project, args) or 0
    except KeyboardInterrupt:
        return 130


def _build(project: Project, args) -> int:
    from coalition_kg.graph.build import build_when_due
    from coalition_kg.graph.errors import BuildError, Unreviewed

    timings: dict[str, float] = {}
    try:
        info = build_when_due(project, timings, if_changed=args.if_changed, allow_unreviewed=args.allow_unreviewed)
    except BuildError as error:
        print(f"ckg build: {error}", file=sys.stderr)
        print("ckg build: nothing was changed; the previous store keeps serving.", file=sys.stderr)
        return 1
    except Unreviewed as refused:
        for article in refused.articles:
            print(f"ckg build: {article.shortfall}", file=sys.stderr)
        print("ckg build: `ckg check` lists them; --allow-unreviewed builds anyway. Nothing was changed.", file=sys.stderr)
        return 1
    if info is None:
        if not args.quiet:
            print("the current store is up to date; nothing to build")
        return 0
    if not args.quiet:
        print(f"built {info.quads} quads in {len(info.graphs)} graphs (build {info.build_id}) -> {info.directory}")
        print("  " + ", ".join(f"{phase} {seconds:.2f} s" for phase, seconds in timings.items()))
    return 0


def _serve(project: Project, args) -> int:
    from coalition_kg.server import serve as serving

    settings = serving.settings_from(project, args)

    def say(message: str) -> None:
        print(f"ckg serve: {message}", file=sys.stderr)

    try:
        serving.prepare(project, settings, build_missing=not args.no_build, say=say)
    except serving.BadSettings as error:
        print(f"ckg serve: {error}", file=sys.stderr)
        return 2
    except serving.BuildFailed as error:
        print(f"ckg serve: {error}", file=sys.stderr)
        return 1
    return serving.run(settings)


def _publish(project: Project, args) -> int:
    from coalition_kg.graph import publish as publishing  # its engine clients: only this command needs them

    engine = publishing.ENGINES[args.engine]
    try:
        client = publishing.client_for(engine, args.to, args.query_url, args.update_url, args.gsp_url)
    except publishing.PublishTargetError as error:
        print(f"ckg publish: {error}", file=sys.stderr)
        return 2
    try:
        report = publishing.publish(publishing.current_build(project.var), engine, client, say=print)
    except publishing.PublishError as error:
        print(f"ckg publish: {error}", file=sys.stderr)
        return 1
    named = {graph: count for graph, count in report.graphs.items() if graph != publishing.MERGED}
    print(f"published build {report.build_id}: {sum(named.values())} triples in {len(named)} graphs and their merge "
          f"({report.graphs[publishing.MERGED]} triples) in {report.seconds:.2f} s")
    return 0


def _install(project: Project, args) -> int:
    from pathlib import Path

    from coalition_kg.graph.errors import CorruptStore
    from coalition_kg.graph.store_install import install

    var = Path(args.var).resolve() if args.var else project.var
    try:
        info, copied = install(Path(args.store), var)
    except CorruptStore as error:
        print(f"ckg install: {error}", file=sys.stderr)
        print("ckg install: nothing was changed; the current store keeps serving.", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"ckg install: could not copy the store into {var}: {error}", file=sys.stderr)
        print("ckg install: nothing was changed; the current store keeps serving.", file=sys.stderr)
        return 1
    print(f"build {info.build_id} is current in {var} ({'copied' if copied else 'already there'}: {info.directory.name})")
    return 0


def _add(project: Project, args) -> int:
    from pathlib import Path

    from coalition_kg.graph import intake
    from coalition_kg.graph.errors import BuildError

    try:
        added = intake.add(project.seeds, Path(args.article), _draft(project), force=args.force)
    except (intake.IntakeError, BuildError) as error:
        print(f"ckg add: {error}", file=sys.stderr)
        return 1
    for change in added.changes:
        print(f"ckg add: {change} (before naming and hashing)")
    if added.already_present:
        print(f"this text is already in seeds/ as {added.text_path.name}")
    else:
        print(f"added {added.text_path} ({len(added.text)} characters); its SHA-256 is in seeds/SHA256SUMS")
    if added.draft_written:
        print(f"draft annotations: {added.ann_path}")
    else:
        print(f"{added.ann_path.name} exists and was left as it is (--force writes a new draft over it)")
    print(f"next: titles in seeds/entities.toml ([article.{added.stem}] with en and ar), review the draft "
          "(seeds/ANNOTATION.md), `ckg check`, `ckg build`")
    return 0


def _draft(project: Project):
    """The linker's draft over the project's registry (read once, when first needed)."""
    from coalition_kg.graph import linker, registry

    entities = []

    def draft(text: str, stem: str) -> str:
        if not entities:
            entities.append(registry.load_registry(project.seeds / "entities.toml"))
        return linker.draft(text, entities[0])

    return draft


def _annotate(project: Project, args) -> int:
    from pathlib import Path

    from coalition_kg.graph import intake
    from coalition_kg.graph.errors import BuildError

    source = Path(args.article)
    output = None if args.output == "-" else Path(args.output) if args.output else source.with_suffix(".ann")
    try:
        drafted = intake.annotate(source, _draft(project), output, force=args.force)
    except (intake.IntakeError, BuildError) as error:  # BuildError: the registry the draft reads
        print(f"ckg annotate: {error}", file=sys.stderr)
        return 1
    if output is None:
        sys.stdout.write(drafted.content)
    else:
        print(f"wrote {output}: {drafted.mentions} mentions, {drafted.drafts} marked DRAFT for review")
    return 0


def _check(project: Project, args) -> int:
    from coalition_kg.graph import coverage, registry
    from coalition_kg.graph.errors import BuildError

    try:
        entities = registry.load_registry(project.seeds / "entities.toml")
        report = coverage.check(project.seeds, entities)
    except BuildError as error:
        print(f"ckg check: {error}", file=sys.stderr)
        return 2
    sys.stdout.write(coverage.render(report, entities))
    return 0 if report.clean else 1


def _brat_config(project: Project, args) -> int:
    from coalition_kg.graph import brat_config

    if args.check:
        stale = brat_config.stale(project.seeds)
        for name in stale:
            print(f"ckg brat-config: seeds/{name} is missing or out of date; run `ckg brat-config`", file=sys.stderr)
        return 1 if stale else 0
    for path in brat_config.write(project.seeds):
        print(f"wrote {path}")
    return 0


def _dump(project: Project, args) -> int:
    store = _open_current(project)
    if args.output:
        with open(args.output, "wb") as out:
            dumping.dump(store, args.format, out)
    else:
        dumping.dump(store, args.format, sys.stdout.buffer)
    return 0


def _query(project: Project, args) -> int:
    from coalition_kg.graph import saved_queries

    queries = saved_queries.load_all(project.queries)
    if args.name not in queries:
        print(f"ckg query: no saved query {args.name!r}; known: {', '.join(queries)}", file=sys.stderr)
        return 2
    values = {}
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep:
            print(f"ckg query: --param takes NAME=VALUE, got {item!r}", file=sys.stderr)
            return 2
        values[name] = value
    saved = queries[args.name]
    try:
        text, substitutions = saved.bound(values)
    except saved_queries.SavedQueryError as error:
        print(f"ckg query: {error}", file=sys.stderr)
        return 2
    store = _open_current(project)
    results = store.query(text, substitutions=substitutions)
    query_output.write_results(results, args.format, sys.stdout)
    return 0


def _list_queries(project: Project, args) -> int:
    from coalition_kg.graph import saved_queries

    for saved in saved_queries.load_all(project.queries).values():
        print(f"{saved.name}: {saved.title}")
        print(f"    {saved.description}")
        for param in saved.params:
            default = f" (default {param.default})" if param.default else ""
            print(f"    --param {param.name}=<{param.kind}>  {param.description}{default}")
    return 0


def _open_current(project: Project):
    from coalition_kg.graph import store
    from coalition_kg.graph.errors import CorruptStore, NoCurrentStore

    try:
        return store.open_current(project.var)
    except NoCurrentStore as error:
        print(f"ckg: {error}", file=sys.stderr)
        raise SystemExit(1) from None
    except CorruptStore as error:
        print(f"ckg: the current store is damaged, so it is not read: {error}; run `ckg build`", file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    sys.exit(main())
