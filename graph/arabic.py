"""The one Arabic matching key: what the linker, the coverage checks and search compare names by.

Arabic writers vary letters that do not change a name: hamza seats (أفريقيا / افريقيا), alef maqsura
and yaa at the end (مصطفى / مصطفي), taa marbuta and haa (بوستة / بوسته), short vowels and shadda (all
optional), tatweel (stretching). The key folds those to one letter each, deletes the marks and quotation
marks, and collapses whitespace; it is a key to compare, never a text to show or to store. Offsets are always on the verbatim
text: `key()` keeps, for each character of the key, the code point of the verbatim text it came from.

Words also carry proclitics: a conjunction (و، ف), then a preposition (ب، ل، ك), written together with
the word (ببروكسل، والنيجر، وللتحالف). After ل the alif of the article ال is not written (للرياض =
ل + الرياض). `readings()` lists the ways a word may be split; a caller takes a split only when what is
left is a name it knows, so the letters of a name are never eaten (بوريطة is a name, not ب + وريطة).

No library does this here: PyArabic is GPL, and CAMeL Tools needs data downloads; the rules are few.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

# Letters folded to one representative: alef with hamza above/below, madda, wasla -> bare alef;
# hamza on waw -> waw, on yaa -> yaa; alef maqsura -> yaa; taa marbuta -> haa; Persian keheh and
# Farsi yeh, which keyboards put in Arabic text, -> kaf and yaa.
_FOLD = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",
    "ؤ": "و", "ئ": "ي", "ى": "ي", "ة": "ه",
    "ک": "ك", "ی": "ي",
})
# Quotation marks leave the key: writers quote a name or not (تنظيم “داعش” / تنظيم داعش).
OPENING_QUOTES = "“«„‘"
CLOSING_QUOTES = "”»’"
_QUOTES = set(OPENING_QUOTES + CLOSING_QUOTES + '"″')

TATWEEL = "\u0640"
# Invisible format characters (zero-width joiners, direction marks, BOM) are dropped too.
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\ufeff", "\u061c"}


def is_mark(char: str) -> bool:
    """A combining mark (harakat, tanwin, shadda, sukun, dagger alif, combining hamza) or tatweel:
    part of the letter before it."""
    return char == TATWEEL or unicodedata.category(char) == "Mn"


def is_dropped(char: str) -> bool:
    """A character the key leaves out: a mark, a quotation mark, or an invisible format character."""
    return is_mark(char) or char in _QUOTES or char in _INVISIBLE


def is_word_char(char: str) -> bool:
    """Letters and digits make words; everything else (spaces, punctuation, quotes) separates them."""
    return char.isalnum()


@dataclass(frozen=True)
class Key:
    """The matching key of a verbatim text, and where each of its characters came from."""

    text: str
    verbatim: str
    origin: tuple[int, ...]  # origin[i]: the verbatim offset of text[i]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The verbatim span (code points, end exclusive) of the key's text[start:end], with the marks
        that sit on its last letter (a final vowel or shadda belongs to the word) and the closing
        quotation mark of one opened inside it (تنظيم “داعش”)."""
        if not 0 <= start < end <= len(self.text):
            raise ValueError(f"key span {start}-{end} outside 0-{len(self.text)}")
        first, last = self.origin[start], self.origin[end - 1] + 1
        while last < len(self.verbatim) and is_mark(self.verbatim[last]):
            last += 1
        inside = self.verbatim[first:last]
        opened = sum(inside.count(q) for q in OPENING_QUOTES) - sum(inside.count(q) for q in CLOSING_QUOTES)
        if (opened > 0 or inside.count('"') % 2) and last < len(self.verbatim) and self.verbatim[last] in CLOSING_QUOTES + '"':
            last += 1
        return first, last


def key(text: str) -> Key:
    """The key of `text` with its map back to verbatim offsets."""
    chars: list[str] = []
    origin: list[int] = []
    after_space = False
    for offset, char in enumerate(text):
        folded = _folded(char)
        if folded is None:
            continue
        if folded == " ":
            if after_space:
                continue  # a run of whitespace is one space
            after_space = True
        else:
            after_space = False
        chars.append(folded)
        origin.append(offset)
    return Key("".join(chars), text, tuple(origin))


@functools.lru_cache(maxsize=None)  # a text has few distinct characters: each is looked at once
def _folded(char: str) -> str | None:
    """What one character becomes in the key: None when dropped, a space for any whitespace."""
    if is_dropped(char):
        return None
    return " " if char.isspace() else char.translate(_FOLD)


def normalise(text: str) -> str:
    """The key alone, for a name from the registry or a query: the same folding as `key()`."""
    return key(text).text.strip()


# Proclitics in the order they stack: an optional conjunction, then an optional preposition.
CONJUNCTIONS = ("و", "ف")
PREPOSITIONS = ("ب", "ل", "ك")
ARTICLE = "ال"


@dataclass(frozen=True)
class Reading:
    """One way to read a word: `proclitics` (as written, a prefix of the word) and the `stem` left,
    which is what a name must equal. `elided_alif` says the stem got back the alif of ال that ل hid
    (للرياض: proclitics ل, stem الرياض); the verbatim span of the name then starts at the ل of ال."""

    proclitics: str
    stem: str
    elided_alif: bool = False

    @property
    def skip(self) -> int:
        """Code points of the (keyed) word before the name's span starts."""
        return len(self.proclitics)


@functools.lru_cache(maxsize=1 << 16)  # an article repeats its words: a long one reads each once
def readings(word: str, *, article: bool = False) -> tuple[Reading, ...]:
    """Every split of a keyed word into proclitics and a stem, the word itself first, then shorter
    stems. With article=True, readings without the article ال are added too (a query for مغرب finds
    المغرب); the linker leaves ال on the name, as the annotation guide does."""
    found = [Reading("", word)]
    for conjunction in ("",) + CONJUNCTIONS:
        for preposition in ("",) + PREPOSITIONS:
            prefix = conjunction + preposition
            if not prefix or not word.startswith(prefix) or len(word) - len(prefix) < 2:
                continue
            rest = word[len(prefix):]
            found.append(Reading(prefix, rest))
            if preposition == "ل" and rest.startswith("ل") and not rest.startswith(ARTICLE):
                found.append(Reading(prefix, "ا" + rest, elided_alif=True))
    if article:
        for reading in list(found):
            if reading.stem.startswith(ARTICLE) and len(reading.stem) > len(ARTICLE) + 1:
                found.append(Reading(reading.proclitics + ARTICLE, reading.stem[len(ARTICLE):]))
    return tuple(found)


def skeleton(word: str) -> str:
    """A keyed word without the long vowels ا و ي after its first letter: transliterated foreign names
    vary in them (بروكسل / بروكسيل, بلينكن / بلينكين). Too loose for Arabic words (الأرض and الرياض
    share one), so callers use it only for names without the article, and only to propose."""
    return word[:1] + "".join(char for char in word[1:] if char not in "اوي")


def words(text: str) -> list[tuple[int, int]]:
    """The (start, end) of each word (a run of letters and digits) in a text, keyed or verbatim."""
    spans, start = [], None
    for offset, char in enumerate(text):
        if is_word_char(char):
            if start is None:
                start = offset
        elif start is not None:
            spans.append((start, offset))
            start = None
    if start is not None:
        spans.append((start, len(text)))
    return spans
