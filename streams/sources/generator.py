"""A seeded generator of realistic brand mentions, for the demo and benchmarks.

``generate(count, seed)`` yields the bytes a set of channel connectors would produce to the raw topic:
mostly valid Mention JSON (byte-for-byte what ``Mention.model_dump_json()`` writes), plus connector
redeliveries, cross-posts, reshares, thread replies, and a few malformed or invalid records so the
dead-letter path is exercised. Each record says what the generator meant it to be (``kind``) and, for
evaluation, the language, intent and urgency it was written with. Same arguments, same bytes.

Speed: values are built as plain dicts and serialised with orjson (no pydantic per record); the unit
tests check that every valid record validates and round-trips through Mention unchanged.
"""

from __future__ import annotations

import string
from bisect import bisect
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from itertools import accumulate
from random import Random
from typing import Generic, TypeVar

import orjson

from schemas.mention import Channel
from streams.sources._vocabulary import (
    AMOUNTS,
    BRANDS,
    EMAIL_FRAMES,
    EMOJI_BY_INTENT,
    FIRST_NAMES,
    INFLUENCERS,
    LANGUAGE_WEIGHTS,
    LAST_NAMES,
    SECTOR_GROUPS,
    SPAM,
    SPAM_ACCOUNTS,
    SUBREDDITS,
    TEMPLATES,
    THREAD_REPLIES,
    URGENCY_CUES,
    Brand,
)

_T = TypeVar("_T")

DEFAULT_START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


class RecordKind(StrEnum):
    MENTION = "mention"  # a new post starting a thread (or standing alone)
    REPLY = "reply"  # a new post replying in an earlier post's thread
    EXACT_DUPLICATE = "exact_duplicate"  # an earlier record's bytes again: connector redelivery
    CROSS_POST = "cross_post"  # same author (linked handle) and text, another channel, shortly after
    RESHARE = "reshare"  # 'RT @author: text' by someone else, reshare_of_id = the original
    MALFORMED = "malformed"  # bytes that are not a JSON document (garbage, truncated, not UTF-8)
    INVALID = "invalid"  # JSON that is not a valid Mention


VALID_KINDS = frozenset(
    {RecordKind.MENTION, RecordKind.REPLY, RecordKind.EXACT_DUPLICATE, RecordKind.CROSS_POST, RecordKind.RESHARE}
)
DEAD_LETTER_KINDS = frozenset({RecordKind.MALFORMED, RecordKind.INVALID})


@dataclass(frozen=True, slots=True)
class GeneratedRecord:
    """One record for the raw topic, and what the generator meant it to be."""

    key: bytes  # the (intended) mention id, UTF-8
    value: bytes
    kind: RecordKind
    language: str | None = None  # language the text was written in
    intent: str | None = None  # e.g. 'complaint/refund', 'question', 'spam/crypto', 'follow_up'
    urgency: str | None = None  # 'legal', 'cancel' or 'safety' when an urgency cue was added
    defect: str | None = None  # for malformed/invalid records: what is wrong with them


def start_ending_now(count: int, mean_gap_seconds: float = 0.5) -> datetime:
    """A ``start`` from which ``count`` records end about now, so a live stream is never dated ahead of the clock
    (the router dead-letters such records: ``streams.event_time``)."""
    return datetime.now(UTC) - timedelta(seconds=count * mean_gap_seconds)


def generate(
    count: int,
    seed: int = 7,
    start: datetime | None = None,
    mean_gap_seconds: float = 0.5,
    *,
    duplicate_fraction: float = 0.03,
    cross_post_fraction: float = 0.02,
    reshare_fraction: float = 0.02,
    bad_fraction: float = 0.005,
    reply_fraction: float = 0.12,
) -> Iterator[GeneratedRecord]:
    """Yield ``count`` records; created_at advances from ``start`` by exponential gaps.

    Fractions are of all records (reply_fraction: of new posts on threaded channels). bad_fraction is
    split evenly between malformed and invalid records. A duplicate, cross-post or reshare needs an
    earlier post to copy, so the very first records are always new posts.
    """
    if count < 0:
        raise ValueError("count must be >= 0")
    if mean_gap_seconds < 0:
        raise ValueError("mean_gap_seconds must be >= 0")
    fractions = (duplicate_fraction, cross_post_fraction, reshare_fraction, bad_fraction)
    if any(not 0 <= fraction <= 1 for fraction in (*fractions, reply_fraction)) or sum(fractions) > 1:
        raise ValueError("fractions must lie in [0, 1] and the record fractions must sum to at most 1")
    start = DEFAULT_START if start is None else start
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    factory = _MentionFactory(
        Random(seed),
        start.astimezone(UTC),
        mean_gap_seconds,
        fractions=(bad_fraction, duplicate_fraction, cross_post_fraction, reshare_fraction),
        reply_fraction=reply_fraction,
    )
    return (factory.next_record() for _ in range(count))


# ------------------------------------------------------------------------------------------ channels


class _Weighted(Generic[_T]):
    """Fast weighted choice: one random() and a bisect."""

    __slots__ = ("_cumulative", "_items", "_total")

    def __init__(self, weights: Mapping[_T, float]) -> None:
        self._items = tuple(weights)
        self._cumulative = tuple(accumulate(weights.values()))
        self._total = self._cumulative[-1]

    def pick(self, rng: Random) -> _T:
        return self._items[bisect(self._cumulative, rng.random() * self._total)]


_CHANNEL_WEIGHTS: dict[Channel, float] = {
    Channel.TWITTER: 40,
    Channel.FACEBOOK: 12,
    Channel.INSTAGRAM: 10,
    Channel.TIKTOK: 6,
    Channel.REDDIT: 6,
    Channel.YOUTUBE: 5,
    Channel.REVIEW: 5,
    Channel.LINKEDIN: 4,
    Channel.WEB_FORM: 3,
    Channel.CHAT: 3,
    Channel.EMAIL: 3,
    Channel.BLOG: 2,
    Channel.OTHER: 1,
}
# Text addresses the brand as '@Brand' here.
_AT_CHANNELS = frozenset({Channel.TWITTER, Channel.INSTAGRAM, Channel.TIKTOK})
# Third-party spaces where a post names the brand up front ("AcmeAir: ...").
_NAMING_CHANNELS = frozenset({Channel.REDDIT, Channel.YOUTUBE, Channel.BLOG, Channel.OTHER})
_PUBLIC_SOCIAL = frozenset(
    {
        Channel.TWITTER,
        Channel.FACEBOOK,
        Channel.INSTAGRAM,
        Channel.TIKTOK,
        Channel.REDDIT,
        Channel.YOUTUBE,
        Channel.LINKEDIN,
    }
)
_THREAD_CHANNELS = _PUBLIC_SOCIAL | {Channel.EMAIL, Channel.CHAT}
_RESHARE_CHANNELS = frozenset({Channel.TWITTER, Channel.FACEBOOK, Channel.LINKEDIN, Channel.TIKTOK})
# Channels whose handle is an e-mail address; they know nothing about followers.
_EMAIL_HANDLE_CHANNELS = frozenset({Channel.EMAIL, Channel.WEB_FORM, Channel.CHAT})
# Channels people link to each other (a connector's "same person elsewhere"), weighted.
_LINKABLE_CHANNEL_WEIGHTS: dict[Channel, float] = {
    Channel.TWITTER: 5,
    Channel.INSTAGRAM: 4,
    Channel.FACEBOOK: 4,
    Channel.TIKTOK: 2,
    Channel.LINKEDIN: 2,
    Channel.REDDIT: 1,
    Channel.YOUTUBE: 1,
}


@dataclass(frozen=True, slots=True, eq=False)
class _ChannelTraits:
    """A channel and how it behaves, looked up once: per record the generator tests these flags and
    compares with ``is``, because hashing enum members (a Python-level __hash__) dominated the profile."""

    id: Channel
    name: str
    at_brand: bool
    names_brand_first: bool
    public_social: bool
    threaded: bool
    reshareable: bool
    email_handle: bool


_TRAITS: dict[Channel, _ChannelTraits] = {
    channel: _ChannelTraits(
        id=channel,
        name=channel.value,
        at_brand=channel in _AT_CHANNELS,
        names_brand_first=channel in _NAMING_CHANNELS,
        public_social=channel in _PUBLIC_SOCIAL,
        threaded=channel in _THREAD_CHANNELS,
        reshareable=channel in _RESHARE_CHANNELS,
        email_handle=channel in _EMAIL_HANDLE_CHANNELS,
    )
    for channel in Channel
}
_LINKABLE_CHANNELS = _Weighted({_TRAITS[channel]: weight for channel, weight in _LINKABLE_CHANNEL_WEIGHTS.items()})
_EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example")
_TWITTER_EPOCH_MS = 1_288_834_974_657
_BASE62 = string.digits + string.ascii_letters
_BASE36 = string.digits + string.ascii_lowercase

# Intents of new posts; spam only where spammers post.
_SOCIAL_INTENT_WEIGHTS = {"complaint": 44, "question": 17, "praise": 12, "venting": 9, "ask_others": 8, "spam": 10}
_PRIVATE_INTENT_WEIGHTS = {"complaint": 55, "question": 30, "praise": 10, "venting": 5}
_URGENCY_RATE = {"complaint": 0.12, "venting": 0.06}
_URGENCY_WEIGHTS = {"legal": 35, "cancel": 45, "safety": 20}
_SAFETY_SECTORS = frozenset({"airline", "ride", "cafe", "grocery", "delivery"})
_SPAM_WEIGHTS = {"link": 4, "crypto": 4, "follower": 2}
_REVIEW_STARS = {"complaint": (1, 1, 1, 2), "venting": (1, 1, 2), "question": (3, 4), "praise": (4, 5, 5, 5)}

_PEOPLE = 6000
_RECENT_RECORDS = 500  # redeliveries repeat one of the last few hundred records
_RECENT_POSTS = 200  # cross-posts and reshares follow their original closely
_THREAD_PARENTS = 40  # per channel


# ------------------------------------------------------------------------------------------- people


@dataclass(slots=True)
class _Person:
    language: str
    handle: str  # base handle, [a-z0-9_]
    first_name: str
    display_name: str
    review_name: str  # how review sites show people: "Maria G."
    followers: int
    verified: bool
    linked_channels: tuple[_ChannelTraits, ...]
    numeric_id: int
    email_domain: str
    _authors: dict[_ChannelTraits, dict[str, object]] = field(default_factory=dict)

    def handle_on(self, channel: _ChannelTraits) -> str:
        if channel.id is Channel.FACEBOOK:
            return self.handle.replace("_", ".")
        if channel.id is Channel.LINKEDIN:
            return self.handle.replace("_", "-")
        if channel.email_handle:
            return f"{self.handle.replace('_', '.')}@{self.email_domain}"
        if channel.id is Channel.REVIEW:
            return self.review_name
        if channel.id is Channel.BLOG:
            return f"{self.handle.replace('_', '')}.blog.example"
        return self.handle

    def author_on(self, channel: _ChannelTraits) -> dict[str, object]:
        """The Author JSON object (field order as in schemas.Author), built once per channel."""
        author = self._authors.get(channel)
        if author is None:
            public = not channel.email_handle and channel.id is not Channel.REVIEW
            linked = [f"{other.name}:{self.handle_on(other)}" for other in self.linked_channels if other is not channel]
            author = {
                "handle": self.handle_on(channel),
                "id": str((self.numeric_id * 31 + len(channel.name)) % 10**18) if public else None,
                "display_name": self.display_name,
                "followers": self.followers if public else 0,
                "verified": self.verified and public,
                "linked_handles": linked,
            }
            self._authors[channel] = author
        return author


def _heavy_tailed_followers(rng: Random) -> int:
    # Pareto tail: median a few dozen, a few accounts in the tens of thousands.
    return min(int(20 * (rng.paretovariate(1.1) - 1)) + rng.randrange(40), 5_000_000)


def _linked_channels(rng: Random) -> tuple[_ChannelTraits, ...]:
    if rng.random() >= 0.35:
        return ()
    wanted = 2 if rng.random() < 0.7 else 3
    chosen: list[_ChannelTraits] = []
    while len(chosen) < wanted:
        channel = _LINKABLE_CHANNELS.pick(rng)
        if channel not in chosen:
            chosen.append(channel)
    return tuple(chosen)


def _unique_handle(rng: Random, wanted: str, taken: set[str]) -> str:
    handle = wanted[:15]
    while handle in taken:
        handle = f"{wanted[:11]}{rng.randrange(10_000)}"
    taken.add(handle)
    return handle


def _build_people(rng: Random) -> dict[str, list[_Person]]:
    taken: set[str] = set()
    total_weight = sum(LANGUAGE_WEIGHTS.values())
    people: dict[str, list[_Person]] = {}
    for language, weight in LANGUAGE_WEIGHTS.items():
        firsts, lasts = FIRST_NAMES[language], LAST_NAMES[language]
        speakers: list[_Person] = []
        for _ in range(max(80, int(_PEOPLE * weight / total_weight))):
            (first, first_ascii), (last, last_ascii) = rng.choice(firsts), rng.choice(lasts)
            year = rng.randrange(60, 100) if rng.random() < 0.5 else rng.randrange(0, 10)
            wanted = rng.choice(
                (
                    f"{first_ascii}_{last_ascii}",
                    f"{first_ascii}{last_ascii}{year:02d}",
                    f"{first_ascii}{last_ascii[0]}{year:02d}",
                    f"{first_ascii}_{year:02d}",
                    f"the{first_ascii}{last_ascii[0]}",
                )
            )
            followers = _heavy_tailed_followers(rng)
            speakers.append(
                _Person(
                    language=language,
                    handle=_unique_handle(rng, wanted, taken),
                    first_name=first,
                    display_name=f"{first} {last}" if rng.random() < 0.8 else first,
                    review_name=f"{first} {last[0]}.",
                    followers=followers,
                    verified=followers >= 50_000 and rng.random() < 0.6,
                    linked_channels=_linked_channels(rng),
                    numeric_id=rng.randrange(10**9, 10**18),
                    email_domain=rng.choice(_EMAIL_DOMAINS),
                )
            )
        people[language] = speakers
    return people


def _build_influencers(rng: Random) -> dict[str, list[_Person]]:
    influencers: dict[str, list[_Person]] = {}
    for handle, display_name, language, followers in INFLUENCERS:
        influencers.setdefault(language, []).append(
            _Person(
                language=language,
                handle=handle,
                first_name=display_name.split()[0],
                display_name=display_name,
                review_name=display_name,
                followers=followers,
                verified=True,
                linked_channels=(_TRAITS[Channel.TWITTER], _TRAITS[Channel.INSTAGRAM], _TRAITS[Channel.YOUTUBE]),
                numeric_id=rng.randrange(10**9, 10**18),
                email_domain="example.com",
            )
        )
    return influencers


def _build_spammers(rng: Random) -> list[_Person]:
    return [
        _Person(
            language="en",
            handle=f"{handle}{rng.randrange(100, 10_000)}",
            first_name=display_name,
            display_name=display_name,
            review_name=display_name,
            followers=rng.randrange(0, 300),
            verified=False,
            linked_channels=(),
            numeric_id=rng.randrange(10**9, 10**18),
            email_domain="mail.example",
        )
        for handle, display_name in SPAM_ACCOUNTS
    ]


# ---------------------------------------------------------------------------------------- templates


@dataclass(frozen=True, slots=True)
class _Template:
    text: str
    slots: tuple[str, ...]

    @property
    def names_brand(self) -> bool:
        return "brand" in self.slots


def _template(text: str) -> _Template:
    slots = tuple(name for _, name, _, _ in string.Formatter().parse(text) if name)
    return _Template(text, slots)


# (language, sector, intent) -> ((label, templates), ...): pick a label (topic) first, then a template,
# so each complaint topic is equally likely however many sentences it has.
_TemplateBook = dict[tuple[str, str, str], tuple[tuple[str, tuple[_Template, ...]], ...]]


def _sectors_of(tag: str | None) -> frozenset[str]:
    all_sectors = frozenset(brand.sector for brand in BRANDS)
    if tag is None:
        return all_sectors
    sectors: set[str] = set()
    for part in tag.split("+"):
        sectors.update(SECTOR_GROUPS.get(part, (part,)))
    return frozenset(sectors)


def _build_template_book() -> _TemplateBook:
    grouped: dict[tuple[str, str, str], dict[str, list[_Template]]] = {}
    for language, keyed_templates in TEMPLATES.items():
        for key, texts in keyed_templates.items():
            label, _, tag = key.partition("@")
            intent = label.split("/")[0]
            for sector in sorted(_sectors_of(tag or None)):
                topics = grouped.setdefault((language, sector, intent), {})
                topics.setdefault(label, []).extend(_template(text) for text in texts)
    book: _TemplateBook = {}
    for book_key, topics in grouped.items():
        if book_key[2] == "complaint":
            book[book_key] = tuple((label, tuple(templates)) for label, templates in topics.items())
        else:  # one pool per intent: sector-specific and generic sentences mixed
            merged = tuple(template for templates in topics.values() for template in templates)
            book[book_key] = ((book_key[2], merged),)
    return book


_TEMPLATE_BOOK = _build_template_book()
_THREAD_TEMPLATES = {
    (language, label): tuple(_template(text) for text in texts)
    for language, labelled in THREAD_REPLIES.items()
    for label, texts in labelled.items()
}
_SPAM_TEMPLATES = {
    (language, label): tuple(_template(text) for text in texts)
    for language, labelled in SPAM.items()
    for label, texts in labelled.items()
}


# -------------------------------------------------------------------------------------------- posts


@dataclass(slots=True)  # not frozen: a frozen __init__ costs microseconds per record
class _Post:
    """A valid mention already produced, remembered so that later records can refer to it."""

    channel: _ChannelTraits
    native_id: str
    conversation_id: str | None
    person: _Person
    brand: Brand
    text: str
    language: str
    intent: str
    urgency: str | None
    metadata: dict[str, str | int]


class _MentionFactory:
    def __init__(
        self,
        rng: Random,
        start_utc: datetime,
        mean_gap_seconds: float,
        *,
        fractions: tuple[float, float, float, float],
        reply_fraction: float,
    ) -> None:
        self._rng = rng
        self._start_naive = start_utc.replace(tzinfo=None)  # isoformat() of a naive UTC time + 'Z'
        self._start_unix_ms = start_utc.timestamp() * 1000
        self._mean_gap_ms = mean_gap_seconds * 1000
        self._elapsed_ms = 0.0
        self._seq = 0
        # Cumulative thresholds on one random() per record: bad, duplicate, cross-post, reshare.
        self._thresholds = tuple(accumulate(fractions))
        self._reply_fraction = reply_fraction

        self._channels = _Weighted({traits: _CHANNEL_WEIGHTS.get(channel, 1.0) for channel, traits in _TRAITS.items()})
        self._languages = _Weighted(LANGUAGE_WEIGHTS)
        self._brands = _Weighted({brand: brand.weight for brand in BRANDS})
        self._social_intents = _Weighted(_SOCIAL_INTENT_WEIGHTS)
        self._private_intents = _Weighted(_PRIVATE_INTENT_WEIGHTS)
        self._urgencies = _Weighted(_URGENCY_WEIGHTS)
        self._spam_kinds = _Weighted(_SPAM_WEIGHTS)

        self._people = _build_people(rng)
        self._influencers = _build_influencers(rng)
        self._spammers = _build_spammers(rng)
        self._videos = {brand.account: [self._random_id(11) for _ in range(3)] for brand in BRANDS}

        self._recent_records: deque[GeneratedRecord] = deque(maxlen=_RECENT_RECORDS)
        self._cross_postable: deque[_Post] = deque(maxlen=_RECENT_POSTS)
        self._reshareable: deque[_Post] = deque(maxlen=_RECENT_POSTS)
        self._thread_parents: dict[_ChannelTraits, deque[_Post]] = {
            traits: deque(maxlen=_THREAD_PARENTS) for traits in _TRAITS.values() if traits.threaded
        }

    # ------------------------------------------------------------------ dispatch

    def next_record(self) -> GeneratedRecord:
        roll = self._rng.random()
        bad, duplicate, cross_post, reshare = self._thresholds
        if roll < duplicate and roll >= bad and self._recent_records:
            return self._exact_duplicate()  # a redelivery: the clock does not move
        self._elapsed_ms += self._rng.expovariate(1 / self._mean_gap_ms) if self._mean_gap_ms else 0.0
        if roll < bad:
            return self._malformed() if roll < bad / 2 else self._invalid()
        if duplicate <= roll < cross_post and self._cross_postable:
            return self._cross_post()
        if cross_post <= roll < reshare and self._reshareable:
            return self._reshare()
        return self._new_post()

    # ------------------------------------------------------------------ record kinds

    def _new_post(self) -> GeneratedRecord:
        rng = self._rng
        channel = self._channels.pick(rng)
        parents = self._thread_parents.get(channel)
        if parents and rng.random() < self._reply_fraction:
            return self._reply(_pick(rng, parents))
        post = self._compose_root(channel)
        return self._emit(post, RecordKind.MENTION, in_reply_to_id=None)

    def _compose_root(self, channel: _ChannelTraits) -> _Post:
        rng = self._rng
        brand = self._brands.pick(rng)
        intents = self._social_intents if channel.public_social else self._private_intents
        intent = intents.pick(rng)
        if intent == "spam":
            return self._compose_spam(channel, brand)
        language = self._languages.pick(rng)
        person = self._pick_person(language, allow_influencer=channel.public_social)
        label, template = self._pick_template(language, brand.sector, intent)
        brand_form = f"@{brand.account}" if channel.at_brand else brand.account
        body = self._fill(template, language, brand, brand_form)
        urgency = None
        if rng.random() < _URGENCY_RATE.get(intent, 0.0):
            urgency = self._urgencies.pick(rng)
            if urgency == "safety" and brand.sector not in _SAFETY_SECTORS:
                urgency = "cancel"
            body = f"{body} {_pick(rng, URGENCY_CUES[language][urgency])}"
        if channel.public_social and rng.random() < 0.15:
            body = f"{body} {_pick(rng, EMOJI_BY_INTENT[intent])}"
        text = self._frame(channel, body, brand, person, names_brand=template.names_brand)
        native_id = self._native_id(channel, brand, root=True)
        metadata = self._metadata(channel, brand, intent, body)
        conversation_id = self._root_conversation_id(channel, native_id)
        return _Post(channel, native_id, conversation_id, person, brand, text, language, label, urgency, metadata)

    def _compose_spam(self, channel: _ChannelTraits, brand: Brand) -> _Post:
        rng = self._rng
        spam_kind = self._spam_kinds.pick(rng)
        spam_language = "en" if rng.random() < 0.8 else rng.choice(("es", "pt"))
        if (spam_language, spam_kind) not in _SPAM_TEMPLATES:  # not every kind exists in every language
            spam_language = "en"
        templates = _SPAM_TEMPLATES[(spam_language, spam_kind)]
        body = self._fill(_pick(rng, templates), spam_language, brand, brand.account)
        # Spammers tag brands to ride on their reach.
        text = f"@{brand.account} {body}" if channel.at_brand else body
        native_id = self._native_id(channel, brand, root=True)
        return _Post(
            channel,
            native_id,
            self._root_conversation_id(channel, native_id),
            _pick(rng, self._spammers),
            brand,
            text,
            spam_language,
            f"spam/{spam_kind}",
            None,
            self._metadata(channel, brand, "spam", body),
        )

    def _reply(self, parent: _Post) -> GeneratedRecord:
        rng = self._rng
        channel, brand, language = parent.channel, parent.brand, parent.language
        # E-mail and chat threads are private: only their author writes again.
        same_author = not channel.public_social or rng.random() < 0.55
        label = "follow_up" if same_author else "me_too"
        person = parent.person if same_author else self._pick_other_person(language, parent.person)
        template = _pick(rng, _THREAD_TEMPLATES[(language, label)])
        body = self._fill(template, language, brand, brand.account)
        if channel.at_brand:
            # Replies to someone else start with their handle, as the channel pre-fills it.
            at_parent = "" if same_author else f"@{parent.person.handle_on(channel)} "
            body = f"{at_parent}@{brand.account} {body}"
        text = self._frame(channel, body, brand, person, names_brand=True)
        metadata = dict(parent.metadata)
        if channel.id is Channel.EMAIL:
            metadata["subject"] = f"Re: {parent.metadata.get('subject', '')}".strip()
        post = _Post(
            channel,
            self._native_id(channel, brand, root=False),
            parent.conversation_id or parent.native_id,
            person,
            brand,
            text,
            language,
            label,
            None,
            metadata,
        )
        return self._emit(post, RecordKind.REPLY, in_reply_to_id=parent.native_id)

    def _cross_post(self) -> GeneratedRecord:
        rng = self._rng
        original = _pick(rng, self._cross_postable)
        targets = [channel for channel in original.person.linked_channels if channel is not original.channel]
        channel = rng.choice(targets)
        native_id = self._native_id(channel, original.brand, root=True)
        post = _Post(
            channel,
            native_id,
            self._root_conversation_id(channel, native_id),
            original.person,
            original.brand,
            original.text,
            original.language,
            original.intent,
            original.urgency,
            self._metadata(channel, original.brand, original.intent.split("/")[0], original.text),
        )
        return self._emit(post, RecordKind.CROSS_POST, in_reply_to_id=None)

    def _reshare(self) -> GeneratedRecord:
        rng = self._rng
        original = _pick(rng, self._reshareable)
        person = self._pick_other_person(original.language, original.person)
        native_id = self._native_id(original.channel, original.brand, root=True)
        post = _Post(
            original.channel,
            native_id,
            self._root_conversation_id(original.channel, native_id),
            person,
            original.brand,
            f"RT @{original.person.handle_on(original.channel)}: {original.text}",
            original.language,
            original.intent,
            original.urgency,
            {},
        )
        return self._emit(post, RecordKind.RESHARE, in_reply_to_id=None, reshare_of_id=original.native_id)

    def _exact_duplicate(self) -> GeneratedRecord:
        original = _pick(self._rng, self._recent_records)
        return GeneratedRecord(
            original.key,
            original.value,
            RecordKind.EXACT_DUPLICATE,
            original.language,
            original.intent,
            original.urgency,
        )

    def _malformed(self) -> GeneratedRecord:
        rng = self._rng
        post = self._compose_root(self._channels.pick(rng))
        mention_id = f"{post.channel.name}:{post.native_id}"
        valid = orjson.dumps(self._mention_object(post, mention_id, in_reply_to_id=None, reshare_of_id=None))
        defect = rng.choice(("not_json", "truncated_json", "non_utf8"))
        if defect == "not_json":
            value = rng.choice((b"<html><body><h1>502 Bad Gateway</h1></body></html>", post.text.encode()))
        elif defect == "truncated_json":
            value = valid[: rng.randrange(1, len(valid) - 1)]  # never the closing brace
        else:  # a Latin-1 byte where UTF-8 is required
            value = valid.replace(b'"text":"', b'"text":"\xe9', 1)
        return GeneratedRecord(mention_id.encode(), value, RecordKind.MALFORMED, defect=defect)

    def _invalid(self) -> GeneratedRecord:
        rng = self._rng
        post = self._compose_root(self._channels.pick(rng))
        mention_id = f"{post.channel.name}:{post.native_id}"
        mention = self._mention_object(post, mention_id, in_reply_to_id=None, reshare_of_id=None)
        defect = rng.choice(("missing_field", "naive_datetime", "unknown_channel", "empty_handle"))
        if defect == "missing_field":
            del mention[rng.choice(("brand_account", "created_at", "author", "channel", "native_id"))]
        elif defect == "naive_datetime":
            mention["created_at"] = str(mention["created_at"]).removesuffix("Z")
        elif defect == "unknown_channel":
            mention["channel"] = "myspace"
        else:
            mention["author"] = {**post.person.author_on(post.channel), "handle": ""}
        return GeneratedRecord(mention_id.encode(), orjson.dumps(mention), RecordKind.INVALID, defect=defect)

    # ------------------------------------------------------------------ emitting

    def _emit(
        self, post: _Post, kind: RecordKind, *, in_reply_to_id: str | None, reshare_of_id: str | None = None
    ) -> GeneratedRecord:
        mention_id = f"{post.channel.name}:{post.native_id}"
        value = orjson.dumps(self._mention_object(post, mention_id, in_reply_to_id, reshare_of_id))
        record = GeneratedRecord(mention_id.encode(), value, kind, post.language, post.intent, post.urgency)
        self._recent_records.append(record)
        if kind is RecordKind.REPLY or kind is RecordKind.MENTION:
            is_spam = post.intent.startswith("spam")
            if post.channel.threaded and not is_spam:
                self._thread_parents[post.channel].append(post)
            # Only thread starters get cross-posted or reshared ("Any update?" alone says nothing).
            if kind is RecordKind.MENTION and post.channel in post.person.linked_channels:
                self._cross_postable.append(post)
            if kind is RecordKind.MENTION and post.channel.reshareable and not is_spam:
                self._reshareable.append(post)
        return record

    def _mention_object(
        self, post: _Post, mention_id: str, in_reply_to_id: str | None, reshare_of_id: str | None
    ) -> dict[str, object]:
        # Field order and formats as Mention.model_dump_json() writes them, so bytes round-trip.
        return {
            "id": mention_id,
            "channel": post.channel.name,
            "native_id": post.native_id,
            "author": post.person.author_on(post.channel),
            "text": post.text,
            "created_at": self._created_at(),
            "brand_account": post.brand.account,
            "url": self._url(post),
            "in_reply_to_id": in_reply_to_id,
            "reshare_of_id": reshare_of_id,
            "conversation_id": post.conversation_id,
            "metadata": post.metadata,
        }

    def _created_at(self) -> str:
        moment = self._start_naive + timedelta(milliseconds=round(self._elapsed_ms))
        return moment.isoformat() + "Z"

    # ------------------------------------------------------------------ pieces

    def _pick_person(self, language: str, *, allow_influencer: bool) -> _Person:
        rng = self._rng
        if allow_influencer and rng.random() < 0.01 and language in self._influencers:
            return _pick(rng, self._influencers[language])
        speakers = self._people[language]
        return speakers[int(len(speakers) * rng.random() ** 2)]  # a few people post a lot

    def _pick_other_person(self, language: str, not_this_one: _Person) -> _Person:
        person = self._pick_person(language, allow_influencer=True)
        while person is not_this_one:  # the busiest posters are picked often; try again
            person = self._pick_person(language, allow_influencer=True)
        return person

    def _pick_template(self, language: str, sector: str, intent: str) -> tuple[str, _Template]:
        label, templates = _pick(self._rng, _TEMPLATE_BOOK[(language, sector, intent)])
        return label, _pick(self._rng, templates)

    def _fill(self, template: _Template, language: str, brand: Brand, brand_form: str) -> str:
        if not template.slots:
            return template.text
        rng = self._rng
        values: dict[str, str] = {}
        for slot in template.slots:
            if slot == "brand":
                values[slot] = brand_form
            elif slot == "hours":
                values[slot] = str(rng.randrange(2, 30))
            elif slot == "days":
                values[slot] = str(rng.randrange(2, 22))
            elif slot == "minutes":
                values[slot] = str(rng.randrange(20, 95, 5))
            elif slot == "amount":
                values[slot] = _pick(rng, AMOUNTS[language])
            elif slot == "ref":
                values[slot] = f"{brand.ref_prefix}{rng.randrange(10 ** (brand.ref_digits - 1), 10**brand.ref_digits)}"
            elif slot == "link":
                values[slot] = f"https://bit.ly/{self._random_id(7)}"
            else:
                raise KeyError(f"template slot {{{slot}}} has no filler")
        return template.text.format_map(values)

    def _frame(self, channel: _ChannelTraits, body: str, brand: Brand, person: _Person, *, names_brand: bool) -> str:
        """Shape a sentence the way the channel carries it."""
        if channel.at_brand:
            if names_brand:
                return body
            return f"@{brand.account} {body}" if self._rng.random() < 0.8 else f"{body} @{brand.account}"
        if channel.names_brand_first and not names_brand:
            return f"{brand.account}: {body}"
        if channel.id is Channel.EMAIL:
            greeting, sign_off = EMAIL_FRAMES[person.language]
            return f"{greeting.format(brand=brand.account)}\n\n{body}\n\n{sign_off}\n{person.first_name}"
        return body

    def _metadata(self, channel: _ChannelTraits, brand: Brand, intent: str, body: str) -> dict[str, str | int]:
        rng = self._rng
        if channel.id is Channel.REVIEW:
            return {"rating": rng.choice(_REVIEW_STARS.get(intent, (5,))), "site": "reviews.example.com"}
        if channel.id is Channel.EMAIL:
            return {"subject": body.split(". ", maxsplit=1)[0][:60]}
        if channel.id is Channel.REDDIT:
            return {"subreddit": f"r/{brand.account}" if rng.random() < 0.6 else rng.choice(SUBREDDITS)}
        if channel.id is Channel.YOUTUBE:
            return {"video_id": rng.choice(self._videos[brand.account])}
        if channel.id is Channel.WEB_FORM:
            return {"form": "contact"}
        return {}

    def _url(self, post: _Post) -> str | None:
        channel, native_id = post.channel, post.native_id
        if channel.id is Channel.TWITTER:
            return f"https://x.com/{post.person.handle_on(channel)}/status/{native_id}"
        if channel.id is Channel.FACEBOOK:
            page_id, _, post_id = native_id.partition("_")
            return f"https://www.facebook.com/{page_id}/posts/{post_id}"
        if channel.id is Channel.YOUTUBE:
            return f"https://www.youtube.com/watch?v={post.metadata['video_id']}&lc={native_id}"
        if channel.id is Channel.REDDIT:
            thread = (post.conversation_id or native_id).removeprefix("t3_")
            return f"https://www.reddit.com/{post.metadata['subreddit']}/comments/{thread}/"
        if channel.id is Channel.REVIEW:
            return f"https://reviews.example.com/{post.brand.account.lower()}/{native_id}"
        if channel.id is Channel.BLOG:
            return f"https://{post.person.handle_on(channel)}/posts/{native_id}"
        return None

    def _native_id(self, channel: _ChannelTraits, brand: Brand, *, root: bool) -> str:
        """A channel-shaped id, unique within a run (a running sequence number is part of each)."""
        self._seq += 1
        seq = self._seq
        if channel.id is Channel.TWITTER:  # snowflake: milliseconds since the Twitter epoch << 22
            now_ms = int(self._start_unix_ms + self._elapsed_ms)
            return str((max(now_ms - _TWITTER_EPOCH_MS, 0) << 22) | (seq & 0x3FFFFF))
        if channel.id is Channel.FACEBOOK:
            return f"{brand.page_id}_{10**15 + seq}"
        if channel.id is Channel.INSTAGRAM:
            return str(17_841_400_000_000_000 + seq * 7 + self._rng.randrange(7))
        if channel.id is Channel.TIKTOK or channel.id is Channel.LINKEDIN:
            return str(7_260_000_000_000_000_000 + seq * 1000 + self._rng.randrange(1000))
        if channel.id is Channel.YOUTUBE:
            return f"Ugx{_base(seq, _BASE62)}{self._random_id(20)}"
        if channel.id is Channel.REDDIT:  # posts are t3_, comments t1_
            return f"{'t3' if root else 't1'}_{_base(36**6 + seq, _BASE36)}"
        if channel.id is Channel.EMAIL:
            return f"<{seq:x}.{self._rng.getrandbits(40):010x}@mail.example.com>"
        if channel.id is Channel.CHAT:
            return f"msg-{seq:09d}"
        if channel.id is Channel.WEB_FORM:
            return f"WF-{seq:08d}"
        if channel.id is Channel.REVIEW:
            return f"rv{seq:09d}"
        return f"{channel.name}-{seq}"

    def _root_conversation_id(self, channel: _ChannelTraits, native_id: str) -> str | None:
        if channel.id is Channel.TWITTER:  # Twitter's convention: a thread's id is its first tweet's id
            return native_id
        if channel.id is Channel.CHAT:
            return f"sess-{self._rng.getrandbits(48):012x}"
        return None

    def _random_id(self, length: int) -> str:
        rng = self._rng
        return "".join(_BASE62[rng.randrange(62)] for _ in range(length))


def _pick(rng: Random, items: Sequence[_T]) -> _T:
    return items[int(rng.random() * len(items))]


def _base(number: int, alphabet: str) -> str:
    digits = []
    while True:
        number, remainder = divmod(number, len(alphabet))
        digits.append(alphabet[remainder])
        if not number:
            return "".join(reversed(digits))
