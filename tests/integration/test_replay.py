"""`mention-router replay` of real customer-support tweets: every inbound tweet is routed or dead-lettered."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from schemas import DeadLetter, DuplicateRecord
from streams.replay import replay_file
from streams.reports import first_responses
from streams.routing import load_rules
from streams.settings import DEFAULT_RULES, Settings
from streams.sources import read_twcs
from streams.tracking.report import response_time_report
from tests.integration.conftest import Worker, read_topics
from tests.unit.test_tracking_report import README_FIGURES  # shared/data/README.md, by brand

pytestmark = [pytest.mark.integration, pytest.mark.shared_data]


def test_twcs_replay_routes_or_dead_letters_every_inbound_tweet(worker: Worker, shared_data: Path) -> None:
    path = shared_data / "twcs-sample" / "twcs.csv"
    inbound = {f"twitter:{t.tweet_id}" for t in read_twcs(path) if t.inbound}
    assert len(inbound) == 2778  # the data README's figure

    settings = Settings(bootstrap_servers=worker.bootstrap, topic_prefix=worker.prefix)
    result = replay_file(settings, path, "twcs", rate=None, limit=None, show_progress=False)
    assert result.produced == len(inbound)

    teams = load_rules(DEFAULT_RULES).team_names
    topics = [worker.topic(f"routed.{t}") for t in teams] + [worker.topic("dlq"), worker.topic("duplicates")]

    def first_decisions(recs: list[Any]) -> list[Any]:
        # Escalations re-publish unanswered mentions to the next team (route.rerouted): not a first decision.
        return [r for r in recs if b'"rerouted":true' not in r.value]

    records = read_topics(
        worker.bootstrap, topics, lambda recs: len(first_decisions(recs)) >= len(inbound), timeout=120
    )
    escalated = {json.loads(r.value)["mention"]["id"] for r in records if b'"rerouted":true' in r.value}
    records = first_decisions(records)

    routed: set[str] = set()
    dead: dict[str, str] = {}
    merged: dict[str, str] = {}
    for record in records:
        if record.topic == worker.topic("dlq"):
            letter = DeadLetter.model_validate_json(record.value)
            assert letter.reason == "schema_violation"
            assert "brand_account" in letter.error_message
            dead[(record.key or b"").decode()] = letter.reason
        elif record.topic == worker.topic("duplicates"):
            duplicate = DuplicateRecord.model_validate_json(record.value)
            merged[duplicate.mention_id] = duplicate.kind.value
        elif record.topic.startswith(worker.topic("routed.")):
            routed.add(json.loads(record.value)["mention"]["id"])
    assert not routed & set(dead), "a tweet ended in two places"
    assert not (routed | set(dead)) & set(merged), "a tweet ended in two places"
    assert routed | set(dead) | set(merged) == inbound, "every inbound tweet ends in exactly one place"
    # The same customer posting the same plea twice 13 s apart, and a lightly edited re-post.
    assert merged == {"twitter:4206": "cross_post", "twitter:3093": "near_duplicate"}
    assert len(routed) == 2728
    assert escalated <= routed, "only routed mentions are escalated"
    assert len(dead) == result.skipped_by_reader == 48
    print(f"\ntwcs replay: {len(routed)} routed, {len(merged)} merged, {len(dead)} dead-lettered (no brand)")

    # The brands' replies were replayed as Responses: the track stage's first-response times give the
    # data README's independent per-brand figures (answered tweets and median minutes), exactly.
    assert result.responses > 0
    read_topics(worker.bootstrap, [worker.topic("response_times")], lambda recs: len(recs) >= 2083, timeout=120)
    rows = {row.group: row for row in response_time_report(first_responses(settings), by="brand")}
    for brand, (answered, median) in README_FIGURES.items():
        assert (rows[brand].answered, round(rows[brand].median_minutes, 2)) == (answered, median), brand
    assert sum(row.answered for row in rows.values()) == 2083

    printed = subprocess.run(
        [sys.executable, "-m", "streams.cli", "report", "response-times", "--by", "brand"],
        env=worker.env, capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    assert re.search(r"^AmazonHelp\s+187\s+8\.88\s", printed, re.MULTILINE), printed
