"""customers (the CRM's compacted topic) → a dead letter for each record that is not a valid Customer.

Every worker that enriches keeps the whole topic as a table (``streams.runtime.customer_table``) and skips
records it cannot use. Dead-lettering there would write one dead letter per worker and per restart; this
stage reads the topic once for the whole app, in its own consumer group and under the app's processing
guarantee, so a bad CRM record costs exactly one dead letter.
"""

from __future__ import annotations

from schemas import Customer
from streams.runtime.records import InputRecord, Output
from streams.runtime.stage import Stage
from streams.topics import TopicNames


class CustomersAgent(Stage):
    name = "customers"
    accepts_tombstones = True  # a tombstone removes an author from the table

    def __init__(self, topics: TopicNames) -> None:
        self.input_topics = (topics.customers,)

    def handle(self, record: InputRecord, out: list[Output]) -> None:
        if record.value is not None:
            Customer.model_validate_json(record.value)
