"""The drafting linker: every mention of a registry entity in an article, found by the Arabic matching
key (graph/arabic.py), and the draft brat standoff (`ckg annotate`, `ckg add`) made from them.

A draft is for an annotator, not for the build: what the linker is not sure of carries a note that
starts with DRAFT and no N line (or a form the registry does not list), so the build refuses the file
until someone has decided. It finds, in an article:
- linked: a registry form (any spelling the key folds together) after any proclitics, the longest
  form at each place; a name inside a longer one of another entity is a mention of its own (the seeds
  annotate both levels: داعش inside التحالف الدولي ضد داعش);
- ambiguous: a generic phrase that names different things in different articles (GENERIC_FORMS), or a
  form two entities share, with its candidates: the entities that list it, and the entities of the
  same kind that the article names unambiguously;
- new spelling: a registry entity written in a spelling the key folds to a known form but the
  registry does not list (the build checks forms exactly: add it to the entity's variants);
- by rule (graph/linker_rules.py): forms derived from the registry's (a meeting's label, a monarch
  after an honorific, a role inflected), the coalition by its adversary, a group by its region, a
  meeting by its place, and a person by the surname once the article has named them in full; linked
  when one entity fits (as a new spelling when the registry does not list the form), else ambiguous;
- new entity: words after a title (وزير، سفير، المبعوث، رئيس …) that no registry name covers; a
  meeting named after its place (اجتماع الرباط) and that place, when the registry knows neither.
Dates and numbers come from graph/values.py.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Iterable

from . import arabic, linker_rules, values
from .annotations import restored_form
from .registry import Entity, Registry
from .vocabulary import ENTITY_MENTIONS, NORMALIZATION_DB, PLACES as PLACE_MENTIONS

# Phrases the seeds use as names but that name different things in different articles (which
# ministerial meeting is الاجتماع الوزاري depends on the article): never linked without a person.
GENERIC_FORMS = frozenset(arabic.normalise(form) for form in (
    "التحالف", "التحالف الدولي", "الاجتماع الوزاري", "لقاء اليوم", "الاجتماع الوزاري لدول التحالف",
    "الاجتماع الوزاري الأخير للتحالف", "الاجتماع العام لكبار المسؤولين", "المملكة", "القارة",
    "التقرير", "هذا التقرير", "التقرير الجديد لهذه المجموعة", "خطة العمل هذه", "بيانا", "بلاغ",
    "البيان الختامي المشترك", "الملك", "جلالة الملك", "صاحب الجلالة الملك", "كاتبة الدولة",
    "مجموعة التفكير",
))

# Titles that stand before a person's name (Arabic has no capitals to mark names).
TITLES = frozenset(arabic.normalise(word) for word in (
    "وزير", "وزيرة", "الوزير", "الوزيرة", "سفير", "سفيرة", "السفير", "السفيرة", "المبعوث", "مبعوث",
    "المبعوثة", "رئيس", "رئيسة", "الرئيس", "الرئيسة", "نائب", "مدير", "مديرة", "المدير", "الأمين",
    "كاتب", "كاتبة", "الناطق", "المتحدث", "الجنرال", "الملك", "الأمير",
))
# Words after a title that are not a name and end the search for one.
_NOT_NAMES = frozenset(arabic.normalise(word) for word in (
    "في", "من", "عن", "على", "إلى", "مع", "إن", "أن", "لدى", "و", "قد", "قال", "أكد", "الذي", "التي",
    "هو", "هي", "خلال", "بعد", "قبل", "حول", "ضد", "كما", "أو", "ثم", "كل", "عام", "العام", "الدولة",
))
# Shortest one-word name matched by its skeleton (shorter ones collide with common words).
_LOOSE_MIN = 5
# Words after a meeting word that say who met or what kind of meeting it was, not where.
_NOT_PLACES = frozenset(arabic.normalise(word) for word in (
    "وزراء", "الوزراء", "المديرين", "المدراء", "رؤساء", "قادة", "القادة", "كبار", "ممثلي", "خبراء", "الخبراء",
    "التحالف", "المجموعة", "مجموعة", "الدول", "دول", "اليوم", "أمس", "الغد", "عمل", "تشاوري", "طارئ",
))
# Indefinite words of a title's descriptor (وزير خارجية فرنسا): skipped like definite ones.
_DESCRIPTORS = frozenset(arabic.normalise(word) for word in (
    "خارجية", "دفاع", "داخلية", "حكومة", "وزارة", "وزراء", "مجلس", "الشؤون", "شؤون", "عام", "خاص",
))
_MAX_NAME_WORDS = 3

LINKED, AMBIGUOUS, NEW_SPELLING, NEW_ENTITY = "linked", "ambiguous", "new spelling", "new entity"
DRAFT_MARK = "DRAFT "  # starts every note the annotator must act on (ckg check counts them)

# Registry type -> the mention type that refers to it (the inverse of vocabulary.ENTITY_MENTIONS).
MENTION_TYPE = {kind: mention for mention, kinds in ENTITY_MENTIONS.items() for kind in kinds}


@dataclass(frozen=True)
class Found:
    """A mention the linker proposes: a verbatim span (code points, end exclusive) and what it is."""

    start: int
    end: int
    text: str
    type: str  # the brat mention type
    candidates: tuple[str, ...]  # registry ids; exactly one when linked or a new spelling
    status: str
    form: str  # the matching key of the name (the alif that ل hides restored)
    hint: str = ""  # why a new entity is proposed


class Index:
    """The registry's forms by their matching key, reached through their first word."""

    def __init__(self, registry: Registry):
        self.registry = registry
        self.by_key: dict[str, set[str]] = defaultdict(set)
        for entity in registry.entities.values():
            for form in entity.surface_forms:
                form_key = arabic.normalise(form)
                if form_key and arabic.is_word_char(form_key[0]):
                    self.by_key[form_key].add(entity.id)
        # one-word names without the article, by their skeleton (another spelling of a foreign name)
        by_skeleton: dict[str, set[str]] = defaultdict(set)
        for form_key, ids in self.by_key.items():
            if " " not in form_key and not form_key.startswith(arabic.ARTICLE) and len(form_key) >= _LOOSE_MIN:
                by_skeleton[arabic.skeleton(form_key)].add(form_key)
        self.by_skeleton = {
            sk: next(iter(forms)) for sk, forms in by_skeleton.items()
            if len({i for f in forms for i in self.by_key[f]}) == 1 and len(sk) >= _LOOSE_MIN - 1
        }
        # forms derived by rule, where no registry form already has the key
        for form_key, ids in linker_rules.derived_forms(registry).items():
            if form_key and form_key not in self.by_key and arabic.is_word_char(form_key[0]):
                self.by_key[form_key] = set(ids)
        self.by_first_word: dict[str, list[str]] = defaultdict(list)
        for form_key in self.by_key:
            first_end = arabic.words(form_key)[0][1]
            self.by_first_word[form_key[:first_end]].append(form_key)
        for forms in self.by_first_word.values():
            forms.sort(key=len, reverse=True)  # longest first
        self.rules = linker_rules.Rules(registry)

    def is_name(self, word: str) -> bool:
        return any(reading.stem in self.by_first_word for reading in arabic.readings(word))


def find(text: str, index: Index) -> list[Found]:
    """Every mention the linker proposes in a verbatim text, ordered by start, longest first."""
    keyed = arabic.key(text)
    words = arabic.words(keyed.text)
    raw = []  # (key start, key end, form key)
    for start, end in words:
        word = keyed.text[start:end]
        for reading in arabic.readings(word):
            forms = index.by_first_word.get(reading.stem)
            if not forms:
                continue
            matches = list(_matching(keyed.text, end, reading.stem, forms))
            if matches:
                raw += [(start + reading.skip, end + len(match) - len(reading.stem), match) for match in matches]
                break  # the word read with the fewest proclitics wins: a name's letters are not eaten
        else:
            for reading in arabic.readings(word):
                loose = index.by_skeleton.get(arabic.skeleton(reading.stem))
                if loose is not None and len(reading.stem) >= _LOOSE_MIN:
                    raw.append((start + reading.skip, end, loose))  # proposed as a new spelling
                    break
    accepted = _without_crossings(raw, index)
    found = []
    for key_start, key_end, form_key in accepted:
        start, end = keyed.span(key_start, key_end)
        surface = text[start:end]
        if "\n" in surface or "\t" in surface:
            continue  # a name broken over lines cannot be one brat mention
        found.append(_classify(start, end, surface, form_key, index))
    found = _with_phrases(text, keyed, words, found, index)
    found = _with_surnames(text, keyed, words, found, index)
    found = _with_context(found, index)
    found += _new_entities(text, keyed, words, found, index)
    found += _named_meetings(text, keyed, words, found, index)
    # a name broken over lines or tabs cannot be one brat mention (the key reads any whitespace as a space)
    return sorted((f for f in found if "\n" not in f.text and "\t" not in f.text), key=lambda f: (f.start, -f.end))


def _matching(key_text: str, word_end: int, stem: str, forms: list[str]):
    """The forms starting with `stem` that the text goes on with, longest first (the shorter ones
    may be nested names of other entities: إفريقيا in إفريقيا جنوب الصحراء)."""
    for form_key in forms:
        rest = form_key[len(stem):]
        after = word_end + len(rest)
        if key_text[word_end:after] == rest and (after == len(key_text) or not arabic.is_word_char(key_text[after])):
            yield form_key


class _Spans:
    """Spans kept sorted by start, so that the ones near a place are found without a scan of all
    (an article of several megabytes has hundreds of thousands of mentions)."""

    def __init__(self):
        self.starts: list[int] = []
        self.items: list[tuple[int, int, object]] = []
        self.longest = 0

    @classmethod
    def of(cls, found: Iterable[Found]) -> _Spans:
        """The spans of what was found (in order of start, so each is appended, not inserted)."""
        spans = cls()
        for item in sorted(found, key=lambda item: item.start):
            spans.add(item.start, item.end)
        return spans

    def add(self, start: int, end: int, payload=None) -> None:
        at = bisect.bisect(self.starts, start)
        self.starts.insert(at, start)
        self.items.insert(at, (start, end, payload))
        self.longest = max(self.longest, end - start)

    def near(self, start: int, end: int):
        """Every span that may overlap start-end."""
        low = bisect.bisect_left(self.starts, start - self.longest)
        high = bisect.bisect_left(self.starts, end)
        return self.items[low:high]

    def covers(self, start: int, end: int) -> bool:
        return any(s <= start and end <= e for s, e, _ in self.near(start, end))


def _without_crossings(raw, index: Index):
    """Longest first; a shorter match inside a longer one stays when it names another entity (a nested
    name); one that crosses its border or repeats its entity goes. At the start of the longer one, a
    shorter one stays only when it is a name of its own there: of another kind (the title جلالة الملك
    in the name جلالة الملك محمد السادس) or a place (إفريقيا in إفريقيا جنوب الصحراء), as the seeds
    annotate both, but not a generic phrase of its own kind (المملكة in المملكة العربية السعودية); a
    post's name at the start of another post's is only its beginning (وزير الخارجية والتعاون الدولي
    الإيطالي)."""
    accepted = _Spans()
    for start, end, form in sorted(raw, key=lambda m: (m[0] - m[1], m[0])):
        if any((start < s < end < e) or (s < start < e < end)
               or (s <= start and end <= e and index.by_key[form] & index.by_key[f])
               or (s == start and not _own_name_at_start(form, f, index))
               for s, e, f in accepted.near(start, end)):
            continue
        accepted.add(start, end, form)
    return accepted.items


def _own_name_at_start(shorter: str, longer: str, index: Index) -> bool:
    kinds = {MENTION_TYPE[index.registry.entities[i].type] for i in index.by_key[shorter]}
    longer_kinds = {MENTION_TYPE[index.registry.entities[i].type] for i in index.by_key[longer]}
    if not kinds & longer_kinds:
        return True
    return kinds <= set(PLACE_MENTIONS) and shorter not in GENERIC_FORMS


def _with_phrases(text: str, keyed: arabic.Key, words, found: list[Found], index: Index) -> list[Found]:
    """The names graph/linker_rules.py finds by phrase; one replaces the mentions of its own type
    inside it (the generic التحالف الدولي inside التحالف الدولي ضد تنظيم داعش)."""
    linked_at = {}
    by_place = _Spans()  # the mentions found, by where they are (added in order of start: cheap)
    for item in sorted(found, key=lambda f: f.start):
        by_place.add(item.start, item.end, item)
        if item.status in (LINKED, NEW_SPELLING):
            key_start = bisect.bisect_left(keyed.origin, item.start)
            linked_at[key_start] = (bisect.bisect_left(keyed.origin, item.end), item.candidates, item.type)
    replaced: set[int] = set()  # id() of the mentions a phrase replaces
    added = []
    for phrase in linker_rules.phrases(keyed, words, linked_at.get, index.rules):
        surface = text[phrase.start:phrase.end]
        if "\n" in surface or "\t" in surface:
            continue
        same_type = [f for _, _, f in by_place.near(phrase.start, phrase.end)
                     if f.type == phrase.type and id(f) not in replaced]
        if any(f.start <= phrase.start and phrase.end <= f.end and f.status != AMBIGUOUS for f in same_type):
            continue  # a registry form already names it (or a longer one)
        replaced.update(id(f) for f in same_type if phrase.start <= f.start and f.end <= phrase.end)
        added.append(_linked_by_rule(phrase.start, phrase.end, surface, phrase.type, phrase.candidates, phrase.hint, index))
    return [f for f in found if id(f) not in replaced] + added


def _linked_by_rule(start, end, surface, mention_type, candidates, hint, index: Index) -> Found:
    if len(candidates) != 1:
        return Found(start, end, surface, mention_type, tuple(candidates), AMBIGUOUS, arabic.normalise(surface), hint)
    entity = index.registry.entities[candidates[0]]
    exact = restored_form(surface, entity.surface_forms) in entity.surface_forms
    return Found(start, end, surface, mention_type, tuple(candidates), LINKED if exact else NEW_SPELLING,
                 arabic.normalise(surface), hint)


def _with_surnames(text: str, keyed: arabic.Key, words, found: list[Found], index: Index) -> list[Found]:
    """A person's surname (the last word of the full name) after the article has named them in full,
    where no other person it names has that surname and the word is not a name of anything else nor
    a month or an ordinal (لويجي دي مايو: مايو is May; محمد السادس: the sixth). The surname must be
    written with the letters of the full name, hamza seats included (the key folds them): after
    الحسن إيدي, the word أيدي (hands) is not his name."""
    first_named: dict[str, int] = {}  # surname key -> where the first full name ends
    people: dict[str, set[str]] = defaultdict(set)
    written: dict[str, set[str]] = defaultdict(set)  # surname key -> its letters as the full names write it
    for item in found:
        if item.type == "Person" and item.status in (LINKED, NEW_SPELLING) and " " in item.form:
            surname = item.form.rsplit(" ", 1)[1]
            if len(surname) >= 3 and surname not in index.by_key and surname not in values.MONTHS \
                    and surname not in values.ORDINALS:
                people[surname].add(item.candidates[0])
                written[surname].add(_letters(item.text.split()[-1]))
                first_named[surname] = min(first_named.get(surname, item.end), item.end)
    surnames = {s: next(iter(ids)) for s, ids in people.items() if len(ids) == 1}
    if not surnames:
        return found
    covered = _Spans.of(found)
    added = []
    for start, end in words:
        for reading in arabic.readings(keyed.text[start:end]):
            if reading.stem in surnames:
                first, last = keyed.span(start + reading.skip, end)
                if first >= first_named[reading.stem] and not covered.covers(first, last) \
                        and _letters(text[first:last]) in written[reading.stem]:
                    added.append(_linked_by_rule(first, last, text[first:last], "Person", (surnames[reading.stem],),
                                                 "the surname of a person the article names in full before", index))
                break
    return found + added


def _letters(word: str) -> str:
    """A word as written, without what the key drops (marks, quotation marks, invisible characters)."""
    return "".join(char for char in word if not arabic.is_dropped(char))


def _classify(start: int, end: int, surface: str, form_key: str, index: Index) -> Found:
    ids = tuple(sorted(index.by_key[form_key]))
    entities = [index.registry.entities[i] for i in ids]
    mention_type = MENTION_TYPE[entities[0].type]
    if form_key in GENERIC_FORMS or len(ids) > 1:
        return Found(start, end, surface, mention_type, ids, AMBIGUOUS, form_key)
    entity = entities[0]
    exact = restored_form(surface, entity.surface_forms) in entity.surface_forms
    return Found(start, end, surface, mention_type, ids, LINKED if exact else NEW_SPELLING, form_key)


def _with_context(found: list[Found], index: Index) -> list[Found]:
    """An ambiguous mention's candidates include the entities of its kind that the article names."""
    named: dict[str, set[str]] = defaultdict(set)
    for item in found:
        if item.status != AMBIGUOUS:
            named[item.type].update(item.candidates)
    return [
        replace(f, candidates=tuple(sorted(set(f.candidates) | named[f.type]))) if f.status == AMBIGUOUS else f
        for f in found
    ]


def _new_entities(text: str, keyed: arabic.Key, words, found: list[Found], index: Index) -> list[Found]:
    """Up to three words after a title and its descriptors (definite words: الخارجية، الفرنسي), none a
    known name nor inside a mention already found: a person the registry may not know."""
    covered = _Spans.of(found)
    is_covered = covered.covers

    candidates = []
    for position, (start, end) in enumerate(words):
        if not any(reading.stem in TITLES for reading in arabic.readings(keyed.text[start:end])):
            continue
        name: list[tuple[int, int]] = []
        previous_end = end
        for next_position in range(position + 1, len(words)):
            next_start, next_end = words[next_position]
            between = keyed.text[previous_end:next_start]
            if between.strip():
                break  # punctuation ends the phrase
            word = keyed.text[next_start:next_end]
            span = keyed.span(next_start, next_end)
            if word in _NOT_NAMES or word in TITLES or word.isdigit():
                break
            if not name and (word.startswith(arabic.ARTICLE) or word in _DESCRIPTORS or index.is_name(word) or is_covered(*span)):
                previous_end = next_end
                continue  # a descriptor or a known name before the person's name
            if word.startswith(arabic.ARTICLE) or is_covered(*span) or index.is_name(word):
                break
            name.append((next_start, next_end))
            previous_end = next_end
            if len(name) == _MAX_NAME_WORDS:
                break
        if name:
            first, last = keyed.span(name[0][0], name[-1][1])
            surface = text[first:last]
            if "\n" not in surface and not is_covered(first, last):
                candidates.append(Found(first, last, surface, "Person", (), NEW_ENTITY, arabic.normalise(surface),
                                        "words after a title that the registry does not know"))
                covered.add(first, last)
    return candidates


def _named_meetings(text: str, keyed: arabic.Key, words, found: list[Found], index: Index) -> list[Found]:
    """A meeting named after its place (اجتماع الرباط, لقاء الصخيرات: a meeting word in the construct
    state, then one word no registry name starts with), and every other place that word stands alone
    (في الرباط): a Meeting and a City the registry may not know."""
    covered = _Spans.of(found)
    proposed: list[Found] = []
    places: set[str] = set()
    for (start, end), (next_start, next_end) in zip(words, words[1:]):
        if keyed.text[end:next_start] != " ":
            continue
        reading = next((r for r in arabic.readings(keyed.text[start:end]) if r.stem in linker_rules.MEETING_WORDS), None)
        if reading is None:
            continue
        place = keyed.text[next_start:next_end]
        if place in _NOT_NAMES or place in _NOT_PLACES or index.is_name(place) or place.isdigit():
            continue
        first, last = keyed.span(start + reading.skip, next_end)
        if not covered.covers(first, last):
            proposed.append(Found(first, last, text[first:last], "Meeting", (), NEW_ENTITY, arabic.normalise(text[first:last]),
                                  "a meeting named after a place, not in the registry"))
            places.add(place)
    for start, end in words:
        for reading in arabic.readings(keyed.text[start:end]):
            if reading.stem in places:
                first, last = keyed.span(start + reading.skip, end)
                if not covered.covers(first, last):
                    proposed.append(Found(first, last, text[first:last], "City", (), NEW_ENTITY, reading.stem,
                                          "a place a meeting is named after, not in the registry"))
                break
    return proposed


def draft(text: str, registry: Registry) -> str:
    """The draft .ann of a verbatim article: T and N lines for linked mentions, T and A Value lines for
    dates and numbers (graph/values.py), T lines with DRAFT notes for the rest; every span is checked
    against the text before anything is returned."""
    rows = []  # (start, end, type, text, N line target or None, value or None, note or None)
    for item in find(text, Index(registry)):
        entity = registry.entities[item.candidates[0]] if item.status in (LINKED, NEW_SPELLING) else None
        rows.append((item.start, item.end, item.type, item.text, entity, None, _note(item, registry)))
    for value in values.find(text):
        note = None if value.sure else f"{DRAFT_MARK}value: keep it where a relation or an event needs it ({value.value}?)"
        rows.append((value.start, value.end, value.type, value.text, None, value.value, note))
    lines, attributes, notes = [], [], []
    for number, (start, end, kind, quote, entity, value, note) in enumerate(sorted(rows, key=lambda r: (r[0], -r[1])), start=1):
        if text[start:end] != quote or not quote or "\t" in quote or "\n" in quote:
            raise AssertionError(f"draft span {start}-{end} does not quote the text")  # a bug, never data
        tid = f"T{number}"
        lines.append(f"{tid}\t{kind} {start} {end}\t{quote}")
        if entity is not None:
            lines.append(f"N{number}\tReference {tid} {NORMALIZATION_DB}:{entity.id}\t{entity.en}")
        if value is not None:
            attributes.append(f"A{len(attributes) + 1}\tValue {tid} {value}")
        if note:
            notes.append(f"#{len(notes) + 1}\tAnnotatorNotes {tid}\t{note}")
    return "".join(line + "\n" for line in lines + attributes + notes)


def _note(item: Found, registry: Registry) -> str | None:
    if item.status == AMBIGUOUS:
        names = ", ".join(f"ckg:{c} ({registry.entities[c].en})" for c in item.candidates)
        why = f"{item.hint}, and more than one entity fits" if item.hint else "a generic phrase"
        return f"{DRAFT_MARK}ambiguous: {why}; add the N line of the one meant, or delete the mention. Candidates: {names}"
    if item.status == NEW_SPELLING:
        entity: Entity = registry.entities[item.candidates[0]]
        why = f" ({item.hint})" if item.hint else ""
        return f"{DRAFT_MARK}new spelling of ckg:{entity.id}{why}: add {item.text!r} to its variants in entities.toml if it is right"
    if item.status == NEW_ENTITY:
        return f"{DRAFT_MARK}new entity? {item.hint}: add an [entity] table and an N line, or delete the mention"
    return None

