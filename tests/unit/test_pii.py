"""Unit tests for streams.enrich.pii (PII redaction) and its wiring into Enricher."""

from __future__ import annotations

import logging
import time

import pytest

from schemas.mention import MAX_TEXT_CHARS
from streams.enrich import WITHHELD_TEXT, Enricher, pii
from streams.enrich.pii import iban_valid, luhn_valid, redact
from tests.factories import make_mention


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return Enricher()


# --- each kind is found and replaced by its placeholder ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "kinds"),
    [
        # e-mail
        (
            "@united can you email me at jane.doe+flights@example.co.uk? thanks",
            "@united can you email me at [email]? thanks",
            ("email",),
        ),
        ("@USAirways I sent email to customer.relations@aa.com.", "@USAirways I sent email to [email].", ("email",)),
        ("連絡先はtaro@example.jpです", "連絡先は[email]です", ("email",)),
        # cards: grouped by spaces or dashes, contiguous, Amex 4-6-5
        ("charged twice on card 4111 1111 1111 1111 !!", "charged twice on card [card] !!", ("card",)),
        ("card 5555-5555-5555-4444 was declined", "card [card] was declined", ("card",)),
        ("my visa 4012888888881881 got charged", "my visa [card] got charged", ("card",)),
        ("amex 3782 822463 10005 😡", "amex [card] 😡", ("card",)),
        ("card 4111 1111 1111 1111 12 times", "card [card] 12 times", ("card",)),
        # IBAN, grouped or not, upper or lower case
        ("refund to DE89 3704 0044 0532 0130 00 please", "refund to [iban] please", ("iban",)),
        ("IBAN: GB29NWBK60161331926819.", "IBAN: [iban].", ("iban",)),
        ("virement sur fr14 2004 1010 0505 0001 3m02 606 svp", "virement sur [iban] svp", ("iban",)),
        ("DE89370400440532013000 GB29 NWBK 6016 1331 9268 19", "[iban] [iban]", ("iban",)),
        # SSN
        ("my ssn is 123-45-6789, please verify", "my ssn is [ssn], please verify", ("ssn",)),
        # IPv4
        ("Mail comes from 153.69.214.203 but SPF disallows it", "Mail comes from [ip] but SPF disallows it", ("ip",)),
        ("blocked requests to 104.199.65.135:4070", "blocked requests to [ip]:4070", ("ip",)),
        # phones: international, national, North American
        ("call me back on +1 (415) 555-0100 now", "call me back on [phone] now", ("phone",)),
        ("+44 20 7946 0958", "[phone]", ("phone",)),
        ("ring 020 7946 0958 before 5", "ring [phone] before 5", ("phone",)),
        ("rappelez-moi au 06 12 34 56 78 svp", "rappelez-moi au [phone] svp", ("phone",)),
        ("mi número es +34 612 34 56 78", "mi número es [phone]", ("phone",)),
        ("Rückruf bitte: +49 30 1234-5678", "Rückruf bitte: [phone]", ("phone",)),
        ("Contact: 00447900248601, anytime today", "Contact: [phone], anytime today", ("phone",)),
        ("line ( 09020564975) deducting my account", "line ( [phone]) deducting my account", ("phone",)),
        ("(020) 7946 0958", "[phone]", ("phone",)),
        ("Call 914-329-0185.", "Call [phone].", ("phone",)),
        ("my number is (631)891-5722", "my number is [phone]", ("phone",)),
        ("try it yourself - call 1-800-433-7300", "try it yourself - call [phone]", ("phone",)),
        (
            "Paul Garrison 850.266.3576 https://t.co/5GI1Wh765p",
            "Paul Garrison [phone] https://t.co/5GI1Wh765p",
            ("phone",),
        ),
        ("📞 +33 6 12 34 56 78 🙏", "📞 [phone] 🙏", ("phone",)),
        ("電話番号は+81 90 1234 5678です", "電話番号は[phone]です", ("phone",)),
    ],
)
def test_redacts_each_kind(text: str, expected: str, kinds: tuple[str, ...]) -> None:
    assert redact(text) == (expected, kinds)


def test_several_kinds_are_sorted_and_unique() -> None:
    text = (
        "@TMobileHelp charged twice on 4111 1111 1111 1111 and 5555 5555 5555 4444, call +1 415 555 0100 "
        "or mail jane@example.com, refund to DE89 3704 0044 0532 0130 00"
    )
    redacted, kinds = redact(text)
    assert kinds == ("card", "email", "iban", "phone")
    assert redacted == (
        "@TMobileHelp charged twice on [card] and [card], call [phone] or mail [email], refund to [iban]"
    )


# --- things that look like numbers but are not PII ----------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "😡😡😡 🔥✈️",
        "@AmericanAir my flight was cancelled and no one is answering, worst service ever",
        "@united @SouthwestAir thanks for nothing",  # handles are not e-mails
        "me@home tonight",  # no domain
        # order numbers: Luhn fails, or does not start like a card, or has the wrong shape
        "order 4111111111111112 still not here",
        "order #1234567812345670 is missing",  # Luhn-valid but no card network starts with 1
        "@AmazonHelp order 112-4567890-1234567 still not delivered",
        "order #123456789012 and ticket 98765432",
        "PayPal case ID is PP-006-234-348-863",
        # prices, dates, times, years, flight numbers, short numbers
        "paid $1,299.99 for this and €1.299,99 for that",
        "delayed on 2024-03-15 at 10:30, again on 03/15/2024 and 15.03.2024",
        "03-15-2024 10:30 departure",
        "01.02.2024 12 30",
        "flight BA 283 and AA1234, gate B12, seat 14C",
        "in 2023 2024 2025 you lost my bag 3 times",
        "call 555-0100 or 911",
        "12 34 56 78",
        "bag tag numbers 0016 964012, 0016 964077",
        # version numbers and network addresses are not IP addresses
        "app version number is 5.2.4.0 on Windows Mobile 10.0.15252.0",
        "spotify version 8.4.22.215",
        "v1.2.3.4 and 1.2.3.4.5 and 256.1.1.1",
        # SSNs in ranges that are never issued
        "SSN 000-12-3456 and 666-12-3456 and 900-12-3456 are never issued",
        # digits of other scripts are not redacted (documented limitation)
        "اتصل بي على ٠٦١٢٣٤٥٦٧٨",
    ],
)
def test_leaves_non_pii_alone(text: str) -> None:
    assert redact(text) == (text, ())


def test_iban_with_a_wrong_check_digit_is_not_an_iban() -> None:
    redacted, kinds = redact("IBAN DE89 3704 0044 0532 0130 01")
    assert "iban" not in kinds
    assert redacted.startswith("IBAN DE89 ")  # (its last 18 digits happen to pass Luhn as a card number)


def test_clean_text_is_returned_as_is() -> None:
    text = "@JetBlue Our fav airline :) see you in Boston next week"
    redacted, kinds = redact(text)
    assert redacted is text
    assert kinds == ()


def test_checksums() -> None:
    assert luhn_valid("4111111111111111")
    assert luhn_valid("378282246310005")
    assert not luhn_valid("4111111111111112")
    assert iban_valid("DE89370400440532013000")
    assert iban_valid("GB29NWBK60161331926819")
    assert not iban_valid("DE89370400440532013001")
    assert not iban_valid("DE8937040044053201300")  # one character short for DE
    assert not iban_valid("XX89370400440532013000")  # no such country


def test_lone_surrogates_do_not_break_the_digit_count() -> None:
    assert redact("bad \ud83d surrogate +44 20 7946 0958") == ("bad \ud83d surrogate [phone]", ("phone",))


# --- long and adversarial texts stay fast --------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        ("@AmericanAir my flight was cancelled, call me on 020 7946 0958. " * 700)[:MAX_TEXT_CHARS],
        ("1 " * 20_000)[:MAX_TEXT_CHARS],
        ("4" * MAX_TEXT_CHARS),
        ("a@" * 20_000)[:MAX_TEXT_CHARS],
        ("a" * (MAX_TEXT_CHARS - 20)) + "@example.com",
        ("DE89 " * 8_000)[:MAX_TEXT_CHARS],
        ("1" + " " * 30 + "x") * 1_250,
        ("12.34.56." * 4_500)[:MAX_TEXT_CHARS],
    ],
)
def test_long_texts_are_linear(text: str) -> None:
    started = time.perf_counter()
    redacted, _ = redact(text)
    assert time.perf_counter() - started < 0.5
    assert len(redacted) <= len(text)


def test_long_text_is_fully_redacted() -> None:
    text = ("My flight was cancelled, call me on 020 7946 0958 or jane@example.com. " * 600)[:MAX_TEXT_CHARS]
    redacted, kinds = redact(text)
    assert kinds == ("email", "phone")
    assert "7946" not in redacted
    assert "jane@" not in redacted


# --- Enricher wiring ------------------------------------------------------------------------------------


def test_enricher_fills_redacted_text_only_when_pii_was_found(enricher: Enricher) -> None:
    with_pii = enricher.enrich(make_mention("@united my bag is lost, call me on +1 (415) 555-0100"))
    assert with_pii.redacted_text == "@united my bag is lost, call me on [phone]"
    assert with_pii.failed_enrichers == ()
    clean = enricher.enrich(make_mention("@united my bag is lost"))
    assert clean.redacted_text is None


def _boom(*args: object) -> object:
    raise RuntimeError(f"boom {args!r}")  # quotes the text, as a careless library might


def test_enrich_never_raises_when_pii_fails(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    enricher = Enricher()
    monkeypatch.setattr(enricher, "redact_pii", _boom)
    with caplog.at_level(logging.DEBUG, logger="streams.enrich"):
        result = enricher.enrich(make_mention("refund to card 4111 1111 1111 1111 please"))
    assert result.failed_enrichers == ("pii",)
    assert result.redacted_text == WITHHELD_TEXT, "fails closed: the unchecked text is withheld"
    assert result.topics  # the other steps still ran
    assert "pii" in caplog.text
    assert "4111" not in caplog.text


# --- benchmark entry point ------------------------------------------------------------------------------


def test_benchmark_main_prints_microseconds(capsys: pytest.CaptureFixture[str]) -> None:
    pii.main(["--limit", "20", "--rounds", "1"])
    out = capsys.readouterr().out
    assert "built-in samples" in out
    assert "µs" in out
