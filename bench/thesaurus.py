"""A context-blind article spinner driven by a real thesaurus (MyThes or WordNet).

The thesaurus is Debian's ``mythes-en-us`` (the default) or ``wordnet-base`` (``--thesaurus
/usr/share/wordnet``: a second generator, with other synonyms). The MyThes loader reads its data
file (``th_en_US_v2.dat``: a charset line, then per entry ``word|senses`` followed by one
``(pos)|synonym|synonym…`` line per sense) into a dict, the WordNet loader its database files
into the same shape (:func:`load_wordnet`). The spinner works like the tools copycat sites use:
it picks a random sense and a random synonym without looking at the context, keeps names,
numbers and function words, keeps the case of the word it replaces, and re-inflects lemma
synonyms crudely ("reported" → "describeed" is avoided, "reported" → "described" is what it aims
for). Nothing here is third-party text: the thesaurus is read from the system at run time.

Which words a spinner leaves alone is its own choice, not copycat's. ``grammar`` (the default,
since session 13) keeps only grammar (articles, pronouns, auxiliaries, conjunctions, the
commonest prepositions) and swaps the adverbs and prepositions a thesaurus lists ("also" →
"likewise", "about" → "roughly", "after" → "subsequently"), as spinners with a bigger synonym
table do. ``content`` (sessions 1-12) keeps every word of copycat's own stopword list, the
words its skeleton views are built from, so that the spinner never touches them: the
method's best case.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from pipelines.fingerprint import STOPWORDS

DEFAULT_PATH = Path("/usr/share/mythes/th_en_US_v2.dat")
_GRAMMAR_LIST = """\
    a an the i me my mine we us our ours you your yours he him his she her hers it its they
    them their theirs this that these those who whom whose which what be am is are was were been
    being have has had having do does did doing will would shall should can could may might must
    and or nor but if because as than of to in on at by for with from into not no"""
GRAMMAR_WORDS = frozenset(_GRAMMAR_LIST.split())
"""What the ``grammar`` spinner never swaps: words no synonym table offers a swap for that
keeps the sentence English."""
KEPT_WORDS = {"content": STOPWORDS, "grammar": GRAMMAR_WORDS}
"""The spinner's kept words, by the name ``--spin-words`` gives them."""
_ANNOTATION = re.compile(r"\s*\((?:generic|similar|related|antonym)[^)]*\)\s*$")
_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")


def load_mythes(path: Path) -> dict[str, list[list[str]]]:
    """Read a MyThes ``.dat`` file: lower-case word → senses → synonyms (antonyms left out)."""
    table: dict[str, list[list[str]]] = {}
    with path.open(encoding="utf-8", errors="replace") as data:
        data.readline()  # the charset line
        for line in data:
            word, _, count = line.rstrip("\n").rpartition("|")
            if not word or not count.isdigit():
                continue
            senses = []
            for _ in range(int(count)):
                fields = data.readline().rstrip("\n").split("|")[1:]
                synonyms = [
                    _ANNOTATION.sub("", f)
                    for f in fields
                    if "(antonym)" not in f and f.lower() != word.lower()
                ]
                synonyms = [s for s in synonyms if s and s.replace(" ", "").isalpha()]
                if synonyms:
                    senses.append(synonyms)
            if senses and word.isalpha():
                table[word.lower()] = senses
    return table


WORDNET_PARTS = ("noun", "verb", "adj", "adv")
_WORDNET_MARKER = re.compile(r"\((?:a|p|ip)\)$")


def load_wordnet(directory: Path) -> dict[str, list[list[str]]]:
    """Read WordNet's database files (Debian's ``wordnet-base``, ``/usr/share/wordnet``) into
    the same table :func:`load_mythes` makes: lower-case word → senses → synonyms.

    A sense is one synset of the word (WordNet lists a word's synsets commonest first), its
    synonyms the synset's other words; the four parts of speech are pooled, as a
    context-blind spinner pools them. Irregular forms (``verb.exc``: "told tell") take their
    lemma's senses with the crude inflection of :func:`_inflect` ("told" → "instructed").
    """
    synsets: dict[tuple[str, str], list[str]] = {}
    for part in WORDNET_PARTS:
        with (directory / f"data.{part}").open(encoding="utf-8", errors="replace") as data:
            for line in data:
                if line.startswith("  "):  # the licence header
                    continue
                # offset, lexicographer file, type, word count (hex), then word, lex id, …
                fields = line.split()
                count = int(fields[3], 16)
                words = fields[4 : 4 + 2 * count : 2]
                synsets[(part, fields[0])] = [
                    _WORDNET_MARKER.sub("", w).replace("_", " ") for w in words
                ]
    table: dict[str, list[list[str]]] = {}
    for part in WORDNET_PARTS:
        with (directory / f"index.{part}").open(encoding="utf-8", errors="replace") as index:
            for line in index:
                if line.startswith("  "):
                    continue
                # lemma, part, synset count, pointer count, pointers, sense counts, offsets
                fields = line.split()
                word = fields[0].replace("_", " ")
                if not word.isalpha():
                    continue
                offsets = fields[-int(fields[2]) :]
                senses = table.setdefault(word.lower(), [])
                for offset in offsets:
                    synonyms = [
                        s for s in synsets[(part, offset)]
                        if s.lower() != word and s.replace(" ", "").isalpha()
                    ]  # fmt: skip
                    if synonyms:
                        senses.append(synonyms)
    for part, suffix in (("verb", "ed"), ("noun", "s")):
        with (directory / f"{part}.exc").open(encoding="utf-8", errors="replace") as exceptions:
            for line in exceptions:
                form, *lemmas = line.split()
                if form.isalpha() and form not in table and lemmas and table.get(lemmas[0]):
                    table[form] = [
                        [_inflect(s, suffix) for s in sense] for sense in table[lemmas[0]]
                    ]
    return {word: senses for word, senses in table.items() if senses}


def load_thesaurus(path: Path = DEFAULT_PATH) -> dict[str, list[list[str]]]:
    """Read the spinner's thesaurus: a WordNet database directory or a MyThes ``.dat`` file."""
    return load_wordnet(path) if path.is_dir() else load_mythes(path)


def _inflect(lemma: str, suffix: str) -> str:
    """Put an inflection back on a lemma synonym (a spinner's crude grammar)."""
    if not suffix or " " in lemma:
        return lemma
    if suffix == "s":
        return lemma + ("es" if lemma.endswith(("s", "sh", "ch", "x")) else "s")
    if suffix in ("ed", "ing") and lemma.endswith("e"):
        lemma = lemma[:-1]
    return lemma + suffix


def _lookup(word: str, table: dict[str, list[list[str]]]) -> tuple[list[list[str]], str] | None:
    """Return (senses, suffix) for a word or for its lemma with the suffix stripped."""
    if word in table:
        return table[word], ""
    for suffix, candidates in (
        ("s", (word[:-1], word[:-2])),
        ("ed", (word[:-2], word[:-1])),
        ("ing", (word[:-3], word[:-3] + "e")),
    ):
        if word.endswith(suffix[-1] if suffix == "s" else suffix):
            for lemma in candidates:
                if len(lemma) > 2 and lemma in table:
                    return table[lemma], suffix
    return None


class Spinner:
    """Swaps a share of the content words of a text for random thesaurus synonyms."""

    def __init__(
        self, table: dict[str, list[list[str]]], kept: frozenset[str] = GRAMMAR_WORDS
    ) -> None:
        self.table = table
        self.kept = kept

    def spin(
        self, text: str, rate: float, rng: random.Random, inflect_rate: float = 0.05
    ) -> tuple[str, list[tuple[str, str]], float]:
        """Return (spun text, substitutions, achieved rate over content words).

        ``rate`` is the share of content words to swap; ``inflect_rate`` changes the inflection
        of some words left alone (a plural dropped, a tense changed), as spinners' grammar
        fixes do.
        """
        substitutions: list[tuple[str, str]] = []
        content = 0
        sentence_start = True

        def replace(match: re.Match[str]) -> str:
            nonlocal content, sentence_start
            word = match.group(0)
            before = text[max(0, match.start() - 2) : match.start()]
            opens = sentence_start or any(c in ".!?\n" for c in before)
            sentence_start = False
            lower = word.lower()
            if lower in self.kept or (word[0].isupper() and not opens) or len(word) < 3:
                return word
            content += 1
            if rng.random() >= rate:
                if rng.random() < inflect_rate and lower.endswith("s") and len(lower) > 4:
                    return word[:-1]
                return word
            found = _lookup(lower, self.table)
            if found is None:
                return word
            senses, suffix = found
            new = _inflect(rng.choice(rng.choice(senses)), suffix)
            if word[0].isupper():
                new = new[0].upper() + new[1:]
            substitutions.append((word, new))
            return new

        spun = _WORD.sub(replace, text)
        return spun, substitutions, len(substitutions) / content if content else 0.0
