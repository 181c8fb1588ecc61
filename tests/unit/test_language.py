"""The care prior, letter cues and the quick word path of streams.enrich.language."""

from __future__ import annotations

import time

import pytest

from streams.enrich import language
from streams.enrich.hinglish import (
    HINDI_FUNCTION_WORDS,
    HINDI_FUNCTION_WORDS_BYTES,
    looks_romanised_hindi,
    romanised_hindi_words,
)
from streams.enrich.language import (
    _CUE_WORD_SET,
    _CUE_WORDS,
    CARE_LANGUAGES,
    ENGLISH_FUNCTION_WORDS,
    ENGLISH_FUNCTION_WORDS_BYTES,
    MODEL_INPUT_CHARS,
    UNDETERMINED,
    LanguageDetector,
    _quick_words,
    english_words,
    looks_english,
    word_cues,
)


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector()


@pytest.fixture(scope="module")
def model_only() -> LanguageDetector:
    return LanguageDetector(english_shortcut=False, romanised_hindi=False, care_prior=False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Short Brazilian tweets the bare model gives to a neighbour (UMSAB train style: laughter, tildes).
        ("Que maravilha kkkkkkkkkkkkkkkk #TheNoite", "pt"),
        ("Bacuri com tucupi? Bizarro! Kkkkkkkkk #MasterChefBR", "pt"),
        ("Não aguento mais esperar, cadê meu pedido?", "pt"),
        # German the model calls English or Dutch.
        ("@user Natürlich :D was denkst du denn?", "de"),
        ("@user träum was schönes. http://t.co/x", "de"),
        ("Mein Paket ist immer noch nicht angekommen und niemand antwortet", "de"),
        ("¿Dónde está mi pedido? Nadie me responde", "es"),
        ("Le service client ne répond jamais, c'est nul", "fr"),
        ("Il volo è stato cancellato e nessuno risponde", "it"),
        ("رحلتي تأخرت ثلاث ساعات ولا أحد يرد", "ar"),
        ("@united my flight was cancelled and nobody is answering the phone", "en"),
        ("bhai mera order abhi tak nahi aaya, kya ho raha hai", "hi"),
    ],
)
def test_detects_real_texts(detector: LanguageDetector, text: str, expected: str) -> None:
    language, confidence = detector.detect(text)
    assert language == expected
    assert 0.0 < confidence <= 1.0


def test_prior_only_breaks_close_calls(detector: LanguageDetector, model_only: LanguageDetector) -> None:
    # A clear answer outside our eight languages stands; Dutch and Russian are not folded into German/English.
    for text, code in (
        ("Ik ben echt heel blij met de nieuwe trein naar Amsterdam vandaag", "nl"),
        ("Мой заказ до сих пор не пришёл, никто не отвечает", "ru"),
        ("Siparişim hâlâ gelmedi ve kimse cevap vermiyor", "tr"),
    ):
        assert model_only.detect(text)[0] == code
        assert detector.detect(text)[0] == code
        assert code not in CARE_LANGUAGES


def test_prior_keeps_the_models_confidence_when_it_agrees(
    detector: LanguageDetector, model_only: LanguageDetector
) -> None:
    text = "Mein Paket ist immer noch nicht angekommen und niemand antwortet mir"
    assert detector.detect(text) == model_only.detect(text)


@pytest.mark.parametrize(
    "text", ["", "   ", "😡😡😡", "🔥✈️😍", "12345 !!!", "@united https://t.co/xyz #123", "&amp; 42"]
)
def test_nothing_to_read_is_undetermined(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text) == (UNDETERMINED, 0.0)


def test_very_long_text_is_bounded_and_read(detector: LanguageDetector) -> None:
    text = "😡" * 5000 + " Der Zug ist schon wieder ausgefallen und keiner sagt uns warum. " * 200
    start = time.perf_counter()
    language, _ = detector.detect(text)
    assert time.perf_counter() - start < 0.5
    assert language == "de"


def test_mixed_script_goes_to_the_model(detector: LanguageDetector) -> None:
    language, confidence = detector.detect("My order 注文 has not arrived, 届いていません, please help")
    assert len(language) == 2
    assert 0.0 < confidence <= 1.0


@pytest.mark.parametrize(
    "text",
    [
        "@united you lost my bag and nobody is answering the phone https://t.co/abc",
        "@united 's new #flierfriendly is garbage. Just had to cry to get attendant to help",
        "bhai mera order abhi tak nahi aaya, kya ho raha hai @AcmeAir",
        "Thank you @Delta for the upgrade, the crew was amazing! 😍✈️ www.delta.com/x",
        "I can\u2019t log in, the app is down and it's not the first time",
        "ok",
        "",
    ],
)
def test_quick_words_give_the_word_tests_the_same_answers(detector: LanguageDetector, text: str) -> None:
    words = _quick_words(text)
    assert words is not None
    clean = detector.prepare(text)
    assert romanised_hindi_words(words, HINDI_FUNCTION_WORDS_BYTES) == looks_romanised_hindi(clean)
    assert english_words(words, ENGLISH_FUNCTION_WORDS_BYTES) == looks_english(clean)


@pytest.mark.parametrize(
    "text",
    [
        "Café &amp; croissants this morning",
        "RT @user: so true",
        "Ça va? Très bien",
        "x" * (MODEL_INPUT_CHARS + 1),
        "the app is down again HTTPS://T.CO/X1 what is going on",
        "see WWW.UNITED.COM for the terms and the rules",
    ],
)
def test_quick_words_step_aside_where_prepare_could_differ(text: str) -> None:
    assert _quick_words(text) is None


def test_flags_still_switch_the_shortcuts_off() -> None:
    plain = LanguageDetector(english_shortcut=False, romanised_hindi=False)
    language, confidence = plain.detect("@united my flight was cancelled and nobody is answering the phone")
    assert language == "en"
    assert confidence != 0.95  # the model's own probability, not the shortcut's fixed one


# Word cues: real UMSAB train tweets the letters alone left to the wrong neighbour (the model unsure).
@pytest.mark.parametrize(
    ("text", "expected", "without_words"),
    [
        ("era só o que faltava né, que cara ridículo", "pt", "es"),  # pt words "só", "né" over Spanish
        ("que lindo o rostinho dele", "pt", None),  # "-inho" and "dele"
        ("buena nana para dormir", "es", "pt"),  # "buena" over Portuguese
        ("herrlich absurd, hauptsache sicher.", "de", "en"),  # German "-lich" over English
        ("peinliche erkenntnis.", "de", "fr"),
    ],
)
def test_word_cues_break_close_calls(
    detector: LanguageDetector, monkeypatch: pytest.MonkeyPatch, text: str, expected: str, without_words: str | None
) -> None:
    assert detector.detect(text)[0] == expected
    if without_words is not None:
        monkeypatch.setattr(language, "WORD_CUE_BOOST", 1.0)
        assert detector.detect(text)[0] == without_words


@pytest.mark.parametrize(
    ("clean", "expected"),
    [
        ("não sei, vc tá bem?", {"pt"}),
        ("pero muy bueno, gracias!", {"es"}),
        ("ich weiß nicht, echt.", {"de"}),
        ("anche questo è più bello", {"it"}),
        ("das ist natürlich unglaublich", {"de"}),
        ("cadê o cachorrinho", {"pt"}),
        ("my flight was cancelled and nobody is answering the phone", set()),
        ("bhai mera order abhi tak nahi aaya kya ho raha hai", set()),
    ],
)
def test_word_cues(clean: str, expected: set[str]) -> None:
    assert word_cues(clean) == expected


def test_cue_words_leave_english_and_hinglish_alone() -> None:
    assert _CUE_WORD_SET.isdisjoint(ENGLISH_FUNCTION_WORDS)
    assert _CUE_WORD_SET.isdisjoint(HINDI_FUNCTION_WORDS)
    assert set(_CUE_WORDS.values()) <= CARE_LANGUAGES


def test_word_cues_do_not_overrule_a_confident_model(
    detector: LanguageDetector, model_only: LanguageDetector, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Even with an absurd boost, a confident answer stands: German "um" is not read as Portuguese, Dutch "echt"
    # is not read as German, an English "yo" is not Spanish.
    monkeypatch.setattr(language, "WORD_CUE_BOOST", 1e6)
    for text, code in (
        ("Ob er wieder ganz vorne im Zug sitzt um die Rentner besser aus dem Zug zu schmeißen?", "de"),
        ("Ik ben echt heel blij met de nieuwe trein naar Amsterdam vandaag", "nl"),
        ("YO! give their plane back. They're mad", "en"),
    ):
        assert model_only.detect(text)[0] == code
        assert detector.detect(text)[0] == code


@pytest.mark.parametrize(
    "text",
    ["Was ist an dem Flug los", "Was soll das, an wen kann ich mich wenden", "Warum ist das so teuer und langsam"],
)
def test_short_german_is_not_taken_for_english_by_the_short_cut(text: str) -> None:
    assert LanguageDetector().detect(text)[0] == "de"
