"""The compiled featuriser (streams/enrich/_featurise.c) against the pure-Python path of streams.enrich.linear.

Both must give the same sums and token counts on every text: the compiled one is only a faster way to the
same answer. Skipped where the extension was not built (no C compiler): the pure path then serves alone.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator

import pytest

from streams.enrich import linear
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
        assert pure._table is None
        assert compiled._table.feature_count() == len(pure._unigrams) + len(pure._bigrams) > 0


@pytest.mark.parametrize("text", TRICKY)
def test_compiled_and_pure_paths_agree_on_tricky_text(
    text: str, model_pairs: list[tuple[str, LinearModel, LinearModel]]
) -> None:
    for code, compiled, pure in model_pairs:
        assert compiled.relative_scores(text) == pure.relative_scores(text), code
        feats = linear.features(text)
        assert compiled.scores(feats) == pure.scores(feats), code


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
    table = featurise.FeatureTable({"a": 1}, {("a", "b"): 10}, "!", [(0x1F600, 0x1F64F)], "\u200d", 200)
    for text in ("a b!a", "", "  ", "a\u200db 😀😀 a!!", "ab a b a b"):
        toks = linear._TOKEN_RE.findall(text)
        expected = toks.count("a") + 10 * sum(1 for pair in itertools.pairwise(toks) if pair == ("a", "b"))
        assert table.score(text) == (expected, len(toks))
    assert featurise.FeatureTable({"a": 1}, {}, "", [], "", 3).score("a a a a a") == (3, 3)


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


def test_a_table_is_initialised_once() -> None:
    table = featurise.FeatureTable({"a": 1}, {}, "", [], "", 200)
    with pytest.raises(RuntimeError):
        table.__init__({"b": 2}, {}, "", [], "", 200)
    assert table.lookup("a") == 1
    assert table.lookup("b") == 0


def test_an_overflowing_sum_raises_instead_of_wrapping() -> None:
    # LinearModel's packing keeps every sum inside 64 bits (linear.WEIGHT_LIMIT); a table given larger values
    # refuses to add them up rather than wrap around, and the enricher's guard reports the step as failed.
    table = featurise.FeatureTable({"w": 2**62}, {}, linear._SPLIT_CHARS, linear._EMOJI_RANGES, "", 200)
    assert table.score("w") == (2**62, 1)
    with pytest.raises(OverflowError):
        table.score("w w w")


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
