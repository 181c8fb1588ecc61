"""What a rules change would do: enriched history decided twice, with the rules in force and a proposed file.

Pure logic; ``mention-router rules diff`` feeds it ``mentions.enriched`` and prints the report. Each record is
decided and planned as routing does (``decide_json`` on the parsed record, the plan at the mention's own
time, after-hours fallback included), so a team move reported here is the move ``mention-router reroute``
with the same file would publish. Nothing is written anywhere.

The report: mentions per team before and after, moves per (from team, to team), decisions gained and lost
per rule id, how SLA due times and priorities shift, and a few example mentions per move (id and text with
personal data already redacted by enrichment, shortened).
"""

from __future__ import annotations

import statistics
from array import array
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from schemas import EnrichedMention
from streams.routing.jsonread import read_enriched
from streams.routing.ruleset import Decision, RuleSet
from streams.routing.sla import Assignment, Planner

EXAMPLE_CHARS = 100


@dataclass(frozen=True, slots=True)
class Example:
    mention_id: str
    text: str  # enrichment's redacted text when it found personal data, shortened


@dataclass
class DiffReport:
    current_version: str
    proposed_version: str
    read: int = 0
    skipped: int = 0  # records that are not enriched mentions (they were dead-lettered at the time)
    teams_before: Counter[str] = field(default_factory=Counter)
    teams_after: Counter[str] = field(default_factory=Counter)
    moves: Counter[tuple[str, str]] = field(default_factory=Counter)
    rules_before: Counter[str] = field(default_factory=Counter)
    rules_after: Counter[str] = field(default_factory=Counter)
    priority_up: int = 0
    priority_down: int = 0
    bands: Counter[tuple[str, str]] = field(default_factory=Counter)  # (before, after) where they differ
    sla_earlier: int = 0
    sla_later: int = 0
    sla_added: int = 0  # no SLA before, one now
    sla_removed: int = 0
    shifts: array[float] = field(default_factory=lambda: array("d"))  # seconds, signed, for the changed ones
    examples: dict[tuple[str, str], list[Example]] = field(default_factory=dict)

    @property
    def decided(self) -> int:
        return self.read - self.skipped

    @property
    def moved(self) -> int:
        return sum(self.moves.values())

    def rule_changes(self) -> dict[str, int]:
        """Rule id -> decisions gained (positive) or lost (negative); unchanged rules left out."""
        ids = set(self.rules_before) | set(self.rules_after)
        changes = {rule: self.rules_after[rule] - self.rules_before[rule] for rule in ids}
        return {rule: n for rule, n in sorted(changes.items()) if n}

    def shift_summary(self) -> dict[str, float] | None:
        """Median and extremes of the SLA due-time shifts in seconds (positive: later), when any shifted."""
        if not self.shifts:
            return None
        return {"median": statistics.median(self.shifts), "min": min(self.shifts), "max": max(self.shifts)}


class RulesDiff:
    """Accumulates one ``DiffReport``; ``add`` each enriched record's JSON."""

    def __init__(self, current: RuleSet, proposed: RuleSet, examples: int = 3) -> None:
        self._current, self._proposed = current, proposed
        self._plans = (Planner(current), Planner(proposed))
        self._examples = examples
        self.report = DiffReport(current.version, proposed.version)

    def add(self, value: bytes) -> bool:
        """Decide one enriched record both ways; False (and counted as skipped) when it is not one."""
        report = self.report
        report.read += 1
        try:
            view = read_enriched(value)
            doc, created_at = view.doc, view.created_at
            before = self._current.decide_json(doc)
            after = self._proposed.decide_json(doc)
            mention_id, text = view.mention_id, view.redacted_text or doc["mention"]["text"]
        except (ValueError, TypeError, KeyError, AttributeError):  # a spelling only pydantic reads, or not a mention
            try:
                enriched = EnrichedMention.model_validate_json(value)
            except ValueError:
                report.skipped += 1
                return False
            created_at = enriched.mention.created_at
            before, after = self._current.decide(enriched), self._proposed.decide(enriched)
            mention_id = enriched.mention.id
            text = enriched.enrichment.redacted_text or enriched.mention.text
        self._count(before, after, created_at, mention_id, text)
        return True

    def _count(self, before: Decision, after: Decision, created_at: datetime, mention_id: str, text: str) -> None:
        report = self.report
        was = self._plans[0].assign(before, created_at, created_at)
        now = self._plans[1].assign(after, created_at, created_at)
        report.teams_before[was.team] += 1
        report.teams_after[now.team] += 1
        report.rules_before[before.rule_id] += 1
        report.rules_after[after.rule_id] += 1
        if was.team != now.team:
            pair = (was.team, now.team)
            report.moves[pair] += 1
            kept = report.examples.setdefault(pair, [])
            if len(kept) < self._examples:
                shown = text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 1] + "…"
                kept.append(Example(mention_id, shown))
        if now.priority != was.priority:
            if now.priority > was.priority:
                report.priority_up += 1
            else:
                report.priority_down += 1
            if now.priority_band != was.priority_band:
                report.bands[(was.priority_band, now.priority_band)] += 1
        _count_sla(report, was, now)


def _count_sla(report: DiffReport, was: Assignment, now: Assignment) -> None:
    if was.sla_due_at == now.sla_due_at:
        return
    if was.sla_due_at is None:
        report.sla_added += 1
    elif now.sla_due_at is None:
        report.sla_removed += 1
    else:
        shift = (now.sla_due_at - was.sla_due_at).total_seconds()
        report.shifts.append(shift)
        if shift < 0:
            report.sla_earlier += 1
        else:
            report.sla_later += 1


def to_dict(report: DiffReport) -> dict[str, Any]:
    """The JSON form (``rules diff --json``), for a rules pull-request pipeline."""
    return {
        "current_rules": report.current_version,
        "proposed_rules": report.proposed_version,
        "read": report.read,
        "decided": report.decided,
        "skipped": report.skipped,
        "moved": report.moved,
        "teams": {
            team: {"before": report.teams_before[team], "after": report.teams_after[team]}
            for team in sorted(set(report.teams_before) | set(report.teams_after))
        },
        "moves": [
            {
                "from": src,
                "to": dst,
                "count": count,
                "examples": [{"mention_id": e.mention_id, "text": e.text} for e in report.examples.get((src, dst), [])],
            }
            for (src, dst), count in sorted(report.moves.items(), key=lambda item: (-item[1], item[0]))
        ],
        "rules": report.rule_changes(),
        "priority": {
            "raised": report.priority_up,
            "lowered": report.priority_down,
            "bands": [{"from": a, "to": b, "count": n} for (a, b), n in sorted(report.bands.items())],
        },
        "sla": {
            "earlier": report.sla_earlier,
            "later": report.sla_later,
            "added": report.sla_added,
            "removed": report.sla_removed,
            "shift_seconds": report.shift_summary(),
        },
    }


def format_report(report: DiffReport) -> str:
    """The text ``rules diff`` prints."""
    lines = [
        f"rules {report.current_version} -> {report.proposed_version}: {report.decided} mentions decided twice, "
        f"{report.moved} would move"
    ]
    if report.skipped:
        lines.append(f"{report.skipped} records skipped: not enriched mentions")
    if report.teams_before or report.teams_after:
        lines.append("teams (before -> after):")
        for team in sorted(set(report.teams_before) | set(report.teams_after)):
            before, after = report.teams_before[team], report.teams_after[team]
            lines.append(f"  {team:24} {before:>8} -> {after:<8} ({after - before:+d})")
    if report.moves:
        lines.append("moves:")
        for (src, dst), count in sorted(report.moves.items(), key=lambda item: (-item[1], item[0])):
            lines.append(f"  {src} -> {dst}: {count}")
            lines += [f"      {e.mention_id}: {e.text}" for e in report.examples.get((src, dst), [])]
    changes = report.rule_changes()
    if changes:
        lines.append("decisions per rule: " + ", ".join(f"{rule} {n:+d}" for rule, n in changes.items()))
    if report.priority_up or report.priority_down:
        bands = ", ".join(f"{a}->{b} {n}" for (a, b), n in sorted(report.bands.items()))
        text = f"priority: {report.priority_up} raised, {report.priority_down} lowered"
        lines.append(text + (f" (bands: {bands})" if bands else ""))
    summary = report.shift_summary()
    if summary is not None or report.sla_added or report.sla_removed:
        text = f"SLA due times: {report.sla_earlier} earlier, {report.sla_later} later"
        if summary is not None:
            low, high = _signed(summary["min"]), _signed(summary["max"])
            text += f" (median {_signed(summary['median'])}, from {low} to {high})"
        text += f"; {report.sla_added} gain an SLA, {report.sla_removed} lose theirs"
        lines.append(text)
    if not report.moved and not changes and not (report.priority_up or report.priority_down) and summary is None:
        lines.append("no mention would be decided differently")
    return "\n".join(lines) + "\n"


def _signed(seconds: float) -> str:
    sign = "-" if seconds < 0 else "+"
    seconds = abs(seconds)
    if seconds >= 3600:
        return f"{sign}{seconds / 3600:.1f}h"
    return f"{sign}{seconds / 60:.0f}m"
