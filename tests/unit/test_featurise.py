"""The compiled featuriser (streams/enrich/_featurise.c) against the pure-Python path of streams.enrich.linear.

Both must give the same sums and token counts on every text: the compiled one is only a faster way to the
same answer. Skipped where the extension was not built (no C compiler): the pure path then serves alone.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Iterator

import pytest

from streams.enrich import intent, linear, urgency
from streams.enrich.cues import CueSet, normalise, split_words
from streams.enrich.linear import LinearModel, load_json
from streams.enrich.samples import SHARED_DATA, benchmark_sources
from streams.enrich.sentiment_model import SENTIMENT_MODEL_PATH

featurise = pytest.importorskip("streams.enrich._featurise", reason="the C featuriser was not built")

TRICKY = (
    "",
    " ",
    "@Delta SO GOOD!!! 😍😍 https://t.co/x?a=1 www.example.com/path",
    "don't   can’t  won‘t ",  # noqa: RUF001 - curly apostrophes stay inside tokens
    "tab\tnew\nline\x1cfile\x1fsep\x85nel\xa0nbsp\u2028line\u3000ideographic",
    "emoji\ufe0fselector zero\u200dwidth 👍🏽 ✈️ ⭐ 🤷‍♀️",
    "«quotes» “curly” „low“ …ellipsis– en—em ·dot •bullet",  # noqa: RUF001 - the split-off marks
    "Arabic، question؟ semicolon؛ CJK。、！？（），：；",  # noqa: RUF001 - the split-off marks
    "&amp; &lt;3 &#128512; &nosuchentity;",
    "numbers 1,000.50 10k $5 50% #hashtag a_b a-b a/b",
    "mixed Ελληνικά кириллица हिन्दी 中文 العربية",
    "\ud800 lone surrogate \udfff",
    "w " * 1_000,  # beyond the token limit
    "x" * 5_000,  # beyond the character limit
)


def _models(pure: bool, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, LinearModel]]:
    data = load_json(SENTIMENT_MODEL_PATH)
    with monkeypatch.context() as patch:
        if pure:
            patch.setattr(linear, "FeatureTable", None)
        for code, raw in data["languages"].items():
            yield code, LinearModel.from_dict(raw, data["lexicon"])


@pytest.fixture(scope="module")
def model_pairs() -> list[tuple[str, LinearModel, LinearModel]]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        compiled = dict(_models(False, monkeypatch))
        pure = dict(_models(True, monkeypatch))
    return [(code, compiled[code], pure[code]) for code in compiled]


def test_models_use_the_compiled_table_when_it_is_built(
    model_pairs: list[tuple[str, LinearModel, LinearModel]],
) -> None:
    for _, compiled, pure in model_pairs:
        assert compiled._table is not None
        assert compiled.compiled
        assert pure._table is None
        assert compiled._table.feature_count() == len(pure._unigrams) + len(pure._bigrams) > 0
        assert (compiled._char_table is not None) == compiled.char_grams == bool(pure._chars)
        if compiled._char_table is not None:
            assert compiled._char_table.feature_count() == len(pure._chars)
    assert any(compiled.char_grams for _, compiled, _ in model_pairs), "the shipped file uses character n-grams"


@pytest.mark.parametrize("text", TRICKY)
def test_compiled_and_pure_paths_agree_on_tricky_text(
    text: str, model_pairs: list[tuple[str, LinearModel, LinearModel]]
) -> None:
    for code, compiled, pure in model_pairs:
        assert compiled.relative_scores(text) == pure.relative_scores(text), code
        assert compiled.scores(text) == pure.scores(text), code


def test_compiled_and_pure_paths_agree_on_random_text(model_pairs: list[tuple[str, LinearModel, LinearModel]]) -> None:
    rng = random.Random(20261129)
    alphabet = [
        *"ab @#'._-!?&;:/\\\t\n\x1c\x1f\x85\xa0\u2028\u3000\ufe0f\u200d\u2019😡👍🏽…«»“”、。？،",  # noqa: RUF001
        "http://x.co/a",
        "www.y.com",
        "@user",
        "&amp;",
        "don't",
        "bad",
        "good",
        "not",
    ]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80))) for _ in range(3_000)]
    for code, compiled, pure in model_pairs:
        for text in texts:
            assert compiled.relative_scores(text) == pure.relative_scores(text), (code, text)


def test_score_counts_the_tokens_the_regex_finds() -> None:
    # The table's own split set, ranges (one of them ASCII) and separator, as the regex would say them.
    table = featurise.FeatureTable({"a": 1}, {("a", "b"): 10}, "!", [(0x1F600, 0x1F64F), (0x30, 0x39)], "\u200d", 200)
    regex = re.compile("[^\\s!\U0001f600-\U0001f64f0-9\u200d]+|[!\U0001f600-\U0001f64f0-9]")
    for text in ("a b!a", "", "  ", "a\u200db 😀😀 a!!", "ab a b a b", "a1b 22a", "x\u200d1\U0001f600y"):
        toks = regex.findall(text)
        expected = toks.count("a") + 10 * sum(1 for pair in itertools.pairwise(toks) if pair == ("a", "b"))
        assert table.score(text) == (expected, len(toks))
    assert featurise.FeatureTable({"a": 1}, {}, "", [], "", 3).score("a a a a a") == (3, 3)


def _char_table(grams: dict[str, int], limit: int = linear.CHAR_GRAM_LIMIT) -> featurise.FeatureTable:
    return featurise.FeatureTable(
        grams,
        {},
        linear._SPLIT_OFF,
        linear._EMOJI_RANGES,
        linear._SEPARATORS,
        linear._TOKEN_LIMIT,
        char_ngrams=(linear.CHAR_NGRAM_MIN, linear.CHAR_NGRAM_MAX, limit),
    )


def test_character_mode_sums_the_grams_char_grams_lists() -> None:
    grams = linear.char_grams(["good", "!"])
    assert grams[:4] == [" g", " go", " goo", " good"]
    assert len(grams) == 17  # " good " gives 4+4+3+2+1 grams; " ! " gives 3
    table = _char_table({" g": 1, "od ": 10, "! ": 100, " ! ": 1000, "go": 10_000})
    assert table.score("good!") == (11_111, 17)
    assert table.score("") == (0, 0)
    # " ab " gives 6 grams, then the limit stops the second token's after " a" and " ab".
    assert _char_table({" a": 1, "ab": 10}, limit=8).score("ab ab ab") == (12, 8)


def test_character_mode_agrees_with_char_grams_on_random_text() -> None:
    rng = random.Random(20261207)
    alphabet = [*"abc é 😡👍🏽!?'.\t\u200d\ufe0f、", "xyz", "ünï", "  "]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 120))) for _ in range(2_000)]
    texts += ["w" * 3_000, "ab " * 1_500]  # past the gram limit, in one token and in many
    weights: dict[str, int] = {}
    for text in texts[:300]:
        for gram in linear.char_grams(linear.tokens(text)):
            weights.setdefault(gram, rng.randint(-1_000, 1_000))
    table = _char_table(weights)
    for text in texts:
        grams = linear.char_grams(linear.tokens(text))
        expected = (sum(weights.get(gram, 0) for gram in grams), len(grams))
        assert table.score(linear.prepare(text)) == expected, text


@pytest.mark.parametrize("char_ngrams", [(0, 5, 10), (3, 2, 10), (2, 65, 10), (2, 5, 0)])
def test_a_bad_character_mode_is_refused(char_ngrams: tuple[int, int, int]) -> None:
    with pytest.raises(ValueError, match="char_ngrams"):
        featurise.FeatureTable({}, {}, "", [], "", 200, char_ngrams=char_ngrams)
    with pytest.raises(ValueError, match="char_ngrams"):
        featurise.FeatureTable({}, {("a", "b"): 1}, "", [], "", 200, char_ngrams=(2, 5, 10))


def test_lookup_reads_one_feature() -> None:
    table = featurise.FeatureTable({"good": 5, "ünï": -7}, {("not", "good"): -9}, "", [], "", 200)
    assert table.lookup("good") == 5
    assert table.lookup("ünï") == -7
    assert table.lookup("not", "good") == -9
    assert table.lookup("not") == 0
    assert table.lookup("good", "not") == 0
    assert table.lookup("notgood") == 0
    assert table.feature_count() == 3
    assert table.nbytes() > 0


@pytest.mark.parametrize(
    ("unigrams", "bigrams", "ranges", "error"),
    [
        ({1: 1}, {}, [], TypeError),
        ({"a": "x"}, {}, [], TypeError),
        ({"a": 2**70}, {}, [], OverflowError),
        ({}, {("a",): 1}, [], TypeError),
        ({}, {("a", 2): 1}, [], TypeError),
        ({}, {}, [(5, 1)], ValueError),
        ({}, {}, [(1,)], TypeError),
    ],
)
def test_bad_input_is_refused(unigrams: object, bigrams: object, ranges: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        featurise.FeatureTable(unigrams, bigrams, "", ranges, "", 200)


def test_a_failed_init_leaves_an_unusable_object_not_a_crash() -> None:
    table = featurise.FeatureTable.__new__(featurise.FeatureTable)
    with pytest.raises(TypeError):
        table.__init__({"a": "x"}, {}, "", [], "", 200)
    with pytest.raises(RuntimeError):
        table.score("a")
    with pytest.raises(RuntimeError):
        table.lookup("a")
    with pytest.raises(RuntimeError):
        table.__init__({"a": 1}, {}, "", [], "", 200)
    matcher = featurise.CueMatcher.__new__(featurise.CueMatcher)
    with pytest.raises(ValueError, match="out of range"):
        matcher.__init__([(False, -1, {"a": 7}, -1)], ())
    with pytest.raises(RuntimeError):
        matcher.find("a")
    with pytest.raises(RuntimeError):
        matcher.__init__([(False, -1, {}, -1)], ())


class _Sneaky:
    """An int-like value whose conversion would run Python code while the table reads the dicts."""

    def __init__(self, victim: dict[str, object]) -> None:
        self.victim = victim

    def __index__(self) -> int:
        self.victim.clear()
        return 1

    def __bool__(self) -> bool:
        self.victim.clear()
        return True


def test_values_that_would_run_python_code_are_refused() -> None:
    unigrams: dict[str, object] = {"a": 1}
    unigrams["b"] = _Sneaky(unigrams)
    with pytest.raises(TypeError):
        featurise.FeatureTable(unigrams, {}, "", [], "", 200)
    children: dict[str, object] = {"a": 1}
    with pytest.raises(TypeError):
        featurise.CueMatcher([(_Sneaky(children), -1, children, -1), (True, -1, {}, -1)], ())
    with pytest.raises(TypeError):
        featurise.CueMatcher([(False, _Sneaky(children), children, -1), (True, -1, {}, -1)], ())
    with pytest.raises((OverflowError, ValueError)):
        featurise.FeatureTable({}, {}, "", [(2**64 + 0x2190, 2**64 + 0x21FF)], "", 200)


def test_a_table_is_initialised_once() -> None:
    table = featurise.FeatureTable({"a": 1}, {}, "", [], "", 200)
    with pytest.raises(RuntimeError):
        table.__init__({"b": 2}, {}, "", [], "", 200)
    assert table.lookup("a") == 1
    assert table.lookup("b") == 0


def test_an_overflowing_sum_raises_instead_of_wrapping() -> None:
    # LinearModel's packing keeps every sum inside 64 bits (linear.WEIGHT_LIMIT); a table given larger values
    # refuses to add them up rather than wrap around, and the enricher's guard reports the step as failed.
    table = featurise.FeatureTable({"w": 2**62}, {}, linear._SPLIT_OFF, linear._EMOJI_RANGES, "", 200)
    assert table.score("w") == (2**62, 1)
    with pytest.raises(OverflowError):
        table.score("w w w")


CUE_TEXTS = (
    "send 5 btc now",
    "send 1,000 btc",
    "send 5. btc",
    "send 5,,000 btc",
    "send ５ btc",  # noqa: RUF001 - a full-width digit is a decimal digit
    "send ² btc",
    "earn 10k per week",
    "earn 1,000.50 a day",
    "buy 5k followers",
    "can ' t login",
    "REFUND!! refunds, send 1,000 btc",
    "emergency exit, an emergency",
    "no thanks, thanks for nothing",
    "i want to cancel my account and my subscription",
    "fire stick is on fire",
    "it's down to you, the site is down",
    "Mi pedido no ha llegado, ¿alguien me puede ayudar? reembolso",
    "",
    "   ",
    "😡😡😡",
)


def _cue_sets() -> list[CueSet]:
    number_first = CueSet({"amount": ("<num> btc|eth", "<num> k"), "word": ("btc", "send <num>")}, ("<num> eth now",))
    return [intent._CUE_SET, urgency._CUE_SET, number_first]


@pytest.mark.parametrize("text", CUE_TEXTS)
def test_compiled_and_pure_cue_matching_agree(text: str) -> None:
    for cue_set in _cue_sets():
        assert cue_set.compiled
        lowered = normalise(text)
        pure = cue_set.find_tokens(split_words(lowered))
        assert cue_set.find(text) == pure
        assert list(cue_set.find(text)) == list(pure), "same kinds in the same order"


def test_compiled_cue_matching_finds_numbers_and_exclusions() -> None:
    number_first = _cue_sets()[2]
    # "send 5" is the longest cue from "send"; "btc" then stands alone; "1,000 eth" is one amount.
    assert number_first.find("send 5 btc and 1,000 eth") == {"word": 2, "amount": 1}
    assert number_first.find("5 eth now") == {}  # the exclusion is consumed, not counted
    assert number_first.find("10k btc") == {"amount": 1}
    assert urgency._CUE_SET.find("Emergency exit row") == {}
    assert "complaint" in intent._CUE_SET.find("Worst service ever, I want a refund")


def test_compiled_cue_matching_with_many_kinds() -> None:
    cue_set = CueSet({f"kind{number}": (f"word{number}", f"<num> unit{number}") for number in range(40)})
    text = " ".join(f"word{number} {number} unit{number}" for number in range(40, 0, -1))
    assert cue_set.compiled
    found = cue_set.find(text)
    assert found == cue_set.find_tokens(split_words(normalise(text)))
    assert list(found) == list(cue_set.find_tokens(split_words(normalise(text))))
    assert found["kind39"] == 2


def test_compiled_and_pure_cue_matching_agree_on_random_text() -> None:
    rng = random.Random(20261129)
    words = [
        *("send", "earn", "get", "buy", "5", "1,000", "0.5", "10k", "k", "btc", "eth", "a", "day", "per", "week"),
        *("followers", "likes", "refund", "cancel", "my", "account", "fire", "exit", "emergency", "no", "thanks"),
        *("thank", "you", ",", ".", "!", "?", "'", "can't", "login", "can", "t", "down", "it's", "now"),
        *("reembolso", "¿alguien", "٣", "５", "²", "k", "😡", "\u00a0", "\t", "_", "x_y", "straße"),  # noqa: RUF001
    ]
    for number in range(5_000):
        # Every tenth text is long: past the matcher's 256-character span buffer.
        text = " ".join(rng.choice(words) for _ in range(rng.randint(0, 15 if number % 10 else 150)))
        for cue_set in _cue_sets():
            assert cue_set.find(text) == cue_set.find_tokens(split_words(normalise(text))), text


def test_cue_matcher_refuses_a_malformed_trie() -> None:
    with pytest.raises(ValueError, match="root"):
        featurise.CueMatcher([], ())
    with pytest.raises(ValueError, match="out of range"):
        featurise.CueMatcher([(True, 3, {}, -1)], ("a",))
    with pytest.raises(ValueError, match="out of range"):
        featurise.CueMatcher([(False, -1, {"a": 7}, -1)], ())
    with pytest.raises(TypeError):
        featurise.CueMatcher([(False, -1, {1: 0}, -1)], ())


@pytest.mark.shared_data
def test_compiled_and_pure_cue_matching_agree_on_the_shared_texts() -> None:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is absent")
    texts = [text for _, source in benchmark_sources((), 20_000) for text in source]
    assert len(texts) > 1_000
    for cue_set in _cue_sets():
        for text in texts:
            assert cue_set.find(text) == cue_set.find_tokens(split_words(normalise(text))), text


@pytest.mark.shared_data
def test_compiled_and_pure_paths_agree_on_the_shared_texts(
    model_pairs: list[tuple[str, LinearModel, LinearModel]],
) -> None:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is absent")
    texts = [text for _, source in benchmark_sources((), 20_000) for text in source]
    assert len(texts) > 1_000
    for code, compiled, pure in model_pairs:
        for text in texts:
            assert compiled.relative_scores(text) == pure.relative_scores(text), (code, text)
