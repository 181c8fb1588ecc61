"""A loaded, compiled rules file and the per-event ``decide()``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple, cast

from schemas.enriched import EnrichedMention
from schemas.routed import MatchedCondition
from streams.routing.codegen import Codegen
from streams.routing.conditions import Cond, matched_code
from streams.routing.fields import resolve

DEFAULT_RULE_ID = "default"  # Route.rule_id when no rule matched (see schemas/routed.py)
TOPIC_PREFIX = "mentions.routed."
MAX_PRIORITY = 100


class Decision(NamedTuple):  # a NamedTuple: immutable, and much cheaper to create than a frozen dataclass
    team: str
    priority: int  # 0-100: enrichment.priority, as set/raised by the deciding rule
    rule_id: str  # DEFAULT_RULE_ID when nothing matched and the mention went to the triage team
    matched: tuple[MatchedCondition, ...] = ()  # the deciding rule's leaf conditions that were true
    tags: tuple[str, ...] = ()


DecideFn = Callable[[EnrichedMention], Decision]


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


class RuleSet:
    """Ordered rules; the first whose condition holds decides, else the triage team gets the mention.

    ``decide(enriched) -> Decision`` is generated code (see ``codegen.py``), bound per instance.
    Build one with ``load_rules``/``load_rules_text``; ``codegen`` is the one the rules were parsed with.
    """

    __slots__ = ("decide", "description", "rules", "source", "team_descriptions", "triage_team", "version")

    decide: DecideFn

    def __init__(
        self,
        *,
        version: str,
        triage_team: str,
        teams: dict[str, str],
        rules: tuple[Rule, ...],
        description: str = "",
        source: str = "<rules>",
        codegen: Codegen,
    ) -> None:
        self.version = version
        self.triage_team = triage_team
        self.team_descriptions = dict(teams)
        self.rules = rules
        self.description = description
        self.source = source
        # An instance attribute, not a method: saves a Python frame per event.
        self.decide = compile_decide(rules, triage_team, codegen)

    @property
    def team_names(self) -> tuple[str, ...]:
        return tuple(self.team_descriptions)

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.rules)

    @staticmethod
    def topic_for(team: str) -> str:
        return f"{TOPIC_PREFIX}{team}"

    def __repr__(self) -> str:
        return f"RuleSet(version={self.version!r}, teams={len(self.team_descriptions)}, rules={len(self.rules)})"


def compile_decide(rules: tuple[Rule, ...], triage_team: str, cg: Codegen) -> DecideFn:
    """Generate ``decide``: load each rule's fields just before its test, return a Decision on the first hit.

    ``cg`` must be the Codegen the rules' conditions were compiled with (their constants live there).
    """
    spec = resolve("enrichment.priority")
    assert spec is not None  # a schema field; fields.py derives it
    base = cg.var(spec)
    make = cg.const(Decision._make)  # tuple.__new__ underneath: no Python-level __new__ frame
    lines = ["def _decide(em):"]
    done: set[str] = set()
    for rule in rules:
        expr, variables = rule.when.code
        lines += cg.load_lines(variables, done)
        lines.append(f"    if {expr}:")
        if rule.set_priority is None:
            lines += cg.load_lines([base], set(done), "        ")  # loaded only on this branch
        matched_lines, matched = matched_code(rule.when, cg, "        ")
        lines += matched_lines
        fields = (cg.const(rule.team), _priority_expr(rule, base), cg.const(rule.id), matched, cg.const(rule.tags))
        lines.append(f"        return {make}(({', '.join(fields)}))")
    lines += cg.load_lines([base], done)
    lines.append(f"    return {make}(({cg.const(triage_team)}, {base}, {cg.const(DEFAULT_RULE_ID)}, (), ()))")
    return cast(DecideFn, cg.define("_decide", lines))


def _priority_expr(rule: Rule, base: str) -> str:
    if rule.set_priority is not None:
        return str(int(rule.set_priority))
    step = int(rule.raise_priority)
    if step > 0:
        return f"(_p if (_p := {base} + {step}) < {MAX_PRIORITY} else {MAX_PRIORITY})"
    if step < 0:
        return f"(_p if (_p := {base} - {-step}) > 0 else 0)"
    return base
