"""Text normalisation helpers shared by the enrichers.

The URL, handle and hashtag regexes start with a literal, so the engine jumps straight to candidate positions,
and each runs only when a cheap ``in`` test says it can match: these run once or twice per event.
"""

from __future__ import annotations

import html
import logging
import re

logger = logging.getLogger(__name__)

# URLs, plus the bare "http" stub that anonymised datasets leave behind ("... read more http").
_URL_RE = re.compile(r"https?(?::/+\S*)?\b|www\.\S+")
_HANDLE_RE = re.compile(r"@\w+:?")  # with the colon of "RT @user:"
_HASHTAG_SIGN_RE = re.compile(r"#(?=\w)")
_HASHTAG_RE = re.compile(r"\B#\w+")  # not the "#" of "C#"
# A "letter" is a word character that is neither a digit nor '_' (covers every script).
_LETTER_RE = re.compile(r"[^\W\d_]")


def collapse_whitespace(text: str) -> str:
    """Single-line text with runs of whitespace (including newlines) folded into one space."""
    return " ".join(text.split())


def strip_noise(text: str) -> str:
    """Remove URLs, @handles, a leading RT marker and hashtag signs ("#refund" -> "refund"); unescape HTML
    entities; collapse whitespace. The result is always a single line (fastText needs that).
    """
    if "&" in text:
        text = html.unescape(text)
    if "http" in text or "www." in text:
        text = _URL_RE.sub(" ", text)
    if "@" in text:
        text = _HANDLE_RE.sub(" ", text)
    if "#" in text:
        text = _HASHTAG_SIGN_RE.sub(" ", text)
    text = " ".join(text.split())
    if text.startswith("RT "):
        text = text[3:]
    return text


def first_letter(text: str) -> int:
    """Index of the first letter of any script, or -1 when there is none."""
    match = _LETTER_RE.search(text)
    return -1 if match is None else match.start()


def has_letters(text: str) -> bool:
    """True when the text holds at least one letter of any script (False for empty, emoji-only, digits)."""
    return _LETTER_RE.search(text) is not None


def strip_urls(text: str) -> str:
    return _URL_RE.sub(" ", text)


def count_urls(text: str) -> int:
    if "http" not in text and "www." not in text:
        return 0
    return sum(1 for match in _URL_RE.finditer(text) if len(match.group()) > 5)  # not the bare "http" stub


def count_hashtags(text: str) -> int:
    if "#" not in text:
        return 0
    return len(_HASHTAG_RE.findall(text))
