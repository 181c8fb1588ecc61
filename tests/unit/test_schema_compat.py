"""The contract check: which model changes break readers of the previous schema (schemas.compat)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import pytest
from pydantic import BaseModel

from schemas.compat import breaking_changes


class Kind(StrEnum):
    REPLY = "reply"
    RESOLVED = "resolved"


class KindPlus(StrEnum):
    REPLY = "reply"
    RESOLVED = "resolved"
    ESCALATED = "escalated"


class KindLess(StrEnum):
    REPLY = "reply"


class Author(BaseModel):
    handle: str
    followers: int = 0


class V1(BaseModel):
    id: str
    at: datetime
    kind: Kind = Kind.REPLY
    author: Author
    tags: list[str] = []
    score: float | None = None


def schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema(mode="serialization")


def test_the_same_model_and_a_new_optional_member_are_compatible() -> None:
    class WithOptional(V1):
        note: str | None = None

    assert breaking_changes(schema(V1), schema(V1)) == []
    assert breaking_changes(schema(V1), schema(WithOptional)) == []


def test_an_enum_may_gain_values_but_not_lose_any() -> None:
    class Gained(V1):
        kind: KindPlus = KindPlus.REPLY  # type: ignore[assignment]

    class Lost(V1):
        kind: KindLess = KindLess.REPLY  # type: ignore[assignment]

    assert breaking_changes(schema(V1), schema(Gained)) == []
    assert breaking_changes(schema(V1), schema(Lost)) == ["$.kind: enum values removed: ['resolved']"]


class Removed(BaseModel):
    id: str
    at: datetime
    kind: Kind = Kind.REPLY
    author: Author
    tags: list[str] = []


class Retyped(V1):
    at: int  # type: ignore[assignment]


class NewRequired(V1):
    channel: str


class NowRequired(V1):
    score: float | None  # type: ignore[assignment]


class NestedRetyped(V1):
    class Author2(BaseModel):
        handle: str
        followers: str = ""

    author: Author2  # type: ignore[assignment]


class ItemsRetyped(V1):
    tags: list[int] = []  # type: ignore[assignment]


class NoLongerNullable(V1):
    score: float = 0.0  # type: ignore[assignment]


class Strict(V1):
    model_config = {"extra": "forbid"}


@pytest.mark.parametrize(
    ("model", "problem"),
    [
        (Removed, "$.score: removed"),
        (Retyped, "$.at: type 'string' became 'integer'"),
        (NewRequired, "$.channel: added as required"),
        (NowRequired, "$.score: now required"),
        (NestedRetyped, "$.author.followers: type 'integer' became 'string'"),
        (ItemsRetyped, "$.tags[]: type 'string' became 'integer'"),
        (NoLongerNullable, "$.score: no longer accepts null"),
        (Strict, "$: no longer accepts members it does not list"),
    ],
)
def test_removed_retyped_or_newly_required_members_break(model: type[BaseModel], problem: str) -> None:
    assert problem in breaking_changes(schema(V1), schema(model))
