"""Plain-value builders for tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from schemas import Author, Channel, Mention

_ids = itertools.count(1)


def make_mention(
    text: str = "@AcmeAir my flight was cancelled and nobody answers, worst service ever", **overrides: Any
) -> Mention:
    native_id = overrides.pop("native_id", f"n{next(_ids)}-{datetime.now(UTC).timestamp():.6f}")
    channel = overrides.pop("channel", Channel.TWITTER)
    fields: dict[str, Any] = {
        "id": Mention.make_id(channel, native_id),
        "channel": channel,
        "native_id": native_id,
        "author": Author(handle=overrides.pop("handle", "casey_traveller"), followers=overrides.pop("followers", 120)),
        "text": text,
        "created_at": overrides.pop("created_at", datetime.now(UTC)),
        "brand_account": overrides.pop("brand_account", "AcmeAir"),
    }
    fields.update(overrides)
    return Mention(**fields)
