"""The seeds are verbatim, and their annotations cover every named mention the registry knows."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from coalition_kg.graph import annotations, article_names, registry
from conftest import REPO, STEMS

SEEDS = REPO / "seeds"
SHARED_SUMS = REPO.parent / "shared" / "seeds" / "SHA256SUMS"

# The published checksums of the five articles (shared/seeds/SHA256SUMS), so that the test holds on a
# clean checkout where ../shared is absent.
EXPECTED = {
    "000_5ed4d548c76f9435.txt": "575be299da026150dadfd1f8149497e0094da44b9b306cfc88aef161e21ae648",
    "001_eef99b9cc9c1a199.txt": "ed09161a858d7ee80766de42d8d6e48981010443170a0d69e81ff30b61acce3e",
    "002_ecb604b8a81b9122.txt": "03d8b6b3ab1beb501a8e293f6ac01d651a9c1518bc0841f18073e8a81d6d7e94",
    "003_922b375491f8e4de.txt": "bf2974897c4e9ddca54510cc79464cdaf10bb8dfcd269352ffc57b612d71e18d",
    "004_9eb9693275b328fe.txt": "aef717bcb16ac829184f3331b7433c06ece7e787cd00ab092b2d3254068cfe45",
}


def test_articles_are_byte_identical_to_the_published_seeds():
    for name, digest in EXPECTED.items():
        assert hashlib.sha256((SEEDS / name).read_bytes()).hexdigest() == digest, name
    # more articles may be added (`ckg add`); the five seeds stay, and every article follows the name rule
    names = {p.name for p in SEEDS.glob("*.txt")}
    assert set(EXPECTED) <= names
    for name in names:
        article_names.check(name.removesuffix(".txt"))


def test_seed_checksum_file_is_the_published_one():
    ours = (SEEDS / "SHA256SUMS").read_text()
    for name, digest in EXPECTED.items():
        assert f"{digest}  {name}" in ours
    if SHARED_SUMS.exists():  # the published lines come first; added articles' lines follow them
        assert ours.startswith(SHARED_SUMS.read_text())


@pytest.fixture(scope="module")
def entities():
    return registry.load_registry(SEEDS / "entities.toml")


@pytest.fixture(scope="module")
def articles(entities):
    return {stem: annotations.read(SEEDS / f"{stem}.ann", SEEDS / f"{stem}.txt", entities) for stem in STEMS}


def test_every_mention_quotes_the_verbatim_text(articles):
    for ann in articles.values():
        for mention in ann.mentions.values():
            assert ann.text[mention.start:mention.end] == mention.text


# Proclitics that may stand before a name (و ب ل ك ف and their pairs), and what may follow it.
_BEFORE = r"(?:(?<=^)|(?<=[\s(«“\"/،,.])|(?<=[\s(«“\"/،,.][وفبلك])|(?<=[\s(«“\"/،,.][وف][بلك]))"
_AFTER = r"(?=$|[\s)»”\"/،,.:؛])"
NAMED_TYPES = {"Person", "Country", "City", "Organization", "Coalition", "Group", "Region"}


def test_every_named_occurrence_of_a_registry_entity_is_annotated(articles, entities):
    """Coverage: wherever an article writes a known name of a person, place, organization or group
    (with or without proclitics), a mention of that entity covers those words."""
    missing = []
    for ann in articles.values():
        for entity in entities.entities.values():
            if entity.type not in NAMED_TYPES:
                continue
            covering = [(m.start, m.end) for m in ann.mentions.values() if m.entity == entity.id]
            for form in entity.surface_forms:
                if len(form) < 4 or form in {"القارة", "التحالف", "المملكة", "التحالف الدولي"}:
                    continue  # common nouns too: these short forms are checked by hand, not by search
                for match in re.finditer(_BEFORE + re.escape(form) + _AFTER, ann.text):
                    if not any(s <= match.start() and match.end() <= e for s, e in covering):
                        missing.append(f"{ann.stem}: {entity.id} {form!r} at {match.start()}")
    assert not missing, "\n".join(missing)


def test_clitic_mentions_are_annotated_without_the_clitic(articles):
    # ببروكسل (000), ببروكسيل (001) and والنيجر (001): the span is the bare name.
    def spans(stem, entity_id):
        return {(m.start, m.text) for m in articles[stem].mentions.values() if m.entity == entity_id}

    text000 = articles["000_5ed4d548c76f9435"].text
    at = text000.index("ببروكسل")
    assert (at + 1, "بروكسل") in spans("000_5ed4d548c76f9435", "brussels")
    text001 = articles["001_eef99b9cc9c1a199"].text
    at = text001.index("والنيجر")
    assert (at + 1, "النيجر") in spans("001_eef99b9cc9c1a199", "niger")


def test_every_variant_name_of_the_coalition_and_the_group_is_met(articles, entities):
    met = {m.form for ann in articles.values() for m in ann.mentions.values()
           if m.entity in ("global-coalition", "africa-focus-group") and not m.is_anaphor}
    for entity_id in ("global-coalition", "africa-focus-group"):
        forms = {m.form for ann in articles.values() for m in ann.mentions.values() if m.entity == entity_id}
        assert len(forms) >= 4, (entity_id, forms)
    assert {"مجموعة النقاش المركزة لمنطقة إفريقيا", "مجموعة التركيز الإفريقية", "مجموعة التركيز المعنية بإفريقيا",
            "مجموعة التفكير"} <= met
    assert {"التحالف الدولي ضد داعش", "التحالف الدولي لهزيمة داعش", "التحالف العالمي ضد داعش"} <= met


def test_registry_arabic_labels_are_forms_the_seeds_use(articles, entities):
    used = {m.form for ann in articles.values() for m in ann.mentions.values()}
    curated_only = {"belgium"}  # named by no seed; see its note in entities.toml
    for entity in entities.entities.values():
        if entity.id in curated_only:
            assert entity.note
            continue
        assert entity.ar in used or set(entity.variants) & used, entity.id


def test_dates_are_at_the_precision_the_text_gives(articles):
    values = {(stem, m.text): m.value.lexical for stem, ann in articles.items()
              for m in ann.mentions.values() if m.type == "Date"}
    assert values[("001_eef99b9cc9c1a199", "يونيو 2018")] == "2018-06"
    assert values[("003_922b375491f8e4de", "11 مايو 2022")] == "2022-05-11"
    assert values[("003_922b375491f8e4de", "2 مارس 2023")] == "2023-03-02"
    assert values[("003_922b375491f8e4de", "الخميس")] == "2023-06-08"  # worked out from the article's date
    # Articles without a date of their own give the weekday only; the day is curated.
    assert values[("000_5ed4d548c76f9435", "أول أمس الخميس")] == "Thursday"
    assert values[("001_eef99b9cc9c1a199", "أمس الخميس")] == "Thursday"
    assert values[("002_ecb604b8a81b9122", "يوم الإثنين")] == "Monday"


def test_worked_out_days_record_their_reasoning(articles):
    riyadh_day = next(m for m in articles["003_922b375491f8e4de"].mentions.values() if m.text == "الخميس")
    assert riyadh_day.attributes.get("Weekday") == "Thursday"
    assert "2023-06-10" in riyadh_day.note
