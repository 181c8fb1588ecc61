"""Rule-based intent: transparent cues, the sentiment and whether the post @-mentions the brand account; no
model.

One pass over the text's words finds every cue kind (``streams.enrich.cues``); links and hashtags are
counted separately (literal-prefix regexes, cheap). A short, ordered decision list turns them into an intent
and a confidence. The confidences are hand-set priors, ordered so that stronger evidence scores
higher; they are not calibrated probabilities.

Complaint: a named service problem (COMPLAINT cues: "never arrived", "refund", "not working") on its own; a
bad mood (negative sentiment or a MOOD cue: "worst", "still", "nobody") only together with a service
(SERVICE cues: order, flight, app, staff, ...) or in a post addressed to the brand. A bad mood alone is
everyday talk in posts found by keyword search; docs/evaluation.md has the figures, in and across domains.
"""

from __future__ import annotations

import logging
import re

from schemas.enriched import Intent, Sentiment, SentimentLabel
from streams.enrich.cues import CueSet, normalised
from streams.enrich.text import count_hashtags, count_urls, strip_urls

logger = logging.getLogger(__name__)

SPAM = "spam"
ASK_OTHERS = "ask_others"
COMPLAINT = "complaint"
PRAISE = "praise"
FEEDBACK = "feedback"
MOOD = "mood"
SERVICE = "service"

SPAM_MIN_URLS = 3
SPAM_MIN_HASHTAGS = 6

# Cue syntax: see streams.enrich.cues. English first, then a few cheap es/fr/de/pt/it cues.
CUES: dict[str, tuple[str, ...]] = {
    SPAM: (
        "follow me|back",
        "follow for follow",
        "f4f",
        "free followers|likes|views|subscribers|iphone|giftcard|giftcards",
        "free gift card|cards",
        "get|gain|buy followers|likes|subscribers",
        "get|gain|buy real|<num> followers|likes|subscribers",
        "check my profile|bio|page|channel|link|onlyfans",
        "check out my profile|bio|page|channel|link|onlyfans",
        "link in bio",
        "link in my bio",
        "subscribe to my channel|page",
        "dm me|us for promo|collab|promotion",
        "dm for promo|collab|promotion",
        "crypto|bitcoin|btc|eth|ethereum|nft|usdt giveaway|airdrop|bonus",
        "giveaway crypto|bitcoin|btc|eth|ethereum|nft",
        "send <num> btc|eth|usdt",
        "double|2x your bitcoin|btc|eth|crypto|money",
        "earn <num> a|per|every day|week|hour",
        "earn money from home",
        "work from home and earn",
        "click the|this link below|in",
        "sígueme",
        "suivez-moi",
        "folge mir",
        "me siga|sigam",
        "seguimi",
    ),
    ASK_OTHERS: (
        "anyone|anybody else",
        "any one else",
        "does|has|is|did|can anyone|anybody",
        "is it just me",
        "am i the only one",
        "alguien más|mas|sabe",
        "quelqu'un d'autre",
        "quelqu'un sait|a",
        "noch jemand",
        "hat jemand",
        "mais alguém",
        "alguém mais|sabe",
        "qualcun altro",
        "qualcuno sa",
    ),
    # A service problem named outright: a complaint whatever the sentiment says.
    COMPLAINT: (
        "never arrived|received|came|got|delivered|responded|answered|called|refunded",
        "never showed up",
        "hasn't|haven't|hasnt|havent|didn't|didnt arrive|arrived|come|came",
        "has|have not arrived|come",
        "still not here|arrived|working|fixed",
        "still no response|reply|answer|refund|word",
        "still haven't|hasn't|havent|hasnt",
        "not yet arrived",
        "been delivered",
        "refund|refunds|refunded",
        "cancel|cancels|cancelled|canceled|cancelling|canceling|cancellation",
        "no response|reply|answer",
        "on hold",
        "delay|delays|delayed",
        "missing",
        "broken",
        "damaged",
        "not working",
        "doesn't|doesnt|won't|wont|didn't|didnt work",
        "stopped working",
        "charged",
        "complaint",
        "reembolso|remboursement|erstattung|rimborso",
        "nunca llegó|chegou",
        "toujours pas",
        "jamais reçu",
        "nie angekommen",
        "ainda não",
        "ancora non",
        "mai arrivato|arrivata",
    ),
    # Bad mood words: a complaint only about a service (SERVICE cue). On their own they are everyday talk
    # ("worst day ever", "still waiting for the weekend").
    MOOD: (
        "still",
        "worst",
        "lost",
        "no one",
        "nobody",
        "waiting|waited",
        "terrible",
        "horrible",
        "awful",
        "ridiculous",
        "unacceptable",
        "disappointed|disappointing|disappointment",
        "rude",
        "useless",
        "joke",
        "suck|sucks",
        "pathetic",
        "fail|fails|failed|failure",
        "not happy",
        "fed up",
        "peor|pésimo|pésima|todavía|nadie|esperando",
        "pire|nul|j'attends",
        "personne ne",
        "schlimmste|schlimmster|schlimmstes|niemand|keiner|warte",
        "immer noch",
        "pior|péssimo|péssima|ninguém",
        "peggio|peggiore|peggior|pessimo|pessima|nessuno",
    ),
    # What a customer complains about: orders, accounts, trips, apps, staff, the service itself.
    SERVICE: (
        "order|orders|ordered|delivery|package|parcel|shipment|shipping|tracking",
        "account|bill|billing|charge|charges|payment|card|subscription|plan|contract|invoice|fee|fees",
        "flight|flights|plane|gate|bag|bags|luggage|baggage|booking|booked|reservation|seat|ticket|tickets",
        "boarding|crew|pilot|train|trains|driver|ride|bus",
        "app|website|site|update|login|password|error|bug|crash|crashes|crashing|glitch|server|servers|outage",
        "internet|wifi|connection|signal|service|network|phone|device|laptop|console|stream|streaming",
        "problem|problems|issue|issues",
        "customer service|support|care",
        "store|staff|manager|employee|employees|agent|rep|representative|cashier|branch|restaurant|hotel|room",
        "replacement|return|exchange|warranty|repair",
        "item|items|product|products|purchase|purchased|bought|food|meal",
        "call|called|calling|email|emailed|chat|hold|hours|minutes|days|weeks",
        "you guys|y'all",
        "your service|app|company|staff|customer|website|site|product|team|support|store|flight|airline",
        "pedido|cuenta|servicio|atención|entrega|paquete|vuelo|aplicación",
        "commande|compte|livraison|colis|vol|client",
        "paket|bestellung|konto|lieferung|flug|kundenservice|rechnung",
        "encomenda|conta|atendimento|voo|serviço",
        "ordine|conto|consegna|pacco|volo|servizio|assistenza",
    ),
    PRAISE: (
        "thanks|thank|thx|ty",
        "love|loved|loves|loving",
        "great",
        "awesome",
        "amazing",
        "excellent",
        "best",
        "kudos",
        "shoutout",
        "shout out",
        "appreciate|appreciated",
        "fantastic",
        "wonderful",
        "perfect",
        "brilliant",
        "outstanding",
        "well done",
        "props",
        "gracias|encanta|excelente|genial",
        "merci|génial|adore|bravo",
        "danke|toll|großartig|klasse",
        "obrigado|obrigada|adoro|ótimo|ótima|parabéns",
        "grazie|ottimo|ottima|fantastico|bravissimo|bravissimi",
    ),
    FEEDBACK: (
        "suggest|suggestion|suggestions|suggested",
        "would be nice|great|better|good|helpful|awesome|cool if",
        "you|y'all should add|make|bring|offer|consider|let",
        "you guys should add|make|bring|offer|consider|let",
        "you need to add|offer|bring",
        "please add|consider",
        "please bring back",
        "please make it",
        "please let us",
        "feature request",
        "i wish you|there|it|the",
        "consider adding|bringing|offering|making",
        "feedback",
        "why not add|offer|make",
        "how about adding|offering|making",
        "sugerencia|sugiero|vorschlag|sugestão|suggerimento",
    ),
}
# Consumed without counting: everyday phrases that contain a cue of the opposite meaning.
EXCLUSIONS: tuple[str, ...] = (
    "thanks for nothing",
    "thank you for nothing",
    "no thanks|thank",
    "not great|best|perfect|amazing|awesome|excellent",
    "not the best",
    "not a fan",
    "love to know",
    "still love|loving",
)

_CUE_SET = CueSet(CUES, EXCLUSIONS)

_LEADING_HANDLES_RE = re.compile(r"(?:\.?@\w+[:,]? ?)*")
# Question openers. Bare auxiliaries ("do", "can") open too many imperatives and exclamations
# ("do better", "can't wait", "what a flight"), so they count only with a pronoun-like subject.
_QUESTION_LEAD_RE = re.compile(
    r"""
    (?:
        why|where|when|which|whose|whom|who
      | what(?!\ an?\b|\ the\ (?:hell|heck|fuck))
      | how(?!\ (?:awesome|amazing|great|nice|cool|lovely|sweet|kind|wonderful|sad|rude|dare|lucky)\b)
      | (?:can|could|would|will)\ (?:you|u|i|we|someone|somebody|anyone|anybody|they)
      | (?:is|are|was|were)\ (?:there|it|this|that|my|your|the|anyone|anybody)
      | (?:do|does|did)\ (?:you|u|i|we|they|it|this|my|your|anyone|anybody|someone)
      | (?:should|may|shall)\ (?:i|we)
      | (?:has|have)\ (?:you|u|my|your|anyone|anybody)
      | qué|cómo|cuándo|dónde|por\ qué|cuál|puedo|pueden
      | pourquoi|comment|quand|où|est-ce\ que|pouvez-vous
      | wie|warum|wann|wo|kann\ ich|können\ sie|gibt\ es
      | como\ (?:faço|posso|eu|faz)|quando|onde|por\ que|vocês\ podem
      | perché|come\ (?:posso|faccio|si)|dove|qual[ei]?
    )\b
    """,
    re.VERBOSE,
)
_QUESTION_MARKS = ("?", "¿", "？", "؟")  # noqa: RUF001 - full-width and Arabic question marks are deliberate


def find_cues(text: str) -> dict[str, int]:
    """How many times each cue kind occurs in ``text`` (for tests and tuning)."""
    return _CUE_SET.find(text)


def is_question(text: str, lowered: str) -> tuple[bool, bool]:
    """(has a question mark outside links, starts - after any @handles - with a question opener)."""
    if "?" in text and ("http" in text or "www." in text):
        text = strip_urls(text)  # a '?' inside a link's query string is not a question
    has_mark = "?" in text or "¿" in text or "？" in text or "؟" in text  # noqa: RUF001 - see _QUESTION_MARKS
    start = _LEADING_HANDLES_RE.match(lowered)
    position = start.end() if start is not None else 0
    has_lead = _QUESTION_LEAD_RE.match(lowered, position) is not None
    return has_mark, has_lead


def addresses(text: str, account: str) -> bool:
    """Whether ``text`` @-mentions the brand ``account`` (with or without its leading '@'), ignoring case."""
    if "@" not in text or not account:
        return False
    handle = (account if account.startswith("@") else "@" + account).lower()
    lowered = text.lower()
    end = 0
    while (start := lowered.find(handle, end)) >= 0:
        end = start + len(handle)
        if end == len(lowered) or not (lowered[end].isalnum() or lowered[end] == "_"):
            return True  # a whole handle: "@united" is not found in "@united_fan"
    return False


def classify_intent(
    text: str, sentiment: Sentiment, lowered: str | None = None, addressed: bool = False
) -> tuple[Intent, float]:
    """Intent and a confidence in [0, 1] from cues in ``text`` and its ``sentiment``.

    ``lowered`` is ``normalise(text)`` when the caller already has it, else computed here if the question test
    needs it. ``addressed``: the text @-mentions the brand account the mention is for (``addresses``); a bad
    mood in a post addressed to the brand counts like one about a service.
    """
    if not text or text.isspace():
        return Intent.OTHER, 0.0
    cues = _CUE_SET.find(text)
    label = sentiment.label
    negative = label is SentimentLabel.NEGATIVE
    positive = label is SentimentLabel.POSITIVE

    # Every link starts with "http" or "www." and every hashtag with "#": str.count bounds both counts from above,
    # so the regex counts run only when the threshold is within reach.
    link_heavy = (text.count("http") + text.count("www.") >= SPAM_MIN_URLS and count_urls(text) >= SPAM_MIN_URLS) or (
        text.count("#") >= SPAM_MIN_HASHTAGS and count_hashtags(text) >= SPAM_MIN_HASHTAGS
    )
    if SPAM in cues:
        return Intent.SPAM, 0.9 if link_heavy else 0.75
    if link_heavy:
        return Intent.SPAM, 0.6

    if ASK_OTHERS in cues:
        return Intent.ASK_OTHERS, 0.8

    # Complaint before question: "why was my flight cancelled?" and "thanks for nothing, still waiting"
    # are complaints, and missing a complaint is the costly error. A named service problem (COMPLAINT cue)
    # wins even when the sentiment reads positive (polite or sarcastic complaints). A bad mood (MOOD cue or
    # negative sentiment) is a complaint only about something a brand provides (SERVICE cue) or in a post
    # addressed to the brand: "worst day ever" and "nobody cares about this match" are everyday talk, and
    # reading them as complaints was the main error on posts that mention no service (docs/evaluation.md,
    # cross-domain complaint figures).
    if COMPLAINT in cues:
        return Intent.COMPLAINT, 0.85 if negative else 0.65
    if (negative or MOOD in cues) and (SERVICE in cues or addressed):
        return Intent.COMPLAINT, 0.75 if negative and MOOD in cues else 0.55

    has_mark, has_lead = is_question(text, normalised(text) if lowered is None else lowered)
    if has_mark or has_lead:
        return Intent.QUESTION, 0.8 if has_mark and has_lead else 0.65

    if FEEDBACK in cues:
        return Intent.FEEDBACK, 0.7
    if PRAISE in cues and positive:
        return Intent.PRAISE, 0.85
    if PRAISE in cues:
        return Intent.PRAISE, 0.6
    if positive:
        return Intent.PRAISE, 0.45
    return Intent.OTHER, 0.3
