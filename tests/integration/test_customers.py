"""The customers table: a CRM record changes the next mention's tier, live, on the real broker."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from kafka import KafkaProducer

from schemas import Customer, DeadLetter, RoutedMention
from tests.factories import make_mention
from tests.integration.conftest import Worker, read_topics
from tests.integration.test_pipeline import routed_topics, values_with_id

pytestmark = pytest.mark.integration


def routed(worker: Worker, mention_id: str) -> RoutedMention:
    records = read_topics(
        worker.bootstrap, routed_topics(worker), lambda recs: bool(values_with_id(recs, mention_id)), timeout=60
    )
    [payload] = values_with_id(records, mention_id)
    return RoutedMention.model_validate(payload)


def wait_for(predicate: Callable[[], bool], timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"not true within {timeout}s")


def test_a_crm_record_changes_the_tier_of_the_authors_next_mention(
    make_worker: Callable[..., Worker], producer: KafkaProducer
) -> None:
    worker = make_worker()
    worker.start()
    before = make_mention("@AcmeAir can I get a receipt for my last order?", handle="Dana_K")
    producer.send(worker.topic("raw"), before.model_dump_json().encode(), key=before.id.encode()).get(30)
    first = routed(worker, before.id)
    assert first.enrichment.customer_tier is None

    customer = Customer(channel="twitter", handle="dana_k", tier="vip", updated_at=datetime.now(UTC))
    producer.send(f"{worker.prefix}customers", customer.model_dump_json().encode(), key=customer.key.encode()).get(30)
    producer.send(f"{worker.prefix}customers", b"{not a customer", key=b"twitter:broken").get(30)
    seconds = wait_for(lambda: worker.metrics().total("mention_router_customers") == 1, timeout=10)
    assert seconds < 5, "the table follows the topic live"

    # A different question: the same text again from the same person would be merged as a duplicate.
    after = make_mention("@AcmeAir can I change the delivery address of order 4471?", handle="Dana_K")
    producer.send(worker.topic("raw"), after.model_dump_json().encode(), key=after.id.encode()).get(30)
    second = routed(worker, after.id)
    assert second.enrichment.customer_tier == "vip"
    assert second.enrichment.priority > first.enrichment.priority
    assert any(r.factor == "customer_tier" for r in second.enrichment.priority_reasons)
    assert second.route.team == "vip"

    letters = read_topics(worker.bootstrap, [worker.topic("dlq")], lambda recs: len(recs) >= 1, timeout=30)
    [letter] = [DeadLetter.model_validate_json(r.value) for r in letters]
    assert (letter.stage, letter.reason, letter.original_value()) == ("customers", "undecodable", b"{not a customer")

    # A worker started later loads the compacted topic before it enriches anything.
    worker.stop()
    later = make_worker(prefix=worker.prefix)
    later.start()
    assert later.metrics().total("mention_router_customers") == 1
    time.sleep(2.0)  # the later worker has read the bad record too: it must not dead-letter it again
    again = read_topics(worker.bootstrap, [worker.topic("dlq")], lambda recs: False, timeout=3)
    assert len(again) == 1, "a bad CRM record costs exactly one dead letter, whatever reads the table"


def test_a_flood_of_new_customers_is_refused_at_the_bound_and_known_ones_still_count(
    make_worker: Callable[..., Worker], producer: KafkaProducer
) -> None:
    """Anyone who can write to the customers topic fills every enriching worker's table: it holds at most
    MENTION_ROUTER_CUSTOMERS_MAX_KEYS customers, refuses new ones past it (counted), and keeps serving those it
    holds, whose tiers can still change."""
    worker = make_worker(MENTION_ROUTER_CUSTOMERS_MAX_KEYS="50")
    worker.start()
    topic = f"{worker.prefix}customers"
    for n in range(200):
        customer = Customer(channel="twitter", handle=f"flood_{n}_" + "x" * 400, tier="standard")
        producer.send(topic, customer.model_dump_json().encode(), key=customer.key.encode())
    producer.flush(30)
    wait_for(lambda: worker.metrics().total("mention_router_state_evictions_total", stage="customers") == 150, 20)
    metrics = worker.metrics()
    assert metrics.total("mention_router_state_size", stage="customers", store="keys") == 50
    assert metrics.total("mention_router_state_size_limit", stage="customers", store="keys") == 50

    held = Customer(channel="twitter", handle="flood_7_" + "x" * 400, tier="vip")  # held: a tier change applies
    producer.send(topic, held.model_dump_json().encode(), key=held.key.encode()).get(30)
    wait_for(lambda: worker.metrics().total("mention_router_customer_updates_total") == 51, 20)
    mention = make_mention("@AcmeAir my order never arrived", handle=held.handle)
    producer.send(worker.topic("raw"), mention.model_dump_json().encode(), key=mention.id.encode()).get(30)
    assert routed(worker, mention.id).enrichment.customer_tier == "vip"
    refused = make_mention("@AcmeAir my order never arrived either", handle="flood_150_" + "x" * 400)
    producer.send(worker.topic("raw"), refused.model_dump_json().encode(), key=refused.id.encode()).get(30)
    assert routed(worker, refused.id).enrichment.customer_tier is None
    assert worker.process is not None
    assert worker.process.poll() is None
