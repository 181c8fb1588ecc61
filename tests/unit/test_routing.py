"""Routing rules: loading, validation (with line numbers) and decisions. No Kafka."""

from __future__ import annotations

import json
import random
import textwrap
from pathlib import Path
from typing import Any

import pytest

from schemas import EnrichedMention, MatchedCondition
from streams.routing import (
    DEFAULT_RULE_ID,
    Decision,
    RuleIssue,
    RulesError,
    RuleSet,
    check_rules_file,
    load_rules,
    load_rules_text,
)
from streams.routing.bench import main as bench_main
from streams.routing.bench import synthetic_mentions

SHIPPED_RULES = Path(__file__).resolve().parents[2] / "streams" / "config" / "rules.yaml"

HEADER = """\
version: "test-1"
triage_team: triage
teams:
  - name: hit
  - name: other
  - name: triage
rules:
"""


def mention(
    *,
    channel: str = "twitter",
    text: str = "hello acme",
    followers: int = 10,
    verified: bool = False,
    url: str | None = None,
    metadata: dict[str, Any] | None = None,
    language: str = "en",
    language_confidence: float = 0.95,
    sentiment: str = "neutral",
    score: float = 0.0,
    intent: str = "other",
    intent_confidence: float = 0.9,
    urgency: tuple[str, ...] = (),
    topics: tuple[str, ...] = (),
    influence: str = "standard",
    customer_tier: str | None = None,
    priority: int = 20,
) -> EnrichedMention:
    """An EnrichedMention from plain values (validated like a real one)."""
    now = "2026-11-23T12:00:00+00:00"
    return EnrichedMention.model_validate(
        {
            "mention": {
                "id": f"{channel}:1",
                "channel": channel,
                "native_id": "1",
                "author": {"handle": "someone", "followers": followers, "verified": verified},
                "text": text,
                "created_at": now,
                "brand_account": "acme",
                "url": url,
                "metadata": metadata or {},
            },
            "enrichment": {
                "language": language,
                "language_confidence": language_confidence,
                "sentiment": {"label": sentiment, "score": score},
                "intent": intent,
                "intent_confidence": intent_confidence,
                "urgency": list(urgency),
                "topics": list(topics),
                "influence": influence,
                "customer_tier": customer_tier,
                "priority": priority,
            },
            "ingested_at": now,
        }
    )


def rules_yaml(*rules: dict[str, Any]) -> str:
    # YAML is a superset of JSON: one flow-style rule per line keeps tests compact.
    return HEADER + "".join(f"  - {json.dumps(rule)}\n" for rule in rules)


def one_rule(when: dict[str, Any], **then: Any) -> RuleSet:
    return load_rules_text(rules_yaml({"id": "r", "when": when, "then": {"team": "hit", **then}}))


def hits(when: dict[str, Any], em: EnrichedMention) -> bool:
    return one_rule(when).decide(em).team == "hit"


# --- operators ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "kwargs", "expected"),
    [
        # eq / ne on enums (StrEnum values compare to their strings), strings, booleans, numbers
        ({"field": "enrichment.intent", "eq": "complaint"}, {"intent": "complaint"}, True),
        ({"field": "enrichment.intent", "eq": "complaint"}, {"intent": "question"}, False),
        ({"field": "mention.channel", "eq": "reddit"}, {"channel": "reddit"}, True),
        ({"field": "enrichment.language", "eq": "es"}, {"language": "es"}, True),
        ({"field": "mention.author.verified", "eq": True}, {"verified": True}, True),
        ({"field": "mention.author.verified", "eq": True}, {"verified": False}, False),
        ({"field": "enrichment.priority", "eq": 20}, {"priority": 20}, True),
        ({"field": "enrichment.sentiment.label", "ne": "negative"}, {"sentiment": "positive"}, True),
        ({"field": "enrichment.sentiment.label", "ne": "negative"}, {"sentiment": "negative"}, False),
        # in / not_in
        ({"field": "mention.channel", "in": ["email", "chat"]}, {"channel": "chat"}, True),
        ({"field": "mention.channel", "in": ["email", "chat"]}, {"channel": "twitter"}, False),
        ({"field": "mention.channel", "not_in": ["email", "chat"]}, {"channel": "twitter"}, True),
        ({"field": "mention.channel", "not_in": ["email", "chat"]}, {"channel": "email"}, False),
        ({"field": "enrichment.priority", "in": [10, 20]}, {"priority": 20}, True),
        # numeric comparisons, at and around the boundary
        ({"field": "mention.author.followers", "gt": 100}, {"followers": 101}, True),
        ({"field": "mention.author.followers", "gt": 100}, {"followers": 100}, False),
        ({"field": "mention.author.followers", "gte": 100}, {"followers": 100}, True),
        ({"field": "mention.author.followers", "gte": 100}, {"followers": 99}, False),
        ({"field": "enrichment.sentiment.score", "lt": -0.5}, {"score": -0.6}, True),
        ({"field": "enrichment.sentiment.score", "lt": -0.5}, {"score": -0.5}, False),
        ({"field": "enrichment.sentiment.score", "lte": -0.5}, {"score": -0.5}, True),
        ({"field": "enrichment.sentiment.score", "lte": -0.5}, {"score": 0.1}, False),
        # contains: list membership, or substring (case-sensitive)
        ({"field": "enrichment.urgency", "contains": "legal"}, {"urgency": ("churn", "legal")}, True),
        ({"field": "enrichment.urgency", "contains": "legal"}, {"urgency": ("churn",)}, False),
        ({"field": "enrichment.urgency", "contains": "leg"}, {"urgency": ("legal",)}, False),
        ({"field": "mention.text", "contains": "refund"}, {"text": "I want a refund now"}, True),
        ({"field": "mention.text", "contains": "refund"}, {"text": "REFUND"}, False),
        # matches: re.search; (?i) for case-insensitive
        ({"field": "mention.text", "matches": r"(?i)\brefund"}, {"text": "Where is my REFUND?"}, True),
        ({"field": "mention.text", "matches": r"^refund$"}, {"text": "refund please"}, False),
        # exists: not null; for lists, not empty
        ({"field": "mention.url", "exists": True}, {"url": "https://x.test/1"}, True),
        ({"field": "mention.url", "exists": True}, {}, False),
        ({"field": "mention.url", "exists": False}, {}, True),
        ({"field": "enrichment.urgency", "exists": True}, {"urgency": ("outage",)}, True),
        ({"field": "enrichment.urgency", "exists": True}, {}, False),
        ({"field": "enrichment.urgency", "exists": False}, {}, True),
        # nullable fields: null never satisfies a comparison, and does not crash
        ({"field": "enrichment.customer_tier", "eq": "gold"}, {}, False),
        ({"field": "enrichment.customer_tier", "ne": "gold"}, {}, True),
        ({"field": "enrichment.customer_tier", "contains": "go"}, {}, False),
        ({"field": "enrichment.customer_tier", "matches": "go"}, {}, False),
        ({"field": "enrichment.customer_tier", "contains": "go"}, {"customer_tier": "gold"}, True),
        # mention.metadata.<key>: untyped; values of the wrong type just do not match
        ({"field": "mention.metadata.plan", "eq": "enterprise"}, {"metadata": {"plan": "enterprise"}}, True),
        ({"field": "mention.metadata.seats", "gte": 50}, {"metadata": {"seats": 120}}, True),
        ({"field": "mention.metadata.seats", "gte": 50}, {"metadata": {"seats": "many"}}, False),
        ({"field": "mention.metadata.seats", "gte": 50}, {"metadata": {"seats": True}}, False),
        ({"field": "mention.metadata.seats", "gte": 50}, {}, False),
        ({"field": "mention.metadata.plan", "matches": "^ent"}, {"metadata": {"plan": 3}}, False),
        ({"field": "mention.metadata.plan", "exists": True}, {"metadata": {"plan": "pro"}}, True),
        ({"field": "mention.metadata.plan", "exists": True}, {"metadata": {"other": 1}}, False),
        ({"field": "mention.metadata.odd key.with dots", "eq": 1}, {"metadata": {"odd key.with dots": 1}}, True),
    ],
)
def test_operator(when: dict[str, Any], kwargs: dict[str, Any], expected: bool) -> None:
    assert hits(when, mention(**kwargs)) is expected


def test_values_are_constants_not_code() -> None:
    # Values end up in generated code only as named constants; this one must simply be compared.
    evil = "x') or True or ('"
    assert not hits({"field": "mention.text", "eq": evil}, mention(text="hello"))
    assert hits({"field": "mention.text", "eq": evil}, mention(text=evil))


# --- combinators -------------------------------------------------------------------------------

NESTED = {
    "any": [
        {"field": "enrichment.urgency", "contains": "legal"},
        {
            "all": [
                {"field": "enrichment.intent", "eq": "complaint"},
                {"field": "mention.author.followers", "gte": 100000},
                {"not": {"field": "mention.channel", "in": ["email", "chat"]}},
            ]
        },
    ]
}


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"urgency": ("legal",)}, True),
        ({"intent": "complaint", "followers": 200000, "channel": "twitter"}, True),
        ({"intent": "complaint", "followers": 200000, "channel": "email"}, False),
        ({"intent": "complaint", "followers": 10, "channel": "twitter"}, False),
        ({"intent": "praise", "followers": 200000, "channel": "twitter"}, False),
    ],
)
def test_nested_all_any_not(kwargs: dict[str, Any], expected: bool) -> None:
    assert hits(NESTED, mention(**kwargs)) is expected


@pytest.mark.parametrize(
    ("when", "kwargs", "expected"),
    [
        # not(all) == any(not): true as soon as one part is false
        ({"not": {"all": [{"field": "enrichment.priority", "gt": 50}, {"field": "enrichment.language", "eq": "en"}]}},
         {"priority": 60, "language": "fr"}, True),
        ({"not": {"all": [{"field": "enrichment.priority", "gt": 50}, {"field": "enrichment.language", "eq": "en"}]}},
         {"priority": 60, "language": "en"}, False),
        # not(any) == all(not)
        ({"not": {"any": [{"field": "enrichment.intent", "eq": "spam"}, {"field": "mention.url", "exists": True}]}},
         {"intent": "praise"}, True),
        ({"not": {"any": [{"field": "enrichment.intent", "eq": "spam"}, {"field": "mention.url", "exists": True}]}},
         {"intent": "praise", "url": "https://x.test"}, False),
        # double negation
        ({"not": {"not": {"field": "enrichment.intent", "eq": "spam"}}}, {"intent": "spam"}, True),
        # not on an operator with no exact complement: not(gt) is also true for null
        ({"not": {"field": "mention.metadata.seats", "gt": 5}}, {}, True),
        ({"not": {"field": "mention.metadata.seats", "gt": 5}}, {"metadata": {"seats": 9}}, False),
        # not(exists) flips the flag
        ({"not": {"field": "mention.url", "exists": True}}, {}, True),
    ],
)  # fmt: skip
def test_negation(when: dict[str, Any], kwargs: dict[str, Any], expected: bool) -> None:
    assert hits(when, mention(**kwargs)) is expected


# --- decisions ---------------------------------------------------------------------------------


def test_first_match_wins() -> None:
    rules = load_rules_text(
        rules_yaml(
            {"id": "first", "when": {"field": "enrichment.intent", "eq": "complaint"}, "then": {"team": "other"}},
            {"id": "second", "when": {"field": "enrichment.intent", "eq": "complaint"}, "then": {"team": "hit"}},
            {"id": "third", "when": {"field": "enrichment.priority", "gte": 0}, "then": {"team": "hit"}},
        )
    )
    assert rules.decide(mention(intent="complaint"))[:3] == ("other", 20, "first")
    assert rules.decide(mention(intent="praise"))[:3] == ("hit", 20, "third")


def test_triage_fallback() -> None:
    rules = one_rule({"field": "enrichment.intent", "eq": "spam"}, tags=["x"])
    decision = rules.decide(mention(intent="praise", priority=37))
    assert decision == Decision(team="triage", priority=37, rule_id=DEFAULT_RULE_ID, matched=(), tags=())
    assert rules.triage_team == "triage"


def test_empty_rule_list_routes_everything_to_triage() -> None:
    rules = load_rules_text(HEADER.replace("rules:\n", "rules: []\n"))
    assert rules.decide(mention()).team == "triage"


@pytest.mark.parametrize(
    ("then", "base", "expected"),
    [
        ({}, 42, 42),
        ({"priority": 90}, 10, 90),
        ({"priority": 0}, 80, 0),
        ({"raise_priority": 10}, 50, 60),
        ({"raise_priority": 30}, 85, 100),  # clamped
        ({"raise_priority": -30}, 20, 0),  # clamped
        ({"raise_priority": -5}, 20, 15),
    ],
)
def test_priority(then: dict[str, Any], base: int, expected: int) -> None:
    rules = one_rule({"field": "enrichment.priority", "gte": 0}, **then)
    assert rules.decide(mention(priority=base)).priority == expected


def test_tags_and_rule_id() -> None:
    rules = one_rule({"field": "enrichment.intent", "eq": "complaint"}, tags=["legal", "vip", "legal"])
    decision = rules.decide(mention(intent="complaint"))
    assert decision.rule_id == "r"
    assert decision.tags == ("legal", "vip")


def test_matched_reports_true_leaves_with_actual_values() -> None:
    rules = one_rule(NESTED)
    decision = rules.decide(mention(intent="complaint", followers=250000, channel="twitter"))
    assert decision.matched == (
        MatchedCondition(field="enrichment.intent", op="eq", expected="complaint", actual="complaint"),
        MatchedCondition(field="mention.author.followers", op="gte", expected=100000, actual=250000),
        # `not` is pushed into the leaf: reported with the complementary operator
        MatchedCondition(field="mention.channel", op="not_in", expected=["email", "chat"], actual="twitter"),
    )
    # `any` reports its first true branch only
    decision = rules.decide(mention(urgency=("churn", "legal"), intent="complaint", followers=250000))
    assert decision.matched == (
        MatchedCondition(field="enrichment.urgency", op="contains", expected="legal", actual=["churn", "legal"]),
    )
    assert isinstance(decision.matched[0].actual, list)


def test_matched_actual_values_follow_each_mention() -> None:
    # Reported conditions are cached per actual value; make sure the cache never mixes values up.
    rules = one_rule({"field": "mention.author.followers", "gte": 100})
    seen = [rules.decide(mention(followers=n)).matched[0].actual for n in (100, 5000, 100)]
    assert seen == [100, 5000, 100]
    assert rules.decide(mention(followers=7)).matched == ()
    rules = one_rule({"field": "mention.metadata.v", "eq": 1})
    assert rules.decide(mention(metadata={"v": 1})).matched[0].actual == 1
    assert rules.decide(mention(metadata={"v": 1.0})).matched[0].actual == 1.0
    assert isinstance(rules.decide(mention(metadata={"v": 1.0})).matched[0].actual, float)


def test_matched_negations_and_text() -> None:
    rules = one_rule(
        {
            "all": [
                {"not": {"field": "enrichment.priority", "gt": 50}},
                {"not": {"field": "mention.url", "exists": True}},
                {"field": "mention.text", "contains": "x"},
            ]
        }
    )
    long_text = "x" * 1000
    matched = rules.decide(mention(priority=10, text=long_text)).matched
    assert [(m.op, m.expected, m.actual) for m in matched[:2]] == [("not gt", 50, 10), ("exists", False, None)]
    assert isinstance(matched[2].actual, str)
    assert len(matched[2].actual) < 300  # long texts are shortened in the report


def test_decision_is_immutable() -> None:
    decision = one_rule({"field": "enrichment.priority", "gte": 0}).decide(mention())
    with pytest.raises(AttributeError):
        decision.team = "x"  # type: ignore[misc]


def test_ruleset_api() -> None:
    rules = load_rules_text(rules_yaml({"id": "r", "when": NESTED, "then": {"team": "hit"}}), source="t.yaml")
    assert rules.version == "test-1"
    assert rules.team_names == ("hit", "other", "triage")
    assert rules.rule_ids == ("r",)
    assert rules.topic_for("hit") == "mentions.routed.hit"
    assert rules.rules[0].line == 8


# --- generated code vs. a straightforward interpreter ------------------------------------------

_LEAVES: list[dict[str, Any]] = [
    {"field": "enrichment.intent", "in": ["complaint", "question"]},
    {"field": "enrichment.sentiment.score", "lt": -0.3},
    {"field": "enrichment.priority", "gte": 40},
    {"field": "enrichment.urgency", "contains": "churn"},
    {"field": "enrichment.language", "ne": "en"},
    {"field": "mention.author.verified", "eq": True},
    {"field": "mention.author.followers", "gt": 200},
    {"field": "enrichment.customer_tier", "exists": False},
    {"field": "mention.channel", "not_in": ["email", "chat"]},
]


def _reference(cond: dict[str, Any], data: dict[str, Any]) -> bool:
    if "all" in cond:
        return all(_reference(c, data) for c in cond["all"])
    if "any" in cond:
        return any(_reference(c, data) for c in cond["any"])
    if "not" in cond:
        return not _reference(cond["not"], data)
    value: Any = data
    for part in cond["field"].split("."):
        value = value[part]
    op, expected = next((k, v) for k, v in cond.items() if k != "field")
    if op in ("gt", "gte", "lt") and value is None:
        return False
    if op == "eq":
        return bool(value == expected)
    if op == "ne":
        return bool(value != expected)
    if op == "in":
        return bool(value in expected)
    if op == "not_in":
        return bool(value not in expected)
    if op == "gt":
        return bool(value > expected)
    if op == "gte":
        return bool(value >= expected)
    if op == "lt":
        return bool(value < expected)
    if op == "contains":
        return bool(expected in value)
    assert op == "exists"
    return bool((value is not None and value != []) == expected)


def _random_condition(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    roll = rng.random()
    if depth >= 3 or roll < 0.4:
        return dict(rng.choice(_LEAVES))
    if roll < 0.55:
        return {"not": _random_condition(rng, depth + 1)}
    kind = "all" if roll < 0.8 else "any"
    return {kind: [_random_condition(rng, depth + 1) for _ in range(rng.randint(1, 3))]}


def test_generated_code_agrees_with_reference_interpreter() -> None:
    rng = random.Random(1234)
    mentions = [(em, em.model_dump(mode="json")) for em in synthetic_mentions(300, seed=99)]
    outcomes: set[bool] = set()
    for _ in range(40):
        condition = _random_condition(rng)
        rules = one_rule(condition)
        for em, data in mentions:
            expected = _reference(condition, data)
            decision = rules.decide(em)
            assert (decision.team == "hit") is expected, (condition, data)
            outcomes.add(expected)
            # a true condition has true leaves; each reports the mention's own value
            assert bool(decision.matched) is expected
            for matched in decision.matched:
                value: Any = data
                for part in matched.field.split("."):
                    value = value[part]
                assert matched.actual == value
    assert outcomes == {True, False}


# --- validation ----------------------------------------------------------------------------------

GOOD_RULE = "  - {id: ok, when: {field: enrichment.intent, eq: spam}, then: {team: hit}}\n"


def _issues(text: str) -> list[RuleIssue]:
    with pytest.raises(RulesError) as caught:
        load_rules_text(text, source="rules.yaml")
    return list(caught.value.issues)


def _marked(text: str) -> tuple[str, int]:
    """Text with its '#!' marker line's number (1-based); the marker is stripped."""
    lines = textwrap.dedent(text).lstrip("\n").splitlines(keepends=True)
    line = next(i for i, s in enumerate(lines, start=1) if "#!" in s)
    return "".join(s.replace("#!", "") for s in lines), line


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (  # unknown field, with a suggestion
            """
            - id: vip-first
              when:
                field: enrichment.sentimnt   #!
                eq: negative
              then: {team: hit}
            """,
            "rule 'vip-first': unknown field 'enrichment.sentimnt' (did you mean 'enrichment.sentiment.label'",
        ),
        (
            """
            - id: a
              when: {field: mention.followers, gte: 5}   #!
              then: {team: hit}
            """,
            "did you mean 'mention.author.followers'?",
        ),
        (  # unknown team in then
            """
            - id: a
              when: {field: enrichment.intent, eq: spam}
              then:
                team: hitt   #!
            """,
            "rule 'a': unknown team 'hitt' (did you mean 'hit'?)",
        ),
        (  # duplicate rule id
            """
            - {id: a, when: {field: enrichment.intent, eq: spam}, then: {team: hit}}
            - {id: a, when: {field: enrichment.intent, eq: spam}, then: {team: hit}}   #!
            """,
            "duplicate rule id 'a' (first used on line 8)",
        ),
        (  # bad operator
            """
            - id: a
              when:
                field: enrichment.priority
                gtee: 5   #!
              then: {team: hit}
            """,
            "rule 'a': condition: unknown operator 'gtee' (did you mean 'gte'?)",
        ),
        (  # bad regex
            """
            - id: a
              when:
                field: mention.text
                matches: "([a-z"   #!
              then: {team: hit}
            """,
            "invalid regular expression '([a-z'",
        ),
        (  # wrong value types
            """
            - id: a
              when:
                all:
                  - {field: enrichment.priority, eq: 1}
                  - {field: enrichment.priority, gte: high}   #!
              then: {team: hit}
            """,
            "'gte' on 'enrichment.priority' needs a number, got a string ('high')",
        ),
        (
            """
            - id: a
              when: {field: mention.author.verified, eq: "yes"}   #!
              then: {team: hit}
            """,
            "needs true or false",
        ),
        (
            """
            - id: a
              when: {field: enrichment.language, eq: 12}   #!
              then: {team: hit}
            """,
            "needs a string, got a number (12) (quote it)",
        ),
        (
            """
            - id: a
              when: {field: enrichment.language, in: es}   #!
              then: {team: hit}
            """,
            "needs a non-empty list of values",
        ),
        (
            """
            - id: a
              when: {field: mention.url, exists: 1}   #!
              then: {team: hit}
            """,
            "'exists' on 'mention.url' needs true or false",
        ),
        (  # enum value that does not exist
            """
            - id: a
              when: {field: enrichment.intent, in: [complaint, complain]}   #!
              then: {team: hit}
            """,
            "must be one of complaint, question, praise, feedback, ask_others, spam, other; got a string ('complain')",
        ),
        (  # operator that does not fit the field
            """
            - id: a
              when:
                field: enrichment.urgency
                eq: legal   #!
              then: {team: hit}
            """,
            "operator 'eq' does not apply to 'enrichment.urgency' (list of strings); use one of: contains, exists",
        ),
        (
            """
            - id: a
              when:
                field: enrichment.priority
                gte: 1
                lte: 5   #!
              then: {team: hit}
            """,
            "has several operators (gte, lte)",
        ),
        (
            """
            - id: a
              when:
                any: []   #!
              then: {team: hit}
            """,
            "'any' needs at least one condition",
        ),
        (
            """
            - id: a
              when:
                all: [{field: enrichment.priority, gte: 1}]   #!
                field: enrichment.priority
              then: {team: hit}
            """,
            "either one of all/any/not, or a field",
        ),
        (
            """
            - id: a   #!
              then: {team: hit}
            """,
            "rule 'a': missing required key 'when'",
        ),
        (
            """
            - id: a
              when: {field: enrichment.intent, eq: spam}
              then: {team: hit, priority: 101}   #!
            """,
            "priority must be a whole number from 0 to 100, got 101",
        ),
        (
            """
            - id: a
              when: {field: enrichment.intent, eq: spam}
              then:
                team: hit
                priority: 10
                raise_priority: 5   #!
            """,
            "use either priority or raise_priority, not both",
        ),
        (
            """
            - id: a
              when: {field: enrichment.intent, eq: spam}
              descripton: typo   #!
              then: {team: hit}
            """,
            "rule #1: unknown key 'descripton' (did you mean 'description'?)",
        ),
        (  # PyYAML would silently keep the last one
            """
            - id: a
              when: {field: enrichment.intent, eq: spam}
              then: {team: hit}
              then: {team: other}   #!
            """,
            "duplicate key 'then'",
        ),
        (
            """
            - id: Not_Valid   #!
              when: {field: enrichment.intent, eq: spam}
              then: {team: hit}
            """,
            "must match [a-z0-9][a-z0-9_-]{0,47}",
        ),
        (
            """
            - id: default   #!
              when: {field: enrichment.intent, eq: spam}
              then: {team: hit}
            """,
            "rule id 'default' is reserved",
        ),
        (
            """
            - id: a
              when: {field: mention.created_at, gt: 3}   #!
              then: {team: hit}
            """,
            "does not apply to 'mention.created_at' (timestamp); use one of: exists",
        ),
    ],
)
def test_rule_errors_have_line_numbers(body: str, message: str) -> None:
    text, line = _marked(body)
    issues = _issues(HEADER + textwrap.indent(text, "  "))
    assert [(i.line, message in i.message) for i in issues] == [(line + 7, True)], issues


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            """
            version: "1"
            triage_team: triage
            teams: [
              - name: triage   #!
            """,
            "YAML syntax error",
        ),
        (
            """
            triage_team: triage   #!
            teams: [{name: triage}]
            rules: []
            """,
            "missing required key 'version'",
        ),
        (
            """
            version: 2026-11-23   #!
            triage_team: triage
            teams: [{name: triage}]
            rules: []
            """,
            'version must be a quoted string such as "2026-11-23.1", got a date (2026-11-23)',
        ),
        (
            """
            version: "1"
            triage_team: triage
            teams:
              - name: triage
              - name: triage   #!
            rules: []
            """,
            "duplicate team name 'triage' (first declared on line 4)",
        ),
        (
            """
            version: "1"
            triage_team: triage
            teams:
              - name: triage
              - name: Big Team   #!
            rules: []
            """,
            "team name 'Big Team' must match",
        ),
        (
            """
            version: "1"
            triage_team: triag   #!
            teams:
              - name: triage
            rules: []
            """,
            "triage_team 'triag' is not a declared team (did you mean 'triage'?)",
        ),
        (
            """
            version: "1"
            triage_team: triage
            teams: [{name: triage}]
            rule: []   #!
            """,
            "unknown key 'rule' (did you mean 'rules'?)",
        ),
        (
            """
            - just   #!
            - a list
            """,
            "rules file must be a mapping, got a list",
        ),
    ],
)
def test_file_errors_have_line_numbers(text: str, message: str) -> None:
    body, line = _marked(text)
    issues = _issues(body)
    assert any(i.line == line and message in i.message for i in issues), issues


def test_empty_file() -> None:
    assert [(i.line, i.message) for i in _issues("")] == [(1, "the rules file is empty")]


def test_all_errors_reported_at_once_in_line_order() -> None:
    text = HEADER + (
        "  - {id: a, when: {field: nope, eq: 1}, then: {team: hit}}\n"
        "  - {id: b, when: {field: enrichment.intent, eq: spam}, then: {team: nope}}\n"
        "  - {id: a, when: {field: enrichment.intent, eq: spam}, then: {team: hit}}\n"
    )
    assert [i.line for i in _issues(text)] == [8, 9, 10]


def test_rules_error_message_lists_issues() -> None:
    with pytest.raises(RulesError) as caught:
        load_rules_text(HEADER + "  - {id: a, when: {field: nope, eq: 1}, then: {team: hit}}\n", source="x.yaml")
    assert "x.yaml:8: rule 'a': unknown field 'nope'" in str(caught.value)


def test_check_rules_file(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text(HEADER + "  - {id: vip-first, when: {field: enrichment.sentimnt, eq: x}, then: {team: hit}}\n")
    issues = check_rules_file(bad)
    assert len(issues) == 1
    assert str(issues[0]).startswith(f"{bad}:8: rule 'vip-first': unknown field 'enrichment.sentimnt'")
    assert check_rules_file(SHIPPED_RULES) == []
    missing = check_rules_file(tmp_path / "absent.yaml")
    assert len(missing) == 1
    assert "cannot read rules file" in str(missing[0])
    with pytest.raises(RulesError):
        load_rules(tmp_path / "absent.yaml")


def test_valid_rules_load_with_good_rule() -> None:
    assert load_rules_text(HEADER + GOOD_RULE).rule_ids == ("ok",)


# --- the shipped default rules -----------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> RuleSet:
    return load_rules(SHIPPED_RULES)


def test_shipped_rules_load(shipped: RuleSet) -> None:
    assert shipped.triage_team == "triage"
    assert set(shipped.team_names) == {
        "legal", "care", "vip", "questions", "community", "spanish", "intl", "spam", "triage"
    }  # fmt: skip
    assert shipped.version


@pytest.mark.parametrize(
    ("kwargs", "team", "rule_id", "priority"),
    [
        ({"urgency": ("safety",), "intent": "spam"}, "legal", "safety-incidents", 95),
        ({"urgency": ("legal",), "priority": 50}, "legal", "legal-threats", 70),
        ({"intent": "spam", "intent_confidence": 0.95}, "spam", "spam", 20),
        ({"intent": "spam", "intent_confidence": 0.2}, "triage", DEFAULT_RULE_ID, 20),  # unsure: a human looks
        ({"intent": "complaint", "verified": True}, "vip", "vip-authors", 30),
        ({"influence": "influencer", "intent": "praise"}, "vip", "vip-authors", 30),
        ({"priority": 95}, "vip", "vip-authors", 100),
        ({"language": "es", "intent": "complaint"}, "spanish", "spanish", 20),
        ({"language": "es", "language_confidence": 0.3, "intent": "complaint"}, "care", "complaints", 20),
        ({"language": "fr", "intent": "question"}, "intl", "international", 20),
        ({"language": "und", "intent": "question"}, "questions", "questions", 20),
        ({"urgency": ("outage",), "intent": "question"}, "care", "service-impact", 35),
        ({"intent": "complaint"}, "care", "complaints", 20),
        ({"intent": "other", "sentiment": "negative", "score": -0.8}, "care", "complaints", 20),
        ({"intent": "question"}, "questions", "questions", 20),
        ({"intent": "praise", "sentiment": "positive", "score": 0.9}, "community", "community", 20),
        ({"intent": "ask_others"}, "community", "community", 20),
        ({"intent": "other"}, "triage", DEFAULT_RULE_ID, 20),
    ],
)
def test_shipped_rules_route(shipped: RuleSet, kwargs: dict[str, Any], team: str, rule_id: str, priority: int) -> None:
    decision = shipped.decide(mention(**kwargs))
    assert (decision.team, decision.rule_id, decision.priority) == (team, rule_id, priority)
    assert decision.team in shipped.team_names


def test_every_synthetic_mention_gets_a_declared_team(shipped: RuleSet) -> None:
    teams = {shipped.decide(em).team for em in synthetic_mentions(500)}
    assert teams <= set(shipped.team_names)
    assert len(teams) >= 6


def test_bench_runs(capsys: pytest.CaptureFixture[str]) -> None:
    bench_main(["-n", "50", "--passes", "1"])
    assert "median µs per decide" in capsys.readouterr().out


def test_x_keys_hold_shared_anchors() -> None:
    text = HEADER.replace("rules:\n", "x-big: &big {field: mention.author.followers, gte: 1000}\nrules:\n") + (
        "  - {id: a, when: {all: [*big, {field: enrichment.intent, eq: praise}]}, then: {team: hit}}\n"
    )
    rules = load_rules_text(text)
    assert rules.decide(mention(followers=5000, intent="praise")).team == "hit"
    assert rules.decide(mention(followers=5, intent="praise")).team == "triage"


def test_alias_bomb_is_stopped() -> None:
    lines = [HEADER.replace("rules:\n", ""), "x-0: &a0 {field: enrichment.priority, gt: 1}"]
    lines += [f"x-{i}: &a{i} {{all: [*a{i - 1}, *a{i - 1}]}}" for i in range(1, 30)]
    lines.append("rules: [{id: r, when: *a29, then: {team: hit}}]")
    issues = _issues("\n".join(lines) + "\n")
    assert len(issues) == 1
    assert "more than 10000 conditions" in issues[0].message


def test_large_and_deep_conditions_compile() -> None:
    wide = one_rule({"any": [{"field": "mention.author.followers", "eq": i} for i in range(3000)]})
    assert wide.decide(mention(followers=2999)).matched[0].actual == 2999
    deep: dict[str, Any] = {"field": "enrichment.priority", "eq": 1}
    for _ in range(15):  # 30 levels: any -> all -> ...
        deep = {
            "any": [
                {"all": [deep, {"field": "enrichment.language", "eq": "en"}]},
                {"field": "mention.channel", "eq": "blog"},
            ]
        }
    rules = one_rule(deep)
    assert rules.decide(mention(priority=1)).team == "hit"
    assert len(rules.decide(mention(priority=1)).matched) == 16
    assert rules.decide(mention(priority=2, channel="blog")).matched[0].field == "mention.channel"
    assert rules.decide(mention(priority=2, language="fr")).team == "triage"


def test_nesting_limit() -> None:
    deep: dict[str, Any] = {"field": "enrichment.priority", "eq": 1}
    for _ in range(40):
        deep = {"not": deep}
    (issue,) = _issues(rules_yaml({"id": "r", "when": deep, "then": {"team": "hit"}}))
    assert "nested more than 32 levels" in issue.message


def test_decision_fits_the_route_record(shipped: RuleSet) -> None:
    from datetime import UTC, datetime

    from schemas import Route

    for em in synthetic_mentions(200, seed=5):
        decision = shipped.decide(em)
        route = Route(
            team=decision.team,
            priority=decision.priority,
            rule_id=decision.rule_id,
            rules_version=shipped.version,
            matched=decision.matched,
            tags=decision.tags,
            routed_at=datetime.now(UTC),
        )
        assert Route.model_validate_json(route.model_dump_json()) == route
