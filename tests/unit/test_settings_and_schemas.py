from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from schemas.compat import breaking_changes
from schemas.export import EXPORTED, JSON_DIR, RELEASED_DIR, released, render
from schemas.versions import VERSIONS, schema_id
from streams.settings import Settings
from streams.topics import TopicNames


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MENTION_ROUTER_BOOTSTRAP_SERVERS", "kafka-1:9093")
    monkeypatch.setenv("MENTION_ROUTER_TOPIC_PREFIX", "acme.")
    monkeypatch.setenv("MENTION_ROUTER_STAGES", "dedupe,track")
    settings = Settings()
    assert settings.bootstrap_servers == "kafka-1:9093"
    assert settings.stages == ("dedupe", "track")
    assert TopicNames.from_settings(settings).routed("care") == "acme.mentions.routed.care"


def test_route_is_not_a_stage_and_saying_so_explains_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MENTION_ROUTER_STAGES", "dedupe,enrich,route,track")
    with pytest.raises(ValidationError, match="the enrich stage routes"):
        Settings()


def test_secrets_never_show_in_repr_or_dump(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MENTION_ROUTER_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("MENTION_ROUTER_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("MENTION_ROUTER_SASL_USERNAME", "router")
    monkeypatch.setenv("MENTION_ROUTER_SASL_PASSWORD", "hunter2-very-secret")
    settings = Settings()
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in settings.model_dump_json()
    kwargs = settings.kafka_client_kwargs()
    assert kwargs["sasl_plain_password"] == "hunter2-very-secret"
    assert kwargs["sasl_mechanism"] == "SCRAM-SHA-512"
    assert kwargs["ssl_context"] is not None


def test_settings_are_frozen_and_validated() -> None:
    settings = Settings()
    with pytest.raises(ValidationError):
        settings.partitions = 3  # type: ignore[misc]
    with pytest.raises(ValidationError):
        Settings(stages="dedupe,teleport")  # type: ignore[arg-type]


@pytest.mark.parametrize("name", sorted(EXPORTED))
def test_exported_json_schemas_are_in_sync(name: str) -> None:
    path = JSON_DIR / f"{name}.schema.json"
    assert path.exists(), "run `python -m schemas.export`"
    assert path.read_text() == render(name), f"{path.name} is stale: run `python -m schemas.export`"
    schema = json.loads(path.read_text())
    assert (schema["$id"], schema["version"]) == (schema_id(name), VERSIONS[name])


@pytest.mark.parametrize("name", sorted(EXPORTED))
def test_a_changed_model_has_a_new_version(name: str) -> None:
    copy = released(name, VERSIONS[name])
    assert copy.exists(), "run `python -m schemas.export`"
    assert copy.read_text() == render(name), f"{name} changed: bump VERSIONS[{name!r}] in schemas/versions.py"


@pytest.mark.parametrize("name", sorted(EXPORTED))
def test_each_version_reads_what_the_earlier_ones_of_its_major_wrote(name: str) -> None:
    major = VERSIONS[name].split(".")[0]
    current = json.loads(render(name))
    earlier = sorted(RELEASED_DIR.glob(f"{name}-{major}.*.schema.json"))
    assert earlier, "the current version is released"
    for path in earlier:
        assert breaking_changes(json.loads(path.read_text()), current) == [], f"breaks readers of {path.name}"
