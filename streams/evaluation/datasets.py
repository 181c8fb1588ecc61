"""Loaders for the labelled evaluation files. Every loader takes the data root as an argument.

Expected layout under the root (the layout of the repository's sibling ``../shared/data``, which is test
data and never needed by the product at run time)::

    umsab/<language>/{train,val}_{text,labels}.txt   # UMSAB (cardiffnlp xlm-t), labels 0/1/2
    airline-sentiment/Tweets.csv                     # Twitter US Airline Sentiment (Figure Eight)

UMSAB: one tweet per line; its language gold is the folder's ISO 639-1 code, its sentiment gold the
labels file (0 negative, 1 neutral, 2 positive). The text holds literal ``\\u2019``-style escapes,
backslash-escaped quotes and CSV-style doubled quotes; ``decode_umsab_text`` undoes them.

Airline: ``airline_sentiment`` is the sentiment gold. The file has no train/val split and 155 repeated
tweet ids (47 of them labelled differently); only the first row of an id is kept, and a deterministic
split puts a tweet in ``val`` when ``crc32(tweet_id) % 5 == 0`` (about a fifth) and in ``train``
otherwise.

Complaint gold is a PROXY (the file has no complaint label): a tweet is a ``complaint`` when annotators
labelled it negative *and* gave a concrete reason (any ``negativereason`` except ``Can't Tell``, e.g.
Customer Service Issue, Late Flight, Cancelled Flight, Lost Luggage, Bad Flight, Flight Booking Problems);
it is ``not_complaint`` when labelled neutral or positive. Negative tweets whose reason is ``Can't Tell``
(or empty) are ambiguous under this proxy and are left out of the complaint task (``complaint_gold``
returns ``None``).
"""

from __future__ import annotations

import csv
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "AIRLINE_CSV",
    "AIRLINE_HANDLES",
    "COMPLAINT",
    "NATIVE_SCRIPT_LANGUAGES",
    "NOT_COMPLAINT",
    "SENTIMENT_LABELS",
    "SPLITS",
    "UMSAB_LANGUAGES",
    "AirlineRow",
    "UmsabRow",
    "airline_complaint",
    "airline_handle",
    "airline_sentiment",
    "airline_split",
    "complaint_gold",
    "decode_umsab_text",
    "read_airline",
    "read_umsab",
    "umsab_language",
    "umsab_sentiment",
    "umsab_sentiment_label",
]

SPLITS = ("val", "train")
SENTIMENT_LABELS = ("negative", "neutral", "positive")
COMPLAINT = "complaint"
NOT_COMPLAINT = "not_complaint"

UMSAB_DIR = "umsab"
UMSAB_LANGUAGES: dict[str, str] = {
    "arabic": "ar",
    "english": "en",
    "french": "fr",
    "german": "de",
    "hindi": "hi",
    "italian": "it",
    "portuguese": "pt",
    "spanish": "es",
}
# UMSAB Hindi is largely romanised, so it is reported apart from these.
NATIVE_SCRIPT_LANGUAGES = ("ar", "de", "en", "es", "fr", "it", "pt")
_UMSAB_SENTIMENT = {"0": "negative", "1": "neutral", "2": "positive"}

AIRLINE_CSV = Path("airline-sentiment") / "Tweets.csv"
AIRLINE_VAL_BUCKETS = 5  # val = crc32(tweet_id) % 5 == 0
UNCLEAR_REASONS = frozenset({"", "Can't Tell"})

_UNICODE_ESCAPE_RE = re.compile(r"\\u([0-9a-fA-F]{4})")
_QUOTE_RUN_RE = re.compile(r'"{2,}')


@dataclass(frozen=True)
class UmsabRow:
    language: str  # ISO 639-1 code of the folder
    text: str
    sentiment: str  # negative / neutral / positive


@dataclass(frozen=True)
class AirlineRow:
    tweet_id: str
    airline: str
    text: str
    sentiment: str  # negative / neutral / positive
    negative_reason: str  # '' unless negative


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")


def _require_file(path: Path) -> Path:
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found")
    return path


def decode_umsab_text(line: str) -> str:
    """The tweet behind one UMSAB text line.

    Decodes literal ``\\uXXXX`` escapes (surrogate pairs included), trims the line, drops one pair of
    enclosing quotes, turns ``\\"`` into ``"`` and collapses runs of quotes (CSV doubling, sometimes
    applied twice) into one. Other backslashes are left as they are.
    """
    text = _UNICODE_ESCAPE_RE.sub(lambda match: chr(int(match.group(1), 16)), line)
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").strip()
    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        text = text[1:-1]
    return _QUOTE_RUN_RE.sub('"', text.replace('\\"', '"'))


def umsab_sentiment_label(code: str) -> str:
    """'negative' / 'neutral' / 'positive' for a UMSAB label line ('0' / '1' / '2')."""
    try:
        return _UMSAB_SENTIMENT[code.strip()]
    except KeyError:
        raise ValueError(f"unexpected UMSAB label {code!r}; expected 0, 1 or 2") from None


def _umsab_paths(data_root: Path, folder: str, split: str) -> tuple[Path, Path]:
    _check_split(split)
    if folder not in UMSAB_LANGUAGES:
        raise ValueError(f"unknown UMSAB language {folder!r}; expected one of {', '.join(UMSAB_LANGUAGES)}")
    base = data_root / UMSAB_DIR / folder
    return _require_file(base / f"{split}_text.txt"), _require_file(base / f"{split}_labels.txt")


def read_umsab(data_root: Path, folder: str, split: str = "val", limit: int | None = None) -> list[UmsabRow]:
    """The rows of one UMSAB language folder (e.g. ``'english'``), at most ``limit`` of them."""
    text_path, labels_path = _umsab_paths(data_root, folder, split)
    texts = text_path.read_text(encoding="utf-8").splitlines()
    labels = [line for line in labels_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if len(texts) != len(labels):
        raise ValueError(f"{text_path} has {len(texts)} lines but {labels_path} has {len(labels)} labels")
    code = UMSAB_LANGUAGES[folder]
    rows = [
        UmsabRow(language=code, text=decode_umsab_text(text), sentiment=umsab_sentiment_label(label))
        for text, label in zip(texts, labels, strict=True)
    ]
    return rows[:limit] if limit is not None else rows


def umsab_language(data_root: Path, folder: str, split: str = "val") -> Iterator[tuple[str, str]]:
    """(text, ISO 639-1 code of the folder) for each UMSAB row."""
    for row in read_umsab(data_root, folder, split):
        yield row.text, row.language


def umsab_sentiment(data_root: Path, folder: str, split: str = "val") -> Iterator[tuple[str, str]]:
    """(text, negative/neutral/positive) for each UMSAB row."""
    for row in read_umsab(data_root, folder, split):
        yield row.text, row.sentiment


# The Twitter account each ``airline`` value's tweets address (the file's "Delta" rows are tweets to @JetBlue).
AIRLINE_HANDLES: dict[str, str] = {
    "American": "AmericanAir",
    "Delta": "JetBlue",
    "Southwest": "SouthwestAir",
    "US Airways": "USAirways",
    "United": "united",
    "Virgin America": "VirginAmerica",
}


def airline_handle(row: AirlineRow) -> str:
    """The brand account an airline tweet addresses (``evaluation`` for an airline not in ``AIRLINE_HANDLES``)."""
    return AIRLINE_HANDLES.get(row.airline, "evaluation")


def airline_split(tweet_id: str) -> str:
    """'val' for about a fifth of the tweet ids (stable across runs and machines), else 'train'."""
    return "val" if zlib.crc32(tweet_id.encode("ascii", "replace")) % AIRLINE_VAL_BUCKETS == 0 else "train"


def _airline_row(record: dict[str, str]) -> AirlineRow:
    sentiment = (record.get("airline_sentiment") or "").strip()
    if sentiment not in SENTIMENT_LABELS:
        raise ValueError(f"unexpected airline_sentiment {sentiment!r} for tweet {record.get('tweet_id')}")
    return AirlineRow(
        tweet_id=(record.get("tweet_id") or "").strip(),
        airline=record.get("airline") or "",
        text=record.get("text") or "",
        sentiment=sentiment,
        negative_reason=(record.get("negativereason") or "").strip(),
    )


def read_airline(data_root: Path, split: str = "val", limit: int | None = None) -> list[AirlineRow]:
    """The airline tweets of ``split`` (first row per tweet id), at most ``limit`` of them."""
    _check_split(split)
    path = _require_file(data_root / AIRLINE_CSV)
    rows: list[AirlineRow] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8", newline="") as handle:
        for record in csv.DictReader(handle):
            row = _airline_row(record)
            if row.tweet_id in seen or airline_split(row.tweet_id) != split:
                continue
            seen.add(row.tweet_id)
            rows.append(row)
            if limit is not None and len(rows) >= limit:
                break
    return rows


def complaint_gold(row: AirlineRow) -> str | None:
    """The complaint proxy label of an airline tweet; ``None`` when the proxy cannot tell (see module doc)."""
    if row.sentiment != "negative":
        return NOT_COMPLAINT
    return None if row.negative_reason in UNCLEAR_REASONS else COMPLAINT


def airline_sentiment(data_root: Path, split: str = "val") -> Iterator[tuple[str, str]]:
    """(text, negative/neutral/positive) for each airline tweet of ``split``."""
    for row in read_airline(data_root, split):
        yield row.text, row.sentiment


def airline_complaint(data_root: Path, split: str = "val") -> Iterator[tuple[str, str]]:
    """(text, complaint/not_complaint) for each airline tweet of ``split`` the proxy can label."""
    for row in read_airline(data_root, split):
        gold = complaint_gold(row)
        if gold is not None:
            yield row.text, gold
