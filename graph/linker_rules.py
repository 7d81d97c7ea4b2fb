"""Names the registry does not list word for word but that a rule of Arabic or of the registry ties to
one entity; the drafting linker (graph/linker.py) uses them beside the registry's forms.

Forms derived from the registry's own (`derived_forms`), matched like its forms and drafted as a form
the registry does not list yet (the annotator adds it to the variants, or deletes the mention):
- a meeting by the name part of its curated label (entities.toml writes a meeting's `ar` label as
  «name، place، month year»);
- a monarch's name after an honorific (جلالة الملك محمد السادس, from الملك محمد السادس);
- a role word in its other forms: without the article (برئاسة مشتركة, from الرئاسة المشتركة) and with
  an enclitic pronoun on its head (رئاستها المشتركة، أعضائه), the taa marbuta and the hamza written as
  Arabic writes them before a suffix;
- a post's name as the press shortens and agrees it: الخارجية for الشؤون الخارجية (the foreign
  ministry), and its last relative adjective in the other gender, which then agrees with the ministry
  rather than the minister (وزير الخارجية الأمريكية / وزير الخارجية الأمريكي).

Phrases found in the article (`phrases`), each linked only when one entity fits:
- the coalition by what it is against: التحالف (الدولي|العالمي)? (ضد|لهزيمة|المناهض ل…) تنظيم? + the
  name of its adversary (the organisation a Coalition's own names contain), or التنظيم when the article
  names that adversary; bare التحالف stays ambiguous (graph/linker.GENERIC_FORMS);
- a group by its kind and its region: مجموعة + a focus word (التركيز، النقاش، التفكير …) + up to three
  words + the region its names give (إفريقيا, or the adjective الإفريقية);
- a meeting by its place: a meeting word in the construct state and a place (لقاء الصخيرات), linked
  when one meeting of the registry was held there, or one of those held there is in a year the
  article writes; otherwise ambiguous with them as candidates;
- a coalition's meeting by its kind: الاجتماع + an adjective (الوزاري) + an ordinal? + ل + a coalition's
  name, linked when one meeting's label starts with the same words (and ordinal), or one of those is
  in a year the article writes; otherwise ambiguous with them;
- a person by the surname, once the article has named them in full (بلينكن after أنتوني بلينكن).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from . import arabic, values
from .registry import Registry
from .vocabulary import MEETING_KINDS

# Words for a meeting that, in the construct state, take the name of its place (اجتماع الرباط).
MEETING_WORDS = frozenset(arabic.normalise(word) for word in ("اجتماع", "لقاء", "قمة", "مؤتمر", "منتدى"))
THE_MEETING = arabic.normalise("الاجتماع")
# Honorifics written before a monarch's title and name.
HONORIFICS = tuple(arabic.normalise(word) + " " for word in ("جلالة", "صاحب الجلالة", "سمو", "صاحب السمو"))
MONARCH_TITLES = frozenset(arabic.normalise(word) for word in ("الملك", "الأمير", "السلطان"))
# Enclitic pronouns a role word takes (رئاستها: her/its presidency; أعضائه: its members).
ENCLITICS = ("ه", "ها", "هم", "هما", "هن")

# The coalition's phrasings: the adjective, the word for "against" (ل+ noun of fighting, or ضد), and
# the word تنظيم (organisation) that may stand before the adversary's name.
COALITION_HEAD = arabic.normalise("التحالف")
COALITION_ADJECTIVES = frozenset(arabic.normalise(w) for w in ("الدولي", "العالمي"))
AGAINST = frozenset(arabic.normalise(w) for w in ("ضد", "لهزيمة", "لمحاربة", "لمكافحة", "لدحر", "المناهض", "المناهضة"))
ORGANISATION_WORD = arabic.normalise("تنظيم")
THE_ORGANISATION = arabic.normalise("التنظيم")
# A group: مجموعة and a focus word (focus, discussion, reflection, work, contact, coordination).
GROUP_HEAD = arabic.normalise("مجموعة")
FOCUS_WORDS = frozenset(arabic.normalise(w) for w in ("التركيز", "النقاش", "التفكير", "العمل", "الاتصال", "التنسيق"))
_GROUP_SPAN = 4  # words after the focus word, at most, before the region


@dataclass(frozen=True)
class Phrase:
    """A name a rule found: a verbatim span and the entities that fit (one: linked; more: ambiguous)."""

    start: int
    end: int
    type: str  # the brat mention type
    candidates: tuple[str, ...]
    hint: str


def meeting_label_parts(label: str) -> tuple[str, str | None]:
    """A meeting's curated label «name، place، month year» as (name, place); a label without the
    place and date is its own name."""
    parts = [part.strip() for part in label.split("،")]
    if len(parts) >= 3:
        return parts[0], parts[-2]
    return label, None


def derived_forms(registry: Registry) -> dict[str, set[str]]:
    """Matching keys of forms derived from the registry's (see the module's docstring) -> entity ids."""
    derived: dict[str, set[str]] = defaultdict(set)
    for entity in registry.entities.values():
        if entity.type in MEETING_KINDS:
            name, _ = meeting_label_parts(entity.ar)
            derived[arabic.normalise(name)].add(entity.id)
        for form in entity.surface_forms:
            form_key = arabic.normalise(form)
            if entity.type in ("Person", "Post") and form_key.split(" ")[0] in MONARCH_TITLES:
                for honorific in HONORIFICS:
                    derived[honorific + form_key].add(entity.id)
            if entity.type == "Role":
                for inflected in role_inflections(form_key):
                    derived[inflected].add(entity.id)
            if entity.type == "Post":
                for shortened in post_forms(form_key):
                    derived[shortened].add(entity.id)
    return derived


def role_inflections(form_key: str) -> set[str]:
    """A role's keyed form without the article, and with an enclitic pronoun on its first word (which
    then loses the article: رئاستها المشتركة)."""
    words = form_key.split(" ")
    bare = [w[len(arabic.ARTICLE):] if w.startswith(arabic.ARTICLE) and len(w) > 4 else w for w in words]
    found = {" ".join(bare)}
    head = bare[0]
    if head.endswith("ه"):  # taa marbuta (keyed ه) is written ت before a suffix
        stem = head[:-1] + "ت"
    elif head.endswith("اء"):  # a hamza on the line sits on a yaa before a suffix (أعضاء -> أعضائه)
        stem = head[:-1] + "ي"
    else:
        stem = head
    for enclitic in ENCLITICS:
        found.add(" ".join([stem + enclitic] + words[1:]))
    found.discard(form_key)
    return found


FOREIGN_AFFAIRS = arabic.normalise("الشؤون الخارجية")
FOREIGN_MINISTRY = arabic.normalise("الخارجية")


def post_forms(form_key: str) -> set[str]:
    """A post's keyed form with الشؤون الخارجية shortened to الخارجية, and with its last word, a
    relative adjective (…ي / …ية), in the other gender; each alone and both together."""
    shortened = {form_key, form_key.replace(FOREIGN_AFFAIRS, FOREIGN_MINISTRY)}
    found = set(shortened)
    for form in shortened:
        head, _, last = form.rpartition(" ")
        if head and last.startswith(arabic.ARTICLE) and len(last) > 5:
            if last.endswith("يه"):
                found.add(f"{head} {last[:-1]}")
            elif last.endswith("ي"):
                found.add(f"{head} {last}ه")
    found.discard(form_key)
    return found


def meeting_places(registry: Registry) -> dict[str, set[str]]:
    """Keyed place -> ids of the meetings the registry's labels say were held there."""
    places: dict[str, set[str]] = defaultdict(set)
    for entity in registry.entities.values():
        if entity.type in MEETING_KINDS:
            _, place = meeting_label_parts(entity.ar)
            if place:
                places[arabic.normalise(place)].add(entity.id)
    return places


def _contains(form_key: str, name_key: str) -> bool:
    return f" {name_key} " in f" {form_key} "


def adversaries(registry: Registry) -> dict[str, set[str]]:
    """Coalition id -> the organisations its own names say it is against (داعش in التحالف الدولي ضد داعش)."""
    organisations = [e for e in registry.entities.values() if e.type == "Organization"]
    found: dict[str, set[str]] = defaultdict(set)
    for coalition in registry.entities.values():
        if coalition.type != "Coalition":
            continue
        for form in coalition.surface_forms:
            form_key = arabic.normalise(form)
            for organisation in organisations:
                if any(_contains(form_key, arabic.normalise(name)) for name in organisation.surface_forms):
                    found[coalition.id].add(organisation.id)
    return found


def _nisba_stem(word: str) -> str:
    """The stem a relative adjective and its noun share: الإفريقية / إفريقيا -> افريق (keyed)."""
    if word.startswith(arabic.ARTICLE):
        word = word[len(arabic.ARTICLE):]
    for ending in ("يه", "يا", "ي", "ه", "ا"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


def group_regions(registry: Registry) -> dict[str, set[str]]:
    """Group id -> the regions and countries its own names give, by name or adjective (مجموعة التركيز
    الإفريقية: Africa)."""
    places = [e for e in registry.entities.values() if e.type in ("Region", "Country")]
    found: dict[str, set[str]] = defaultdict(set)
    for group in registry.entities.values():
        if group.type != "Group":
            continue
        for form in group.surface_forms:
            words = arabic.normalise(form).split(" ")
            stems = {_nisba_stem(r.stem) for w in words for r in arabic.readings(w)}
            for place in places:
                for name in place.surface_forms:
                    name_key = arabic.normalise(name)
                    if " " not in name_key and _nisba_stem(name_key) in stems:
                        found[group.id].add(place.id)
    return found


class Rules:
    """What the phrase rules need from the registry, worked out once."""

    def __init__(self, registry: Registry):
        self.registry = registry
        self.places = meeting_places(registry)
        self.meeting_names = {
            e.id: arabic.normalise(meeting_label_parts(e.ar)[0]) for e in registry.entities.values() if e.type in MEETING_KINDS
        }
        self.adversaries = adversaries(registry)
        self.regions = group_regions(registry)
        self.region_stems: dict[str, set[str]] = defaultdict(set)  # nisba stem -> group ids
        for group_id, place_ids in self.regions.items():
            for place_id in place_ids:
                for name in registry.entities[place_id].surface_forms:
                    name_key = arabic.normalise(name)
                    if " " not in name_key:
                        self.region_stems[_nisba_stem(name_key)].add(group_id)


def _by_year(registry: Registry, meetings, years_written: set[str]) -> tuple[str, ...]:
    """The one of several meetings whose label's year the article writes, or all of them."""
    meetings = tuple(sorted(meetings))
    if len(meetings) > 1:
        in_article = [m for m in meetings if registry.entities[m].ar.rsplit(" ", 1)[-1] in years_written]
        if len(in_article) == 1:
            return tuple(in_article)
    return meetings


def phrases(keyed: arabic.Key, words, linked_at, rules: Rules) -> list[Phrase]:
    """The phrases of the module's docstring in a keyed article. `linked_at(key start)` gives the
    (key end, entity ids, mention type) of a mention the linker found starting there, or None."""
    text, span = keyed.text, keyed.span
    found: list[Phrase] = []
    years_written = {text[s:e] for s, e in words if e - s == 4 and text[s:e].isdigit()}
    named = {entity for start, _ in words for entity in (linked_at(start) or (0, (), ""))[1]}

    def gap_is_space(end: int, next_start: int) -> bool:
        return text[end:next_start] == " "

    coalitions_at: dict[int, tuple] = {}  # the coalitions found here, as linked_at gives mentions
    for position, (start, end) in enumerate(words):
        readings = arabic.readings(text[start:end])
        # the coalition by its adversary
        head = next((r for r in readings if r.stem == COALITION_HEAD), None)
        if head is not None:
            match = _coalition(position, words, text, linked_at, rules, named, gap_is_space)
            if match is not None:
                last_end, candidates = match
                first, last = span(start + head.skip, last_end)
                found.append(Phrase(first, last, "Coalition", candidates, "the coalition named by what it is against"))
                coalitions_at[start + head.skip] = (last_end, candidates, "Coalition")
        # a group by its focus word and region
        head = next((r for r in readings if r.stem == GROUP_HEAD), None)
        if head is not None:
            match = _group(position, words, text, linked_at, rules, gap_is_space)
            if match is not None:
                last_end, candidates = match
                first, last = span(start + head.skip, last_end)
                found.append(Phrase(first, last, "Group", candidates, "a group named by its kind and region"))
        # a meeting by its place
        head = next((r for r in readings if r.stem in MEETING_WORDS), None)
        if head is not None and position + 1 < len(words) and gap_is_space(end, words[position + 1][0]):
            place_start, place_end = words[position + 1]
            meetings = rules.places.get(text[place_start:place_end])
            if meetings:
                first, last = span(start + head.skip, place_end)
                found.append(Phrase(first, last, "Meeting", _by_year(rules.registry, meetings, years_written),
                                    "a meeting named by its place"))

    def coalition_at(key_start: int):
        linked = coalitions_at.get(key_start) or linked_at(key_start)
        return linked if linked is not None and linked[2] == "Coalition" else None

    for position, (start, end) in enumerate(words):
        # a meeting by its kind: الاجتماع الوزاري (التاسع)? للتحالف …
        if text[start:end] != THE_MEETING:
            continue
        match = _meeting_of_coalition(position, words, text, coalition_at, rules, gap_is_space)
        if match is not None:
            last_end, candidates = match
            first, last = span(start, last_end)
            found.append(Phrase(first, last, "Meeting", _by_year(rules.registry, candidates, years_written),
                                "a coalition's meeting named by its kind (and the year the article writes)"))
    return found


def _meeting_of_coalition(position, words, text, coalition_at, rules: Rules, gap_is_space):
    """(key end, candidate meetings) of الاجتماع + an adjective of kind + an ordinal? + ل + a coalition's
    name: the meetings whose labels start with the same words (and the same ordinal, when written)."""
    at = position + 1
    if at + 1 >= len(words) or not gap_is_space(words[position][1], words[at][0]):
        return None
    kind = text[words[at][0]:words[at][1]]
    if not kind.startswith(arabic.ARTICLE) or kind in values.ORDINALS:
        return None
    at += 1
    ordinal = None
    if text[words[at][0]:words[at][1]] in values.ORDINALS and at + 1 < len(words):
        ordinal = text[words[at][0]:words[at][1]]
        at += 1
    if not gap_is_space(words[at - 1][1], words[at][0]) or not text[words[at][0]:words[at][1]].startswith("ل"):
        return None
    coalition = coalition_at(words[at][0] + 1)
    if coalition is None:
        return None
    head = f"{THE_MEETING} {kind} "
    candidates = []
    for meeting_id, name in rules.meeting_names.items():
        if not name.startswith(head):
            continue
        written = [w for w in name.split(" ") if w in values.ORDINALS]
        if ordinal is not None and written != [ordinal]:
            continue
        candidates.append(meeting_id)
    return (coalition[0], tuple(sorted(candidates))) if candidates else None


def _coalition(position, words, text, linked_at, rules: Rules, named, gap_is_space):
    """(key end, candidate coalitions) of التحالف (adjective)? against-word تنظيم? adversary, or None."""
    at = position + 1

    def word(i):
        return text[words[i][0]:words[i][1]] if i < len(words) else ""

    if at < len(words) and word(at) in COALITION_ADJECTIVES and gap_is_space(words[at - 1][1], words[at][0]):
        at += 1
    if at >= len(words) or word(at) not in AGAINST or not gap_is_space(words[at - 1][1], words[at][0]):
        return None
    against = word(at)
    at += 1
    if at >= len(words):
        return None
    adversary_start = words[at][0]
    if against.startswith(arabic.ARTICLE):  # المناهض لـ: the ل is on the next word
        if not word(at).startswith("ل"):
            return None
        adversary_start += 1
    if linked_at(adversary_start) is None and word(at)[adversary_start - words[at][0]:] == ORGANISATION_WORD:
        at += 1  # تنظيم before a name that is not itself a form with تنظيم
        if at >= len(words) or not gap_is_space(words[at - 1][1], words[at][0]):
            return None
        adversary_start = words[at][0]
    coalitions = sorted(rules.adversaries)
    linked = linked_at(adversary_start)
    if linked is not None:
        key_end, entity_ids, _ = linked
        candidates = tuple(c for c in coalitions if rules.adversaries[c] & set(entity_ids))
        end = key_end
        # an alias in brackets after the name: الدولة الإسلامية (داعش)
        rest = text[end:end + 3]
        if rest.startswith(" (") or rest.startswith("("):
            inner = end + rest.index("(") + 1
            alias = linked_at(inner)
            if alias is not None and set(alias[1]) & set(entity_ids) and text[alias[0]:alias[0] + 1] == ")":
                end = alias[0] + 1
    elif word(at)[adversary_start - words[at][0]:] == THE_ORGANISATION:
        # "the organisation": the adversary the article names
        candidates = tuple(c for c in coalitions if rules.adversaries[c] & named)
        end = words[at][1]
    else:
        return None
    return (end, candidates) if candidates else None


def _group(position, words, text, linked_at, rules: Rules, gap_is_space):
    """(key end, candidate groups) of مجموعة focus-word … region, or None."""
    at = position + 1
    if at >= len(words) or text[words[at][0]:words[at][1]] not in FOCUS_WORDS or not gap_is_space(words[position][1], words[at][0]):
        return None
    for next_at in range(at + 1, min(at + 1 + _GROUP_SPAN, len(words))):
        if not gap_is_space(words[next_at - 1][1], words[next_at][0]):
            return None  # punctuation ends the phrase
        start, end = words[next_at]
        for reading in arabic.readings(text[start:end]):
            groups = rules.region_stems.get(_nisba_stem(reading.stem))
            if groups:
                return end, tuple(sorted(groups))
        linked = linked_at(start)
        if linked is not None:
            return None  # another name: not this group's
    return None
