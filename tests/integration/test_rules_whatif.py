"""Seeing a rules change before it goes live (`rules diff`, `rules explain`) and an SLA breach before it happens
(`mention_router_sla_breach_forecast`), on the real broker with a real worker."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from kafka import KafkaProducer

from schemas import Response, ResponseKind, RoutedMention
from tests.factories import make_mention
from tests.integration.conftest import Worker, read_topics

pytestmark = pytest.mark.integration

CURRENT = """
version: "whatif.1"
triage_team: care
teams:
  - {name: care, sla: {urgent: 15m, high: 1h, normal: 4h, low: 1d}}
  - {name: billing, sla: 2h}
  - {name: retention, sla: 30m}
rules:
  - id: invoices
    when: {field: mention.text, matches: "(?i)invoice"}
    then: {team: billing}
"""
# Refunds move from care (triage) to billing; cancellations get a team of their own; invoices stay.
PROPOSED = (
    CURRENT.replace('version: "whatif.1"', 'version: "whatif.2"')
    + """  - id: refunds
    when: {field: mention.text, matches: "(?i)refund"}
    then: {team: billing, raise_priority: 10}
  - id: cancellations
    when: {field: mention.text, matches: "(?i)cancel (my|the) (plan|subscription)"}
    then: {team: retention}
"""
)
TEXTS = [
    *(f"@AcmeAir still waiting for my refund, booking {n}" for n in range(4)),
    *(f"@AcmeAir please cancel my subscription {n}" for n in range(3)),
    *(f"@AcmeAir the invoice {n} is wrong" for n in range(2)),
    *(f"@AcmeAir lovely crew on flight {n}" for n in range(3)),
]


def _cli(worker: Worker, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "streams.cli", *args],
        env=worker.env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _routed(
    worker: Worker, teams: list[str], count: int, rerouted: bool, timeout: float = 90
) -> list[tuple[RoutedMention, bytes]]:
    def found(records: list[object]) -> list[tuple[RoutedMention, bytes]]:
        parsed = ((RoutedMention.model_validate_json(r.value), r.value) for r in records)  # type: ignore[attr-defined]
        return [(m, raw) for m, raw in parsed if m.route.rerouted == rerouted]

    topics = [worker.topic(f"routed.{team}") for team in teams]
    records = read_topics(worker.bootstrap, topics, lambda recs: len(found(recs)) >= count, timeout=timeout)
    return found(records)


def test_rules_diff_reports_exactly_the_moves_reroute_then_publishes_and_explain_agrees_with_routing(
    make_worker: Callable[..., Worker], producer: KafkaProducer, tmp_path: Path
) -> None:
    current, proposed = tmp_path / "rules.yaml", tmp_path / "proposed.yaml"
    current.write_text(CURRENT)
    proposed.write_text(PROPOSED)
    worker = make_worker(MENTION_ROUTER_RULES_PATH=str(current))
    worker.start()
    since = datetime.now(UTC) - timedelta(seconds=5)
    mentions = [make_mention(text, handle=f"customer_{n}") for n, text in enumerate(TEXTS)]
    for mention in mentions:
        producer.send(worker.topic("raw"), mention.model_dump_json().encode(), key=mention.id.encode())
    producer.flush()
    teams = ["care", "billing", "retention"]
    first = _routed(worker, teams, len(mentions), rerouted=False)
    assert len(first) == len(mentions)
    before = {m.mention.id: m.route.team for m, _ in first}

    # The dry run: the configured rules against the proposed file. Nothing may be written.
    diff = _cli(worker, "rules", "diff", str(proposed), "--since", since.isoformat(), "--json")
    assert diff.returncode == 0, diff.stderr
    report = json.loads(diff.stdout)
    reported = {(m["from"], m["to"]): m["count"] for m in report["moves"]}
    assert reported == {("care", "billing"): 4, ("care", "retention"): 3}
    assert report["decided"] == len(mentions)
    assert report["rules"] == {"cancellations": 3, "default": -7, "refunds": 4}
    assert report["teams"]["care"] == {"before": 10, "after": 3}
    assert report["sla"]["earlier"] + report["sla"]["later"] == 7  # every moved mention has a new due time
    assert all(len(m["examples"]) == min(3, m["count"]) for m in report["moves"])
    assert _routed(worker, teams, len(mentions), rerouted=True, timeout=3) == []  # a dry run writes nothing
    text = _cli(worker, "rules", "diff", str(proposed), "--since", since.isoformat())
    assert "care -> billing: 4" in text.stdout
    assert "care -> retention: 3" in text.stdout

    # reroute with the same file publishes exactly those moves.
    done = _cli(worker, "reroute", "--since", since.isoformat(), "--rules", str(proposed))
    assert done.returncode == 0, done.stderr
    after = {m.mention.id: m.route.team for m, _ in _routed(worker, teams, len(mentions), rerouted=True)}
    published = Counter((before[i], after[i]) for i in before if before[i] != after[i])
    assert dict(published) == reported

    # explain on a routed record as the worker wrote it, and on the raw mention: the worker's own decision.
    for routed, raw in (first[0], first[-1]):
        record = tmp_path / "routed.json"
        record.write_bytes(raw)
        explained = _cli(worker, "rules", "explain", str(current), str(record), "--json")
        assert explained.returncode == 0, explained.stderr
        route = json.loads(explained.stdout)["route"]
        expected = routed.route.model_dump(mode="json")
        for name in ("team", "priority", "rule_id", "matched", "tags", "sla_due_at", "dropped_reason"):
            assert route[name] == expected[name], name
        human = _cli(worker, "rules", "explain", str(current), str(record))
        assert "agrees with the record's own route" in human.stdout
        raw_mention = tmp_path / "raw.json"
        raw_mention.write_text(routed.mention.model_dump_json())
        from_raw = json.loads(_cli(worker, "rules", "explain", str(current), str(raw_mention), "--json").stdout)
        assert (from_raw["route"]["team"], from_raw["rule_id"]) == (routed.route.team, routed.route.rule_id)

    invalid = tmp_path / "invalid.yaml"
    invalid.write_text(PROPOSED.replace("team: retention}", "team: nobody}"))
    refused = _cli(worker, "rules", "diff", str(invalid), "--since", since.isoformat())
    assert refused.returncode != 0
    assert "nobody" in refused.stderr


FORECAST_RULES = """
version: "forecast.1"
triage_team: care
teams:
  - {name: care, sla: 10m}
rules: []
"""


def test_the_forecast_rises_before_the_first_breach_when_answers_stop(
    make_worker: Callable[..., Worker], producer: KafkaProducer, tmp_path: Path
) -> None:
    """A replayed stream, one mention per event-time minute, each answered two minutes later until answers stop
    after the tenth. The SLA is 10 minutes, so the first breach is mention 10's, due at minute 20."""
    rules = tmp_path / "rules.yaml"
    rules.write_text(FORECAST_RULES)
    worker = make_worker(
        MENTION_ROUTER_RULES_PATH=str(rules),
        MENTION_ROUTER_SLA_FORECAST_INTERVAL_SECONDS="0.5",
        MENTION_ROUTER_FIRST_RESPONSE_GRACE_SECONDS="0",
    )
    worker.start()
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    answered = 10
    sent: list[str] = []
    first_forecast: int | None = None
    first_breach: int | None = None
    for minute in range(26):
        mention = make_mention(f"@AcmeAir question number {minute}", handle=f"c{minute}")
        mention = mention.model_copy(update={"created_at": base + timedelta(minutes=minute)})
        sent.append(mention.id)
        producer.send(worker.topic("raw"), mention.model_dump_json().encode(), key=mention.id.encode())
        if 0 <= minute - 2 < answered:  # the helpdesk answers the mention of two minutes ago
            response = Response(
                mention_id=sent[minute - 2],
                team="care",
                responder="agent-7",
                responded_at=base + timedelta(minutes=minute),
                kind=ResponseKind.FIRST_REPLY,
            )
            producer.send(
                worker.topic("responses"), response.model_dump_json().encode(), key=response.mention_id.encode()
            )
        producer.flush()
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:  # let the worker route it and refresh the forecast
            snapshot = worker.metrics()
            forecast = snapshot.total("mention_router_sla_breach_forecast", team="care", horizon="15m")
            breaches = snapshot.total("mention_router_sla_breaches_total", team="care")
            if first_forecast is None and forecast > 0:
                first_forecast = minute
            if first_breach is None and breaches > 0:
                first_breach = minute
            time.sleep(0.25)
        if first_breach is not None:
            break
    assert first_breach is not None, worker.log_tail()
    assert first_forecast is not None, worker.log_tail()
    assert first_forecast < first_breach, (first_forecast, first_breach)
    assert first_breach >= 20  # mention 10 was due at minute 20
