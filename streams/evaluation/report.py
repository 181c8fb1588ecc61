"""Run the enricher over the labelled files and score it: ``run_eval`` builds an ``EvalReport``,
``render_report`` prints it as Markdown tables, ``eval_command`` does both for the CLI.

Tasks:

* ``language``: UMSAB, gold = the folder's language. Accuracy per language and pooled over the seven
  native-script languages (ar de en es fr it pt); Hindi (largely romanised in UMSAB) is reported apart,
  as the share detected as 'hi', 'en' and anything else.
* ``sentiment``: English (UMSAB english and the airline tweets) and per UMSAB language. Macro-F1 over
  negative/neutral/positive; an ``unknown`` answer counts as wrong and the share of answers that are not
  ``unknown`` is reported as coverage.
* ``complaint``: airline tweets, predicted ``intent == complaint`` against the proxy gold of
  ``streams.evaluation.datasets.complaint_gold``; P/R/F1 of both classes and macro-F1. Cross-domain (when
  ``twcs-sample/twcs.csv`` is there): weak labels from brand replies per industry, the share of general
  posts (UMSAB val) flagged, and the two pooled (``streams.evaluation.cross_domain``).

Each task's in-domain figure (data like what its rules or weights were made on) is shown beside a
cross-domain one.

``limit`` caps the rows read from each source (each UMSAB language, the airline file) separately.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from schemas.enriched import Enrichment, Intent
from schemas.mention import Author, Channel, Mention
from streams.evaluation.cross_domain import ComplaintCrossDomain, FlagShare, complaint_cross_domain, flag_share
from streams.evaluation.datasets import (
    COMPLAINT,
    NATIVE_SCRIPT_LANGUAGES,
    NOT_COMPLAINT,
    SENTIMENT_LABELS,
    SPLITS,
    UMSAB_LANGUAGES,
    AirlineRow,
    UmsabRow,
    airline_handle,
    complaint_gold,
    read_airline,
    read_umsab,
)
from streams.evaluation.metrics import ScoreSummary, summarise
from streams.evaluation.twcs import TWCS_CSV, read_twcs

__all__ = [
    "TARGETS",
    "TASKS",
    "ComplaintReport",
    "EvalReport",
    "LanguageReport",
    "LanguageResult",
    "Prediction",
    "SentimentReport",
    "eval_command",
    "parse_tasks",
    "render_report",
    "run_eval",
]

LANGUAGE = "language"
SENTIMENT = "sentiment"
COMPLAINT_TASK = "complaint"
TASKS = (LANGUAGE, SENTIMENT, COMPLAINT_TASK)
COMPLAINT_LABELS = (COMPLAINT, NOT_COMPLAINT)
UNKNOWN = "unknown"
HINDI = "hindi"
ENGLISH = "english"
AIRLINE = "airline"
# Targets from the enrichment issues (#17: on held-out data from other domains).
LANGUAGE_TARGET = 0.975  # accuracy over the seven native-script UMSAB languages
SENTIMENT_TARGET = 0.67  # English sentiment macro-F1
MULTILINGUAL_TARGET = 0.60  # mean sentiment macro-F1 over the seven native-script languages
COMPLAINT_TARGET = 0.78  # complaint macro-F1
TARGETS: dict[str, float] = {LANGUAGE: LANGUAGE_TARGET, SENTIMENT: SENTIMENT_TARGET, COMPLAINT_TASK: COMPLAINT_TARGET}
_EVAL_TIME = datetime(2024, 1, 1, tzinfo=UTC)

EnrichFn = Callable[[Mention], Enrichment]


@dataclass(frozen=True)
class Prediction:
    language: str
    sentiment: str
    complaint: bool


@dataclass(frozen=True)
class LanguageResult:
    folder: str
    code: str
    total: int
    predicted: Counter[str]  # detected language -> count

    @property
    def correct(self) -> int:
        return self.predicted[self.code]

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.total if self.total else None

    def share(self, code: str) -> float | None:
        return self.predicted[code] / self.total if self.total else None


@dataclass(frozen=True)
class LanguageReport:
    native: tuple[LanguageResult, ...]  # the seven native-script languages
    hindi: LanguageResult

    @property
    def overall_total(self) -> int:
        return sum(result.total for result in self.native)

    @property
    def overall_correct(self) -> int:
        return sum(result.correct for result in self.native)

    @property
    def overall_accuracy(self) -> float | None:
        total = self.overall_total
        return self.overall_correct / total if total else None


@dataclass(frozen=True)
class SentimentReport:
    english: tuple[tuple[str, ScoreSummary], ...]  # ('UMSAB english', ...), ('airline', ...)
    multilingual: tuple[tuple[str, ScoreSummary], ...]  # UMSAB folder -> summary
    # dataset name (as in ``english`` and ``multilingual``) -> macro-F1 of the lexicon alone (VADER's
    # compound score and thresholds), the baseline each model must beat; empty when not computed
    lexicon: tuple[tuple[str, float | None], ...] = ()


@dataclass(frozen=True)
class ComplaintReport:
    summary: ScoreSummary
    excluded: int  # negative tweets the proxy cannot label
    by_group: tuple[tuple[str, int, int], ...]  # (gold group, tweets, predicted complaint)


@dataclass(frozen=True)
class EvalReport:
    data_root: Path
    split: str
    limit: int | None
    tasks: frozenset[str]
    language: LanguageReport | None
    sentiment: SentimentReport | None
    complaint: ComplaintReport | None
    enriched: int
    seconds: float
    complaint_cross: ComplaintCrossDomain | None = None  # None without twcs-sample/twcs.csv
    airline_english: FlagShare | None = None  # airline tweets detected as English
    airline_trained: bool | None = None  # did the shipped English sentiment model train on airline tweets


def parse_tasks(value: str | Iterable[str] | None) -> frozenset[str]:
    """The task set from ``'language,sentiment'`` (or an iterable of names); all tasks when empty/None."""
    names = value.split(",") if isinstance(value, str) else list(value or ())
    tasks = frozenset(name.strip() for name in names if name.strip())
    unknown = sorted(tasks - set(TASKS))
    if unknown:
        raise ValueError(f"unknown task(s) {', '.join(unknown)}; expected some of {', '.join(TASKS)}")
    return tasks or frozenset(TASKS)


# --- predicting ------------------------------------------------------------------------------------------


def _mention(source: str, index: int, text: str, brand_account: str = "evaluation") -> Mention:
    native_id = f"{source}-{index}"
    return Mention(
        id=Mention.make_id(Channel.TWITTER, native_id),
        channel=Channel.TWITTER,
        native_id=native_id,
        author=Author(handle="evaluation"),
        text=text,
        created_at=_EVAL_TIME,
        brand_account=brand_account,
    )


def predict(
    enrich: EnrichFn, source: str, texts: Sequence[str], brands: Sequence[str] | None = None
) -> list[Prediction]:
    """The enricher's answers for ``texts``, each wrapped in a plain Twitter mention for the brand account of the
    same index in ``brands`` (default: an account no text names, as for posts found by keyword search)."""
    predictions = []
    for index, text in enumerate(texts):
        enrichment = enrich(_mention(source, index, text, brands[index] if brands is not None else "evaluation"))
        predictions.append(
            Prediction(
                language=enrichment.language,
                sentiment=enrichment.sentiment.label.value,
                complaint=enrichment.intent is Intent.COMPLAINT,
            )
        )
    return predictions


# --- building the sections -------------------------------------------------------------------------------

UmsabData = dict[str, tuple[list[UmsabRow], list[Prediction]]]
AirlineData = tuple[list[AirlineRow], list[Prediction]]


def _language_result(folder: str, predictions: Sequence[Prediction]) -> LanguageResult:
    return LanguageResult(
        folder=folder,
        code=UMSAB_LANGUAGES[folder],
        total=len(predictions),
        predicted=Counter(p.language for p in predictions),
    )


def language_report(umsab: UmsabData) -> LanguageReport:
    by_code = {UMSAB_LANGUAGES[folder]: folder for folder in umsab}
    native = tuple(_language_result(by_code[code], umsab[by_code[code]][1]) for code in NATIVE_SCRIPT_LANGUAGES)
    return LanguageReport(native=native, hindi=_language_result(HINDI, umsab[HINDI][1]))


def _sentiment_summary(gold: Sequence[str], predictions: Sequence[Prediction]) -> ScoreSummary:
    return summarise(gold, [p.sentiment for p in predictions], SENTIMENT_LABELS)


def sentiment_report(umsab: UmsabData, airline: AirlineData) -> SentimentReport:
    multilingual = tuple(
        (folder, _sentiment_summary([row.sentiment for row in rows], predictions))
        for folder, (rows, predictions) in umsab.items()
    )
    airline_rows, airline_predictions = airline
    english = (
        (f"UMSAB {ENGLISH}", dict(multilingual)[ENGLISH]),
        (AIRLINE, _sentiment_summary([row.sentiment for row in airline_rows], airline_predictions)),
    )
    return SentimentReport(english=english, multilingual=multilingual)


def lexicon_macro_f1(texts: Sequence[str], gold: Sequence[str], compound: Callable[[str], float]) -> float | None:
    """Macro-F1 of labelling each text by VADER's thresholds on ``compound(text)``."""
    from streams.enrich.sentiment import label_for

    predicted = [label_for(compound(text)).value for text in texts]
    return summarise(gold, predicted, SENTIMENT_LABELS).macro_f1


def with_lexicon_baseline(report: SentimentReport, umsab: UmsabData, airline: AirlineData) -> SentimentReport:
    """``report`` with the lexicon-only macro-F1 of each of its data sets."""
    from streams.enrich.vader import Vader

    compound = Vader().compound
    baseline = [
        (folder, lexicon_macro_f1([r.text for r in rows], [r.sentiment for r in rows], compound))
        for folder, (rows, _) in umsab.items()
    ]
    airline_rows = airline[0]
    by_folder = dict(baseline)
    baseline += [
        (f"UMSAB {ENGLISH}", by_folder.get(ENGLISH)),
        (AIRLINE, lexicon_macro_f1([r.text for r in airline_rows], [r.sentiment for r in airline_rows], compound)),
    ]
    return SentimentReport(english=report.english, multilingual=report.multilingual, lexicon=tuple(baseline))


def _airline_group(row: AirlineRow) -> str:
    if row.sentiment != "negative":
        return row.sentiment
    return f"negative: {row.negative_reason or '(no reason)'}"


def complaint_report(airline: AirlineData) -> ComplaintReport:
    rows, predictions = airline
    gold: list[str] = []
    predicted: list[str] = []
    groups: Counter[str] = Counter()
    flagged: Counter[str] = Counter()
    for row, prediction in zip(rows, predictions, strict=True):
        group = _airline_group(row)
        groups[group] += 1
        flagged[group] += prediction.complaint
        label = complaint_gold(row)
        if label is not None:
            gold.append(label)
            predicted.append(COMPLAINT if prediction.complaint else NOT_COMPLAINT)
    by_group = tuple((group, count, flagged[group]) for group, count in groups.most_common())
    return ComplaintReport(
        summary=summarise(gold, predicted, COMPLAINT_LABELS),
        excluded=len(rows) - len(gold),
        by_group=by_group,
    )


# --- running ---------------------------------------------------------------------------------------------


def _check_arguments(split: str, limit: int | None) -> None:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")


def _default_enrich() -> EnrichFn:
    from streams.enrich import Enricher

    return Enricher().enrich


def run_eval(
    data_root: Path,
    tasks: Collection[str],
    split: str = "val",
    limit: int | None = None,
    enrich: EnrichFn | None = None,
) -> EvalReport:
    """Score the enricher (or ``enrich``, for tests) on the labelled files under ``data_root``.

    Raises ``ValueError`` for an unknown task or split and ``FileNotFoundError`` for a missing file.
    """
    task_set = parse_tasks(tasks)
    _check_arguments(split, limit)
    enrich = enrich or _default_enrich()
    started = time.perf_counter()
    umsab: UmsabData = {}
    airline: AirlineData = ([], [])
    if task_set & {LANGUAGE, SENTIMENT, COMPLAINT_TASK}:
        for folder in UMSAB_LANGUAGES:
            rows = read_umsab(data_root, folder, split, limit)
            umsab[folder] = rows, predict(enrich, f"umsab-{folder}", [row.text for row in rows])
    if task_set & {SENTIMENT, COMPLAINT_TASK}:
        airline_rows = read_airline(data_root, split, limit)
        airline_texts = [row.text for row in airline_rows]
        airline = airline_rows, predict(enrich, AIRLINE, airline_texts, [airline_handle(row) for row in airline_rows])
    cross = None
    tweets = []
    if COMPLAINT_TASK in task_set and (data_root / TWCS_CSV).is_file():
        tweets = read_twcs(data_root)[:limit]
        texts = [tweet.text for tweet in tweets]
        tweet_flags = [p.complaint for p in predict(enrich, "twcs", texts, [tweet.brand for tweet in tweets])]
        general = [(folder, rows, [p.complaint for p in predictions]) for folder, (rows, predictions) in umsab.items()]
        cross = complaint_cross_domain(tweets, tweet_flags, general)
    airline_english = None
    if airline[0] and LANGUAGE in task_set:
        airline_english = flag_share(AIRLINE, [p.language == "en" for p in airline[1]])
    return EvalReport(
        data_root=data_root,
        split=split,
        limit=limit,
        tasks=task_set,
        language=language_report(umsab) if LANGUAGE in task_set else None,
        sentiment=with_lexicon_baseline(sentiment_report(umsab, airline), umsab, airline)
        if SENTIMENT in task_set
        else None,
        complaint=complaint_report(airline) if COMPLAINT_TASK in task_set else None,
        enriched=sum(len(rows) for rows, _ in umsab.values()) + len(airline[0]) + len(tweets),
        seconds=time.perf_counter() - started,
        complaint_cross=cross,
        airline_english=airline_english,
        airline_trained=airline_trained() if SENTIMENT in task_set else None,
    )


def airline_trained() -> bool | None:
    """Whether the shipped English sentiment model was trained on airline tweets (its provenance), or None."""
    from streams.enrich.sentiment_model import SENTIMENT_MODEL_PATH

    try:
        provenance = json.loads(SENTIMENT_MODEL_PATH.read_text(encoding="utf-8")).get("provenance", {})
    except (OSError, ValueError):
        return None
    weight = provenance.get("airline_weight")
    return None if weight is None else float(weight) > 0


def eval_command(
    data_root: Path,
    tasks: Collection[str] | str | None = None,
    split: str = "val",
    limit: int | None = None,
    out: TextIO | None = None,
) -> int:
    """Run the evaluation and print the report; 0 on success, 2 on bad arguments or missing files.

    The exit status does not depend on the targets being met: this reports, it does not gate.
    """
    stream = out or sys.stdout
    try:
        report = run_eval(data_root, parse_tasks(tasks), split, limit)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stream.write(render_report(report))
    return 0


# --- rendering -------------------------------------------------------------------------------------------


def _num(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines.extend("| " + " | ".join(str(cell) for cell in row) + " |" for row in rows)
    return [*lines, ""]


def _top_others(result: LanguageResult, exclude: Collection[str], count: int = 3) -> str:
    others = [(code, n) for code, n in result.predicted.most_common() if code not in exclude][:count]
    return ", ".join(f"{code} {n}" for code, n in others) or "-"


def _meets(value: float | None, target: float) -> str:
    if value is None:
        return "n/a"
    return "yes" if value >= target else "no"


def _headline_values(report: EvalReport) -> list[tuple[str, float | None, float]]:
    """(metric, value, target) for each headline figure of the tasks that ran."""
    values: list[tuple[str, float | None, float]] = []
    if report.language is not None:
        values.append(("language accuracy, ar de en es fr it pt", report.language.overall_accuracy, LANGUAGE_TARGET))
    if report.sentiment is not None:
        values.extend(
            (f"English sentiment macro-F1, {name}", summary.macro_f1, SENTIMENT_TARGET)
            for name, summary in report.sentiment.english
        )
        values.append(
            (
                "sentiment macro-F1, mean of ar de en es fr it pt",
                native_sentiment_mean(report.sentiment),
                MULTILINGUAL_TARGET,
            )
        )
    if report.complaint is not None:
        values.append(("complaint macro-F1, airline proxy", report.complaint.summary.macro_f1, COMPLAINT_TARGET))
    if report.complaint_cross is not None:
        cross = report.complaint_cross
        values.append(
            (
                "complaint macro-F1, twcs weak labels, 7 other industries",
                cross.outside_airlines.macro_f1,
                COMPLAINT_TARGET,
            )
        )
        values.append(("complaint macro-F1, mixed (twcs + UMSAB english)", cross.mixed.macro_f1, COMPLAINT_TARGET))
    return values


def native_sentiment_mean(section: SentimentReport) -> float | None:
    """Mean macro-F1 over the seven native-script UMSAB languages (None if any is missing)."""
    by_code = {UMSAB_LANGUAGES[folder]: summary.macro_f1 for folder, summary in section.multilingual}
    values = [by_code.get(code) for code in NATIVE_SCRIPT_LANGUAGES]
    defined = [value for value in values if value is not None]
    return sum(defined) / len(defined) if defined and len(defined) == len(values) else None


def _headline(report: EvalReport) -> list[str]:
    rows = [
        (name, _num(value, 4), f">= {target}", _meets(value, target))
        for name, value, target in _headline_values(report)
    ]
    return ["## Headline", "", *_table(("metric", "value", "target", "met"), rows)]


def _language_section(section: LanguageReport) -> list[str]:
    rows = [
        (
            result.folder,
            result.code,
            result.total,
            result.correct,
            _num(result.accuracy),
            _top_others(result, {result.code}),
        )
        for result in section.native
    ]
    total = ("**all seven**", "-", section.overall_total, section.overall_correct, _num(section.overall_accuracy), "-")
    hindi = section.hindi
    hindi_row = (
        hindi.total,
        _num(hindi.share("hi")),
        _num(hindi.share("en")),
        _num(
            None if hindi.total == 0 else 1 - hindi.predicted["hi"] / hindi.total - hindi.predicted["en"] / hindi.total
        ),
        _top_others(hindi, {"hi", "en"}),
    )
    return [
        "## Language (UMSAB)",
        "",
        *_table(("language", "gold", "n", "correct", "accuracy", "most frequent wrong answers"), [*rows, total]),
        "Hindi (UMSAB Hindi is largely romanised; share of tweets detected as):",
        "",
        *_table(("n", "hi", "en", "other", "other answers"), [hindi_row]),
    ]


def _covered_accuracy(summary: ScoreSummary) -> float | None:
    covered = sum(n for (_, predicted), n in summary.confusion.items() if predicted in SENTIMENT_LABELS)
    correct = sum(n for (gold, predicted), n in summary.confusion.items() if gold == predicted)
    return correct / covered if covered else None


def _class_rows(summary: ScoreSummary) -> list[tuple[object, ...]]:
    return [(c.label, c.support, c.predicted, _num(c.precision), _num(c.recall), _num(c.f1)) for c in summary.classes]


def _confusion_rows(summary: ScoreSummary, gold_labels: Sequence[str], columns: Sequence[str]) -> list[list[object]]:
    return [[gold, *(summary.confusion[(gold, predicted)] for predicted in columns)] for gold in gold_labels]


def _english_section(section: SentimentReport) -> list[str]:
    lines = ["## English sentiment", ""]
    lexicon = dict(section.lexicon)
    rows = [
        (n, s.total, _num(s.coverage), _num(s.accuracy), _num(s.macro_f1), _num(lexicon.get(n)))
        for n, s in section.english
    ]
    lines += _table(("dataset", "n", "coverage", "accuracy", "macro-F1", "lexicon alone (VADER) macro-F1"), rows)
    columns = (*SENTIMENT_LABELS, UNKNOWN)
    for name, summary in section.english:
        lines += [f"### {name}", ""]
        lines += _table(("class", "support", "predicted", "precision", "recall", "F1"), _class_rows(summary))
        lines += _table(("gold \\ predicted", *columns), _confusion_rows(summary, SENTIMENT_LABELS, columns))
    return lines


def _multilingual_row(folder: str, summary: ScoreSummary, lexicon: float | None) -> tuple[object, ...]:
    covered = _covered_accuracy(summary)
    s = summary
    return (
        folder,
        UMSAB_LANGUAGES[folder],
        s.total,
        _num(s.coverage),
        _num(s.accuracy),
        _num(covered),
        _num(s.macro_f1),
        _num(lexicon),
    )


def _multilingual_section(section: SentimentReport) -> list[str]:
    header = ("language", "code", "n", "coverage", "accuracy", "accuracy where covered", "macro-F1", "lexicon alone")
    lexicon = dict(section.lexicon)
    rows = [_multilingual_row(folder, summary, lexicon.get(folder)) for folder, summary in section.multilingual]
    return [
        "## Multilingual sentiment (UMSAB; `unknown` counts as wrong; lexicon alone: VADER's compound score)",
        "",
        *_table(header, rows),
    ]


def _complaint_section(section: ComplaintReport) -> list[str]:
    summary = section.summary
    gold_complaints = next(c.support for c in summary.classes if c.label == COMPLAINT)
    overview = (summary.total, gold_complaints, section.excluded, _num(summary.accuracy), _num(summary.macro_f1))
    group_rows = [
        (group, count, flagged, _num(flagged / count if count else None)) for group, count, flagged in section.by_group
    ]
    return [
        "## Complaint detection (airline proxy: negative with a concrete reason vs neutral/positive)",
        "",
        *_table(("scored", "gold complaints", "excluded (negative, Can't Tell)", "accuracy", "macro-F1"), [overview]),
        *_table(("class", "support", "predicted", "precision", "recall", "F1"), _class_rows(summary)),
        "Share predicted `complaint`, by airline label:",
        "",
        *_table(("airline label", "n", "predicted complaint", "share"), group_rows),
    ]


def _share_cell(share: FlagShare | None) -> str:
    return "n/a" if share is None else f"{_num(share.share)} ({share.flagged}/{share.total})"


def _general_total(cross: ComplaintCrossDomain) -> FlagShare:
    return FlagShare("all", sum(s.total for s in cross.general), sum(s.flagged for s in cross.general))


def _domains_section(report: EvalReport) -> list[str]:
    """One row per task: the in-domain figure beside the cross-domain one."""
    rows: list[tuple[str, str, str, str, str]] = []
    if report.language is not None:
        rows.append(
            (
                "language (accuracy)",
                "UMSAB val, 7 languages (rules chosen on UMSAB train)",
                _num(report.language.overall_accuracy),
                "airline tweets detected as English",
                _share_cell(report.airline_english),
            )
        )
    if report.sentiment is not None:
        english = dict(report.sentiment.english)
        trained = {True: "trained on its train portion", False: "never trained on", None: "training unknown"}
        rows.append(
            (
                "English sentiment (macro-F1)",
                "UMSAB english val (model trained on UMSAB train)",
                _num(english[f"UMSAB {ENGLISH}"].macro_f1),
                f"airline tweets ({trained[report.airline_trained]})",
                _num(english[AIRLINE].macro_f1),
            )
        )
    if report.complaint is not None:
        cross = report.complaint_cross
        rows.append(
            (
                "complaint (macro-F1)",
                "airline proxy (rules written on airline tweets)",
                _num(report.complaint.summary.macro_f1),
                "twcs weak labels, 7 industries that are not airlines",
                "n/a" if cross is None else _num(cross.outside_airlines.macro_f1),
            )
        )
        if cross is not None:
            rows.append(
                (
                    "complaint (share flagged)",
                    "airline proxy: flagged / true",
                    _flag_vs_true(report.complaint.summary),
                    "general posts (UMSAB val, 8 languages; true share about 0)",
                    _share_cell(_general_total(cross)),
                )
            )
    return ["## In-domain and cross-domain", "", *_table(("task", "in-domain", "", "cross-domain", ""), rows)]


def _flag_vs_true(summary: ScoreSummary) -> str:
    complaint = next(c for c in summary.classes if c.label == COMPLAINT)
    if not summary.total:
        return "n/a"
    return f"{complaint.predicted / summary.total:.3f} / {complaint.support / summary.total:.3f}"


def _cross_complaint_section(cross: ComplaintCrossDomain) -> list[str]:
    industry_rows = [
        (
            industry,
            summary.total,
            _flag_vs_true(summary),
            _num(next(c for c in summary.classes if c.label == COMPLAINT).precision),
            _num(next(c for c in summary.classes if c.label == COMPLAINT).recall),
            _num(summary.macro_f1),
        )
        for industry, summary in (
            *cross.by_industry,
            ("**7 industries, not airlines**", cross.outside_airlines),
            ("**mixed: all twcs + UMSAB english**", cross.mixed),
        )
    ]
    general_rows = [(share.name, share.total, share.flagged, _num(share.share)) for share in cross.general]
    general_total = _general_total(cross)
    general_rows.append(("**all**", general_total.total, general_total.flagged, _num(general_total.share)))
    return [
        "## Complaint detection, cross-domain",
        "",
        "Customer tweets to brands (twcs sample, conversation openers), weak gold from the brand's first reply: "
        f"regret or apology = complaint, neither regret nor an offer of help = not; {cross.unlabelled} tweets "
        "whose reply only offers help are left out.",
        "",
        *_table(
            ("industry", "n", "flagged / true share", "complaint precision", "complaint recall", "macro-F1"),
            industry_rows,
        ),
        "General posts (UMSAB val: tweets about anything, no brand addressed), share flagged `complaint`:",
        "",
        *_table(("language", "n", "flagged", "share"), general_rows),
    ]


def render_report(report: EvalReport) -> str:
    """The report as Markdown tables (readable as plain text in a terminal)."""
    limit = "none" if report.limit is None else str(report.limit)
    lines = [
        f"# Evaluation: split {report.split}, limit {limit} per source",
        "",
        f"{report.enriched} texts enriched in {report.seconds:.1f} s; tasks: {', '.join(sorted(report.tasks))}.",
        "",
        *_headline(report),
        *_domains_section(report),
    ]
    if report.language is not None:
        lines += _language_section(report.language)
    if report.sentiment is not None:
        lines += _english_section(report.sentiment) + _multilingual_section(report.sentiment)
    if report.complaint is not None:
        lines += _complaint_section(report.complaint)
    if report.complaint_cross is not None:
        lines += _cross_complaint_section(report.complaint_cross)
    return "\n".join(lines)
