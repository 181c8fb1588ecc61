"""A batch that can never be committed stops the worker with exit code 70 and the batch named; it is never
skipped: once the cause is fixed, a restarted worker routes every mention of it.

The cause here is a state changelog that refuses the stage's state changes. (An output topic that refuses one
mention's record no longer stops the stage: that mention is dead-lettered, tests/integration/test_topic_limits.py.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from kafka import KafkaProducer

from schemas import RoutedMention
from streams.observability.health import EXIT_FATAL
from streams.routing import load_rules
from streams.settings import Settings
from streams.topics import TopicNames
from tests.factories import make_mention
from tests.integration.conftest import Worker, read_topics, set_topic_config

pytestmark = pytest.mark.integration


def test_a_batch_that_cannot_be_committed_exits_70_and_is_routed_after_the_fix(
    make_worker: Callable[..., Worker], producer: KafkaProducer
) -> None:
    worker = make_worker(MENTION_ROUTER_TASK_TIMEOUT_MS="3000")
    worker.start()  # creates the topics
    names = TopicNames(prefix=worker.prefix, app_id=f"{worker.prefix}router")
    # An operator's mistake: the dedupe stage's changelog now refuses every record batch of state changes (the
    # broker's own transaction markers, ~80 bytes, still fit).
    changelog = names.changelog("dedupe")
    set_topic_config(worker.bootstrap, [changelog], {"max.message.bytes": "100"})
    mentions = [make_mention(f"@AcmeAir my bag {n} is lost, please help", handle=f"fatal_{n}") for n in range(5)]
    for mention in mentions:
        producer.send(names.raw, mention.model_dump_json().encode(), key=mention.id.encode())
    producer.flush(30)

    assert worker.process is not None
    code = worker.process.wait(timeout=90)
    assert code == EXIT_FATAL == 70, worker.log_tail()
    log = worker.log_tail(400)
    assert "fatal RuntimeError: stage dedupe" in log
    assert (
        f"the batch starting at {{'{names.raw}:" in log
        or f"the batch starting at {{'{names.repartition('dedupe')}:" in log
    ), "named by topic, partition and offset"

    set_topic_config(worker.bootstrap, [changelog], {"max.message.bytes": "1048588"})  # the fix: the default
    restarted = make_worker(prefix=worker.prefix)
    restarted.start()
    wanted = {m.id for m in mentions}
    topics = [names.routed(team) for team in load_rules(Settings().rules_path).team_names]

    def routed_ids(records: list[Any]) -> list[str]:
        return [RoutedMention.model_validate_json(r.value).mention.id for r in records]

    records = read_topics(restarted.bootstrap, topics, lambda recs: set(routed_ids(recs)) >= wanted, timeout=90)
    ids = routed_ids(records)
    assert sorted(i for i in ids if i in wanted) == sorted(wanted), "each routed exactly once, none skipped"
