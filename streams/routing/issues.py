"""Problems found in a rules file, each tied to the line that caused it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RuleIssue:
    """One problem in a rules file. ``line`` is 1-based; 0 means "the file as a whole" (e.g. unreadable)."""

    source: str
    line: int
    message: str

    def __str__(self) -> str:
        if self.line > 0:
            return f"{self.source}:{self.line}: {self.message}"
        return f"{self.source}: {self.message}"


class RulesError(ValueError):
    """A rules file could not be loaded; ``issues`` lists every problem found, in file order."""

    def __init__(self, issues: Iterable[RuleIssue]) -> None:
        self.issues: tuple[RuleIssue, ...] = tuple(issues)
        count = len(self.issues)
        head = f"{count} error{'s' if count != 1 else ''} in rules"
        super().__init__("\n".join([head, *(f"  {issue}" for issue in self.issues)]))
