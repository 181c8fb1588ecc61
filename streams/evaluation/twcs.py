"""Weak complaint labels from brand replies in "Customer Support on Twitter" (twcs), grouped by industry.

The file has no complaint label, but a care team's reply says what it read: an apology or an expression of
regret ("sorry", "apologies", "frustrating", "not the experience we want") answers a complaint; a reply with
neither regret nor an offer of help ("glad you had fun", "which station are you travelling to?") answers
something that is not one. Replies that only offer help ("DM us your account number") are left unlabelled:
brands send them to complaints and to plain questions alike. Labels come from the **reply**, the text
scored is the **customer's** tweet, so no cue the enricher reads is used to make the gold.

Only customer tweets that open a conversation (no ``in_response_to_tweet_id``) and got a brand reply inside
the file are used; the first reply (lowest tweet id) gives the label. Each brand belongs to one industry
(``BRAND_INDUSTRY``; brands not listed are ``other``) so that the figures can be read per industry and a
rule tuned on one industry (the airline proxy) can be read on the others.

Expected file: ``twcs-sample/twcs.csv`` under the data root (columns tweet_id, author_id, inbound,
created_at, text, response_tweet_id, in_response_to_tweet_id). Its licence (CC BY-NC-SA 4.0) allows this
non-commercial evaluation; nothing derived from it is shipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from streams.evaluation.datasets import COMPLAINT, NOT_COMPLAINT
from streams.sources.twcs import TwcsTweet as SourceTweet
from streams.sources.twcs import read_twcs as read_twcs_rows

__all__ = [
    "BRAND_INDUSTRY",
    "TWCS_CSV",
    "TwcsTweet",
    "read_twcs",
    "reply_label",
]

TWCS_CSV = Path("twcs-sample") / "twcs.csv"
OTHER_INDUSTRY = "other"

_INDUSTRIES: dict[str, tuple[str, ...]] = {
    "airline": (
        "AirAsiaSupport",
        "AlaskaAir",
        "AmericanAir",
        "British_Airways",
        "Delta",
        "JetBlue",
        "SouthwestAir",
        "VirginAmerica",
        "VirginAtlantic",
    ),
    "telecom": (
        "Ask_Spectrum",
        "BoostCare",
        "CenturyLinkHelp",
        "CoxHelp",
        "GloCare",
        "O2",
        "Safaricom_Care",
        "TMobileHelp",
        "USCellularCares",
        "VerizonSupport",
        "airtel_care",
        "comcastcares",
        "idea_cares",
        "sprintcare",
    ),
    "software & electronics": (
        "ATVIAssist",
        "AdobeCare",
        "AppleSupport",
        "AskPlayStation",
        "AsurionCares",
        "AzureSupport",
        "DropboxSupport",
        "GoDaddyHelp",
        "HPSupport",
        "JackBox",
        "MicrosoftHelps",
        "SpotifyCares",
        "XboxSupport",
        "YahooCare",
        "asksalesforce",
        "hulu_support",
    ),
    "retail": (
        "AldiUK",
        "AmazonHelp",
        "ArgosHelpers",
        "AskTarget",
        "AskeBay",
        "Morrisons",
        "NeweggService",
        "NikeSupport",
        "Tesco",
        "Walmart",
        "marksandspencer",
        "sainsburys",
    ),
    "food": (
        "AskPapaJohns",
        "ChipotleTweets",
        "DoorDash_Help",
        "DunkinDonuts",
        "McDonalds",
        "Postmates_Help",
        "askpanera",
    ),
    "transport & delivery": (
        "AskLyft",
        "GWRHelp",
        "LondonMidland",
        "SW_Help",
        "TfL",
        "UPSHelp",
        "Uber_Support",
        "VirginTrains",
        "nationalrailenq",
    ),
    "finance": ("AskAmex", "AskCiti", "AskPayPal", "Ask_WellsFargo", "BofA_Help", "ChaseSupport"),
    "hospitality": ("AirbnbHelp", "IHGService", "Kimpton"),
}
BRAND_INDUSTRY: dict[str, str] = {brand: industry for industry, brands in _INDUSTRIES.items() for brand in brands}

# Regret or apology: the brand read a complaint.
_REGRET_RE = re.compile(
    r"\b(?:sorry|apologi[sz]e[sd]?|apologies|frustrat\w*|inconvenien\w*|unfortunate\w*|disappoint\w*|"
    r"concerning|hate to (?:hear|see|read)|not (?:the|what) (?:experience|we)\w*|let (?:you )?down|"
    r"lo sentimos|disculp\w*|désolé\w*|excuses)\b",
    re.IGNORECASE,
)
# An offer of help or a request for details: sent to complaints and questions alike, so no label.
_HELP_RE = re.compile(
    r"\b(?:dm|dms|direct message|private message|help|assist\w*|look into|take a look|follow up|troubleshoot\w*|"
    r"reach out|details|more info\w*|check (?:on|into)|investigat\w*|contact|account|ayud\w*|aide[rz]?)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class TwcsTweet:
    tweet_id: str
    brand: str  # author_id of the first brand reply
    industry: str
    text: str  # the customer's tweet
    reply: str  # the brand's first reply
    label: str | None  # complaint / not_complaint / None (unclear), from the reply


def reply_label(reply: str) -> str | None:
    """The weak complaint label a brand reply gives the tweet it answers (see the module doc)."""
    if _REGRET_RE.search(reply):
        return COMPLAINT
    if _HELP_RE.search(reply):
        return None
    return NOT_COMPLAINT


def read_twcs(data_root: Path) -> list[TwcsTweet]:
    """The conversation-opening customer tweets of ``twcs-sample/twcs.csv`` that a brand answered in the file."""
    path = data_root / TWCS_CSV
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found")
    rows = list(read_twcs_rows(path))  # the project's twcs parser (float ids, bare carriage returns)
    openers = {row.tweet_id: row for row in rows if row.inbound and row.in_response_to_tweet_id is None}
    first_reply: dict[str, SourceTweet] = {}
    for row in rows:
        parent = row.in_response_to_tweet_id
        if row.inbound or parent not in openers:
            continue
        earlier = first_reply.get(parent)
        if earlier is None or int(row.tweet_id) < int(earlier.tweet_id):
            first_reply[parent] = row
    return [
        TwcsTweet(
            tweet_id=tweet_id,
            brand=reply.author_id,
            industry=BRAND_INDUSTRY.get(reply.author_id, OTHER_INDUSTRY),
            text=openers[tweet_id].text,
            reply=reply.text,
            label=reply_label(reply.text),
        )
        for tweet_id, reply in sorted(first_reply.items(), key=lambda item: int(item[0]))
    ]
