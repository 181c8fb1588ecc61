"""The console script as a user runs it, against the session's real broker."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from streams.partitioning import raw_partition_key
from tests.factories import make_mention
from tests.integration.conftest import read_topics

pytestmark = pytest.mark.integration


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "streams.cli", *args]
    return subprocess.run(command, env=os.environ | env, capture_output=True, text=True, timeout=120, check=False)


def test_replay_jsonl_produces_every_line_as_is(bootstrap: str, tmp_path: Path) -> None:
    prefix = f"cli{uuid.uuid4().hex[:8]}."
    env = {"MENTION_ROUTER_BOOTSTRAP_SERVERS": bootstrap, "MENTION_ROUTER_TOPIC_PREFIX": prefix}
    mentions = [make_mention(f"@AcmeAir question {i}?") for i in range(5)]
    lines = [m.model_dump_json().encode() for m in mentions] + [b'{"not": "a mention"', b"plain text"]
    path = tmp_path / "mentions.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n\n")

    created = run_cli("topics", "create", env=env)
    assert created.returncode == 0, created.stderr
    assert f"created {prefix}mentions.raw" in created.stdout

    result = run_cli("replay", str(path), "--rate", "1000", env=env)
    assert result.returncode == 0, result.stderr
    assert "produced 7 records" in result.stdout

    records = read_topics(bootstrap, [f"{prefix}mentions.raw"], lambda recs: len(recs) >= 7, timeout=30)
    assert sorted(r.value for r in records) == sorted(lines), "invalid lines are produced too, for the DLQ"
    keys = {r.value: r.key for r in records}
    for mention, line in zip(mentions, lines, strict=False):
        assert keys[line] == raw_partition_key(mention), "valid mentions are keyed by author, for dedupe"


def test_delete_pipeline_removes_only_this_prefix(bootstrap: str) -> None:
    from kafka.admin import KafkaAdminClient

    from streams.admin import delete_pipeline, ensure_topics
    from streams.settings import Settings

    mine = Settings(bootstrap_servers=bootstrap, topic_prefix=f"del{uuid.uuid4().hex[:6]}.", app_id="del-test")
    other = Settings(bootstrap_servers=bootstrap, topic_prefix=f"keep{uuid.uuid4().hex[:6]}.")
    ensure_topics(mine, ["care"])
    ensure_topics(other, ["care"])
    deleted = delete_pipeline(mine, ["care"])
    assert f"{mine.topic_prefix}mentions.raw" in deleted
    client = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        topics = set(client.list_topics())
    finally:
        client.close()
    assert not any(t.startswith(mine.topic_prefix) for t in topics)
    assert f"{other.topic_prefix}mentions.routed.care" in topics
