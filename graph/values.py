"""Dates and numbers in an Arabic article, as the value mentions of a draft (seeds/ANNOTATION.md: `Date`
and `Quantity`, each with an `A Value` line).

A day and a month with a year (2 مارس 2023, مايو 2022) is a Date at the precision written. A year
alone, a numeric date (10/06/2023: day first, as the Arabic press writes, but not certain), a number,
an ordinal (التاسع: 9, for the 9th ministerial) and a weekday are proposed for the annotator to keep or drop: a number is a value
mention only where a relation or an event needs it, and a weekday's day is worked out by hand.
Month names are those of Egypt and the Gulf (مايو), of the Maghreb (ماي، يوليوز، غشت) and of the
Levant (أيار، تموز), compared by the Arabic matching key; digits may be Arabic-Indic (٢٠٢٣).
"""

from __future__ import annotations

import bisect
import datetime
import itertools
import re
from dataclasses import dataclass

from . import arabic
from .vocabulary import WEEKDAYS

_MONTH_NAMES = {
    1: ("يناير", "جانفي", "كانون الثاني"), 2: ("فبراير", "فيفري", "شباط"), 3: ("مارس", "آذار"),
    4: ("أبريل", "ابريل", "إبريل", "أفريل", "نيسان"), 5: ("مايو", "ماي", "أيار"), 6: ("يونيو", "يونيه", "جوان", "حزيران"),
    7: ("يوليو", "يوليوز", "يوليه", "جويلية", "تموز"), 8: ("أغسطس", "غشت", "أوت", "آب"),
    9: ("سبتمبر", "شتنبر", "أيلول"), 10: ("أكتوبر", "تشرين الأول"), 11: ("نوفمبر", "نونبر", "تشرين الثاني"),
    12: ("ديسمبر", "دجنبر", "كانون الأول"),
}
MONTHS = {arabic.normalise(name): number for number, names in _MONTH_NAMES.items() for name in names}
_WEEKDAY_NAMES = ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد")
WEEKDAY_OF = {arabic.normalise(name): english for name, english in zip(_WEEKDAY_NAMES, WEEKDAYS)}

_ORDINALS = {
    "الأول": 1, "الأولى": 1, "الثاني": 2, "الثانية": 2, "الثالث": 3, "الثالثة": 3, "الرابع": 4, "الرابعة": 4,
    "الخامس": 5, "الخامسة": 5, "السادس": 6, "السادسة": 6, "السابع": 7, "السابعة": 7, "الثامن": 8,
    "الثامنة": 8, "التاسع": 9, "التاسعة": 9, "العاشر": 10, "العاشرة": 10,
}
ORDINALS = {arabic.normalise(word): number for word, number in _ORDINALS.items()}

_MONTH = "|".join(sorted((re.escape(m) for m in MONTHS), key=len, reverse=True))
_DATE = re.compile(rf"(?<!\w)(?:(\d{{1,2}}) )?({_MONTH}) (\d{{4}})(?!\w)")
# 10/06/2023, 11-05 -2022: day, month, year, as the Arabic press writes them (not certain: proposed)
_NUMERIC_DATE = re.compile(r"(?<!\w)(\d{1,2}) ?[/-] ?(\d{1,2}) ?[/-] ?(\d{4})(?!\w)")
_ORDINAL = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, sorted(ORDINALS, key=len, reverse=True))) + r")(?!\w)")
_NUMBER = re.compile(r"(?<!\w)\d+(?!\w)")
_WEEKDAY = re.compile(r"(?<!\w)(?:[وف]?(?:ب|ل)?)?(" + "|".join(map(re.escape, WEEKDAY_OF)) + r")(?!\w)")


@dataclass(frozen=True)
class ValueMention:
    start: int
    end: int
    text: str
    type: str  # Date or Quantity
    value: str
    sure: bool  # False: for the annotator to keep or drop


def find(text: str) -> list[ValueMention]:
    keyed = arabic.key(text)
    found: list[ValueMention] = []
    taken: list[tuple[int, int]] = []

    def add(key_start: int, key_end: int, kind: str, value: str, sure: bool) -> None:
        start, end = keyed.span(key_start, key_end)
        surface = text[start:end]
        if "\n" in surface or "\t" in surface:
            return
        found.append(ValueMention(start, end, surface, kind, value, sure))
        taken.append((key_start, key_end))

    for m in _DATE.finditer(keyed.text):
        year, month = int(m.group(3)), MONTHS[m.group(2)]
        if m.group(1):
            try:
                day = datetime.date(year, month, int(m.group(1)))
            except ValueError:
                continue
            add(m.start(), m.end(), "Date", day.isoformat(), True)
        else:
            add(m.start(), m.end(), "Date", f"{year:04d}-{month:02d}", True)
    for m in _NUMERIC_DATE.finditer(keyed.text):
        try:
            day = datetime.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        except ValueError:
            continue
        add(m.start(), m.end(), "Date", day.isoformat(), False)
    dates = sorted(taken)  # a number inside a date is part of it (a long text has thousands: bisect)
    date_starts = [s for s, _ in dates]
    reach = list(itertools.accumulate((e for _, e in dates), max))  # the furthest end so far
    for m in _NUMBER.finditer(keyed.text):
        before = bisect.bisect_right(date_starts, m.start()) - 1
        if before >= 0 and m.start() < reach[before]:
            continue
        number = int(m.group())
        if len(m.group()) == 4 and 1900 <= number <= 2100:
            add(m.start(), m.end(), "Date", str(number), False)
        else:
            add(m.start(), m.end(), "Quantity", str(number), False)
    for m in _WEEKDAY.finditer(keyed.text):
        add(m.start(1), m.end(1), "Date", WEEKDAY_OF[m.group(1)], False)
    for m in _ORDINAL.finditer(keyed.text):
        add(m.start(), m.end(), "Quantity", str(ORDINALS[m.group()]), False)
    return sorted(found, key=lambda v: v.start)
