"""The Arabic matching key: folding, offsets back to the verbatim text, and proclitic readings, with words
from the seeds."""

from __future__ import annotations

from coalition_kg.graph import arabic
from conftest import REPO


def test_folding_of_hamza_seats_alef_maqsura_taa_marbuta():
    assert arabic.normalise("إفريقيا") == arabic.normalise("افريقيا") == arabic.normalise("أفريقيا")
    assert arabic.normalise("مصطفى") == "مصطفي"
    assert arabic.normalise("بوريطة") == "بوريطه"
    assert arabic.normalise("المسؤولين") == "المسوولين"
    assert arabic.normalise("الإسلامية") == arabic.normalise("الاسلامية")
    assert arabic.normalise("رئيس") == "رييس"


def test_diacritics_tatweel_and_spaces_leave_the_key():
    assert arabic.normalise("الْمَغْرِبُ") == "المغرب"
    assert arabic.normalise("المغـــرب") == "المغرب"
    assert arabic.normalise("  التحالف \t\n الدولي ") == "التحالف الدولي"
    assert arabic.normalise("تنظيم “داعش”") == arabic.normalise("تنظيم «داعش»") == "تنظيم داعش"


def test_offsets_map_back_to_the_verbatim_text():
    verbatim = "وصل الوزيرُ إلى بروكسـلَ، ثم"
    keyed = arabic.key(verbatim)
    assert keyed.text == "وصل الوزير الي بروكسل، ثم"
    start = keyed.text.index("بروكسل")
    first, last = keyed.span(start, start + len("بروكسل"))
    assert verbatim[first:last] == "بروكسـلَ"  # the tatweel inside and the final vowel belong to the word
    first, last = keyed.span(4, 10)
    assert verbatim[first:last] == "الوزيرُ"


def test_offsets_of_a_seed_word():
    text = (REPO / "seeds" / "000_5ed4d548c76f9435.txt").read_text(encoding="utf-8")
    keyed = arabic.key(text)
    at = keyed.text.index("ببروكسل")
    first, last = keyed.span(at + 1, at + len("ببروكسل"))
    assert text[first:last] == "بروكسل"
    assert first == text.index("ببروكسل") + 1


def test_readings_split_proclitics_and_restore_the_elided_alif():
    stems = {(r.proclitics, r.stem, r.elided_alif) for r in arabic.readings("للتحالف")}
    assert ("ل", "التحالف", True) in stems
    assert ("", "للتحالف", False) in stems
    assert ("و", "النيجر", False) in {(r.proclitics, r.stem, r.elided_alif) for r in arabic.readings("والنيجر")}
    assert ("ب", "بروكسل") in {(r.proclitics, r.stem) for r in arabic.readings("ببروكسل")}
    assert ("ول", "المغرب") in {(r.proclitics, r.stem) for r in arabic.readings(arabic.normalise("وللمغرب"))}
    # بإفريقيا: the hamza seat is folded before the split
    assert ("ب", "افريقيا") in {(r.proclitics, r.stem) for r in arabic.readings(arabic.normalise("بإفريقيا"))}


def test_the_word_itself_is_the_first_reading():
    """بوريطة is a name; the ب + وريطة reading exists but comes after it, and a caller takes it only
    when وريطة is a name it knows."""
    first, *rest = arabic.readings("بوريطه")
    assert (first.proclitics, first.stem) == ("", "بوريطه")
    assert ("ب", "وريطه") in {(r.proclitics, r.stem) for r in rest}


def test_article_readings_only_when_asked():
    assert "مغرب" not in {r.stem for r in arabic.readings("بالمغرب")}
    assert ("بال", "مغرب") in {(r.proclitics, r.stem) for r in arabic.readings("بالمغرب", article=True)}


def test_one_letter_is_never_a_stem():
    assert {r.stem for r in arabic.readings("وب")} == {"وب"}


def test_words():
    assert arabic.words("ببروكسل، إلى “داعش”") == [(0, 7), (9, 12), (14, 18)]


def test_a_span_keeps_the_closing_quote_of_a_quote_it_opens():
    verbatim = "ضد تنظيم “داعش” في"
    keyed = arabic.key(verbatim)
    at = keyed.text.index("تنظيم داعش")
    first, last = keyed.span(at, at + len("تنظيم داعش"))
    assert verbatim[first:last] == "تنظيم “داعش”"
    at = keyed.text.index("داعش")
    first, last = keyed.span(at, at + len("داعش"))
    assert verbatim[first:last] == "داعش"  # quotation marks are outside a span that does not open them
