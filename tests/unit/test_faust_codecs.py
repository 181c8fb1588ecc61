from __future__ import annotations

import pytest
from faust.serializers import codecs
from pydantic import ValidationError

from streams.faust_codecs import register_pydantic_codecs
from tests.factories import make_mention


@pytest.fixture(autouse=True)
def _registered() -> None:
    register_pydantic_codecs()


def test_mention_round_trips_through_the_registered_codec() -> None:
    mention = make_mention()
    encoded = codecs.dumps("mention", mention)
    assert encoded == mention.model_dump_json().encode()
    assert codecs.loads("mention", encoded) == mention


def test_chained_codec_keeps_the_model() -> None:
    mention = make_mention()
    chained = codecs.get_codec("mention|binary")
    assert chained.loads(chained.dumps(mention)) == mention


@pytest.mark.parametrize("raw", [b"\xff\xfe{not json", b'{"id": "twitter:1"}'])
def test_undecodable_bytes_raise(raw: bytes) -> None:
    with pytest.raises(ValidationError):
        codecs.loads("mention", raw)
