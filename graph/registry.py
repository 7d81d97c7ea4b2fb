"""The entity registry (seeds/entities.toml) and the curation file (seeds/curation.toml)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BuildError
from .input_files import read_text
from .vocabulary import REGISTRY_TYPES, RELATIONS

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_QID = re.compile(r"^Q[1-9][0-9]*$")


@dataclass(frozen=True)
class Entity:
    id: str
    type: str
    en: str
    ar: str
    variants: tuple[str, ...] = ()
    wikidata: str | None = None
    note: str | None = None
    line: int = 0

    @property
    def surface_forms(self) -> frozenset[str]:
        return frozenset((self.ar,) + self.variants)


@dataclass(frozen=True)
class ArticleTitle:
    stem: str
    en: str
    ar: str


@dataclass(frozen=True)
class CuratedFact:
    """Something the seeds do not state: a worked-out day, a membership known from elsewhere."""

    index: int  # 1-based position in curation.toml, used in the fact's IRI
    subject: str
    relation: str
    object: str | None  # an entity id, for relations between entities
    value: str | None  # a literal value (date, integer, weekday)
    reason: str
    source: str | None
    derived_from: tuple[str, ...]  # article mentions it was worked out from, as "STEM#T4"
    line: int


@dataclass
class Registry:
    path: Path
    entities: dict[str, Entity] = field(default_factory=dict)
    articles: dict[str, ArticleTitle] = field(default_factory=dict)

    def get(self, entity_id: str, path: Path, line: int) -> Entity:
        try:
            return self.entities[entity_id]
        except KeyError:
            raise BuildError(path, f"unknown entity id {entity_id!r} (not in {self.path.name})", line) from None


def _lines_of_tables(text: str, prefix: str) -> dict[str, int]:
    """Line numbers of `[prefix.KEY]` headers, so that errors can point into the TOML file."""
    found = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = re.match(r"^\[" + re.escape(prefix) + r"\.([^\]]+)\]\s*$", line.strip())
        if match:
            found[match.group(1).strip('"')] = number
    return found


def _load_toml(path: Path) -> tuple[dict, str]:
    text = read_text(path)
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as error:
        line = getattr(error, "lineno", None)
        raise BuildError(path, f"not valid TOML: {error}", line) from None


def load_registry(path: Path) -> Registry:
    data, text = _load_toml(path)
    lines = _lines_of_tables(text, "entity")
    article_lines = _lines_of_tables(text, "article")
    registry = Registry(path)
    for key, table in data.get("entity", {}).items():
        line = lines.get(key)
        unknown = set(table) - {"type", "en", "ar", "variants", "wikidata", "note"}
        if unknown:
            raise BuildError(path, f"entity {key}: unknown field(s) {', '.join(sorted(unknown))}", line)
        if not _ID.match(key):
            raise BuildError(path, f"entity id {key!r}: use lowercase letters, digits and hyphens", line)
        for required in ("type", "en", "ar"):
            if not isinstance(table.get(required), str) or not table[required].strip():
                raise BuildError(path, f"entity {key}: missing {required}", line)
        if table["type"] not in REGISTRY_TYPES:
            raise BuildError(path, f"entity {key}: type {table['type']!r} is not one of {', '.join(REGISTRY_TYPES)}", line)
        wikidata = table.get("wikidata")
        if wikidata is not None and not _QID.match(wikidata):
            raise BuildError(path, f"entity {key}: wikidata {wikidata!r} is not a Q-identifier", line)
        variants = tuple(table.get("variants", ()))
        if len(set(variants)) != len(variants) or table["ar"] in variants:
            raise BuildError(path, f"entity {key}: a variant is listed twice or repeats the ar label", line)
        registry.entities[key] = Entity(key, table["type"], table["en"], table["ar"], variants, wikidata, table.get("note"), line or 0)
    for stem, table in data.get("article", {}).items():
        if not table.get("en") or not table.get("ar"):
            raise BuildError(path, f"article {stem}: needs en and ar titles", article_lines.get(stem))
        registry.articles[stem] = ArticleTitle(stem, table["en"], table["ar"])
    return registry


def load_curation(path: Path, registry: Registry) -> list[CuratedFact]:
    data, text = _load_toml(path)
    fact_lines = [n for n, line in enumerate(text.splitlines(), start=1) if line.strip() == "[[fact]]"]
    facts = []
    for index, table in enumerate(data.get("fact", []), start=1):
        line = fact_lines[index - 1] if index - 1 < len(fact_lines) else None
        unknown = set(table) - {"subject", "relation", "object", "value", "reason", "source", "derived_from"}
        if unknown:
            raise BuildError(path, f"fact {index}: unknown field(s) {', '.join(sorted(unknown))}", line)
        for required in ("subject", "relation", "reason"):
            if not table.get(required):
                raise BuildError(path, f"fact {index}: missing {required}", line)
        if table["relation"] not in RELATIONS:
            raise BuildError(path, f"fact {index}: unknown relation {table['relation']!r}; known: {', '.join(RELATIONS)}", line)
        if "object" in table and RELATIONS[table["relation"]].literal:
            raise BuildError(path, f"fact {index}: {table['relation']} takes a value, not an object", line)
        if ("object" in table) == ("value" in table):
            raise BuildError(path, f"fact {index}: give either an object (an entity id) or a value", line)
        registry.get(table["subject"], path, line)
        if "object" in table:
            registry.get(table["object"], path, line)
        facts.append(
            CuratedFact(
                index=index,
                subject=table["subject"],
                relation=table["relation"],
                object=table.get("object"),
                value=str(table["value"]) if "value" in table else None,
                reason=table["reason"],
                source=table.get("source"),
                derived_from=tuple(table.get("derived_from", ())),
                line=line or 0,
            )
        )
    return facts
