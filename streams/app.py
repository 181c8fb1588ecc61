"""The faust app that hosts a worker: its stage agents, producer and metrics server."""

from __future__ import annotations

import logging
import tempfile
from datetime import timedelta
from pathlib import Path

import faust
from faust.app.base import BootStrategy

from streams.admin import ensure_topics
from streams.agents.customers import CustomersAgent
from streams.agents.dedupe import DedupeAgent
from streams.agents.enrich import EnrichAgent
from streams.agents.track import TrackAgent
from streams.enrich.customers import TierLookup
from streams.event_time import EventTimeBounds
from streams.metrics import Metrics
from streams.observability import LagExporterService
from streams.observability.health import Health, Heartbeat
from streams.routing import RuleSet, load_rules
from streams.runtime.batch_agent import BatchAgent
from streams.runtime.customer_table import CustomerTable
from streams.runtime.producing import ProducerService
from streams.runtime.rules_watch import RulesWatcher
from streams.runtime.stage import Stage
from streams.settings import Settings
from streams.topics import TopicNames
from streams.tracking import TrackerLimits

logger = logging.getLogger(__name__)

# faust makes its data directory (for on-disk tables) when the app starts, by default in the working
# directory. The router's state lives in memory and in changelog topics, so it writes nothing there: keep
# the empty directory out of the user's working tree.
FAUST_DATADIR = str(Path(tempfile.gettempdir()) / "{conf.name}-data")


class BatchAgentBoot(BootStrategy):
    """Start what the batch agents need and nothing else.

    Each stage consumes through its own consumer group and the worker writes through one
    ProducerService, so faust's shared consumer and producer would sit idle (aiokafka refuses a
    consumer that subscribes to nothing). The faust app still owns the lifecycle: start order,
    signal handling, graceful stop, crash reporting.
    """

    enable_kafka_consumer = False
    enable_kafka_producer = False
    enable_web = False
    enable_sensors = False


class RouterApp(faust.App):
    BootStrategy = BatchAgentBoot


class RouterWorker(faust.Worker):
    def on_setup_root_logger(self, logger: logging.Logger, level: int) -> None:
        # faust's terminal spinner lowers the root logger to DEBUG so it can spin on every record;
        # every aiokafka debug call then builds a LogRecord (~50 µs per message produced).
        self.spinner = None
        logger.setLevel(level)


def build_stages(
    settings: Settings, metrics: Metrics, rules: RuleSet, customer_tiers: TierLookup | None = None
) -> list[Stage]:
    topics = TopicNames.from_settings(settings)
    bounds = EventTimeBounds(settings.max_event_time_skew_seconds)
    stages: list[Stage] = []
    if "dedupe" in settings.stages:
        stages.append(
            DedupeAgent(topics, metrics, settings.dedupe_window_seconds, settings.dedupe_max_keys, bounds=bounds)
        )
    if "enrich" in settings.stages:
        stages.append(
            EnrichAgent(
                topics,
                metrics,
                rules,
                customer_tiers=customer_tiers,
                wave_window_seconds=settings.wave_window_seconds,
                wave_min_authors=settings.wave_min_authors,
                bounds=bounds,
                wave_max_keys=settings.wave_max_keys,
                wave_max_members=settings.wave_max_members,
                redact_text=settings.routed_text == "redacted",
            )
        )
        stages.append(CustomersAgent(topics))  # dead-letters bad CRM records once for the app
    if "track" in settings.stages:
        grace = timedelta(seconds=settings.first_response_grace_seconds)
        limits = TrackerLimits(
            open=settings.tracker_max_open,
            pending=settings.tracker_max_pending,
            closed=settings.tracker_max_closed,
            bytes=settings.tracker_max_bytes,
            unmatched_after=timedelta(seconds=settings.unmatched_response_seconds),
        )
        track = TrackAgent(topics, metrics, teams=rules.team_names, brands=rules.brands, bounds=bounds,
                           first_response_grace=grace, limits=limits,
                           forecast_every=settings.sla_forecast_interval_seconds)  # fmt: skip
        stages.append(track)
    return stages


def _broker_credentials(settings: Settings) -> faust.auth.Credentials | None:
    kwargs = settings.kafka_client_kwargs()
    if settings.security_protocol.startswith("SASL"):
        return faust.SASLCredentials(
            username=kwargs["sasl_plain_username"],
            password=kwargs["sasl_plain_password"],
            mechanism=kwargs["sasl_mechanism"],
            ssl_context=kwargs.get("ssl_context"),
        )
    if settings.security_protocol == "SSL":
        return faust.SSLCredentials(kwargs["ssl_context"])
    return None


def create_app(
    settings: Settings, metrics: Metrics | None = None, rules: RuleSet | None = None, health: Health | None = None
) -> faust.App:
    """A faust app whose dependencies are the producer and one batch agent per configured stage."""
    metrics = metrics or Metrics()
    health = health or Health()
    rules = rules or load_rules(settings.rules_path)
    app = RouterApp(
        settings.app_id,
        broker=f"kafka://{settings.bootstrap_servers}",
        broker_credentials=_broker_credentials(settings),
        store="memory://",
        datadir=FAUST_DATADIR,
        autodiscover=False,
        web_enabled=False,  # metrics are served by prometheus-client; faust's /table is not exposed
        topic_disable_leader=True,
    )
    topics = TopicNames.from_settings(settings)
    producer = ProducerService(settings, loop=app.loop)
    app.add_dependency(producer)
    app.add_dependency(Heartbeat(health, metrics.loop_lag.observe, loop=app.loop))
    customer_tiers: TierLookup | None = None
    if "enrich" in settings.stages:
        # Started (and caught up) before the stages, which start after it.
        table = CustomerTable(settings, metrics, topics.customers, loop=app.loop)
        app.add_dependency(table)
        customer_tiers = table.tiers
    stages = build_stages(settings, metrics, rules, customer_tiers)
    for stage in stages:
        app.add_dependency(BatchAgent(stage, settings, metrics, producer, topics.dlq, health, loop=app.loop))
    ruled = [stage for stage in stages if isinstance(stage, EnrichAgent | TrackAgent)]
    if ruled:
        app.add_dependency(_rules_watcher(settings, metrics, rules, ruled))
    if settings.metrics_port:  # consumer-group lag, read in a thread and served with the other metrics
        app.add_dependency(LagExporterService(settings, metrics.registry, loop=app.loop))
    return app


def _rules_watcher(
    settings: Settings, metrics: Metrics, rules: RuleSet, stages: list[EnrichAgent | TrackAgent]
) -> RulesWatcher:
    def prepare(rules: RuleSet) -> None:
        ensure_topics(settings, rules)  # a new team's topic exists before its first record

    def apply(rules: RuleSet) -> None:
        for stage in stages:
            stage.set_rules(rules)

    return RulesWatcher(settings.rules_path, rules, metrics, apply=apply, prepare=prepare)
