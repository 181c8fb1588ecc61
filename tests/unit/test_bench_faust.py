"""The faust baseline's per-event glue: the router's own stage, a dead letter on failure, changelog per event."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from schemas import DeadLetter
from streams.agents.dedupe import DedupeAgent
from streams.bench_faust import handle_event
from streams.metrics import Metrics
from streams.runtime.records import Record
from streams.topics import TopicNames
from tests.factories import make_mention


def _stage() -> DedupeAgent:
    return DedupeAgent(TopicNames(), Metrics(CollectorRegistry()), window_seconds=3600, max_keys=1000)


def test_one_event_gives_the_stage_outputs_and_its_changelog_records() -> None:
    mention = make_mention()
    record = Record("mentions.raw", 0, 0, 1_700_000_000_000, mention.id.encode(), mention.model_dump_json().encode())
    out = handle_event(_stage(), record, "mentions.dlq")
    assert out[0].topic == "mentions.unique"
    assert out[0].value == record.value
    changelog = [o for o in out[1:] if o.topic == TopicNames().changelog("dedupe")]
    assert changelog
    assert len(changelog) == len(out) - 1, "the rest of the outputs are this event's state changes"


def test_a_bad_record_becomes_one_dead_letter_with_its_bytes() -> None:
    record = Record("mentions.raw", 0, 7, 1_700_000_000_000, b"k", b"{not json")
    (letter,) = handle_event(_stage(), record, "mentions.dlq")
    assert letter.topic == "mentions.dlq"
    assert letter.key == b"k"
    assert letter.value is not None
    decoded = DeadLetter.model_validate_json(letter.value)
    assert (decoded.stage, decoded.source_offset) == ("dedupe", 7)
    assert decoded.original_value() == b"{not json"


def test_an_empty_record_is_dead_lettered() -> None:
    record = Record("mentions.raw", 0, 8, 1_700_000_000_000, None, None)
    (letter,) = handle_event(_stage(), record, "mentions.dlq")
    assert letter.topic == "mentions.dlq"
