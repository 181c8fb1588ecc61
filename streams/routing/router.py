"""Routing one enriched mention: its team topic gets the record with a ``route`` member, the track stage an
assignment. Pure logic on plain values (``Output``), no Kafka.

The enrich stage routes each mention it enriches in the same batch and transaction (``route_model``: it has
the model and its JSON in hand), the way Kafka Streams fuses stateless operators into one sub-topology, so a
mention makes one hop fewer. ``mention-router reroute`` routes records read back from ``mentions.enriched``
(``route_json``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import NamedTuple

from schemas import EnrichedMention, MatchedCondition, Mention, Route, RoutedMention
from streams.event_time import EventTimeBounds
from streams.partitioning import response_key
from streams.routing.conditions import MAX_REPORTED_CHARS
from streams.routing.jsonread import EnrichedView, read_enriched
from streams.routing.output import RouteWriter, assignment_json
from streams.routing.ruleset import Decision, RuleSet
from streams.routing.sla import Assignment as Plan
from streams.routing.sla import Planner
from streams.runtime.records import Output
from streams.topics import TopicNames


class RoutedTo(NamedTuple):
    """Where a mention went, for the caller's counters."""

    team: str
    priority_band: str
    brand_account: str


_ROUTE_KEY = b'"route":'
TEXT_FIELD = "mention.text"


def conversation_key(mention: Mention) -> bytes:
    """One customer's conversation with one brand keeps its order on a team topic."""
    channel, handle = mention.channel.value, mention.author.handle
    return conversation_key_of(channel, mention.conversation_id, mention.brand_account, handle)


def conversation_key_of(channel: str, conversation_id: str | None, brand_account: str, handle: str) -> bytes:
    """``conversation_key`` from the fields themselves (the JSON path reads them without a Mention)."""
    if conversation_id:
        return f"{channel}:{conversation_id}".encode()
    return f"{brand_account}:{channel}:{handle}".encode()


def with_route(enriched_json: bytes, enriched: EnrichedMention, route: Route) -> bytes:
    """The routed record: the enriched JSON object as received, with the route added as a last member.

    Re-serialising the whole mention and enrichment cost ~30 µs per record; splicing costs ~2 µs. A literal
    ``"route":`` can only be a member name (inside strings the quotes are escaped), so when one is present the
    record is rebuilt from the models instead of getting a duplicate member.
    """
    body = enriched_json.rstrip()
    if body.endswith(b"}") and _ROUTE_KEY not in body:
        return body[:-1] + b"," + _ROUTE_KEY + route.model_dump_json().encode() + b"}"
    routed = RoutedMention.model_construct(
        mention=enriched.mention, enrichment=enriched.enrichment, ingested_at=enriched.ingested_at, route=route
    )
    return routed.model_dump_json().encode()


def utc_now() -> datetime:
    return datetime.now(UTC)


class Router:
    """Decides and plans with one rules version at a time (``set_rules`` swaps it between batches)."""

    def __init__(
        self,
        topics: TopicNames,
        rules: RuleSet,
        redact_text: bool = True,
        rerouting: bool = False,
        now: Callable[[], datetime] = utc_now,
        bounds: EventTimeBounds | None = None,
    ) -> None:
        self._topics = topics
        self._redact_text = redact_text
        self._rerouting = rerouting  # `mention-router reroute`: records say they were decided again
        self._now = now  # routed_at (injectable for tests)
        self._bounds = bounds or EventTimeBounds()
        self.set_rules(rules)

    @property
    def rules(self) -> RuleSet:
        return self._rules

    def set_rules(self, rules: RuleSet) -> None:
        self._team_topics = {team: self._topics.prefix + rules.topic_for(team) for team in rules.team_names}
        self._writer = RouteWriter(rules.version)
        self._planner = Planner(rules)
        self._rules = rules

    def route_model(
        self, enriched: EnrichedMention, value: bytes, timestamp_ms: int | None, out: list[Output]
    ) -> RoutedTo:
        """Route ``enriched``, whose JSON is ``value`` (the record is ``value`` with the route spliced in)."""
        mention = enriched.mention
        created_at = mention.created_at
        self._bounds.check(created_at, "mention.created_at")
        rules = self._rules
        decision = rules.decide(enriched)
        # Business hours are judged at the mention's event time, so a replay decides as live routing did.
        plan = self._planner.assign(decision, created_at, created_at)
        routed_at = self._now()
        redacted = enriched.enrichment.redacted_text
        if redacted is not None and self._redact_text:
            # Routed records leave the pipeline: they carry the redacted text (PII is rare, so is this path),
            # in the mention and in any matched condition that quotes it.
            decision = decision._replace(matched=redact_matched(decision.matched, redacted))
            route = make_route(decision, plan, rules.version, routed_at, self._rerouting)
            routed = RoutedMention.model_construct(
                mention=mention.model_copy(update={"text": redacted}),
                enrichment=enriched.enrichment,
                ingested_at=enriched.ingested_at,
                route=route,
            )
            value = routed.model_dump_json().encode()
        elif _ROUTE_KEY in value:
            value = with_route(value, enriched, make_route(decision, plan, rules.version, routed_at, self._rerouting))
        else:
            route_json = self._writer.route_json(decision, plan, routed_at, self._rerouting)
            value = value.rstrip()[:-1] + b"," + _ROUTE_KEY + route_json + b"}"
        view = EnrichedView(
            {}, mention.id, mention.channel.value, mention.brand_account, mention.author.handle,
            mention.conversation_id, created_at, redacted,
        )  # fmt: skip
        return self._publish(view, plan, routed_at, value, timestamp_ms, out)

    def route_json(self, value: bytes, timestamp_ms: int | None, out: list[Output]) -> RoutedTo:
        """Route an enriched record's JSON as read from a topic.

        It is parsed with orjson and checked member by member against the schema (``jsonread``), the rules
        decide on the parsed JSON, and the received JSON is passed on with the route spliced in. A record that
        does not pass, one whose text must be redacted and one that already has a ``route`` member are
        validated with pydantic instead: a malformed record then fails with the schema's own
        ``ValidationError``.
        """
        try:
            view = read_enriched(value)
            decision = self._rules.decide_json(view.doc)
        except (ValueError, TypeError, KeyError, AttributeError):  # jsonread.MalformedRecordError, bad JSON, ...
            return self.route_model(EnrichedMention.model_validate_json(value), value, timestamp_ms, out)
        if (view.redacted_text is not None and self._redact_text) or _ROUTE_KEY in value:
            return self.route_model(EnrichedMention.model_validate_json(value), value, timestamp_ms, out)
        created_at = view.created_at
        self._bounds.check(created_at, "mention.created_at")
        plan = self._planner.assign(decision, created_at, created_at)
        routed_at = self._now()
        route = self._writer.route_json(decision, plan, routed_at, self._rerouting)
        routed = value.rstrip()[:-1] + b"," + _ROUTE_KEY + route + b"}"  # a JSON object (read_enriched checked)
        return self._publish(view, plan, routed_at, routed, timestamp_ms, out)

    def _publish(
        self,
        view: EnrichedView,
        plan: Plan,
        routed_at: datetime,
        value: bytes,
        timestamp_ms: int | None,
        out: list[Output],
    ) -> RoutedTo:
        conversation = conversation_key_of(view.channel, view.conversation_id, view.brand_account, view.handle)
        topic = self._team_topics.get(plan.team) or self._topics.prefix + self._rules.topic_for(plan.team)
        out.append(Output(topic, conversation, value, timestamp_ms, schema="routed_mention"))
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
        out.append(Output(self._topics.assignments, response_key(view.mention_id), assignment, schema="assignment"))
        return RoutedTo(plan.team, plan.priority_band, view.brand_account)


def redact_matched(matched: tuple[MatchedCondition, ...], redacted_text: str) -> tuple[MatchedCondition, ...]:
    """``matched`` with the value of every ``mention.text`` condition replaced by the redacted text."""
    if not any(m.field == TEXT_FIELD for m in matched):
        return matched
    shown = redacted_text if len(redacted_text) <= MAX_REPORTED_CHARS else f"{redacted_text[:MAX_REPORTED_CHARS]}…"
    return tuple(m.model_copy(update={"actual": shown}) if m.field == TEXT_FIELD else m for m in matched)


def make_route(decision: Decision, plan: Plan, rules_version: str, routed_at: datetime, rerouted: bool) -> Route:
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
