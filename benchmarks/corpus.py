"""A synthetic corpus shaped like the seeds, at any multiple of their size, for the benchmarks.

`generate(root, scale)` writes a full project root (seeds/, and ontology/ and queries/ copied from this
repository) that `ckg build` accepts: Arabic articles (.txt), brat annotations (.ann) that pass every
check of graph/annotations.py, an entity registry with English and Arabic labels (and Arabic variants),
a curation file and SHA256SUMS. One *unit* is about the size of the seeds: 5 articles of ~2,500
characters with ~80 mentions, ~27 relations and ~8 events each (the seeds: 2,700, 81, 21 and 6), 82
entities (countries, cities, regions, organizations, people, posts, meetings, documents, a group of the
coalition; the seeds have 82 too) and ~20 curated facts (23), so `scale` units give `scale` times the
seeds' articles, entities and quads (about 10,300 quads a unit; the seeds make 9,686). Each article draws on its own unit's entities
(and on the coalition and the roles, which all units share), so the graph grows in breadth, as more
news about more meetings would, rather than repeating one article.

What the articles state mirrors the seeds: meetings with their city, day (a full date, or only a
weekday whose day is then curated) and counts of delegations; people with their posts and whom they
serve; memberships and co-chairs; documents adopted and issued; repatriations, detentions,
commitments and proposals as events; nested mentions (a city inside a meeting's name, a country
inside a post); anaphora; the article's date of publication. Every meeting gets a place and a day,
every city a country, every person with a post an affiliation, so the graph passes ontology/shapes.ttl.

The names are made of Arabic syllables with an English transliteration; the Wikidata identifiers are
placeholders (Q9000000 and up), not real items. Deterministic: the same scale and seed give the same
bytes.

    python benchmarks/corpus.py --scale 10 --out /tmp/corpus-10x
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

_CONSONANTS = [("ب", "b"), ("ت", "t"), ("د", "d"), ("ر", "r"), ("ز", "z"), ("س", "s"), ("ش", "sh"),
               ("ف", "f"), ("ق", "q"), ("ك", "k"), ("م", "m"), ("ن", "n"), ("ه", "h"), ("ج", "j"),
               ("خ", "kh"), ("ط", "t"), ("غ", "gh"), ("ص", "s"), ("ح", "h"), ("ع", "'")]
_VOWELS = [("ا", "a"), ("و", "u"), ("ي", "i"), ("", "e")]
_SYLLABLES = [(c + v, ce + ve) for c, ce in _CONSONANTS for v, ve in _VOWELS]
_MONTHS = ["يناير", "فبراير", "مارس", "أبريل", "ماي", "يونيو", "يوليو", "غشت", "سبتمبر", "أكتوبر", "نونبر", "دجنبر"]
_WEEKDAYS_AR = ["الإثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"]
_WEEKDAYS_EN = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_MEETING_TYPES = ["MinisterialMeeting", "PoliticalDirectorsMeeting", "MinisterialMeeting", "Summit",
                  "PoliticalDirectorsMeeting", "GroupPlenary", "MinisterialMeeting", "PoliticalDirectorsMeeting"]
_MEETING_WORDS = {
    "MinisterialMeeting": ("الاجتماع الوزاري", "Ministerial meeting"),
    "PoliticalDirectorsMeeting": ("اجتماع المديرين السياسيين", "Meeting of political directors"),
    "Summit": ("القمة", "Summit"),
    "GroupPlenary": ("الاجتماع العام", "Plenary meeting"),
}
_FILLER = [
    "وأكد المشاركون على أهمية تعزيز التعاون الإقليمي في مجال مكافحة الإرهاب وتبادل المعلومات",
    "وشدد البيان على ضرورة معالجة الأسباب العميقة للتطرف العنيف ودعم التنمية المستدامة",
    "ودعا المتحدثون إلى تقوية قدرات الدول المتضررة في مجالات الأمن والعدالة وحماية الحدود",
    "وأشار التقرير إلى أن التهديدات الإرهابية تتطور بسرعة وتستدعي استجابة جماعية ومنسقة",
    "كما تم التأكيد على دور المجتمع المدني في الوقاية من التطرف ومواجهة خطاب الكراهية",
    "وتناولت المناقشات سبل تجفيف منابع تمويل الإرهاب ومكافحة الدعاية على الإنترنت",
    "وأبرز المشاركون الحاجة إلى مقاربة شاملة تجمع بين الأمن والتنمية والحكامة الجيدة",
    "وتم الاتفاق على مواصلة التشاور وتبادل الخبرات بين الأعضاء خلال الأشهر المقبلة",
]


@dataclass
class Entity:
    id: str
    type: str
    en: str
    ar: str
    variants: list[str] = field(default_factory=list)
    # nested entity names inside a form: form -> [(offset in the form, nested surface, entity)]
    nested: dict[str, list[tuple[int, str, "Entity"]]] = field(default_factory=dict)
    wikidata: str | None = None
    note: str | None = None


class Names:
    """Unique names from Arabic syllables, with a transliteration: serial -> (ar, en)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def make(self, syllables: int = 3) -> tuple[str, str]:
        misses = 0
        while True:
            parts = [self.rng.choice(_SYLLABLES) for _ in range(syllables)]
            ar = "".join(p[0] for p in parts)
            if ar not in self.used and not ar.startswith("ل") and len(ar) >= 3:
                self.used.add(ar)
                en = "".join(p[1] for p in parts)
                return ar, en[0].upper() + en[1:]
            misses += 1
            if misses % 50 == 0:  # names of this length are (nearly) used up: make longer ones
                syllables += 1


@dataclass
class Unit:
    coalition: Entity
    roles: dict[str, Entity]
    group: Entity
    countries: list[Entity]
    cities: list[Entity]
    regions: list[Entity]
    organizations: list[Entity]
    persons: list[Entity]
    posts: list[Entity]
    meetings: list[Entity]
    documents: list[Entity]
    city_country: dict[str, Entity] = field(default_factory=dict)
    person_post: dict[str, Entity] = field(default_factory=dict)
    post_country: dict[str, Entity] = field(default_factory=dict)
    meeting_city: dict[str, Entity] = field(default_factory=dict)
    meeting_date: dict[str, datetime.date] = field(default_factory=dict)


def _shared_entities() -> tuple[Entity, dict[str, Entity]]:
    coalition = Entity("global-coalition", "Coalition", "Global Coalition against Daesh", "التحالف الدولي ضد داعش",
                       ["التحالف", "التحالف الدولي", "التحالف العالمي ضد داعش"], wikidata="Q18406513")
    roles = {
        "role-member": Entity("role-member", "Role", "member", "عضو", ["عضوا"]),
        "role-co-chair": Entity("role-co-chair", "Role", "co-chair", "الرئاسة المشتركة", ["رئاستها المشتركة"]),
        "role-observer": Entity("role-observer", "Role", "observer", "مراقب"),
    }
    return coalition, roles


def _make_unit(u: int, names: Names, rng: random.Random, coalition: Entity, roles: dict[str, Entity]) -> Unit:
    tag = f"u{u:04d}"
    qid = iter(range(9_000_000 + u * 100, 9_000_000 + u * 100 + 100))

    def named(kind: str, index: int, type_: str, ar_pattern: str, en_pattern: str, syllables=3, variant=None):
        ar_name, en_name = names.make(syllables)
        ar = ar_pattern.format(ar_name)
        en = en_pattern.format(en_name)
        entity = Entity(f"{kind}-{tag}-{index:02d}", type_, en, ar)
        if variant:
            entity.variants.append(variant.format(ar_name))
        return entity

    regions = [named("region", i, "Region", "منطقة {}", "{} region") for i in range(7)]
    countries = [named("country", i, "Country", "{}", "{}", variant="جمهورية {}") for i in range(19)]
    for c in countries:
        c.wikidata = f"Q{next(qid)}"
    cities = [named("city", i, "City", "{}", "{}", syllables=2) for i in range(7)]
    for i, city in enumerate(cities):
        city.wikidata = f"Q{next(qid)}"
    organizations = [named("org", i, "Organization", "منظمة {}", "{} Organization") for i in range(11)]
    first = [names.make(2) for _ in range(11)]
    persons = []
    for i in range(11):
        last_ar, last_en = names.make(3)
        persons.append(Entity(f"person-{tag}-{i:02d}", "Person", f"{first[i][1]} {last_en}", f"{first[i][0]} {last_ar}"))
    group_region = regions[0]
    group = Entity(f"group-{tag}", "Group", f"Focus Group on {group_region.en}", f"مجموعة التركيز المعنية ب{group_region.ar}",
                   ["مجموعة التركيز"])
    unit = Unit(coalition, roles, group, countries, cities, regions, organizations, persons, [], [], [])

    for i, city in enumerate(cities):
        unit.city_country[city.id] = countries[i % len(countries)]
    for i in range(9):  # a foreign minister's post, with its country nested in the name
        country = countries[i]
        ar = f"وزير خارجية {country.ar}"
        post = Entity(f"post-{tag}-{i:02d}", "Post", f"Minister of Foreign Affairs of {country.en}", ar)
        post.nested[ar] = [(len("وزير خارجية "), country.ar, country)]
        unit.posts.append(post)
        unit.post_country[post.id] = country
    for i, person in enumerate(persons[:9]):
        unit.person_post[person.id] = unit.posts[i]
    base_year = 2015 + (u % 9)
    for i, kind in enumerate(_MEETING_TYPES):
        city = cities[i % len(cities)]
        words_ar, words_en = _MEETING_WORDS[kind]
        day = datetime.date(base_year, 1 + (i * 3 + u) % 12, 1 + (i * 7 + u) % 28)
        ar = f"{words_ar} {_ordinal_ar(i)} في {city.ar}"
        short = f"اجتماع {city.ar}"
        meeting = Entity(f"meeting-{tag}-{i:02d}", kind, f"{words_en} {i + 1}, {city.en}, {day:%B %Y}", ar, [short])
        meeting.nested[ar] = [(ar.index(city.ar, len(words_ar)), city.ar, city)]
        meeting.nested[short] = [(len("اجتماع "), city.ar, city)]
        unit.meetings.append(meeting)
        unit.meeting_city[meeting.id] = city
        unit.meeting_date[meeting.id] = day
    for i in range(5):
        meeting = unit.meetings[i]
        ar = f"البيان الختامي {_ordinal_ar(i)} للتحالف"
        unit.documents.append(Entity(f"document-{tag}-{i:02d}", "Document", f"Final communiqué {i + 1} ({meeting.en})", ar,
                                     [f"الإعلان {_ordinal_ar(i)}"]))
    return unit


def _ordinal_ar(i: int) -> str:
    return ["الأول", "الثاني", "الثالث", "الرابع", "الخامس", "السادس", "السابع", "الثامن", "التاسع", "العاشر"][i % 10]


def _date_text(day: datetime.date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


class Article:
    """Text and brat annotations written side by side, so that every span is exact by construction."""

    def __init__(self, stem: str):
        self.stem = stem
        self.text = ""
        self.lines: list[str] = []
        self.counters = {"T": 0, "N": 0, "R": 0, "E": 0, "A": 0, "#": 0}
        self.mentions = 0

    def _next(self, kind: str) -> str:
        self.counters[kind] += 1
        return f"{kind}{self.counters[kind]}"

    def add(self, words: str) -> None:
        self.text += words

    def mention(self, type_: str, surface: str, entity: Entity | None = None, value: str | None = None,
                anaphor: bool = False) -> str:
        start = len(self.text)
        self.text += surface
        return self._annotate(type_, start, surface, entity, value, anaphor)

    def _annotate(self, type_, start, surface, entity, value, anaphor) -> str:
        tid = self._next("T")
        self.mentions += 1
        self.lines.append(f"{tid}\t{type_} {start} {start + len(surface)}\t{surface}")
        if entity is not None:
            self.lines.append(f"{self._next('N')}\tReference {tid} ckg:{entity.id}\t{entity.en}")
            if anaphor:
                self.lines.append(f"{self._next('A')}\tAnaphor {tid}")
            for offset, nested_surface, nested in entity.nested.get(surface, ()):
                self._annotate(_mention_type(nested), start + offset, nested_surface, nested, None, False)
        if value is not None:
            self.lines.append(f"{self._next('A')}\tValue {tid} {value}")
        return tid

    def entity(self, entity: Entity, rng: random.Random, form: str | None = None) -> str:
        surface = form or (rng.choice([entity.ar] + entity.variants) if entity.variants and rng.random() < 0.3 else entity.ar)
        return self.mention(_mention_type(entity), surface, entity)

    def relation(self, type_: str, arg1: str, arg2: str) -> None:
        self.lines.append(f"{self._next('R')}\t{type_} Arg1:{arg1} Arg2:{arg2}")

    def event(self, type_: str, trigger: str, *arguments: tuple[str, str]) -> str:
        eid = self._next("E")
        self.lines.append(f"{eid}\t{type_}:{trigger}" + "".join(f" {role}:{mid}" for role, mid in arguments))
        return eid

    def attribute(self, name: str, target: str, value: str | None = None) -> None:
        self.lines.append(f"{self._next('A')}\t{name} {target}" + (f" {value}" if value else ""))

    def note(self, target: str, text: str) -> None:
        self.lines.append(f"{self._next('#')}\tAnnotatorNotes {target}\t{text}")

    def end_sentence(self) -> None:
        self.text += ". "


def _mention_type(entity: Entity) -> str:
    if entity.type in _MEETING_WORDS:
        return "Meeting"
    return entity.type


@dataclass
class Fact:
    subject: str
    relation: str
    reason: str
    object: str | None = None
    value: str | None = None
    derived_from: tuple[str, ...] = ()


def _write_articles(unit: Unit, stems: list[str], rng: random.Random, facts: list[Fact]) -> list[Article]:
    articles = [Article(stem) for stem in stems]
    n = len(articles)
    # Work that must be done somewhere in the unit, spread over its articles.
    meeting_jobs = [[] for _ in range(n)]
    for i, meeting in enumerate(unit.meetings):
        meeting_jobs[i % n].append(meeting)
    person_jobs = [[] for _ in range(n)]
    for i, person in enumerate(unit.persons[:9]):
        person_jobs[i % n].append(person)
    city_jobs = [[] for _ in range(n)]
    for i, city in enumerate(unit.cities):
        if i % 2 == 0:
            city_jobs[i % n].append(city)
        else:
            country = unit.city_country[city.id]
            facts.append(Fact(city.id, "containedIn", f"{city.en} lies in {country.en} (general geography; no article says so).",
                              object=country.id))

    for index, art in enumerate(articles):
        title_subject = rng.choice(unit.meetings)
        art.add(f"{_MEETING_WORDS[title_subject.type][0]}: ")
        art.entity(unit.coalition, rng, "التحالف الدولي ضد داعش")
        art.add(" يؤكد التزامه بمواجهة الإرهاب\n\n")
        if index % 2 == 0:  # a dateline with the day of publication
            city = unit.cities[index % len(unit.cities)]
            art.entity(city, rng)
            art.add(" - ")
            published = datetime.date(2016 + (index + len(stems[0])) % 8, 1 + index % 12, 1 + (index * 5) % 28)
            tid = art.mention("Date", _date_text(published), value=published.isoformat())
            art.attribute("Published", tid)
            art.add("\n")

        blocks = [lambda m=m: _meeting_block(art, unit, m, rng, facts) for m in meeting_jobs[index]]
        blocks += [lambda p=p: _person_block(art, unit, p, rng) for p in person_jobs[index]]
        blocks += [lambda c=c: _city_block(art, unit, c, rng) for c in city_jobs[index]]
        extra = [_membership_block, _attendance_block, _document_block, _repatriation_block, _detention_block,
                 _commitment_block, _proposal_block, _count_block, _region_block, _organization_block,
                 _continuity_block, _group_block, _anaphor_block]
        while len(blocks) < 20:
            block = rng.choice(extra)
            blocks.append(lambda b=block: b(art, unit, rng))
        rng.shuffle(blocks)
        for number, block in enumerate(blocks):
            block()
            art.end_sentence()
            if number % 2 == 1:
                art.add(rng.choice(_FILLER))
                art.end_sentence()
            if number % 4 == 3:
                art.text = art.text.rstrip(" ") + "\n"
        art.text = art.text.rstrip() + "\n"
    return articles


def _meeting_block(art: Article, unit: Unit, meeting: Entity, rng: random.Random, facts: list[Fact]) -> None:
    city = unit.meeting_city[meeting.id]
    day = unit.meeting_date[meeting.id]
    art.add("وانعقد ")
    m = art.entity(meeting, rng)
    art.add(" في ")
    c = art.mention("City", city.ar, city)
    art.relation("heldIn", m, c)
    if rng.random() < 0.25:  # only the weekday: the day itself is curated, with its reason
        art.add(" يوم ")
        weekday = _WEEKDAYS_EN[day.weekday()]
        d = art.mention("Date", _WEEKDAYS_AR[day.weekday()], value=weekday)
        art.relation("onWeekday", m, d)
        art.note(d, f"The article names only the weekday ({weekday}); the day is in curation.toml.")
        facts.append(Fact(meeting.id, "startDate", f"The article gives only the weekday; the meeting opened on {weekday} {day.isoformat()}.",
                          value=day.isoformat(), derived_from=(f"{art.stem}#{d}",)))
    else:
        art.add(" يوم ")
        weekday_check = rng.random() < 0.3
        surface = (_WEEKDAYS_AR[day.weekday()] + " " if weekday_check else "") + _date_text(day)
        d = art.mention("Date", surface, value=day.isoformat())
        if weekday_check:
            art.attribute("Weekday", d, _WEEKDAYS_EN[day.weekday()])
        art.relation("startDate", m, d)
        if rng.random() < 0.3:
            art.add(" إلى غاية ")
            end = day + datetime.timedelta(days=1)
            e = art.mention("Date", _date_text(end), value=end.isoformat())
            art.relation("endDate", m, e)
    if meeting.type == "GroupPlenary":
        art.add(" برئاسة ")
        g = art.entity(unit.group, rng)
        art.relation("plenaryOf", m, g)
    art.add("، بمشاركة ")
    count = rng.randint(20, 90)
    k = art.mention("Count", str(count), value=str(count))
    art.add(" وفدا")
    e = art.event("Count", k, ("Subject", m))
    art.attribute("Measure", e, "delegations")
    if rng.random() < 0.3:
        art.add(" بدعوة من ")
        host = rng.choice(unit.countries)
        h = art.entity(host, rng)
        art.relation(rng.choice(["convenedBy", "hostedBy"]), m, h)
    if rng.random() < 0.2:
        art.add(" في نسخته رقم ")
        number = rng.randint(2, 12)
        q = art.mention("Quantity", str(number), value=str(number))
        art.relation("ordinal", m, q)


def _person_block(art: Article, unit: Unit, person: Entity, rng: random.Random) -> None:
    post = unit.person_post[person.id]
    country = unit.post_country[post.id]
    art.add("وقال ")
    p = art.entity(post, rng)
    art.add(" ")
    who = art.entity(person, rng)
    art.relation("holdsPost", who, p)
    art.add("، ممثلا عن ")
    c = art.entity(country, rng)
    art.relation("affiliatedWith", who, c)
    art.relation("postIn", p, art_last_nested_country(art, p) or c)
    art.add("، إن بلاده ستواصل دعم جهود ")
    art.entity(unit.coalition, rng)
    if rng.random() < 0.6:
        art.add(" في كلمة أمام ")
        m = art.entity(rng.choice(unit.meetings), rng)
        art.relation("spokeAt", who, m)


def art_last_nested_country(art: Article, post_tid: str) -> str | None:
    """The id of the Country mention nested in the Post mention just written (it follows it directly)."""
    number = int(post_tid[1:]) + 1
    for line in reversed(art.lines):
        if line.startswith(f"T{number}\tCountry "):
            return f"T{number}"
    return None


def _city_block(art: Article, unit: Unit, city: Entity, rng: random.Random) -> None:
    country = unit.city_country[city.id]
    art.add("وتقع مدينة ")
    c = art.mention("City", city.ar, city)
    art.add(" في ")
    k = art.entity(country, rng)
    art.relation("containedIn", c, k)


def _region_block(art: Article, unit: Unit, rng: random.Random) -> None:
    country = rng.choice(unit.countries)
    region = rng.choice(unit.regions)
    art.add("وتنتمي ")
    c = art.entity(country, rng)
    art.add(" إلى ")
    r = art.entity(region, rng)
    art.relation("containedIn", c, r)


def _membership_block(art: Article, unit: Unit, rng: random.Random) -> None:
    country = rng.choice(unit.countries)
    if rng.random() < 0.5:
        art.add("وتتولى ")
        c = art.entity(country, rng)
        art.add(" ")
        art.entity(unit.roles["role-co-chair"], rng, "الرئاسة المشتركة")
        art.add(" في ")
        g = art.entity(unit.group, rng)
        art.relation("coChairOf", c, g)
    else:
        art.add("وانضمت ")
        c = art.entity(country, rng)
        art.add(" إلى ")
        target = unit.coalition if rng.random() < 0.6 else unit.group
        g = art.entity(target, rng)
        art.relation("memberOf", c, g)
        art.add(" بصفتها ")
        art.entity(unit.roles["role-member"], rng, "عضوا")


def _attendance_block(art: Article, unit: Unit, rng: random.Random) -> None:
    meeting = rng.choice(unit.meetings)
    first, second = rng.sample(unit.countries, 2)
    art.add("وشاركت ")
    a = art.entity(first, rng)
    art.add(" و")
    b = art.entity(second, rng)
    art.add(" في أشغال ")
    m = art.entity(meeting, rng)
    art.relation("attendedBy", m, a)
    art.relation("attendedBy", m, b)
    if rng.random() < 0.3:
        art.add(" بصفة ")
        art.entity(unit.roles["role-observer"], rng)


def _document_block(art: Article, unit: Unit, rng: random.Random) -> None:
    document = rng.choice(unit.documents)
    meeting = rng.choice(unit.meetings)
    art.add("واعتمد ")
    m = art.entity(meeting, rng)
    art.add(" ")
    d = art.entity(document, rng)
    art.relation("adopted", m, d)
    art.add(" الصادر عن ")
    c = art.entity(unit.coalition, rng)
    art.relation("issuedBy", d, c)
    if rng.random() < 0.4:
        art.add(" والذي قدمه ")
        person = rng.choice(unit.persons)
        p = art.entity(person, rng)
        art.relation("presentedBy", d, p)
    if rng.random() < 0.3:
        art.add(" حول ")
        g = art.entity(unit.group, rng)
        art.relation("documentOf", d, g)


def _repatriation_block(art: Article, unit: Unit, rng: random.Random) -> None:
    country = rng.choice(unit.countries)
    origin = rng.choice(unit.cities + unit.regions)
    art.add("وفي هذا السياق ")
    t = art.mention("Repatriation", "أعادت")
    art.add(" ")
    c = art.entity(country, rng)
    art.add(" ")
    number = rng.randint(5, 400)
    q = art.mention("Quantity", str(number), value=str(number))
    art.add(" من المقاتلين وعائلاتهم من ")
    o = art.entity(origin, rng)
    e = art.event("Repatriation", t, ("Agent", c), ("Count", q), ("Origin", o))
    art.attribute("Returnees", e, rng.choice(["fighters", "families", "fighters-and-families"]))


def _detention_block(art: Article, unit: Unit, rng: random.Random) -> None:
    holder, detainee = rng.sample(unit.organizations, 2)
    art.add("ولا يزال ")
    number = rng.randint(100, 10000)
    q = art.mention("Quantity", str(number), value=str(number))
    art.add(" من عناصر ")
    d = art.entity(detainee, rng)
    art.add(" ")
    t = art.mention("Detention", "محتجزين")
    art.add(" لدى ")
    h = art.entity(holder, rng)
    art.event("Detention", t, ("Holder", h), ("Count", q), ("Detainee", d))


def _commitment_block(art: Article, unit: Unit, rng: random.Random) -> None:
    region = rng.choice(unit.regions)
    art.add("وجدد ")
    a = art.entity(unit.coalition, rng)
    art.add(" ")
    t = art.mention("Commitment", "التزامه")
    art.add(" بمواجهة التهديدات الإرهابية في ")
    r = art.entity(region, rng)
    arguments = [("Agent", a), ("Region", r)]
    if rng.random() < 0.5:
        art.add(" خلال ")
        arguments.append(("Meeting", art.entity(rng.choice(unit.meetings), rng)))
    e = art.event("Commitment", t, *arguments)
    art.note(e, f"Commitment to address terrorist threats in {region.en}.")


def _proposal_block(art: Article, unit: Unit, rng: random.Random) -> None:
    country = rng.choice(unit.countries)
    meeting = rng.choice(unit.meetings)
    art.add("و")
    t = art.mention("Proposal", "اقترحت")
    art.add(" ")
    c = art.entity(country, rng)
    art.add(" خلال ")
    m = art.entity(meeting, rng)
    art.add(" إنشاء آلية لتنسيق الجهود")
    e = art.event("Proposal", t, ("Agent", c), ("Meeting", m))
    art.note(e, "Proposal to set up a mechanism to coordinate the efforts.")


def _count_block(art: Article, unit: Unit, rng: random.Random) -> None:
    art.add("ويضم ")
    c = art.entity(unit.coalition, rng)
    art.add(" حاليا ")
    number = rng.randint(60, 90)
    k = art.mention("Count", str(number), value=str(number))
    art.add(" ")
    art.entity(unit.roles["role-member"], rng, "عضوا")
    arguments = [("Subject", c)]
    if rng.random() < 0.4:
        art.add(" من بينهم ")
        sub = rng.randint(5, 30)
        k2 = art.mention("Count", str(sub), value=str(sub))
        art.add(" من ")
        r = art.entity(rng.choice(unit.regions), rng)
        e2 = art.event("Count", k2, ("Subject", c), ("Region", r))
        art.attribute("Measure", e2, "members")
    e = art.event("Count", k, *arguments)
    art.attribute("Measure", e, "members")
    if rng.random() < 0.3:
        art.attribute("Bound", e, "more-than")


def _organization_block(art: Article, unit: Unit, rng: random.Random) -> None:
    organization = rng.choice(unit.organizations)
    person = rng.choice(unit.persons)
    country = rng.choice(unit.countries)
    art.add("ويرأس ")
    p = art.entity(person, rng)
    art.add(" ")
    o = art.entity(organization, rng)
    art.relation("leads", p, o)
    art.add(" التي تتخذ من ")
    c = art.entity(country, rng)
    art.relation("partOf", o, c)
    art.add(" مقرا لها")


def _continuity_block(art: Article, unit: Unit, rng: random.Random) -> None:
    first, second = rng.sample(unit.meetings, 2)
    art.add("ويأتي ")
    a = art.entity(first, rng)
    kind = rng.choice(["continues", "reaffirms", "buildsOn", "onMarginsOf"])
    art.add(" على هامش " if kind == "onMarginsOf" else " استمرارا لمخرجات ")
    b = art.entity(second, rng)
    art.relation(kind, a, b)


def _group_block(art: Article, unit: Unit, rng: random.Random) -> None:
    art.add("وتتبع ")
    g = art.entity(unit.group, rng)
    art.add(" ")
    c = art.entity(unit.coalition, rng)
    art.relation("groupOf", g, c)
    art.add(" وقد أطلقت خلال ")
    m = art.entity(rng.choice(unit.meetings), rng)
    art.relation("launchedAt", g, m)


def _anaphor_block(art: Article, unit: Unit, rng: random.Random) -> None:
    person = rng.choice(unit.persons)
    meeting = rng.choice(unit.meetings)
    art.add("وتحدث ")
    p = art.mention("Person", "الوزير", person, anaphor=True)
    art.add(" أمام ")
    m = art.entity(meeting, rng)
    art.relation("spokeAt", p, m)


def _curation_facts(unit: Unit, rng: random.Random, facts: list[Fact]) -> None:
    for country in unit.countries[:10]:
        facts.append(Fact(country.id, "memberOf", f"{country.en} is listed as a partner of the coalition.",
                          object=unit.coalition.id))
    for country in unit.countries[10:12]:
        facts.append(Fact(country.id, "memberOf", f"{country.en} is a member of the {unit.group.en}.", object=unit.group.id))
    for person in unit.persons[9:]:
        facts.append(Fact(person.id, "affiliatedWith", f"{person.en} serves {unit.countries[-1].en}.",
                          object=unit.countries[-1].id))
    facts.append(Fact(unit.group.id, "groupOf", f"The {unit.group.en} is a group of the coalition.", object=unit.coalition.id))


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def generate(root: Path, scale: int = 1, seed: int = 20240601) -> dict:
    """Write a project root with `scale` units (5 articles each) under root; returns counts."""
    root = Path(root)
    if root.exists():
        shutil.rmtree(root)
    seeds = root / "seeds"
    seeds.mkdir(parents=True)
    for folder in ("ontology", "queries"):
        shutil.copytree(REPO / folder, root / folder)
    shutil.copy(REPO / "seeds" / "ANNOTATION.md", seeds / "ANNOTATION.md")

    rng = random.Random(seed)
    names = Names(rng)
    coalition, roles = _shared_entities()
    registry: list[Entity] = [coalition, *roles.values()]
    titles: list[tuple[str, str, str]] = []
    facts: list[Fact] = []
    sums: list[str] = []
    mentions = 0
    for u in range(scale):
        unit = _make_unit(u, names, rng, coalition, roles)
        registry += [unit.group, *unit.countries, *unit.cities, *unit.regions, *unit.organizations,
                     *unit.persons, *unit.posts, *unit.meetings, *unit.documents]
        stems = []
        for a in range(5):
            number = u * 5 + a
            digest = hashlib.sha256(f"{seed}/{number}".encode()).hexdigest()[:16]
            stems.append(f"{number % 1000:03d}_{digest}")
        for article in _write_articles(unit, stems, rng, facts):
            (seeds / f"{article.stem}.txt").write_text(article.text, encoding="utf-8")
            (seeds / f"{article.stem}.ann").write_text("\n".join(article.lines) + "\n", encoding="utf-8")
            sums.append(f"{hashlib.sha256(article.text.encode('utf-8')).hexdigest()}  {article.stem}.txt")
            meeting = next(e for e in unit.meetings)
            titles.append((article.stem, f"The coalition reaffirms its commitment ({meeting.en})",
                           f"التحالف الدولي ضد داعش يؤكد التزامه بمواجهة الإرهاب ({meeting.ar})"))
            mentions += article.mentions
        _curation_facts(unit, rng, facts)

    out = ["# Synthetic entity registry (benchmarks/corpus.py): names are made up; Wikidata ids are placeholders.", ""]
    for stem, en, ar in titles:
        out += [f"[article.{stem}]", f"en = {_toml_string(en)}", f"ar = {_toml_string(ar)}", ""]
    for entity in registry:
        out += [f"[entity.{entity.id}]", f"type = {_toml_string(entity.type)}", f"en = {_toml_string(entity.en)}",
                f"ar = {_toml_string(entity.ar)}"]
        if entity.variants:
            out.append("variants = [" + ", ".join(_toml_string(v) for v in entity.variants) + "]")
        if entity.wikidata:
            out.append(f"wikidata = {_toml_string(entity.wikidata)}")
        out.append("")
    (seeds / "entities.toml").write_text("\n".join(out), encoding="utf-8")

    out = ["# Synthetic curation (benchmarks/corpus.py).", ""]
    for fact in facts:
        out += ["[[fact]]", f"subject = {_toml_string(fact.subject)}", f"relation = {_toml_string(fact.relation)}"]
        out.append(f"object = {_toml_string(fact.object)}" if fact.object else f"value = {_toml_string(fact.value)}")
        out.append(f"reason = {_toml_string(fact.reason)}")
        if fact.derived_from:
            out.append("derived_from = [" + ", ".join(_toml_string(d) for d in fact.derived_from) + "]")
        out.append("")
    (seeds / "curation.toml").write_text("\n".join(out), encoding="utf-8")
    (seeds / "SHA256SUMS").write_text("\n".join(sums) + "\n", encoding="utf-8")
    return {"scale": scale, "articles": len(titles), "entities": len(registry), "facts": len(facts), "mentions": mentions}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=1, help="how many times the seeds (units of 5 articles)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--out", required=True, help="the project root to write (replaced if it exists)")
    args = parser.parse_args(argv)
    print(generate(Path(args.out), args.scale, args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
