"""The configs the router creates its topics with."""

from __future__ import annotations

from streams.admin import KAFKA_DEFAULT_MAX_MESSAGE_BYTES, WEEK_MS, configs_for
from streams.settings import Settings

DAY_MS = 24 * 3600 * 1000


def test_changelogs_are_compacted_and_dead_letters_kept_a_week() -> None:
    settings = Settings(metrics_port=0)
    # Tombstones kept a day whatever the brokers' default: a parked partition restores from where it left.
    assert configs_for("app.dedupe.changelog", settings) == {
        "cleanup.policy": "compact",
        "delete.retention.ms": str(DAY_MS),
    }
    assert configs_for("app.customers", settings) == {"cleanup.policy": "compact"}
    assert configs_for("mentions.dlq", settings) == {"retention.ms": str(WEEK_MS)}
    assert configs_for("mentions.routed.care", settings) == {}


def test_the_default_payload_limit_fits_the_brokers_default_message_size() -> None:
    assert Settings(metrics_port=0).max_request_bytes <= KAFKA_DEFAULT_MAX_MESSAGE_BYTES


def test_a_larger_payload_limit_raises_the_topics_message_size_to_what_the_router_may_send() -> None:
    """An output is up to about twice its input; a topic that refused it would stall its stage."""
    settings = Settings(metrics_port=0, max_payload_bytes=1024 * 1024)
    assert settings.max_request_bytes == 2 * 1024 * 1024
    for name in ("mentions.routed.care", "app.enrich.changelog", "mentions.dlq"):
        assert configs_for(name, settings)["max.message.bytes"] == str(2 * 1024 * 1024)
    assert configs_for("app.enrich.changelog", settings)["cleanup.policy"] == "compact"
