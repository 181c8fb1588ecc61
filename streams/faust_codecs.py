"""faust codecs for the pydantic schemas, so faust topics can carry them (``value_serializer="mention"``).

faust's ``value_type`` takes only faust Records; a codec registered by name is faust's documented way
to plug in another serialization (``faust.serializers.codecs``).
"""

from __future__ import annotations

from typing import Any

from faust.serializers import codecs
from pydantic import BaseModel

from schemas import DeadLetter, DuplicateRecord, EnrichedMention, Mention, RoutedMention

MODELS: dict[str, type[BaseModel]] = {
    "mention": Mention,
    "enriched_mention": EnrichedMention,
    "routed_mention": RoutedMention,
    "duplicate": DuplicateRecord,
    "dead_letter": DeadLetter,
}


class PydanticCodec(codecs.Codec):
    """JSON bytes <-> one pydantic model; decoding validates, so a bad payload raises ValidationError."""

    def __init__(self, model: type[BaseModel], children: tuple[Any, ...] | None = None) -> None:
        self.model = model
        super().__init__(children=children, model=model)  # kwargs are how faust clones a codec

    def _loads(self, s: bytes) -> BaseModel:
        return self.model.model_validate_json(s)

    def _dumps(self, s: BaseModel) -> bytes:
        return s.model_dump_json().encode()


def register_pydantic_codecs() -> None:
    """Register one codec per schema under its ``MODELS`` name; idempotent."""
    for name, model in MODELS.items():
        codecs.register(name, PydanticCodec(model))
