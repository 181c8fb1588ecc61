"""The shipped sentiment models (streams/enrich/models/sentiment.json) and their pure-Python inference."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from schemas.enriched import SentimentLabel
from streams.enrich import Enricher
from streams.enrich.linear import (
    CHAR_GRAM_LIMIT,
    CHAR_WEIGHT_LIMIT,
    FORMAT_VERSION,
    LEXICON_FEATURE_NAMES,
    WEIGHT_LIMIT,
    LinearModel,
    ModelError,
    char_grams,
    features,
    lexicon_features,
    tokens,
)
from streams.enrich.sentiment import SentimentScorer
from streams.enrich.sentiment_model import LABELS, SENTIMENT_MODEL_PATH, SentimentModels
from tests.unit.test_enrich import make_mention

ROOT = Path(__file__).resolve().parents[2]

UMSAB_CODES = ("ar", "de", "en", "es", "fr", "hi", "it", "pt")

# (language, clearly positive, clearly negative)
CLEAR = (
    ("en", "I love this, best day ever! Thank you so much 😍", "This is the worst service ever, I hate it. Awful."),
    ("es", "Me encanta, muchas gracias, qué día tan feliz 😍", "Qué asco, el peor servicio, estoy harto y enfadado"),
    ("fr", "J'adore, merci beaucoup, super journée ! 😍", "C'est nul, le pire service, je déteste ça"),
    ("de", "Ich liebe es, vielen Dank, super Tag! 😍", "Das ist schlecht, der schlimmste Service, ich hasse es"),
    ("it", "Lo adoro, grazie mille, bellissima giornata! 😍", "Che schifo, il peggior servizio, lo odio"),
    ("pt", "Adorei, muito obrigado, dia maravilhoso! 😍", "Que merda, o pior serviço, odeio isso"),
    ("ar", "أحبك كثيرا شكرا جزيلا يوم رائع 😍", "أسوأ خدمة على الإطلاق، أكره هذا، سيء جدا"),
    ("hi", "bahut badhiya, dil khush ho gaya, thank you 😍", "bahut bura, bekar service, gussa aa raha hai"),
)

EXACT = frozenset({"en", "es", "de", "it", "pt"})


@pytest.fixture(scope="module")
def scorer() -> SentimentScorer:
    return SentimentScorer()


def test_shipped_weights_load_and_cover_umsab_languages() -> None:
    models = SentimentModels()
    assert models.languages == frozenset(UMSAB_CODES)
    assert all(model.labels == LABELS for model in models.models.values())
    assert models.models["en"].dense_names == LEXICON_FEATURE_NAMES  # VADER's lexicon, no VADER at run time
    lexicon = json.loads(SENTIMENT_MODEL_PATH.read_text(encoding="utf-8"))["lexicon"]  # stored once per file
    assert lexicon["happy"] > 0 > lexicon["not happy"]
    assert SENTIMENT_MODEL_PATH.stat().st_size < 5_000_000


@pytest.mark.parametrize(("language", "positive", "negative"), CLEAR)
def test_clear_examples_per_language(scorer: SentimentScorer, language: str, positive: str, negative: str) -> None:
    good = scorer.score(positive, language)
    bad = scorer.score(negative, language)
    assert -1.0 <= bad.score < good.score <= 1.0
    if language in EXACT:  # the weaker models (val macro-F1 0.32-0.62) only have to order them
        assert good.label is SentimentLabel.POSITIVE
        assert bad.label is SentimentLabel.NEGATIVE


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "😡😡😡",
        "🙂",
        "@user http://t.co/x #tag",
        "мой заказ не пришёл",
        "मुझे यह पसंद है but the app crashes 😡",
        "a" * 20_000,
        "great " * 5_000,
        "ok\x00\u200b\ufeff",
    ],
)
@pytest.mark.parametrize("language", UMSAB_CODES)
def test_any_text_gets_a_label(scorer: SentimentScorer, text: str, language: str) -> None:
    result = scorer.score(text, language)
    assert result.label is not SentimentLabel.UNKNOWN
    assert -1.0 <= result.score <= 1.0


def test_unsupported_language_is_unknown(scorer: SentimentScorer) -> None:
    assert scorer.score("Мой заказ так и не пришёл", "ru").label is SentimentLabel.UNKNOWN
    assert scorer.score("我的订单还没到", "zh").label is SentimentLabel.UNKNOWN
    assert scorer.score(":( :(", "und").label is SentimentLabel.NEGATIVE  # emoji: VADER's lexicon


def test_empty_text_is_neutral(scorer: SentimentScorer) -> None:
    assert scorer.score("", "en").label is SentimentLabel.NEUTRAL
    assert scorer.score("  ", "fr").label is SentimentLabel.NEUTRAL


def test_tokens_normalise_handles_links_punctuation_and_emoji() -> None:
    assert tokens("@Delta SO GOOD!!! http://t.co/abc :) don't") == [
        "@u",
        "so",
        "good",
        "!",
        "!",
        "!",
        "http",
        ":",
        ")",
        "don't",
    ]
    assert tokens("¿Dónde está mi pedido?")[:3] == ["¿", "dónde", "está"]
    assert tokens("great😍😍\u200dok") == ["great", "😍", "😍", "ok"]
    assert tokens("شكرا، جميل؟") == ["شكرا", "،", "جميل", "؟"]
    assert "so good" in features("@Delta SO GOOD!!!")


def test_very_long_text_is_cut_and_fast(scorer: SentimentScorer) -> None:
    assert len(tokens("word " * 100_000)) == 200
    assert scorer.score("terrible " * 50_000, "en").label is SentimentLabel.NEGATIVE


def test_linear_model_matches_hand_computation() -> None:
    model = LinearModel.from_dict(
        {"labels": ["a", "b"], "bias": [0.0, 0.5], "weights": {"x": [2.0], "x y": [-1.0]}, "weight_scale": 1.0}
    )
    # features x, y, "x y" -> scale 1/sqrt(3); a repeated feature counts twice: x, x, "x x" -> 1/sqrt(3)
    assert model.scores("x y") == pytest.approx([0.0, 0.5 + (2.0 - 1.0) / 3**0.5])
    assert model.scores("x x") == pytest.approx([0.0, 0.5 + 4.0 / 3**0.5])
    assert model.relative_scores("x y") == pytest.approx([0.5 + (2.0 - 1.0) / 3**0.5])
    assert model.relative_scores("") == [0.5]
    assert sum(model.probabilities("x y")) == pytest.approx(1.0)


def test_three_class_model_with_a_lexicon_matches_hand_computation() -> None:
    dense = [[0.125 * (i + 1), -0.25 * (i + 1)] for i in range(len(LEXICON_FEATURE_NAMES))]
    model = LinearModel.from_dict(
        {
            "labels": ["n", "neg", "pos"],
            "bias": [0.25, 0.5, -1.0],
            "weights": {"bad": [3.0, -2.5], "not bad": [-4.0, 1.5], "ok": [0.0, 0.75]},
            "weight_scale": 1.0,
            "dense_names": list(LEXICON_FEATURE_NAMES),
            "dense_weights": dense,
            "lexicon": {"bad": -2.5, "not bad": 4.25, "ok": 0.875},
        }
    )
    feats = features("not bad, ok")  # not bad , ok | "not bad" "bad ," ", ok": 7 features
    assert len(feats) == 7
    valence = -2.5 + 4.25 + 0.875
    positive_sum, negative_sum = (4.25 + 0.875) / 7**0.5, -2.5 / 7**0.5  # the last two, folded, dense features
    lexicon = (*lexicon_features(valence), positive_sum, negative_sum)
    expected = [
        0.5 - 0.25 + (3.0 - 4.0) / 7**0.5 + sum(x * row[0] for x, row in zip(lexicon, dense, strict=True)),
        -1.0 - 0.25 + (-2.5 + 1.5 + 0.75) / 7**0.5 + sum(x * row[1] for x, row in zip(lexicon, dense, strict=True)),
    ]
    assert model.relative_scores("Not bad, OK") == pytest.approx(expected)
    assert model.scores("not bad, ok") == pytest.approx([0.25, *(0.25 + x for x in expected)])
    assert lexicon_features(0.0) == (0.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    # No features: only the biases and the "no lexicon evidence" indicator (the fourth dense feature).
    assert model.relative_scores("") == pytest.approx([0.25 + dense[3][0], -1.25 + dense[3][1]])


def test_character_ngrams_add_a_block_with_its_own_scale() -> None:
    model = LinearModel.from_dict(
        {
            "labels": ["a", "b", "c"],
            "bias": [0.0, 0.5, -0.5],
            "weights": {"ab": [1.0, -1.0]},
            "char_weights": {" a": [0.5, 0.25], "b ": [-0.75, 1.0], "ab": [0.125, 0.0]},
            "weight_scale": 1.0,
        }
    )
    grams = char_grams(["ab"])  # " a" " ab" " ab " "ab" "ab " "b ": 6 grams
    assert grams == [" a", " ab", " ab ", "ab", "ab ", "b "]
    char_sum = (0.5 - 0.75 + 0.125, 0.25 + 1.0 + 0.0)
    expected = [0.5 + 1.0 + char_sum[0] / 6**0.5, -0.5 - 1.0 + char_sum[1] / 6**0.5]
    assert model.char_grams
    assert model.relative_scores("AB") == pytest.approx(expected)
    assert model.relative_scores("") == pytest.approx([0.5, -0.5])
    assert char_grams([]) == []
    assert len(char_grams(["x" * 5_000])) == CHAR_GRAM_LIMIT


def test_character_sums_never_spill_into_the_next_class() -> None:
    top = CHAR_WEIGHT_LIMIT - 0.01
    model = LinearModel.from_dict(
        {"labels": ["a", "b", "c"], "bias": [0.0, 0.0, 0.0], "weights": {}, "char_weights": {"ww": [top, -top]}}
    )
    for text in ("w" * 5_000, "ww " * 2_000, "w"):
        grams = char_grams(tokens(text))
        scale = grams.count("ww") * round(top * 256) / 256 / len(grams) ** 0.5  # weights in units of 1/256
        assert model.relative_scores(text) == pytest.approx([scale, -scale])
    for bad in (CHAR_WEIGHT_LIMIT, float("nan")):
        with pytest.raises(ModelError):
            LinearModel.from_dict(
                {"labels": ["a", "b"], "bias": [0.0, 0.0], "weights": {}, "char_weights": {"w": [bad]}}
            )
    with pytest.raises(ModelError, match="width"):
        LinearModel.from_dict({"labels": ["a", "b"], "bias": [0.0, 0.0], "weights": {}, "char_weights": {"w": [1, 2]}})


def test_packed_sums_never_spill_into_the_next_class() -> None:
    top = WEIGHT_LIMIT - 0.01
    model = LinearModel.from_dict(
        {"labels": ["a", "b", "c"], "bias": [0.0, 0.0, 0.0], "weights": {"w": [top, -top], "w w": [-top, top]}}
    )
    for text in ("w " * 1_000, "w", "w w"):
        feats = features(text)
        count_w, count_ww = feats.count("w"), feats.count("w w")
        expected = [(count_w - count_ww) * top / len(feats) ** 0.5, (count_ww - count_w) * top / len(feats) ** 0.5]
        assert model.relative_scores(text) == pytest.approx(expected, abs=0.01)
    for bad in (WEIGHT_LIMIT, float("nan"), float("inf")):  # json.load reads NaN and Infinity
        with pytest.raises(ModelError):
            LinearModel.from_dict({"labels": ["a", "b"], "bias": [0.0, 0.0], "weights": {"w": [bad]}})


def test_scorer_agrees_with_the_model_probabilities(scorer: SentimentScorer) -> None:
    models = SentimentModels()
    for language, positive, negative in CLEAR:
        for text in (positive, negative, "the flight leaves at 5pm", "not bad at all :)"):
            probabilities = models.probabilities(text, language)
            result = scorer.score(text, language)
            assert result.score == pytest.approx(probabilities[2] - probabilities[1], abs=1e-3)
            assert result.label.value == LABELS[probabilities.index(max(probabilities))]


@pytest.mark.parametrize(
    "data",
    [
        {"labels": ["a"], "bias": [0.0], "weights": {}},
        {"labels": ["a", "b"], "bias": [0.0], "weights": {}},
        {"labels": ["a", "b"], "bias": [0.0, 0.0], "weights": {"x": [1.0, 2.0]}},
        {"labels": ["a", "b"], "bias": [0.0, 0.0]},
        {"labels": ["a", "b"], "bias": [0.0, "x"], "weights": {}},
        {"labels": ["a", "b"], "bias": [0.0, 0.0], "weights": {}, "dense_names": ["d"], "dense_weights": [[1.0]]},
        {"labels": ["a", "b"], "bias": [0.0, 0.0], "weights": {"x": [1e9]}},
    ],
)
def test_malformed_model_is_rejected(data: dict[str, object]) -> None:
    with pytest.raises(ModelError):
        LinearModel.from_dict(data)


@pytest.mark.parametrize(
    "content", ["", "{", "[]", '{"format_version": 99}', '{"format_version": 1, "kind": "sentiment", "languages": {}}']
)
def test_broken_model_file_gives_unknown_and_a_failure_not_an_exception(
    tmp_path: Path, content: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "sentiment.json"
    path.write_text(content, encoding="utf-8")
    scorer = SentimentScorer(path)
    assert "sentiment models unavailable" in caplog.text
    enricher = Enricher()
    enricher.score_sentiment = scorer.score
    result = enricher.enrich(make_mention("@united my flight was cancelled, worst airline ever"))
    assert result.sentiment.label is SentimentLabel.UNKNOWN
    assert result.failed_enrichers == ("sentiment",)
    assert scorer.score(":( :(", "und").label is SentimentLabel.NEGATIVE  # VADER's emoji lexicon still works


def test_missing_model_file(tmp_path: Path) -> None:
    with pytest.raises(ModelError):
        SentimentModels(tmp_path / "absent.json")
    assert SentimentScorer(tmp_path / "absent.json").languages == frozenset()


def test_shipped_file_records_provenance() -> None:
    data = json.loads(SENTIMENT_MODEL_PATH.read_text(encoding="utf-8"))
    provenance = data["provenance"]
    assert provenance["script"] == "scripts/train_sentiment.py"
    assert set(provenance["scores"]) == set(UMSAB_CODES)
    assert data["format_version"] == FORMAT_VERSION


def test_shipped_weights_are_not_trained_on_non_commercial_airline_tweets() -> None:
    provenance = json.loads(SENTIMENT_MODEL_PATH.read_text(encoding="utf-8"))["provenance"]
    assert provenance["airline_weight"] == 0  # CC BY-NC-SA 4.0: models/README.md, licence of each source
    assert "airline" not in provenance["data"].lower()


def test_train_script_retrains_on_own_data_in_the_documented_layout(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")  # the optional 'train' extra
    spec = importlib.util.spec_from_file_location("train_sentiment", ROOT / "scripts" / "train_sentiment.py")
    assert spec is not None
    assert spec.loader is not None
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    folder = tmp_path / "umsab" / "english"
    folder.mkdir(parents=True)
    texts = {
        "2": ["love it", "great service", "so happy", "thank you", "awesome app", "best ever"],
        "0": ["worst service", "never arrived", "hate it", "so bad", "awful app", "broken again"],
        "1": ["store opens at 9", "order number 12", "new menu today", "I called", "app updated", "it is tuesday"],
    }
    (folder / "train_text.txt").write_text("\n".join(t for ts in texts.values() for t in ts) + "\n", encoding="utf-8")
    labels = [label for label, ts in texts.items() for _ in ts]
    (folder / "train_labels.txt").write_text("\n".join(labels) + "\n", encoding="utf-8")
    out = tmp_path / "sentiment.json"
    train.main(["--data", str(tmp_path), "--out", str(out)])
    models = SentimentModels(out)
    assert models.languages == frozenset({"en"})
    provenance = json.loads(out.read_text(encoding="utf-8"))["provenance"]
    assert provenance["airline_weight"] == 0
    assert "umsab_val_macro_f1" not in provenance["scores"]["en"]  # no val split given
