"""Export each schema's JSON Schema to schemas/json/ (``python -m schemas.export``).

Every schema has a version (``VERSIONS``, MAJOR.MINOR) and an ``$id`` naming it,
``urn:mention-router:schema:<name>:<version>``; every record the router writes carries that id in its
``schema`` header. Each version, once exported, is kept as released in ``schemas/json/released/``. Unit tests
fail when the committed files differ from what this produces, when a model changed without a new version,
and when a version breaks readers of an earlier one of the same major (``schemas.compat``).

Changing a model: in ``schemas/versions.py`` bump its MINOR for a compatible change (a new optional member, a new
enum value), its MAJOR for a breaking one (and say so in docs/contract.md); then run ``python -m schemas.export``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import BaseModel

from schemas import (
    Assignment,
    Customer,
    DeadLetter,
    DuplicateRecord,
    EnrichedMention,
    Escalation,
    FirstResponse,
    Mention,
    Response,
    RoutedMention,
)
from schemas.versions import VERSIONS, schema_id

JSON_DIR = Path(__file__).parent / "json"
RELEASED_DIR = JSON_DIR / "released"
EXPORTED: dict[str, type[BaseModel]] = {
    "mention": Mention,
    "enriched_mention": EnrichedMention,
    "routed_mention": RoutedMention,
    "dead_letter": DeadLetter,
    "duplicate": DuplicateRecord,
    "response": Response,
    "customer": Customer,
    "assignment": Assignment,
    "first_response": FirstResponse,
    "escalation": Escalation,
}


def render(name: str) -> str:
    schema = EXPORTED[name].model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = schema_id(name)
    schema["version"] = VERSIONS[name]
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def released(name: str, version: str) -> Path:
    return RELEASED_DIR / f"{name}-{version}.schema.json"


def main() -> int:
    RELEASED_DIR.mkdir(parents=True, exist_ok=True)
    stale = []
    for name in EXPORTED:
        text = render(name)
        (JSON_DIR / f"{name}.schema.json").write_text(text)
        copy = released(name, VERSIONS[name])
        if not copy.exists():
            copy.write_text(text)
        elif copy.read_text() != text:
            stale.append(f"{name} {VERSIONS[name]}")
    print(f"wrote {len(EXPORTED)} schemas to {JSON_DIR}", file=sys.stderr)
    if stale:
        print(f"changed without a new version (bump it in schemas/versions.py): {', '.join(stale)}",
              file=sys.stderr)  # fmt: skip
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
