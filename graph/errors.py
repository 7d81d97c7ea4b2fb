"""The errors of the graph library: BuildError, the one error a build stops with (it names the file, the line
and, where there is one, the offset); Unreviewed, a build refused before it starts; CorruptStore, a built
store that fails its check; and NoCurrentStore, nothing built yet."""

from __future__ import annotations

from pathlib import Path


class BuildError(Exception):
    def __init__(self, path: Path | str, message: str, line: int | None = None, offset: int | None = None):
        self.path = Path(path)
        self.line = line
        self.offset = offset
        self.message = message
        where = _shown(Path(path))
        if line is not None:
            where += f":{line}"
        if offset is not None:
            where += f" (offset {offset})"
        super().__init__(f"{where}: {message}")


def _shown(path: Path) -> str:
    """The path relative to the working directory when it lies below it, as a user would type it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class Unreviewed(Exception):
    """A build refused before it started: the articles whose review is not finished (their
    coverage.ArticleReport, each with its shortfall)."""

    def __init__(self, articles: list):
        self.articles = articles
        super().__init__("; ".join(article.shortfall for article in articles))


class CorruptStore(Exception):
    """A built store whose files are not those its manifest records (graph/store_manifest.py): it is
    never made current, and never served."""

    def __init__(self, path: Path | str, message: str):
        self.path = Path(path)
        self.message = message
        super().__init__(f"{path}: {message}")


class NoCurrentStore(Exception):
    """No store has been made current yet: there is no graph to read."""
