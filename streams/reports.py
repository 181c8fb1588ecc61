"""Read what the track stage published, for reports (a command-line tool: kafka-python, not an agent)."""

from __future__ import annotations

import logging

from pydantic import ValidationError

from schemas import FirstResponse
from streams.clients import read_to_end
from streams.settings import Settings
from streams.topics import TopicNames

logger = logging.getLogger(__name__)


def first_responses(settings: Settings) -> list[FirstResponse]:
    """One FirstResponse per mention (the earliest, should a restart have published one twice)."""
    topic = TopicNames.from_settings(settings).response_times
    earliest: dict[str, FirstResponse] = {}
    for record in read_to_end(settings, topic):
        try:
            response = FirstResponse.model_validate_json(record.value)
        except ValidationError:
            logger.warning("skipping an invalid record at %s:%d@%d", topic, record.partition, record.offset)
            continue
        known = earliest.get(response.mention_id)
        if known is None or response.responded_at < known.responded_at:
            earliest[response.mention_id] = response
    return list(earliest.values())
