"""Routing rules: which team gets an enriched mention. Pure logic, no Kafka.

Usage::

    rules = load_rules("streams/config/rules.yaml")   # RulesError lists every problem, with lines
    decision = rules.decide(enriched)                  # first matching rule wins, else triage
    decision.team, decision.priority, decision.rule_id, decision.matched, decision.tags
    decision.sla_override, decision.dropped_reason     # the deciding rule's then.sla / then.drop, else None

    a = assign(decision, rules, created_at=enriched.mention.created_at, routed_at=now)   # streams.routing.sla
    a.team, a.tags, a.sla_due_at, a.escalations, a.dropped_reason   # after-hours fallback, SLA, escalations

Rules file format (YAML)::

    version: "2026-11-23.1"      # required, a quoted string; copied into every routed record
    description: "..."           # optional
    triage_team: triage          # required; where mentions no rule matched go (rule_id 'default')
    brands: [acme, globex]       # optional; brand accounts served; RuleSet.brand_label() calls others 'other'
    calendars:                   # optional; business hours by name ('always', open 24/7, is built in)
      office:                    # same pattern as team names
        timezone: Europe/London  # required, IANA name
        hours:                   # required; day -> local "HH:MM-HH:MM" intervals; a day left out is closed
          mon-fri: ["09:00-12:30", "13:30-18:00"]   # several a day; days: mon..sun, ranges (fri-mon wraps), daily
          sat: ["22:00-06:00"]   # end <= start runs overnight into the next day; 24:00 allowed as an end
        holidays: [2026-12-25]   # optional; closed 00:00-24:00 local
        public_holidays: {country: GB, subdivision: ENG}   # optional; that country's public holidays, every
                                 # year (the `holidays` library), on top of `holidays`
        description: "..."       # optional
    teams:                       # required
      - name: care               # [a-z0-9][a-z0-9_-]{0,47}, unique
        description: "..."       # optional
        topic: acme.care         # optional; default mentions.routed.<name> (the deployment prefix still applies)
        calendar: office         # optional; default always
        sla: {urgent: 15m, high: 1h, normal: 4h, low: 1d}   # optional; a band left out has no SLA;
                                 # or one duration for all bands: `sla: 1h`
        after_hours_team: night  # optional; while `calendar` is closed, mentions routed here go there instead
        escalation:              # optional; levels in the order they fire
          - {after: 30m, notify: care-lead}    # open time since created_at ...
          - {after: sla, to: vip}              # ... or `sla`: at the SLA due time; `to` re-routes; >= one of to/notify
      - name: triage
    rules:                       # required (may be []); ordered, the first rule whose `when` holds decides
      - id: legal-threats        # unique, same pattern as team names; 'default' is reserved
        description: "..."       # optional
        when: <condition>
        then:
          team: care             # required, a declared team
          priority: 90           # optional: set the priority (0-100) ...
          raise_priority: 10     # ... or add to enrichment.priority (-100..100, result clamped to 0-100)
          tags: [legal]          # optional, copied to the routed record
          sla: 30m               # optional: replaces the team's SLA for these mentions
          drop: spam             # optional reason: published to the team's topic for audit with
                                 # route.dropped_reason set; no SLA, escalation or after-hours fallback

Durations are a number and a unit (s, m, h, d, w), combinable: ``45s``, ``15m``, ``4h``, ``1h30m``, ``2d``.
Priority bands: urgent >= 80, high >= 60, normal >= 30, low below (as ``streams.metrics.priority_band``).

SLA clocks count only open time on the team's calendar (``BusinessCalendar.add_business_time``), from the
mention's ``created_at``: ``1d`` is 24 open hours (almost three 9-hour days), so on business calendars
prefer hours. The SLA and escalations that apply are the final team's (after the after-hours fallback),
unless the deciding rule set ``then.sla``. See ``streams.routing.calendar`` (calendar semantics: overnight
hours, holidays, DST) and ``streams.routing.sla`` (``assign``).

Validated at load, each with its line: unknown calendars, time zones, days, intervals, holidays, SLA bands,
durations that do not parse (or are zero, except escalation ``after``), unknown teams in
``after_hours_team`` and escalation ``to``, a team escalating or falling back to itself, after-hours
chains and escalations that loop, ``after_hours_team`` on an always-open team, ``after: sla`` with no
SLA anywhere, levels listed out of firing order (per band), topics that are invalid or taken, ``drop``
with ``sla``, duplicate brands/holidays/days.

A condition is one of::

    all: [<condition>, ...]      # every one holds (non-empty list)
    any: [<condition>, ...]      # at least one holds (non-empty list)
    not: <condition>
    {field: <path>, <operator>: <value>}    # exactly one operator per leaf

Operators (checked against the field's type at load):

    eq, ne             equal / not equal (strings, enums, numbers, booleans)
    in, not_in         value is / is not in a non-empty list
    gt, gte, lt, lte   numeric comparisons
    contains           substring of a string field, or item of a list field (e.g. enrichment.urgency)
    matches            regular expression, re.search semantics, compiled at load; use (?i) for case-insensitive
    exists             true: the field has a value (not null; for lists, not empty); false: the opposite

Fields are dotted paths into EnrichedMention, e.g. ``mention.channel``, ``mention.author.followers``,
``mention.author.verified``, ``mention.text``, ``enrichment.language``, ``enrichment.intent``,
``enrichment.sentiment.label``, ``enrichment.sentiment.score``, ``enrichment.urgency``,
``enrichment.influence``, ``enrichment.priority``, and ``mention.metadata.<key>`` (the full list:
``known_fields()``; timestamps support only ``exists``). An unknown field, an operator that does not
fit the field's type, a value of the wrong type or a value outside an enum (e.g. an intent that does
not exist) is a load error. Null fields never satisfy comparisons (gt, contains, matches ...), and
metadata values of the wrong type simply do not match.

``Decision.matched`` lists the leaf conditions that were true for the deciding rule, with the
value the mention had; ``not`` is pushed down to leaves, so a negated leaf is reported with the
complementary operator (``not_in``, ``ne``, ``exists: false``) or as ``not <op>``.

Top-level keys starting with ``x-`` are ignored: a place for YAML anchors shared by several rules
(``x-b2b: &b2b {field: mention.metadata.segment, eq: b2b}`` ... ``when: {all: [*b2b, ...]}``).

Nothing is lost: a dropped mention (``then.drop``) still goes to its team's topic, for audit.
"""

from streams.routing.calendar import ALWAYS, BusinessCalendar, parse_duration
from streams.routing.fields import known_fields
from streams.routing.issues import RuleIssue, RulesError
from streams.routing.loader import check_rules_file, load_rules, load_rules_text, parse_rules
from streams.routing.ruleset import (
    DEFAULT_RULE_ID,
    PRIORITY_BANDS,
    Decision,
    EscalationLevel,
    Rule,
    RuleSet,
    Team,
    priority_band,
)
from streams.routing.sla import AFTER_HOURS_TAG, Assignment, EscalationDue, assign

__all__ = [
    "AFTER_HOURS_TAG",
    "ALWAYS",
    "DEFAULT_RULE_ID",
    "PRIORITY_BANDS",
    "Assignment",
    "BusinessCalendar",
    "Decision",
    "EscalationDue",
    "EscalationLevel",
    "Rule",
    "RuleIssue",
    "RuleSet",
    "RulesError",
    "Team",
    "assign",
    "check_rules_file",
    "known_fields",
    "load_rules",
    "load_rules_text",
    "parse_duration",
    "parse_rules",
    "priority_band",
]
