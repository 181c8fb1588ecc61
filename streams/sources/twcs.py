"""Reader for the Kaggle "Customer Support on Twitter" (twcs) CSV format.

Columns: an optional leading unnamed index, then tweet_id, author_id, inbound, created_at, text,
response_tweet_id, in_response_to_tweet_id. Inbound tweets are customers writing to a brand; the
others are brand replies, and a brand is simply the author_id of a non-inbound row.

Quirks handled here:
- ``created_at`` is ``Tue Oct 31 22:10:47 +0000 2017``;
- ``in_response_to_tweet_id`` was saved as a float (``3.0``);
- ``response_tweet_id`` may hold several comma-separated ids;
- some text fields hold bare carriage returns *without* being quoted (tweet 3399), which the csv module
  would treat as record ends even with ``newline=''``. Records therefore end at ``\\n`` only (the file's
  real terminator) and bare ``\\r`` are shielded from the csv parser, then restored in the fields.
"""

from __future__ import annotations

import csv
import re
import statistics
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from os import PathLike
from pathlib import Path

from pydantic import ValidationError

from schemas.mention import Author, Channel, Mention
from schemas.response import Response, ResponseKind

TWCS_TIME_FORMAT = "%a %b %d %H:%M:%S %z %Y"
REQUIRED_COLUMNS = (
    "tweet_id",
    "author_id",
    "inbound",
    "created_at",
    "text",
    "response_tweet_id",
    "in_response_to_tweet_id",
)
# Stands in for a bare "\r" while the csv module parses a record (a private-use code point).
_CR_STANDIN = "\uf8ff"
# Twitter handles: 1-15 word characters, not preceded by a word character (skips e-mail addresses).
_HANDLE_RE = re.compile(r"(?<![\w@])@(\w{1,15})", re.ASCII)

StrPath = str | PathLike[str]


class TwcsFormatError(ValueError):
    """A row of the file cannot be read as a twcs tweet."""


@dataclass(frozen=True, slots=True)
class TwcsTweet:
    tweet_id: str
    author_id: str
    inbound: bool
    created_at: datetime
    text: str
    response_tweet_ids: tuple[str, ...]
    in_response_to_tweet_id: str | None


@dataclass(frozen=True, slots=True)
class TwcsSkip:
    """An inbound tweet that could not become a Mention, and why."""

    tweet_id: str
    reason: str


# --------------------------------------------------------------------------------------------- reading


def read_twcs(path: StrPath) -> Iterator[TwcsTweet]:
    """Yield every row of a twcs CSV file as a parsed tweet, in file order.

    Raises TwcsFormatError (with the file's line number) for a row that cannot be parsed.
    """
    # newline="\n": records end at "\n" only; bare "\r" stay inside the line (see module docstring).
    with Path(path).open(encoding="utf-8", newline="\n") as csv_file:
        reader = csv.reader(_shield_bare_carriage_returns(csv_file))
        header = next(reader, None)
        if header is None:
            return
        column_index = _column_index(header)
        for row in reader:
            if not row:
                continue
            if len(row) != len(header):
                raise TwcsFormatError(f"line {reader.line_num}: {len(row)} fields, expected {len(header)}")
            try:
                yield _parse_row(row, column_index)
            except ValueError as exc:
                raise TwcsFormatError(f"line {reader.line_num}: {exc}") from exc


def _shield_bare_carriage_returns(lines: Iterable[str]) -> Iterator[str]:
    for line in lines:
        if "\r" not in line:
            yield line
            continue
        if _CR_STANDIN in line:
            raise TwcsFormatError(f"line contains the reserved character U+{ord(_CR_STANDIN):04X}")
        body, ending = (line[:-2], "\r\n") if line.endswith("\r\n") else (line, "")
        yield body.replace("\r", _CR_STANDIN) + ending


def _column_index(header: list[str]) -> dict[str, int]:
    positions = {name.strip(): position for position, name in enumerate(header)}
    missing = [name for name in REQUIRED_COLUMNS if name not in positions]
    if missing:
        raise TwcsFormatError(f"header lacks columns {missing}")
    return {name: positions[name] for name in REQUIRED_COLUMNS}


def _parse_row(row: list[str], column_index: dict[str, int]) -> TwcsTweet:
    def field(name: str) -> str:
        return row[column_index[name]].replace(_CR_STANDIN, "\r")

    tweet_id = _parse_tweet_id(field("tweet_id"))
    if tweet_id is None:
        raise ValueError("empty tweet_id")
    author_id = field("author_id").strip()
    if not author_id:
        raise ValueError(f"tweet {tweet_id}: empty author_id")
    return TwcsTweet(
        tweet_id=tweet_id,
        author_id=author_id,
        inbound=_parse_bool(field("inbound")),
        created_at=datetime.strptime(field("created_at").strip(), TWCS_TIME_FORMAT),
        text=field("text"),
        response_tweet_ids=tuple(
            tweet_id
            for part in field("response_tweet_id").split(",")
            if (tweet_id := _parse_tweet_id(part)) is not None
        ),
        in_response_to_tweet_id=_parse_tweet_id(field("in_response_to_tweet_id")),
    )


def _parse_tweet_id(raw: str) -> str | None:
    """'3' and '3.0' (pandas saved the column as float) both mean tweet 3; '' means none."""
    raw = raw.strip()
    if not raw:
        return None
    if raw.isdigit():
        return raw
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"bad tweet id {raw!r}") from None
    if not number.is_finite() or number != number.to_integral_value() or number < 0:
        raise ValueError(f"bad tweet id {raw!r}")
    return str(int(number))


def _parse_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise ValueError(f"bad inbound flag {raw!r}")


# ------------------------------------------------------------------------------------ index of a file


@dataclass(frozen=True, slots=True)
class _BrandReply:
    tweet_id: str
    brand: str
    created_at: datetime
    answers_tweet_id: str


@dataclass(slots=True)
class _TwcsIndex:
    """What mention and response building needs to know about the whole file."""

    brands_by_lowercase: dict[str, str]
    brand_of_tweet: dict[str, str]  # non-inbound tweet id -> brand author_id
    inbound_created_at: dict[str, datetime]  # inbound tweet id -> created_at
    replies_by_inbound_tweet: dict[str, list[_BrandReply]]  # in file order

    def earliest_reply(self, inbound_tweet_id: str) -> _BrandReply | None:
        replies = self.replies_by_inbound_tweet.get(inbound_tweet_id)
        # min() keeps the first of equal timestamps, i.e. file order breaks ties.
        return min(replies, key=lambda reply: reply.created_at) if replies else None


def _index(path: StrPath) -> _TwcsIndex:
    brands_by_lowercase: dict[str, str] = {}
    brand_of_tweet: dict[str, str] = {}
    inbound_created_at: dict[str, datetime] = {}
    brand_replies: list[_BrandReply] = []
    for tweet in read_twcs(path):
        if tweet.inbound:
            inbound_created_at[tweet.tweet_id] = tweet.created_at
            continue
        # Handles are case-insensitive on Twitter; the first spelling seen is the canonical one.
        brands_by_lowercase.setdefault(tweet.author_id.lower(), tweet.author_id)
        brand_of_tweet[tweet.tweet_id] = tweet.author_id
        if tweet.in_response_to_tweet_id is not None:
            brand_replies.append(
                _BrandReply(tweet.tweet_id, tweet.author_id, tweet.created_at, tweet.in_response_to_tweet_id)
            )
    # Only replies that answer an inbound tweet of this file count (not brand-to-brand follow-ups, and
    # not replies whose customer tweet is outside the file): the file is not in time order, so filter last.
    replies_by_inbound_tweet: dict[str, list[_BrandReply]] = {}
    for reply in brand_replies:
        if reply.answers_tweet_id in inbound_created_at:
            replies_by_inbound_tweet.setdefault(reply.answers_tweet_id, []).append(reply)
    return _TwcsIndex(brands_by_lowercase, brand_of_tweet, inbound_created_at, replies_by_inbound_tweet)


# -------------------------------------------------------------------------------------------- mentions


def twcs_mentions(path: StrPath) -> Iterator[Mention | TwcsSkip]:
    """Yield, in file order, a twitter Mention (or a TwcsSkip) for every inbound tweet.

    brand_account is the brand the tweet addresses, decided in this order:
    1. the author of the earliest brand reply in the file that answers this tweet;
    2. the first @handle in the text that is a known brand (any non-inbound author in the file,
       matched case-insensitively);
    3. the brand whose tweet this one replies to;
    4. the first @handle in the text, whoever it is.
    A tweet with none of these, or one that fails Mention validation, becomes a TwcsSkip.
    The file is read twice (index, then mentions) so memory stays at the index, not the rows.
    """
    index = _index(path)
    for tweet in read_twcs(path):
        if not tweet.inbound:
            continue
        brand = _addressed_brand(tweet, index)
        if brand is None:
            yield TwcsSkip(tweet.tweet_id, "no brand: no brand reply, no @handle, not a reply to a brand tweet")
            continue
        try:
            yield Mention(
                id=Mention.make_id(Channel.TWITTER, tweet.tweet_id),
                channel=Channel.TWITTER,
                native_id=tweet.tweet_id,
                author=Author(handle=tweet.author_id, id=tweet.author_id),
                text=tweet.text,
                created_at=tweet.created_at,
                brand_account=brand,
                in_reply_to_id=tweet.in_response_to_tweet_id,
                metadata={"source": "twcs"},
            )
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, error['loc']))}: {error['msg']}" for error in exc.errors())
            yield TwcsSkip(tweet.tweet_id, f"invalid mention: {problems}")


def _addressed_brand(tweet: TwcsTweet, index: _TwcsIndex) -> str | None:
    earliest_reply = index.earliest_reply(tweet.tweet_id)
    if earliest_reply is not None:
        return earliest_reply.brand
    handles = _HANDLE_RE.findall(tweet.text)
    for handle in handles:
        brand = index.brands_by_lowercase.get(handle.lower())
        if brand is not None:
            return brand
    if tweet.in_response_to_tweet_id is not None:
        brand = index.brand_of_tweet.get(tweet.in_response_to_tweet_id)
        if brand is not None:
            return brand
    return handles[0] if handles else None


# ------------------------------------------------------------------------------------------- responses


def twcs_responses(path: StrPath) -> Iterator[Response]:
    """Yield a Response for every brand reply that answers an inbound tweet of the file, in file order.

    mention_id is 'twitter:<customer tweet id>'; team and responder are the brand's author_id (the file
    has no teams); kind is FIRST_REPLY for the earliest reply to that tweet (ties: file order) and REPLY
    for the others.
    """
    index = _index(path)
    first_reply_ids = {
        reply.tweet_id for tweet_id in index.replies_by_inbound_tweet if (reply := index.earliest_reply(tweet_id))
    }
    for tweet in read_twcs(path):
        answered_tweet_id = tweet.in_response_to_tweet_id
        if tweet.inbound or answered_tweet_id is None or answered_tweet_id not in index.inbound_created_at:
            continue
        yield Response(
            mention_id=Mention.make_id(Channel.TWITTER, answered_tweet_id),
            team=tweet.author_id,
            responder=tweet.author_id,
            responded_at=tweet.created_at,
            kind=ResponseKind.FIRST_REPLY if tweet.tweet_id in first_reply_ids else ResponseKind.REPLY,
        )


def first_response_minutes_by_brand(path: StrPath) -> dict[str, tuple[int, float]]:
    """Per brand: (answered inbound tweets, median first-response minutes), most answered first.

    Definition (reproduces the independent figures in shared/data/README.md exactly):
    - an answered tweet is an inbound tweet of the file that at least one row with inbound=False and
      in_response_to_tweet_id equal to its tweet_id answers; that reply must itself be in the file;
    - its first response is the earliest such reply by created_at (ties: file order), whoever the
      brand; first-response minutes = (that reply's created_at - the tweet's created_at) / 60 s,
      unrounded (seconds resolution, so never negative in this data but not clamped either);
    - the tweet counts for the brand that wrote that earliest reply;
    - the median is statistics.median over that brand's answered tweets (mean of the middle two
      for an even count). Round to 2 decimals to compare with the README.
    """
    index = _index(path)
    minutes_by_brand: dict[str, list[float]] = {}
    for tweet_id, created_at in index.inbound_created_at.items():
        reply = index.earliest_reply(tweet_id)
        if reply is not None:
            minutes = (reply.created_at - created_at).total_seconds() / 60
            minutes_by_brand.setdefault(reply.brand, []).append(minutes)
    ranked = sorted(minutes_by_brand.items(), key=lambda item: (-len(item[1]), item[0]))
    return {brand: (len(minutes), statistics.median(minutes)) for brand, minutes in ranked}
