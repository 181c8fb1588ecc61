"""A loaded, compiled rules file and the per-event ``decide()``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, NamedTuple, cast

from schemas.enriched import EnrichedMention
from schemas.routed import MatchedCondition
from streams.routing.calendar import ALWAYS, ALWAYS_NAME, BusinessCalendar
from streams.routing.codegen import Codegen
from streams.routing.conditions import Cond, matched_code
from streams.routing.fields import resolve

DEFAULT_RULE_ID = "default"  # Route.rule_id when no rule matched (see schemas/routed.py)
TOPIC_PREFIX = "mentions.routed."
MAX_PRIORITY = 100
PRIORITY_BANDS = ("urgent", "high", "normal", "low")  # also the metrics' priority label values
OTHER_BRAND = "other"  # RuleSet.brand_label for accounts not listed under brands


def priority_band(priority: int) -> str:
    """urgent >= 80, high >= 60, normal >= 30, else low (the same bands as the metrics)."""
    if priority >= 80:
        return "urgent"
    if priority >= 60:
        return "high"
    if priority >= 30:
        return "normal"
    return "low"


class Decision(NamedTuple):  # a NamedTuple: immutable, and much cheaper to create than a frozen dataclass
    team: str
    priority: int  # 0-100: enrichment.priority, as set/raised by the deciding rule
    rule_id: str  # DEFAULT_RULE_ID when nothing matched and the mention went to the triage team
    matched: tuple[MatchedCondition, ...] = ()  # the deciding rule's leaf conditions that were true
    tags: tuple[str, ...] = ()
    sla_override: timedelta | None = None  # the deciding rule's then.sla: replaces the team's SLA
    dropped_reason: str | None = None  # the deciding rule's then.drop: published for audit, no SLA clock


DecideFn = Callable[[EnrichedMention], Decision]
DecideJsonFn = Callable[[dict[str, Any]], Decision]  # on the record's parsed JSON (see jsonread.py)


@dataclass(frozen=True, slots=True, eq=False)
class Rule:
    id: str
    description: str
    line: int
    when: Cond
    team: str
    set_priority: int | None = None
    raise_priority: int = 0
    tags: tuple[str, ...] = ()
    sla: timedelta | None = None
    drop: str | None = None


@dataclass(frozen=True, slots=True)
class EscalationLevel:
    """One step of a team's escalation chain: at ``after`` (open time since the mention was created)
    or at the SLA due time (``after is None``), re-route to ``to`` and/or notify ``notify``."""

    after: timedelta | None  # None: at the SLA due time
    to: str | None = None
    notify: str | None = None
    line: int = 0

    @property
    def at_sla(self) -> bool:
        return self.after is None


@dataclass(frozen=True, slots=True)
class Team:
    name: str
    description: str = ""
    sla: Mapping[str, timedelta] = field(default_factory=dict)  # priority band -> SLA; a missing band has none
    calendar: str = ALWAYS_NAME
    after_hours_team: str | None = None
    escalation: tuple[EscalationLevel, ...] = ()
    topic: str | None = None  # overrides mentions.routed.<name>
    line: int = 0

    def sla_for(self, priority: int) -> timedelta | None:
        return self.sla.get(priority_band(priority))


class RuleSet:
    """Ordered rules; the first whose condition holds decides, else the triage team gets the mention.

    ``decide(enriched) -> Decision`` is generated code (see ``codegen.py``), bound per instance.
    Build one with ``load_rules``/``load_rules_text``; ``codegen`` is the one the rules were parsed with.
    """

    __slots__ = (
        "brands",
        "calendars",
        "codegen",
        "decide",
        "decide_json",
        "description",
        "rules",
        "source",
        "teams",
        "triage_team",
        "version",
    )

    decide: DecideFn
    # The same decision on an EnrichedMention's parsed JSON, each field it reads checked on the way
    # (jsonread.MalformedRecordError when one is not what the schema says).
    decide_json: DecideJsonFn

    def __init__(
        self,
        *,
        version: str,
        triage_team: str,
        teams: Mapping[str, Team | str],
        rules: tuple[Rule, ...],
        description: str = "",
        source: str = "<rules>",
        codegen: Codegen,
        calendars: Mapping[str, BusinessCalendar] | None = None,
        brands: Iterable[str] = (),
    ) -> None:
        """``teams`` maps name -> Team (a plain description string stands for a Team with only that)."""
        self.version = version
        self.triage_team = triage_team
        self.teams: dict[str, Team] = {
            name: team if isinstance(team, Team) else Team(name, team) for name, team in teams.items()
        }
        self.calendars: dict[str, BusinessCalendar] = {ALWAYS_NAME: ALWAYS, **(calendars or {})}
        self.brands: tuple[str, ...] = tuple(brands)
        self.rules = rules
        self.description = description
        self.source = source
        self.codegen = codegen  # its constants back the conditions (``explain`` compiles single leaves with it)
        # An instance attribute, not a method: saves a Python frame per event.
        self.decide = compile_decide(rules, triage_team, codegen)
        self.decide_json = cast(DecideJsonFn, _compile(rules, triage_team, codegen, json=True))

    @property
    def team_names(self) -> tuple[str, ...]:
        return tuple(self.teams)

    @property
    def team_descriptions(self) -> dict[str, str]:
        return {name: team.description for name, team in self.teams.items()}

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.rules)

    def topic_for(self, team: str) -> str:
        """The team's output topic before any deployment prefix: its ``topic`` override, else mentions.routed.<team>."""
        found = self.teams.get(team)
        if found is not None and found.topic is not None:
            return found.topic
        return f"{TOPIC_PREFIX}{team}"

    def calendar_of(self, team: str) -> BusinessCalendar:
        return self.calendars[self.teams[team].calendar]

    def brand_label(self, brand_account: str) -> str:
        """A bounded metrics label: the account when listed under ``brands``, else 'other'."""
        return brand_account if brand_account in self.brands else OTHER_BRAND

    def __repr__(self) -> str:
        return f"RuleSet(version={self.version!r}, teams={len(self.teams)}, rules={len(self.rules)})"


def compile_decide(rules: tuple[Rule, ...], triage_team: str, cg: Codegen) -> DecideFn:
    """Generate ``decide``: load each rule's fields just before its test, return a Decision on the first hit.

    ``cg`` must be the Codegen the rules' conditions were compiled with (their constants live there).
    """
    return cast(DecideFn, _compile(rules, triage_team, cg, json=False))


def _compile(rules: tuple[Rule, ...], triage_team: str, cg: Codegen, *, json: bool) -> Any:
    spec = resolve("enrichment.priority")
    assert spec is not None  # a schema field; fields.py derives it
    base = cg.var(spec)
    make = cg.const(Decision._make)  # tuple.__new__ underneath: no Python-level __new__ frame
    name = "_decide_json" if json else "_decide"
    lines = [f"def {name}(em):"]
    done: set[str] = set()
    for rule in rules:
        expr, variables = rule.when.code
        lines += cg.load_lines(variables, done, json=json)
        lines.append(f"    if {expr}:")
        if rule.set_priority is None:
            lines += cg.load_lines([base], set(done), "        ", json=json)  # loaded only on this branch
        matched_lines, matched = matched_code(rule.when, cg, "        ")
        lines += matched_lines
        fields = (
            cg.const(rule.team),
            _priority_expr(rule, base),
            cg.const(rule.id),
            matched,
            cg.const(rule.tags),
            cg.const(rule.sla),
            cg.const(rule.drop),
        )
        lines.append(f"        return {make}(({', '.join(fields)}))")
    lines += cg.load_lines([base], done, json=json)
    lines.append(
        f"    return {make}(({cg.const(triage_team)}, {base}, {cg.const(DEFAULT_RULE_ID)}, (), (), None, None))"
    )
    return cg.define(name, lines)


def _priority_expr(rule: Rule, base: str) -> str:
    if rule.set_priority is not None:
        return str(int(rule.set_priority))
    step = int(rule.raise_priority)
    if step > 0:
        return f"(_p if (_p := {base} + {step}) < {MAX_PRIORITY} else {MAX_PRIORITY})"
    if step < 0:
        return f"(_p if (_p := {base} - {-step}) > 0 else 0)"
    return base
