"""Plain-value mentions for the dedupe tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from schemas import Author, Channel, Mention
from tests.factories import make_mention

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def mention(
    text: str,
    native_id: str,
    *,
    minutes: float = 0.0,
    handle: str = "casey_traveller",
    channel: Channel = Channel.TWITTER,
    linked: tuple[str, ...] = (),
    followers: int = 100,
    **overrides: Any,
) -> Mention:
    overrides.setdefault("created_at", T0 + timedelta(minutes=minutes))
    author = Author(handle=handle, followers=followers, linked_handles=linked)
    return make_mention(text, native_id=native_id, channel=channel, author=author, **overrides)
