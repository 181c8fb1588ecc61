"""Reading and validating a rules file into a compiled ``RuleSet`` (format: see ``streams.routing``)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from streams.routing.codegen import Codegen
from streams.routing.conditions import parse_condition
from streams.routing.issues import RuleIssue, RulesError
from streams.routing.ruleset import DEFAULT_RULE_ID, MAX_PRIORITY, Rule, RuleSet
from streams.routing.yamlsrc import Node, Reporter, compose, describe, line_of, suggest

NAME_PATTERN = r"[a-z0-9][a-z0-9_-]{0,47}"
_NAME_RE = re.compile(NAME_PATTERN)

TOP_KEYS = ("version", "description", "triage_team", "teams", "rules")
TEAM_KEYS = ("name", "description")
RULE_KEYS = ("id", "description", "when", "then")
THEN_KEYS = ("team", "priority", "raise_priority", "tags")


def load_rules(path: str | os.PathLike[str]) -> RuleSet:
    """Load and compile a rules file; raises RulesError listing every problem (with line numbers)."""
    text, issue = _read(path)
    if issue is not None:
        raise RulesError([issue])
    return load_rules_text(text, source=str(path))


def load_rules_text(text: str, source: str = "<rules>") -> RuleSet:
    rules, issues = parse_rules(text, source)
    if rules is None:
        raise RulesError(issues)
    return rules


def check_rules_file(path: str | os.PathLike[str]) -> list[RuleIssue]:
    """Every problem in a rules file, for ``mention-router rules check``; an empty list means it loads."""
    text, issue = _read(path)
    if issue is not None:
        return [issue]
    try:
        return parse_rules(text, str(path))[1]
    except Exception as exc:  # a checker must report, not crash: a bug here is still a finding
        return [RuleIssue(str(path), 0, f"internal error while checking: {exc!r}")]


def parse_rules(text: str, source: str = "<rules>") -> tuple[RuleSet | None, list[RuleIssue]]:
    """(RuleSet, []) when valid, else (None, issues sorted by line)."""
    rep = Reporter(source)
    root = compose(text, rep)
    rules = _build(root, rep) if root is not None else None
    issues = sorted(rep.issues, key=lambda i: i.line)
    return (rules if not issues else None), issues


def _read(path: str | os.PathLike[str]) -> tuple[str, RuleIssue | None]:
    try:
        return Path(path).read_text(encoding="utf-8"), None
    except (OSError, UnicodeDecodeError) as exc:
        return "", RuleIssue(str(path), 0, f"cannot read rules file: {exc}")


def _name(rep: Reporter, node: Node, what: str) -> str | None:
    name = rep.string(node, what)
    if name is not None and not _NAME_RE.fullmatch(name):
        rep.error(node, f"{what} '{name}' must match {NAME_PATTERN} (lowercase letters, digits, '_', '-'; max 48)")
        return None
    return name


def _build(root: Node, rep: Reporter) -> RuleSet | None:
    top = rep.mapping(root, "rules file", TOP_KEYS, extensions=True)
    if top is None:
        return None
    for key in ("version", "triage_team", "teams", "rules"):
        if key not in top:
            rep.error(root, f"missing required key '{key}'")

    version = _version(top["version"][1], rep) if "version" in top else None
    description = rep.string(top["description"][1], "description") if "description" in top else ""
    teams = _teams(top["teams"][1], rep) if "teams" in top else {}

    triage: str | None = None
    if "triage_team" in top:
        node = top["triage_team"][1]
        triage = rep.string(node, "triage_team")
        if triage is not None and teams and triage not in teams:
            rep.error(node, f"triage_team '{triage}' is not a declared team{suggest(triage, teams)}")

    cg = Codegen()
    rules = _rules(top["rules"][1], rep, cg, teams) if "rules" in top else ()
    if rep.issues or version is None or triage is None:
        return None
    return RuleSet(
        codegen=cg,
        version=version,
        triage_team=triage,
        teams=teams,
        rules=rules,
        description=description or "",
        source=rep.source,
    )


def _version(node: Node, rep: Reporter) -> str | None:
    value = rep.value(node)
    if not isinstance(value, str) or not value.strip():
        # Unquoted 2026-11-23 is a YAML date and 2026.1 a float: both would lose their exact spelling.
        rep.error(node, f'version must be a quoted string such as "2026-11-23.1", got {describe(value)}')
        return None
    return value


def _teams(node: Node, rep: Reporter) -> dict[str, str]:
    teams: dict[str, str] = {}
    first_seen: dict[str, int] = {}
    items = rep.sequence(node, "teams")
    if items is None:
        return teams
    if not items:
        rep.error(node, "teams: declare at least the triage team")
    for item in items:
        keys = rep.mapping(item, "team", TEAM_KEYS)
        if keys is None:
            continue
        if "name" not in keys:
            rep.error(item, "team: missing required key 'name'")
            continue
        name_node = keys["name"][1]
        name = _name(rep, name_node, "team name")
        if name is None:
            continue
        if name in first_seen:
            rep.error(name_node, f"duplicate team name '{name}' (first declared on line {first_seen[name]})")
            continue
        first_seen[name] = line_of(name_node)
        desc = rep.string(keys["description"][1], f"team '{name}': description") if "description" in keys else ""
        teams[name] = desc or ""
    return teams


def _rules(node: Node, rep: Reporter, cg: Codegen, teams: dict[str, str]) -> tuple[Rule, ...]:
    items = rep.sequence(node, "rules")
    if items is None:
        return ()
    rules: list[Rule] = []
    first_seen: dict[str, int] = {}
    for index, item in enumerate(items, start=1):
        rule = _rule(item, index, rep, cg, teams=teams, first_seen=first_seen)
        if rule is not None:
            rules.append(rule)
    return tuple(rules)


def _rule(
    node: Node, index: int, rep: Reporter, cg: Codegen, *, teams: dict[str, str], first_seen: dict[str, int]
) -> Rule | None:
    keys = rep.mapping(node, f"rule #{index}", RULE_KEYS)
    if keys is None:
        return None
    rule_id: str | None = None
    if "id" not in keys:
        rep.error(node, f"rule #{index}: missing required key 'id'")
    else:
        id_node = keys["id"][1]
        rule_id = _name(rep, id_node, f"rule #{index}: id")
        if rule_id == DEFAULT_RULE_ID:
            rep.error(id_node, f"rule id '{DEFAULT_RULE_ID}' is reserved for mentions no rule matched")
        elif rule_id in first_seen:
            rep.error(id_node, f"duplicate rule id '{rule_id}' (first used on line {first_seen[rule_id]})")
        elif rule_id is not None:
            first_seen[rule_id] = line_of(id_node)
    where = f"rule '{rule_id}'" if rule_id else f"rule #{index}"
    errors_before = len(rep.issues)

    description = rep.string(keys["description"][1], f"{where}: description") if "description" in keys else ""
    when = None
    if "when" not in keys:
        rep.error(node, f"{where}: missing required key 'when'")
    else:
        when = parse_condition(keys["when"][1], rep, cg, where)
    then = _then(keys["then"][1], rep, where, teams) if "then" in keys else None
    if "then" not in keys:
        rep.error(node, f"{where}: missing required key 'then'")

    if rule_id is None or when is None or then is None or len(rep.issues) != errors_before:
        return None
    team, set_priority, raise_priority, tags = then
    return Rule(rule_id, description or "", line_of(node), when, team, set_priority, raise_priority, tags)


def _then(
    node: Node, rep: Reporter, where: str, teams: dict[str, str]
) -> tuple[str, int | None, int, tuple[str, ...]] | None:
    keys = rep.mapping(node, f"{where}: then", THEN_KEYS)
    if keys is None:
        return None
    ok = True
    team: str | None = None
    if "team" not in keys:
        rep.error(node, f"{where}: then: missing required key 'team'")
        ok = False
    else:
        team_node = keys["team"][1]
        team = rep.string(team_node, f"{where}: then: team")
        if team is not None and teams and team not in teams:
            rep.error(team_node, f"{where}: unknown team '{team}'{suggest(team, teams)}; declare it under teams")
            ok = False

    set_priority: int | None = None
    raise_priority = 0
    if "priority" in keys and "raise_priority" in keys:
        rep.error(keys["raise_priority"][0], f"{where}: use either priority or raise_priority, not both")
        ok = False
    elif "priority" in keys:
        set_priority = _int(rep, keys["priority"][1], f"{where}: priority", 0, MAX_PRIORITY)
        ok = ok and set_priority is not None
    elif "raise_priority" in keys:
        raised = _int(rep, keys["raise_priority"][1], f"{where}: raise_priority", -MAX_PRIORITY, MAX_PRIORITY)
        ok = ok and raised is not None
        raise_priority = raised or 0

    tags: list[str] = []
    if "tags" in keys:
        items = rep.sequence(keys["tags"][1], f"{where}: tags")
        for item in items or ():
            tag = rep.string(item, f"{where}: tag")
            if tag is None:
                ok = False
            elif tag not in tags:
                tags.append(tag)
        ok = ok and items is not None

    if not ok or team is None:
        return None
    return team, set_priority, raise_priority, tuple(tags)


def _int(rep: Reporter, node: Node, what: str, low: int, high: int) -> int | None:
    value = rep.value(node)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        rep.error(node, f"{what} must be a whole number from {low} to {high}, got {value!r}")
        return None
    return value
