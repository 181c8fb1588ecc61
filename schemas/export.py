"""Export each schema's JSON Schema to schemas/json/ (``python -m schemas.export``).

A unit test fails when the committed files differ from what this produces.
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

JSON_DIR = Path(__file__).parent / "json"
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


def render(model: type[BaseModel]) -> str:
    schema = model.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main() -> int:
    JSON_DIR.mkdir(exist_ok=True)
    for name, model in EXPORTED.items():
        (JSON_DIR / f"{name}.schema.json").write_text(render(model))
    print(f"wrote {len(EXPORTED)} schemas to {JSON_DIR}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
