"""Pydantic models that are the contract with producers and downstream apps."""

from schemas.customer import Customer, customer_key
from schemas.dead_letter import DeadLetter, DeadLetterReason
from schemas.duplicate import DuplicateKind, DuplicateRecord
from schemas.enriched import EnrichedMention, Enrichment, Intent, PriorityReason, Sentiment, SentimentLabel
from schemas.mention import Author, Channel, Mention
from schemas.response import Response, ResponseKind
from schemas.routed import MatchedCondition, Route, RoutedMention
from schemas.tracking import Assignment, Escalation, EscalationLevel, FirstResponse, PriorityBand

__all__ = [
    "Assignment", "Author", "Channel", "Customer", "DeadLetter", "DeadLetterReason", "DuplicateKind",
    "DuplicateRecord", "EnrichedMention", "Enrichment", "Escalation", "EscalationLevel", "FirstResponse", "Intent",
    "MatchedCondition", "Mention", "PriorityBand", "PriorityReason", "Response", "ResponseKind", "Route",
    "RoutedMention", "Sentiment", "SentimentLabel", "customer_key",
]  # fmt: skip
