"""PII redaction: e-mail addresses, phone numbers, payment cards, IBANs, US SSNs and IPv4 addresses.

    text, kinds = redact("card 4111 1111 1111 1111, call +44 20 7946 0958")
    # text  == "card [card], call [phone]"
    # kinds == ("card", "phone")

Each finding is replaced by a typed placeholder (``[email]``, ``[phone]``, ``[card]``, ``[iban]``, ``[ssn]``,
``[ip]``); everything else is left byte for byte. ``kinds`` is the sorted tuple of the kinds found.

What counts (deliberately conservative: a redacted order number hurts care agents more than a missed one):

- card   13-19 digits, contiguous or grouped 4-4-4-4(-3) / 4-6-5 / 4-6-4 with one kind of separator (space or
         dash), first digit 2-6 (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro) AND a valid
         Luhn checksum. Order numbers almost always fail one of these.
- iban   country code of a known IBAN length, mod-97 checksum valid, optionally grouped by spaces.
- email  local@domain.tld in ASCII (so "連絡先はtaro@example.jpです" loses only the address); a bare
         "@handle" is not an e-mail.
- ssn    ###-##-#### with the ranges the SSA never issues (000, 666, 9xx, 00, 0000) excluded.
- ip     dotted-quad IPv4 with each octet 0-255; not "1.2.3.4.5", "v1.2.3.4", network addresses ending in
         ".0", nor dotted quads right after "version"/"build"/"release"/... (app version numbers).
- phone  international "+CC ..." (8-15 digits) or "00CC ..." (10-15 digits after the 00), national with
         trunk 0 ("020 7946 0958", "06 12 34 56 78", "(020) 7946 0958", "0612345678"; 9-12 digits), North American
         "(415) 555-0100" / "415-555-0100" / "1-800-555-0199" (separators required). Dates, times, prices,
         years, flight numbers ("AA1234", "BA 283") and digit runs without a leading "+", "00", "0" or NANP
         shape are left alone.

Digits are ASCII digits only (the checksums need them): numbers written in other scripts' digits
(Arabic-Indic, full-width) are not redacted.

Speed: most mentions hold no PII, so cheap gates decide whether any regex runs at all: the e-mail regex only
runs when an "@" follows a local-part character (so "@handle" mentions skip it), the digit-based ones only
when the text holds at least 4 digits (counted in one C pass over its UTF-8 bytes) and a run of at least 7
characters of digits and separators that starts and ends with a digit (every card, IBAN, SSN, IPv4 address
and phone number has one).
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["CARD", "EMAIL", "IBAN", "IP", "KINDS", "PHONE", "SSN", "redact"]

EMAIL = "email"
PHONE = "phone"
CARD = "card"
IBAN = "iban"
SSN = "ssn"
IP = "ip"
KINDS: tuple[str, ...] = (CARD, EMAIL, IBAN, IP, PHONE, SSN)

_NOTHING: tuple[str, ...] = ()

# --- gates ----------------------------------------------------------------------------------------------
# Starts with a literal, so the engine jumps from "@" to "@"; the lookbehind rejects "@handle" (space before).
_EMAIL_GATE_RE = re.compile(r"@(?<=[\w.%+\-]@)[^\W_]", re.ASCII)
# Deleting every byte but the ASCII digits from the UTF-8 bytes counts the digits in one C loop (multi-byte
# UTF-8 sequences never contain bytes below 0x80); an IPv4 address, the shortest target, has at least 4.
_NON_DIGIT_BYTES = bytes(byte for byte in range(256) if not 0x30 <= byte <= 0x39)
_MIN_DIGITS = 4
_A = re.ASCII  # digit detectors: ASCII digits only (the checksums need them), ASCII word boundaries
_DIGIT_RUN_RE = re.compile(r"\d[\d .()+\-]{5,}\d", _A)

# --- detectors ------------------------------------------------------------------------------------------
_EMAIL_RE = re.compile(r"(?<![\w.%+\-])[\w.%+\-]+@(?:[^\W_][\w\-]*\.)+[^\W\d_]{2,}(?![\w\-])", re.ASCII)

_CARD_RE = re.compile(
    r"(?<![\w+.,\-])"
    r"[2-6]\d{3}"
    r"(?:(?P<s1>[ \-])\d{4}(?P=s1)\d{4}(?P=s1)\d{1,4}(?:(?P=s1)\d{1,3})?"  # 4-4-4-4, 4-4-4-4-3
    r"|(?P<s2>[ \-])\d{6}(?P=s2)\d{4,5}"  # 4-6-5 (Amex), 4-6-4 (Diners)
    r"|\d{9,15})"  # contiguous, 13-19 digits
    r"(?![\w\-]|[.,]\d)",
    _A,
)
# Where an IBAN may start (country code, check digits); _redact_ibans reads on for the country's length.
_IBAN_START_RE = re.compile(r"(?<!\w)[A-Za-z]{2}\d{2}(?= ?[A-Za-z0-9])", _A)
_SSN_RE = re.compile(r"(?<![\w\-])(?!000|666|9)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w\-])", _A)
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IP_RE = re.compile(rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?![\w\-]|\.\d)", _A)

_PHONE_END = r"(?![\w\-]|[.,:/]\d)"
_INTL_PHONE_RE = re.compile(
    r"(?<![\w+.\-])(?:\+|00)(?P<cc>[1-9]\d{0,2})"
    r"[ .\-]?(?:\(\d{1,4}\)[ .\-]?)?\d{1,14}"
    r"(?:[ .\-]\d{2,5}){0,6}" + _PHONE_END,
    _A,
)
_NATIONAL_PHONE_RE = re.compile(
    r"(?<![\w+.\-])(?:\(0[1-9]\d{0,3}\)[ .\-]?\d{2,8}|0[1-9]\d{0,10})(?:[ .\-]\d{2,5}){0,5}" + _PHONE_END,
    _A,
)
_NANP_PHONE_RE = re.compile(
    r"(?<![\w+.\-])(?:1[ .\-]?)?(?:\([2-9]\d{2}\)[ .\-]?|[2-9]\d{2}[ .\-])[2-9]\d{2}[ .\-]\d{4}" + _PHONE_END,
    _A,
)
_DATE_RE = re.compile(r"\d{1,2}[./\-]\d{1,2}[./\-](?:19|20)\d\d|(?:19|20)\d\d[./\-]\d{1,2}[./\-]\d{1,2}", _A)
_SEPARATOR_RE = re.compile(r"(?<=\d)[ .\-](?=\d)", _A)
_NON_DIGITS_RE = re.compile(r"\D+", _A)
_NON_ALNUM_RE = re.compile(r"[^A-Za-z0-9]+")
_VERSION_CONTEXT = 24  # characters before a dotted quad searched for _VERSION_WORDS
_VERSION_WORDS = ("version", "ver.", "build", "release", "firmware", "update")

# Official IBAN lengths (SWIFT IBAN registry) by country code.
_IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
    "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22,
    "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25,
    "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
    "ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip


def redact(text: str) -> tuple[str, tuple[str, ...]]:
    """``(redacted text, sorted kinds found)``; the text comes back unchanged (same object) with ``()`` when
    nothing was found.

    ``Enricher`` stores the redacted text in ``Enrichment.redacted_text`` only when PII was found and leaves
    it ``None`` otherwise, so clean mentions (the vast majority) do not carry a second copy of their text:
    consumers use ``redacted_text`` when set, else ``mention.text``.
    """
    email = "@" in text and _EMAIL_GATE_RE.search(text) is not None
    digits = (
        len(text.encode("utf-8", "surrogatepass").translate(None, _NON_DIGIT_BYTES)) >= _MIN_DIGITS
        and _DIGIT_RUN_RE.search(text) is not None
    )
    if not (email or digits):
        return text, _NOTHING
    found: set[str] = set()
    if email:
        text, count = _EMAIL_RE.subn("[email]", text)
        if count:
            found.add(EMAIL)
    if digits:
        text, ibans = _redact_ibans(text)
        if ibans:
            found.add(IBAN)
        for kind, regex, replace in _DIGIT_DETECTORS:
            text = regex.sub(_recording(replace, kind, found), text)
    if not found:
        return text, _NOTHING
    return text, tuple(sorted(found))


# --- validators: each gets a candidate match and returns its replacement (the match itself to keep it) ----


def _recording(
    replace: Callable[[re.Match[str]], str | None], kind: str, found: set[str]
) -> Callable[[re.Match[str]], str]:
    def sub(match: re.Match[str]) -> str:
        replacement = replace(match)
        if replacement is None:
            return match.group()
        found.add(kind)
        return replacement

    return sub


def luhn_valid(digits: str) -> bool:
    """True when the digit string passes the Luhn (mod 10) checksum."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    """True for an upper-case, separator-free IBAN of its country's length with a valid mod-97 checksum."""
    if _IBAN_LENGTHS.get(iban[:2]) != len(iban) or not iban[2:4].isdigit():
        return False
    rearranged = iban[4:] + iban[:4]
    try:
        number = int("".join(str(int(char, 36)) for char in rearranged))
    except ValueError:
        return False
    return number % 97 == 1


def _card(match: re.Match[str]) -> str | None:
    candidate = match.group()
    digits = _NON_DIGITS_RE.sub("", candidate)
    if 13 <= len(digits) <= 19 and luhn_valid(digits):
        return "[card]"
    separator = match.group("s1")
    if separator and candidate.count(separator) == 4:  # 4-4-4-4 followed by an unrelated short number?
        tail = candidate.rsplit(separator, 1)[1]
        head_digits = digits[: -len(tail)]
        if len(head_digits) >= 13 and luhn_valid(head_digits):
            return f"[card]{separator}{tail}"
    return None


def _redact_ibans(text: str) -> tuple[str, bool]:
    """``text`` with valid IBANs replaced, and whether there was one. Not a regex ``sub``: the length to read
    depends on the country code, and a greedy pattern would swallow the start of a following IBAN."""
    pieces: list[str] = []
    last = 0
    for match in _IBAN_START_RE.finditer(text):
        start = match.start()
        length = _IBAN_LENGTHS.get(text[start : start + 2].upper())
        if start < last or length is None:
            continue
        end = _iban_end(text, start, length)
        if end is None or not iban_valid(_NON_ALNUM_RE.sub("", text[start:end]).upper()):
            continue
        pieces += (text[last:start], "[iban]")
        last = end
    if not pieces:
        return text, False
    pieces.append(text[last:])
    return "".join(pieces), True


def _iban_end(text: str, start: int, length: int) -> int | None:
    """End index of ``length`` ASCII alphanumerics from ``start`` (single spaces allowed between them), when
    they are followed by a non-alphanumeric character or the end of the text."""
    taken = 0
    index = start
    size = len(text)
    while index < size and taken < length:
        char = text[index]
        if char.isascii() and char.isalnum():
            taken += 1
        elif not (char == " " and index + 1 < size and text[index + 1] != " "):
            return None
        index += 1
    if taken < length or (index < size and text[index].isalnum()):
        return None
    return index


def _ssn(match: re.Match[str]) -> str | None:
    return "[ssn]"


def _ip(match: re.Match[str]) -> str | None:
    """Not a network address ("10.0.0.0") nor, by its context, a four-part version number ("version 5.2.4.0")."""
    if match.group().endswith(".0"):
        return None
    before = match.string[max(0, match.start() - _VERSION_CONTEXT) : match.start()].lower()
    if any(word in before for word in _VERSION_WORDS):
        return None
    return "[ip]"


def _consistent_separators(number: str) -> bool:
    """False for "01.02.2024 12"-like runs: '.' mixed with other separators is a date/time, not a phone."""
    separators = set(_SEPARATOR_RE.findall(number))
    return len(separators) <= 1 or "." not in separators


def _intl_phone(match: re.Match[str]) -> str | None:
    candidate = match.group()
    digits = len(_NON_DIGITS_RE.sub("", candidate))
    if candidate.startswith("00"):  # "0044 ...": more digits than a "+" needs, or bag tags ("0016 964012") pass
        digits -= 2
        minimum = 10
    else:
        minimum = 8
    rest = candidate[match.end("cc") - match.start() :]
    if minimum <= digits <= 15 and _consistent_separators(rest):
        return "[phone]"
    return None


def _national_phone(match: re.Match[str]) -> str | None:
    candidate = match.group()
    digits = len(_NON_DIGITS_RE.sub("", candidate))
    if 9 <= digits <= 12 and _consistent_separators(candidate) and _DATE_RE.match(candidate) is None:
        return "[phone]"
    return None


def _nanp_phone(match: re.Match[str]) -> str | None:
    return "[phone]"


# Order matters (IBANs go first, in _redact_ibans): longer and more specific shapes first, and a placeholder
# holds no digits for the next one.
_DIGIT_DETECTORS: tuple[tuple[str, re.Pattern[str], Callable[[re.Match[str]], str | None]], ...] = (
    (CARD, _CARD_RE, _card),
    (SSN, _SSN_RE, _ssn),
    (IP, _IP_RE, _ip),
    (PHONE, _INTL_PHONE_RE, _intl_phone),
    (PHONE, _NANP_PHONE_RE, _nanp_phone),
    (PHONE, _NATIONAL_PHONE_RE, _national_phone),
)


# --- benchmark: python -m streams.enrich.pii [--limit N] ---------------------------------------------------

SAMPLE_TEXTS: tuple[str, ...] = (
    "@AmericanAir my flight was cancelled and no one is answering, worst service ever",
    "@united how do I change the name on my booking? https://t.co/abc123",
    "Thank you @Delta for the upgrade, the crew was amazing! 😍✈️",
    "@SpotifyCares the app keeps crashing on my iPhone 15 since the update #fail",
    "@AmazonHelp order 112-4567890-1234567 still not here, 3 days late",
    "@British_Airways BA 283 delayed 2 hours on 2024-03-15, paid £1,299.99 for this",
    "@comcastcares call me back on +1 (415) 555-0100 or email jane.doe@example.com",
    "Mi pedido todavía no ha llegado, ¿alguien me puede ayudar? @AmazonHelp",
    "@TMobileHelp charged twice on card 4111 1111 1111 1111, refund to DE89 3704 0044 0532 0130 00 please",
    "😡😡😡",
    "@JetBlue Our fav airline :) see you in Boston next week, flight 1234 at 10:30",
    "Le service client ne répond jamais, rappelez-moi au 06 12 34 56 78 @AirFrance",
)


def _bench(texts: list[str], rounds: int) -> tuple[float, float]:
    """Median and p99 µs of ``redact`` per text (best of ``rounds`` timings per text)."""
    import statistics
    import time

    for text in texts[:200]:
        redact(text)
    best = [float("inf")] * len(texts)
    for _ in range(rounds):
        for index, text in enumerate(texts):
            start = time.perf_counter_ns()
            redact(text)
            best[index] = min(best[index], time.perf_counter_ns() - start)
    ordered = sorted(best)
    return statistics.median(ordered) / 1000, ordered[int(len(ordered) * 0.99)] / 1000


def main(argv: list[str] | None = None) -> None:
    import argparse

    from streams.enrich.samples import benchmark_sources

    parser = argparse.ArgumentParser(description="µs per redact() call")
    parser.add_argument("--limit", type=int, default=5000, help="rows of ../shared/data CSVs to use when present")
    parser.add_argument("--rounds", type=int, default=5, help="timings per text; the fastest is kept")
    args = parser.parse_args(argv)
    sources = benchmark_sources(SAMPLE_TEXTS, args.limit)
    for name, texts in sources:
        median, p99 = _bench(texts, args.rounds)
        redacted = sum(1 for text in texts if redact(text)[1])
        print(
            f"redact  {name:<18} {len(texts):>6} texts  median {median:6.2f} µs  p99 {p99:6.2f} µs"
            f"  ({redacted} with PII)"
        )


if __name__ == "__main__":
    main()
