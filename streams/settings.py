"""The one settings object: every knob comes from the environment (prefix ``MENTION_ROUTER_``)."""

from __future__ import annotations

import ssl
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from streams.event_time import DEFAULT_MAX_SKEW_SECONDS

STAGES = ("dedupe", "enrich", "track")
DEFAULT_RULES = Path(__file__).parent / "config" / "rules.yaml"


class Settings(BaseSettings):
    """Frozen, env-driven configuration. Secrets are ``SecretStr`` and never appear in logs or repr."""

    model_config = SettingsConfigDict(env_prefix="MENTION_ROUTER_", frozen=True, extra="ignore")

    app_id: str = Field(default="mention-router", description="Prefix of every consumer group id.")
    bootstrap_servers: str = "127.0.0.1:9092"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    allow_plaintext_password: bool = Field(
        default=False,
        validate_default=True,
        description="Allow SASL PLAIN over an unencrypted connection (the password crosses in clear).",
    )

    topic_prefix: str = Field(default="", description="Prepended to every topic name, e.g. 'acme.'.")
    partitions: int = Field(default=6, ge=1, description="Partitions of topics the router creates.")
    replication_factor: int = Field(default=1, ge=1)

    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=9310, ge=0, le=65535, description="0 disables the metrics server.")

    rules_path: Path = DEFAULT_RULES
    stages: Annotated[tuple[str, ...], NoDecode] = STAGES  # comma-separated in the environment
    max_payload_bytes: int = Field(default=256 * 1024, ge=1024)
    batch_max_records: int = Field(default=2000, ge=1)
    poll_timeout_ms: int = Field(default=50, ge=1, description="Longest wait for a batch when idle.")
    producer_linger_ms: int = Field(default=1, ge=0, description="Producer batching delay; each hop pays it.")
    fetch_max_wait_ms: int = Field(
        default=10, ge=1, description="Longest the broker holds a fetch for new data; bounds idle-hop latency."
    )
    session_timeout_ms: int = Field(
        default=10_000, ge=1000, description="A stage's consumer leaves its group after this long without a heartbeat."
    )
    heartbeat_interval_ms: int = Field(
        default=200,
        ge=100,
        description="How often a stage's consumer heartbeats; a worker joining or leaving is noticed by the others "
        "within this long (at most a third of the session timeout is used).",
    )
    group_instance_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9._-]{1,200}$",
        description="Static group membership: a stable name, unique per worker (a StatefulSet pod's name). A worker "
        "restarted within the session timeout gets its partitions back with no rebalance; one that stops for good "
        "keeps them idle until the session timeout.",
    )
    processing_guarantee: Literal["exactly_once", "at_least_once"] = Field(
        default="exactly_once",
        description="exactly_once: a stage's batches since its last commit (outputs, state changes, input offsets) "
        "are one Kafka transaction; at_least_once: offsets are committed after the outputs are acknowledged.",
    )
    max_batches_in_flight: int = Field(
        default=8, ge=1, description="at_least_once: batches handled but not yet acknowledged, per stage."
    )
    commit_interval_ms: int = Field(
        default=100,
        ge=1,
        description="exactly_once, under load: a partition's transaction spans this long of batches (an idle input "
        "commits at once). Downstream read_committed readers see a batch when its transaction commits.",
    )
    task_timeout_ms: int = Field(
        default=120_000,
        ge=0,
        description="A partition whose batches keep rolling back this long stops the worker (exit 70) with the "
        "batch named, so the orchestrator restarts it; a batch is never skipped.",
    )
    transaction_timeout_ms: int = Field(
        default=60_000, ge=1000, description="exactly_once: the broker aborts a transaction open this long."
    )
    routed_text: Literal["redacted", "original"] = Field(
        default="redacted",
        description="Text that routed records carry when PII was found: the redacted text, or the original.",
    )
    max_event_time_skew_seconds: int = Field(
        default=DEFAULT_MAX_SKEW_SECONDS,
        ge=0,
        description="Records dated further ahead of the worker's clock are dead-lettered.",
    )
    first_response_grace_seconds: int = Field(
        default=60,
        ge=0,
        description="A first response is published once the stream clock is this far past it, so a reply sent "
        "earlier but delivered later still counts as the first.",
    )
    sla_forecast_interval_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How often the track stage starts recomputing mention_router_sla_breach_forecast (a pass over "
        "the open mentions, 5,000 per timer round).",
    )
    dedupe_window_seconds: int = Field(default=24 * 3600, ge=1)
    # State limits are per worker, shared over the input partitions (streams.state_bounds): a worker that takes
    # over every partition still holds at most this much. docs/operations.md says what happens at each.
    dedupe_max_keys: int = Field(default=1_000_000, ge=1)  # ~150 B each: the worker stays under 300 MB
    # Waves: this many different authors posting near-identical text within the window (docs/dedupe.md).
    wave_window_seconds: int = Field(default=30 * 60, ge=1)
    wave_min_authors: int = Field(default=5, ge=2)
    wave_max_keys: int = Field(default=200_000, ge=1, description="Wave groups held (oldest evicted).")
    wave_max_members: int = Field(default=1_000_000, ge=1, description="Authors held over all open waves.")
    customers_max_keys: int = Field(
        default=500_000,
        ge=1,
        description="Customers each enriching worker holds from the customers topic (~70 B each); new ones beyond "
        "it are refused.",
    )
    tracker_max_open: int = Field(
        default=200_000, ge=1, description="Open (unanswered) mentions tracked; beyond it assignments are refused."
    )
    tracker_max_pending: int = Field(
        default=100_000, ge=1, description="Responses held for an assignment that has not come (oldest given up)."
    )
    tracker_max_closed: int = Field(
        default=500_000, ge=1, description="Closed mention ids remembered against late duplicates (oldest forgotten)."
    )
    tracker_max_bytes: int = Field(
        default=256 * 1024 * 1024, ge=1024, description="Record bytes held by open mentions and held responses."
    )
    unmatched_response_seconds: int = Field(
        default=24 * 3600,
        ge=1,
        description="A response whose mention's assignment has not come after this long (processing time) is "
        "dead-lettered as unknown_reference.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("stages", mode="before")
    @classmethod
    def _split_stages(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = tuple(s.strip() for s in value.split(",") if s.strip())
        if "route" in value:
            raise ValueError("'route' is no longer a stage: the enrich stage routes every mention it enriches; "
                             f"use {','.join(STAGES)} (docs/operations.md, 'Upgrading')")  # fmt: skip
        unknown = set(value) - set(STAGES)
        if unknown:
            raise ValueError(f"unknown stages {sorted(unknown)}; known: {', '.join(STAGES)}")
        return value

    @field_validator("allow_plaintext_password", mode="after")
    @classmethod
    def _no_password_in_clear(cls, allowed: bool, info: ValidationInfo) -> bool:
        # A field validator, not a model one: its error quotes only this flag, never the credentials beside it.
        plain = info.data.get("sasl_mechanism") in (None, "PLAIN")
        if info.data.get("security_protocol") == "SASL_PLAINTEXT" and plain and not allowed:
            raise ValueError(
                "SASL_PLAINTEXT with PLAIN sends the password unencrypted; use SASL_SSL, a SCRAM mechanism, or set "
                "MENTION_ROUTER_ALLOW_PLAINTEXT_PASSWORD=true for a trusted network"
            )
        return allowed

    @property
    def max_request_bytes(self) -> int:
        """The largest produce request, so the largest record batch, the router sends: a record it writes can be
        about twice the input it came from (a mention with its enrichment)."""
        return max(1024 * 1024, 2 * self.max_payload_bytes)

    def kafka_client_kwargs(self) -> dict[str, Any]:
        """Connection arguments shared by aiokafka and kafka-python clients."""
        kwargs: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers,
            "security_protocol": self.security_protocol,
        }
        if self.security_protocol in ("SSL", "SASL_SSL"):
            kwargs["ssl_context"] = ssl.create_default_context(cafile=str(self.ssl_cafile) if self.ssl_cafile else None)
        if self.security_protocol.startswith("SASL"):
            kwargs["sasl_mechanism"] = self.sasl_mechanism or "PLAIN"
            kwargs["sasl_plain_username"] = self.sasl_username
            kwargs["sasl_plain_password"] = self.sasl_password.get_secret_value() if self.sasl_password else None
        return kwargs


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
