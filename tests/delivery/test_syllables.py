"""The syllable counter the speaking-rate check trusts (bench/syllables.py)."""

import pytest

from bench.syllables import number_syllables, phoneme_syllables, syllables, text_syllables


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("I", 1), ("the", 1), ("yes", 1), ("you", 1), ("year", 1),
        ("make", 1), ("makes", 1), ("used", 1), ("moved", 1), ("played", 1),
        ("wanted", 2), ("needed", 2), ("uses", 2), ("boxes", 2), ("changes", 2),
        ("table", 2), ("people", 2), ("settled", 2), ("free", 1), ("agreed", 2),
        ("value", 2), ("continue", 3), ("create", 2), ("idea", 3), ("radio", 3),
        ("nation", 2), ("decision", 3), ("actual", 3), ("quality", 3), ("senior", 2),
        ("experience", 4), ("client", 2), ("quiet", 2), ("patience", 2),
        ("something", 2), ("careful", 2), ("measurement", 3), ("ninety", 2), ("nineteen", 2),
        ("every", 2), ("everybody", 4), ("going", 2), ("saying", 2), ("being", 2),
        ("didn't", 2), ("doesn't", 2), ("don't", 1), ("we're", 1), ("I've", 1),
        ("well-known", 2), ("Yeah,", 1), ("forever.", 3), ("", 0), ("--", 0),
    ],
)  # fmt: skip
def test_words(word, expected):
    assert syllables(word) == expected


@pytest.mark.parametrize(
    ("digits", "expected"),
    [("7", 2), ("10", 1), ("16", 2), ("95", 3), ("2019", 4), ("300", 3)],
)
def test_numbers_as_said(digits, expected):
    assert number_syllables(digits) == expected
    assert syllables(digits + ",") == expected


def test_a_sentence_is_the_sum_of_its_words():
    assert text_syllables("Feels like these days go on forever.") == 9
    assert text_syllables("Go forward ten meters.") == 6


def test_phonemes_in_ipa_count_vowels_and_diphthongs_once():
    # eSpeak as Piper says "I didn't create the experience" and "going": a length mark
    # or a stress mark inside does not split a vowel; a glide (ʲ) between two does.
    assert phoneme_syllables("aɪ dˈɪdnt kɹiːʲˈeɪt ðɪʲ ɛkspˈiəɹɪʲəns") == 9
    assert phoneme_syllables("ɡˈoʊɪŋ") == 2
    assert phoneme_syllables("ɹˈɪʔn̩") == 2  # "written": the n carries a syllable
    assert phoneme_syllables(list("aɪdˈiə")) == 3  # "idea": iə apart, not before r


def test_phonemes_in_arpabet_count_vowel_symbols():
    forever = [
        "F",
        "IY",
        "L",
        "Z",
        "L",
        "AY",
        "K",
        "DH",
        "IY",
        "Z",
        "D",
        "EY",
        "Z",
        "G",
        "OW",
        "AO",
        "N",
        "F",
        "ER",
        "EH",
        "V",
        "ER",
        "SIL",
    ]
    assert phoneme_syllables(forever) == 9
    assert phoneme_syllables(["HH", "AH0", "L", "OW1"]) == 2
