"""Reading and validating a rules file into a compiled ``RuleSet`` (format: see ``streams.routing``)."""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from streams.routing.calendar import (
    ALWAYS_NAME,
    WEEKDAYS,
    BusinessCalendar,
    Interval,
    PublicHolidays,
    format_duration,
    parse_days,
    parse_duration,
    parse_interval,
)
from streams.routing.codegen import Codegen
from streams.routing.conditions import parse_condition
from streams.routing.issues import RuleIssue, RulesError
from streams.routing.ruleset import (
    DEFAULT_RULE_ID,
    MAX_PRIORITY,
    OTHER_BRAND,
    PRIORITY_BANDS,
    TOPIC_PREFIX,
    EscalationLevel,
    Rule,
    RuleSet,
    Team,
)
from streams.routing.yamlsrc import MappingNode, Node, Reporter, ScalarNode, compose, describe, line_of, suggest

NAME_PATTERN = r"[a-z0-9][a-z0-9_-]{0,47}"
_NAME_RE = re.compile(NAME_PATTERN)

TOP_KEYS = ("version", "description", "triage_team", "calendars", "brands", "teams", "rules")
TEAM_KEYS = ("name", "description", "sla", "calendar", "after_hours_team", "escalation", "topic")
CALENDAR_KEYS = ("timezone", "hours", "holidays", "public_holidays", "description")
ESCALATION_KEYS = ("after", "to", "notify")
RULE_KEYS = ("id", "description", "when", "then")
THEN_KEYS = ("team", "priority", "raise_priority", "tags", "sla", "drop")
AT_SLA = "sla"  # escalation `after: sla`: at the SLA due time
# Kafka's own limits on topic names.
TOPIC_PATTERN = r"[a-zA-Z0-9._-]{1,249}"
_TOPIC_RE = re.compile(TOPIC_PATTERN)
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


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
    calendars = _calendars(top["calendars"][1], rep) if "calendars" in top else {}
    brands = _brands(top["brands"][1], rep) if "brands" in top else ()
    drafts = _teams(top["teams"][1], rep, calendars) if "teams" in top else {}
    teams = {name: draft.team for name, draft in drafts.items()}

    triage: str | None = None
    if "triage_team" in top:
        node = top["triage_team"][1]
        triage = rep.string(node, "triage_team")
        if triage is not None and teams and triage not in teams:
            rep.error(node, f"triage_team '{triage}' is not a declared team{suggest(triage, teams)}")

    cg = Codegen()
    rules = _rules(top["rules"][1], rep, cg, teams) if "rules" in top else ()
    _check_team_references(drafts, rules, calendars, rep)
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
        calendars=calendars,
        brands=brands,
    )


def _version(node: Node, rep: Reporter) -> str | None:
    errors_before = len(rep.issues)
    value = rep.value(node)
    if len(rep.issues) != errors_before:  # not even a valid YAML value: already reported
        return None
    if not isinstance(value, str) or not value.strip():
        # Unquoted 2026-11-23 is a YAML date and 2026.1 a float: both would lose their exact spelling.
        rep.error(node, f'version must be a quoted string such as "2026-11-23.1", got {describe(value)}')
        return None
    return value


# --- durations ---------------------------------------------------------------------------------


def _duration(rep: Reporter, node: Node, what: str, *, allow_zero: bool = False) -> timedelta | None:
    value = rep.value(node) if isinstance(node, ScalarNode) else None
    if not isinstance(value, str):
        got = describe(value) if isinstance(node, ScalarNode) else rep.kind(node)
        rep.error(node, f"{what} must be a duration such as 15m, 4h, 1h30m or 2d, got {got}")
        return None
    try:
        duration = parse_duration(value)
    except ValueError as exc:
        rep.error(node, f"{what}: {exc}")
        return None
    if not allow_zero and duration <= timedelta(0):
        rep.error(node, f"{what} must be longer than zero, got '{value}'")
        return None
    return duration


# --- calendars and brands ----------------------------------------------------------------------


@functools.cache
def _zone_names() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def _timezone(rep: Reporter, node: Node, where: str) -> str | None:
    name = rep.string(node, f"{where}: timezone")
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        rep.error(
            node,
            f"{where}: unknown time zone '{name}'{suggest(name, _zone_names())}; "
            "use an IANA name such as Europe/London",
        )
        return None
    return name


def _calendars(node: Node, rep: Reporter) -> dict[str, BusinessCalendar]:
    out: dict[str, BusinessCalendar] = {}
    if not isinstance(node, MappingNode):
        rep.error(node, f"calendars must be a mapping of name -> calendar, got {rep.kind(node)}")
        return out
    seen: set[str] = set()
    for key_node, value_node in node.value:
        name = _name(rep, key_node, "calendar name")
        if name is None:
            continue
        if name in seen:
            rep.error(key_node, f"calendars: duplicate calendar '{name}'")
            continue
        seen.add(name)
        if name == ALWAYS_NAME:
            rep.error(key_node, f"calendar name '{ALWAYS_NAME}' is built in (open 24/7); choose another name")
            continue
        calendar = _calendar(name, key_node, value_node, rep)
        if calendar is not None:
            out[name] = calendar
    return out


def _calendar(name: str, name_node: Node, node: Node, rep: Reporter) -> BusinessCalendar | None:
    where = f"calendar '{name}'"
    keys = rep.mapping(node, where, CALENDAR_KEYS)
    if keys is None:
        return None
    errors_before = len(rep.issues)
    for key in ("timezone", "hours"):
        if key not in keys:
            rep.error(name_node, f"{where}: missing required key '{key}'")
    if "description" in keys:
        rep.string(keys["description"][1], f"{where}: description")
    timezone = _timezone(rep, keys["timezone"][1], where) if "timezone" in keys else None
    week = _hours(rep, keys["hours"][1], where) if "hours" in keys else None
    holidays = _holidays(rep, keys["holidays"][1], where) if "holidays" in keys else frozenset()
    public = _public_holidays(rep, keys["public_holidays"][1], where) if "public_holidays" in keys else None
    if timezone is None or week is None or holidays is None or len(rep.issues) != errors_before:
        return None
    try:
        return BusinessCalendar(name, timezone, week, holidays, public)
    except ValueError as exc:  # e.g. no opening hours at all
        rep.error(keys["hours"][0], str(exc))
        return None


def _hours(rep: Reporter, node: Node, where: str) -> tuple[tuple[Interval, ...], ...] | None:
    if not isinstance(node, MappingNode):
        rep.error(node, f"{where}: hours must be a mapping such as {{mon-fri: [09:00-17:00]}}, got {rep.kind(node)}")
        return None
    week: list[tuple[Interval, ...]] = [()] * 7
    first_line: dict[int, int] = {}
    ok = True
    for key_node, value_node in node.value:
        key = rep.value(key_node) if isinstance(key_node, ScalarNode) else None
        if not isinstance(key, str):
            rep.error(key_node, f"{where}: hours: keys must be days such as mon or mon-fri")
            ok = False
            continue
        try:
            days = parse_days(key)
        except ValueError as exc:
            rep.error(key_node, f"{where}: hours: {exc}{suggest(key, WEEKDAYS)}")
            ok = False
            continue
        intervals = _intervals(rep, value_node, f"{where}: hours: {key}")
        if intervals is None:
            ok = False
        for day in days:
            if day in first_line:
                rep.error(key_node, f"{where}: hours: {WEEKDAYS[day]} is already given on line {first_line[day]}")
                ok = False
                continue
            first_line[day] = line_of(key_node)
            week[day] = intervals or ()
    return tuple(week) if ok else None


def _intervals(rep: Reporter, node: Node, what: str) -> tuple[Interval, ...] | None:
    items = [node] if isinstance(node, ScalarNode) else rep.sequence(node, what)
    if items is None:
        return None
    out: list[Interval] = []
    for item in items:
        text = rep.string(item, f"{what}: interval")
        if text is None:
            return None
        try:
            out.append(parse_interval(text))
        except ValueError as exc:
            rep.error(item, f"{what}: {exc}")
            return None
    return tuple(out)


def _public_holidays(rep: Reporter, node: Node, where: str) -> PublicHolidays | None:
    what = f"{where}: public_holidays"
    keys = rep.mapping(node, what, ("country", "subdivision"))
    if keys is None:
        return None
    if "country" not in keys:
        rep.error(node, f"{what}: missing required key 'country' (ISO 3166 code, e.g. GB)")
        return None
    country = rep.string(keys["country"][1], f"{what}: country")
    subdivision = rep.string(keys["subdivision"][1], f"{what}: subdivision") if "subdivision" in keys else None
    if country is None or ("subdivision" in keys and subdivision is None):
        return None
    public = PublicHolidays(country.strip().upper(), subdivision.strip() if subdivision else None)
    try:
        public.calendar()
    except ValueError as exc:
        rep.error(node, f"{what}: {exc}")
        return None
    return public


def _holidays(rep: Reporter, node: Node, where: str) -> frozenset[date] | None:
    items = rep.sequence(node, f"{where}: holidays")
    if items is None:
        return None
    days: dict[date, int] = {}
    ok = True
    for item in items:
        # The scalar's own text: an unquoted 2026-12-25 is a YAML date, and 2026-13-01 would not construct.
        raw = item.value if isinstance(item, ScalarNode) else None
        day: date | None = None
        if isinstance(raw, str) and _DATE_RE.fullmatch(raw.strip()):
            try:
                day = date.fromisoformat(raw.strip())
            except ValueError:  # 2026-02-30
                day = None
        if day is None:
            got = f"'{raw}'" if isinstance(raw, str) else rep.kind(item)
            rep.error(item, f"{where}: holiday must be a date such as 2026-12-25, got {got}")
            ok = False
        elif day in days:
            rep.error(item, f"{where}: holiday {day.isoformat()} is already listed on line {days[day]}")
            ok = False
        else:
            days[day] = line_of(item)
    return frozenset(days) if ok else None


def _brands(node: Node, rep: Reporter) -> tuple[str, ...]:
    items = rep.sequence(node, "brands")
    brands: dict[str, int] = {}
    for item in items or ():
        brand = rep.string(item, "brands: brand account")
        if brand is None:
            continue
        if brand == OTHER_BRAND:
            rep.error(item, f"brand '{OTHER_BRAND}' is reserved: it labels every brand not listed")
        elif brand in brands:
            rep.error(item, f"brand '{brand}' is already listed on line {brands[brand]}")
        else:
            brands[brand] = line_of(item)
    return tuple(brands)


# --- teams -------------------------------------------------------------------------------------


@dataclass
class _TeamDraft:
    """A parsed team plus the nodes of its references to other teams, checked once all teams are known."""

    team: Team
    after_hours_node: Node | None = None
    escalation_nodes: list[tuple[Node, Node | None, Node | None]] = field(default_factory=list)  # (level, after, to)
    topic_node: Node | None = None


def _teams(node: Node, rep: Reporter, calendars: dict[str, BusinessCalendar]) -> dict[str, _TeamDraft]:
    teams: dict[str, _TeamDraft] = {}
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
        teams[name] = _team(name, item, keys, rep, calendars)
    return teams


def _team(
    name: str, node: Node, keys: dict[str, tuple[Node, Node]], rep: Reporter, calendars: dict[str, BusinessCalendar]
) -> _TeamDraft:
    where = f"team '{name}'"
    desc = rep.string(keys["description"][1], f"{where}: description") if "description" in keys else ""
    sla = _sla(rep, keys["sla"][1], where) if "sla" in keys else {}

    calendar = ALWAYS_NAME
    if "calendar" in keys:
        cal_node = keys["calendar"][1]
        cal = rep.string(cal_node, f"{where}: calendar")
        known = (ALWAYS_NAME, *calendars)
        if cal is not None and cal not in known:
            rep.error(cal_node, f"{where}: unknown calendar '{cal}'{suggest(cal, known)}; declare it under calendars")
        elif cal is not None:
            calendar = cal

    after_hours: str | None = None
    after_hours_node: Node | None = None
    if "after_hours_team" in keys:
        after_hours_node = keys["after_hours_team"][1]
        after_hours = rep.string(after_hours_node, f"{where}: after_hours_team")

    levels: list[EscalationLevel] = []
    escalation_nodes: list[tuple[Node, Node | None, Node | None]] = []
    if "escalation" in keys:
        for index, level_node in enumerate(rep.sequence(keys["escalation"][1], f"{where}: escalation") or (), 1):
            parsed = _escalation_level(rep, level_node, f"{where}: escalation level {index}")
            if parsed is not None:
                levels.append(parsed[0])
                escalation_nodes.append((level_node, parsed[1], parsed[2]))

    topic: str | None = None
    topic_node: Node | None = None
    if "topic" in keys:
        topic_node = keys["topic"][1]
        topic = rep.string(topic_node, f"{where}: topic")
        if topic is not None and not _TOPIC_RE.fullmatch(topic):
            rep.error(topic_node, f"{where}: topic '{topic}' must match {TOPIC_PATTERN} (Kafka's topic names)")
            topic = None

    team = Team(
        name=name,
        description=desc or "",
        sla=sla or {},
        calendar=calendar,
        after_hours_team=after_hours,
        escalation=tuple(levels),
        topic=topic,
        line=line_of(node),
    )
    return _TeamDraft(team, after_hours_node, escalation_nodes, topic_node)


def _sla(rep: Reporter, node: Node, where: str) -> dict[str, timedelta] | None:
    if isinstance(node, ScalarNode):  # one duration for every band
        duration = _duration(rep, node, f"{where}: sla")
        return dict.fromkeys(PRIORITY_BANDS, duration) if duration is not None else None
    keys = rep.mapping(node, f"{where}: sla", PRIORITY_BANDS, unknown="priority band")
    if keys is None:
        return None
    out: dict[str, timedelta] = {}
    for band in PRIORITY_BANDS:  # stored in band order, whatever the file's order
        if band in keys:
            duration = _duration(rep, keys[band][1], f"{where}: sla: {band}")
            if duration is not None:
                out[band] = duration
    return out


def _escalation_level(rep: Reporter, node: Node, where: str) -> tuple[EscalationLevel, Node | None, Node | None] | None:
    keys = rep.mapping(node, where, ESCALATION_KEYS)
    if keys is None:
        return None
    errors_before = len(rep.issues)
    after: timedelta | None = None
    after_node: Node | None = None
    if "after" not in keys:
        rep.error(node, f"{where}: missing required key 'after' (a duration such as 30m, or sla)")
    else:
        after_node = keys["after"][1]
        if isinstance(after_node, ScalarNode) and rep.value(after_node) == AT_SLA:
            after = None
        else:
            after = _duration(rep, after_node, f"{where}: after", allow_zero=True)
    to: str | None = None
    to_node: Node | None = None
    if "to" in keys:
        to_node = keys["to"][1]
        to = rep.string(to_node, f"{where}: to")
    notify = rep.string(keys["notify"][1], f"{where}: notify") if "notify" in keys else None
    if "to" not in keys and "notify" not in keys:
        rep.error(node, f"{where}: give 'to' (a team to re-route to), 'notify', or both")
    if len(rep.issues) != errors_before:
        return None
    return EscalationLevel(after=after, to=to, notify=notify, line=line_of(node)), after_node, to_node


def _check_team_references(
    drafts: dict[str, _TeamDraft], rules: tuple[Rule, ...], calendars: dict[str, BusinessCalendar], rep: Reporter
) -> None:
    """References between teams, once every team is known: names, loops, ordering, topics."""
    names = list(drafts)
    for name, draft in drafts.items():
        team = draft.team
        node = draft.after_hours_node
        target = team.after_hours_team
        if node is not None and target is not None:
            if target not in drafts:
                rep.error(node, f"team '{name}': unknown after_hours_team '{target}'{suggest(target, names)}")
            elif target == name:
                rep.error(node, f"team '{name}': after_hours_team is the team itself")
            elif team.calendar == ALWAYS_NAME:
                rep.error(
                    node,
                    f"team '{name}': after_hours_team never applies: the team's calendar is '{ALWAYS_NAME}'; "
                    "give the team a calendar",
                )
        _check_escalation(name, draft, names, rules, rep)
    _check_after_hours_loops(drafts, rep)
    _check_escalation_loops(drafts, rep)
    _check_topics(drafts, rep)


def _check_escalation(name: str, draft: _TeamDraft, names: list[str], rules: tuple[Rule, ...], rep: Reporter) -> None:
    team = draft.team
    sla_somewhere = bool(team.sla) or any(rule.team == name and rule.sla is not None for rule in rules)
    levels = list(zip(team.escalation, draft.escalation_nodes, strict=True))
    for number, (level, (level_node, after_node, to_node)) in enumerate(levels, 1):
        where = f"team '{name}': escalation level {number}"
        if level.to is not None and to_node is not None:
            if level.to not in names:
                rep.error(to_node, f"{where}: unknown team '{level.to}'{suggest(level.to, names)}")
            elif level.to == name:
                rep.error(to_node, f"{where}: escalates to the team itself")
        if level.after is None and not sla_somewhere:
            rep.error(
                after_node or level_node,
                f"{where}: 'after: sla' needs an SLA, but team '{name}' has no sla and no rule sets one for it",
            )

    # Levels fire in list order, so their times must not go backwards: for fixed delays alone, and for
    # each priority band once `after: sla` stands for that band's SLA.
    def when(level: EscalationLevel, band: str | None) -> timedelta | None:
        if level.after is not None:
            return level.after
        return team.sla.get(band) if band is not None else None

    def spell(level: EscalationLevel, band: str | None) -> str:
        if level.after is not None or band is None:
            return format_duration(level.after or timedelta(0))
        return f"sla, {format_duration(team.sla[band])} for {band} mentions"

    for band in (None, *team.sla):
        previous: tuple[int, timedelta] | None = None
        for number, (level, (level_node, after_node, _)) in enumerate(levels, 1):
            at = when(level, band)
            if at is None:
                continue
            if previous is not None and at < previous[1]:
                earlier = team.escalation[previous[0] - 1]
                rep.error(
                    after_node or level_node,
                    f"team '{name}': escalation level {number} (after {spell(level, band)}) would fire before "
                    f"level {previous[0]} (after {spell(earlier, band)}); list levels in the order they fire",
                )
                return
            previous = (number, at)


def _check_after_hours_loops(drafts: dict[str, _TeamDraft], rep: Reporter) -> None:
    """Fallback chains must end: a -> b -> a would bounce a mention forever while both are closed."""
    reported: set[frozenset[str]] = set()
    for start, draft in drafts.items():
        path = [start]
        current = draft.team.after_hours_team
        while current is not None and current in drafts and current not in path:
            path.append(current)
            current = drafts[current].team.after_hours_team
        if current is None or current not in path or current == path[-1]:
            continue  # the chain ends, leaves the declared teams, or is a self-reference (reported already)
        cycle = path[path.index(current) :]
        if frozenset(cycle) in reported:
            continue
        reported.add(frozenset(cycle))
        first = min(cycle, key=list(drafts).index)
        rotated = cycle[cycle.index(first) :] + cycle[: cycle.index(first)]
        node = drafts[first].after_hours_node
        assert node is not None
        rep.error(node, f"team '{first}': after_hours_team chain loops: {' -> '.join([*rotated, first])}")


def _check_escalation_loops(drafts: dict[str, _TeamDraft], rep: Reporter) -> None:
    """Escalations must not lead back to a team already in the chain (care -> vip -> care)."""
    edges: dict[str, list[tuple[str, Node]]] = {
        name: [
            (level.to, to_node)
            for level, (_, _, to_node) in zip(draft.team.escalation, draft.escalation_nodes, strict=True)
            if level.to is not None and to_node is not None and level.to in drafts and level.to != name
        ]
        for name, draft in drafts.items()
    }
    done: set[str] = set()
    stack: list[str] = []

    def visit(name: str) -> None:
        stack.append(name)
        for target, node in edges[name]:
            if target in stack:
                cycle = [*stack[stack.index(target) :], target]
                rep.error(node, f"team '{name}': escalation loops: {' -> '.join(cycle)}")
            elif target not in done:
                visit(target)
        stack.pop()
        done.add(name)

    for name in drafts:
        if name not in done:
            visit(name)


def _check_topics(drafts: dict[str, _TeamDraft], rep: Reporter) -> None:
    owners: dict[str, str] = {}
    for name, draft in drafts.items():  # default topics first: an override must not take another team's
        if draft.team.topic is None:
            owners[f"{TOPIC_PREFIX}{name}"] = name
    for name, draft in drafts.items():
        topic = draft.team.topic
        if topic is None:
            continue
        owner = owners.get(topic)
        if owner is not None and owner != name:
            rep.error(
                draft.topic_node or draft.team.line, f"team '{name}': topic '{topic}' is already team '{owner}''s topic"
            )
        else:
            owners[topic] = name


# --- rules -------------------------------------------------------------------------------------


def _rules(node: Node, rep: Reporter, cg: Codegen, teams: dict[str, Team]) -> tuple[Rule, ...]:
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
    node: Node, index: int, rep: Reporter, cg: Codegen, *, teams: dict[str, Team], first_seen: dict[str, int]
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
    return Rule(rule_id, description or "", line_of(node), when, *then)


_Then = tuple[str, int | None, int, tuple[str, ...], timedelta | None, str | None]


def _then(node: Node, rep: Reporter, where: str, teams: dict[str, Team]) -> _Then | None:
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

    sla: timedelta | None = None
    if "sla" in keys:
        sla = _duration(rep, keys["sla"][1], f"{where}: sla")
        ok = ok and sla is not None
    drop: str | None = None
    if "drop" in keys:
        drop = rep.string(keys["drop"][1], f"{where}: drop (the reason)")
        ok = ok and drop is not None
        if "sla" in keys:
            rep.error(keys["sla"][0], f"{where}: a dropped mention has no SLA clock; remove sla or drop")
            ok = False

    if not ok or team is None:
        return None
    return team, set_priority, raise_priority, tuple(tags), sla, drop


def _int(rep: Reporter, node: Node, what: str, low: int, high: int) -> int | None:
    value = rep.value(node)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        rep.error(node, f"{what} must be a whole number from {low} to {high}, got {value!r}")
        return None
    return value
