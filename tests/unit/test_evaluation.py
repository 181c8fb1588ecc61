"""Unit tests for streams.evaluation: metrics with hand-computed numbers, loaders on tiny files, the report."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from schemas.enriched import Enrichment, Intent, Sentiment, SentimentLabel
from schemas.mention import Mention
from streams.evaluation import TASKS, eval_command, parse_tasks, render_report, run_eval
from streams.evaluation.__main__ import main as module_main
from streams.evaluation.datasets import (
    COMPLAINT,
    NOT_COMPLAINT,
    UMSAB_LANGUAGES,
    AirlineRow,
    airline_complaint,
    airline_sentiment,
    airline_split,
    complaint_gold,
    decode_umsab_text,
    read_airline,
    read_umsab,
    umsab_language,
    umsab_sentiment,
    umsab_sentiment_label,
)
from streams.evaluation.metrics import accuracy, class_scores, confusion, coverage, macro_f1, summarise
from streams.evaluation.report import EvalReport

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
SENTIMENT = ("negative", "neutral", "positive")


# --- metrics: tiny examples, numbers computed by hand ----------------------------------------------------

GOLD = ["a", "a", "a", "b", "b", "c"]
PRED = ["a", "a", "b", "b", "c", "c"]


def test_confusion_counts_pairs() -> None:
    assert confusion(GOLD, PRED) == {("a", "a"): 2, ("a", "b"): 1, ("b", "b"): 1, ("b", "c"): 1, ("c", "c"): 1}


def test_accuracy_is_share_of_matches() -> None:
    assert accuracy(GOLD, PRED) == pytest.approx(4 / 6)


def test_per_class_precision_recall_f1() -> None:
    counts = confusion(GOLD, PRED)
    a, b, c = (class_scores(counts, label) for label in "abc")
    # a: TP 2, FP 0, FN 1
    assert (a.true_positives, a.false_positives, a.false_negatives) == (2, 0, 1)
    assert (a.precision, a.recall, a.f1) == pytest.approx((1.0, 2 / 3, 0.8))
    assert (a.support, a.predicted) == (3, 2)
    # b: TP 1, FP 1 (a->b), FN 1 (b->c)
    assert (b.precision, b.recall, b.f1) == pytest.approx((0.5, 0.5, 0.5))
    # c: TP 1, FP 1 (b->c), FN 0
    assert (c.precision, c.recall, c.f1) == pytest.approx((0.5, 1.0, 2 / 3))


def test_macro_f1_is_unweighted_mean() -> None:
    summary = summarise(GOLD, PRED, ("a", "b", "c"))
    assert summary.macro_f1 == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)  # 59/90
    assert summary.macro_f1 == pytest.approx(59 / 90)
    assert summary.total == 6
    assert summary.coverage == pytest.approx(1.0)


def test_prediction_outside_label_set_counts_as_wrong() -> None:
    gold = ["negative", "positive", "positive"]
    predicted = ["negative", "unknown", "neutral"]
    summary = summarise(gold, predicted, SENTIMENT)
    negative, neutral, positive = summary.classes
    assert (negative.precision, negative.recall, negative.f1) == (1.0, 1.0, 1.0)
    # neutral: predicted once, never gold -> precision 0, recall undefined, F1 0
    assert (neutral.precision, neutral.recall, neutral.f1) == (0.0, None, 0.0)
    # positive: gold twice, never predicted -> precision undefined, recall 0, F1 0
    assert (positive.precision, positive.recall, positive.f1) == (None, 0.0, 0.0)
    assert summary.accuracy == pytest.approx(1 / 3)
    assert summary.macro_f1 == pytest.approx(1 / 3)
    assert summary.coverage == pytest.approx(2 / 3)


def test_class_absent_from_gold_and_predictions_is_left_out_of_macro_f1() -> None:
    summary = summarise(["x", "x", "y"], ["x", "y", "y"], ("x", "y", "z"))
    x, y, z = summary.classes
    assert (z.precision, z.recall, z.f1) == (None, None, None)
    assert x.f1 == pytest.approx(2 / 3)
    assert y.f1 == pytest.approx(2 / 3)
    assert summary.macro_f1 == pytest.approx(2 / 3)  # not (2/3 + 2/3 + 0) / 3


def test_empty_input_is_undefined_not_zero() -> None:
    summary = summarise([], [], SENTIMENT)
    assert (summary.accuracy, summary.coverage, summary.macro_f1) == (None, None, None)
    assert macro_f1([]) is None
    assert coverage([], SENTIMENT) is None


def test_length_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="gold has 2 labels but predicted has 1"):
        accuracy(["a", "b"], ["a"])


# --- dataset loaders on tiny files -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (r"I\u2019m late\u002c again ", "I\u2019m late, again"),
        (r'"\""""@bob: I HAVE to go\u002c MUST!\"""""', '"@bob: I HAVE to go, MUST!"'),
        ('"Sun: ""But no mistake"" #win"', 'Sun: "But no mistake" #win'),
        ('"Sun: ""half quoted"" #win ', '"Sun: "half quoted" #win'),
        (r"smile \ud83d\ude00", "smile 😀"),
        (r"path C:\temp stays", r"path C:\temp stays"),
        ("plain", "plain"),
    ],
)
def test_decode_umsab_text(line: str, expected: str) -> None:
    assert decode_umsab_text(line) == expected


def test_umsab_label_mapping() -> None:
    assert [umsab_sentiment_label(code) for code in ("0", "1", "2 ")] == ["negative", "neutral", "positive"]
    with pytest.raises(ValueError, match="unexpected UMSAB label"):
        umsab_sentiment_label("3")


def write_umsab(root: Path, folder: str, split: str, texts: list[str], labels: list[str]) -> None:
    base = root / "umsab" / folder
    base.mkdir(parents=True, exist_ok=True)
    (base / f"{split}_text.txt").write_text("\n".join(texts), encoding="utf-8")  # no final newline, as shipped
    (base / f"{split}_labels.txt").write_text("\n".join(labels), encoding="utf-8")


def test_read_umsab_decodes_and_maps(tmp_path: Path) -> None:
    write_umsab(tmp_path, "german", "val", [r"Sch\u00f6n\u002c danke", '"Er sagte ""nein"""', "naja"], ["2", "0", "1"])
    rows = read_umsab(tmp_path, "german", "val")
    assert [(row.language, row.text, row.sentiment) for row in rows] == [
        ("de", "Schön, danke", "positive"),
        ("de", 'Er sagte "nein"', "negative"),
        ("de", "naja", "neutral"),
    ]
    assert list(umsab_language(tmp_path, "german")) == [
        ("Schön, danke", "de"),
        ('Er sagte "nein"', "de"),
        ("naja", "de"),
    ]
    assert [gold for _, gold in umsab_sentiment(tmp_path, "german")] == ["positive", "negative", "neutral"]
    assert len(read_umsab(tmp_path, "german", "val", limit=2)) == 2


def test_read_umsab_rejects_bad_input(tmp_path: Path) -> None:
    write_umsab(tmp_path, "french", "train", ["un", "deux"], ["0"])
    with pytest.raises(ValueError, match="2 lines but"):
        read_umsab(tmp_path, "french", "train")
    with pytest.raises(FileNotFoundError):
        read_umsab(tmp_path, "french", "val")
    with pytest.raises(ValueError, match="unknown UMSAB language"):
        read_umsab(tmp_path, "klingon", "val")
    with pytest.raises(ValueError, match="unknown split"):
        read_umsab(tmp_path, "french", "test")


AIRLINE_FIELDS = ("tweet_id", "airline_sentiment", "negativereason", "airline", "text")


def ids_in(split: str, count: int) -> list[str]:
    """The first ``count`` tweet ids (from 570000000000000000 up) that fall in ``split``."""
    found: list[str] = []
    candidate = 570_000_000_000_000_000
    while len(found) < count:
        if airline_split(str(candidate)) == split:
            found.append(str(candidate))
        candidate += 1
    return found


def write_airline(root: Path, rows: list[tuple[str, str, str, str]]) -> None:
    path = root / "airline-sentiment" / "Tweets.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(AIRLINE_FIELDS)
        for tweet_id, sentiment, reason, text in rows:
            writer.writerow((tweet_id, sentiment, reason, "United", text))


def test_airline_split_is_stable_and_about_a_fifth() -> None:
    ids = [str(570_000_000_000_000_000 + n) for n in range(5000)]
    share = sum(airline_split(tweet_id) == "val" for tweet_id in ids) / len(ids)
    assert 0.17 < share < 0.23
    assert [airline_split(tweet_id) for tweet_id in ids[:50]] == [airline_split(tweet_id) for tweet_id in ids[:50]]


def test_read_airline_splits_dedupes_and_labels(tmp_path: Path) -> None:
    val = ids_in("val", 5)
    (train,) = ids_in("train", 1)
    write_airline(
        tmp_path,
        [
            (val[0], "negative", "Late Flight", "@united late, again"),
            (val[0], "neutral", "", "@united late, again"),  # repeated id relabelled: first row wins
            (val[1], "negative", "Can't Tell", "@united hmm"),
            (val[2], "positive", "", "@united thanks, great crew"),
            (val[3], "neutral", "", "@united what time is boarding?"),
            (train, "negative", "Lost Luggage", "@united where is my bag"),
            (val[4], "negative", "Customer Service Issue", "@united nobody answers, multi\nline"),
        ],
    )
    rows = read_airline(tmp_path, "val")
    assert [(row.tweet_id, row.sentiment) for row in rows] == [
        (val[0], "negative"),
        (val[1], "negative"),
        (val[2], "positive"),
        (val[3], "neutral"),
        (val[4], "negative"),
    ]
    assert rows[4].text == "@united nobody answers, multi\nline"
    assert [row.tweet_id for row in read_airline(tmp_path, "train")] == [train]
    assert len(read_airline(tmp_path, "val", limit=2)) == 2
    assert [gold for _, gold in airline_sentiment(tmp_path)] == [
        "negative",
        "negative",
        "positive",
        "neutral",
        "negative",
    ]
    # Can't Tell is left out of the complaint proxy
    assert [gold for _, gold in airline_complaint(tmp_path)] == [COMPLAINT, NOT_COMPLAINT, NOT_COMPLAINT, COMPLAINT]


@pytest.mark.parametrize(
    ("sentiment", "reason", "expected"),
    [
        ("negative", "Customer Service Issue", COMPLAINT),
        ("negative", "Late Flight", COMPLAINT),
        ("negative", "Cancelled Flight", COMPLAINT),
        ("negative", "Lost Luggage", COMPLAINT),
        ("negative", "Can't Tell", None),
        ("negative", "", None),
        ("neutral", "", NOT_COMPLAINT),
        ("positive", "", NOT_COMPLAINT),
    ],
)
def test_complaint_proxy(sentiment: str, reason: str, expected: str | None) -> None:
    row = AirlineRow(tweet_id="1", airline="United", text="x", sentiment=sentiment, negative_reason=reason)
    assert complaint_gold(row) == expected


def test_read_airline_rejects_unknown_sentiment(tmp_path: Path) -> None:
    (tweet_id,) = ids_in("val", 1)
    write_airline(tmp_path, [(tweet_id, "angry", "", "@united grr")])
    with pytest.raises(ValueError, match="unexpected airline_sentiment"):
        read_airline(tmp_path, "val")


# --- the report, with a scripted enricher ----------------------------------------------------------------


def scripted_enrich(mention: Mention) -> Enrichment:
    """Language = the text's first word; 'bad' -> negative complaint, 'good' -> positive, else unknown."""
    text = mention.text
    language = text.split(" ", 1)[0]
    if "bad" in text:
        label, intent = SentimentLabel.NEGATIVE, Intent.COMPLAINT
    elif "good" in text:
        label, intent = SentimentLabel.POSITIVE, Intent.PRAISE
    else:
        label, intent = SentimentLabel.UNKNOWN, Intent.OTHER
    return Enrichment(
        language=language,
        language_confidence=1.0,
        sentiment=Sentiment(label=label, score=0.0),
        intent=intent,
        priority=50,
    )


@pytest.fixture
def tiny_root(tmp_path: Path) -> Path:
    for folder, code in UMSAB_LANGUAGES.items():
        # english: two right, one wrong; hindi: detected as 'en' once, 'hi' once; others: all right
        first = {"english": "fr", "hindi": "en"}.get(folder, code)
        write_umsab(tmp_path, folder, "val", [f"{first} bad day", f"{code} good day", f"{code} meh"], ["0", "2", "1"])
    val = ids_in("val", 4)
    write_airline(
        tmp_path,
        [
            (val[0], "negative", "Late Flight", "en bad delay"),  # complaint, found
            (val[1], "negative", "Lost Luggage", "en where is my bag"),  # complaint, missed (unknown)
            (val[2], "positive", "", "en bad but good"),  # not complaint, flagged
            (val[3], "negative", "Can't Tell", "en bad"),  # excluded from complaint
        ],
    )
    return tmp_path


def test_run_eval_with_scripted_enricher(tiny_root: Path) -> None:
    report = run_eval(tiny_root, set(TASKS), "val", enrich=scripted_enrich)
    assert report.enriched == 8 * 3 + 4
    language = report.language
    assert language is not None
    assert language.overall_total == 21
    assert language.overall_correct == 20
    assert language.overall_accuracy == pytest.approx(20 / 21)
    assert (language.hindi.share("hi"), language.hindi.share("en")) == pytest.approx((2 / 3, 1 / 3))

    sentiment = report.sentiment
    assert sentiment is not None
    (umsab_name, umsab), (airline_name, airline) = sentiment.english
    assert (umsab_name, airline_name) == ("UMSAB english", "airline")
    # gold neg, pos, neu; predicted neg, pos, unknown
    assert (umsab.accuracy, umsab.coverage) == pytest.approx((2 / 3, 2 / 3))
    assert umsab.macro_f1 == pytest.approx((1 + 0 + 1) / 3)
    # gold neg, neg, pos, neg; predicted neg, unknown, neg, neg -> negative P 2/3 R 2/3; positive F1 0
    assert airline.accuracy == pytest.approx(2 / 4)
    assert airline.macro_f1 == pytest.approx((2 / 3 + 0) / 2)  # neutral absent from gold and predictions
    assert len(sentiment.multilingual) == 8

    complaint = report.complaint
    assert complaint is not None
    assert complaint.excluded == 1
    assert complaint.summary.total == 3
    found, not_found = complaint.summary.classes
    assert (found.precision, found.recall, found.f1) == (0.5, 0.5, 0.5)
    assert (not_found.precision, not_found.recall, not_found.f1) == (0.0, 0.0, 0.0)
    assert complaint.summary.macro_f1 == pytest.approx(0.25)
    assert ("negative: Can't Tell", 1, 1) in complaint.by_group


def test_run_eval_only_reads_what_the_tasks_need(tiny_root: Path) -> None:
    (tiny_root / "airline-sentiment" / "Tweets.csv").unlink()
    report = run_eval(tiny_root, {"language"}, enrich=scripted_enrich)
    assert (report.sentiment, report.complaint) == (None, None)
    text = render_report(report)
    assert "## Language (UMSAB)" in text
    assert "## Complaint" not in text
    with pytest.raises(FileNotFoundError):
        run_eval(tiny_root, {"complaint"}, enrich=scripted_enrich)


def test_render_report_has_every_section(tiny_root: Path) -> None:
    text = render_report(run_eval(tiny_root, set(TASKS), enrich=scripted_enrich, limit=2))
    for heading in (
        "## Headline",
        "## Language (UMSAB)",
        "## English sentiment",
        "### UMSAB english",
        "### airline",
        "## Multilingual sentiment",
        "## Complaint detection",
    ):
        assert heading in text
    assert "| language accuracy, ar de en es fr it pt | 0.9286 | >= 0.975 | no |" in text  # 13/14


def test_parse_tasks() -> None:
    assert parse_tasks(None) == frozenset(TASKS)
    assert parse_tasks("") == frozenset(TASKS)
    assert parse_tasks("language, complaint") == {"language", "complaint"}
    assert parse_tasks(["sentiment"]) == {"sentiment"}
    with pytest.raises(ValueError, match="unknown task"):
        parse_tasks("language,topics")


def test_run_eval_rejects_bad_arguments(tiny_root: Path) -> None:
    with pytest.raises(ValueError, match="unknown split"):
        run_eval(tiny_root, {"language"}, "test", enrich=scripted_enrich)
    with pytest.raises(ValueError, match="limit"):
        run_eval(tiny_root, {"language"}, limit=0, enrich=scripted_enrich)


def test_eval_command_reports_bad_input_with_status_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert eval_command(tmp_path, "language,bogus") == 2
    assert "unknown task" in capsys.readouterr().err
    assert eval_command(tmp_path / "missing", "language") == 2
    assert "not found" in capsys.readouterr().err
    assert module_main(["--data", str(tmp_path / "missing"), "--task", "complaint"]) == 2


# --- shared real data (skipped when ../shared/data is absent) -----------------------------------------


@pytest.fixture(scope="module")
def shared_report() -> EvalReport:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} is absent (test data beside the repo, not part of a clone)")
    return run_eval(SHARED_DATA, set(TASKS), "val", limit=20)


def _unit_values(report: EvalReport) -> list[float | None]:
    assert report.language is not None
    assert report.sentiment is not None
    assert report.complaint is not None
    values: list[float | None] = [report.language.overall_accuracy, report.language.hindi.share("hi")]
    values += [result.accuracy for result in report.language.native]
    for _, summary in (
        *report.sentiment.english,
        *report.sentiment.multilingual,
        ("complaint", report.complaint.summary),
    ):
        values += [summary.accuracy, summary.coverage, summary.macro_f1]
        values += [score for c in summary.classes for score in (c.precision, c.recall, c.f1)]
    return values


@pytest.mark.shared_data
def test_eval_on_shared_data_has_every_section(shared_report: EvalReport) -> None:
    assert shared_report.language is not None
    assert [result.code for result in shared_report.language.native] == ["ar", "de", "en", "es", "fr", "it", "pt"]
    assert shared_report.language.overall_total == 7 * 20
    assert shared_report.language.hindi.total == 20
    assert shared_report.sentiment is not None
    assert [name for name, _ in shared_report.sentiment.english] == ["UMSAB english", "airline"]
    assert len(shared_report.sentiment.multilingual) == 8
    assert shared_report.complaint is not None
    assert shared_report.complaint.summary.total + shared_report.complaint.excluded == 20
    values = [value for value in _unit_values(shared_report) if value is not None]
    assert values
    assert all(0.0 <= value <= 1.0 for value in values)


@pytest.mark.shared_data
def test_eval_command_prints_the_report(shared_report: EvalReport) -> None:
    out = io.StringIO()
    assert eval_command(SHARED_DATA, "language", "train", 5, out=out) == 0
    text = out.getvalue()
    assert "split train, limit 5 per source" in text
    assert "## Language (UMSAB)" in text
    assert render_report(shared_report).count("## ") >= 5
