"""Unit tests for the cross-domain evaluation: twcs weak labels on tiny files, the figures by hand."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from schemas.enriched import Enrichment, Intent, Sentiment, SentimentLabel
from schemas.mention import Mention
from streams.evaluation import TASKS, render_report, run_eval
from streams.evaluation.cross_domain import complaint_cross_domain, flag_share
from streams.evaluation.datasets import COMPLAINT, NOT_COMPLAINT, UMSAB_LANGUAGES, UmsabRow
from streams.evaluation.twcs import BRAND_INDUSTRY, TWCS_CSV, TwcsTweet, read_twcs, reply_label

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
HEADER = ["", "tweet_id", "author_id", "inbound", "created_at", "text", "response_tweet_id", "in_response_to_tweet_id"]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("@1 Sorry to hear that! Please DM us your order number.", COMPLAINT),
        ("@1 We apologise for the delay ^JK", COMPLAINT),
        ("@1 That's frustrating, let's fix it", COMPLAINT),
        ("@1 Please DM us your account details so we can help", None),
        ("@1 Which station are you travelling from?", NOT_COMPLAINT),
        ("@1 Glad you had fun! Enjoy your burrito", NOT_COMPLAINT),
    ],
)
def test_reply_label(reply: str, expected: str | None) -> None:
    assert reply_label(reply) == expected


def write_twcs(root: Path, rows: list[tuple[str, str, str, str, str]]) -> None:
    path = root / TWCS_CSV
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for index, (tweet_id, author, inbound, text, parent) in enumerate(rows):
            writer.writerow([index, tweet_id, author, inbound, "Tue Oct 31 22:10:47 +0000 2017", text, "", parent])


def test_read_twcs_keeps_answered_openers_with_the_first_reply(tmp_path: Path) -> None:
    write_twcs(
        tmp_path,
        [
            ("1", "115712", "True", "@sprintcare my bill is wrong", ""),
            ("3", "sprintcare", "False", "@115712 Glad to hear it", "1.0"),  # a later reply
            ("2", "sprintcare", "False", "@115712 So sorry about that", "1.0"),  # the first reply
            ("4", "115712", "True", "@sprintcare still wrong", "2.0"),  # not an opener
            ("5", "sprintcare", "False", "@115712 Thanks!", "4.0"),
            ("6", "115713", "True", "@Nobody hello", ""),  # never answered
            ("7", "115714", "True", "@AskNew hi there", ""),
            ("8", "AskNew", "False", "@115714 Hi!", "7.0"),  # a brand outside the industry list
        ],
    )
    tweets = read_twcs(tmp_path)
    assert [(t.tweet_id, t.brand, t.industry, t.label) for t in tweets] == [
        ("1", "sprintcare", "telecom", COMPLAINT),
        ("7", "AskNew", "other", NOT_COMPLAINT),
    ]
    assert tweets[0].reply == "@115712 So sorry about that"


def test_read_twcs_needs_the_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_twcs(tmp_path)


def test_every_listed_brand_has_one_industry() -> None:
    assert "AmericanAir" in BRAND_INDUSTRY
    assert BRAND_INDUSTRY["AmericanAir"] == "airline"
    assert len(set(BRAND_INDUSTRY.values())) == 8


def tweet(industry: str, label: str | None) -> TwcsTweet:
    return TwcsTweet(tweet_id="1", brand="b", industry=industry, text="t", reply="r", label=label)


def test_complaint_cross_domain_figures() -> None:
    tweets = [
        tweet("airline", COMPLAINT),  # flagged: right
        tweet("retail", COMPLAINT),  # flagged: right
        tweet("retail", NOT_COMPLAINT),  # flagged: wrong
        tweet("food", NOT_COMPLAINT),  # not flagged: right
        tweet("food", None),  # unlabelled
    ]
    flags = [True, True, True, False, True]
    english = [UmsabRow("en", "a", "negative"), UmsabRow("en", "b", "neutral")]
    german = [UmsabRow("de", "c", "negative")]
    cross = complaint_cross_domain(tweets, flags, [("english", english, [True, False]), ("german", german, [False])])
    assert cross.unlabelled == 1
    # outside airlines: gold C, N, N; flagged C, C, N -> complaint P 1/2 R 1 F1 2/3; not P 1 R 1/2 F1 2/3
    assert cross.outside_airlines.total == 3
    assert cross.outside_airlines.macro_f1 == pytest.approx(2 / 3)
    assert [industry for industry, _ in cross.by_industry] == ["airline", "food", "retail"]
    assert [(s.name, s.total, s.flagged) for s in cross.general] == [("english", 2, 1), ("german", 1, 0)]
    # mixed: the four labelled tweets and the two English rows (gold not complaint), not the German one
    assert cross.mixed.total == 6
    with pytest.raises(ValueError, match="flags"):
        complaint_cross_domain(tweets, flags[:2], [])


def test_flag_share() -> None:
    assert flag_share("x", [True, False, False, True]).share == 0.5
    assert flag_share("x", []).share is None


def scripted_enrich(mention: Mention) -> Enrichment:
    """'bad' in the text -> negative complaint, else neutral other; language = the first word."""
    bad = "bad" in mention.text
    return Enrichment(
        language=mention.text.split(" ", 1)[0],
        language_confidence=1.0,
        sentiment=Sentiment(label=SentimentLabel.NEGATIVE if bad else SentimentLabel.NEUTRAL, score=0.0),
        intent=Intent.COMPLAINT if bad else Intent.OTHER,
        priority=50,
    )


def _write_umsab_val(root: Path) -> None:
    """Two val tweets per UMSAB language: one negative, one neutral."""
    for folder, code in UMSAB_LANGUAGES.items():
        base = root / "umsab" / folder
        base.mkdir(parents=True)
        (base / "val_text.txt").write_text(f"{code} bad day\n{code} fine day\n", encoding="utf-8")
        (base / "val_labels.txt").write_text("0\n1\n", encoding="utf-8")


def test_report_shows_in_domain_beside_cross_domain(tmp_path: Path) -> None:
    _write_umsab_val(tmp_path)
    airline = tmp_path / "airline-sentiment"
    airline.mkdir()
    with (airline / "Tweets.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["tweet_id", "airline_sentiment", "negativereason", "airline", "text"])
        writer.writerow(["6", "negative", "Late Flight", "Delta", "en bad delay"])  # a val id
    write_twcs(
        tmp_path,
        [
            ("1", "1", "True", "en bad service", ""),
            ("2", "Tesco", "False", "@1 sorry!", "1"),
            ("3", "2", "True", "en hello", ""),
            ("4", "Tesco", "False", "@2 Hi!", "3"),
        ],
    )
    report = run_eval(tmp_path, set(TASKS), enrich=scripted_enrich)
    assert report.complaint_cross is not None
    assert report.complaint_cross.outside_airlines.macro_f1 == 1.0
    assert report.enriched == 8 * 2 + 1 + 2  # UMSAB, airline, twcs
    assert [s.flagged for s in report.complaint_cross.general] == [1] * 8
    text = render_report(report)
    assert "## In-domain and cross-domain" in text
    assert "## Complaint detection, cross-domain" in text
    assert "twcs weak labels, 7 industries that are not airlines | 1.000" in text


@pytest.mark.shared_data
def test_twcs_weak_labels_on_shared_data() -> None:
    if not (SHARED_DATA / TWCS_CSV).is_file():
        pytest.skip(f"{SHARED_DATA} is absent (test data beside the repo, not part of a clone)")
    tweets = read_twcs(SHARED_DATA)
    labels = [t.label for t in tweets]
    assert len(tweets) > 1000
    assert labels.count(COMPLAINT) > 100
    assert labels.count(NOT_COMPLAINT) > 100
    assert sum(t.industry == "other" for t in tweets) == 0


def test_lexicon_baseline_uses_vader_thresholds() -> None:
    from streams.evaluation.report import lexicon_macro_f1

    scores = {"a": 0.5, "b": -0.5, "c": 0.0, "d": 0.04}
    # predicted positive, negative, neutral, neutral against gold positive, negative, neutral, positive
    value = lexicon_macro_f1(list(scores), ["positive", "negative", "neutral", "positive"], scores.__getitem__)
    assert value == pytest.approx((1.0 + 2 / 3 + 2 / 3) / 3)


def test_report_prints_the_lexicon_baseline(tmp_path: Path) -> None:
    _write_umsab_val(tmp_path)
    airline = tmp_path / "airline-sentiment"
    airline.mkdir()
    (airline / "Tweets.csv").write_text(
        "tweet_id,airline_sentiment,negativereason,airline,text\n6,negative,Late Flight,Delta,en bad delay\n",
        encoding="utf-8",
    )
    report = run_eval(tmp_path, {"sentiment"}, enrich=scripted_enrich)
    assert report.sentiment is not None
    lexicon = dict(report.sentiment.lexicon)
    assert set(lexicon) == {*UMSAB_LANGUAGES, "UMSAB english", "airline"}
    assert "lexicon alone" in render_report(report)
