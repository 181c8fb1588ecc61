"""The version of each record type's schema (MAJOR.MINOR) and the id records carry in their ``schema`` header.

A compatible change (a new optional member, a new enum value) bumps MINOR, a breaking one MAJOR; see
``schemas.export`` for the procedure and ``schemas.compat`` for what counts as breaking.
"""

from __future__ import annotations

VERSIONS: dict[str, str] = {
    "mention": "1.0",
    "enriched_mention": "1.0",
    "routed_mention": "1.0",
    "dead_letter": "1.1",
    "duplicate": "1.0",
    "response": "1.0",
    "customer": "1.0",
    "assignment": "1.0",
    "first_response": "1.0",
    "escalation": "1.0",
}

SCHEMA_HEADER = "schema"  # the Kafka record header that names a record's schema


def schema_id(name: str) -> str:
    """``urn:mention-router:schema:<name>:<version>``: the JSON Schema's ``$id`` and the header's value."""
    return f"urn:mention-router:schema:{name}:{VERSIONS[name]}"
