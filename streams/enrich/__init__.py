"""Pure enrichment logic: language, sentiment, intent, urgency, influence, priority, topics and PII redaction
for one mention.

No stream-processing imports here: the faust agent calls ``Enricher().enrich(mention)`` per event.

    enricher = Enricher()                 # loads the models once
    enrichment = enricher.enrich(mention) # never raises
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from schemas.enriched import Enrichment, Intent, PriorityReason, Sentiment
from schemas.mention import Mention
from schemas.trusted import trusted
from streams.enrich.cues import forget
from streams.enrich.intent import addresses, classify_intent
from streams.enrich.language import UNDETERMINED, LanguageDetector
from streams.enrich.pii import redact
from streams.enrich.priority import BASE_POINTS, STANDARD, compute_priority, influence_tier
from streams.enrich.sentiment import UNKNOWN_SENTIMENT, SentimentScorer
from streams.enrich.topics import DEFAULT_TAXONOMY_PATH, load_matcher
from streams.enrich.urgency import detect_urgency, with_attention

__all__ = ["Enricher"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

LANGUAGE = "language"
SENTIMENT = "sentiment"
INTENT = "intent"
URGENCY = "urgency"
INFLUENCE = "influence"
PRIORITY = "priority"
PII = "pii"
TOPICS = "topics"
ENRICHMENT = "enrichment"

_UNDETERMINED: tuple[str, float] = (UNDETERMINED, 0.0)
_OTHER_INTENT: tuple[Intent, float] = (Intent.OTHER, 0.0)
_NO_URGENCY: tuple[str, ...] = ()
_NO_TOPICS: tuple[str, ...] = ()
# When the PII check itself fails the text is withheld, not passed on unchecked (fail closed).
WITHHELD_TEXT = "[text withheld: the personal-data check failed]"
_WITHHELD: tuple[str, tuple[str, ...]] = (WITHHELD_TEXT, ("unchecked",))
_FALLBACK_PRIORITY: tuple[int, tuple[PriorityReason, ...]] = (
    BASE_POINTS,
    (PriorityReason(factor="base", points=BASE_POINTS, detail="fallback: priority enricher failed"),),
)
_FALLBACK_REASONS = (PriorityReason(factor="base", points=BASE_POINTS, detail="fallback: enrichment failed"),)


class Enricher:
    """Composes the sub-enrichers. Each one runs in a guard: a failure falls back to an unknown/neutral
    value and the sub-enricher's name is listed in ``Enrichment.failed_enrichers``.

    The sub-enrichers are plain attributes so tests (and later issues) can swap them.

    ``taxonomy_path``: the topic taxonomy (default ``streams/config/taxonomy.yaml``); a bad file raises
    ``streams.enrich.topics.TaxonomyError`` here, at start-up, never in ``enrich``.
    ``Enrichment.redacted_text`` is the text with PII replaced by placeholders when PII was found, else None
    (use ``mention.text``). When "pii" is in ``failed_enrichers`` the check failed and ``redacted_text`` is
    ``WITHHELD_TEXT``: routed records then carry no text rather than text nobody checked.
    """

    def __init__(self, taxonomy_path: str | Path = DEFAULT_TAXONOMY_PATH) -> None:
        self.detect_language: Callable[[str], tuple[str, float]] = LanguageDetector().detect
        self.score_sentiment: Callable[[str, str], Sentiment] = SentimentScorer().score
        # (text, sentiment, normalised text or None, addressed to the brand account) -> (intent, confidence)
        self.classify_intent: Callable[[str, Sentiment, str | None, bool], tuple[Intent, float]] = classify_intent
        self.detect_urgency: Callable[[str], tuple[str, ...]] = detect_urgency
        self.influence_tier: Callable[[int, bool], str] = influence_tier
        self.compute_priority: Callable[
            [Intent, Sentiment, str, tuple[str, ...]], tuple[int, tuple[PriorityReason, ...]]
        ] = compute_priority
        self.redact_pii: Callable[[str], tuple[str, tuple[str, ...]]] = redact
        self.match_topics: Callable[[str], tuple[str, ...]] = load_matcher(taxonomy_path).match

    def enrich(self, mention: Mention) -> Enrichment:
        """The enrichment of one mention. Never raises."""
        try:
            return self._enrich_unguarded(mention)
        except Exception:  # the guarded pass below finds, logs and counts the failing step
            pass
        failed: list[str] = []
        try:
            return self._enrich(mention, failed)
        except Exception as exc:  # a bug outside the guarded steps (e.g. building the model); still never raise
            logger.error("enrichment failed for mention %s: %s", _mention_id(mention), type(exc).__name__)
            return Enrichment(
                language=UNDETERMINED,
                language_confidence=0.0,
                sentiment=UNKNOWN_SENTIMENT,
                priority=BASE_POINTS,
                priority_reasons=_FALLBACK_REASONS,
                redacted_text=WITHHELD_TEXT,  # nothing checked the text for personal data
                failed_enrichers=(*dict.fromkeys(failed), ENRICHMENT),
            )

    def enrich_many(self, mentions: Sequence[Mention]) -> list[Enrichment]:
        """``[enrich(m) for m in mentions]``, computed step by step: each enricher runs over the whole batch
        before the next one starts, so its tables and code stay in the CPU caches. Run one mention at a time,
        the steps keep evicting each other (docs/performance.md). Never raises.
        """
        try:
            return self._enrich_columns(mentions)
        except Exception as exc:  # a step failed on some mention: this batch goes one by one, the guards name it
            logger.warning(
                "enrich_many: %s in a batch of %d; enriching it one mention at a time",
                type(exc).__name__,
                len(mentions),
            )
            return [self.enrich(mention) for mention in mentions]
        finally:
            forget()  # the batch's cue tokens are not needed again

    def _enrich_columns(self, mentions: Sequence[Mention]) -> list[Enrichment]:
        texts = [mention.text for mention in mentions]
        languages = list(map(self.detect_language, texts))
        sentiments = list(map(self.score_sentiment, texts, [language for language, _ in languages]))
        # Intent and urgency read the same cue tokens (streams.enrich.cues keeps a batch's worth).
        addressed = [addresses(mention.text, mention.brand_account) for mention in mentions]
        intents = list(map(self.classify_intent, texts, sentiments, [None] * len(texts), addressed))
        tier = self.influence_tier
        influences = [tier(mention.author.followers, mention.author.verified) for mention in mentions]
        urgencies = list(map(with_attention, map(self.detect_urgency, texts), influences))
        priorities = list(
            map(self.compute_priority, [intent for intent, _ in intents], sentiments, influences, urgencies)
        )
        topics = list(map(self.match_topics, texts))
        redactions = list(map(self.redact_pii, texts))
        return list(
            map(_checked, languages, sentiments, intents, urgencies, influences, priorities, topics, redactions)
        )

    def _enrich_unguarded(self, mention: Mention) -> Enrichment:
        """The common case without a guard per step (~8 calls and handlers per event). Any exception sends
        the mention through ``_enrich``, which runs every step in its guard and names the one that failed.
        """
        text = mention.text
        author = mention.author
        language = self.detect_language(text)
        sentiment = self.score_sentiment(text, language[0])
        intent = self.classify_intent(text, sentiment, None, addresses(text, mention.brand_account))
        influence = self.influence_tier(author.followers, author.verified)
        urgency = with_attention(self.detect_urgency(text), influence)
        priority = self.compute_priority(intent[0], sentiment, influence, urgency)
        return _checked(
            language, sentiment, intent, urgency, influence, priority, self.match_topics(text), self.redact_pii(text)
        )

    def _enrich(self, mention: Mention, failed: list[str]) -> Enrichment:
        text = mention.text
        author = mention.author
        mention_id = mention.id
        run = _run
        language = run(failed, mention_id, LANGUAGE, _UNDETERMINED, self.detect_language, text)
        sentiment = run(failed, mention_id, SENTIMENT, UNKNOWN_SENTIMENT, self.score_sentiment, text, language[0])
        addressed = addresses(text, mention.brand_account)
        intent = run(failed, mention_id, INTENT, _OTHER_INTENT, self.classify_intent, text, sentiment, None, addressed)
        urgency = run(failed, mention_id, URGENCY, _NO_URGENCY, self.detect_urgency, text)
        influence = run(failed, mention_id, INFLUENCE, STANDARD, self.influence_tier, author.followers, author.verified)
        urgency = with_attention(urgency, influence)
        priority = run(
            failed,
            mention_id,
            PRIORITY,
            _FALLBACK_PRIORITY,
            self.compute_priority,
            intent[0],
            sentiment,
            influence,
            urgency,
        )
        topics = run(failed, mention_id, TOPICS, _NO_TOPICS, self.match_topics, text)
        redaction = run(failed, mention_id, PII, _WITHHELD, self.redact_pii, text)
        fields = _fields(language, sentiment, intent, urgency, influence, priority, topics, redaction, tuple(failed))
        # Validated: a step's out-of-range output fails here, and ``enrich`` falls back.
        return Enrichment.model_validate(fields)


def _checked(
    language: tuple[str, float],
    sentiment: Sentiment,
    intent: tuple[Intent, float],
    urgency: tuple[str, ...],
    influence: str,
    priority: tuple[int, tuple[PriorityReason, ...]],
    topics: tuple[str, ...],
    redaction: tuple[str, tuple[str, ...]],
) -> Enrichment:
    """The ``Enrichment`` of the steps' outputs, built without pydantic once their types and ranges are checked
    (~10 µs an event; tests/unit/test_enrich.py compares both ways of building it on real texts). ValueError
    when a step returned something ``Enrichment`` would refuse or convert; the guarded path then validates."""
    language_confidence = language[1]
    intent_confidence = intent[1]
    points = priority[0]
    if not (
        type(language[0]) is str
        and type(language_confidence) is float
        and 0.0 <= language_confidence <= 1.0
        and type(sentiment) is Sentiment
        and type(intent[0]) is Intent
        and type(intent_confidence) is float
        and 0.0 <= intent_confidence <= 1.0
        and type(urgency) is tuple
        and type(influence) is str
        and type(points) is int
        and 0 <= points <= 100
        and type(priority[1]) is tuple
        and type(topics) is tuple
    ):
        raise ValueError("an enricher returned a value outside the Enrichment schema")
    return trusted(
        Enrichment, _fields(language, sentiment, intent, urgency, influence, priority, topics, redaction, ())
    )


def _fields(
    language: tuple[str, float],
    sentiment: Sentiment,
    intent: tuple[Intent, float],
    urgency: tuple[str, ...],
    influence: str,
    priority: tuple[int, tuple[PriorityReason, ...]],
    topics: tuple[str, ...],
    redaction: tuple[str, tuple[str, ...]],
    failed: tuple[str, ...],
) -> dict[str, Any]:
    """Every field of an ``Enrichment``, from the steps' outputs as they return them."""
    redacted, pii_kinds = redaction
    return {
        "language": language[0],
        "language_confidence": language[1],
        "sentiment": sentiment,
        "intent": intent[0],
        "intent_confidence": intent[1],
        "urgency": urgency,
        "topics": topics,
        "influence": influence,
        "customer_tier": None,
        "redacted_text": redacted if pii_kinds else None,
        "priority": priority[0],
        "priority_reasons": priority[1],
        "failed_enrichers": failed,
        "wave": None,
    }


def _run(failed: list[str], mention_id: str, name: str, fallback: T, step: Callable[..., T], *args: object) -> T:
    """``step(*args)``, or ``fallback`` (and ``name`` appended to ``failed``) when it raises."""
    try:
        return step(*args)
    except Exception as exc:
        # Never the text or the exception message (it may quote the text): PII.
        logger.warning("enricher %s failed for mention %s: %s", name, mention_id, type(exc).__name__)
        failed.append(name)
        return fallback


def _mention_id(mention: object) -> str:
    return str(getattr(mention, "id", "?"))
