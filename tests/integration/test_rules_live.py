"""Rules on a running worker: a new version takes effect without a restart, a bad file is refused, and
`mention-router reroute` re-applies rules to history — on the real broker."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from kafka import KafkaProducer

from schemas import Mention, RoutedMention
from tests.factories import make_mention
from tests.integration.conftest import Worker, read_topics
from tests.integration.test_customers import wait_for

pytestmark = pytest.mark.integration

V1 = """
version: "live.1"
triage_team: care
teams:
  - name: care
rules:
  - id: refunds-to-care
    when: {field: mention.text, matches: "(?i)refund"}
    then: {team: care, tags: [refund]}
"""
V2 = """
version: "live.2"
triage_team: care
teams:
  - name: care
  - name: billing
rules:
  - id: refunds-to-billing
    when: {field: mention.text, matches: "(?i)refund"}
    then: {team: billing, tags: [refund]}
"""
BROKEN = V2.replace('version: "live.2"', 'version: "live.3"').replace("team: billing, tags", "team: nobody, tags")


def _routed(worker: Worker, team: str, mention: Mention, rerouted: bool = False) -> RoutedMention:
    def found(records: list[object]) -> list[RoutedMention]:
        routed = (RoutedMention.model_validate_json(r.value) for r in records)  # type: ignore[attr-defined]
        return [m for m in routed if m.mention.id == mention.id and m.route.rerouted == rerouted]

    [routed] = found(read_topics(worker.bootstrap, [worker.topic(f"routed.{team}")], lambda recs: bool(found(recs))))
    return routed


def _send(producer: KafkaProducer, worker: Worker, mention: Mention) -> None:
    producer.send(worker.topic("raw"), mention.model_dump_json().encode(), key=mention.id.encode()).get(30)


def test_new_rules_take_effect_live_and_a_bad_file_is_refused(
    make_worker: Callable[..., Worker], producer: KafkaProducer, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(V1)
    worker = make_worker(MENTION_ROUTER_RULES_PATH=str(rules))
    worker.start()
    assert worker.metrics().total("mention_router_rules_info", version="live.1") == 1

    first = make_mention("@AcmeAir I am still waiting for my refund", handle="dora_p")
    _send(producer, worker, first)
    assert _routed(worker, "care", first).route.rules_version == "live.1"

    rules.write_text(V2)
    changed = time.monotonic()
    wait_for(lambda: worker.metrics().total("mention_router_rules_info", version="live.2") == 1, timeout=10)
    assert time.monotonic() - changed < 10
    assert worker.metrics().total("mention_router_rules_info", version="live.1") == 0
    second = make_mention("@AcmeAir refund for order 9913 please", handle="eli_w")
    _send(producer, worker, second)
    routed = _routed(worker, "billing", second)
    assert (routed.route.rules_version, routed.route.rule_id) == ("live.2", "refunds-to-billing")

    rules.write_text(BROKEN)
    wait_for(lambda: worker.metrics().total("mention_router_rules_reloads_total", result="error") == 1, timeout=10)
    third = make_mention("@AcmeAir my refund is late", handle="fay_q")
    _send(producer, worker, third)
    assert _routed(worker, "billing", third).route.rules_version == "live.2", "the running rules stay in force"
    assert "nobody" in worker.log_tail(200), "the refusal names the problem"


def test_reroute_applies_new_rules_to_history(
    make_worker: Callable[..., Worker], producer: KafkaProducer, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(V1)
    fixed = tmp_path / "fixed.yaml"
    fixed.write_text(V2)
    worker = make_worker(MENTION_ROUTER_RULES_PATH=str(rules))
    worker.start()
    since = datetime.now(UTC) - timedelta(seconds=5)
    mention = make_mention("@AcmeAir two weeks and no refund", handle="gus_h")
    _send(producer, worker, mention)
    assert _routed(worker, "care", mention).route.rule_id == "refunds-to-care"
    wait_for(lambda: worker.metrics().total("mention_router_backlog", team="care") == 1, timeout=15)
    # The fixed rules go live first (metric labels name only the teams of the rules in force), then history
    # is routed again with them.
    rules.write_text(V2)
    wait_for(lambda: worker.metrics().total("mention_router_rules_info", version="live.2") == 1, timeout=10)

    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", "reroute", "--since", since.isoformat(), "--rules", str(fixed)],
        env=worker.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "rerouted 1 of 1 mentions with rules live.2: billing 1" in done.stdout
    moved = _routed(worker, "billing", mention, rerouted=True)
    assert (moved.route.rules_version, moved.route.rule_id) == ("live.2", "refunds-to-billing")
    # The track stage follows the re-routed assignment: the mention now waits in billing's backlog.
    wait_for(lambda: worker.metrics().total("mention_router_backlog", team="billing") == 1, timeout=15)
    assert worker.metrics().total("mention_router_backlog", team="care") == 0
