"""examples/: a downstream consumer of a team topic and a helpdesk publishing a Response, against the real router."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaProducer

from schemas import FirstResponse
from tests.factories import make_mention
from tests.integration.conftest import Worker, read_topics

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _run(script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, str(EXAMPLES / script), *args], capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_an_inbox_reads_the_routed_mention_and_a_helpdesk_answers_it(
    make_worker: Callable[..., Worker], producer: KafkaProducer
) -> None:
    worker = make_worker(MENTION_ROUTER_FIRST_RESPONSE_GRACE_SECONDS="0")
    worker.start()
    mention = make_mention("@AcmeAir my flight was cancelled and nobody answers, worst service ever", handle="ex_1")
    producer.send(worker.topic("raw"), mention.model_dump_json().encode(), key=mention.id.encode()).get(30)

    inbox = _run("team_consumer.py", "--bootstrap", worker.bootstrap, "--topic", worker.topic("routed.care"),
                 "--group", f"{worker.prefix}inbox", "--max", "1")  # fmt: skip
    assert inbox.startswith(f"{mention.id} priority="), inbox
    assert "rerouted=False" in inbox

    _run("publish_response.py", "--bootstrap", worker.bootstrap, "--topic", worker.topic("responses"),
         "--mention-id", mention.id, "--team", "care")  # fmt: skip

    def answered(records: list[Any]) -> bool:
        return any(FirstResponse.model_validate_json(r.value).mention_id == mention.id for r in records)

    records = read_topics(worker.bootstrap, [worker.topic("response_times")], answered, timeout=60)
    assert answered(records), "the track stage matched the response to the routed mention"


@pytest.mark.parametrize("script", ["team_consumer.py", "publish_response.py"])
def test_each_example_stays_short(script: str) -> None:
    assert len((EXAMPLES / script).read_text().splitlines()) < 60
