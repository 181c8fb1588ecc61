"""Urgency flags from keyword cues, found in one pass over the text's words (``streams.enrich.cues``)."""

from __future__ import annotations

import logging

from streams.enrich.cues import CueSet
from streams.enrich.priority import INFLUENCER

logger = logging.getLogger(__name__)

SAFETY = "safety"
LEGAL = "legal"
CHURN = "churn"
OUTAGE = "outage"
PAYMENT = "payment"
# Media or influencer attention: the author threatens to go to the press (text cues here), or is an
# influencer themselves (``with_attention``, from the influence tier).
ATTENTION = "attention"
FLAGS: tuple[str, ...] = (SAFETY, LEGAL, CHURN, OUTAGE, PAYMENT, ATTENTION)

# Cue syntax: see streams.enrich.cues. English first, then cheap es/fr/de/pt/it cues.
# Deliberately specific: a bare "down", "leaving" or "court" fires on every airline tweet
# ("sit down", "flight leaving at 5", "food court").
CUES: dict[str, tuple[str, ...]] = {
    SAFETY: (
        "fire",
        "smoke",
        "burn|burns|burned|burnt|burning",
        "injury|injuries|injured|injure|injuring",
        "unsafe",
        "danger|dangerous",
        "hazard|hazardous",
        "emergency",
        "explode|exploded|exploding|explosion",
        "poison|poisoned|poisoning",
        "choking",
        "bleeding",
        "ambulance",
        "hospital|hospitalized|hospitalised",
        "electrocuted|electrocution",
        "electric shock",
        "gas leak",
        "carbon monoxide",
        "allergic reaction",
        "incendio|incendie|incêndio",
        "peligro|peligroso|peligrosa",
        "pericolo|pericoloso|pericolosa",
        "perigo|perigoso|perigosa",
        "gefahr|gefährlich",
        "verletzt|verletzung",
        "blessé|blessée|blessure",
    ),
    LEGAL: (
        "lawyer|lawyers",
        "attorney|attorneys",
        "sue|suing|sued",
        "lawsuit|lawsuits",
        "legal action",
        "class action",
        "small claims",
        "take you|u to court",
        "see you|u in court",
        "abogado|abogada|abogados",
        "demandar|demandaré",
        "avocat|avocats",
        "anwalt|anwälte|anwältin",
        "advogado|advogada|advogados",
        "avvocato|avvocati",
    ),
    CHURN: (
        "cancel|cancelling|canceling|cancelled|canceled my account|subscription|membership|plan|contract|service",
        "close|closing my account",
        "switching to",
        "switching over to",
        "i'm|im|we're switching",
        "i am switching",
        "we are switching",
        "i'll|we'll switch",
        "i|we will switch",
        "i'll|we'll be switching",
        "i|we will be switching",
        "switch|switching carriers|providers|banks|airlines|networks",
        "leaving you|u",
        "i'm|im done with you|u",
        "taking my business elsewhere",
        "will never fly|use|buy|order|shop|book",
        "never flying|using|buying|ordering|shopping|booking",
        "never fly|use|book|order with|from you|u|them",
        "lost a|another customer",
        "unsubscribe|unsubscribing",
        "dar|darme de baja",
        "résilier|résiliation",
        "kündigen|kündigung|kündige",
        "cancelar mi|minha cuenta|conta|suscripción|assinatura",
        "disdetta|disdette",
    ),
    OUTAGE: (
        "outage|outages",
        "site|app|website|server|servers|service|system|systems|network|internet|wifi|platform|it"
        " is|are|has|have|went|still|goes|keeps down",
        "site|app|website|server|servers|service|system|systems|network|internet|wifi|platform|it has|have been down",
        "it's down",
        "down for everyone|everybody|anyone|me|hours",
        "not working for anyone|everyone|everybody|anybody",
        "can't|cant|cannot|couldn't|couldnt login",
        "can't|cant|cannot|couldn't|couldnt log|sign in",
        "can|could not login",
        "can|could not log|sign in",
        "unable to login|connect|access",
        "unable to log|sign in",
        "service unavailable",
        "502|503|504 error",
        "no signal|internet|connection",
        "caído|caida|caída",
        "en panne",
        "gestört|störung",
        "fora do ar",
    ),
    PAYMENT: (
        "refund|refunds|refunded|refunding",
        "charged|billed me twice",
        "charged|billed twice",
        "double charged",
        "double-charged",
        "overcharged|overcharging|over-charged",
        "billing",
        "chargeback",
        "charge back",
        "unauthorized|unauthorised charge|charges|transaction|payment",
        "money back",
        "reembolso",
        "remboursement|remboursez|rembourser",
        "rückerstattung|erstattung",
        "rimborso|rimborsi",
    ),
    ATTENTION: (
        "journalist|journalists|reporter|reporters",
        "contact|contacting|call|calling|tell|telling|alert|alerting|email|emailing the media|press|news",
        "go|going|went to the media|press|news",
        "local news",
        "news station|channel|desk",
        "going|gone|went viral",
        "consumer watchdog",
        "periodista|periodistas|journaliste|journalistes|giornalista|giornalisti|jornalista|jornalistas",
    ),
}
# Consumed without raising a flag: the everyday phrases that contain a cue.
EXCLUSIONS: tuple[str, ...] = (
    "fire stick|tv|tablet|hd|os",
    "firestick",
    "emergency exit|exits|row|rows",
    "insult to injury",
    "smoke and mirrors",
    "burning question",
    "it is down to",
    "it's down to",
)

_CUE_SET = CueSet(CUES, EXCLUSIONS)


def detect_urgency(text: str) -> tuple[str, ...]:
    """Urgency flags found in ``text``, in the fixed order of ``FLAGS`` (empty tuple when none)."""
    if not text:
        return ()
    found = _CUE_SET.find(text)
    if not found:
        return ()
    return tuple(flag for flag in FLAGS if flag in found)


def with_attention(urgency: tuple[str, ...], influence: str) -> tuple[str, ...]:
    """``urgency`` with the attention flag added when the author is an influencer (once, in FLAGS order)."""
    if influence != INFLUENCER or ATTENTION in urgency:
        return urgency
    return (*urgency, ATTENTION)
