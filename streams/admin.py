"""Topic creation with kafka-python: an admin tool, called before the event loop starts."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from streams.routing import RuleSet
from streams.settings import STAGES, Settings
from streams.topics import TopicNames

logger = logging.getLogger(__name__)

# Duplicates and dead letters are records people come back to; keep them a week.
WEEK_MS = 7 * 24 * 3600 * 1000
RETENTION_MS = {"duplicates": WEEK_MS, "dlq": WEEK_MS, "escalations": WEEK_MS, "repartition": 24 * 3600 * 1000}
KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588  # the broker's message.max.bytes unless its operator changed it


def admin_client(settings: Settings) -> KafkaAdminClient:
    return KafkaAdminClient(client_id=f"{settings.app_id}-admin", **settings.kafka_client_kwargs())


Teams = Iterable[str] | RuleSet  # a RuleSet also knows teams' topic overrides


def topics_for(settings: Settings, teams: Teams) -> list[str]:
    names = TopicNames.from_settings(settings)
    if isinstance(teams, RuleSet):
        team_topics = [names.prefix + teams.topic_for(team) for team in teams.team_names]
    else:
        team_topics = [names.routed(team) for team in teams]
    return [*names.pipeline(), *team_topics]


def ensure_topics(settings: Settings, teams: Teams) -> list[str]:
    """Create every topic the router reads or writes; return the ones that were new."""
    wanted = topics_for(settings, teams)
    client = admin_client(settings)
    try:
        existing = set(client.list_topics())
        missing = [name for name in wanted if name not in existing]
        if not missing:
            return []
        new_topics = [
            NewTopic(
                name,
                num_partitions=settings.partitions,
                replication_factor=settings.replication_factor,
                topic_configs=configs_for(name, settings),
            )
            for name in missing
        ]
        # Another worker may win the race; the topics exist then, which is all we need.
        with contextlib.suppress(TopicAlreadyExistsError):
            client.create_topics(new_topics, timeout_ms=30_000)
        _wait_for_leaders(client, missing, settings.partitions)
        logger.info("created %d topics: %s", len(missing), ", ".join(missing))
        return missing
    finally:
        client.close()


def delete_pipeline(settings: Settings, teams: Teams, timeout: float = 30.0) -> list[str]:
    """Delete the router's topics and consumer groups for this prefix and app id (the demo's clean slate)."""
    client = admin_client(settings)
    try:
        doomed = [name for name in topics_for(settings, teams) if name in set(client.list_topics())]
        if doomed:
            client.delete_topics(doomed, timeout_ms=int(timeout * 1000))
            deadline = time.monotonic() + timeout
            while set(doomed) & set(client.list_topics()) and time.monotonic() < deadline:
                time.sleep(0.2)
        # "route": the group of the route stage that routing inside enrich replaced.
        delete_groups(client, [f"{settings.app_id}.{stage}" for stage in (*STAGES, "route")], timeout)
        return doomed
    finally:
        client.close()


GONE = {"OK", "GroupIdNotFoundError"}
RETRIABLE = {"CoordinatorLoadInProgressError", "CoordinatorNotAvailableError", "NotCoordinatorError"}


def delete_groups(client: KafkaAdminClient, groups: list[str], timeout: float = 30.0) -> None:
    """Delete consumer groups (with their committed offsets), or raise saying which are left and why. A group
    left behind keeps its offsets: topics made again under it would be read from those offsets, past records
    the new topics hold. A broker that has just started answers "load in progress" for a while: retried."""
    deadline = time.monotonic() + timeout
    pending = list(groups)
    while True:
        try:
            results: dict[str, str] = client.delete_groups(pending)
        except KafkaError as exc:  # the coordinator lookup itself: retried like a refusal
            results = dict.fromkeys(pending, type(exc).__name__)
        left = {group: error for group, error in results.items() if error not in GONE}
        if not left:
            return
        if any(error not in RETRIABLE for error in left.values()) or time.monotonic() >= deadline:
            detail = ", ".join(f"{group}: {error}" for group, error in sorted(left.items()))
            hint = " (stop the workers still in them)" if "NonEmptyGroupError" in left.values() else ""
            raise RuntimeError(f"could not delete consumer groups{hint}: {detail}")
        pending = sorted(left)
        time.sleep(0.5)


def _wait_for_leaders(client: KafkaAdminClient, topics: list[str], partitions: int, timeout: float = 30.0) -> None:
    """Return once every partition of the new topics has a leader, so consumers start without errors."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = client.describe_topics(topics)
        if all(
            t["error_code"] == 0
            and len(t["partitions"]) >= partitions
            and all(p["leader_id"] >= 0 for p in t["partitions"])
            for t in described
        ):
            return
        time.sleep(0.1)
    logger.warning("new topics still without leaders after %.0fs: %s", timeout, ", ".join(topics))


TOMBSTONE_RETENTION_MS = 24 * 3600 * 1000  # Kafka's default delete.retention.ms, pinned for the changelogs


def configs_for(name: str, settings: Settings) -> dict[str, str]:
    suffix = name.rsplit(".", 1)[-1]
    configs: dict[str, str] = {}
    if suffix in ("customers", "changelog"):
        configs["cleanup.policy"] = "compact"  # the latest record per author is the table
    if suffix == "changelog":
        # A worker restores a partition it parked from where it left (streams.runtime.batch_agent, 10 minutes at
        # most): a tombstone written meanwhile must still be there, whatever the brokers' default.
        configs["delete.retention.ms"] = str(TOMBSTONE_RETENTION_MS)
    elif retention := RETENTION_MS.get(suffix):
        configs["retention.ms"] = str(retention)
    if settings.max_request_bytes > KAFKA_DEFAULT_MAX_MESSAGE_BYTES:
        # A larger MENTION_ROUTER_MAX_PAYLOAD_BYTES: the broker must take every batch the router may send, or a
        # refused output would roll its batch back until the task timeout, on every restart.
        configs["max.message.bytes"] = str(settings.max_request_bytes)
    return configs
