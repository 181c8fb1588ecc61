"""The canonical mention: what every channel connector publishes to ``mentions.raw``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

MetadataValue = str | int | float | bool | None
MAX_TEXT_CHARS = 40_000  # longest LinkedIn article/blog excerpt we accept; oversize bytes are caught earlier


class Channel(StrEnum):
    TWITTER = "twitter"
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    YOUTUBE = "youtube"
    LINKEDIN = "linkedin"
    TIKTOK = "tiktok"
    REDDIT = "reddit"
    REVIEW = "review"
    BLOG = "blog"
    WEB_FORM = "web_form"
    CHAT = "chat"
    EMAIL = "email"
    OTHER = "other"


NonEmpty = Annotated[str, StringConstraints(min_length=1, max_length=512)]


# Far above any real account; keeps reach sums and the dedupe state's packed integers in range.
MAX_FOLLOWERS = 10**12


class Author(BaseModel):
    """Who wrote the mention, as the channel knows them."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    handle: NonEmpty
    id: str | None = None
    display_name: str | None = None
    followers: int = Field(default=0, ge=0, le=MAX_FOLLOWERS)
    verified: bool = False
    # Handles of the same person on other channels ("channel:handle"), when a connector knows them.
    linked_handles: tuple[str, ...] = ()


class Mention(BaseModel):
    """One post, comment, review, message or email that mentions or addresses a brand."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: NonEmpty = Field(description="Globally unique id; by convention '<channel>:<native_id>'.")
    channel: Channel
    native_id: NonEmpty = Field(description="The id the channel itself gave the post.")
    author: Author
    text: Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS)]
    created_at: AwareDatetime = Field(description="When the author posted it (event time).")
    brand_account: NonEmpty = Field(description="The brand account or page the mention addresses.")
    url: str | None = None
    in_reply_to_id: str | None = Field(default=None, description="Native id of the post this replies to.")
    reshare_of_id: str | None = Field(default=None, description="Native id of the post this reshares/quotes.")
    conversation_id: str | None = Field(default=None, description="Thread id, when the channel has one.")
    metadata: dict[str, MetadataValue] = Field(default_factory=dict)

    @staticmethod
    def make_id(channel: Channel | str, native_id: str) -> str:
        return f"{Channel(channel).value}:{native_id}"
