"""`ckg check`: the linker run over every article, against its annotations.

Per article it reports
- missing: a registry name the linker links without doubt that no mention of that entity covers;
- bare: a surface form annotated somewhere in the article and left without a mention elsewhere in it;
- drafts: mentions still carrying a DRAFT note from `ckg annotate` / `ckg add`;
and, over all articles, registry entities that no article mentions.

It reads the .ann files loosely (T, N and note lines only), so that a draft the build would still refuse
can be checked too; the build's own checks stay in graph/annotations.py.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path

from . import arabic, linker
from .annotations import N_LINE, NOTE_LINE, T_LINE, restored_form
from .errors import BuildError
from .input_files import read_text
from .registry import Registry, load_registry


@dataclass
class Mention:
    id: str
    start: int
    end: int
    text: str
    entity: str | None = None
    draft: bool = False


# `ckg build` refuses an article whose mentions cover less than this share of the registry names the
# linker is sure of (unless told: --allow-unreviewed).
MIN_COVERAGE = 0.9


@dataclass
class ArticleReport:
    stem: str
    sure: int = 0  # registry names the linker links without doubt
    missing: list[linker.Found] = field(default_factory=list)
    bare: list[tuple[linker.Found, Mention]] = field(default_factory=list)  # the bare place, one annotated place
    drafts: list[Mention] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.missing or self.bare or self.drafts)

    @property
    def coverage(self) -> float:
        """The share of the names the linker is sure of that a mention of their entity covers."""
        return 1.0 if not self.sure else (self.sure - len(self.missing)) / self.sure

    @property
    def reviewed(self) -> bool:
        return self.coverage >= MIN_COVERAGE and not self.drafts

    @property
    def shortfall(self) -> str:
        """How far the article's review is from finished, in words."""
        return (f"{self.stem}: {self.sure - len(self.missing)} of {self.sure} registry names annotated "
                f"(at least {MIN_COVERAGE:.0%} needed), {len(self.drafts)} DRAFT marks left")


@dataclass
class Report:
    articles: list[ArticleReport]
    never_mentioned: list[str]  # registry ids

    @property
    def clean(self) -> bool:
        return all(article.clean for article in self.articles)


def read_mentions(ann_path: Path) -> dict[str, Mention]:
    mentions: dict[str, Mention] = {}
    lines = read_text(ann_path).split("\n")
    for line in lines:
        if m := T_LINE.match(line):
            mentions[m.group(1)] = Mention(m.group(1), int(m.group(3)), int(m.group(4)), m.group(5))
    for line in lines:
        if (m := N_LINE.match(line)) and m.group(2) in mentions:
            mentions[m.group(2)].entity = m.group(3)
        elif (m := NOTE_LINE.match(line)) and m.group(2) in mentions and m.group(3).startswith(linker.DRAFT_MARK):
            mentions[m.group(2)].draft = True
    return mentions


def check_article(text: str, mentions: dict[str, Mention], stem: str, index: linker.Index) -> ArticleReport:
    report = ArticleReport(stem)
    report.drafts = sorted((m for m in mentions.values() if m.draft), key=lambda m: m.start)
    found = linker.find(text, index)
    entities = index.registry.entities

    by_start = sorted(mentions.values(), key=lambda m: m.start)
    starts = [m.start for m in by_start]
    longest = max((m.end - m.start for m in by_start), default=0)

    def covered(item: linker.Found, entity: str | None = None) -> bool:
        # the mentions that may cover it start at most `longest` before its end (a long article has
        # many thousands: no scan of all of them for each name)
        near = by_start[bisect.bisect_left(starts, item.end - longest):bisect.bisect_right(starts, item.start)]
        return any(m.start <= item.start and item.end <= m.end and (entity is None or m.entity == entity)
                   for m in near)

    for item in found:
        if item.status in (linker.LINKED, linker.NEW_SPELLING):
            report.sure += 1
            if not covered(item, item.candidates[0]):
                report.missing.append(item)
    annotated: dict[str, Mention] = {}  # form key -> one place it is annotated
    for mention in sorted(mentions.values(), key=lambda m: m.start):
        if mention.entity in entities:
            form = restored_form(mention.text, entities[mention.entity].surface_forms)
            annotated.setdefault(arabic.normalise(form), mention)
    for item in found:
        place = annotated.get(item.form)
        if place is not None and not covered(item):
            report.bare.append((item, place))
    return report


def check(seeds: Path, registry: Registry) -> Report:
    """Every article in `seeds` that has an .ann beside it."""
    index = linker.Index(registry)
    articles, mentioned = [], set()
    for text_path in sorted(seeds.glob("*.txt")):
        ann_path = text_path.with_suffix(".ann")
        if not ann_path.exists():
            raise BuildError(text_path, f"no annotations: {ann_path.name} is missing (`ckg annotate` drafts it)")
        mentions = read_mentions(ann_path)
        text = read_text(text_path)
        for mention in mentions.values():
            if text[mention.start:mention.end] != mention.text:
                raise BuildError(ann_path, f"{mention.id}: the text at {mention.start}-{mention.end} is "
                                           f"{text[mention.start:mention.end]!r}, not {mention.text!r}")
        mentioned.update(m.entity for m in mentions.values() if m.entity)
        articles.append(check_article(text, mentions, text_path.stem, index))
    never = sorted(set(registry.entities) - mentioned)
    return Report(articles, never)


def render(report: Report, registry: Registry) -> str:
    lines = []
    for article in report.articles:
        if article.clean:
            lines.append(f"{article.stem}: nothing to report")
            continue
        lines.append(f"{article.stem}: {article.sure - len(article.missing)} of {article.sure} registry names annotated")
        for item in article.missing:
            lines.append(f"  missing  {item.start}-{item.end} {item.text!r}: ckg:{item.candidates[0]} is not annotated here")
        for item, place in article.bare:
            lines.append(f"  bare     {item.start}-{item.end} {item.text!r}: annotated at {place.id} "
                         f"({place.start}-{place.end}, ckg:{place.entity}), not here")
        for mention in article.drafts:
            lines.append(f"  draft    {mention.start}-{mention.end} {mention.text!r}: {mention.id} still marked DRAFT")
    if report.never_mentioned:
        lines.append("registry entities no article mentions: " + ", ".join(report.never_mentioned))
    return "\n".join(lines) + "\n"


def unreviewed(seeds: Path) -> list[ArticleReport]:
    """The articles whose review is not finished, which a build refuses (unless told). Inputs that
    cannot be read count as none: the build says what is wrong with them."""
    try:
        report = check(seeds, load_registry(seeds / "entities.toml"))
    except BuildError:
        return []
    return [article for article in report.articles if not article.reviewed]
