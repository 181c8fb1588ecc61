from __future__ import annotations

import pytest

from streams.enrich import Enricher
from streams.enrich.hinglish import looks_romanised_hindi
from streams.enrich.language import detect_language
from tests.factories import make_mention


@pytest.mark.parametrize(
    "text",
    [
        "bhai mera order abhi tak nahi aaya, kya ho raha hai",
        "yaar ye app phir se crash ho gaya",
        "@AcmeAir meri flight cancel kyun hui? koi jawab nahi de raha",
        "chal hgya teri prem khanani over ! chal ab demaag mat kha or soja",  # UMSAB, SMS spellings
    ],
)
def test_romanised_hindi_is_hindi(text: str) -> None:
    assert looks_romanised_hindi(text)
    assert detect_language(text)[0] == "hi"


@pytest.mark.parametrize(
    "text",
    [
        "The main thing is the flight was late again",  # English 'main', 'the'
        "Non ho mai visto un servizio così lento",  # Italian 'ho', 'mai'
        "Wo ist mein Paket? Ich warte seit Tagen",  # German 'wo'
        "Se me olvidó la contraseña y no puedo entrar",  # Spanish 'se', 'me'
        "Tu es au courant? Le vol est en retard",  # French 'tu'
        "ok",
        "",
    ],
)
def test_other_languages_are_not_taken_for_hinglish(text: str) -> None:
    assert not looks_romanised_hindi(text)


def test_native_script_hindi_is_left_to_the_model() -> None:
    assert not looks_romanised_hindi("मेरा ऑर्डर अभी तक नहीं आया")
    assert detect_language("मेरा ऑर्डर अभी तक नहीं आया, कोई जवाब नहीं दे रहा")[0] == "hi"


def test_enricher_labels_hinglish_and_scores_it_with_the_hindi_model() -> None:
    enrichment = Enricher().enrich(make_mention("bhai mera refund abhi tak nahi aaya, kya ho raha hai"))
    assert enrichment.language == "hi"
    assert enrichment.sentiment.label != "unknown"  # UMSAB Hindi (mostly romanised) has a shipped model
    assert enrichment.failed_enrichers == ()
