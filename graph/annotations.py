"""Reading brat standoff annotations and checking them against the verbatim article and the registry.

Every check that fails raises BuildError naming the .ann file, the line and, for a mention, the offset;
nothing is written before all articles pass. See seeds/ANNOTATION.md for the rules checked here.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BuildError
from .input_files import read_text
from .registry import Registry
from .vocabulary import (
    ENTITY_MENTIONS,
    EVENT_ARGUMENT,
    EVENT_TYPES,
    EVENTS,
    MENTION_ATTRIBUTES,
    MENTION_TYPES,
    NORMALIZATION_DB,
    RELATIONS,
    VALUE_MENTIONS,
    WEEKDAYS,
)


@dataclass(frozen=True)
class Value:
    """A literal read off a Date, Quantity or Count mention: its lexical form and XSD datatype."""

    lexical: str
    datatype: str  # local name in xsd: (date, gYearMonth, gYear, integer) or "weekday"


@dataclass
class Mention:
    id: str
    type: str
    start: int
    end: int
    text: str
    line: int
    entity: str | None = None  # registry id, from the N line
    attributes: dict[str, str | None] = field(default_factory=dict)
    value: Value | None = None
    note: str | None = None
    form: str | None = None  # the name as a label (set by the checks; see restored_form)

    @property
    def is_anaphor(self) -> bool:
        return "Anaphor" in self.attributes

    @property
    def names_entity(self) -> bool:
        """The words are a name of the entity (not an anaphor, not a metonym): checked against its
        forms, and a label of it."""
        return not self.is_anaphor and "Metonym" not in self.attributes


@dataclass
class Relation:
    id: str
    type: str
    arg1: str
    arg2: str
    line: int
    note: str | None = None


@dataclass
class Event:
    id: str
    type: str
    trigger: str
    arguments: tuple[tuple[str, str], ...]  # (role without number suffix, mention id)
    line: int
    attributes: dict[str, str] = field(default_factory=dict)
    note: str | None = None


@dataclass
class Annotations:
    stem: str
    path: Path
    text: str
    mentions: dict[str, Mention] = field(default_factory=dict)
    relations: dict[str, Relation] = field(default_factory=dict)
    events: dict[str, Event] = field(default_factory=dict)


# The lines of brat's standoff format that name a mention (T), its entity (N) and a note (#): coverage.py
# reads them too.
T_LINE = re.compile(r"^(T\d+)\t(\S+) (\d+) (\d+)\t(.*)$")
N_LINE = re.compile(rf"^(N\d+)\tReference (T\d+) {NORMALIZATION_DB}:(\S+)\t(.*)$")
_R = re.compile(r"^(R\d+)\t(\S+) Arg1:(T\d+) Arg2:(T\d+)$")
_E = re.compile(r"^(E\d+)\t(\S+):(T\d+)((?: \S+:[TE]\d+)*)$")
_A = re.compile(r"^(A\d+)\t(\S+) ([TE]\d+)(?: (\S+))?$")
NOTE_LINE = re.compile(r"^(#\d+)\tAnnotatorNotes ([TERN]\d+)\t(.+)$")


def read(ann_path: Path, text_path: Path, registry: Registry) -> Annotations:
    text = read_text(text_path)
    ann = Annotations(text_path.stem, ann_path, text)
    lines = read_text(ann_path).split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    seen_ids: dict[str, int] = {}
    normalizations, attributes, notes = [], [], []

    def fail(message: str, number: int, offset: int | None = None):
        raise BuildError(ann_path, message, number, offset)

    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if "\r" in line:
            fail("carriage return in line; use LF line ends", number)
        ident = line.split("\t", 1)[0]
        if ident in seen_ids:
            fail(f"{ident} is already defined on line {seen_ids[ident]}", number)
        seen_ids[ident] = number
        if m := T_LINE.match(line):
            mid, kind, start, end, quote = m.group(1), m.group(2), int(m.group(3)), int(m.group(4)), m.group(5)
            if kind not in MENTION_TYPES:
                fail(f"{mid}: unknown mention type {kind!r}", number, start)
            if not 0 <= start < end <= len(text):
                fail(f"{mid}: span {start}-{end} is outside the article ({len(text)} characters)", number, start)
            if text[start:end] != quote:
                fail(f"{mid}: the text at {start}-{end} is {text[start:end]!r}, not {quote!r}", number, start)
            ann.mentions[mid] = Mention(mid, kind, start, end, quote, number)
        elif m := N_LINE.match(line):
            normalizations.append((number, m.group(2), m.group(3)))
        elif m := _R.match(line):
            ann.relations[m.group(1)] = Relation(m.group(1), m.group(2), m.group(3), m.group(4), number)
        elif m := _E.match(line):
            arguments = tuple(
                (re.sub(r"\d+$", "", role), target)
                for role, target in (part.split(":") for part in m.group(4).split())
            )
            ann.events[m.group(1)] = Event(m.group(1), m.group(2), m.group(3), arguments, number)
        elif m := _A.match(line):
            attributes.append((number, m.group(2), m.group(3), m.group(4)))
        elif m := NOTE_LINE.match(line):
            notes.append((number, m.group(2), m.group(3)))
        else:
            fail(f"not a brat standoff line this project reads: {line[:60]!r}", number)

    for number, mid, entity_id in normalizations:
        mention = _mention(ann, mid, number)
        if mention.type not in ENTITY_MENTIONS:
            fail(f"{mid} is a {mention.type} mention; only entity mentions refer to the registry", number, mention.start)
        if mention.entity is not None:
            fail(f"{mid} already refers to {mention.entity}", number, mention.start)
        entity = registry.get(entity_id, ann_path, number)
        if entity.type not in ENTITY_MENTIONS[mention.type]:
            fail(f"{mid} is a {mention.type} mention but {entity_id} is a {entity.type}", number, mention.start)
        mention.entity = entity_id

    for number, name, target, value in attributes:
        if target.startswith("E"):
            event = ann.events.get(target) or fail(f"attribute of unknown event {target}", number)
            attribute = EVENTS[event.type].attributes.get(name) if event.type in EVENTS else None
            if attribute is None:
                fail(f"a {event.type} event takes no attribute {name}", number)
            if value not in attribute.values:
                fail(f"{name} of {target} is {value!r}; expected one of {', '.join(attribute.values)}", number)
            event.attributes[name] = value
            continue
        mention = _mention(ann, target, number)
        if name not in MENTION_ATTRIBUTES:
            fail(f"unknown attribute {name}", number, mention.start)
        types, takes_value = MENTION_ATTRIBUTES[name]
        if mention.type not in types:
            fail(f"attribute {name} does not apply to a {mention.type} mention ({target})", number, mention.start)
        if takes_value != (value is not None):
            fail(f"attribute {name} {'needs' if takes_value else 'takes no'} value", number, mention.start)
        if name in mention.attributes:
            fail(f"{target} has attribute {name} twice", number, mention.start)
        mention.attributes[name] = value

    for number, target, note in notes:
        item = ann.mentions.get(target) or ann.events.get(target) or ann.relations.get(target)
        if item is None:
            fail(f"note on {target}, which this file does not define", number)
        else:
            item.note = note if item.note is None else item.note + " " + note

    for mention in ann.mentions.values():
        _check_mention(ann, mention, registry)
    for relation in ann.relations.values():
        _check_relation(ann, relation)
    for event in ann.events.values():
        _check_event(ann, event)
    return ann


def _mention(ann: Annotations, mid: str, number: int) -> Mention:
    try:
        return ann.mentions[mid]
    except KeyError:
        raise BuildError(ann.path, f"{mid} is not a mention of this file", number) from None


def _check_mention(ann: Annotations, mention: Mention, registry: Registry) -> None:
    def fail(message: str):
        raise BuildError(ann.path, f"{mention.id}: {message}", mention.line, mention.start)

    if mention.type in ENTITY_MENTIONS:
        if mention.entity is None:
            fail(f"a {mention.type} mention needs an N line naming its entity")
        entity = registry.entities[mention.entity]
        mention.form = restored_form(mention.text, entity.surface_forms)
        if mention.names_entity and mention.form not in entity.surface_forms:
            fail(
                f"{mention.text!r} is not a known form of {entity.id} "
                f"(add it to its variants in {registry.path.name}, or mark the mention A Anaphor or A Metonym)"
            )
        return
    if mention.type in VALUE_MENTIONS or mention.type == "Count":
        raw = mention.attributes.get("Value")
        if raw is None:
            fail(f"a {mention.type} mention needs an 'A Value' line")
        mention.value = parse_value(raw, mention.type, fail)
        weekday = mention.attributes.get("Weekday")
        if weekday is not None:
            if weekday not in WEEKDAYS:
                fail(f"Weekday {weekday!r} is not one of {', '.join(WEEKDAYS)}")
            if mention.value.datatype != "date":
                fail("a Weekday check needs a full date value")
            actual = WEEKDAYS[datetime.date.fromisoformat(mention.value.lexical).weekday()]
            if actual != weekday:
                fail(f"{mention.value.lexical} is a {actual}, not a {weekday}")
        if "WorkedOut" in mention.attributes and (mention.value.datatype != "date" or not mention.note):
            fail("a worked-out day needs a full date value and a note saying how it was worked out")


def restored_form(text: str, known: frozenset[str]) -> str:
    """The name as written, or with the alif of ال restored after the preposition ل (للتحالف: span
    لتحالف, name التحالف) when only that restored form is known."""
    if text not in known and text.startswith("ل") and "ا" + text in known:
        return "ا" + text
    return text


def parse_value(raw: str, mention_type: str, fail) -> Value:
    if mention_type == "Date":
        if raw in WEEKDAYS:
            return Value(raw, "weekday")
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            try:
                datetime.date.fromisoformat(raw)
            except ValueError:
                fail(f"{raw} is not a calendar date")
            return Value(raw, "date")
        if re.fullmatch(r"\d{4}-\d{2}", raw):
            if not 1 <= int(raw[5:]) <= 12:
                fail(f"{raw} has no month {raw[5:]}")
            return Value(raw, "gYearMonth")
        if re.fullmatch(r"\d{4}", raw):
            return Value(raw, "gYear")
        fail(f"date value {raw!r}: expected YYYY, YYYY-MM, YYYY-MM-DD or a weekday")
    if not re.fullmatch(r"[0-9]+", raw):
        fail(f"{mention_type} value {raw!r}: expected a non-negative integer")
    return Value(str(int(raw)), "integer")


def _check_relation(ann: Annotations, relation: Relation) -> None:
    def fail(message: str, offset: int | None = None):
        raise BuildError(ann.path, f"{relation.id} ({relation.type}): {message}", relation.line, offset)

    kind = RELATIONS.get(relation.type)
    if kind is None:
        fail(f"unknown relation; known: {', '.join(RELATIONS)}")
    for role, mid, allowed in (("Arg1", relation.arg1, kind.arg1), ("Arg2", relation.arg2, kind.arg2)):
        mention = ann.mentions.get(mid) or fail(f"{role} {mid} is not a mention of this file")
        if mention.type not in allowed:
            fail(f"{role} {mid} is a {mention.type}; expected {' or '.join(allowed)}", mention.start)
    arg2 = ann.mentions[relation.arg2]
    if relation.type in ("startDate", "endDate") and arg2.value.datatype == "weekday":
        fail(f"{arg2.id} gives only a weekday; use onWeekday (and curation.toml for the day)", arg2.start)
    if relation.type == "onWeekday" and arg2.value.datatype != "weekday":
        fail(f"{arg2.id} is a date; use startDate", arg2.start)


def _check_event(ann: Annotations, event: Event) -> None:
    def fail(message: str, offset: int | None = None):
        raise BuildError(ann.path, f"{event.id} ({event.type}): {message}", event.line, offset)

    if event.type not in EVENT_TYPES:
        fail(f"unknown event type; known: {', '.join(EVENT_TYPES)}")
    trigger = ann.mentions.get(event.trigger) or fail(f"trigger {event.trigger} is not a mention of this file")
    if trigger.type != event.type:
        fail(f"trigger {event.trigger} is a {trigger.type} mention, not a {event.type} trigger", trigger.start)
    kind = EVENTS[event.type]
    for role, mid in event.arguments:
        if role not in kind.roles:
            fail(f"unknown role {role}; a {event.type} takes {', '.join(kind.roles)}")
        allowed = kind.roles[role].types
        if allowed == (EVENT_ARGUMENT,):
            if mid not in ann.events or mid == event.id:
                fail(f"{role} {mid} is not another event of this file")
            continue
        mention = ann.mentions.get(mid) or fail(f"{role} {mid} is not a mention of this file")
        if mention.type not in allowed:
            fail(f"{role} {mid} is a {mention.type}; expected {' or '.join(allowed)}", mention.start)
    roles = {role for role, _ in event.arguments}
    for role in kind.required:
        if role not in roles:
            fail(f"needs a {role} argument")
    if event.type == "Claim" and "Author" not in roles and event.attributes.get("Attribution") != "article":
        fail("needs an Author argument (only a claim in the article's own voice, 'A Attribution Ex article', "
             "may have none)")
    if event.type == "Count" and "Measure" not in event.attributes:
        fail("a Count needs an 'A Measure' line saying what was counted")
