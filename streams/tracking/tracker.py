"""The track stage's per-partition state: assignments joined with responses, backlog, SLA and escalations.

Pure logic (no Kafka): the stage glue feeds one ``PartitionTracker`` per input partition of the two
co-partitioned topics ``mentions.assignments`` and ``mentions.responses`` (both keyed by mention id) and
turns the returned ``TrackerOutput`` values into records and metrics.

Rules (each one is what the tests check):

- **First response** = the earliest ``responded_at`` seen *before the mention is closed*. The first response
  answers the mention at once (it leaves the backlog, its escalations are cancelled), but the mention is
  closed and its FirstResponse published only when the stream clock passes ``responded_at +
  first_response_grace``: a reply that arrives later but was sent earlier (replies are published by other
  programs, in any order) still defines the first response. A response that arrives before its assignment
  waits in a bounded, expiring pending map (only the earliest per mention is kept) and answers the mention
  when the assignment arrives. Once a mention is closed, later responses are ignored. With a grace of zero
  the FirstResponse is published at once. Any response counts, whatever its ``kind`` or ``team``.
- **Closing**: a mention leaves the open state when first-responded or expired, and its id is kept in a
  closed set for ``closed_ttl`` (event time) so late duplicates of its assignment or responses do not reopen
  it. An assignment whose mention is already older than ``max_age`` is not tracked at all.
- **Assignments**: the first assignment of a mention opens it; a later one is a duplicate and ignored unless
  ``rerouted=True``, which moves the mention to the new team (backlog, oldest-unanswered) and replaces its SLA
  and escalation plan, keeping ``created_at``, the highest level fired, whether its breach was counted and (when
  the new one has none) the routed record.
- **Escalations** fire from ``due(now)`` in due order (ties: mention id), each level at most once: state keeps
  the highest level fired, and a level not above it never fires (so plans should number levels in due order).
  A response cancels the remaining levels. A level with ``to_team`` (different from the current team) also
  yields a ``RerouteOutput`` and moves the mention to ``to_team``. ``fired_at`` is the level's due time.
  A mention whose assignment arrives after its response never escalates.
- **SLA breach** is counted once per mention, by a ``BreachOutput``: from ``due(now)`` when ``sla_due_at < now``
  while unanswered (``at`` = sla_due_at), or, when no breach was counted yet, with the FirstResponse whose
  ``responded_at > sla_due_at`` (``at`` = responded_at). ``FirstResponse.breached`` is the event-time verdict;
  a breach counted live by ``due`` can, rarely, precede a response that is then published as not breached (the
  response was in flight when the stream clock passed the due time).
- **Expiry**: an open mention still unanswered at ``created_at + max_age`` is dropped with an ``ExpiredOutput``.
- **Clocks**: the tracker's watermark is the highest event time it has seen: assignment ``created_at``,
  response ``responded_at`` and the ``now`` given to ``due``. Closed entries expire against it. Pending
  responses expire after ``pending_ttl`` of *processing* time (``wall``): assignments reach the stage
  three stages behind the responses, and a fast replay puts responses weeks of event time ahead.
  ``sla_due_at`` and escalation ``due_at`` must be on the same clock as ``now`` (see ``StreamClock``).

Changelog (``drain_changes`` / ``restore``), keys are UTF-8 bytes, values JSON (None = tombstone):

- ``open:<mention_id>``    ``{"assignment": Assignment, "fired_level": int, "breach_counted": bool,
                           "answer": Response | null}``: written when the mention opens or its assignment changes
                           (a re-route), with ``status:`` deleted then
- ``status:<mention_id>``  ``{"fired_level": int, "breach_counted": bool, "answer": Response | null}``: what changed
                           since (a level fired, the breach counted, an answer), without the ~1.8 KB assignment;
                           restored over the open mention's record, ignored without one
- ``pending:<mention_id>`` ``{"response": Response, "held_at": wall-clock epoch seconds when first held}``
- ``closed:<mention_id>``  ``{"at": iso watermark when closed}``
- ``watermark``            ``"<iso datetime>"``
- ``answers``              ``{"since": iso, "answers": {team: [[minute, count], ...]}}``: first responses per team
                           per minute of event time, the last 15 minutes (the breach forecast's answer rate)

``drain_changes`` returns each changed key once, with its current value, in first-change order.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, NamedTuple, cast

import orjson

from schemas import Assignment, Escalation, EscalationLevel, FirstResponse, Response, RoutedMention
from schemas.tracking import PriorityBand
from streams.routing.ruleset import priority_band
from streams.state_bounds import Bound, StateFullError
from streams.tracking.forecast import AnswerRate

# ------------------------------------------------------------------------------------------------ outputs


@dataclass(frozen=True, slots=True)
class FirstResponseOutput:
    """Publish ``record`` to ``mentions.response_times``."""

    record: FirstResponse
    kind: Literal["first_response"] = "first_response"


@dataclass(frozen=True, slots=True)
class EscalationOutput:
    """Publish ``record`` to ``mentions.escalations`` (key: ``record.mention_id``)."""

    record: Escalation
    kind: Literal["escalation"] = "escalation"


@dataclass(frozen=True, slots=True)
class RerouteOutput:
    """An escalation level moved the mention to ``to_team``: re-publish its routed record there.

    ``rerouted_record(routed_record, ...)`` builds the routed JSON for the new team; ``routed_record`` is
    None when the assignment did not carry it. The tracker has already moved the mention in its backlog.
    """

    mention_id: str
    from_team: str
    to_team: str
    level: int
    at: datetime  # the level's due time
    routed_record: str | None
    kind: Literal["reroute"] = "reroute"


@dataclass(frozen=True, slots=True)
class BreachOutput:
    """The mention missed its SLA; counted once per mention (``mention_router_sla_breaches``)."""

    mention_id: str
    team: str
    priority_band: PriorityBand
    sla_due_at: datetime
    at: datetime  # sla_due_at when found by due(); responded_at when found by a late response
    brand_account: str = ""
    kind: Literal["breach"] = "breach"


@dataclass(frozen=True, slots=True)
class ExpiredOutput:
    """The mention was still unanswered at created_at + max_age and was dropped from the state."""

    mention_id: str
    team: str
    priority_band: PriorityBand
    created_at: datetime
    at: datetime  # created_at + max_age
    kind: Literal["expired"] = "expired"


class Source(NamedTuple):
    """Where a held response came from: its dead letter names it if the response is given up."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int | None
    size: int  # bytes of the record's value


@dataclass(frozen=True, slots=True)
class UnmatchedOutput:
    """A response whose mention's assignment never came (within the hold time, or before the held responses hit
    their bound): it is given up, as a dead letter with reason ``unknown_reference``."""

    response: Response
    source: Source | None
    why: str
    kind: Literal["unmatched"] = "unmatched"


TrackerOutput = FirstResponseOutput | EscalationOutput | RerouteOutput | BreachOutput | ExpiredOutput | UnmatchedOutput


@dataclass(frozen=True, slots=True)
class TrackerLimits:
    """The tracker's bounds per worker (shared over the partitions, ``streams.state_bounds``)."""

    open: int = 200_000  # open mentions; beyond it a new assignment is refused (StateFullError)
    pending: int = 100_000  # responses held for their assignment; beyond it the oldest is given up
    closed: int = 500_000  # closed ids remembered; beyond it the oldest is forgotten
    bytes: int = 256 * 1024 * 1024  # record bytes of open mentions and held responses
    unmatched_after: timedelta = timedelta(hours=24)  # processing time a response is held for its assignment


# ---------------------------------------------------------------------------------------------- helpers


def assignment_from_routed(
    routed: RoutedMention,
    *,
    conversation_key: str,
    escalations: tuple[EscalationLevel, ...] = (),
    routed_record: str | None = None,
) -> Assignment:
    """The assignment record for a routed mention (what the route stage publishes to mentions.assignments)."""
    route = routed.route
    mention = routed.mention
    return Assignment(
        mention_id=mention.id,
        team=route.team,
        priority=route.priority,
        priority_band=cast(PriorityBand, priority_band(route.priority)),
        channel=mention.channel,
        brand_account=mention.brand_account,
        created_at=mention.created_at,
        routed_at=route.routed_at,
        sla_due_at=route.sla_due_at,
        escalations=escalations,
        conversation_key=conversation_key,
        rules_version=route.rules_version,
        rerouted=route.rerouted,
        routed_record=routed_record,
    )


def rerouted(routed: RoutedMention, to_team: str, *, at: datetime, level: int, from_team: str) -> RoutedMention:
    """The routed mention moved to ``to_team`` by escalation ``level``: route.team, rerouted=True, routed_at=at,
    the escalation level, ``from_team`` appended to previous_teams and a tag ``escalated:<level>:<from_team>``;
    everything else (rule, matches, enrichment) kept."""
    route = routed.route.model_copy(
        update={
            "team": to_team,
            "rerouted": True,
            "routed_at": at,
            "escalation_level": level,
            "previous_teams": (*routed.route.previous_teams, from_team),
            "tags": (*routed.route.tags, f"escalated:{level}:{from_team}"),
        }
    )
    return routed.model_copy(update={"route": route})


def rerouted_record(routed_record: str, to_team: str, *, at: datetime, level: int, from_team: str) -> str:
    """``rerouted`` on a routed mention's JSON."""
    moved = rerouted(RoutedMention.model_validate_json(routed_record), to_team, at=at, level=level, from_team=from_team)
    return moved.model_dump_json()


class StreamClock:
    """Event-time "now" for timers: the latest event time seen plus the wall time elapsed since it was seen.

    A replay runs on its own (past) event time; a quiet live stream still advances with the wall clock. The
    clock never goes backwards: an event older than the current ``now()`` does not move it.
    ``wall`` is a monotonic seconds function (``time.monotonic``), injectable for tests.
    """

    def __init__(self, wall: Callable[[], float] = time.monotonic) -> None:
        self._wall = wall
        self._event_time: datetime | None = None
        self._seen_at = 0.0

    def observe(self, event_time: datetime) -> None:
        current = self.now()
        if current is None or event_time > current:
            self._event_time = event_time
            self._seen_at = self._wall()

    def now(self) -> datetime | None:
        """None until the first event has been observed."""
        if self._event_time is None:
            return None
        return self._event_time + timedelta(seconds=self._wall() - self._seen_at)


# ------------------------------------------------------------------------------------------------ state


@dataclass(slots=True)
class _Open:
    assignment: Assignment  # .team is the current team (after re-routes); created_at is the original
    fired_level: int = 0
    breach_counted: bool = False
    # The assignment's JSON as received (validated as ``assignment``), reused for the changelog value;
    # None once the assignment was replaced (re-route) or when it came from the changelog.
    raw: bytes | None = None
    answer: Response | None = None  # the earliest response, held until the grace period has passed
    size: int = 0  # bytes of the assignment record, counted against the ``bytes`` bound


_BREACH, _ESCALATE, _EXPIRE, _PUBLISH = 0, 1, 2, 3
_Timer = tuple[datetime, str, int, int]  # (due_at, mention_id, kind, level)
_TeamEntry = tuple[datetime, str]  # (created_at, mention_id)
_COMPACT_SLACK = 1024

OPEN_PREFIX = b"open:"
STATUS_PREFIX = b"status:"
PENDING_PREFIX = b"pending:"
CLOSED_PREFIX = b"closed:"
WATERMARK_KEY = b"watermark"
ANSWERS_KEY = b"answers"


class PartitionTracker:
    """State of ONE input partition; see the module docstring for the rules."""

    def __init__(
        self,
        *,
        max_age: timedelta = timedelta(days=30),
        closed_ttl: timedelta = timedelta(days=30),
        limits: TrackerLimits | None = None,
        first_response_grace: timedelta = timedelta(0),
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.first_response_grace = first_response_grace
        self.max_age = max_age
        limits = limits or TrackerLimits()
        self.pending_ttl = limits.unmatched_after
        self.closed_ttl = closed_ttl
        self._bounds = {
            "open": Bound(limits.open),
            "pending": Bound(limits.pending),
            "closed": Bound(limits.closed),
            "held_bytes": Bound(limits.bytes),
        }
        self._open_bytes = 0  # record bytes of the open mentions
        self._pending_bytes = 0  # and of the held responses: together bounded by limits.bytes
        self._given_up: list[TrackerOutput] = []  # unmatched responses, returned by the next event or due()
        self._open: dict[str, _Open] = {}
        # (response, wall time held, source); insertion order
        self._pending: dict[str, tuple[Response, float, Source | None]] = {}
        self._closed: dict[str, datetime] = {}  # insertion order = watermark order
        self._watermark: datetime | None = None
        self._wall = wall
        self._timers: list[_Timer] = []
        self._timers_floor = 0
        self._backlog: dict[tuple[str, str], int] = {}
        self._team_open: dict[str, int] = {}
        self._team_heaps: dict[str, list[_TeamEntry]] = {}
        self._team_floors: dict[str, int] = {}
        self._dirty: dict[bytes, None] = {}
        self._status_logged: set[str] = set()  # open mentions with a status: record in the changelog
        self._answers = AnswerRate()

    # ----------------------------------------------------------------------------------------- queries

    @property
    def watermark(self) -> datetime | None:
        return self._watermark

    def backlog(self) -> dict[tuple[str, str], int]:
        """(team, priority band) -> open mentions (routed, unanswered, not expired); zero counts omitted."""
        return dict(self._backlog)

    def oldest_unanswered(self, team: str) -> datetime | None:
        """created_at of the team's oldest open mention, or None when it has none (lazy-deletion heap)."""
        heap = self._team_heaps.get(team)
        while heap:
            created_at, mention_id = heap[0]
            if self._team_entry_live(team, created_at, mention_id):
                return created_at
            heapq.heappop(heap)
        return None

    def teams(self) -> set[str]:
        """Teams with at least one open mention."""
        return set(self._team_open)

    def sla_due(self) -> Iterator[tuple[str, str, float]]:
        """(team, priority band, SLA due time as epoch seconds) of each open, unanswered mention with an SLA: the
        breach forecast's input. Iterates a copy of the open mentions taken at the first step, so it may be consumed
        a part at a time while the tracker changes (a mention answered meanwhile is skipped)."""
        for state in list(self._open.values()):
            a = state.assignment
            if state.answer is None and a.sla_due_at is not None and not a.dropped:
                yield a.team, a.priority_band, a.sla_due_at.timestamp()

    def answer_rates(self, now: datetime, teams: Iterable[str]) -> dict[str, float]:
        """First responses per second per team over the last 15 minutes of event time ({} under a minute in)."""
        return self._answers.rates(now, teams)

    def is_open(self, mention_id: str) -> bool:
        return mention_id in self._open

    def __len__(self) -> int:
        """Keys held: open + pending + closed (for mention_router_state_keys)."""
        return len(self._open) + len(self._pending) + len(self._closed)

    @property
    def bounds(self) -> dict[str, Bound]:
        return self._bounds

    def sizes(self) -> dict[str, int]:
        return {
            "open": len(self._open),
            "pending": len(self._pending),
            "closed": len(self._closed),
            "held_bytes": self._held_bytes(),
        }

    def enforce_bounds(self) -> None:
        """Open mentions are never evicted (new ones are refused); held responses and closed ids give way."""
        self._bound_pending(0, 0)
        self._bound_closed()

    # ------------------------------------------------------------------------------------------ events

    def on_assignment(self, a: Assignment, raw: bytes | None = None) -> list[TrackerOutput]:
        """``raw``: the JSON ``a`` was validated from, if any; the changelog reuses it instead of re-encoding.
        Raises ``StateFullError`` (changing nothing but the clocks) when the mention would open beyond a bound."""
        self._advance(a.created_at)
        self._expire_pending()
        outputs = self._assign(a, raw)
        return self._take_given_up() + outputs  # responses given up on the way, if any, first

    def _assign(self, a: Assignment, raw: bytes | None) -> list[TrackerOutput]:
        mention_id = a.mention_id
        if mention_id in self._closed:
            return []
        state = self._open.get(mention_id)
        if state is not None:
            if a.rerouted and state.answer is None:  # an answered mention stays with the team that answered
                kept: dict[str, object] = {"created_at": state.assignment.created_at}
                if a.routed_record is None:
                    kept["routed_record"] = state.assignment.routed_record
                self._move(state, a.model_copy(update=kept))
            return []
        size = len(raw) if raw is not None else len(a.routed_record or "")
        held = self._pending.get(mention_id)
        if held is not None:  # answered before its assignment got here, however old it is
            self._forget_pending(mention_id)
            if not self.first_response_grace:
                return self._close(a, held[0], None)
            try:
                self._make_room(size)
            except StateFullError:
                self._hold(mention_id, held)  # as it was: the assignment is refused, the response still held
                raise
            state = _Open(a, raw=raw, answer=held[0], size=size)
            self._open[mention_id] = state
            self._open_bytes += size
            self._push_timers(state, expiry=False)
            self._dirty[OPEN_PREFIX + mention_id.encode()] = None
            return []
        assert self._watermark is not None
        if a.created_at + self.max_age <= self._watermark:
            return []  # unanswered and would expire at once; not tracked
        self._make_room(size)
        state = _Open(a, raw=raw, size=size)
        self._open[mention_id] = state
        self._open_bytes += size
        self._add_to_team(a)
        self._push_timers(state, expiry=True)
        self._dirty[OPEN_PREFIX + mention_id.encode()] = None
        return []

    def on_response(self, r: Response, source: Source | None = None) -> list[TrackerOutput]:
        """``source``: where the record came from, named by its dead letter if it is given up unmatched."""
        self._advance(r.responded_at)
        self._expire_pending()
        outputs = self._respond(r, source)
        return self._take_given_up() + outputs

    def _respond(self, r: Response, source: Source | None) -> list[TrackerOutput]:
        mention_id = r.mention_id
        if mention_id in self._closed:
            return []
        state = self._open.get(mention_id)
        if state is not None:
            if not self.first_response_grace:
                return self._close(state.assignment, r, state)
            self._answer(state, r)
            return []
        held = self._pending.get(mention_id)
        if held is None:
            self._bound_pending(1, source.size if source is not None else 0)
            self._hold(mention_id, (r, self._wall(), source))
            return []
        if r.responded_at < held[0].responded_at:  # the later-sent one is not held: it is simply superseded
            self._pending[mention_id] = (r, held[1], held[2])
            self._dirty[PENDING_PREFIX + mention_id.encode()] = None
        return []

    def due(self, now: datetime, limit: int | None = None) -> list[TrackerOutput]:
        """Fire what is due by ``now``: breaches (sla_due_at < now), escalation levels and expiries (<= now).
        ``limit``: stop once this many outputs are made (``has_due`` tells whether more is due)."""
        self._advance(now)
        self._expire_pending()
        if self._answers.prune(now):
            self._dirty[ANSWERS_KEY] = None
        out = self._take_given_up()
        not_yet: list[_Timer] = []
        # self._timers, not a local: firing a re-route pushes timers and may compact (replace) the heap.
        while self._timers and self._timers[0][0] <= now and (limit is None or len(out) < limit):
            timer = heapq.heappop(self._timers)
            due_at, mention_id, kind, level = timer
            state = self._open.get(mention_id)
            if state is None or not self._timer_live(state, timer):
                continue
            a = state.assignment
            if kind == _BREACH:
                if due_at == now:  # a response at exactly sla_due_at is in time
                    not_yet.append(timer)
                    continue
                state.breach_counted = True
                self._dirty[STATUS_PREFIX + mention_id.encode()] = None
                out.append(BreachOutput(mention_id, a.team, a.priority_band, due_at, due_at, a.brand_account))
            elif kind == _ESCALATE:
                self._fire(state, level, due_at, out)
            elif kind == _PUBLISH:
                assert state.answer is not None
                out.extend(self._close(a, state.answer, state))
            else:
                self._remove_open(state)
                self._remember_closed(mention_id)
                out.append(ExpiredOutput(mention_id, a.team, a.priority_band, a.created_at, due_at))
        for timer in not_yet:
            heapq.heappush(self._timers, timer)
        return out

    def has_due(self, now: datetime) -> bool:
        """Whether a timer is due by ``now`` (one that is no longer live counts: ``due`` drops it)."""
        return bool(self._timers) and self._timers[0][0] <= now

    # --------------------------------------------------------------------------------------- changelog

    def holds_outputs(self) -> bool:
        return bool(self._given_up)

    def drain_changes(self) -> list[tuple[bytes, bytes | None]]:
        """State changes since the last call: each changed key once, with its current value (None = deleted)."""
        changes: list[tuple[bytes, bytes | None]] = []
        dirty = self._dirty
        for key in dirty:
            if key.startswith(STATUS_PREFIX) and OPEN_PREFIX + key[len(STATUS_PREFIX) :] in dirty:
                continue  # the open: record written beside it carries the status
            changes.append((key, self._value_of(key)))
            if key.startswith(OPEN_PREFIX):
                mention_id = key[len(OPEN_PREFIX) :].decode()
                if mention_id in self._status_logged:  # superseded by the record just written, or closed
                    self._status_logged.discard(mention_id)
                    changes.append((STATUS_PREFIX + key[len(OPEN_PREFIX) :], None))
        dirty.clear()
        return changes

    def restore(self, key: bytes, value: bytes | None) -> None:
        """Apply one changelog record (in changelog order); does not itself produce changes."""
        if key == WATERMARK_KEY:
            self._watermark = None if value is None else datetime.fromisoformat(orjson.loads(value))
            return
        if key == ANSWERS_KEY:
            self._answers = AnswerRate() if value is None else AnswerRate.from_json(orjson.loads(value))
            return
        prefix, _, raw_id = key.partition(b":")
        mention_id = raw_id.decode()
        if prefix + b":" == OPEN_PREFIX:
            old = self._open.pop(mention_id, None)
            if old is not None:
                self._open_bytes -= old.size
                if old.answer is None:
                    self._remove_from_team(old.assignment)
            if value is not None:
                doc = orjson.loads(value)
                answer = doc.get("answer")
                state = _Open(
                    Assignment.model_validate(doc["assignment"]),
                    int(doc["fired_level"]),
                    bool(doc["breach_counted"]),
                    answer=None if answer is None else Response.model_validate(answer),
                    size=len(value),
                )
                self._open[mention_id] = state
                self._open_bytes += state.size
                if state.answer is None:
                    self._add_to_team(state.assignment)
                self._push_timers(state, expiry=True)
        elif prefix + b":" == STATUS_PREFIX:
            self._restore_status(mention_id, value)
        elif prefix + b":" == PENDING_PREFIX:
            was = self._pending.pop(mention_id, None)
            if was is not None:
                self._pending_bytes -= was[2].size if was[2] is not None else 0
            if value is not None:
                doc = orjson.loads(value)
                source = Source(*doc["source"]) if doc.get("source") else None
                self._pending[mention_id] = (Response.model_validate(doc["response"]), float(doc["held_at"]), source)
                self._pending_bytes += source.size if source is not None else 0
        elif prefix + b":" == CLOSED_PREFIX:
            self._closed.pop(mention_id, None)
            if value is not None:
                self._closed[mention_id] = _parse_time(orjson.loads(value)["at"])
        else:
            raise ValueError(f"unknown tracker changelog key {key!r}")

    def _restore_status(self, mention_id: str, value: bytes | None) -> None:
        """A status: record over the open mention's own: its fired level, breach and answer as last written."""
        if value is None:
            self._status_logged.discard(mention_id)
            return
        old = self._open.get(mention_id)
        if old is None:  # written before its mention's open: record was rewritten or deleted: nothing to apply
            return
        doc = orjson.loads(value)
        answer = doc.get("answer")
        state = _Open(
            old.assignment,
            int(doc["fired_level"]),
            bool(doc["breach_counted"]),
            answer=None if answer is None else Response.model_validate(answer),
            size=old.size,
        )
        if old.answer is None:
            self._remove_from_team(old.assignment)
        self._open[mention_id] = state
        if state.answer is None:
            self._add_to_team(state.assignment)
        self._push_timers(state, expiry=True)  # the old state's timers are no longer live
        self._status_logged.add(mention_id)

    def _value_of(self, key: bytes) -> bytes | None:
        if key == WATERMARK_KEY:
            return None if self._watermark is None else orjson.dumps(self._watermark.isoformat())
        if key == ANSWERS_KEY:
            return orjson.dumps(self._answers.to_json())
        prefix, _, raw_id = key.partition(b":")
        mention_id = raw_id.decode()
        if prefix + b":" == OPEN_PREFIX:
            state = self._open.get(mention_id)
            if state is None:
                return None
            # Spliced: re-encoding the assignment (with its routed record) cost ~10 µs per change.
            raw = state.raw
            if raw is None:
                raw = orjson.dumps(state.assignment.model_dump(mode="json"))
            # Written once: an open mention lives for days, and its assignment is already held parsed.
            state.raw = None
            breach = b"true" if state.breach_counted else b"false"
            answer = b"null" if state.answer is None else state.answer.model_dump_json().encode()
            return b'{"assignment":%b,"fired_level":%d,"breach_counted":%b,"answer":%b}' % (
                raw,
                state.fired_level,
                breach,
                answer,
            )
        if prefix + b":" == STATUS_PREFIX:
            state = self._open.get(mention_id)
            if state is None:  # closed in the same batch: its open: tombstone deletes this key too
                return None
            self._status_logged.add(mention_id)
            return b'{"fired_level":%d,"breach_counted":%b,"answer":%b}' % (
                state.fired_level,
                b"true" if state.breach_counted else b"false",
                b"null" if state.answer is None else state.answer.model_dump_json().encode(),
            )
        if prefix + b":" == PENDING_PREFIX:
            held = self._pending.get(mention_id)
            if held is None:
                return None
            source = None if held[2] is None else list(held[2])
            return orjson.dumps({"response": held[0].model_dump(mode="json"), "held_at": held[1], "source": source})
        at = self._closed.get(mention_id)
        return None if at is None else orjson.dumps({"at": at.isoformat()})

    # ---------------------------------------------------------------------------------------- internals

    def _advance(self, event_time: datetime) -> None:
        if self._answers.observe(event_time):
            self._dirty[ANSWERS_KEY] = None
        if self._watermark is not None and event_time <= self._watermark:
            return
        self._watermark = event_time
        self._dirty[WATERMARK_KEY] = None
        # Insertion order is watermark order, so expiry sweeps from the front: O(1) amortised.
        closed_horizon = event_time - self.closed_ttl
        while self._closed:
            mention_id = next(iter(self._closed))
            if self._closed[mention_id] >= closed_horizon:
                break
            del self._closed[mention_id]
            self._dirty[CLOSED_PREFIX + mention_id.encode()] = None

    def _expire_pending(self) -> None:
        """Give up on responses whose assignment has not come within ``pending_ttl`` of *processing* time.

        Processing time, not event time: how long an assignment can trail its response is a matter of
        delivery (three stages and their lag), and a fast replay puts responses weeks of event time
        ahead of assignments that are only seconds behind them.
        """
        horizon = self._wall() - self.pending_ttl.total_seconds()
        pending = self._pending
        while pending:
            mention_id = next(iter(pending))
            if pending[mention_id][1] >= horizon:
                break
            self._give_up(mention_id, f"no assignment for the mention within {self.pending_ttl}")

    def _forget_pending(self, mention_id: str) -> tuple[Response, float, Source | None]:
        held = self._pending.pop(mention_id)
        self._pending_bytes -= held[2].size if held[2] is not None else 0
        self._dirty[PENDING_PREFIX + mention_id.encode()] = None
        return held

    def _hold(self, mention_id: str, held: tuple[Response, float, Source | None]) -> None:
        self._pending[mention_id] = held
        self._pending_bytes += held[2].size if held[2] is not None else 0
        self._dirty[PENDING_PREFIX + mention_id.encode()] = None

    def _give_up(self, mention_id: str, why: str) -> None:
        response, _, source = self._forget_pending(mention_id)
        self._given_up.append(UnmatchedOutput(response, source, why))

    def _take_given_up(self) -> list[TrackerOutput]:
        given_up, self._given_up = self._given_up, []
        return given_up

    def _bound_pending(self, adding: int, size: int) -> None:
        """Room for ``adding`` (0 or 1) more held responses of ``size`` bytes: the oldest held ones give way."""
        pending, entries, room = self._pending, self._bounds["pending"], self._bounds["held_bytes"]
        while pending and (len(pending) + adding > entries.limit or self._held_bytes() + size > room.limit):
            (entries if len(pending) + adding > entries.limit else room).evicted += 1
            self._give_up(next(iter(pending)), "the held responses were at their bound")

    def _make_room(self, size: int) -> None:
        """Room for one more open mention of ``size`` bytes. Held responses give way when that makes room; open
        mentions never do (that would silently stop tracking someone still waiting): the new one is refused."""
        entries, room = self._bounds["open"], self._bounds["held_bytes"]
        if len(self._open) >= entries.limit or self._open_bytes + size > room.limit:
            (entries if len(self._open) >= entries.limit else room).evicted += 1
            raise StateFullError(
                f"the tracker holds {len(self._open)} open mentions of {self._open_bytes} bytes; the partition's "
                f"limits are {entries.limit} and {room.limit} bytes (MENTION_ROUTER_TRACKER_MAX_OPEN, _MAX_BYTES)"
            )
        while self._pending and self._held_bytes() + size > room.limit:
            room.evicted += 1
            self._give_up(next(iter(self._pending)), "the tracker's state was at its bound")

    def _held_bytes(self) -> int:
        return self._open_bytes + self._pending_bytes

    def _bound_closed(self) -> None:
        while len(self._closed) > self._bounds["closed"].limit:
            oldest = next(iter(self._closed))
            del self._closed[oldest]
            self._dirty[CLOSED_PREFIX + oldest.encode()] = None
            self._bounds["closed"].evicted += 1

    def _remember_closed(self, mention_id: str) -> None:
        assert self._watermark is not None
        self._closed[mention_id] = self._watermark
        self._dirty[CLOSED_PREFIX + mention_id.encode()] = None
        self._bound_closed()

    def _close(self, a: Assignment, r: Response, state: _Open | None) -> list[TrackerOutput]:
        breached = a.sla_due_at is not None and r.responded_at > a.sla_due_at
        record = FirstResponse(
            mention_id=a.mention_id,
            team=a.team,
            priority_band=a.priority_band,
            brand_account=a.brand_account,
            channel=a.channel,
            created_at=a.created_at,
            routed_at=a.routed_at,
            responded_at=r.responded_at,
            responder=r.responder,
            seconds_since_created=(r.responded_at - a.created_at).total_seconds(),
            seconds_since_routed=(r.responded_at - a.routed_at).total_seconds(),
            sla_due_at=a.sla_due_at,
            breached=breached,
        )
        out: list[TrackerOutput] = [FirstResponseOutput(record)]
        if not a.dropped:
            self._answers.add(a.team, r.responded_at)
            self._dirty[ANSWERS_KEY] = None
        if breached and not (state is not None and state.breach_counted):
            assert a.sla_due_at is not None
            out.append(
                BreachOutput(a.mention_id, a.team, a.priority_band, a.sla_due_at, r.responded_at, a.brand_account)
            )
        if state is not None:
            self._remove_open(state)
        self._remember_closed(a.mention_id)
        return out

    def _remove_open(self, state: _Open) -> None:
        mention_id = state.assignment.mention_id
        del self._open[mention_id]
        self._open_bytes -= state.size
        if state.answer is None:  # an answered one left its team when it was answered
            self._remove_from_team(state.assignment)
        self._dirty[OPEN_PREFIX + mention_id.encode()] = None

    def _answer(self, state: _Open, r: Response) -> None:
        """Hold the earliest response until the grace period has passed; the mention is answered now."""
        if state.answer is not None and r.responded_at >= state.answer.responded_at:
            return
        if state.answer is None:
            self._remove_from_team(state.assignment)
        state.answer = r
        heapq.heappush(self._timers, (r.responded_at + self.first_response_grace, r.mention_id, _PUBLISH, 0))
        self._dirty[STATUS_PREFIX + r.mention_id.encode()] = None

    def _fire(self, state: _Open, level: int, due_at: datetime, out: list[TrackerOutput]) -> None:
        a = state.assignment
        step = next(e for e in a.escalations if e.level == level)
        state.fired_level = level
        self._dirty[STATUS_PREFIX + a.mention_id.encode()] = None
        out.append(
            EscalationOutput(
                Escalation(
                    escalation_id=Escalation.make_id(a.mention_id, level),
                    mention_id=a.mention_id,
                    level=level,
                    from_team=a.team,
                    to_team=step.to_team,
                    notify=step.notify,
                    sla_due_at=a.sla_due_at,
                    fired_at=due_at,
                    created_at=a.created_at,
                    priority_band=a.priority_band,
                    brand_account=a.brand_account,
                )
            )
        )
        if step.to_team is not None and step.to_team != a.team:
            out.append(RerouteOutput(a.mention_id, a.team, step.to_team, level, due_at, a.routed_record))
            self._move(state, a.model_copy(update={"team": step.to_team, "rerouted": True}))

    def _move(self, state: _Open, new: Assignment) -> None:
        """Replace the open mention's assignment (re-route): backlog, oldest-unanswered and timers follow."""
        self._remove_from_team(state.assignment)
        state.assignment = new
        state.raw = None
        self._add_to_team(new)
        self._push_timers(state, expiry=False)  # created_at is kept, so the expiry timer still holds
        self._dirty[OPEN_PREFIX + new.mention_id.encode()] = None

    def _push_timers(self, state: _Open, *, expiry: bool) -> None:
        a = state.assignment
        timers = self._timers
        if state.answer is not None:
            heapq.heappush(timers, (state.answer.responded_at + self.first_response_grace, a.mention_id, _PUBLISH, 0))
        elif a.sla_due_at is not None and not state.breach_counted:
            heapq.heappush(timers, (a.sla_due_at, a.mention_id, _BREACH, 0))
        for step in a.escalations if state.answer is None else ():
            if step.level > state.fired_level:
                heapq.heappush(timers, (step.due_at, a.mention_id, _ESCALATE, step.level))
        if expiry and state.answer is None:
            heapq.heappush(timers, (a.created_at + self.max_age, a.mention_id, _EXPIRE, 0))
        if len(timers) > 2 * self._timers_floor + _COMPACT_SLACK:
            live = [t for t in timers if (s := self._open.get(t[1])) is not None and self._timer_live(s, t)]
            heapq.heapify(live)
            self._timers = live
            self._timers_floor = len(live)

    def _timer_live(self, state: _Open, timer: _Timer) -> bool:
        due_at, _, kind, level = timer
        a = state.assignment
        if kind == _PUBLISH:
            return state.answer is not None and state.answer.responded_at + self.first_response_grace == due_at
        if state.answer is not None:  # answered: no breach, escalation or expiry any more
            return False
        if kind == _BREACH:
            return not state.breach_counted and a.sla_due_at == due_at
        if kind == _ESCALATE:
            return level > state.fired_level and any(e.level == level and e.due_at == due_at for e in a.escalations)
        return a.created_at + self.max_age == due_at

    def _add_to_team(self, a: Assignment) -> None:
        if a.dropped:  # kept for audit: a response is still measured, but nobody owes one
            return
        band_key = (a.team, a.priority_band)
        self._backlog[band_key] = self._backlog.get(band_key, 0) + 1
        self._team_open[a.team] = self._team_open.get(a.team, 0) + 1
        heap = self._team_heaps.setdefault(a.team, [])
        heapq.heappush(heap, (a.created_at, a.mention_id))
        if len(heap) > 2 * self._team_floors.get(a.team, 0) + _COMPACT_SLACK:
            live = [e for e in heap if self._team_entry_live(a.team, *e)]
            heapq.heapify(live)
            self._team_heaps[a.team] = live
            self._team_floors[a.team] = len(live)

    def _remove_from_team(self, a: Assignment) -> None:
        if a.dropped:
            return
        band_key = (a.team, a.priority_band)
        remaining = self._backlog[band_key] - 1
        if remaining:
            self._backlog[band_key] = remaining
        else:
            del self._backlog[band_key]
        team_remaining = self._team_open[a.team] - 1
        if team_remaining:
            self._team_open[a.team] = team_remaining
        else:  # the team's heap holds only dead entries now
            del self._team_open[a.team]
            self._team_heaps.pop(a.team, None)
            self._team_floors.pop(a.team, None)

    def _team_entry_live(self, team: str, created_at: datetime, mention_id: str) -> bool:
        state = self._open.get(mention_id)
        return (
            state is not None
            and state.answer is None
            and state.assignment.team == team
            and state.assignment.created_at == created_at
        )


def _parse_time(raw: str) -> datetime:
    return datetime.fromisoformat(raw)
