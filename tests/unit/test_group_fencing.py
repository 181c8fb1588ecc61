"""The stable offset fetch's retries, against a fake coordinator (the real-broker proof is
tests/integration/test_group_fencing.py)."""

from __future__ import annotations

from typing import Any

import pytest
from aiokafka import TopicPartition
from aiokafka.errors import GroupAuthorizationFailedError, KafkaTimeoutError, NodeNotReadyError

from streams.runtime import group_fencing
from streams.runtime.group_fencing import UNSTABLE_OFFSET_COMMIT, OffsetFetchResponse_v7, stable_committed

TP = TopicPartition("in", 0)


def _response(offset: int = -1, error: int = 0, group_error: int = 0) -> Any:
    return OffsetFetchResponse_v7(0, [("in", [(0, offset, -1, "", error, {})], {})], group_error, {})


class FakeConsumer:
    """Answers each OffsetFetch with the next of ``answers`` (an exception is raised)."""

    def __init__(self, *answers: Any) -> None:
        self._answers = list(answers)
        self.coordinator_id = 1
        self.dead = 0
        self._coordinator = self
        self._client = self

    async def ensure_coordinator_known(self) -> None:
        self.coordinator_id = 1

    def coordinator_dead(self) -> None:
        self.dead += 1
        self.coordinator_id = None

    async def send(self, node_id: int, request: Any) -> Any:
        assert node_id == 1
        answer = self._answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture(autouse=True)
def no_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(group_fencing, "STABLE_RETRY_S", 0.0)


async def test_waits_through_a_lost_connection_and_an_open_transaction() -> None:
    consumer = FakeConsumer(NodeNotReadyError(), _response(error=UNSTABLE_OFFSET_COMMIT), _response(offset=7))
    assert await stable_committed(consumer, "g", [TP], timeout_s=5) == {TP: 7}  # type: ignore[arg-type]
    assert consumer.dead == 1, "the coordinator is looked up again after the connection error"


async def test_a_partition_never_committed_has_no_offset() -> None:
    assert await stable_committed(FakeConsumer(_response()), "g", [TP], timeout_s=5) == {TP: None}  # type: ignore[arg-type]


async def test_a_refusal_is_raised_and_an_offset_that_never_settles_times_out() -> None:
    refused = FakeConsumer(_response(group_error=GroupAuthorizationFailedError.errno))
    with pytest.raises(GroupAuthorizationFailedError):
        await stable_committed(refused, "g", [TP], timeout_s=5)  # type: ignore[arg-type]
    held = FakeConsumer(*[_response(error=UNSTABLE_OFFSET_COMMIT)] * 1000)
    with pytest.raises(KafkaTimeoutError, match=r"offsets of \['in:0'\] not stable"):
        await stable_committed(held, "g", [TP], timeout_s=0.0)  # type: ignore[arg-type]
