"""The project's own broker launcher (``streams.broker.local``), on the Kafka jars it fetched."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.broker import local


def test_storage_is_formatted_whatever_the_cluster_id_starts_with(
    bootstrap: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # bootstrap: the session broker is up, so the jars are in the cache.
    # Cluster ids are base64url: one in 64 starts with "-", which Kafka's StorageTool must not take for an option.
    monkeypatch.setattr(local, "_cluster_id", lambda: "-mdwjwvjQOq9vJX2t5aKjQ")
    config = local.BrokerConfig(home=tmp_path / "kafka", port=local.free_port(), controller_port=local.free_port())
    local.write_properties(config)
    local.format_storage(config)
    meta = (config.data_dir / "meta.properties").read_text()
    assert "cluster.id=-mdwjwvjQOq9vJX2t5aKjQ" in meta
