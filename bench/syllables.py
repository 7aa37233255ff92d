"""Syllables counted from written English, the truth the speaking-rate check compares with.

Two counts: ``syllables(word)`` reads spelling (vowel groups, with the usual corrections for
a silent final e, -ed and -es endings, vowels said apart and "n't"), and
``phoneme_syllables(phonemes)`` counts the vowels of a phoneme string (eSpeak's IPA, as Piper
says it, or ARPAbet). The first serves any transcript; the second is what a voice was told
to say, and so checks the first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VOWELS = "aeiouy"
# Vowel pairs said as two syllables ("cre-ate", "ra-di-o", "act-u-al"); -tion, -cial and
# "qu" take one, handled where the pair is read.
APART = ("ia", "io", "eo", "ua", "iu", "uo", "ea", "ie")
APART_ONLY_WHERE = {
    "ea": re.compile(r"(cre|idea|area|theat|ocea|linea|genea)"),
    "ie": re.compile(r"(ien[ct]|iet|ier|ior|ies[st]|ient)"),
    "eo": re.compile(r"(eo[^p]|eon$|ideo)"),
}
ONE_SOUND = re.compile(r"(tio|sio|cio|gio|cia|tia|xio|qua|gua|quo|tien|cien|llio|nio)")
# A word whose stem ends in a silent e keeps it silent before these ("some-thing",
# "care-ful", "measure-ment", "nine-ty").
AFTER_SILENT_E = ("ment", "ful", "ly", "ness", "less", "thing", "one", "body", "house", "ware",
                  "time", "where", "way", "ty", "teen")  # fmt: skip
SILENT_ES_AFTER = ("s", "x", "z", "ch", "sh", "c", "g")  # uses, boxes, faces, changes
NUMBER_SYLLABLES = {
    "0": 2, "1": 1, "2": 1, "3": 1, "4": 1, "5": 1, "6": 1, "7": 2, "8": 1, "9": 1,
    "10": 1, "11": 3, "12": 1, "13": 2, "14": 2, "15": 2, "16": 2, "17": 3, "18": 2, "19": 2,
    "20": 2, "30": 2, "40": 2, "50": 2, "60": 2, "70": 3, "80": 2, "90": 2,
}  # fmt: skip
IPA_VOWELS = set("aeiouyæɐɑɒɔəɘɚɛɜɝɞɤɨɪʉʊʌʏøœɵɶᵻ")
# eSpeak's diphthongs: two vowel symbols, one syllable ("iə" only before r: "experience").
DIPHTHONGS = ("aɪ", "aʊ", "eɪ", "oʊ", "ɔɪ", "eə", "ʊə", "əʊ")
SYLLABIC = "\u0329"  # a consonant that carries a syllable ("written": ɹˈɪʔn̩)
ARPABET_VOWELS = {
    "AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW",
}  # fmt: skip


def syllables(word: str) -> int:
    """Syllables of one written word (0 for a token without letters or digits)."""
    if re.fullmatch(r"[0-9]+", word.strip(".,;:!?\"'()")):
        return number_syllables(word.strip(".,;:!?\"'()"))
    raw = re.sub(r"[^a-z'-]", "", word.lower()).strip("'-")
    if "-" in raw:
        return sum(syllables(part) for part in raw.split("-") if part)
    for suffix in AFTER_SILENT_E:
        stem = raw[: -len(suffix)]
        if raw.endswith(suffix) and len(stem) > 2 and stem.endswith("e") and stem[-2] not in VOWELS:
            return syllables(stem) + syllables(suffix)
    if raw.startswith("every"):
        return 2 + (syllables(raw[5:]) if raw[5:] else 0)  # said "ev-ry"
    negation = raw.endswith("n't") and len(raw) > 4 and raw[-4] not in VOWELS
    letters = raw.replace("'", "")
    if not letters:
        return 0
    groups = [m for m in re.finditer(r"[aeiouy]+", letters) if not _initial_y(letters, m)]
    count = sum(_group_syllables(letters, m) for m in groups)
    count -= _silent_ending(letters, groups)
    return max(count, 1) + negation


@dataclass(frozen=True)
class _Group:
    """A vowel group and where it starts, as ``re.Match`` gives them."""

    text: str
    begin: int

    def group(self) -> str:
        return self.text

    def start(self) -> int:
        return self.begin

    def end(self) -> int:
        return self.begin + len(self.text)


def _initial_y(letters: str, match: re.Match) -> bool:
    """A "y" before a vowel at the start of a word is a consonant ("yes", "you")."""
    group = match.group()
    return match.start() == 0 and group == "y"


def _group_syllables(letters: str, match: re.Match) -> int:
    """One syllable per vowel group, two where a pair in it is said apart."""
    group = match.group()
    if match.start() == 0 and group.startswith("y") and len(group) > 1:
        group = group[1:]  # "you", "year": the y is a consonant
    if group[-1] == "i" and len(group) > 1 and letters[match.end() : match.end() + 2] == "ng":
        return _group_syllables(letters, _Group(group[:-1], match.start())) + 1  # go-ing
    around = letters[max(match.start() - 2, 0) : match.end() + 2]
    if ONE_SOUND.search(around):
        return 1
    for pair in APART:
        if pair in group:
            rule = APART_ONLY_WHERE.get(pair)
            if rule is None or rule.search(letters):
                return 2
    return 1


def _silent_ending(letters: str, groups: list[re.Match]) -> int:
    """1 when the word's last vowel group is a silent e (make, used, makes), else 0."""
    if len(groups) < 2 or groups[-1].group() != "e":
        return 0
    end = groups[-1].end()
    tail = letters[end:]
    before = letters[: groups[-1].start()]
    if before.endswith("l") and before[-2:-1] not in VOWELS:
        return 0  # "table", "people", "settled", "tables" keep their -le
    if tail == "":
        return 1  # make, use
    if tail == "d" and not before.endswith(("t", "d")):
        return 1  # moved, used; but "wanted", "needed"
    if tail == "s" and not before.endswith(SILENT_ES_AFTER):
        return 1  # makes, times; but "uses", "boxes", "changes"
    return 0


def number_syllables(digits: str) -> int:
    """Syllables of a number written in digits, as said in English (up to 9999)."""
    value = int(digits)
    if digits in NUMBER_SYLLABLES:
        return NUMBER_SYLLABLES[digits]
    if value < 100:
        return NUMBER_SYLLABLES[str(value - value % 10)] + NUMBER_SYLLABLES[str(value % 10)]
    if value < 10_000 and len(digits) == 4 and value >= 1100 and value % 100 != 0:
        return number_syllables(digits[:2]) + number_syllables(str(int(digits[2:])))  # "2019"
    if 100 <= value < 1000 and digits[0] != "0":
        rest = value % 100  # "three hundred (and) five"
        return NUMBER_SYLLABLES[digits[0]] + 2 + (number_syllables(str(rest)) if rest else 0)
    return sum(NUMBER_SYLLABLES[d] for d in digits)  # said digit by digit


def text_syllables(text: str) -> int:
    """Syllables of a whole text, word by word."""
    return sum(syllables(word) for word in text.split())


def phoneme_syllables(phonemes: list[str] | str) -> int:
    """Vowel nuclei in a phoneme string: eSpeak IPA (a diphthong or a long vowel is one)
    or ARPAbet symbols (one vowel symbol, one syllable)."""
    if isinstance(phonemes, list) and all(p.isascii() and p.isupper() for p in phonemes):
        return sum(p.rstrip("012") in ARPABET_VOWELS for p in phonemes)
    text = "".join(phonemes).replace("ː", "").replace("ˑ", "")
    nuclei = text.count(SYLLABIC)
    for run in re.findall(f"[{''.join(sorted(IPA_VOWELS))}]+", text):
        at = 0
        while at < len(run):
            pair = run[at : at + 2]
            one = pair in DIPHTHONGS or (
                pair == "iə" and text[text.index(run) + at + 2 :][:1] == "ɹ"
            )
            at += 2 if one else 1
            nuclei += 1
    return nuclei
