"""Input-side sources: the seeded mention generator, the twcs reader and the JSON-lines reader."""

from __future__ import annotations

import io
import statistics
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from pydantic import ValidationError

from schemas.mention import Channel, Mention
from schemas.response import ResponseKind
from streams.event_time import EventTimeBounds
from streams.sources import (
    DEAD_LETTER_KINDS,
    DEFAULT_START,
    VALID_KINDS,
    GeneratedRecord,
    RecordKind,
    TwcsFormatError,
    TwcsSkip,
    first_response_minutes_by_brand,
    generate,
    read_jsonl,
    read_twcs,
    twcs_mentions,
    twcs_responses,
)
from streams.sources._vocabulary import BRANDS, LANGUAGE_WEIGHTS
from streams.sources.generator import start_ending_now

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
TWCS_CSV = SHARED_DATA / "twcs-sample" / "twcs.csv"

SAMPLE_SIZE = 20_000


@pytest.fixture(scope="module")
def sample() -> list[GeneratedRecord]:
    return list(generate(SAMPLE_SIZE))


@pytest.fixture(scope="module")
def valid_mentions(sample: list[GeneratedRecord]) -> list[tuple[GeneratedRecord, Mention]]:
    return [(record, Mention.model_validate_json(record.value)) for record in sample if record.kind in VALID_KINDS]


# ------------------------------------------------------------------------------------------ generator


def test_same_seed_same_records_other_seed_other_records() -> None:
    first = list(generate(3000, seed=3))
    assert first == list(generate(3000, seed=3))
    assert [record.value for record in first] != [record.value for record in generate(3000, seed=4)]


def test_valid_kinds_validate_and_round_trip_byte_for_byte(
    valid_mentions: list[tuple[GeneratedRecord, Mention]],
) -> None:
    assert len(valid_mentions) > SAMPLE_SIZE * 0.98
    for record, mention in valid_mentions:
        assert record.key == mention.id.encode()
        assert mention.id == Mention.make_id(mention.channel, mention.native_id)
        assert mention.model_dump_json().encode() == record.value


def test_dead_letter_kinds_do_not_validate() -> None:
    bad = [record for record in generate(4000, seed=5, bad_fraction=0.2) if record.kind in DEAD_LETTER_KINDS]
    assert {record.defect for record in bad} == {
        "not_json",
        "truncated_json",
        "non_utf8",
        "missing_field",
        "naive_datetime",
        "unknown_channel",
        "empty_handle",
    }
    for record in bad:
        with pytest.raises(ValidationError):
            Mention.model_validate_json(record.value)
        if record.kind is RecordKind.MALFORMED:
            with pytest.raises(orjson.JSONDecodeError):
                orjson.loads(record.value)
        else:
            assert isinstance(orjson.loads(record.value), dict)


def test_mix_matches_default_fractions(sample: list[GeneratedRecord]) -> None:
    kinds = Counter(record.kind for record in sample)
    assert kinds[RecordKind.EXACT_DUPLICATE] == pytest.approx(0.03 * SAMPLE_SIZE, rel=0.2)
    assert kinds[RecordKind.CROSS_POST] == pytest.approx(0.02 * SAMPLE_SIZE, rel=0.2)
    assert kinds[RecordKind.RESHARE] == pytest.approx(0.02 * SAMPLE_SIZE, rel=0.2)
    dead_letters = kinds[RecordKind.MALFORMED] + kinds[RecordKind.INVALID]
    assert dead_letters == pytest.approx(0.005 * SAMPLE_SIZE, rel=0.4)
    assert kinds[RecordKind.MALFORMED] > 0
    assert kinds[RecordKind.INVALID] > 0
    assert kinds[RecordKind.REPLY] > 0.05 * SAMPLE_SIZE
    assert kinds[RecordKind.MENTION] > 0.75 * SAMPLE_SIZE


def test_mix_follows_configured_fractions() -> None:
    kinds = Counter(record.kind for record in generate(SAMPLE_SIZE, seed=9, duplicate_fraction=0, bad_fraction=0.05))
    assert kinds[RecordKind.EXACT_DUPLICATE] == 0
    assert kinds[RecordKind.MALFORMED] + kinds[RecordKind.INVALID] == pytest.approx(0.05 * SAMPLE_SIZE, rel=0.15)


def test_all_channels_languages_and_brands_appear(valid_mentions: list[tuple[GeneratedRecord, Mention]]) -> None:
    channels = Counter(mention.channel for _, mention in valid_mentions)
    assert set(channels) == set(Channel)
    assert channels.most_common(1)[0][0] is Channel.TWITTER
    languages = Counter(record.language for record, _ in valid_mentions)
    assert set(languages) == set(LANGUAGE_WEIGHTS)
    assert languages.most_common(1)[0][0] == "en"
    assert {mention.brand_account for _, mention in valid_mentions} == {brand.account for brand in BRANDS}


def test_texts_are_written_in_their_language_script(valid_mentions: list[tuple[GeneratedRecord, Mention]]) -> None:
    def has_script(text: str, first: int, last: int) -> bool:
        return any(first <= ord(char) <= last for char in text)

    for record, mention in valid_mentions:
        if record.language == "hi":
            assert has_script(mention.text, 0x0900, 0x097F), mention.text
        elif record.language == "ar":
            assert has_script(mention.text, 0x0600, 0x06FF), mention.text


def test_intents_and_urgency_cues_are_mixed(sample: list[GeneratedRecord]) -> None:
    intents = Counter((record.intent or "").split("/")[0] for record in sample if record.kind is RecordKind.MENTION)
    assert {"complaint", "question", "praise", "venting", "ask_others", "spam"} <= set(intents)
    assert intents.most_common(1)[0][0] == "complaint"
    topics = {record.intent for record in sample if record.intent and record.intent.startswith("complaint/")}
    assert topics == {f"complaint/{topic}" for topic in ("delay", "refund", "outage", "lost_parcel", "billing")}
    assert {record.intent for record in sample if record.intent and record.intent.startswith("spam/")} == {
        "spam/link",
        "spam/crypto",
        "spam/follower",
    }
    assert {record.urgency for record in sample} == {None, "legal", "cancel", "safety"}


def test_followers_are_heavy_tailed_with_verified_influencers(
    valid_mentions: list[tuple[GeneratedRecord, Mention]],
) -> None:
    followers = [mention.author.followers for _, mention in valid_mentions]
    assert statistics.median(followers) < 200
    assert max(followers) >= 1_000_000
    influencers = {mention.author.handle for _, mention in valid_mentions if mention.author.verified}
    assert len(influencers) >= 3


def test_duplicates_cross_posts_reshares_and_replies_point_back(
    valid_mentions: list[tuple[GeneratedRecord, Mention]],
) -> None:
    seen_values: set[bytes] = set()
    earlier: dict[tuple[Channel, str], Mention] = {}
    earlier_by_text: dict[str, list[Mention]] = {}
    checked: Counter[RecordKind] = Counter()
    for record, mention in valid_mentions:
        if record.kind is RecordKind.EXACT_DUPLICATE:
            assert record.value in seen_values
        elif record.kind is RecordKind.CROSS_POST:
            originals = [other for other in earlier_by_text[mention.text] if other.channel is not mention.channel]
            assert any(
                f"{original.channel.value}:{original.author.handle}" in mention.author.linked_handles
                and timedelta(0) <= mention.created_at - original.created_at <= timedelta(minutes=30)
                for original in originals
            ), mention
        elif record.kind is RecordKind.RESHARE:
            assert mention.reshare_of_id is not None
            original = earlier[(mention.channel, mention.reshare_of_id)]
            assert mention.text == f"RT @{original.author.handle}: {original.text}"
            assert mention.author.handle != original.author.handle
        elif record.kind is RecordKind.REPLY:
            assert mention.in_reply_to_id is not None
            assert mention.conversation_id is not None
            parent = earlier[(mention.channel, mention.in_reply_to_id)]
            assert parent.brand_account == mention.brand_account
        else:
            assert mention.in_reply_to_id is None
            assert mention.reshare_of_id is None
        assert record.kind is RecordKind.EXACT_DUPLICATE or (mention.channel, mention.native_id) not in earlier
        checked[record.kind] += 1
        seen_values.add(record.value)
        earlier[(mention.channel, mention.native_id)] = mention
        earlier_by_text.setdefault(mention.text, []).append(mention)
    assert set(checked) == VALID_KINDS


def test_created_at_advances_from_start_by_the_mean_gap() -> None:
    start = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    records = list(generate(5000, seed=1, start=start, mean_gap_seconds=2.0, bad_fraction=0))
    times = [Mention.model_validate_json(record.value).created_at for record in records if record.kind in VALID_KINDS]
    assert times[0] >= start
    new_posts = [
        Mention.model_validate_json(record.value).created_at
        for record in records
        if record.kind in (RecordKind.MENTION, RecordKind.REPLY)
    ]
    assert new_posts == sorted(new_posts)
    mean_gap = (new_posts[-1] - start).total_seconds() / len(records)
    assert mean_gap == pytest.approx(2.0, rel=0.1)
    assert Mention.model_validate_json(next(generate(1)).value).created_at >= DEFAULT_START


def test_generate_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        generate(1, start=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="count"):
        generate(-1)
    with pytest.raises(ValueError, match="fractions"):
        generate(1, duplicate_fraction=0.6, bad_fraction=0.6)


# ----------------------------------------------------------------------------------------------- twcs

SYNTHETIC_TWCS = (
    ",tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
    '0,1,AcmeAir,False,Tue Oct 31 22:10:47 +0000 2017,@100 Sorry! DM us.,"3,4",2.0\n'
    "1,2,100,True,Tue Oct 31 22:00:47 +0000 2017,@AcmeAir where is \r\rmy bag,1,\n"
    '2,3,100,True,Tue Oct 31 22:20:00 +0000 2017,"thanks,\nstill waiting",,1.0\n'
    "3,4,AcmeAir,False,Tue Oct 31 22:30:47 +0000 2017,@100 On it.,,2.0\n"
    "4,5,101,True,Tue Oct 31 23:00:00 +0000 2017,no handle here,,\n"
)


@pytest.fixture
def synthetic_twcs(tmp_path: Path) -> Path:
    path = tmp_path / "twcs.csv"
    path.write_bytes(SYNTHETIC_TWCS.encode())
    return path


def test_read_twcs_handles_the_format_quirks(synthetic_twcs: Path) -> None:
    tweets = {tweet.tweet_id: tweet for tweet in read_twcs(synthetic_twcs)}
    assert list(tweets) == ["1", "2", "3", "4", "5"]
    assert tweets["1"].in_response_to_tweet_id == "2"  # saved as '2.0'
    assert tweets["1"].response_tweet_ids == ("3", "4")
    assert tweets["1"].created_at == datetime(2017, 10, 31, 22, 10, 47, tzinfo=UTC)
    assert tweets["2"].text == "@AcmeAir where is \r\rmy bag"  # bare CRs in an unquoted field
    assert tweets["2"].inbound
    assert tweets["2"].in_response_to_tweet_id is None
    assert tweets["3"].text == "thanks,\nstill waiting"


def test_twcs_mentions_and_responses_on_a_small_file(synthetic_twcs: Path) -> None:
    results = list(twcs_mentions(synthetic_twcs))
    mentions = [result for result in results if isinstance(result, Mention)]
    assert [mention.id for mention in mentions] == ["twitter:2", "twitter:3"]
    assert [mention.brand_account for mention in mentions] == ["AcmeAir", "AcmeAir"]
    assert mentions[1].in_reply_to_id == "1"  # brand found through the tweet it replies to
    assert results[-1] == TwcsSkip("5", "no brand: no brand reply, no @handle, not a reply to a brand tweet")
    responses = list(twcs_responses(synthetic_twcs))
    assert [(response.mention_id, response.kind) for response in responses] == [
        ("twitter:2", ResponseKind.FIRST_REPLY),
        ("twitter:2", ResponseKind.REPLY),
    ]
    assert responses[0].team == responses[0].responder == "AcmeAir"
    assert first_response_minutes_by_brand(synthetic_twcs) == {"AcmeAir": (1, 10.0)}


def test_read_twcs_reports_unreadable_rows(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(SYNTHETIC_TWCS.replace("Tue Oct 31 23:00:00 +0000 2017", "yesterday"), encoding="utf-8")
    with pytest.raises(TwcsFormatError, match="line 7"):
        list(read_twcs(path))


@pytest.fixture(scope="module")
def twcs_figures() -> dict[str, tuple[int, float]]:
    return first_response_minutes_by_brand(TWCS_CSV)


@pytest.mark.shared_data
@pytest.mark.skipif(not TWCS_CSV.is_file(), reason=f"shared data absent: {TWCS_CSV}")
class TestTwcsSample:
    def test_rows_and_quirks(self) -> None:
        tweets = {tweet.tweet_id: tweet for tweet in read_twcs(TWCS_CSV)}
        assert len(tweets) == 5000
        assert sum(tweet.inbound for tweet in tweets.values()) == 2778
        assert tweets["1"].in_response_to_tweet_id == "3"
        assert tweets["8"].response_tweet_ids == ("9", "6", "10")
        carriage_returns = tweets["3399"]
        assert carriage_returns.inbound
        assert carriage_returns.author_id == "116510"
        assert carriage_returns.text.startswith("@AskPayPal \r\rI just love the start of email")
        assert carriage_returns.response_tweet_ids == ("3398",)

    def test_every_inbound_tweet_becomes_a_mention_or_a_skip(self) -> None:
        inbound_ids = [tweet.tweet_id for tweet in read_twcs(TWCS_CSV) if tweet.inbound]
        results = list(twcs_mentions(TWCS_CSV))
        mentions = [result for result in results if isinstance(result, Mention)]
        skips = [result for result in results if isinstance(result, TwcsSkip)]
        assert [result.native_id if isinstance(result, Mention) else result.tweet_id for result in results] == (
            inbound_ids
        )
        assert (len(mentions), len(skips)) == (2730, 48)
        assert all(mention.channel is Channel.TWITTER for mention in mentions)
        assert all(mention.id == f"twitter:{mention.native_id}" for mention in mentions)
        by_id = {mention.native_id: mention for mention in mentions}
        assert by_id["8"].brand_account == "sprintcare"
        assert by_id["3399"].brand_account == "AskPayPal"

    @pytest.mark.parametrize(
        ("brand", "answered", "median_minutes"),
        [
            ("ChipotleTweets", 208, 9.85),
            ("AmazonHelp", 187, 8.88),
            ("AppleSupport", 139, 8.95),
            ("Uber_Support", 110, 17.90),
            ("Delta", 87, 20.88),
            ("comcastcares", 78, 8.38),
            ("SpotifyCares", 77, 23.23),
            ("TMobileHelp", 77, 3.38),
            ("British_Airways", 73, 344.13),
            ("AmericanAir", 68, 7.07),
        ],
    )
    def test_first_response_figures_match_the_readme(
        self, twcs_figures: dict[str, tuple[int, float]], brand: str, answered: int, median_minutes: float
    ) -> None:
        count, median = twcs_figures[brand]
        assert (count, round(median, 2)) == (answered, median_minutes)

    def test_first_response_covers_every_answered_tweet(self, twcs_figures: dict[str, tuple[int, float]]) -> None:
        figures = twcs_figures
        assert sum(count for count, _ in figures.values()) == 2083
        assert list(figures)[:3] == ["ChipotleTweets", "AmazonHelp", "AppleSupport"]

    def test_responses(self) -> None:
        responses = list(twcs_responses(TWCS_CSV))
        kinds = Counter(response.kind for response in responses)
        assert kinds == {ResponseKind.FIRST_REPLY: 2083, ResponseKind.REPLY: 105}
        inbound_mention_ids = {f"twitter:{tweet.tweet_id}" for tweet in read_twcs(TWCS_CSV) if tweet.inbound}
        assert {response.mention_id for response in responses} <= inbound_mention_ids
        assert all(response.team == response.responder for response in responses)


# ---------------------------------------------------------------------------------------------- jsonl

MENTION_LINE = next(record.value for record in generate(5) if record.kind is RecordKind.MENTION)
MENTION_ID = orjson.loads(MENTION_LINE)["id"].encode()
JSONL_CONTENT = b"".join(
    [
        MENTION_LINE + b"\n",
        b"\n",
        b"   \n",
        b"not json at all\n",
        b'{"id": 42, "text": "numeric id"}\r\n',
        b'["id", "a list"]\n',
        b'{"id": "caf\xe9"}\n',  # not UTF-8
        b'{"id": "x:1",\r"text": "a bare CR between tokens"}\n',  # JSON whitespace, stays in the value
        b'{"id": "x:2"}',  # no newline at the end
    ]
)
EXPECTED_JSONL = [
    (MENTION_ID, MENTION_LINE),
    (None, b"not json at all"),
    (None, b'{"id": 42, "text": "numeric id"}'),
    (None, b'["id", "a list"]'),
    (None, b'{"id": "caf\xe9"}'),
    (b"x:1", b'{"id": "x:1",\r"text": "a bare CR between tokens"}'),
    (b"x:2", b'{"id": "x:2"}'),
]


def test_read_jsonl_yields_every_non_blank_line_unvalidated(tmp_path: Path) -> None:
    path = tmp_path / "mentions.jsonl"
    path.write_bytes(JSONL_CONTENT)
    assert list(read_jsonl(path)) == EXPECTED_JSONL
    assert list(read_jsonl(str(path))) == EXPECTED_JSONL


def test_read_jsonl_reads_stdin_for_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(JSONL_CONTENT)))
    assert list(read_jsonl("-")) == EXPECTED_JSONL


def test_a_live_stream_ending_now_is_never_dated_ahead_of_the_clock() -> None:
    count = 5000
    latest = max(
        orjson.loads(record.value)["created_at"]
        for record in generate(count, seed=3, start=start_ending_now(count), bad_fraction=0.0)
    )
    ahead = (datetime.fromisoformat(latest) - datetime.now(UTC)).total_seconds()
    assert ahead < EventTimeBounds().max_skew_seconds, "the router would dead-letter the end of the demo"
