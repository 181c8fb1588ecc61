"""mentions.enriched → mentions.routed.<team>, with the decision explained in the record."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from schemas import EnrichedMention, Mention, Route, RoutedMention
from streams.event_time import EventTimeBounds
from streams.metrics import LabelledChildren, Metrics
from streams.partitioning import response_key
from streams.routing import RuleSet
from streams.routing.jsonread import EnrichedView, read_enriched
from streams.routing.output import RouteWriter, assignment_json
from streams.routing.ruleset import Decision
from streams.routing.sla import Assignment as Plan
from streams.routing.sla import Planner
from streams.runtime.records import InputRecord, Output
from streams.runtime.stage import Stage
from streams.topics import TopicNames


def conversation_key(mention: Mention) -> bytes:
    """One customer's conversation with one brand keeps its order on a team topic."""
    channel, handle = mention.channel.value, mention.author.handle
    return conversation_key_of(channel, mention.conversation_id, mention.brand_account, handle)


def conversation_key_of(channel: str, conversation_id: str | None, brand_account: str, handle: str) -> bytes:
    """``conversation_key`` from the fields themselves (the fast path reads them without a Mention)."""
    if conversation_id:
        return f"{channel}:{conversation_id}".encode()
    return f"{brand_account}:{channel}:{handle}".encode()


_ROUTE_KEY = b'"route":'


def with_route(enriched_json: bytes, enriched: EnrichedMention, route: Route) -> bytes:
    """The routed record: the enriched JSON object as received, with the route added as a last member.

    Re-serialising the whole mention and enrichment cost ~30 µs per record; splicing costs ~2 µs.
    The input was just validated as an EnrichedMention, so it is one JSON object. A literal
    ``"route":`` can only be a member name (inside strings the quotes are escaped), so when one is
    present the record is rebuilt from the models instead of getting a duplicate member.
    """
    body = enriched_json.rstrip()
    if body.endswith(b"}") and _ROUTE_KEY not in body:
        return body[:-1] + b"," + _ROUTE_KEY + route.model_dump_json().encode() + b"}"
    routed = RoutedMention.model_construct(
        mention=enriched.mention, enrichment=enriched.enrichment, ingested_at=enriched.ingested_at, route=route
    )
    return routed.model_dump_json().encode()


def _utc_now() -> datetime:
    return datetime.now(UTC)


class RouteAgent(Stage):
    name = "route"

    def __init__(
        self,
        topics: TopicNames,
        metrics: Metrics,
        rules: RuleSet,
        redact_text: bool = True,
        rerouting: bool = False,
        now: Callable[[], datetime] = _utc_now,
        bounds: EventTimeBounds | None = None,
    ) -> None:
        self._bounds = bounds or EventTimeBounds()
        self.input_topics = (topics.enriched,)
        self._topics = topics
        self._redact_text = redact_text
        self._rerouting = rerouting  # `mention-router reroute`: records say they were decided again
        self._now = now  # routed_at (injectable for tests)
        self._routed = LabelledChildren(metrics.routed)  # team, priority band, brand
        self._latency = LabelledChildren(metrics.pipeline_latency)  # team
        self._metrics = metrics
        self.set_rules(rules)

    @property
    def rules(self) -> RuleSet:
        return self._rules

    def set_rules(self, rules: RuleSet) -> None:
        """Swap in a new rules version; the next record is decided by it (called between batches)."""
        self._team_topics = {team: self._topics.prefix + rules.topic_for(team) for team in rules.team_names}
        self._metrics.register_teams(rules.team_names, rules.brands)
        self._writer = RouteWriter(rules.version)
        self._planner = Planner(rules)
        self._rules = rules

    def handle(self, record: InputRecord, out: list[Output]) -> None:
        """Route one enriched record: its team topic gets the record with a ``route`` member, the track
        stage gets an assignment.

        The record is parsed with orjson and checked member by member against the schema
        (``streams.routing.jsonread``), the rules decide on the parsed JSON, and the received JSON is
        passed on with the route spliced in. A record that does not pass, one whose text must be
        redacted and one that already has a ``route`` member are validated with pydantic instead: a
        malformed record then fails with the schema's own ``ValidationError`` and is dead-lettered with
        its reason and original bytes.
        """
        value = record.value
        assert value is not None
        rules = self._rules
        try:
            view = read_enriched(value)
            decision = rules.decide_json(view.doc)
        except (ValueError, TypeError, KeyError, AttributeError):  # jsonread.MalformedRecordError, bad JSON, ...
            self._handle_validated(EnrichedMention.model_validate_json(value), record, out)
            return
        if (view.redacted_text is not None and self._redact_text) or _ROUTE_KEY in value:
            self._handle_validated(EnrichedMention.model_validate_json(value), record, out)
            return
        created_at = view.created_at
        self._bounds.check(created_at, "mention.created_at")
        # Business hours are judged at the mention's event time, so a replay decides as live routing did.
        plan = self._planner.assign(decision, created_at, created_at)
        routed_at = self._now()
        body = value.rstrip()  # a JSON object (read_enriched checked it): ends with "}"
        route = self._writer.route_json(decision, plan, routed_at, self._rerouting)
        routed = body[:-1] + b"," + _ROUTE_KEY + route + b"}"
        self._publish(view, plan, routed_at, routed, record, out)

    def _handle_validated(self, enriched: EnrichedMention, record: InputRecord, out: list[Output]) -> None:
        """The same from the pydantic model (the reference for the path above; tests compare the two)."""
        self._bounds.check(enriched.mention.created_at, "mention.created_at")
        rules = self._rules
        decision = rules.decide(enriched)
        routed_at = self._now()
        created_at = enriched.mention.created_at
        plan = self._planner.assign(decision, created_at, created_at)
        route = _route_model(decision, plan, rules.version, routed_at, self._rerouting)
        redacted = enriched.enrichment.redacted_text
        if redacted is not None and self._redact_text:
            # Routed records leave the pipeline: they carry the redacted text (PII is rare, so is this path).
            mention = enriched.mention.model_copy(update={"text": redacted})
            routed = RoutedMention.model_construct(
                mention=mention, enrichment=enriched.enrichment, ingested_at=enriched.ingested_at, route=route
            )
            value = routed.model_dump_json().encode()
        else:
            assert record.value is not None
            value = with_route(record.value, enriched, route)
        mention = enriched.mention
        view = EnrichedView(
            {},
            mention.id,
            mention.channel.value,
            mention.brand_account,
            mention.author.handle,
            mention.conversation_id,
            created_at,
            redacted,
        )
        self._publish(view, plan, routed_at, value, record, out)

    def _publish(
        self, view: EnrichedView, plan: Plan, routed_at: datetime, value: bytes, record: InputRecord, out: list[Output]
    ) -> None:
        conversation = conversation_key_of(view.channel, view.conversation_id, view.brand_account, view.handle)
        topic = self._team_topics.get(plan.team) or self._topics.prefix + self._rules.topic_for(plan.team)
        out.append(Output(topic, conversation, value, record.timestamp))
        # Dropped mentions too: nobody owes them a reply (no backlog, no SLA), but a reply is still measured.
        assignment = assignment_json(
            mention_id=view.mention_id,
            channel=view.channel,
            brand_account=view.brand_account,
            created_at=view.created_at,
            routed_at=routed_at,
            plan=plan,
            conversation_key=conversation,
            rules_version=self._rules.version,
            rerouted=self._rerouting,
            routed_record=value,
        )
        out.append(Output(self._topics.assignments, response_key(view.mention_id), assignment))
        self._count(plan.team, plan.priority_band, view.brand_account, record.timestamp)

    def _count(self, team: str, band: str, brand_account: str, ingested_ms: int) -> None:
        self._routed(team, band, self._rules.brand_label(brand_account)).inc()
        self._latency(team).observe(max(0.0, time.time() - ingested_ms / 1000))


def _route_model(decision: Decision, plan: Plan, rules_version: str, routed_at: datetime, rerouted: bool) -> Route:
    return Route(
        team=plan.team,
        priority=plan.priority,
        rule_id=decision.rule_id,
        rules_version=rules_version,
        matched=decision.matched,
        tags=plan.tags,
        routed_at=routed_at,
        sla_due_at=plan.sla_due_at,
        dropped_reason=plan.dropped_reason,
        rerouted=rerouted,
    )
