"""A team's reply to a mention, published by downstream apps to ``mentions.responses``."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict


class ResponseKind(StrEnum):
    FIRST_REPLY = "first_reply"
    REPLY = "reply"
    RESOLVED = "resolved"


class Response(BaseModel):
    model_config = ConfigDict(frozen=True)

    mention_id: str
    team: str
    responder: str
    responded_at: AwareDatetime
    kind: ResponseKind = ResponseKind.REPLY
