"""A CRM's view of an author, published to the compacted ``customers`` topic by a CRM sync."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from schemas.mention import Channel


class Customer(BaseModel):
    """Keyed by ``<channel>:<handle>`` (lower case); a record with no value (tombstone) removes it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    channel: Channel
    handle: str = Field(min_length=1, max_length=512)
    tier: str = Field(
        min_length=1, max_length=32, description="e.g. vip, enterprise, churn_risk, standard (see the enrichment docs)."
    )
    customer_id: str | None = None
    updated_at: AwareDatetime | None = None

    @property
    def key(self) -> str:
        return customer_key(self.channel, self.handle)


def customer_key(channel: Channel | str, handle: str) -> str:
    return f"{Channel(channel).value}:{handle.lstrip('@').lower()}"
