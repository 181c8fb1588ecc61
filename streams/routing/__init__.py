"""Routing rules: which team gets an enriched mention. Pure logic, no Kafka.

Usage::

    rules = load_rules("streams/config/rules.yaml")   # RulesError lists every problem, with lines
    decision = rules.decide(enriched)                  # first matching rule wins, else triage
    decision.team, decision.priority, decision.rule_id, decision.matched, decision.tags

Rules file format (YAML)::

    version: "2026-11-23.1"      # required, a quoted string; copied into every routed record
    description: "..."           # optional
    triage_team: triage          # required; where mentions no rule matched go (rule_id 'default')
    teams:                       # required; each team's output topic is mentions.routed.<name>
      - name: care               # [a-z0-9][a-z0-9_-]{0,47}, unique
        description: "..."       # optional
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

There is no "drop": spam is routed to a team (e.g. ``spam``), so nothing is lost.
"""

from streams.routing.fields import known_fields
from streams.routing.issues import RuleIssue, RulesError
from streams.routing.loader import check_rules_file, load_rules, load_rules_text, parse_rules
from streams.routing.ruleset import DEFAULT_RULE_ID, Decision, Rule, RuleSet

__all__ = [
    "DEFAULT_RULE_ID",
    "Decision",
    "Rule",
    "RuleIssue",
    "RuleSet",
    "RulesError",
    "check_rules_file",
    "known_fields",
    "load_rules",
    "load_rules_text",
    "parse_rules",
]
