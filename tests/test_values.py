"""Dates and numbers as value mentions of a draft, checked against the seeds' hand annotations."""

from __future__ import annotations

from coalition_kg.graph import linker, registry, values
from conftest import REPO

SEEDS = REPO / "seeds"


def _found(stem: str):
    text = (SEEDS / f"{stem}.txt").read_text(encoding="utf-8")
    return text, {(v.start, v.end): v for v in values.find(text)}


def test_dates_with_a_month_name_are_sure_and_at_the_precision_written():
    text, found = _found("003_922b375491f8e4de")
    assert (found[(646, 657)].text, found[(646, 657)].value, found[(646, 657)].sure) == ("2 مارس 2023", "2023-03-02", True)
    assert (found[(561, 570)].value, found[(561, 570)].sure) == ("2022-05", True)
    assert found[(734, 746)].value == "2022-05-11"
    assert [v.value for v in found.values() if v.sure] == ["2022-05", "2023-03-02", "2022-05-11", "2023-03"]


def test_numeric_dates_ordinals_numbers_and_weekdays_are_proposed():
    text, found = _found("004_9eb9693275b328fe")
    assert (found[(9, 20)].text, found[(9, 20)].value, found[(9, 20)].sure) == ("11-05 -2022", "2022-05-11", False)
    text, found = _found("003_922b375491f8e4de")
    assert (found[(218, 224)].text, found[(218, 224)].value, found[(218, 224)].type) == ("العاشر", "10", "Quantity")
    assert (found[(302, 304)].value, found[(302, 304)].sure) == ("86", False)
    assert (found[(249, 255)].text, found[(249, 255)].value) == ("الخميس", "Thursday")


def test_arabic_indic_digits_a_month_of_the_levant_and_an_impossible_day():
    (number, month) = values.find("حضر ٧٩ وفدا في أيار 2022")
    assert (number.value, month.value, month.text) == ("79", "2022-05", "أيار 2022")
    (day_number, year) = values.find("في 31 فبراير 2023")  # no such day: the parts are proposed one by one
    assert (day_number.type, year.type, year.value, year.sure) == ("Quantity", "Date", "2023", False)


def test_the_draft_writes_value_lines():
    entities = registry.load_registry(SEEDS / "entities.toml")
    draft = linker.draft("اجتمع الوزراء في بروكسل في 2 مارس 2023.\n", entities)
    assert draft.splitlines() == [
        "T1\tCity 17 23\tبروكسل",
        "N1\tReference T1 ckg:brussels\tBrussels",
        "T2\tDate 27 38\t2 مارس 2023",
        "A1\tValue T2 2023-03-02",
    ]
