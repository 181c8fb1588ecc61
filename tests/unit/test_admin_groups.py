"""Deleting consumer groups for the demo's clean slate: every group gone, or an error naming those left."""

from __future__ import annotations

from typing import Any

import pytest

from streams import admin


class Answers:
    """A stand-in admin client answering DeleteGroups from a script, one answer per call."""

    def __init__(self, *answers: dict[str, str]) -> None:
        self.answers = list(answers)
        self.asked: list[list[str]] = []

    def delete_groups(self, groups: list[str]) -> dict[str, str]:
        self.asked.append(list(groups))
        return self.answers.pop(0)


def test_groups_that_are_gone_or_never_were_are_done(monkeypatch: pytest.MonkeyPatch) -> None:
    client = Answers({"a.dedupe": "OK", "a.route": "GroupIdNotFoundError"})
    admin.delete_groups(client, ["a.dedupe", "a.route"])  # type: ignore[arg-type]
    assert client.asked == [["a.dedupe", "a.route"]]


def test_a_coordinator_still_loading_is_asked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(admin.time, "sleep", lambda _: None)
    client = Answers(
        {"a.dedupe": "CoordinatorLoadInProgressError", "a.enrich": "OK"},
        {"a.dedupe": "OK"},
    )
    admin.delete_groups(client, ["a.dedupe", "a.enrich"])  # type: ignore[arg-type]
    assert client.asked == [["a.dedupe", "a.enrich"], ["a.dedupe"]]


def test_a_group_with_members_is_an_error_naming_it() -> None:
    client = Answers({"a.dedupe": "NonEmptyGroupError", "a.enrich": "OK"})
    with pytest.raises(RuntimeError, match=r"stop the workers.*a\.dedupe: NonEmptyGroupError"):
        admin.delete_groups(client, ["a.dedupe", "a.enrich"])  # type: ignore[arg-type]


def test_a_coordinator_that_never_loads_is_an_error_at_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    clock: list[float] = [0.0]
    monkeypatch.setattr(admin.time, "monotonic", lambda: clock[0])

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    monkeypatch.setattr(admin.time, "sleep", sleep)
    loading: dict[str, Any] = {"a.dedupe": "CoordinatorLoadInProgressError"}
    client = Answers(*[dict(loading) for _ in range(100)])
    with pytest.raises(RuntimeError, match="CoordinatorLoadInProgressError"):
        admin.delete_groups(client, ["a.dedupe"], timeout=5.0)  # type: ignore[arg-type]
    assert 10 <= len(client.asked) <= 12
